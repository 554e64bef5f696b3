/*
 * dns_ldns_test.c - the ldns backend against real DNS servers on loopback
 *
 * Run by tests/integration/test_dns_ldns.sh, which starts the servers and
 * serves the zone data the tables below expect:
 *
 *	-p PORT		unbound, TCP on (the main server)
 *	-n PORT		unbound without TCP (do-tcp: no)
 *	-u PORT		unbound answering at most 512 bytes over UDP
 *	-x PORT		ldns-testns with scripted odd answers
 *	-6		the main server also listens on ::1
 *	-b N		also time N lookups and print the rate (no check)
 *
 * Expected values come from the zone data in the script and from the
 * RFCs named at each case, never from running this code.
 */

#include <arpa/inet.h>
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <enma/dns.h>

#include "../unit/check.h"

enum srv { MAIN, NOTCP, SMALL, TESTNS, MAIN6, FAILOVER, DEAD, NSRV };

static unsigned ports[NSRV];
static struct enma_resolver *res[NSRV];

struct tcase {
	const char		*desc;
	enum srv		 srv;
	const char		*name;
	uint16_t		 type;
	enum enma_dns_rcode	 rcode;
	const char		*want;	/* records as text, sorted, "|" */
	size_t			 total;	/* or: count:total TXT bytes */
	const char		*why;	/* failures: the reason */
	enum enma_dns_sec	 sec;
};

#define A	ENMA_DNS_A
#define AAAA	ENMA_DNS_AAAA
#define MX	ENMA_DNS_MX
#define TXT	ENMA_DNS_TXT
#define PTR	ENMA_DNS_PTR
#define CNAME	ENMA_DNS_CNAME
#define SPF	ENMA_DNS_SPF
#define RECS	ENMA_DNS_RECORDS
#define NODATA	ENMA_DNS_NODATA
#define NXDOM	ENMA_DNS_NXDOMAIN
#define TEMP	ENMA_DNS_TEMPFAIL
#define PERM	ENMA_DNS_PERMFAIL
#define SECURE	ENMA_DNS_SEC_SECURE

/* 63-byte labels; RFC 1035 2.3.4 allows 255 bytes of wire name */
#define L63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define L49 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const struct tcase cases[] = {
	{ "A, two records", MAIN, "a.example.org", A, RECS,
	    "A 192.0.2.1|A 192.0.2.2", 0, NULL, 0 },
	{ "A, trailing dot", MAIN, "a.example.org.", A, RECS,
	    "A 192.0.2.1|A 192.0.2.2", 0, NULL, 0 },
	{ "A, name in upper case", MAIN, "A.EXAMPLE.ORG", A, RECS,
	    "A 192.0.2.1|A 192.0.2.2", 0, NULL, 0 },
	{ "AAAA", MAIN, "a.example.org", AAAA, RECS,
	    "AAAA 2001:db8::1", 0, NULL, 0 },
	{ "MX, names lower-cased, no final dot", MAIN, "example.org", MX,
	    RECS, "MX 10 mail.example.org|MX 20 mx2.example.org", 0, NULL,
	    0 },
	{ "TXT of two strings joined with nothing (RFC 7208 3.3)", MAIN,
	    "two.example.org", TXT, RECS,
	    "TXT 2 v=spf1 ip4:192.0.2.0/24 -all", 0, NULL, 0 },
	{ "TXT of one empty string", MAIN, "empty.example.org", TXT, RECS,
	    "TXT 1 ", 0, NULL, 0 },
	{ "SPF type 99", MAIN, "example.org", SPF, RECS,
	    "SPF 2 v=spf1 -all", 0, NULL, 0 },
	{ "PTR", MAIN, "1.2.0.192.in-addr.arpa", PTR, RECS,
	    "PTR a.example.org", 0, NULL, 0 },
	/* unbound's local-data answers with the CNAME alone (drill shows
	 * it); a stub does not chase it: no record of the type asked */
	{ "CNAME not chased upstream", MAIN, "c1.example.org", A, NODATA,
	    NULL, 0, NULL, 0 },
	{ "CNAME asked for itself", MAIN, "c1.example.org", CNAME, RECS,
	    "CNAME c2.example.org", 0, NULL, 0 },
	{ "NXDOMAIN", MAIN, "nope.example.org", A, NXDOM, NULL, 0, NULL, 0 },
	{ "NODATA", MAIN, "two.example.org", A, NODATA, NULL, 0, NULL, 0 },
	{ "TXT of 900 bytes (over 512)", MAIN, "big.example.org", TXT, RECS,
	    NULL, 900, NULL, 0 },
	{ "TXT RRset of 5000 bytes over TCP", MAIN, "huge.example.org", TXT,
	    RECS, NULL, 5000, NULL, 0 },
	{ "256 records: the most kept", MAIN, "many256.example.org", A,
	    RECS, NULL, 256, NULL, 0 },
	{ "257 records: over ENMA_DNS_MAX_RR", MAIN, "many257.example.org",
	    A, PERM, NULL, 0, "too many records", 0 },
	{ "SERVFAIL", MAIN, "x.servfail.example.org", A, TEMP, NULL, 0,
	    "SERVFAIL", 0 },
	{ "wire name of 255 bytes is sent", MAIN,
	    L63 "." L63 "." L63 "." L49 ".example.org", A, NXDOM, NULL, 0,
	    NULL, 0 },
	{ "wire name of 256 bytes", MAIN,
	    L63 "." L63 "." L63 "." L49 "b.example.org", A, PERM, NULL, 0,
	    "bad query name", 0 },
	{ "label of 63 bytes is sent", MAIN, L63 ".example.org", A, NXDOM,
	    NULL, 0, NULL, 0 },
	{ "label of 64 bytes", MAIN, L63 "a.example.org", A, PERM, NULL, 0,
	    "bad query name", 0 },
	{ "empty label", MAIN, "a..example.org", A, PERM, NULL, 0,
	    "bad query name", 0 },
	{ "leading dot", MAIN, ".example.org", A, PERM, NULL, 0,
	    "bad query name", 0 },
	{ "empty name", MAIN, "", A, PERM, NULL, 0, "bad query name", 0 },
	{ "the root alone", MAIN, ".", A, PERM, NULL, 0, "bad query name",
	    0 },

	/* EDNS0 (RFC 6891) lets 900 bytes come over UDP; 5000 do not fit */
	{ "no TCP: 900 bytes over UDP with EDNS0", NOTCP, "big.example.org",
	    TXT, RECS, NULL, 900, NULL, 0 },
	{ "no TCP: 5000 bytes", NOTCP, "huge.example.org", TXT, TEMP, NULL,
	    0, "truncated and TCP failed", 0 },
	{ "no TCP: small answers still come", NOTCP, "a.example.org", A,
	    RECS, "A 192.0.2.1|A 192.0.2.2", 0, NULL, 0 },
	{ "512-byte UDP: 900 bytes come over TCP", SMALL, "big.example.org",
	    TXT, RECS, NULL, 900, NULL, 0 },

	{ "AD from upstream, only when DO was sent", TESTNS, "ad.test", A,
	    RECS, "A 192.0.2.10", 0, NULL, SECURE },
	{ "no AD", TESTNS, "noad.test", A, RECS, "A 192.0.2.12", 0, NULL,
	    0 },
	{ "FORMERR without OPT: asked again without EDNS (RFC 6891 7)",
	    TESTNS, "old.test", A, RECS, "A 192.0.2.11", 0, NULL, 0 },
	{ "FORMERR", TESTNS, "formerr.test", A, PERM, NULL, 0, "FORMERR",
	    0 },
	{ "SERVFAIL from testns", TESTNS, "servfail.test", A, TEMP, NULL, 0,
	    "SERVFAIL", 0 },
	{ "REFUSED", TESTNS, "refused.test", A, TEMP, NULL, 0, "REFUSED",
	    0 },
	{ "malformed answer", TESTNS, "bad.test", A, PERM, NULL, 0,
	    "malformed answer", 0 },
	{ "answer with CNAME and NXDOMAIN (RFC 6604 3)", TESTNS,
	    "cnamenx.test", A, NXDOM, NULL, 0, NULL, 0 },
	{ "CNAME chain in the answer: the target's records (RFC 1034 "
	    "3.6.2)", TESTNS, "chain.test", A, RECS,
	    "A 192.0.2.50|A 192.0.2.51", 0, NULL, 0 },
	{ "CNAME asked for, chain not followed", TESTNS, "chain.test",
	    CNAME, RECS, "CNAME mid.test", 0, NULL, 0 },
	{ "CNAME to a name without the type", TESTNS, "cnodata.test", A,
	    NODATA, NULL, 0, NULL, 0 },
	{ "CNAME loop", TESTNS, "loop.test", A, PERM, NULL, 0,
	    "CNAME chain too long", 0 },
	{ "records of other owners and types ignored", TESTNS, "owners.test",
	    A, RECS, "A 192.0.2.21", 0, NULL, 0 },
	{ "name escapes and case (RFC 4343)", TESTNS, "escape.test", PTR,
	    RECS, "PTR we\\.ird\\032name.example", 0, NULL, 0 },
	{ "null MX (RFC 7505)", TESTNS, "nullmx.test", MX, RECS, "MX 0 .", 0,
	    NULL, 0 },
	{ "TC over UDP: asked again over TCP", TESTNS, "tc.test", A, RECS,
	    "A 192.0.2.30", 0, NULL, 0 },
	{ "answer to another question ignored", TESTNS, "wrongq.test", A,
	    TEMP, NULL, 0, "timeout", 0 },
	{ "answer with another ID ignored", TESTNS, "badid.test", A, TEMP,
	    NULL, 0, "timeout", 0 },

	{ "dead server, then a live one", FAILOVER, "a.example.org", A,
	    RECS, "A 192.0.2.1|A 192.0.2.2", 0, NULL, 0 },
	{ "only a dead server", DEAD, "a.example.org", A, TEMP, NULL, 0,
	    "connection refused", 0 },
};

/* rr_text - one record as "TYPE data" */
static void
rr_text(const struct enma_dns_rr *rr, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	switch (rr->type) {
	case A:
	case AAAA:
		inet_ntop(rr->addr.family == 4 ? AF_INET : AF_INET6,
		    rr->addr.addr, ip, sizeof(ip));
		snprintf(buf, len, "%s %s", rr->addr.family == 4 ? "A" :
		    "AAAA", ip);
		break;
	case MX:
		snprintf(buf, len, "MX %u %s", rr->pref, rr->name);
		break;
	case TXT:
	case SPF:
		snprintf(buf, len, "%s %u %.*s", rr->type == TXT ? "TXT" :
		    "SPF", rr->nstrings, (int)rr->txtlen, rr->txt);
		break;
	default:
		snprintf(buf, len, "%s %s", rr->type == PTR ? "PTR" :
		    rr->type == CNAME ? "CNAME" : "?", rr->name);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* answer_text - all records as text, sorted, joined with "|" */
static void
answer_text(const struct enma_dns_answer *ans, char *out, size_t len)
{
	char	**v, one[1024];
	size_t	 i;

	out[0] = '\0';
	if (ans->count == 0 || (v = calloc(ans->count, sizeof(*v))) == NULL)
		return;
	for (i = 0; i < ans->count; i++) {
		rr_text(&ans->rr[i], one, sizeof(one));
		v[i] = strdup(one);
	}
	qsort(v, ans->count, sizeof(*v), cmp_str);
	for (i = 0; i < ans->count; i++) {
		if (i > 0)
			strncat(out, "|", len - strlen(out) - 1);
		strncat(out, v[i] ? v[i] : "?", len - strlen(out) - 1);
		free(v[i]);
	}
	free(v);
}

/* txt_total - bytes of all TXT data, or the record count for others */
static size_t
txt_total(const struct enma_dns_answer *ans)
{
	size_t i, t = 0;

	for (i = 0; i < ans->count; i++)
		t += ans->rr[i].type == TXT ? ans->rr[i].txtlen : 1;
	return t;
}

static void
run_case(const struct tcase *tc)
{
	struct enma_arena	*a;
	struct enma_dns_answer	 ans;
	char			 text[8192];
	enma_status		 st;

	if (res[tc->srv] == NULL)
		return;		/* server not given */
	a = enma_arena_new(0);
	st = res[tc->srv]->ops->query(res[tc->srv]->ctx, tc->name, tc->type,
	    1500, a, &ans);
	CHECK(st == ENMA_OK, "%s: status %d", tc->desc, st);
	CHECK(ans.rcode == tc->rcode, "%s: rcode %s, want %s (%s)", tc->desc,
	    enma_dns_rcode_to_text(ans.rcode),
	    enma_dns_rcode_to_text(tc->rcode), ans.why ? ans.why : "-");
	if (tc->want != NULL) {
		answer_text(&ans, text, sizeof(text));
		CHECK_STR(text, tc->want, tc->desc);
	}
	if (tc->total != 0)
		CHECK(txt_total(&ans) == tc->total, "%s: %zu bytes/records, "
		    "want %zu", tc->desc, txt_total(&ans), tc->total);
	if (tc->why != NULL)
		CHECK_STR(ans.why, tc->why, tc->desc);
	if (tc->rcode == RECS || tc->rcode == NODATA || tc->rcode == NXDOM)
		CHECK(ans.sec == tc->sec, "%s: sec %d, want %d", tc->desc,
		    ans.sec, tc->sec);
	enma_arena_free(a);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* new_res - a resolver for servers at port; NULL when port is 0 */
static struct enma_resolver *
new_res(const char *servers, unsigned port, unsigned timeout_ms,
    unsigned retries)
{
	struct enma_ldns_params	 p = { servers, port, timeout_ms, retries };
	struct enma_resolver	*r = NULL;
	char			 err[256];
	enma_status		 st;

	if (port == 0)
		return NULL;
	st = enma_resolver_ldns_new(&p, &r, err, sizeof(err));
	CHECK(st == ENMA_OK && r != NULL, "new %s port %u: %s", servers, port,
	    err);
	return r;
}

/* test_budget - a silent name: TEMPFAIL "timeout" within the budget */
static void
test_budget(void)
{
	struct enma_resolver	*r;
	struct enma_arena	*a = enma_arena_new(0);
	struct enma_dns_answer	 ans;
	uint64_t		 t0, dt;

	/* per-lookup cap: 3 tries of 2 s would be 6 s */
	r = new_res("127.0.0.1", ports[MAIN], 2000, 3);
	t0 = now_ms();
	r->ops->query(r->ctx, "x.timeout.example.org", A, 400, a, &ans);
	dt = now_ms() - t0;
	CHECK(ans.rcode == TEMP, "silent: rcode %d", ans.rcode);
	CHECK_STR(ans.why, "timeout", "silent: why");
	CHECK(dt >= 380 && dt < 900, "silent: %llu ms for a 400 ms budget",
	    (unsigned long long)dt);
	enma_resolver_free(r);

	/* no cap: tries times the per-try timeout */
	r = new_res("127.0.0.1", ports[MAIN], 250, 2);
	t0 = now_ms();
	r->ops->query(r->ctx, "y.timeout.example.org", A, 0, a, &ans);
	dt = now_ms() - t0;
	CHECK(ans.rcode == TEMP, "retries: rcode %d", ans.rcode);
	CHECK(dt >= 480 && dt < 1000, "retries: %llu ms for 2 tries of 250 ms",
	    (unsigned long long)dt);
	enma_resolver_free(r);
	enma_arena_free(a);
}

/* test_params - creation refuses what it cannot use */
static void
test_params(void)
{
	struct enma_ldns_params	 p = { NULL, 0, 0, 0 };
	struct enma_resolver	*r = NULL;
	char			 err[256];

	p.nameservers = "127.0.0.1, bogus";
	CHECK(enma_resolver_ldns_new(&p, &r, err, sizeof(err)) == ENMA_EINVAL
	    && r == NULL, "bad address accepted");
	CHECK(strstr(err, "bogus") != NULL, "error names the address: %s",
	    err);
	p.nameservers = " , ";
	CHECK(enma_resolver_ldns_new(&p, &r, err, sizeof(err)) == ENMA_EINVAL,
	    "empty list accepted");
	p.nameservers = "127.0.0.1";
	p.port = 65536;
	CHECK(enma_resolver_ldns_new(&p, &r, err, sizeof(err)) == ENMA_EINVAL,
	    "port 65536 accepted");
	p.port = 0;
	p.nameservers = "127.0.0.1 ::1,[::1] 192.0.2.1";
	CHECK(enma_resolver_ldns_new(&p, &r, err, sizeof(err)) == ENMA_OK,
	    "list refused: %s", err);
	enma_resolver_free(r);
	r = NULL;
	p.nameservers = NULL;	/* /etc/resolv.conf */
	CHECK(enma_resolver_ldns_new(&p, &r, err, sizeof(err)) == ENMA_OK,
	    "resolv.conf: %s", err);
	enma_resolver_free(r);
}

/* count_fds - open descriptors of this process */
static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

#define NTHREADS	8
#define PER_THREAD	50

/* find_case - the case described so */
static const struct tcase *
find_case(const char *desc)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(cases[i].desc, desc) == 0)
			return &cases[i];
	fprintf(stderr, "no case \"%s\"\n", desc);
	abort();
}

static void *
worker(void *arg)
{
	const struct tcase	*pick[4] = {
	    find_case("A, two records"),
	    find_case("TXT of two strings joined with nothing (RFC 7208 3.3)"),
	    find_case("NXDOMAIN"),
	    find_case("TXT RRset of 5000 bytes over TCP")
	};
	struct enma_arena	*a = enma_arena_new(0);
	struct enma_dns_answer	 ans;
	char			 text[8192];
	uintptr_t		 bad = 0;
	int			 i;

	(void)arg;
	for (i = 0; i < PER_THREAD; i++) {
		const struct tcase *tc = pick[i % 4];

		res[MAIN]->ops->query(res[MAIN]->ctx, tc->name, tc->type, 3000,
		    a, &ans);
		answer_text(&ans, text, sizeof(text));
		if (ans.rcode != tc->rcode || (tc->want != NULL &&
		    strcmp(text, tc->want) != 0) ||
		    (tc->total != 0 && txt_total(&ans) != tc->total))
			bad++;
		enma_arena_reset(a);
	}
	enma_arena_free(a);
	return (void *)bad;
}

/* test_threads - one resolver, many threads at once */
static void
test_threads(void)
{
	pthread_t	 t[NTHREADS];
	void		*ret;
	uintptr_t	 bad = 0;
	int		 i;

	for (i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], &ret);
		bad += (uintptr_t)ret;
	}
	CHECK(bad == 0, "threads: %lu of %d lookups wrong",
	    (unsigned long)bad, NTHREADS * PER_THREAD);
}

/* bench - time n lookups of a cached name */
static void
bench(unsigned n)
{
	struct enma_arena	*a = enma_arena_new(0);
	struct enma_dns_answer	 ans;
	uint64_t		 t0, dt;
	unsigned		 i;

	t0 = now_ms();
	for (i = 0; i < n; i++) {
		res[MAIN]->ops->query(res[MAIN]->ctx, "a.example.org", A, 0,
		    a, &ans);
		enma_arena_reset(a);
	}
	dt = now_ms() - t0;
	printf("bench: %u lookups over UDP in %llu ms: %.1f us each\n", n,
	    (unsigned long long)dt, n ? dt * 1000.0 / n : 0.0);
	t0 = now_ms();
	for (i = 0; i < n / 10; i++) {
		res[MAIN]->ops->query(res[MAIN]->ctx, "huge.example.org", TXT,
		    0, a, &ans);
		enma_arena_reset(a);
	}
	dt = now_ms() - t0;
	printf("bench: %u lookups with TCP fallback in %llu ms: %.1f us "
	    "each\n", n / 10, (unsigned long long)dt,
	    n / 10 ? dt * 1000.0 / (n / 10) : 0.0);
	enma_arena_free(a);
}

int
main(int argc, char **argv)
{
	unsigned	 nbench = 0;
	size_t		 i;
	int		 c, fds, ipv6 = 0;

	while ((c = getopt(argc, argv, "p:n:u:x:6b:")) != -1) {
		switch (c) {
		case 'p': ports[MAIN] = (unsigned)atoi(optarg); break;
		case 'n': ports[NOTCP] = (unsigned)atoi(optarg); break;
		case 'u': ports[SMALL] = (unsigned)atoi(optarg); break;
		case 'x': ports[TESTNS] = (unsigned)atoi(optarg); break;
		case '6': ipv6 = 1; break;
		case 'b': nbench = (unsigned)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s -p port [-n port] [-u port] "
			    "[-x port] [-6] [-b n]\n", argv[0]);
			return 2;
		}
	}
	if (ports[MAIN] == 0) {
		fprintf(stderr, "%s: -p is required\n", argv[0]);
		return 2;
	}
	fds = count_fds();
	res[MAIN] = new_res("127.0.0.1", ports[MAIN], 1000, 2);
	res[NOTCP] = new_res("127.0.0.1", ports[NOTCP], 1000, 2);
	res[SMALL] = new_res("127.0.0.1", ports[SMALL], 1000, 2);
	res[TESTNS] = new_res("127.0.0.1", ports[TESTNS], 300, 1);
	res[MAIN6] = ipv6 ? new_res("::1", ports[MAIN], 1000, 2) : NULL;
	res[FAILOVER] = new_res("127.0.0.2, 127.0.0.1", ports[MAIN], 1000, 2);
	res[DEAD] = new_res("127.0.0.2", ports[MAIN], 1000, 2);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	if (ipv6) {
		struct tcase tc = cases[0];

		tc.desc = "IPv6 nameserver ::1";
		tc.srv = MAIN6;
		run_case(&tc);
	}
	test_budget();
	test_params();
	test_threads();
	if (nbench > 0)
		bench(nbench);
	for (i = 0; i < NSRV; i++)
		enma_resolver_free(res[i]);
	CHECK(count_fds() == fds, "descriptors: %d before, %d after", fds,
	    count_fds());
	return check_done("dns_ldns");
}
