/*
 * fuzz_zonefile.c - the zone backend's zone-file reader on arbitrary
 * text, and lookups in whatever zone it made
 *
 * The zone backend never runs in a daemon, but enma-check and sidfquery
 * load zone files that users hand them, and the test suites trust it.
 *
 * Properties: a refused text gives "fuzz:LINE: reason"; lookups of a
 * few names (those the seeds use, and their parents and children) give
 * one of the five outcomes, records of the type asked with a NUL after
 * TXT bytes; a name that exists (records, no data or a marked failure)
 * has parents that exist too (RFC 4592 2.2.2, RFC 8020 2); the same
 * lookup twice gives the same answer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <enma/dns.h>

#define FUZZ_ARENA	(4u * 1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* names asked, child before parent */
static const char *const names[] = {
	"x._adsp._domainkey.example.org", "_adsp._domainkey.example.org",
	"_domainkey.example.org", "www.example.org", "alias.example.org",
	"mail.example.org", "example.org", "org", "rsa._domainkey.example.net",
	"example.net", "a.b.c", "b.c", "c", "",
};

static const uint16_t types[] = {
	ENMA_DNS_A, ENMA_DNS_AAAA, ENMA_DNS_MX, ENMA_DNS_TXT, ENMA_DNS_SPF,
	ENMA_DNS_CNAME, ENMA_DNS_PTR,
};

#define NNAMES	(sizeof(names) / sizeof(names[0]))
#define NTYPES	(sizeof(types) / sizeof(types[0]))

/* check - a broken promise is a crash the fuzzer reports */
static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* answer_ok - one answer of the zone backend */
static void
answer_ok(const struct enma_dns_answer *ans, uint16_t type)
{
	size_t i;

	check(ans->rcode >= ENMA_DNS_RECORDS &&
	    ans->rcode <= ENMA_DNS_PERMFAIL);
	if (ans->rcode != ENMA_DNS_RECORDS) {
		check(ans->count == 0);
		return;
	}
	check(ans->count >= 1 && ans->count <= ENMA_DNS_MAX_RR);
	for (i = 0; i < ans->count; i++) {
		check(ans->rr[i].type == type);
		if (type == ENMA_DNS_TXT || type == ENMA_DNS_SPF)
			check(ans->rr[i].txt != NULL &&
			    ans->rr[i].txt[ans->rr[i].txtlen] == '\0');
		if (type == ENMA_DNS_MX || type == ENMA_DNS_CNAME ||
		    type == ENMA_DNS_PTR)
			check(ans->rr[i].name != NULL);
		if (type == ENMA_DNS_A)
			check(ans->rr[i].addr.family == 4);
		if (type == ENMA_DNS_AAAA)
			check(ans->rr[i].addr.family == 6);
	}
}

/* parent - the name without its first label, or NULL at the top */
static const char *
parent(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot != NULL ? dot + 1 : NULL;
}

/* lookups - every name and type; existence goes up the tree */
static void
lookups(struct enma_resolver *r, struct enma_arena *a)
{
	struct enma_dns_ctx	 dns;
	struct enma_dns_answer	 ans, again, up;
	const char		*p;
	size_t			 i, j;

	enma_dns_ctx_init(&dns, r, 0, 0);
	for (i = 0; i < NNAMES; i++) {
		for (j = 0; j < NTYPES; j++) {
			check(enma_dns_lookup(&dns, names[i], types[j], a,
			    &ans) == ENMA_OK);
			answer_ok(&ans, types[j]);
			(void)enma_dns_lookup(&dns, names[i], types[j], a,
			    &again);
			check(again.rcode == ans.rcode &&
			    again.count == ans.count);
		}
		/* CNAME: the name's own records, none followed */
		if (ans.rcode == ENMA_DNS_NXDOMAIN ||
		    (p = parent(names[i])) == NULL)
			continue;
		(void)enma_dns_lookup(&dns, p, ENMA_DNS_CNAME, a, &up);
		check(up.rcode != ENMA_DNS_NXDOMAIN);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enma_zone	*z = enma_zone_new();
	struct enma_resolver	*r = NULL;
	struct enma_arena	*a = enma_arena_new(FUZZ_ARENA);
	char			 err[256];
	enma_status		 st;

	if (z == NULL || a == NULL ||
	    enma_resolver_zone_new(z, &r) != ENMA_OK)
		goto done;
	err[0] = '\0';
	st = enma_zone_load_span(z, enma_span_make(data, size), "fuzz", err,
	    sizeof(err));
	check(st == ENMA_OK || st == ENMA_ESYNTAX || st == ENMA_EINVAL ||
	    st == ENMA_ELIMIT || st == ENMA_ENOMEM);
	if (st == ENMA_ESYNTAX)
		check(strncmp(err, "fuzz:", 5) == 0);
	/* what was added before a bad line stays: look it up either way */
	lookups(r, a);
done:
	enma_resolver_free(r);
	enma_zone_free(z);
	enma_arena_free(a);
	return 0;
}
