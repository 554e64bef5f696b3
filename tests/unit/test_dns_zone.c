/*
 * test_dns_zone.c - the zone backend: names that exist only because
 * names below them do (empty non-terminals), and zone data from memory
 *
 * Expected rcodes come from RFC 1034 3.1 and 4.3.2 (a node exists when
 * it or a node below it owns records), RFC 4592 2.2.2 ("empty
 * non-terminals ... are nodes" and answer NOERROR with no data) and
 * RFC 8020 2 (NXDOMAIN means nothing exists at or below the name).  The
 * other zone tests (syntax, CNAME, TIMEOUT) are in test_spf.c.
 */
#include <stdio.h>
#include <string.h>

#include <enma/dns.h>

#include "check.h"

struct ent_case {
	const char		*name;
	uint16_t		 type;
	enum enma_dns_rcode	 want;
};

/* zone: only _adsp._domainkey.example.org and a.b.c.test.net own records */
static const struct ent_case ent_cases[] = {
	{ "_adsp._domainkey.example.org", ENMA_DNS_TXT, ENMA_DNS_RECORDS },
	{ "_adsp._domainkey.example.org", ENMA_DNS_A, ENMA_DNS_NODATA },
	/* RFC 4592 2.2.2, RFC 8020 2: empty non-terminals exist */
	{ "_domainkey.example.org", ENMA_DNS_TXT, ENMA_DNS_NODATA },
	{ "example.org", ENMA_DNS_A, ENMA_DNS_NODATA },
	{ "EXAMPLE.org.", ENMA_DNS_MX, ENMA_DNS_NODATA },
	{ "org", ENMA_DNS_A, ENMA_DNS_NODATA },
	{ "b.c.test.net", ENMA_DNS_A, ENMA_DNS_NODATA },
	{ "c.test.net", ENMA_DNS_TXT, ENMA_DNS_NODATA },
	{ "test.net", ENMA_DNS_AAAA, ENMA_DNS_NODATA },
	/* nothing at or below these */
	{ "x._adsp._domainkey.example.org", ENMA_DNS_A, ENMA_DNS_NXDOMAIN },
	{ "other.example.org", ENMA_DNS_A, ENMA_DNS_NXDOMAIN },
	{ "xexample.org", ENMA_DNS_A, ENMA_DNS_NXDOMAIN },
	{ "domainkey.example.org", ENMA_DNS_TXT, ENMA_DNS_NXDOMAIN },
	{ "a.b.c.test.net.x", ENMA_DNS_A, ENMA_DNS_NXDOMAIN },
	{ "net.test", ENMA_DNS_A, ENMA_DNS_NXDOMAIN },
	{ "com", ENMA_DNS_A, ENMA_DNS_NXDOMAIN },
};

/* run_cases - each case against the zone z */
static void
run_cases(struct enma_zone *z, const struct ent_case *c, size_t n,
    const char *what)
{
	struct enma_resolver	*r = NULL;
	struct enma_arena	*a = enma_arena_new(0);
	struct enma_dns_ctx	 dns;
	struct enma_dns_answer	 ans;
	size_t			 i;

	CHECK(enma_resolver_zone_new(z, &r) == ENMA_OK, "%s: resolver", what);
	enma_dns_ctx_init(&dns, r, 0, 0);
	for (i = 0; i < n; i++) {
		memset(&ans, 0, sizeof(ans));
		CHECK(enma_dns_lookup(&dns, c[i].name, c[i].type, a, &ans) ==
		    ENMA_OK, "%s: lookup %s", what, c[i].name);
		CHECK(ans.rcode == c[i].want, "%s: %s %s: got %s, want %s",
		    what, c[i].name, enma_dns_type_to_text(c[i].type),
		    enma_dns_rcode_to_text(ans.rcode),
		    enma_dns_rcode_to_text(c[i].want));
	}
	enma_resolver_free(r);
	enma_arena_free(a);
}

/* test_ent_api - records added one by one */
static void
test_ent_api(void)
{
	struct enma_zone *z = enma_zone_new();

	CHECK(z != NULL, "zone");
	CHECK(enma_zone_add(z, "_adsp._domainkey.Example.ORG.", ENMA_DNS_TXT,
	    "\"dkim=all\"") == ENMA_OK, "add ADSP record");
	CHECK(enma_zone_add(z, "a.b.c.test.net", ENMA_DNS_A, "192.0.2.1") ==
	    ENMA_OK, "add A record");
	run_cases(z, ent_cases, sizeof(ent_cases) / sizeof(ent_cases[0]),
	    "api");
	enma_zone_free(z);
}

/* the same zone as zone-file text, loaded from memory */
static const char ent_zone[] =
    "$ORIGIN example.org.\n"
    "_adsp._domainkey TXT \"dkim=all\"\n"
    "a.b.c.test.net. 300 IN A 192.0.2.1\n";

/* test_ent_span - the zone-file text through enma_zone_load_span */
static void
test_ent_span(void)
{
	struct enma_zone	*z = enma_zone_new();
	char			 err[128] = "";

	CHECK(enma_zone_load_span(z, enma_span_make(ent_zone,
	    sizeof(ent_zone) - 1), "ent", err, sizeof(err)) == ENMA_OK,
	    "load_span: %s", err);
	run_cases(z, ent_cases, sizeof(ent_cases) / sizeof(ent_cases[0]),
	    "span");
	enma_zone_free(z);
}

/* a TIMEOUT name still times out; its parent is only an empty node */
static const struct ent_case timeout_cases[] = {
	{ "slow.example.org", ENMA_DNS_TXT, ENMA_DNS_TEMPFAIL },
	{ "example.org", ENMA_DNS_TXT, ENMA_DNS_NODATA },
	{ "fail.x.example.org", ENMA_DNS_A, ENMA_DNS_TEMPFAIL },
	{ "x.example.org", ENMA_DNS_A, ENMA_DNS_NODATA },
};

static void
test_ent_marks(void)
{
	struct enma_zone *z = enma_zone_new();

	CHECK(enma_zone_add_timeout(z, "slow.example.org") == ENMA_OK &&
	    enma_zone_add_servfail(z, "fail.x.example.org") == ENMA_OK,
	    "marks");
	run_cases(z, timeout_cases,
	    sizeof(timeout_cases) / sizeof(timeout_cases[0]), "marks");
	enma_zone_free(z);
}

/* test_span_errors - "name:line: reason", and no read past the span */
static void
test_span_errors(void)
{
	static const char text[] = "ok A 192.0.2.1\nbad A 192.0.2.999\n";
	struct enma_zone	*z = enma_zone_new();
	struct enma_resolver	*r = NULL;
	struct enma_arena	*a = enma_arena_new(0);
	struct enma_dns_ctx	 dns;
	struct enma_dns_answer	 ans;
	char			 err[128] = "";

	CHECK(enma_zone_load_span(z, enma_span_make(text, sizeof(text) - 1),
	    "mem", err, sizeof(err)) == ENMA_ESYNTAX, "bad line refused");
	CHECK(strncmp(err, "mem:2: ", 7) == 0, "error: \"%s\"", err);
	/* the span ends before "999": the line then reads 192.0.2.9 */
	err[0] = '\0';
	CHECK(enma_zone_load_span(z, enma_span_make(text + 15, 15), "cut",
	    err, sizeof(err)) == ENMA_OK, "cut span: %s", err);
	CHECK(enma_zone_load_span(NULL, enma_span_make(text, 1), "x", err,
	    sizeof(err)) == ENMA_EINVAL, "NULL zone");
	CHECK(enma_zone_load_span(z, enma_span_make(NULL, 0), "empty", err,
	    sizeof(err)) == ENMA_OK, "empty span");
	enma_resolver_zone_new(z, &r);
	enma_dns_ctx_init(&dns, r, 0, 0);
	enma_dns_lookup(&dns, "bad", ENMA_DNS_A, a, &ans);
	CHECK(ans.rcode == ENMA_DNS_RECORDS && ans.count == 1 &&
	    ans.rr[0].addr.addr[3] == 9, "cut span read past its end");
	enma_resolver_free(r);
	enma_arena_free(a);
	enma_zone_free(z);
}

/* test_long_mx - an MX whose preference does not fit is refused; it
 * was cut to its first digits and the exchange lost (a null MX) */
static void
test_long_mx(void)
{
	struct enma_zone	*z = enma_zone_new();
	char			 text[600], err[128] = "";
	size_t			 n;

	n = (size_t)snprintf(text, sizeof(text), "$ORIGIN example.org.\n"
	    "mail MX %0300u mx1\n", 10u);
	CHECK(enma_zone_load_span(z, enma_span_make(text, n), "mx", err,
	    sizeof(err)) == ENMA_ESYNTAX && strncmp(err, "mx:2: ", 6) == 0,
	    "long MX preference: \"%s\"", err);
	enma_zone_free(z);
}

int
main(void)
{
	test_ent_api();
	test_ent_span();
	test_ent_marks();
	test_span_errors();
	test_long_mx();
	return check_done("test_dns_zone");
}
