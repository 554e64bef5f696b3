/*
 * test_spf.c - SPF macros, record syntax, limits, and the zone backend
 *
 * Expected values come from RFC 7208 (the 7.4 examples, the ABNF of 12,
 * the limits of 4.6.4), RFC 4406 3.1 and RFC 1035 5.1; none was taken
 * from running this code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <enma/dns.h>
#include <enma/spf.h>

#include "check.h"

/* ---- macro expansion: RFC 7208 7.4 ------------------------------------ */

struct macro_case {
	const char	*in;
	const char	*want;	/* NULL: a syntax error */
	int		 explain;
};

/* RFC 7208 7.4: sender strong-bad@email.example.com, IPv4 192.0.2.3 */
static const struct macro_case rfc_v4[] = {
	{ "%{s}", "strong-bad@email.example.com", 0 },
	{ "%{o}", "email.example.com", 0 },
	{ "%{d}", "email.example.com", 0 },
	{ "%{d4}", "email.example.com", 0 },
	{ "%{d3}", "email.example.com", 0 },
	{ "%{d2}", "example.com", 0 },
	{ "%{d1}", "com", 0 },
	{ "%{dr}", "com.example.email", 0 },
	{ "%{d2r}", "example.email", 0 },
	{ "%{l}", "strong-bad", 0 },
	{ "%{l-}", "strong.bad", 0 },
	{ "%{lr}", "strong-bad", 0 },
	{ "%{lr-}", "bad.strong", 0 },
	{ "%{l1r-}", "strong", 0 },
	{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com", 0 },
	{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com", 0 },
	{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
	    "bad.strong.lp.3.2.0.192.in-addr._spf.example.com", 0 },
	{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
	    "3.2.0.192.in-addr.strong.lp._spf.example.com", 0 },
	{ "%{d2}.trusted-domains.example.net",
	    "example.com.trusted-domains.example.net", 0 },
	/* RFC 7208 7.1 special cases */
	{ "%%", "%", 0 },
	{ "a%_b", "a b", 1 },
	{ "a%-b", "a%20b", 1 },
	/* 7.3: %{c} is the readable address, exp text only (7.2) */
	{ "%{c}", "192.0.2.3", 1 },
	{ "%{c}", NULL, 0 },
	{ "%{r}", NULL, 0 },
	{ "%{t}", NULL, 0 },
	/* 7.3: uppercase letters are URL-escaped (RFC 3986 unreserved kept) */
	{ "%{S}", "strong-bad%40email.example.com", 0 },
	/* 7.3: transformer values larger than the parts keep them all */
	{ "%{d99}", "email.example.com", 0 },
	{ "%{d2r.}", "example.email", 0 },
	/* 7.1: syntax errors */
	{ "%", NULL, 0 },
	{ "%{", NULL, 0 },
	{ "%{d", NULL, 0 },
	{ "%{q}", NULL, 0 },
	{ "%{d0}", NULL, 0 },		/* 7.3: DIGIT must be nonzero */
	{ "%(ir)", NULL, 0 },		/* the RFC's own bad example */
	{ "%{dx}", NULL, 0 },
	{ "%{d2r!}", NULL, 0 },
	{ "a b", NULL, 0 },		/* SP only in explain-string */
	{ "a b", "a b", 1 },
	{ "\x80", NULL, 1 },		/* 3.1: 7-bit ASCII only */
	/* 7.3: a trailing dot is dropped from domain names only */
	{ "%{d}.", "email.example.com", 0 },
	{ "%{d}.", "email.example.com.", 1 },
	/* %{p} without DNS is "unknown" (7.3: no validated name) */
	{ "%{p}", "unknown", 0 },
	{ "%{v}", "in-addr", 0 },
	{ "%{h}", "mx.example.org", 0 },
};

/* RFC 7208 7.4: the same sender from 2001:db8::cb01 */
static const struct macro_case rfc_v6[] = {
	{ "%{ir}.%{v}._spf.%{d2}", "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com", 0 },
	{ "%{v}", "ip6", 0 },
	{ "%{c}", "2001:db8::cb01", 1 },	/* RFC 5952 form */
	{ "%{i2r}", "0.2", 0 },
};

static void
macro_request(struct enma_spf_request *req, const char *ip)
{
	memset(req, 0, sizeof(*req));
	req->scope = ENMA_SPF_SCOPE_SPF1;
	enma_ip_from_text(enma_span_from_cstr(ip), &req->ip);
	req->sender_local = "strong-bad";
	req->sender_domain = "email.example.com";
	req->helo = "mx.example.org";
}

static void
run_macros(const char *ip, const struct macro_case *c, size_t n)
{
	struct enma_spf_request	 req;
	struct enma_arena	*a = enma_arena_new(0);
	const char		*out;
	enma_status		 st;
	size_t			 i;

	macro_request(&req, ip);
	for (i = 0; i < n; i++) {
		st = enma_spf_macro_expand(enma_span_from_cstr(c[i].in), &req,
		    "email.example.com", c[i].explain, a, &out);
		if (c[i].want == NULL)
			CHECK(st == ENMA_ESYNTAX, "macro %s (%s): status %d, "
			    "want a syntax error", c[i].in, ip, st);
		else {
			CHECK(st == ENMA_OK, "macro %s (%s): status %d",
			    c[i].in, ip, st);
			CHECK_STR(st == ENMA_OK ? out : NULL, c[i].want,
			    c[i].in);
		}
	}
	enma_arena_free(a);
}

/* test_macro_edges - URL escaping, %{t}, and the 253-byte rule of 7.3 */
static void
test_macro_edges(void)
{
	struct enma_spf_request	 req;
	struct enma_arena	*a = enma_arena_new(0);
	const char		*out;
	char			 in[400], want[300];
	int			 i;

	macro_request(&req, "192.0.2.3");
	req.sender_local = "~jack&jill=up-a_b3.c";
	CHECK(enma_spf_macro_expand(ENMA_SPAN_LIT("%{L}"), &req,
	    "e.example.com", 1, a, &out) == ENMA_OK, "%%{L}");
	CHECK_STR(out, "~jack%26jill%3Dup-a_b3.c", "RFC 3986 escaping");
	req.sender_local = "";
	CHECK(enma_spf_macro_expand(ENMA_SPAN_LIT("%{l}"), &req,
	    "e.example.com", 0, a, &out) == ENMA_OK, "empty local");
	CHECK_STR(out, "postmaster", "RFC 7208 4.3 postmaster");
	CHECK(enma_spf_macro_expand(ENMA_SPAN_LIT("%{t}"), &req,
	    "e.example.com", 1, a, &out) == ENMA_OK && out[0] >= '1' &&
	    out[0] <= '9', "%%{t} is a decimal timestamp");
	/* 60 labels "abc." (240) + "%{d}" (13) + ".x.org" = 259 > 253:
	 * labels are dropped from the left until it fits */
	in[0] = want[0] = '\0';
	for (i = 0; i < 60; i++)
		strcat(in, "abc.");
	strcat(in, "%{d}.x.org");
	for (i = 0; i < 58; i++)
		strcat(want, "abc.");
	strcat(want, "e.example.com.x.org");
	CHECK(enma_spf_macro_expand(enma_span_from_cstr(in), &req,
	    "e.example.com", 0, a, &out) == ENMA_OK, "long expansion");
	CHECK_STR(out, want, "RFC 7208 7.3 truncation");
	CHECK(strlen(out) <= 253, "fits in 253 bytes: %zu", strlen(out));
	enma_arena_free(a);
}

/* ---- record syntax: RFC 7208 12 ABNF ---------------------------------- */

struct parse_case {
	const char		*rec;
	enum enma_spf_scope	 scope;
	int			 ok;
	size_t			 terms;
};

#define S1	ENMA_SPF_SCOPE_SPF1
#define MF	ENMA_SPF_SCOPE_MFROM
#define PR	ENMA_SPF_SCOPE_PRA

static const struct parse_case parse_cases[] = {
	{ "v=spf1", S1, 1, 0 },
	{ "v=spf1 ", S1, 1, 0 },			/* 4.5: *SP at end */
	{ "V=SpF1 -all", S1, 1, 1 },			/* case-insensitive */
	{ "v=spf1  a   -all", S1, 1, 2 },		/* 1*SP between */
	{ "v=spf10", S1, 0, 0 },			/* SP or end */
	{ "v=spf1\t-all", S1, 0, 0 },
	{ "v=spf1 a/24//64 mx:x.example.com/0//0 -all", S1, 1, 3 },
	{ "v=spf1 a/24/64", S1, 0, 0 },
	{ "v=spf1 a/33", S1, 0, 0 },
	{ "v=spf1 a//129", S1, 0, 0 },
	{ "v=spf1 a//128", S1, 1, 1 },
	{ "v=spf1 a/032", S1, 0, 0 },			/* leading zero */
	{ "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32", S1, 1, 2 },
	{ "v=spf1 ip4:192.0.2.1/032", S1, 0, 0 },
	{ "v=spf1 ip4:192.0.02.1", S1, 0, 0 },
	{ "v=spf1 ip4:192.0.2", S1, 0, 0 },
	{ "v=spf1 ip4:192.0.2.256", S1, 0, 0 },
	{ "v=spf1 ip4:192.0.2.1//32", S1, 0, 0 },
	{ "v=spf1 ip4", S1, 0, 0 },
	{ "v=spf1 ip6:2001:db8::1:2::3", S1, 0, 0 },
	{ "v=spf1 ip6:::ffff:192.0.2.1/128", S1, 1, 1 },
	{ "v=spf1 ip6:2001:db8::/129", S1, 0, 0 },
	{ "v=spf1 exists", S1, 0, 0 },
	{ "v=spf1 exists:", S1, 0, 0 },
	{ "v=spf1 include", S1, 0, 0 },
	{ "v=spf1 include:x.example.com/24", S1, 0, 0 },
	{ "v=spf1 ptr ptr:example.com", S1, 1, 2 },
	{ "v=spf1 ptr/0", S1, 0, 0 },
	{ "v=spf1 -all.", S1, 0, 0 },
	{ "v=spf1 all:x", S1, 0, 0 },
	{ "v=spf1 +all ?all ~all -all", S1, 1, 4 },
	{ "v=spf1 *all", S1, 0, 0 },
	{ "v=spf1 moo", S1, 0, 0 },
	{ "v=spf1 redirect=a.example.com redirect=b.example.com", S1, 0, 0 },
	{ "v=spf1 exp=a.example.com exp=b.example.com", S1, 0, 0 },
	{ "v=spf1 exp=", S1, 0, 0 },
	{ "v=spf1 redirect:a.example.com", S1, 0, 0 },
	{ "v=spf1 foo=bar foo=baz x.y-z_1=%{d}", S1, 1, 3 },
	{ "v=spf1 1foo=bar", S1, 0, 0 },
	{ "v=spf1 =bar", S1, 0, 0 },
	{ "v=spf1 foo=%x", S1, 0, 0 },
	{ "v=spf1 -redirect=a.example.com", S1, 0, 0 },
	/* 7.1 domain-end: a macro, or "." toplabel [ "." ] */
	{ "v=spf1 a:foo.example.xn--zckzah", S1, 1, 1 },
	{ "v=spf1 a:%{d}", S1, 1, 1 },
	{ "v=spf1 a:%{d}.", S1, 0, 0 },
	{ "v=spf1 a:example.com.", S1, 1, 1 },
	{ "v=spf1 a:museum", S1, 0, 0 },
	{ "v=spf1 a:abc.123", S1, 0, 0 },
	{ "v=spf1 a:example.-com", S1, 0, 0 },
	{ "v=spf1 a:example.com-", S1, 0, 0 },
	{ "v=spf1 a:example.com:8080", S1, 0, 0 },
	{ "v=spf1 a:x.%{d}y", S1, 0, 0 },
	{ "v=spf1 a:foo:bar/baz.example.com", S1, 1, 1 },
	{ "v=spf1 exp=%{r}.example.com", S1, 0, 0 },	/* 7.2 */
	{ "v=spf1 -exists:%(ir).sbl.example.org", S1, 0, 0 },
	/* RFC 4406 3.1 versions and scopes */
	{ "spf2.0/mfrom,pra -all", MF, 1, 1 },
	{ "spf2.0/mfrom,pra -all", PR, 1, 1 },
	{ "spf2.0/pra -all", MF, 0, 0 },
	{ "spf2.0/mfrom -all", PR, 0, 0 },
	{ "spf2.0/mfrom -all", S1, 0, 0 },
	{ "Spf2.0/PRA,future ?all", PR, 1, 1 },
	{ "spf2.0/ -all", MF, 0, 0 },
	{ "spf2.0/mfrom,,pra -all", MF, 0, 0 },
	{ "v=spf1 -all", MF, 1, 1 },		/* 4.4: v=spf1 serves both */
	{ "v=spf1 -all", PR, 1, 1 },
};

static void
test_parse(void)
{
	struct enma_arena	*a = enma_arena_new(0);
	struct enma_spf_record	*r;
	const char		*why;
	enma_status		 st;
	size_t			 i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];

		st = enma_spf_record_parse(enma_span_from_cstr(c->rec),
		    c->scope, a, &r, &why);
		CHECK((st == ENMA_OK) == c->ok, "parse \"%s\" (scope %d): "
		    "status %d (%s)", c->rec, c->scope, st, why ? why : "");
		if (st == ENMA_OK && c->ok)
			CHECK(enma_spf_record_terms(r) == c->terms,
			    "\"%s\": %zu terms, want %zu", c->rec,
			    enma_spf_record_terms(r), c->terms);
		if (st != ENMA_OK)
			CHECK(why != NULL && why[0] != '\0',
			    "\"%s\": no reason given", c->rec);
	}
	enma_arena_free(a);
}

/* test_parse_bytes - NUL, controls, 8-bit bytes and size limits */
static void
test_parse_bytes(void)
{
	static const char nul[] = "v=spf1 a:foo.example.com\0";
	struct enma_arena	*a = enma_arena_new(0);
	struct enma_spf_record	*r;
	char			*big;
	size_t			 i;

	CHECK(enma_spf_record_parse(enma_span_make(nul, sizeof(nul) - 1), S1,
	    a, &r, NULL) == ENMA_ESYNTAX, "NUL in a record");
	CHECK(enma_spf_record_parse(ENMA_SPAN_LIT("v=spf1 a:x.com\rptr"),
	    S1, a, &r, NULL) == ENMA_ESYNTAX, "CR in a record");
	CHECK(enma_spf_record_parse(ENMA_SPAN_LIT("v=spf1 \x80" "a"), S1,
	    a, &r, NULL) == ENMA_ESYNTAX, "8-bit byte in a record");
	big = malloc(ENMA_SPF_MAX_RECORD + 8);
	memcpy(big, "v=spf1", 6);
	for (i = 6; i + 2 <= 6 + 2 * (ENMA_SPF_MAX_TERMS + 1); i += 2)
		memcpy(big + i, " a", 2);
	CHECK(enma_spf_record_parse(enma_span_make(big, i), S1, a, &r,
	    NULL) == ENMA_ESYNTAX, "more than ENMA_SPF_MAX_TERMS terms");
	CHECK(enma_spf_record_parse(enma_span_make(big, i - 2), S1, a, &r,
	    NULL) == ENMA_OK && enma_spf_record_terms(r) ==
	    ENMA_SPF_MAX_TERMS, "exactly ENMA_SPF_MAX_TERMS terms");
	memset(big + 6, ' ', ENMA_SPF_MAX_RECORD + 2 - 6);
	CHECK(enma_spf_record_parse(enma_span_make(big,
	    ENMA_SPF_MAX_RECORD + 1), S1, a, &r, NULL) == ENMA_ESYNTAX,
	    "record longer than ENMA_SPF_MAX_RECORD");
	CHECK(enma_spf_record_parse(enma_span_make(big, ENMA_SPF_MAX_RECORD),
	    S1, a, &r, NULL) == ENMA_OK, "record of ENMA_SPF_MAX_RECORD");
	free(big);
	enma_arena_free(a);
}

/* ---- evaluation against a zone ---------------------------------------- */

struct lines {
	unsigned	n;
	int		saw_limit;
};

static void
count_lines(void *arg, unsigned depth, const char *msg)
{
	struct lines *l = arg;

	(void)depth;
	l->n++;
	if (strstr(msg, "of 10") != NULL)
		l->saw_limit = 1;
}

struct eval_case {
	const char		*name;
	const char		*ip;
	const char		*domain;
	enum enma_spf_result	 want;
	const char		*reason;	/* substring, or NULL */
	enum enma_spf_scope	 scope;
};

/* the zone for the evaluation cases: each record tests one rule */
static const char *const zone_text[][3] = {
	/* RFC 7208 4.6.4: 10 DNS-querying terms pass, the 11th fails */
	{ "ten.example.com", "TXT", "\"v=spf1 a a a a a a a a a "
	    "a:ok.example.com -all\"" },
	{ "ten.example.com", "A", "192.0.2.200" },
	{ "eleven.example.com", "A", "192.0.2.200" },
	{ "eleven.example.com", "TXT", "\"v=spf1 a a a a a a a a a a "
	    "a:ok.example.com -all\"" },
	{ "ok.example.com", "A", "192.0.2.1" },
	/* 4.6.4: two void lookups are fine, the third is permerror */
	{ "void2.example.com", "TXT", "\"v=spf1 a:nx1.example.com "
	    "a:nx2.example.com ?all\"" },
	{ "void3.example.com", "TXT", "\"v=spf1 a:nx1.example.com "
	    "a:nx2.example.com a:nx3.example.com ?all\"" },
	/* 4.6.4: more than 10 MX names is permerror */
	{ "mx10.example.com", "TXT", "\"v=spf1 mx -all\"" },
	{ "mx11.example.com", "TXT", "\"v=spf1 mx -all\"" },
	/* 4.5: two records is permerror; other TXT strings do not count */
	{ "two.example.com", "TXT", "\"v=spf1 +all\"" },
	{ "two.example.com", "TXT", "\"v=spf1 -all\"" },
	{ "other.example.com", "TXT", "\"google-site-verification=x\"" },
	{ "other.example.com", "TXT", "\"v=spf1 ip4:192.0.2.1 -all\"" },
	/* 5.2: include of a loop; include of a domain without a record */
	{ "loop.example.com", "TXT", "\"v=spf1 include:loop.example.com\"" },
	{ "incnone.example.com", "TXT", "\"v=spf1 include:ok.example.com\"" },
	/* 5.6 with 2.x: an IPv4-mapped client is IPv4 */
	{ "mapped.example.com", "TXT", "\"v=spf1 ip6:::ffff:0:0/96 "
	    "ip4:192.0.2.0/24 -all\"" },
	/* 5.5: PTR names beyond the 10th are ignored */
	{ "ptr.example.com", "TXT", "\"v=spf1 ptr:p11.example.com -all\"" },
	{ "p11.example.com", "A", "192.0.2.9" },
	/* RFC 4406 4.4: spf2.0 records of the scope win; v=spf1 serves only
	 * a domain with no spf2.0 record at all (3.4); two are permerror */
	{ "sid.example.com", "TXT", "\"spf2.0/pra ip4:192.0.2.1 -all\"" },
	{ "sid.example.com", "TXT", "\"spf2.0/mfrom -all\"" },
	{ "sid.example.com", "TXT", "\"v=spf1 +all\"" },
	{ "sidfb.example.com", "TXT", "\"spf2.0/mfrom -all\"" },
	{ "sidfb.example.com", "TXT", "\"v=spf1 ?all\"" },
	{ "sid2.example.com", "TXT", "\"spf2.0/pra -all\"" },
	{ "sid2.example.com", "TXT", "\"spf2.0/mfrom,pra +all\"" },
	/* 5: a timeout is temperror */
	{ "slow.example.com", "TXT", "\"v=spf1 exists:to.example.com -all\"" },
};

static const struct eval_case eval_cases[] = {
	{ "10 DNS terms", "192.0.2.1", "ten.example.com", ENMA_SPF_PASS,
	    NULL, S1 },
	{ "11 DNS terms", "192.0.2.1", "eleven.example.com",
	    ENMA_SPF_PERMERROR, "RFC 7208 4.6.4", S1 },
	{ "2 void lookups", "192.0.2.1", "void2.example.com",
	    ENMA_SPF_NEUTRAL, NULL, S1 },
	{ "3 void lookups", "192.0.2.1", "void3.example.com",
	    ENMA_SPF_PERMERROR, "void", S1 },
	{ "10 MX names", "192.0.2.10", "mx10.example.com", ENMA_SPF_PASS,
	    NULL, S1 },
	{ "11 MX names", "192.0.2.10", "mx11.example.com",
	    ENMA_SPF_PERMERROR, "MX", S1 },
	{ "two records", "192.0.2.1", "two.example.com", ENMA_SPF_PERMERROR,
	    "RFC 7208 4.5", S1 },
	{ "non-SPF TXT ignored", "192.0.2.1", "other.example.com",
	    ENMA_SPF_PASS, "ip4:192.0.2.1", S1 },
	{ "split TXT > 512", "192.0.2.77", "split.example.com", ENMA_SPF_PASS,
	    "ip4:192.0.2.0/24", S1 },
	{ "split TXT, no match", "203.0.113.1", "split.example.com",
	    ENMA_SPF_FAIL, NULL, S1 },
	{ "include loop", "192.0.2.1", "loop.example.com", ENMA_SPF_PERMERROR,
	    NULL, S1 },
	{ "include none", "192.0.2.1", "incnone.example.com",
	    ENMA_SPF_PERMERROR, "RFC 7208 5.2", S1 },
	{ "mapped client", "::ffff:192.0.2.5", "mapped.example.com",
	    ENMA_SPF_PASS, "ip4:192.0.2.0/24", S1 },
	{ "11th PTR ignored", "192.0.2.9", "ptr.example.com", ENMA_SPF_FAIL,
	    NULL, S1 },
	{ "no record", "192.0.2.1", "ok.example.com", ENMA_SPF_NONE, NULL, S1 },
	{ "no domain", "192.0.2.1", "nx.example.com", ENMA_SPF_NONE, NULL, S1 },
	{ "single label", "192.0.2.1", "localhost", ENMA_SPF_NONE,
	    "RFC 7208 4.3", S1 },
	{ "DNS timeout", "192.0.2.1", "slow.example.com",
	    ENMA_SPF_TEMPERROR, NULL, S1 },
	{ "trailing dot", "192.0.2.1", "other.example.com.", ENMA_SPF_PASS,
	    NULL, S1 },
	{ "pra record", "192.0.2.1", "sid.example.com", ENMA_SPF_PASS,
	    "ip4:192.0.2.1", PR },
	{ "mfrom record", "192.0.2.1", "sid.example.com", ENMA_SPF_FAIL, NULL,
	    MF },
	{ "v=spf1 for SPF", "192.0.2.1", "sid.example.com", ENMA_SPF_PASS,
	    "+all", S1 },
	/* RFC 4406 3.4: v=spf1 counts for pra only when the domain has no
	 * spf2.0 record of any scope */
	{ "pra: spf2.0/mfrom hides v=spf1", "192.0.2.1", "sidfb.example.com",
	    ENMA_SPF_NONE, "RFC 4406", PR },
	{ "pra falls back to v=spf1", "192.0.2.1", "other.example.com",
	    ENMA_SPF_PASS, NULL, PR },
	{ "two pra records", "192.0.2.1", "sid2.example.com",
	    ENMA_SPF_PERMERROR, "RFC 4406 4.4", PR },
	{ "one mfrom record", "192.0.2.1", "sid2.example.com", ENMA_SPF_PASS,
	    NULL, MF },
};

/* split_record - RFC 7208 3.3: a record of over 512 bytes in strings cut
 * at arbitrary places, joined with nothing between them */
static void
split_record(struct enma_zone *z)
{
	char			 rec[1024];
	struct enma_span	 parts[4];
	size_t			 i, len;

	strcpy(rec, "v=spf1");
	for (i = 1; i <= 40; i++)
		snprintf(rec + strlen(rec), sizeof(rec) - strlen(rec),
		    " ip4:198.51.100.%zu", i);
	strcat(rec, " ip4:192.0.2.0/24 -all");
	len = strlen(rec);
	CHECK(len > 512, "split record is %zu bytes", len);
	parts[0] = enma_span_make(rec, 255);
	parts[1] = enma_span_make(rec + 255, 1);
	parts[2] = enma_span_make(rec + 256, 255);
	parts[3] = enma_span_make(rec + 511, len - 511);
	CHECK(enma_zone_add_txt(z, "split.example.com", ENMA_DNS_TXT, parts,
	    4) == ENMA_OK, "split record");
}

static struct enma_zone *
eval_zone(void)
{
	struct enma_zone	*z = enma_zone_new();
	char			 name[64], rd[96];
	size_t			 i;

	for (i = 0; i < sizeof(zone_text) / sizeof(zone_text[0]); i++)
		CHECK(enma_zone_add(z, zone_text[i][0],
		    enma_dns_type_from_text(enma_span_from_cstr(
		    zone_text[i][1])), zone_text[i][2]) == ENMA_OK,
		    "zone add %s", zone_text[i][0]);
	for (i = 0; i < 11; i++) {
		snprintf(name, sizeof(name), "m%zu.example.com", i);
		snprintf(rd, sizeof(rd), "%zu %s", i, name);
		if (i < 10)
			enma_zone_add(z, "mx10.example.com", ENMA_DNS_MX, rd);
		enma_zone_add(z, "mx11.example.com", ENMA_DNS_MX, rd);
		snprintf(rd, sizeof(rd), "192.0.2.%zu", i + 1);
		enma_zone_add(z, name, ENMA_DNS_A, rd);
		snprintf(rd, sizeof(rd), "p%zu.example.com", i + 1);
		enma_zone_add(z, "9.2.0.192.in-addr.arpa", ENMA_DNS_PTR, rd);
	}
	enma_zone_add_timeout(z, "to.example.com");
	split_record(z);
	return z;
}

static void
test_eval(void)
{
	struct enma_zone		*z = eval_zone();
	struct enma_resolver		*r = NULL;
	struct enma_spf_request		 req;
	struct enma_spf_response	 resp;
	struct enma_dns_ctx		 dns;
	struct enma_arena		*a;
	struct lines			 l;
	size_t				 i;

	CHECK(enma_resolver_zone_new(z, &r) == ENMA_OK, "zone resolver");
	for (i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++) {
		const struct eval_case *c = &eval_cases[i];

		a = enma_arena_new(0);
		memset(&req, 0, sizeof(req));
		memset(&l, 0, sizeof(l));
		req.scope = c->scope;
		enma_ip_from_text(enma_span_from_cstr(c->ip), &req.ip);
		req.sender_local = "user";
		req.sender_domain = c->domain;
		req.helo = "mx.example.org";
		enma_dns_ctx_init(&dns, r, 0, 0);
		req.dns = &dns;
		req.trace = count_lines;
		req.trace_arg = &l;
		CHECK(enma_spf_check(&req, a, &resp) == ENMA_OK, "%s", c->name);
		CHECK(resp.result == c->want, "%s: got %s, want %s (%s)",
		    c->name, enma_spf_result_to_text(resp.result),
		    enma_spf_result_to_text(c->want), resp.reason);
		CHECK(resp.reason != NULL && (c->reason == NULL ||
		    strstr(resp.reason, c->reason) != NULL),
		    "%s: reason \"%s\" lacks \"%s\"", c->name,
		    resp.reason ? resp.reason : "", c->reason ? c->reason : "");
		CHECK(l.n > 0, "%s: no trace", c->name);
		enma_arena_free(a);
	}
	enma_resolver_free(r);
	enma_zone_free(z);
}

/* test_budget - a spent query budget is a temporary error (RFC 7208 5) */
static void
test_budget(void)
{
	struct enma_zone		*z = eval_zone();
	struct enma_resolver		*r = NULL;
	struct enma_spf_request		 req;
	struct enma_spf_response	 resp;
	struct enma_dns_ctx		 dns;
	struct enma_arena		*a = enma_arena_new(0);
	struct lines			 l = { 0, 0 };

	enma_resolver_zone_new(z, &r);
	memset(&req, 0, sizeof(req));
	req.scope = ENMA_SPF_SCOPE_SPF1;
	enma_ip_from_text(ENMA_SPAN_LIT("192.0.2.1"), &req.ip);
	req.sender_domain = "ten.example.com";
	enma_dns_ctx_init(&dns, r, 0, 3);
	req.dns = &dns;
	req.trace = count_lines;
	req.trace_arg = &l;
	CHECK(enma_spf_check(&req, a, &resp) == ENMA_OK, "budget check");
	CHECK(resp.result == ENMA_SPF_TEMPERROR, "spent budget: got %s",
	    enma_spf_result_to_text(resp.result));
	CHECK(l.saw_limit, "trace shows the term count");
	CHECK(resp.dns_terms == 3, "terms counted: %u", resp.dns_terms);
	enma_arena_free(a);
	enma_resolver_free(r);
	enma_zone_free(z);
}

static void
test_result_text(void)
{
	CHECK_STR(enma_spf_result_to_text(ENMA_SPF_SOFTFAIL), "softfail",
	    "softfail");
	CHECK_STR(enma_spf_result_to_text(ENMA_SPF_PERMERROR), "permerror",
	    "permerror");
	CHECK(enma_spf_result_from_text(ENMA_SPAN_LIT("HardFail")) ==
	    ENMA_SPF_FAIL, "hardfail");
	CHECK(enma_spf_result_from_text(ENMA_SPAN_LIT("pass")) ==
	    ENMA_SPF_PASS, "pass");
	CHECK(enma_spf_result_from_text(ENMA_SPAN_LIT("passed")) ==
	    ENMA_SPF_UNSET, "unknown word");
}

/* ---- the zone backend: RFC 1035 5.1 syntax, CNAME, TIMEOUT ------------ */

static const char zone_file[] =
    "; test zone\n"
    "$ORIGIN example.org.\n"
    "$TTL 300\n"
    "@\t\tIN TXT\t\"v=spf1 \" \"a\\032-all\" ; comment\n"
    "\t\t600 A 192.0.2.1\n"
    "www\t\tCNAME\t@\n"
    "alias\t\tCNAME\twww\n"
    "mail\t\tMX\t10 mx1\n"
    "mx1.example.org. AAAA 2001:db8::25\n"
    "semi\t\tTXT\t\"a;b\" c\\\"d\n"
    "slow\t\tTIMEOUT\n";

/* test_zone_errors - "file:line: reason" for bad zone files */
static void
test_zone_errors(void)
{
	static const char *const bad[] = {
		"\tA 192.0.2.1\n",			/* no owner yet */
		"x A 192.0.2.300\n",
		"x AAAA 192.0.2.1\n",
		"x MX ten mail\n",
		"x TXT \"unterminated\n",
		"x TXT \"\\999\"\n",		/* \DDD above 255 */
		"x WKS 1\n",
		"$INCLUDE other\n",
	};
	char		 path[] = "/tmp/enma-zone-XXXXXX", err[256];
	size_t		 i;
	int		 fd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct enma_zone *z = enma_zone_new();

		strcpy(path, "/tmp/enma-zone-XXXXXX");
		fd = mkstemp(path);
		CHECK(fd >= 0 && write(fd, "; ok\n", 5) == 5 &&
		    write(fd, bad[i], strlen(bad[i])) ==
		    (ssize_t)strlen(bad[i]), "temp file");
		close(fd);
		err[0] = '\0';
		CHECK(enma_zone_load_file(z, path, err, sizeof(err)) ==
		    ENMA_ESYNTAX, "bad zone %zu accepted", i);
		CHECK(strstr(err, ":2: ") != NULL, "bad zone %zu: \"%s\"",
		    i, err);
		unlink(path);
		enma_zone_free(z);
	}
}

static void
test_zone_file(void)
{
	struct enma_zone	*z = enma_zone_new();
	struct enma_resolver	*r = NULL;
	struct enma_dns_ctx	 dns;
	struct enma_dns_answer	 ans;
	struct enma_arena	*a = enma_arena_new(0);
	char			 path[] = "/tmp/enma-zone-XXXXXX", err[256];
	int			 fd = mkstemp(path);

	CHECK(fd >= 0 && write(fd, zone_file, sizeof(zone_file) - 1) ==
	    (ssize_t)(sizeof(zone_file) - 1), "temp file");
	close(fd);
	CHECK(enma_zone_load_file(z, path, err, sizeof(err)) == ENMA_OK,
	    "load: %s", err);
	enma_resolver_zone_new(z, &r);
	enma_dns_ctx_init(&dns, r, 0, 0);
	enma_dns_lookup(&dns, "EXAMPLE.org.", ENMA_DNS_TXT, a, &ans);
	/* two strings joined; \032 is a space in decimal */
	CHECK(ans.rcode == ENMA_DNS_RECORDS && ans.count == 1 &&
	    ans.rr[0].txtlen == 13 && ans.rr[0].nstrings == 2 &&
	    memcmp(ans.rr[0].txt, "v=spf1 a -all", 13) == 0 &&
	    ans.rr[0].txt[13] == '\0', "TXT strings");
	enma_dns_lookup(&dns, "alias.example.org", ENMA_DNS_A, a, &ans);
	CHECK(ans.rcode == ENMA_DNS_RECORDS && ans.count == 1 &&
	    ans.rr[0].addr.addr[3] == 1 && ans.rr[0].ttl == 600,
	    "CNAME chain to @, TTL 600");
	enma_dns_lookup(&dns, "mail.example.org", ENMA_DNS_MX, a, &ans);
	CHECK(ans.rcode == ENMA_DNS_RECORDS && ans.rr[0].pref == 10 &&
	    strcmp(ans.rr[0].name, "mx1.example.org") == 0 &&
	    ans.rr[0].ttl == 300, "relative MX host, $TTL");
	enma_dns_lookup(&dns, "mail.example.org", ENMA_DNS_A, a, &ans);
	CHECK(ans.rcode == ENMA_DNS_NODATA, "NODATA");
	enma_dns_lookup(&dns, "nope.example.org", ENMA_DNS_A, a, &ans);
	CHECK(ans.rcode == ENMA_DNS_NXDOMAIN, "NXDOMAIN");
	enma_dns_lookup(&dns, "slow.example.org", ENMA_DNS_TXT, a, &ans);
	CHECK(ans.rcode == ENMA_DNS_TEMPFAIL, "TIMEOUT");
	enma_dns_lookup(&dns, "semi.example.org", ENMA_DNS_TXT, a, &ans);
	CHECK(ans.rcode == ENMA_DNS_RECORDS && ans.rr[0].txtlen == 6 &&
	    memcmp(ans.rr[0].txt, "a;bc\"d", 6) == 0, "quoted ; and \\\"");
	unlink(path);
	enma_arena_free(a);
	enma_resolver_free(r);
	enma_zone_free(z);
	test_zone_errors();
}

int
main(void)
{
	run_macros("192.0.2.3", rfc_v4, sizeof(rfc_v4) / sizeof(rfc_v4[0]));
	run_macros("2001:db8::cb01", rfc_v6,
	    sizeof(rfc_v6) / sizeof(rfc_v6[0]));
	test_macro_edges();
	test_parse();
	test_parse_bytes();
	test_eval();
	test_budget();
	test_result_text();
	test_zone_file();
	return check_done("test_spf");
}
