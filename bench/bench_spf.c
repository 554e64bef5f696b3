/*
 * bench_spf - SPF evaluations per second, libenma against libspf2
 *
 * Both sides answer from an in-memory zone holding the same records and
 * evaluate the same (sender, client) pairs on one thread.  Each case is
 * first checked to give its expected verdict on both sides; then the
 * two sides take turns, BENCH_ROUNDS timed runs each, every run sized
 * to take about BENCH_TARGET_MS / BENCH_ROUNDS, and the best run of
 * each side is reported (the machine may be shared: best-of-N drops the
 * runs that other load slowed down).
 *
 * Per iteration, libenma: reset the per-message arena (it keeps its
 * first block), initialise a DNS context (no budget), fill the request
 * on the stack, enma_spf_check().  The zone resolver is made once.
 *
 * Per iteration, libspf2, as its documentation and spfquery use it: the
 * SPF_server_t (with its SPF_DNS_ZONE layer) is made once; then
 * SPF_request_new(), set IPv4 client, HELO and MAIL FROM,
 * SPF_request_query_mailfrom(), SPF_response_result(), and free the
 * response and the request.  libspf2 builds its Received-SPF text inside
 * the query; we do not ask for an Authentication-Results text, which is
 * the engine's job, not the evaluator's.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <netdb.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <spf2/spf.h>
#include <spf2/spf_dns_zone.h>

#include <enma/util.h>
#include <enma/dns.h>
#include <enma/spf.h>

#define BENCH_TARGET_MS		1500	/* time one side spends on one case */
#define BENCH_ROUNDS		5	/* timed runs per side, alternating */
#define BENCH_CALIBRATE_MS	100	/* run at least this long to size it */
#define BENCH_ARENA_LIMIT	(1024u * 1024)
#define BENCH_MAX_RR		8
#define BENCH_GOAL		2.0	/* wanted ratio enma / libspf2 */

/* One record of the shared zone data. */
struct bench_rr {
	const char	*name;
	uint16_t	 type;		/* ENMA_DNS_*; same numbers as ns_t_* */
	const char	*data;		/* TXT text, address, or MX host */
	unsigned	 pref;		/* MX */
};

struct bench_case {
	const char	*name;
	const char	*local;		/* sender local part */
	const char	*domain;	/* sender domain */
	const char	*client;	/* IPv4 */
	struct bench_rr	 rr[BENCH_MAX_RR];
};

/*
 * The cases.  Expected verdicts, worked out by RFC 7208 rules:
 * ip4-hit: 192.0.2.10 is in ip4:192.0.2.0/24 (5.6): pass.
 * include-tree: the top record's two ip4 terms miss; include:b (5.2)
 * gives fail (its -all), which is "not match"; include:c matches on its
 * fourth term: pass.  3 domains, 5 terms each, 2 DNS terms counted.
 * a-mx: "a" (5.3) looks up the domain's A (192.0.2.1), no match; "mx"
 * (5.4) looks up MX, then mx1's A (192.0.2.2), no match, then mx2's A
 * (198.51.100.20), match: pass.
 */
static const struct bench_case cases[] = {
	{ "ip4-hit", "user", "ip4.bench.example", "192.0.2.10", {
		{ "ip4.bench.example", ENMA_DNS_TXT,
		    "v=spf1 ip4:192.0.2.0/24 -all", 0 },
		{ NULL, 0, NULL, 0 } } },
	{ "include-tree", "user", "inc.bench.example", "192.0.2.77", {
		{ "inc.bench.example", ENMA_DNS_TXT,
		    "v=spf1 ip4:10.0.1.0/24 ip4:10.0.2.0/24 "
		    "include:b.inc.bench.example "
		    "include:c.inc.bench.example -all", 0 },
		{ "b.inc.bench.example", ENMA_DNS_TXT,
		    "v=spf1 ip4:10.1.1.0/24 ip4:10.1.2.0/24 ip4:10.1.3.0/24 "
		    "ip6:2001:db8:1::/48 -all", 0 },
		{ "c.inc.bench.example", ENMA_DNS_TXT,
		    "v=spf1 ip4:10.2.1.0/24 ip4:10.2.2.0/24 ip4:10.2.3.0/24 "
		    "ip4:192.0.2.0/24 -all", 0 },
		{ NULL, 0, NULL, 0 } } },
	{ "a-mx", "user", "am.bench.example", "198.51.100.20", {
		{ "am.bench.example", ENMA_DNS_TXT, "v=spf1 a mx -all", 0 },
		{ "am.bench.example", ENMA_DNS_A, "192.0.2.1", 0 },
		{ "am.bench.example", ENMA_DNS_MX, "mx1.am.bench.example",
		    10 },
		{ "am.bench.example", ENMA_DNS_MX, "mx2.am.bench.example",
		    20 },
		{ "mx1.am.bench.example", ENMA_DNS_A, "192.0.2.2", 0 },
		{ "mx2.am.bench.example", ENMA_DNS_A, "198.51.100.20", 0 },
		{ NULL, 0, NULL, 0 } } },
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/* The state of one side for one case. */
struct enma_side {
	struct enma_resolver	*resolver;
	struct enma_arena	*arena;
	struct enma_ip		 ip;
	const char		*local, *domain;
};

struct spf2_side {
	SPF_server_t		*server;
	const char		*client;
	char			 sender[300];	/* local@domain */
};

static void
die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_spf: %s: %s\n", what, detail);
	exit(1);
}

/* now_ns - monotonic clock in nanoseconds */
static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* enma_zone_fill - every case's records into one libenma zone */
static struct enma_zone *
enma_zone_fill(void)
{
	struct enma_zone *z;
	const struct bench_rr *rr;
	struct enma_span txt;
	char mx[300];
	enma_status st;
	size_t i;

	if ((z = enma_zone_new()) == NULL)
		die("enma_zone_new", "out of memory");
	for (i = 0; i < NCASES; i++)
		for (rr = cases[i].rr; rr->name != NULL; rr++) {
			if (rr->type == ENMA_DNS_TXT) {
				txt = enma_span_from_cstr(rr->data);
				st = enma_zone_add_txt(z, rr->name, rr->type,
				    &txt, 1);
			} else if (rr->type == ENMA_DNS_MX) {
				snprintf(mx, sizeof(mx), "%u %s", rr->pref,
				    rr->data);
				st = enma_zone_add(z, rr->name, rr->type, mx);
			} else
				st = enma_zone_add(z, rr->name, rr->type,
				    rr->data);
			if (st != ENMA_OK)
				die(rr->name, enma_strerror(st));
		}
	return z;
}

/* spf2_server_fill - the same records into libspf2's zone layer */
static SPF_server_t *
spf2_server_fill(void)
{
	SPF_server_t *server;
	const struct bench_rr *rr;
	size_t i;

	if ((server = SPF_server_new(SPF_DNS_ZONE, 0)) == NULL)
		die("SPF_server_new", "failed");
	for (i = 0; i < NCASES; i++)
		for (rr = cases[i].rr; rr->name != NULL; rr++)
			/* libspf2's zone keeps MX targets without a pref */
			if (SPF_dns_zone_add_str(server->resolver, rr->name,
			    (ns_type)rr->type, NETDB_SUCCESS, rr->data) !=
			    SPF_E_SUCCESS)
				die("SPF_dns_zone_add_str", rr->name);
	return server;
}

/* enma_once - one evaluation on our side */
static enum enma_spf_result
enma_once(struct enma_side *s)
{
	struct enma_spf_request req;
	struct enma_spf_response res;
	struct enma_dns_ctx dns;

	enma_arena_reset(s->arena);
	enma_dns_ctx_init(&dns, s->resolver, 0, 0);
	memset(&req, 0, sizeof(req));
	req.scope = ENMA_SPF_SCOPE_SPF1;
	req.ip = s->ip;
	req.sender_local = s->local;
	req.sender_domain = s->domain;
	req.helo = "mail.client.example";
	req.dns = &dns;
	if (enma_spf_check(&req, s->arena, &res) != ENMA_OK)
		return ENMA_SPF_UNSET;
	return res.result;
}

/* spf2_once - one evaluation on libspf2's side */
static SPF_result_t
spf2_once(struct spf2_side *s)
{
	SPF_request_t *req;
	SPF_response_t *res = NULL;
	SPF_result_t r;

	if ((req = SPF_request_new(s->server)) == NULL)
		die("SPF_request_new", "failed");
	SPF_request_set_ipv4_str(req, s->client);
	SPF_request_set_helo_dom(req, "mail.client.example");
	SPF_request_set_env_from(req, s->sender);
	SPF_request_query_mailfrom(req, &res);
	r = res != NULL ? SPF_response_result(res) : SPF_RESULT_INVALID;
	SPF_response_free(res);
	SPF_request_free(req);
	return r;
}

/* enma_run - n evaluations; returns the elapsed nanoseconds */
static uint64_t
enma_run(struct enma_side *s, uint64_t n)
{
	uint64_t t0 = now_ns(), i;

	for (i = 0; i < n; i++)
		if (enma_once(s) != ENMA_SPF_PASS)
			die("enma", "verdict changed while timing");
	return now_ns() - t0;
}

/* spf2_run - n evaluations; returns the elapsed nanoseconds */
static uint64_t
spf2_run(struct spf2_side *s, uint64_t n)
{
	uint64_t t0 = now_ns(), i;

	for (i = 0; i < n; i++)
		if (spf2_once(s) != SPF_RESULT_PASS)
			die("libspf2", "verdict changed while timing");
	return now_ns() - t0;
}

/*
 * size_run - the number of iterations that take about BENCH_TARGET_MS /
 * BENCH_ROUNDS: grow n until a run takes BENCH_CALIBRATE_MS, then scale
 */
static uint64_t
size_run(uint64_t (*run)(void *, uint64_t), void *side)
{
	uint64_t n = 64, ns;

	while ((ns = run(side, n)) < BENCH_CALIBRATE_MS * 1000000ull)
		n *= 2;
	return (uint64_t)((double)n * BENCH_TARGET_MS * 1e6 /
	    BENCH_ROUNDS / (double)ns) + 1;
}

/* rate - evaluations per second of one timed run of n */
static double
rate(uint64_t (*run)(void *, uint64_t), void *side, uint64_t n)
{
	return (double)n * 1e9 / (double)run(side, n);
}

static uint64_t
enma_run_v(void *s, uint64_t n)
{
	return enma_run(s, n);
}

static uint64_t
spf2_run_v(void *s, uint64_t n)
{
	return spf2_run(s, n);
}

/* enma_side_init - the client and sender of case c on our side */
static void
enma_side_init(struct enma_side *s, const struct bench_case *c,
    struct enma_resolver *resolver)
{
	s->resolver = resolver;
	if ((s->arena = enma_arena_new(BENCH_ARENA_LIMIT)) == NULL)
		die("enma_arena_new", "out of memory");
	if (enma_ip_from_text(enma_span_from_cstr(c->client), &s->ip) !=
	    ENMA_OK)
		die("enma_ip_from_text", c->client);
	s->local = c->local;
	s->domain = c->domain;
}

/*
 * bench_case - check both verdicts, time both sides, print one line;
 * only = "enma" or "libspf2" times that side alone (for perf), and the
 * ratio returned is then 0
 */
static double
bench_case(const struct bench_case *c, struct enma_resolver *resolver,
    SPF_server_t *server, const char *only)
{
	struct enma_side es;
	struct spf2_side ls;
	enum enma_spf_result er;
	SPF_result_t lr;
	uint64_t en, ln;
	double erate, lrate;
	int r;

	enma_side_init(&es, c, resolver);
	ls.server = server;
	ls.client = c->client;
	snprintf(ls.sender, sizeof(ls.sender), "%s@%s", c->local, c->domain);
	er = enma_once(&es);
	lr = spf2_once(&ls);
	if (er != ENMA_SPF_PASS || lr != SPF_RESULT_PASS) {
		fprintf(stderr, "bench_spf: %s: want pass, enma gave %s, "
		    "libspf2 gave %s\n", c->name, enma_spf_result_to_text(er),
		    SPF_strresult(lr));
		exit(1);
	}
	/* alternate the sides and keep each one's best round, so that a
	 * burst of other load on the machine hits both or is dropped */
	en = only == NULL || strcmp(only, "enma") == 0 ?
	    size_run(enma_run_v, &es) : 0;
	ln = only == NULL || strcmp(only, "libspf2") == 0 ?
	    size_run(spf2_run_v, &ls) : 0;
	erate = lrate = 0;
	for (r = 0; r < BENCH_ROUNDS; r++) {
		if (en > 0)
			erate = fmax(erate, rate(enma_run_v, &es, en));
		if (ln > 0)
			lrate = fmax(lrate, rate(spf2_run_v, &ls, ln));
	}
	enma_arena_free(es.arena);
	if (only != NULL) {
		printf("spf %s: %s %.0f/s (best of %d runs of %llu)\n",
		    c->name, only, en > 0 ? erate : lrate, BENCH_ROUNDS,
		    (unsigned long long)(en > 0 ? en : ln));
		return 0;
	}
	printf("spf %s: enma %.0f/s libspf2 %.0f/s ratio %.2fx "
	    "(best of %d runs of %llu and %llu)\n", c->name, erate, lrate,
	    erate / lrate, BENCH_ROUNDS, (unsigned long long)en,
	    (unsigned long long)ln);
	fflush(stdout);
	return erate / lrate;
}

/* selected - no case named on the command line, or this one named */
static int
selected(const char *name, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return argc == 0;
}

/* usage: bench_spf [-o enma | -o libspf2] [case ...] */
int
main(int argc, char **argv)
{
	struct enma_zone *zone;
	struct enma_resolver *resolver;
	SPF_server_t *server;
	const char *only = NULL;
	double ratio, worst = 0, prod = 1;
	size_t i, n = 0;
	int c;

	while ((c = getopt(argc, argv, "o:")) != -1) {
		if (c != 'o' || (strcmp(optarg, "enma") != 0 &&
		    strcmp(optarg, "libspf2") != 0))
			die("usage", "bench_spf [-o enma|libspf2] [case ...]");
		only = optarg;
	}
	zone = enma_zone_fill();
	if (enma_resolver_zone_new(zone, &resolver) != ENMA_OK)
		die("enma_resolver_zone_new", "failed");
	server = spf2_server_fill();
	for (i = 0; i < NCASES; i++) {
		if (!selected(cases[i].name, argc - optind, argv + optind))
			continue;
		ratio = bench_case(&cases[i], resolver, server, only);
		prod *= ratio;
		if (n++ == 0 || ratio < worst)
			worst = ratio;
	}
	if (only == NULL && n > 0)
		printf("spf: %zu cases, one thread, libspf2 %d.%d.%d: worst "
		    "ratio %.2fx, geometric mean %.2fx (goal >= %.1fx each): "
		    "%s\n", n, SPF_LIB_VERSION_MAJOR, SPF_LIB_VERSION_MINOR,
		    SPF_LIB_VERSION_PATCH, worst, pow(prod, 1.0 / (double)n),
		    BENCH_GOAL, worst >= BENCH_GOAL ? "met" : "NOT MET");
	SPF_server_free(server);
	enma_resolver_free(resolver);
	enma_zone_free(zone);
	return 0;
}
