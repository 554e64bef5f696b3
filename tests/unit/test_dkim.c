/*
 * test_dkim.c - DKIM tag lists, signatures, key records, crypto,
 * canonicalisation, header selection, the verifier's verdicts and ADSP
 *
 * Expected values come from RFC 6376 (the ABNF of 3.2, 3.5 and 3.6.1,
 * the canonicalisation examples of 3.4.5), RFC 8301, RFC 8601 2.7.1,
 * RFC 5617, the FIPS 180-2 digest examples, and messages signed by an
 * independent signer (dkimpy 1.1.4, Debian's python3-dkim: the
 * fixtures below), whose verdicts follow from those RFCs.  The random
 * canonicalisation test compares against a direct, line-by-line reading
 * of RFC 6376 3.4.3 and 3.4.4 written here.  None was taken from running
 * this code.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enma/dkim.h>
#include <enma/dns.h>
#include <enma/mail.h>

#include "dkim_int.h"
#include "check.h"

#define NOW	1800000000	/* the verification time of the fixtures */

/* ---- tag lists: RFC 6376 3.2 ------------------------------------------ */

static const struct {
	const char	*in;
	int		 ok;
	size_t		 n;		/* tags, when ok */
	const char	*name, *value;	/* one tag to look at */
} tag_cases[] = {
	{ "v=1; a=rsa-sha256", 1, 2, "a", "rsa-sha256" },
	{ "v=1;", 1, 1, "v", "1" },
	{ "v=1; ", 1, 1, "v", "1" },
	{ "", 1, 0, NULL, NULL },
	{ " \t", 1, 0, NULL, NULL },
	{ "v = 1 ; a\t=\tb", 1, 2, "a", "b" },		/* FWS around = */
	{ "h=from : to", 1, 1, "h", "from : to" },	/* FWS inside */
	{ "b=abc\r\n def", 1, 1, "b", "abc\r\n def" },	/* a fold */
	{ "b=abc\r\n\tdef ;\r\n c=x", 1, 2, "c", "x" },
	{ "b=abc\n def", 1, 1, "b", "abc\n def" },	/* bare-LF fold */
	{ "a=", 1, 1, "a", "" },			/* empty value */
	{ "n=caf\xc3\xa9", 1, 1, "n", "caf\xc3\xa9" },	/* 8-bit */
	{ "x_1=y", 1, 1, "x_1", "y" },
	{ ";", 0, 0, NULL, NULL },
	{ "v=1;;a=2", 0, 0, NULL, NULL },		/* empty tag-spec */
	{ "a=1; a=2", 0, 0, NULL, NULL },		/* duplicate */
	{ "1a=2", 0, 0, NULL, NULL },
	{ "a", 0, 0, NULL, NULL },
	{ "a=b; c", 0, 0, NULL, NULL },
	{ "a b=c", 0, 0, NULL, NULL },			/* WSP in a name */
	{ "a=b\r\nc=d", 0, 0, NULL, NULL },		/* CRLF, no WSP */
	{ "a=b\r\n", 0, 0, NULL, NULL },
	{ "a=\x01", 0, 0, NULL, NULL },			/* control */
	{ "a=b c=d", 1, 1, "a", "b c=d" },		/* '=' is VALCHAR */
	{ "synerr", 0, 0, NULL, NULL },
};

static void
test_tags(void)
{
	struct dkim_taglist	 tl;
	const struct dkim_tag	*t;
	const char		*why;
	enma_status		 st;
	size_t			 i;
	char			 many[1024];

	for (i = 0; i < sizeof(tag_cases) / sizeof(tag_cases[0]); i++) {
		st = dkim_tags_parse(enma_span_from_cstr(tag_cases[i].in), &tl,
		    &why);
		CHECK((st == ENMA_OK) == tag_cases[i].ok, "tags \"%s\": %s",
		    tag_cases[i].in, enma_strerror(st));
		if (st != ENMA_OK) {
			CHECK(why != NULL, "tags \"%s\": no reason",
			    tag_cases[i].in);
			continue;
		}
		CHECK(tl.n == tag_cases[i].n, "tags \"%s\": %zu tags",
		    tag_cases[i].in, tl.n);
		if (tag_cases[i].name == NULL)
			continue;
		t = dkim_tag_get(&tl, tag_cases[i].name);
		CHECK(t != NULL && enma_span_eq(t->value,
		    enma_span_from_cstr(tag_cases[i].value)),
		    "tags \"%s\": value of %s", tag_cases[i].in,
		    tag_cases[i].name);
	}
	/* names are case-sensitive (3.2) */
	st = dkim_tags_parse(ENMA_SPAN_LIT("V=1"), &tl, &why);
	CHECK(st == ENMA_OK && dkim_tag_get(&tl, "v") == NULL &&
	    dkim_tag_get(&tl, "V") != NULL, "V= is not v=");
	/* more tags than we keep */
	many[0] = '\0';
	for (i = 0; i < DKIM_MAX_TAGS + 1; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		    "t%zu=x;", i);
	CHECK(dkim_tags_parse(enma_span_from_cstr(many), &tl, &why) ==
	    ENMA_ELIMIT, "too many tags");
}

/* ---- colon lists and dkim-quoted-printable (2.11) --------------------- */

static void
test_lists(void)
{
	struct enma_arena	*a = enma_arena_new(0);
	char			*out;
	size_t			 n;

	CHECK(dkim_list_has(ENMA_SPAN_LIT("sha1:sha256"), "sha256") == 1,
	    "list has");
	CHECK(dkim_list_has(ENMA_SPAN_LIT(" sha1 :\r\n sha256"), "SHA256") ==
	    1, "list with FWS, any case");
	CHECK(dkim_list_has(ENMA_SPAN_LIT("md5:sha1"), "sha256") == 0,
	    "list lacks");
	CHECK(dkim_list_has(ENMA_SPAN_LIT("sha1::sha256"), "sha1") == -1,
	    "empty element");
	CHECK(dkim_list_has(ENMA_SPAN_LIT("sha1:"), "sha1") == -1,
	    "trailing colon");
	CHECK(dkim_list_has(ENMA_SPAN_LIT("sh a1"), "sha1") == -1,
	    "WSP inside an element");
	CHECK(dkim_list_has(ENMA_SPAN_LIT(""), "sha1") == -1, "empty list");

	CHECK(dkim_qp_decode(ENMA_SPAN_LIT("=6Along@messiah.edu"), a, &out,
	    &n) == ENMA_OK && strcmp(out, "jlong@messiah.edu") == 0,
	    "qp =6A");
	CHECK(dkim_qp_decode(ENMA_SPAN_LIT("jlong=40messiah=2Eedu"), a, &out,
	    &n) == ENMA_OK && strcmp(out, "jlong@messiah.edu") == 0,
	    "qp =40 =2E");
	CHECK(dkim_qp_decode(ENMA_SPAN_LIT("a =40\r\n b"), a, &out, &n) ==
	    ENMA_OK && strcmp(out, "a@b") == 0, "qp drops FWS");
	CHECK(dkim_qp_decode(ENMA_SPAN_LIT("a=4"), a, &out, &n) ==
	    ENMA_ESYNTAX, "qp short escape");
	CHECK(dkim_qp_decode(ENMA_SPAN_LIT("a=ZZ"), a, &out, &n) ==
	    ENMA_ESYNTAX, "qp bad hex");
	CHECK(dkim_qp_decode(ENMA_SPAN_LIT("a;b"), a, &out, &n) ==
	    ENMA_ESYNTAX, "qp ';' is not dkim-safe-char");
	enma_arena_free(a);
}

/* ---- signature fields: RFC 6376 3.5, 6.1.1 ---------------------------- */

#define SIG_B	"b=dGVzdA==; "
#define SIG_BH	"bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; "
#define SIG_OK	"v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; " \
		SIG_BH SIG_B

enum { S_OK, S_NEUTRAL, S_LIMIT };

static const struct {
	const char	*value;
	int		 want;
} sig_cases[] = {
	{ SIG_OK, S_OK },
	{ "a=rsa-sha256; d=example.com; s=sel; h=from; " SIG_BH SIG_B,
	    S_NEUTRAL },				/* no v= */
	{ "v=0.5; a=rsa-sha256; d=example.com; s=sel; h=from; " SIG_BH
	    SIG_B, S_NEUTRAL },
	{ "v=1; d=example.com; s=sel; h=from; " SIG_BH SIG_B, S_NEUTRAL },
	{ "v=1; a=rsa-sha256; s=sel; h=from; " SIG_BH SIG_B, S_NEUTRAL },
	{ "v=1; a=rsa-sha256; d=example.com; h=from; " SIG_BH SIG_B,
	    S_NEUTRAL },
	{ "v=1; a=rsa-sha256; d=example.com; s=sel; " SIG_BH SIG_B,
	    S_NEUTRAL },
	{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; " SIG_B,
	    S_NEUTRAL },
	{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; " SIG_BH,
	    S_NEUTRAL },
	{ SIG_OK "a2=x; zz=unknown", S_OK },		/* unknown tags */
	{ "v=1; a=RSA-SHA256; d=example.com; s=sel; h=from; " SIG_BH SIG_B,
	    S_OK },
	{ "v=1; a=rsa-md5; d=example.com; s=sel; h=from; " SIG_BH SIG_B,
	    S_NEUTRAL },
	{ "v=1; a=rsa-sha1; d=example.com; s=sel; h=from; " SIG_BH SIG_B,
	    S_NEUTRAL },				/* 32-byte bh */
	{ "v=1; a=rsa-sha1; d=example.com; s=sel; h=from; "
	    "bh=qZk+NkcGgWq6PiVxeFDCbJzQ2J0=; " SIG_B, S_OK },
	{ "v=1; a=ed25519-sha256; d=example.com; s=sel; h=from; " SIG_BH
	    SIG_B, S_OK },
	{ SIG_OK "c=relaxed", S_OK },
	{ SIG_OK "c=relaxed/relaxed", S_OK },
	{ SIG_OK "c=simple/relaxed", S_OK },
	{ SIG_OK "c=future", S_NEUTRAL },
	{ SIG_OK "c=relaxed/future", S_NEUTRAL },
	{ "v=1; a=rsa-sha256; d=com; s=sel; h=from; " SIG_BH SIG_B,
	    S_NEUTRAL },				/* one label */
	{ "v=1; a=rsa-sha256; d=legitimate.com(.attacker.com; s=sel; "
	    "h=from; " SIG_BH SIG_B, S_NEUTRAL },
	{ "v=1; a=rsa-sha256; d=Example.COM.; s=sel; h=from; " SIG_BH SIG_B,
	    S_OK },
	{ "v=1; a=rsa-sha256; d=example.com; s=se l; h=from; " SIG_BH SIG_B,
	    S_NEUTRAL },
	{ SIG_OK "i=@example.com", S_OK },
	{ SIG_OK "i=user@mail.Example.com", S_OK },
	{ SIG_OK "i=user@badexample.com", S_NEUTRAL },	/* not a subdomain */
	{ SIG_OK "i=user@example.org", S_NEUTRAL },
	{ SIG_OK "i=user", S_NEUTRAL },
	{ SIG_OK "i=us=0Aer@example.com", S_NEUTRAL },	/* control */
	{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=to:subject; " SIG_BH
	    SIG_B, S_NEUTRAL },				/* From not signed */
	{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=From; " SIG_BH SIG_B,
	    S_OK },
	{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from::to; " SIG_BH
	    SIG_B, S_NEUTRAL },
	{ SIG_OK "l=0", S_OK },
	{ SIG_OK "l=12x", S_NEUTRAL },
	{ SIG_OK "l=", S_NEUTRAL },
	{ SIG_OK "q=dns/txt", S_OK },
	{ SIG_OK "q=foo/bar:dns/txt", S_OK },
	{ SIG_OK "q=dns", S_NEUTRAL },
	{ SIG_OK "t=1799999000", S_OK },
	{ SIG_OK "t=1800000300", S_OK },		/* within the skew */
	{ SIG_OK "t=1800000301", S_NEUTRAL },		/* beyond it */
	{ SIG_OK "t=99999999999999", S_NEUTRAL },	/* "infinite" */
	{ SIG_OK "t=17x", S_NEUTRAL },
	{ SIG_OK "t=100; x=200", S_OK },		/* expired: later */
	{ SIG_OK "t=200; x=200", S_NEUTRAL },		/* x must be > t */
	{ SIG_OK "x=99999999999999", S_OK },
	{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; "
	    "bh=47DEQpj8; " SIG_B, S_NEUTRAL },		/* short bh= */
	{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; " SIG_BH "b=",
	    S_NEUTRAL },				/* empty b= */
	{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; " SIG_BH
	    "b=dGV*zdA==", S_NEUTRAL },
	{ "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; " SIG_BH
	    "b=dGVz\r\n dA\r\n\t==", S_OK },		/* FWS in base64 */
	{ "synerr", S_NEUTRAL },
};

/* sig_parse - a header from text, parsed as a signature */
static enma_status
sig_parse(const char *value, struct enma_arena *a, struct dkim_sigrec *r,
    struct dkim_sigtext *txt, const char **why, struct enma_header *h)
{
	char *raw = enma_arena_printf(a, "DKIM-Signature: %s", value);

	if (raw == NULL || enma_header_parse(enma_span_from_cstr(raw), h) !=
	    ENMA_OK)
		return ENMA_EINVAL;
	return dkim_sig_parse(h, 0, NOW, ENMA_DKIM_CLOCK_SKEW, a, r, txt,
	    why);
}

static void
test_sig_limits(struct enma_arena *a)
{
	struct dkim_sigrec	 r;
	struct dkim_sigtext	 txt;
	struct enma_header	 h;
	const char		*why;
	char			 hv[2048];
	size_t			 i;

	strcpy(hv, "v=1; a=rsa-sha256; d=example.com; s=sel; " SIG_BH SIG_B
	    "h=from");
	for (i = 1; i < ENMA_DKIM_MAX_H_TAGS; i++)
		strcat(hv, ":x");
	CHECK(sig_parse(hv, a, &r, &txt, &why, &h) == ENMA_OK &&
	    r.nh == ENMA_DKIM_MAX_H_TAGS, "%d h= entries",
	    ENMA_DKIM_MAX_H_TAGS);
	strcat(hv, ":x");
	CHECK(sig_parse(hv, a, &r, &txt, &why, &h) == ENMA_ELIMIT,
	    "more h= entries than the limit: policy");
	/* b= emptied by tag: the span is the value inside the field */
	CHECK(sig_parse("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; "
	    SIG_BH "b=dGVz\r\n dA==  ; z=1", a, &r, &txt, &why, &h) ==
	    ENMA_OK && enma_span_eq(r.bval, ENMA_SPAN_LIT("dGVz\r\n dA==")) &&
	    r.bval.p > h.value.p && r.bval.p < h.value.p + h.value.len,
	    "b= value span");
	CHECK(strcmp(txt.b, "dGVzdA==") == 0 && strcmp(txt.d, "example.com") ==
	    0 && strcmp(txt.s, "sel") == 0 && strcmp(txt.a, "rsa-sha256") == 0,
	    "result text");
}

static void
test_sigs(void)
{
	struct enma_arena	*a = enma_arena_new(0);
	struct dkim_sigrec	 r;
	struct dkim_sigtext	 txt;
	struct enma_header	 h;
	const char		*why;
	enma_status		 st;
	size_t			 i;
	int			 got;

	for (i = 0; i < sizeof(sig_cases) / sizeof(sig_cases[0]); i++) {
		st = sig_parse(sig_cases[i].value, a, &r, &txt, &why, &h);
		got = st == ENMA_OK ? S_OK : st == ENMA_ESYNTAX ? S_NEUTRAL :
		    st == ENMA_ELIMIT ? S_LIMIT : -1;
		CHECK(got == sig_cases[i].want, "sig \"%s\": %s (%s)",
		    sig_cases[i].value, enma_strerror(st),
		    why != NULL ? why : "-");
		CHECK(st == ENMA_OK || why != NULL, "sig \"%s\": no reason",
		    sig_cases[i].value);
	}
	st = sig_parse(SIG_OK "c=relaxed; i=us=65r@Mail.Example.com; l=10",
	    a, &r, &txt, &why, &h);
	CHECK(st == ENMA_OK && r.hcanon == DKIM_CANON_RELAXED &&
	    r.bcanon == DKIM_CANON_SIMPLE && r.has_l && r.l == 10 &&
	    strcmp(r.i, "user@mail.example.com") == 0 &&
	    strcmp(r.i_local, "user") == 0 &&
	    strcmp(r.i_domain, "mail.example.com") == 0,
	    "c=relaxed is relaxed/simple; i= decoded");
	st = sig_parse(SIG_OK, a, &r, &txt, &why, &h);
	CHECK(st == ENMA_OK && r.i == NULL && strcmp(r.i_domain,
	    "example.com") == 0 && r.i_local[0] == '\0' && r.t == -1 &&
	    r.x == -1 && !r.has_l, "defaults: i=@d (6.1.1)");
	test_sig_limits(a);
	enma_arena_free(a);
}

/* ---- key records: RFC 6376 3.6.1, 6.1.2 ------------------------------- */

/* dkimpy's 1024_testkey: SubjectPublicKeyInfo and bare RSAPublicKey */
#define KEY1024_SPKI \
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC6aakWzruYAKX9OdOdSHMemqVd" \
	"GQurNYLC1H7O/T2LQIHVbkKF6KKjlgFM7lr8skfZMhJe/KRGMvVjCV5ZakZIGeP3" \
	"Hi1qXCEvmjS4ElpMPMPyPrZigt95ipqywPYZJWHbRiJ085VdkSCtLUvo5sypA0nT" \
	"JeynEouAN+/wBaCO6QIDAQAB"
#define KEY1024_RSA \
	"MIGJAoGBALppqRbOu5gApf05051Icx6apV0ZC6s1gsLUfs79PYtAgdVuQoXooqOW" \
	"AUzuWvyyR9kyEl78pEYy9WMJXllqRkgZ4/ceLWpcIS+aNLgSWkw8w/I+tmKC33mK" \
	"mrLA9hklYdtGInTzlV2RIK0tS+jmzKkDSdMl7KcSi4A37/AFoI7pAgMBAAE="
/* the 2048-bit key of the fixtures below (a fresh key, private half
 * used only to sign them) */
#define KEY_UNIT \
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAyTj/PKqUmW1d7jwRlOeS" \
	"dnGTDCmxe1Rf7JTt0ejvz37ikDLRFZgJ/C5n0xMjpA30+xun4kfXLlWmrLad8gmm" \
	"/wfhvZCXpn3Qc6CxrbrqaPzq5yAiX8B0XZ1Rf7wwqSyQ/eliRX0d+mHBSoKQ2Ko6" \
	"vXVOdt5zSa+DZ4Y4eyWEzGR47npbvfhATU2WSJfUAi6y85U4bWA01NJuqmmmP5Wm" \
	"y/S2fqx3afk8i6GEAYXdv9swhJc7lq9C2OFa8buAgmtijNpipQdEo8ym5+jSRKTg" \
	"b/GJd5jAt+IbLOSCqonf26U4tBe5ghecFIb1uj+JwhlCbiuG2/i7gIQVQNxVk9v1" \
	"PQIDAQAB"

static const struct {
	const char	*rec;
	int		 ok;
	int		 type;		/* enum crypto_keytype, when ok */
} key_cases[] = {
	{ "v=DKIM1; p=" KEY1024_SPKI, 1, CRYPTO_KEY_RSA },
	{ "p=" KEY1024_SPKI, 1, CRYPTO_KEY_RSA },	/* v= optional */
	{ "p=" KEY1024_SPKI "; v=DKIM1", 0, 0 },	/* v= not first */
	{ "v=DKIM2; p=" KEY1024_SPKI, 0, 0 },
	{ "v=DKIM1:; p=" KEY1024_SPKI, 0, 0 },
	{ "v=DKIM1; k=rsa", 0, 0 },			/* no p= */
	{ "v=DKIM1; p=", 1, CRYPTO_KEY_RSA },		/* revoked */
	{ "k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", 1,
	    CRYPTO_KEY_ED25519 },
	{ "k=ed25519-sha256; p=x", 1, CRYPTO_KEY_NONE },
	{ "k=rsa; t; p=x", 0, 0 },
	{ "h=sha1::sha256; p=x", 0, 0 },
	{ "s=email:; p=x", 0, 0 },
	{ "t=y:s; p=x", 1, CRYPTO_KEY_RSA },
	{ "", 0, 0 },
	{ "v=spf1 -all", 0, 0 },
};

static void
test_keys(void)
{
	struct dkim_keyrec	k;
	struct dkim_sigrec	r;
	const char		*why;
	enma_status		st;
	size_t			i;

	for (i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		st = dkim_key_parse(enma_span_from_cstr(key_cases[i].rec), &k,
		    &why);
		CHECK((st == ENMA_OK) == key_cases[i].ok &&
		    (st != ENMA_OK || (int)k.ktype == key_cases[i].type),
		    "key \"%.40s\": %s", key_cases[i].rec, enma_strerror(st));
	}
	memset(&r, 0, sizeof(r));
	r.md = CRYPTO_MD_SHA256;
	r.ktype = CRYPTO_KEY_RSA;
	r.d = r.i_domain = "example.com";
	r.i_local = "jlong";
#define APPLIES(rec, r4871) (dkim_key_parse(ENMA_SPAN_LIT(rec), &k, &why) == \
	ENMA_OK && dkim_key_applies(&k, &r, r4871, &why))
	CHECK(APPLIES("p=x", 0), "plain key applies");
	CHECK(!APPLIES("p=", 0), "revoked");
	CHECK(APPLIES("h=sha1:sha256; p=x", 0), "h= lists sha256");
	CHECK(!APPLIES("h=sha1; p=x", 0), "h= lacks sha256");
	CHECK(APPLIES("h=foo:sha256; p=x", 0), "unknown h= ignored");
	CHECK(!APPLIES("k=ed25519; p=x", 0), "k= mismatch");
	CHECK(!APPLIES("k=foobar; p=x", 0), "unknown k=");
	CHECK(APPLIES("s=email:web; p=x", 0) && APPLIES("s=*; p=x", 0) &&
	    APPLIES("s=Email; p=x", 0), "s= with email or *");
	CHECK(!APPLIES("s=chat; p=x", 0) && !APPLIES("s=tlsrpt; p=x", 0),
	    "s= without email");
	CHECK(APPLIES("t=s; p=x", 0), "t=s, i= domain is d=");
	r.i_domain = "sub.example.com";
	CHECK(!APPLIES("t=s; p=x", 0), "t=s, i= in a subdomain");
	CHECK(APPLIES("t=y; p=x", 0) && k.testing == 1, "t=y");
	/* g= (RFC 4871 3.6.1) only with rfc4871_compatible */
	CHECK(APPLIES("g=*poe; p=x", 0), "g= ignored");
	CHECK(!APPLIES("g=*poe; p=x", 1), "g=*poe vs jlong");
	CHECK(APPLIES("g=jl*g; p=x", 1), "g=jl*g vs jlong");
	CHECK(APPLIES("g=jlong; p=x", 1) && APPLIES("g=*; p=x", 1) &&
	    APPLIES("g=jlong*; p=x", 1) && APPLIES("g=*jlong; p=x", 1),
	    "g= literal and wildcards");
	CHECK(!APPLIES("g=JLONG; p=x", 1), "g= is case-sensitive");
	CHECK(!APPLIES("g=; p=x", 1), "empty g= matches nothing");
	CHECK(!APPLIES("g=j*o*g; p=x", 1), "g= with two '*'");
	r.i_local = "";
	CHECK(!APPLIES("g=jl*g; p=x", 1) && APPLIES("g=*; p=x", 1),
	    "g= vs the empty local-part of a missing i=");
#undef APPLIES
}

/* ---- crypto: FIPS 180-2 digests, DER keys ----------------------------- */

static int
hex_eq(const unsigned char *p, size_t n, const char *hex)
{
	char	buf[2 * CRYPTO_MAX_DIGEST + 1];
	size_t	i;

	for (i = 0; i < n && i < CRYPTO_MAX_DIGEST; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	buf[2 * i] = '\0';
	return strcmp(buf, hex) == 0;
}

static void
test_der(const char *b64, unsigned bits_want, const char *name)
{
	unsigned char		 der[600];
	struct enma_span	 n, e;
	struct crypto_pkey	*k = NULL;
	size_t			 len = 0;
	unsigned		 bits = 0;

	CHECK(enma_base64_decode(enma_span_from_cstr(b64), der, sizeof(der),
	    &len) == ENMA_OK, "%s: base64", name);
	CHECK(crypto_rsa_from_der(enma_span_make(der, len), &n, &e) ==
	    ENMA_OK && n.len * 8 == bits_want && e.len == 3 &&
	    e.p[0] == 1 && e.p[1] == 0 && e.p[2] == 1, "%s: n and e", name);
	CHECK(crypto_pkey_from_der(CRYPTO_KEY_RSA, der, len, &k, &bits) ==
	    ENMA_OK && bits == bits_want, "%s: %u bits", name, bits);
	crypto_pkey_free(k);
	der[len - 1] ^= 1;		/* exponent 65536: even */
	CHECK(crypto_pkey_from_der(CRYPTO_KEY_RSA, der, len, &k, &bits) ==
	    ENMA_ESYNTAX, "%s: even exponent", name);
	CHECK(crypto_pkey_from_der(CRYPTO_KEY_RSA, der, len - 1, &k, &bits) ==
	    ENMA_ESYNTAX, "%s: truncated", name);
	CHECK(crypto_pkey_from_der(CRYPTO_KEY_ED25519, der, len, &k, &bits) ==
	    ENMA_ESYNTAX, "%s: not an Ed25519 key", name);
}

/* test_rsa_size - a modulus of bytes bytes (top bit set), e = 65537 */
static void
test_rsa_size(size_t bytes, enma_status want, unsigned bits_want)
{
	unsigned char		*der = calloc(1, bytes + 32);
	struct crypto_pkey	*k = NULL;
	unsigned		 bits = 0;
	size_t			 n = 0, ilen = bytes + 1, slen;

	if (der == NULL)
		return;
	slen = 4 + ilen + 5;		/* INTEGER n, INTEGER e */
	der[n++] = 0x30;
	der[n++] = 0x82;
	der[n++] = (unsigned char)(slen >> 8);
	der[n++] = (unsigned char)slen;
	der[n++] = 0x02;
	der[n++] = 0x82;
	der[n++] = (unsigned char)(ilen >> 8);
	der[n++] = (unsigned char)ilen;
	der[n++] = 0;			/* positive */
	memset(der + n, 0xc5, bytes);
	n += bytes;
	memcpy(der + n, "\x02\x03\x01\x00\x01", 5);
	n += 5;
	CHECK(crypto_pkey_from_der(CRYPTO_KEY_RSA, der, n, &k, &bits) == want &&
	    (want != ENMA_OK || bits == bits_want), "%zu-byte modulus: %u bits",
	    bytes, bits);
	crypto_pkey_free(k);
	free(der);
}

static void
test_crypto(void)
{
	struct crypto_hash	*h;
	unsigned char		 d[CRYPTO_MAX_DIGEST];
	size_t			 n = 0;

	CHECK(crypto_hash_new(CRYPTO_MD_SHA256, &h) == ENMA_OK &&
	    crypto_hash_update(h, "ab", 2) == ENMA_OK &&
	    crypto_hash_update(h, "c", 1) == ENMA_OK &&
	    crypto_hash_final(h, d, &n) == ENMA_OK && hex_eq(d, n,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	    "SHA-256(abc)");
	crypto_hash_free(h);
	CHECK(crypto_hash_new(CRYPTO_MD_SHA1, &h) == ENMA_OK &&
	    crypto_hash_update(h, "abc", 3) == ENMA_OK &&
	    crypto_hash_final(h, d, &n) == ENMA_OK && hex_eq(d, n,
	    "a9993e364706816aba3e25717850c26c9cd0d89d"), "SHA-1(abc)");
	crypto_hash_free(h);
	crypto_hash_free(NULL);
	test_der(KEY1024_SPKI, 1024, "1024 SPKI");
	test_der(KEY1024_RSA, 1024, "1024 RSAPublicKey");
	test_der(KEY_UNIT, 2048, "2048 SPKI");
	test_rsa_size(1024, ENMA_OK, 8192);
	test_rsa_size(1025, ENMA_ELIMIT, 0);	/* over 8192 bits */
}

/* ---- canonicalisation: RFC 6376 3.4 ----------------------------------- */

static void
buf_sink(void *arg, const unsigned char *p, size_t n)
{
	(void)enma_buf_append(arg, p, n);
}

/* body_canon - canonicalise in chunks of step bytes (0: whole) */
static int
body_canon(int relaxed, const char *in, size_t len, size_t step,
    const char *want, size_t wlen)
{
	struct dkim_body_canon	c;
	struct enma_buf		out;
	size_t			i, k;
	int			ok;

	enma_buf_init(&out, 0);
	dkim_body_canon_init(&c, relaxed ? DKIM_CANON_RELAXED :
	    DKIM_CANON_SIMPLE, buf_sink, &out);
	for (i = 0; i < len; i += k) {
		k = step == 0 || step > len - i ? len - i : step;
		dkim_body_canon_update(&c, (const unsigned char *)in + i, k);
	}
	dkim_body_canon_final(&c);
	ok = out.len == wlen && (wlen == 0 || memcmp(out.p, want, wlen) == 0);
	enma_buf_free(&out);
	return ok;
}

/* RFC 6376 3.4.5, and the edges of PITFALLS 5 */
static const struct {
	const char	*in, *simple, *relaxed;
} body_cases[] = {
	/* 3.4.5 */
	{ " C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n", " C\r\nD E\r\n" },
	{ "", "\r\n", "" },				/* empty body */
	{ "\r\n", "\r\n", "" },
	{ "\r\n\r\n", "\r\n", "" },
	{ "a\r\n \t\r\n\t\r\n", "a\r\n \t\r\n\t\r\n", "a\r\n" },
	{ "a", "a\r\n", "a\r\n" },			/* no last CRLF */
	{ "a  \t", "a  \t\r\n", "a\r\n" },
	{ "a\r\n\r\nb", "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n" },
	{ "a\nb\n", "a\r\nb\r\n", "a\r\nb\r\n" },	/* bare LF */
	{ "a\rb\r\n", "a\rb\r\n", "a\rb\r\n" },		/* bare CR */
	{ "a \rb\r\n", "a \rb\r\n", "a \rb\r\n" },
	{ "\t x\r\n", "\t x\r\n", " x\r\n" },
	{ " \r\n\r\nx\r\n", " \r\n\r\nx\r\n", "\r\n\r\nx\r\n" },
};

static void
test_body_canon(void)
{
	size_t i, step;

	for (i = 0; i < sizeof(body_cases) / sizeof(body_cases[0]); i++)
		for (step = 0; step < 4; step++) {
			CHECK(body_canon(0, body_cases[i].in,
			    strlen(body_cases[i].in), step,
			    body_cases[i].simple, strlen(body_cases[i].simple)),
			    "simple body #%zu, chunks of %zu", i, step);
			CHECK(body_canon(1, body_cases[i].in,
			    strlen(body_cases[i].in), step,
			    body_cases[i].relaxed,
			    strlen(body_cases[i].relaxed)),
			    "relaxed body #%zu, chunks of %zu", i, step);
		}
}

/*
 * ref_canon - RFC 6376 3.4.3 / 3.4.4 read line by line: the body is
 * cut at each LF (a CR before it belongs to the line end), each line
 * canonicalised, the empty lines at the end dropped
 */
static size_t
ref_canon(int relaxed, const unsigned char *in, size_t n, unsigned char *out)
{
	size_t	i = 0, o = 0, keep = 0, ls, le, j, start;
	int	sp;

	while (i < n) {
		for (ls = i; i < n && in[i] != '\n'; i++)
			continue;
		le = i;
		if (i < n) {
			if (le > ls && in[le - 1] == '\r')
				le--;
			i++;
		}
		start = o;
		for (sp = 0, j = ls; j < le; j++) {
			if (relaxed && (in[j] == ' ' || in[j] == '\t')) {
				sp = 1;
				continue;
			}
			if (sp)
				out[o++] = ' ';
			sp = 0;
			out[o++] = in[j];
		}
		out[o++] = '\r';
		out[o++] = '\n';
		if (o - 2 > start)
			keep = o;	/* the last line that is not empty */
	}
	if (!relaxed && keep == 0) {
		out[0] = '\r';
		out[1] = '\n';
		return 2;
	}
	return keep;
}

/* test_canon_random - any chunking gives the line-by-line reading */
static void
test_canon_random(void)
{
	static const char	 alpha[] = "ab \t\r\nxy\001\377w c";
	unsigned char		 in[600], want[2048];
	unsigned		 seed = 12345, fails = 0;
	size_t			 n, wl, i, it, step;
	int			 relaxed;

	for (it = 0; it < 100000 && fails < 5; it++) {
		n = (seed = seed * 1103515245 + 12345) >> 16;
		n %= it % 2 ? 24 : 600;
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			in[i] = (unsigned char)alpha[(seed >> 16) %
			    (it % 4 ? 6 : sizeof(alpha) - 1)];
		}
		relaxed = (int)(it & 1);
		step = 1 + it % 41;
		wl = ref_canon(relaxed, in, n, want);
		if (!body_canon(relaxed, (const char *)in, n, step,
		    (const char *)want, wl))
			fails++;
	}
	CHECK(fails == 0, "random bodies: %u differ from the line-by-line "
	    "reading", fails);
}

/* hdr_canon - one field canonicalised, compared with want */
static int
hdr_canon(const char *raw, int relaxed, const char *want)
{
	struct enma_header	h;
	struct enma_buf		out;
	int			ok;

	enma_buf_init(&out, 0);
	if (enma_header_parse(enma_span_from_cstr(raw), &h) != ENMA_OK)
		return 0;
	dkim_header_canon(&h, relaxed ? DKIM_CANON_RELAXED :
	    DKIM_CANON_SIMPLE, enma_span_make(NULL, 0), buf_sink, &out);
	ok = out.p != NULL && strcmp(out.p, want) == 0;
	enma_buf_free(&out);
	return ok;
}

static void
test_header_canon(void)
{
	struct enma_header	h;
	struct enma_buf		out;
	const char		*raw = "DKIM-Signature: a=1; b=ab\r\n\tcd ;\r\n"
				    " c=2";

	/* RFC 6376 3.4.5 */
	CHECK(hdr_canon("A: X\r\n", 1, "a:X\r\n"), "3.4.5 A relaxed");
	CHECK(hdr_canon("B : Y\t\r\n\tZ  \r\n", 1, "b:Y Z\r\n"),
	    "3.4.5 B relaxed");
	CHECK(hdr_canon("A: X\r\n", 0, "A: X\r\n"), "3.4.5 A simple");
	CHECK(hdr_canon("B : Y\t\r\n\tZ  \r\n", 0, "B : Y\t\r\n\tZ  \r\n"),
	    "3.4.5 B simple");
	/* a value that starts on a continuation line (PITFALLS 5) */
	CHECK(hdr_canon("Subject:\r\n  Hello\r\n", 1, "subject:Hello\r\n"),
	    "value on a continuation line");
	CHECK(hdr_canon("Subject:", 1, "subject:\r\n"), "empty value");
	CHECK(hdr_canon("X-Long-NAME-That-Goes-On-And-On-Beyond-Sixty-Four-"
	    "Bytes-Of-Name: v", 1, "x-long-name-that-goes-on-and-on-beyond-"
	    "sixty-four-bytes-of-name:v\r\n"), "long name lower-cased");
	/* the signature's own field: b= left out by tag, no CRLF (3.7) */
	enma_buf_init(&out, 0);
	CHECK(enma_header_parse(enma_span_from_cstr(raw), &h) == ENMA_OK,
	    "parse own field");
	dkim_header_canon(&h, DKIM_CANON_RELAXED, enma_span_make(strstr(raw,
	    "ab"), 7), buf_sink, &out);
	CHECK(out.p != NULL && strcmp(out.p, "dkim-signature:a=1; b= ; c=2") ==
	    0, "own field relaxed: %s", out.p != NULL ? out.p : "");
	enma_buf_reset(&out);
	dkim_header_canon(&h, DKIM_CANON_SIMPLE, enma_span_make(strstr(raw,
	    "ab"), 7), buf_sink, &out);
	CHECK(out.p != NULL && strcmp(out.p, "DKIM-Signature: a=1; b= ;\r\n"
	    " c=2") == 0, "own field simple");
	enma_buf_free(&out);
}

static void
test_select(void)
{
	static const char *const raw[] = {
		"From: a", "Subject: one", "To: t", "subject: two",
		"DKIM-Signature: x", "SUBJECT: three"
	};
	struct enma_header	 h[6];
	struct enma_span	 names[4] = {
		ENMA_SPAN_LIT("subject"), ENMA_SPAN_LIT("from"),
		ENMA_SPAN_LIT("Subject"), ENMA_SPAN_LIT("from")
	};
	struct enma_span	 self = ENMA_SPAN_LIT("dkim-signature");
	size_t			 i;

	for (i = 0; i < 6; i++)
		(void)enma_header_parse(enma_span_from_cstr(raw[i]), &h[i]);
	CHECK(dkim_header_select(h, 6, 4, names, 0) == &h[5],
	    "last instance first");
	CHECK(dkim_header_select(h, 6, 4, names, 1) == &h[0], "from");
	CHECK(dkim_header_select(h, 6, 4, names, 2) == &h[3],
	    "second subject is the one above");
	CHECK(dkim_header_select(h, 6, 4, names, 3) == NULL,
	    "from listed twice, present once: the null string");
	CHECK(dkim_header_select(h, 6, 4, &self, 0) == NULL,
	    "the signature's own field is never selected");
	CHECK(dkim_header_select(h, 6, 3, &self, 0) == &h[4],
	    "another signature field is");
}

static void
test_hashsink(void)
{
	static struct dkim_hashsink	hs;
	unsigned char			d[CRYPTO_MAX_DIGEST];
	size_t				n = 0;

	/* l=3 over "abcdef" in two pieces: SHA-256("abc") */
	memset(&hs, 0, sizeof(hs));
	hs.limit = 3;
	CHECK(crypto_hash_new(CRYPTO_MD_SHA256, &hs.hash) == ENMA_OK,
	    "hash");
	dkim_hashsink_fn(&hs, (const unsigned char *)"ab", 2);
	dkim_hashsink_fn(&hs, (const unsigned char *)"cdef", 4);
	CHECK(dkim_hashsink_final(&hs, d, &n) == ENMA_OK && hex_eq(d, n,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
	    && hs.total == 6, "l= ends mid-line");
	crypto_hash_free(hs.hash);
	/* l=0: SHA-256 of nothing */
	memset(&hs, 0, sizeof(hs));
	hs.limit = 0;
	CHECK(crypto_hash_new(CRYPTO_MD_SHA256, &hs.hash) == ENMA_OK,
	    "hash");
	dkim_hashsink_fn(&hs, (const unsigned char *)"abc\r\n", 5);
	CHECK(dkim_hashsink_final(&hs, d, &n) == ENMA_OK && hex_eq(d, n,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
	    "l=0");
	crypto_hash_free(hs.hash);
}

/* ---- the verifier: messages signed by dkimpy 1.1.4 (python3-dkim), key
 * KEY_UNIT at unit._domainkey.example.org ---------------------------- */

/* A relaxed/relaxed l= */
static const char fx_a[] =
"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org;\r\n"
" i=@example.org; l=54; q=dns/txt; s=unit; t=1796322067; h=from : to :\r\n"
" subject : date : message-id : from;\r\n"
" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
" b=J5f3gQ5PMg4l/CjQ/OqA/exjzv2FF/8l5owD8bGepX6dZRq2vMHU7hGdcJw0OVANtOm2n\r\n"
" czdJ5BfqsS+8Sk9YA0/qddpLsNJBKsR0t6wEYG5CM7c89X7jDK+2zcu/4OxotjNtLN0WeZ9\r\n"
" DY7ZTxCKvd/EZNE0Yz7fTffr1yIjAHfMeRINbBhLORoXJD0tP9lQapQcNHnwCQZ2gjm3YQv\r\n"
" 4Ok3HtTRD9wi6qh3WDYINxQvWWg47aB3tlR+E5ObwmK8HQxlSQg+f4mNsQF43TT4UuOHh09\r\n"
" tTEqkmdFcGuShlf8lH4QeV950cnhCS6x+cFoYRiKF8Lw6l/qVJ6MT5snErCw==\r\n"
"From: Joe SixPack <joe@football.example.com>\r\n"
"To: Suzie Q <suzie@shopping.example.net>\r\n"
"Subject: Is dinner ready?\r\n"
"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
"\r\n"
"Hi.\r\n"
"\r\n"
"We lost the game.  Are you hungry yet?\r\n"
"\r\n"
"Joe.\r\n";

/* B simple/simple t=1000000000 x=1000000100 */
static const char fx_b[] =
"DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=example.org;\r\n"
" i=@example.org; q=dns/txt; s=unit; t=1000000000; x=1000000100; h=from\r\n"
" : to : subject : date : message-id : from;\r\n"
" bh=4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=;\r\n"
" b=JFyZtwPgiyyB2iSB5hZvDDvvAOdXocD6qwPHy6PQ30tEDqGXk1va12UuDmlg4q0SqzLa2\r\n"
" HG+neoJHMd+5lKfWIMjut/oOV8QyuTbVjqsTvNf3dZEBLTsPtSH9YRw5dhxc2VsNAvAsC9Z\r\n"
" yQnwlAYf4loLrNJ7zuOu0vEiL48s3KjHgQmOjB9t2dNrGBDPfSGsp16Wc7VFd5YsIuedyEL\r\n"
" +DrJISUet7bIk8MBA9EJNjcmaebqDwC8Zc26NwumvnD1LoMc93EQHO4Kv/Cpvpu8eW9eFIY\r\n"
" g156LN0KP1bZUYapo9SkUKTVxGwBLKeIKR9mD1MgPbfAu6kB5KbXL1nEZL9Q==\r\n"
"From: Joe SixPack <joe@football.example.com>\r\n"
"To: Suzie Q <suzie@shopping.example.net>\r\n"
"Subject: Is dinner ready?\r\n"
"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
"\r\n"
"Hi.\r\n"
"\r\n"
"We lost the game.  Are you hungry yet?\r\n"
"\r\n"
"Joe.\r\n";

/* C over-signed */
static const char fx_c[] =
"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=example.org;\r\n"
" i=@example.org; q=dns/txt; s=unit; t=1796322067; h=from : from :\r\n"
" subject : subject : to;\r\n"
" bh=4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=;\r\n"
" b=jA1ZJJ4y0i1AlcsrPUo+BH25KwO6A22kjsmpYHWqMI5vTI4GPpIvxQ1hNWcwJodJe7N06\r\n"
" hm4p9lCz37nAUs57rl8FzlJiqn5PKE5tIprStnhWy1Ka0brYzCIBU8fFOPVCP8fVHrT9jER\r\n"
" AtWXNBaY0TStp5OvGAisCRylu3FvAwasNYEeeILwpjsEp8MIJbstN7NHq1DR8xRUTh4HxYw\r\n"
" F78eRImtPGv1l6mW1oa9BiLJ0qkW2O3vEtdYV/csw1WBSV6wunoldAzpp8GQBxihI4vo1AB\r\n"
" cG4zuOSHZN6nIORhpq3arhnz2eIpd01VuTMJmj0jYE6dIpQlATMUDrWb0p4g==\r\n"
"From: Joe SixPack <joe@football.example.com>\r\n"
"To: Suzie Q <suzie@shopping.example.net>\r\n"
"Subject: Is dinner ready?\r\n"
"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
"\r\n"
"Hi.\r\n"
"\r\n"
"We lost the game.  Are you hungry yet?\r\n"
"\r\n"
"Joe.\r\n";

/* D rsa-sha1 */
static const char fx_d[] =
"DKIM-Signature: v=1; a=rsa-sha1; c=relaxed/relaxed; d=example.org;\r\n"
" i=@example.org; q=dns/txt; s=unit; t=1796322067; h=from : to : subject\r\n"
" : date : message-id : from; bh=yk6W9pJJilr5MMgeEdSd7J3IaJI=;\r\n"
" b=b5IHBm7aQMl2+HGj5ziIxKMsDCYaOR96itXC1HDs+3oOHoHRJMcmp8DLhd2mhBzS9nxfI\r\n"
" VzF+BF3hnT6A5GCj6qy6vECv2pWg4GW1CeMRoSElQJ9H8Is+KnMw2qF9DXGJDnINOpsp31Z\r\n"
" g54udtQC722DSllcPYhsgUl1UF+XFj4aGUEZvHovZK8oyfOsBdD1dnquGBRVlWVsxiV2Gmp\r\n"
" iIi4q9+XS93kFWblwg8HpRIPksPc3THV90vq15kGBZq8QN+uIkIf0ZTV0n1+Wl9kMMd/nDW\r\n"
" 6cwGIpI1hurTnM5OcXjzkeYjpGUPC3pztasUjPw+JK3p6nK7NKtER4v06gTg==\r\n"
"From: Joe SixPack <joe@football.example.com>\r\n"
"To: Suzie Q <suzie@shopping.example.net>\r\n"
"Subject: Is dinner ready?\r\n"
"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
"\r\n"
"Hi.\r\n"
"\r\n"
"We lost the game.  Are you hungry yet?\r\n"
"\r\n"
"Joe.\r\n";

/* E1 empty body simple */
static const char fx_e1[] =
"DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=example.org;\r\n"
" i=@example.org; q=dns/txt; s=unit; t=1796322067; h=from : to : subject\r\n"
" : date : message-id : from;\r\n"
" bh=frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=;\r\n"
" b=U6pt0tutZ0K8qa4hbNp3vmC639/HBNQ2C2WpV7cr2Yv4vMJWT7nPi4knkufR+Q0Q6DWVC\r\n"
" 8r/ZRqzylXOWmebF4U/P5p9YvKQSai1sJCXYHlv12q8CxF3GY5Pba5oiSvrOjSNTvGfv3MZ\r\n"
" fmgPyOOLTjtclRbFSLcF63gW9ksweN4hT5EeLGdKvTndUi6UTttmh0x4gZ2EUShcGRa+CLE\r\n"
" skWn/7RTnNU4uhxDJELQzRGmuJ2yqBWYaivDZxEq9vJr5SxnQ4g6minN7+PL7bGzrBTClZ5\r\n"
" 9laWb0xxbD1yepdANVRcTq8iIiMj5DKbaj3LSEFY3ssKu/MhBHr01liXGnnA==\r\n"
"From: Joe SixPack <joe@football.example.com>\r\n"
"To: Suzie Q <suzie@shopping.example.net>\r\n"
"Subject: Is dinner ready?\r\n"
"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
"\r\n";

/* E2 empty body relaxed l= */
static const char fx_e2[] =
"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org;\r\n"
" i=@example.org; l=0; q=dns/txt; s=unit; t=1796322067; h=from : to :\r\n"
" subject : date : message-id : from;\r\n"
" bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
" b=T0+rGoklYeRq8PlgUalqMkqnL9LXt8kpiN7SWnhPArlX53aApMWIWIq27aSFx7tUdQ6AY\r\n"
" HhQBEbsHTNRKFFf0XI9WJGan1ADu6723yavD0wYDbBVRIXNwL4kooVTTtH4v/BWdgXeUHij\r\n"
" v25uvnQSTp2rB9WW2pl2obN4/A2YTkXV0H1kufpYRsnfpIG8sfLLnMDXEjO20hCPoajAW0r\r\n"
" de0sHrl0Lpx1nT48WSb18PG78QSr1Ayyc6X6sfGiMgxoITzVfmyT1P4rFWtIEtM6tHl6AmT\r\n"
" 6XMW4hB2GpV/QGHScMav7eIQEP3slix3f9RnwSsNgeAftnm7W/Q/pypwWSlA==\r\n"
"From: Joe SixPack <joe@football.example.com>\r\n"
"To: Suzie Q <suzie@shopping.example.net>\r\n"
"Subject: Is dinner ready?\r\n"
"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
"\r\n";

/* F whitespace body relaxed */
static const char fx_f[] =
"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org;\r\n"
" i=@example.org; q=dns/txt; s=unit; t=1796322067; h=from : to : subject\r\n"
" : date : message-id : from;\r\n"
" bh=4MYxBWDuMO4O5fKqDycmqTOfPerz+h2FSx0QifvLvog=;\r\n"
" b=w09oC1qu8VfXtTpjeIK1k2Pu/5Gt8OJy94oJHTqFuYmdIl76PjYQMQBkw2rtwtgmZzjb1\r\n"
" aPr/2MEgixyNHAxRg7E2cH4cxA8yF1YI9Z3xM9SLGYGT/2Kg7ChoakrhW0jRalQKw1bMCqZ\r\n"
" MSbOXRmbhYN1aE6j2pv66xLqq5hntMyHSSIVfi4qoxETfWP3UgNaFf+0nM7lelaPjRvPd9o\r\n"
" V0wxsK0hAPiHSZnBtYZ5SMEPXQn6F+eOHnUxkx7mim4U+iAOK4piO0T392UusCqK/18EBqa\r\n"
" Kw0mwlL313CXvwhp1wt0DWMvaFKz2wV81t7hbBogQvoealOvUcBK/NkgodNA==\r\n"
"From: Joe SixPack <joe@football.example.com>\r\n"
"To: Suzie Q <suzie@shopping.example.net>\r\n"
"Subject: Is dinner ready?\r\n"
"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
"\r\n"
"  Leading and  double  spaces \t\r\n"
"\ttab line\t\r\n"
"\r\n"
"trailing   \r\n"
" \r\n"
"\t\r\n"
"\r\n";

/* G whitespace body simple */
static const char fx_g[] =
"DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=example.org;\r\n"
" i=@example.org; q=dns/txt; s=unit; t=1796322067; h=from : to : subject\r\n"
" : date : message-id : from;\r\n"
" bh=HZFkeM4TKVdApAPQ+fJuh5IexTi1L036vWm9AhBtl0o=;\r\n"
" b=j/RI9S45LGCDk6agQJXYrDZzvVp25EWqGijj4BFkwH4kbrmcbJXaG+T552RM0zjT1td0v\r\n"
" WaCE1RqnExnt5XjA/s/M2k82fd0P+4JFk6BDqcHyL/gRVx/QoKRxPnISwc0bQEtQuPDrQlZ\r\n"
" 1risHwatiIn8fP0M1jmyLEU5BDzKvzRaHuiZR2lZ9Hjt//aaaseDoVTHyzmeuaN/u1KXZbZ\r\n"
" xccIRydsnepIpLOHyy6WqFYaVdE/pKnr9dp7sk0PENMtCmTkkelUk1zMgdAZZ24BEXym82h\r\n"
" Ko67EBWFReKLYEUaO2VXnKoCuqRkPeZAZsuiwbu71CiDK3NPtai41ca3it+g==\r\n"
"From: Joe SixPack <joe@football.example.com>\r\n"
"To: Suzie Q <suzie@shopping.example.net>\r\n"
"Subject: Is dinner ready?\r\n"
"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
"\r\n"
"  Leading and  double  spaces \t\r\n"
"\ttab line\t\r\n"
"\r\n"
"trailing   \r\n"
" \r\n"
"\t\r\n"
"\r\n";

#define MAX_HDR		32

/* A message split into header fields and body, over a copy of its text. */
struct tmsg {
	char			*text;
	struct enma_header	 h[MAX_HDR];
	size_t			 nh;
	struct enma_span	 body;
};

/* tmsg_make - prefix + message, with "from" replaced by "to" once */
static int
tmsg_make(struct tmsg *m, const char *prefix, const char *msg,
    const char *from, const char *to, const char *suffix)
{
	size_t	 lp = strlen(prefix), lm = strlen(msg), i = 0, s, e;
	char	*hit;

	memset(m, 0, sizeof(*m));
	if ((m->text = malloc(lp + lm + strlen(to) + strlen(suffix) + 1)) ==
	    NULL)
		return 0;
	strcpy(m->text, prefix);
	hit = from != NULL ? strstr(msg, from) : NULL;
	if (hit != NULL) {
		strncat(m->text, msg, (size_t)(hit - msg));
		strcat(m->text, to);
		strcat(m->text, hit + strlen(from));
	} else
		strcat(m->text, msg);
	strcat(m->text, suffix);
	lm = strlen(m->text);
	while (i < lm && !(m->text[i] == '\r' && m->text[i + 1] == '\n')) {
		for (s = i;; i = e + 2) {
			e = (size_t)(strstr(m->text + i, "\r\n") - m->text);
			if (m->text[e + 2] != ' ' && m->text[e + 2] != '\t')
				break;
		}
		if (m->nh == MAX_HDR || enma_header_parse(enma_span_make(
		    m->text + s, e - s), &m->h[m->nh++]) != ENMA_OK)
			return 0;
		i = e + 2;
	}
	m->body = enma_span_make(m->text + i + 2, lm - i - 2);
	return 1;
}

struct env {
	struct enma_zone	*zone;
	struct enma_resolver	*res;
};

/* env_make - the key record in character-strings of at most 255 bytes
 * (RFC 1035 3.3.14), which the lookup must join (RFC 6376 3.6.2.2) */
static int
env_make(struct env *env, const char *key)
{
	struct enma_span	s[8];
	size_t			n = 0, off = 0, len = key != NULL ?
				    strlen(key) : 0;

	memset(env, 0, sizeof(*env));
	if ((env->zone = enma_zone_new()) == NULL)
		return 0;
	for (; off < len && n < 8; off += s[n++].len)
		s[n] = enma_span_make(key + off, len - off > 255 ? 255 :
		    len - off);
	if (key != NULL && enma_zone_add_txt(env->zone,
	    "unit._domainkey.example.org", ENMA_DNS_TXT, s, n) != ENMA_OK)
		return 0;
	return enma_resolver_zone_new(env->zone, &env->res) == ENMA_OK;
}

static void
env_free(struct env *env)
{
	enma_resolver_free(env->res);
	enma_zone_free(env->zone);
}

/* One verification: its verdicts and what came with them. */
struct run {
	enum enma_dkim_result	 r[4];
	struct enma_dkim_sig	 sig[4];
	size_t			 n, skipped;
	const char		*why;
};

/* verify - m under pol with the key in env, body in chunks of step */
static int
verify(const struct tmsg *m, struct env *env,
    const struct enma_dkim_policy *pol, struct enma_dkim_keycache *cache,
    size_t step, struct run *out)
{
	struct enma_arena		*a = enma_arena_new(0);
	struct enma_dkim_verifier	*v = NULL;
	struct enma_dkim_policy		 p = *pol;
	struct enma_dns_ctx		 dns;
	const struct enma_dkim_sig	*sig;
	size_t				 i, k;
	int				 ok = 0;

	memset(out, 0, sizeof(*out));
	if (p.now == 0)
		p.now = NOW;
	if (a == NULL || enma_dkim_verifier_new(&p, cache, a, &v) != ENMA_OK ||
	    enma_dkim_verifier_headers(v, m->h, m->nh) != ENMA_OK)
		goto done;
	for (i = 0; i < m->body.len; i += k) {
		k = step == 0 || step > m->body.len - i ? m->body.len - i :
		    step;
		if (enma_dkim_verifier_body(v, enma_span_make(m->body.p + i,
		    k)) != ENMA_OK)
			goto done;
	}
	enma_dns_ctx_init(&dns, env->res, 5000, 0);
	if (enma_dkim_verifier_finish(v, &dns, &sig, &out->n,
	    &out->skipped) != ENMA_OK || out->n > 4)
		goto done;
	for (i = 0; i < out->n; i++) {
		out->r[i] = sig[i].result;
		out->sig[i] = sig[i];
		out->sig[i].reason = out->sig[i].d = out->sig[i].i = NULL;
		out->sig[i].s = out->sig[i].a = out->sig[i].b = NULL;
	}
	ok = 1;
	if (out->n > 0)
		out->why = sig[0].reason != NULL ? "reason" : NULL;
	/* the strings, checked here while the arena lives */
	if (out->n > 0 && sig[0].result == ENMA_DKIM_PASS)
		ok = sig[0].reason == NULL && strcmp(sig[0].d,
		    "example.org") == 0 && strcmp(sig[0].s, "unit") == 0 &&
		    strcmp(sig[0].a, strstr(m->text, "a=rsa-sha1") != NULL ?
		    "rsa-sha1" : "rsa-sha256") == 0 && strlen(sig[0].b) == 8 &&
		    strncmp(sig[0].b, strstr(m->text, " b=") + 3, 8) == 0 &&
		    strcmp(sig[0].i, "@example.org") == 0;
	else if (out->n > 0)
		ok = sig[0].reason != NULL && sig[0].reason[0] != '\0';
done:
	enma_dkim_verifier_free(v);
	enma_arena_free(a);
	return ok;
}

/* expect - one message, one verdict, in three chunkings */
static void
expect(const char *name, const char *prefix, const char *msg,
    const char *from, const char *to, const char *suffix, const char *key,
    const struct enma_dkim_policy *pol, enum enma_dkim_result want,
    int partial)
{
	static const size_t	steps[] = { 0, 7, 1 };
	struct tmsg		m;
	struct env		env;
	struct run		r;
	size_t			i;

	if (!tmsg_make(&m, prefix, msg, from, to, suffix) ||
	    !env_make(&env, key)) {
		CHECK(0, "%s: setup", name);
		free(m.text);
		return;
	}
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		CHECK(verify(&m, &env, pol, NULL, steps[i], &r) && r.n == 1 &&
		    r.r[0] == want && r.sig[0].partial_body == partial,
		    "%s (chunks of %zu): got %s, want %s", name, steps[i],
		    r.n > 0 ? enma_dkim_result_to_text(r.r[0]) : "nothing",
		    enma_dkim_result_to_text(want));
	}
	env_free(&env);
	free(m.text);
}

#define KEYREC	"v=DKIM1; k=rsa; p=" KEY_UNIT

static void
test_verify_fixtures(void)
{
	struct enma_dkim_policy	def, p;

	memset(&def, 0, sizeof(def));
	expect("A as signed", "", fx_a, NULL, "", "", KEYREC, &def,
	    ENMA_DKIM_PASS, 0);
	expect("A, text after l=", "", fx_a, NULL, "", "Appended.\r\n",
	    KEYREC, &def, ENMA_DKIM_PASS, 1);
	expect("A, body changed", "", fx_a, "hungry", "HUNGRY", "", KEYREC,
	    &def, ENMA_DKIM_FAIL, 0);
	expect("A, Subject changed", "", fx_a, "dinner", "lunch", "", KEYREC,
	    &def, ENMA_DKIM_FAIL, 0);
	expect("A, t= in the future", "", fx_a, "t=1796322067",
	    "t=1900000000", "", KEYREC, &def, ENMA_DKIM_NEUTRAL, 0);
	expect("A, l= longer than the body", "", fx_a, "l=54", "l=99", "",
	    KEYREC, &def, ENMA_DKIM_FAIL, 0);
	expect("A, an unsigned Received added", "Received: from x\r\n", fx_a,
	    NULL, "", "", KEYREC, &def, ENMA_DKIM_PASS, 0);
	expect("A, From added on top (over-signed)", "From: evil@example.org"
	    "\r\n", fx_a, NULL, "", "", KEYREC, &def, ENMA_DKIM_FAIL, 0);
	p = def;
	p.min_rsa_bits = 4096;
	expect("A, 2048 bits under a 4096 minimum", "", fx_a, NULL, "", "",
	    KEYREC, &p, ENMA_DKIM_POLICY, 0);
	expect("B expired", "", fx_b, NULL, "", "", KEYREC, &def,
	    ENMA_DKIM_POLICY, 0);
	p = def;
	p.accept_expired = 1;
	expect("B expired, accepted", "", fx_b, NULL, "", "", KEYREC, &p,
	    ENMA_DKIM_PASS, 0);
	p = def;
	p.now = 1000000050;
	expect("B before x=", "", fx_b, NULL, "", "", KEYREC, &p,
	    ENMA_DKIM_PASS, 0);
	expect("C over-signed", "", fx_c, NULL, "", "", KEYREC, &def,
	    ENMA_DKIM_PASS, 0);
	expect("C, Subject added on top", "Subject: Free money\r\n", fx_c,
	    NULL, "", "", KEYREC, &def, ENMA_DKIM_FAIL, 0);
	expect("C, Subject added below", "", fx_c, "Message-ID:",
	    "Subject: Free money\r\nMessage-ID:", "", KEYREC, &def,
	    ENMA_DKIM_FAIL, 0);
	expect("C, Date changed (not signed)", "", fx_c, "21:00:37",
	    "22:00:37", "", KEYREC, &def, ENMA_DKIM_PASS, 0);
	expect("D rsa-sha1", "", fx_d, NULL, "", "", KEYREC, &def,
	    ENMA_DKIM_POLICY, 0);
	p = def;
	p.allow_sha1 = 1;
	expect("D rsa-sha1, allowed", "", fx_d, NULL, "", "", KEYREC, &p,
	    ENMA_DKIM_PASS, 0);
	expect("E1 empty body, simple", "", fx_e1, NULL, "", "", KEYREC, &def,
	    ENMA_DKIM_PASS, 0);
	expect("E1, a CRLF body is the same", "", fx_e1, NULL, "", "\r\n\r\n",
	    KEYREC, &def, ENMA_DKIM_PASS, 0);
	expect("E2 empty body, relaxed, l=0", "", fx_e2, NULL, "", "", KEYREC,
	    &def, ENMA_DKIM_PASS, 0);
	expect("E2, text after l=0", "", fx_e2, NULL, "", "More.\r\n", KEYREC,
	    &def, ENMA_DKIM_PASS, 1);
	expect("F whitespace body, relaxed", "", fx_f, NULL, "", "", KEYREC,
	    &def, ENMA_DKIM_PASS, 0);
	expect("F, more trailing whitespace", "", fx_f, NULL, "",
	    " \t \r\n\r\n  ", KEYREC, &def, ENMA_DKIM_PASS, 0);
	expect("F, a space inside a line doubled", "", fx_f, "tab line",
	    "tab  line", "", KEYREC, &def, ENMA_DKIM_PASS, 0);
	expect("F, a space inside a word", "", fx_f, "tab line", "ta b line",
	    "", KEYREC, &def, ENMA_DKIM_FAIL, 0);
	expect("G whitespace body, simple", "", fx_g, NULL, "", "", KEYREC,
	    &def, ENMA_DKIM_PASS, 0);
	expect("G, trailing space changed", "", fx_g, "trailing   ",
	    "trailing  ", "", KEYREC, &def, ENMA_DKIM_FAIL, 0);
}

static void
test_verify_keys(void)
{
	struct enma_dkim_policy	def;

	memset(&def, 0, sizeof(def));
	expect("no key record", "", fx_a, NULL, "", "", NULL, &def,
	    ENMA_DKIM_PERMERROR, 0);
	expect("revoked key", "", fx_a, NULL, "", "", "v=DKIM1; p=", &def,
	    ENMA_DKIM_PERMERROR, 0);
	expect("key h=sha1", "", fx_a, NULL, "", "", "v=DKIM1; h=sha1; p="
	    KEY_UNIT, &def, ENMA_DKIM_PERMERROR, 0);
	expect("key k=ed25519", "", fx_a, NULL, "", "", "v=DKIM1; k=ed25519; "
	    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", &def,
	    ENMA_DKIM_PERMERROR, 0);
	expect("key not base64", "", fx_a, NULL, "", "", "v=DKIM1; p=@@@",
	    &def, ENMA_DKIM_PERMERROR, 0);
	expect("key not a key", "", fx_a, NULL, "", "", "v=DKIM1; p=dGVzdA==",
	    &def, ENMA_DKIM_PERMERROR, 0);
	expect("key record v=DKIM2", "", fx_a, NULL, "", "", "v=DKIM2; p="
	    KEY_UNIT, &def, ENMA_DKIM_PERMERROR, 0);
	expect("key t=y still verifies", "", fx_a, NULL, "", "",
	    "v=DKIM1; t=y; p=" KEY_UNIT, &def, ENMA_DKIM_PASS, 0);
	expect("key t=s, i=@d", "", fx_a, NULL, "", "", "v=DKIM1; t=s; p="
	    KEY_UNIT, &def, ENMA_DKIM_PASS, 0);
}

/* test_verify_misc - the limit, DomainKeys, DNS errors, t=y */
static void
test_verify_misc(void)
{
	struct enma_dkim_policy	def, p;
	struct tmsg		m;
	struct env		env;
	struct run		r;
	struct enma_span	s = ENMA_SPAN_LIT("v=DKIM1; t=y; p=" KEY_UNIT);
	char			*two;

	memset(&def, 0, sizeof(def));
	/* two signature fields, a limit of one */
	two = malloc(2 * sizeof(fx_a));
	CHECK(two != NULL && env_make(&env, KEYREC), "setup");
	memcpy(two, fx_a, (size_t)(strstr(fx_a, "From:") - fx_a));
	two[strstr(fx_a, "From:") - fx_a] = '\0';
	p = def;
	p.max_signatures = 1;
	CHECK(tmsg_make(&m, two, fx_a, NULL, "", "") &&
	    verify(&m, &env, &p, NULL, 0, &r) && r.n == 1 &&
	    r.skipped == 1 && r.r[0] == ENMA_DKIM_PASS, "signature limit");
	CHECK(verify(&m, &env, &def, NULL, 0, &r) && r.n == 2 &&
	    r.skipped == 0 && r.r[0] == ENMA_DKIM_PASS &&
	    r.r[1] == ENMA_DKIM_PASS, "two signatures");
	free(m.text);
	free(two);
	/* DomainKey-Signature is not DKIM */
	CHECK(tmsg_make(&m, "DomainKey-Signature: a=rsa-sha1; q=dns; c=simple;"
	    " s=unit; d=example.org; b=dGVzdA==\r\n", strstr(fx_a, "From:"),
	    NULL, "", "") && verify(&m, &env, &def, NULL, 0, &r) &&
	    r.n == 0 && r.skipped == 0, "DomainKey-Signature ignored");
	free(m.text);
	env_free(&env);
	/* DNS: a timeout is temperror, a key in testing mode says so */
	CHECK(tmsg_make(&m, "", fx_a, NULL, "", "") &&
	    (env.zone = enma_zone_new()) != NULL &&
	    enma_zone_add_timeout(env.zone, "unit._domainkey.example.org") ==
	    ENMA_OK && enma_resolver_zone_new(env.zone, &env.res) == ENMA_OK &&
	    verify(&m, &env, &def, NULL, 0, &r) && r.n == 1 &&
	    r.r[0] == ENMA_DKIM_TEMPERROR, "key lookup timeout");
	env_free(&env);
	CHECK(env_make(&env, NULL) && enma_zone_add_txt(env.zone,
	    "unit._domainkey.example.org", ENMA_DNS_TXT, &s, 1) == ENMA_OK &&
	    verify(&m, &env, &def, NULL, 0, &r) && r.n == 1 &&
	    r.r[0] == ENMA_DKIM_PASS && r.sig[0].testing &&
	    r.sig[0].key_bits == 2048, "t=y: pass, reported");
	env_free(&env);
	/* 6.1.2 step 4: of several TXT records, one that is a key record */
	s = ENMA_SPAN_LIT("v=spf1 -all");
	CHECK(env_make(&env, KEYREC) && enma_zone_add_txt(env.zone,
	    "unit._domainkey.example.org", ENMA_DNS_TXT, &s, 1) == ENMA_OK &&
	    verify(&m, &env, &def, NULL, 0, &r) && r.n == 1 &&
	    r.r[0] == ENMA_DKIM_PASS, "a key record among other TXT records");
	env_free(&env);
	free(m.text);
}

/* test_verify_oom - a small arena: temperror or a verdict, never a crash */
static void
test_verify_oom(void)
{
	struct enma_dkim_verifier	*v;
	struct enma_arena		*a;
	struct enma_dns_ctx		 dns;
	const struct enma_dkim_sig	*sig;
	struct tmsg			 m;
	struct env			 env;
	size_t				 lim, n, sk, i, bad = 0, oom = 0;

	if (!tmsg_make(&m, "", fx_a, NULL, "", "") || !env_make(&env, KEYREC))
		return;
	for (lim = 64; lim < 32768; lim += lim / 4) {
		if ((a = enma_arena_new(lim)) == NULL ||
		    enma_dkim_verifier_new(NULL, NULL, a, &v) != ENMA_OK) {
			enma_arena_free(a);
			continue;
		}
		if (enma_dkim_verifier_headers(v, m.h, m.nh) != ENMA_OK)
			oom++;
		(void)enma_dkim_verifier_body(v, m.body);
		enma_dns_ctx_init(&dns, env.res, 5000, 0);
		if (enma_dkim_verifier_finish(v, &dns, &sig, &n, &sk) ==
		    ENMA_OK)
			for (i = 0; i < n; i++)
				if (sig[i].result == ENMA_DKIM_UNSET ||
				    (sig[i].result != ENMA_DKIM_PASS &&
				    sig[i].reason == NULL))
					bad++;
		enma_dkim_verifier_free(v);
		enma_arena_free(a);
	}
	CHECK(bad == 0 && oom > 0, "small arenas: %zu bad verdicts, %zu "
	    "out of memory", bad, oom);
	env_free(&env);
	free(m.text);
}

/* ---- ADSP: RFC 5617 --------------------------------------------------- */

static enum enma_adsp_result
adsp(const char *domain, const char *const *txt, size_t ntxt, int exists,
    int timeout, const struct enma_dkim_sig *sigs, size_t nsigs,
    unsigned *queries)
{
	struct enma_zone	*z = enma_zone_new();
	struct enma_resolver	*res = NULL;
	struct enma_arena	*a = enma_arena_new(0);
	struct enma_dns_ctx	 dns;
	struct enma_span	 s;
	enum enma_adsp_result	 r = ENMA_ADSP_UNSET;
	const char		*why = NULL;
	size_t			 i;

	if (exists)
		(void)enma_zone_add(z, "example.com", ENMA_DNS_MX,
		    "10 mx.example.com");
	for (i = 0; i < ntxt; i++) {
		s = enma_span_from_cstr(txt[i]);
		(void)enma_zone_add_txt(z, "_adsp._domainkey.example.com",
		    ENMA_DNS_TXT, &s, 1);
	}
	if (timeout)
		(void)enma_zone_add_timeout(z, timeout == 1 ?
		    "_adsp._domainkey.example.com" : "example.com");
	if (enma_resolver_zone_new(z, &res) == ENMA_OK) {
		enma_dns_ctx_init(&dns, res, 5000, 0);
		if (enma_adsp_check(&dns, domain, sigs, nsigs, a, &r, &why) !=
		    ENMA_OK || (r != ENMA_ADSP_PASS && why == NULL))
			r = ENMA_ADSP_UNSET;
		*queries = dns.queries;
	}
	enma_resolver_free(res);
	enma_zone_free(z);
	enma_arena_free(a);
	return r;
}

static void
test_adsp(void)
{
	static const char *const all[] = { "dkim=all" };
	static const char *const disc[] = { "dkim=discardable; x=y" };
	static const char *const unk[] = { "dkim=unknown" };
	static const char *const odd[] = { "dkim=sometimes" };
	static const char *const two[] = { "dkim=all", "dkim=discardable" };
	static const char *const notadsp[] = { "v=spf1 -all", "dkim" };
	struct enma_dkim_sig	 sig[2];
	unsigned		 q = 0;

	memset(sig, 0, sizeof(sig));
	sig[0].result = ENMA_DKIM_PASS;
	sig[0].d = "other.example";
	sig[1].result = ENMA_DKIM_PASS;
	sig[1].d = "Example.COM";
	CHECK(adsp("example.com", all, 1, 1, 0, sig, 2, &q) ==
	    ENMA_ADSP_PASS && q == 0, "author signature: pass, no lookup");
	CHECK(adsp("example.com", all, 1, 1, 0, sig, 1, &q) ==
	    ENMA_ADSP_FAIL, "third-party signature only, dkim=all: fail");
	sig[1].result = ENMA_DKIM_POLICY;
	CHECK(adsp("example.com", disc, 1, 1, 0, sig, 2, &q) ==
	    ENMA_ADSP_DISCARD, "author signature refused by policy: "
	    "discard");
	CHECK(adsp("example.com", unk, 1, 1, 0, NULL, 0, &q) ==
	    ENMA_ADSP_UNKNOWN, "dkim=unknown");
	CHECK(adsp("example.com", odd, 1, 1, 0, NULL, 0, &q) ==
	    ENMA_ADSP_UNKNOWN, "other dkim= values are unknown");
	CHECK(adsp("example.com", NULL, 0, 1, 0, NULL, 0, &q) ==
	    ENMA_ADSP_NONE, "no record: none");
	CHECK(adsp("example.com", notadsp, 2, 1, 0, NULL, 0, &q) ==
	    ENMA_ADSP_NONE, "records that are not ADSP: none");
	CHECK(adsp("example.com", two, 2, 1, 0, NULL, 0, &q) ==
	    ENMA_ADSP_PERMERROR, "two ADSP records: permerror");
	CHECK(adsp("example.com", NULL, 0, 0, 0, NULL, 0, &q) ==
	    ENMA_ADSP_NXDOMAIN, "author domain does not exist: nxdomain");
	CHECK(adsp("example.com", all, 1, 1, 1, NULL, 0, &q) ==
	    ENMA_ADSP_FAIL, "a timeout marks only names without records");
	CHECK(adsp("example.com", NULL, 0, 1, 1, NULL, 0, &q) ==
	    ENMA_ADSP_TEMPERROR, "ADSP lookup timeout: temperror");
	CHECK(adsp("example.com", NULL, 0, 0, 2, NULL, 0, &q) ==
	    ENMA_ADSP_TEMPERROR, "author domain timeout: temperror");
	CHECK(adsp(NULL, all, 1, 1, 0, NULL, 0, &q) == ENMA_ADSP_PERMERROR,
	    "no author domain: permerror");
	CHECK(strcmp(enma_adsp_result_to_text(ENMA_ADSP_DISCARD), "discard") ==
	    0 && strcmp(enma_adsp_result_to_text(ENMA_ADSP_NXDOMAIN),
	    "nxdomain") == 0, "RFC 5617 5.4 words");
	CHECK(strcmp(enma_dkim_result_to_text(ENMA_DKIM_POLICY), "policy") ==
	    0 && strcmp(enma_dkim_result_to_text(ENMA_DKIM_PERMERROR),
	    "permerror") == 0 && strcmp(enma_dkim_result_to_text(
	    ENMA_DKIM_NEUTRAL), "neutral") == 0, "RFC 8601 2.7.1 words");
}

/* ---- the key cache, shared by threads --------------------------------- */

#define CACHE_THREADS	4
#define CACHE_ROUNDS	40

struct cache_job {
	struct enma_dkim_keycache	*cache;
	struct env			*env;	/* two encodings of one key */
	int				 ok;
};

static void *
cache_thread(void *arg)
{
	struct cache_job	*j = arg;
	struct enma_dkim_policy	 pol;
	struct tmsg		 m;
	struct run		 r;
	int			 i;

	memset(&pol, 0, sizeof(pol));
	j->ok = tmsg_make(&m, "", fx_a, NULL, "", "");
	for (i = 0; j->ok && i < CACHE_ROUNDS; i++)
		j->ok = verify(&m, &j->env[i % 2], &pol, j->cache, 0, &r) &&
		    r.n == 1 && r.r[0] == ENMA_DKIM_PASS;
	free(m.text);
	return NULL;
}

/* b64 - RFC 4648 base64 of n bytes */
static void
b64(const unsigned char *p, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3, o += 4) {
		out[o] = a[p[i] >> 2];
		out[o + 1] = a[(p[i] & 3) << 4 | p[i + 1] >> 4];
		out[o + 2] = a[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		out[o + 3] = a[p[i + 2] & 63];
	}
	if (n - i == 1)
		o += (size_t)sprintf(out + o, "%c%c==", a[p[i] >> 2],
		    a[(p[i] & 3) << 4]);
	else if (n - i == 2)
		o += (size_t)sprintf(out + o, "%c%c%c=", a[p[i] >> 2],
		    a[(p[i] & 3) << 4 | p[i + 1] >> 4],
		    a[(p[i + 1] & 15) << 2]);
	out[o] = '\0';
}

static void
test_keycache(void)
{
	struct cache_job	 job[CACHE_THREADS];
	pthread_t		 t[CACHE_THREADS];
	struct env		 env[2];
	unsigned char		 der[600];
	char			 rec[900];
	size_t			 len = 0, i;
	struct enma_dkim_keycache *c = enma_dkim_keycache_new(1);

	/* the same key as SubjectPublicKeyInfo and as RSAPublicKey (the
	 * BIT STRING's contents start at byte 24 of a 2048-bit SPKI): two
	 * entries fighting for a cache of one */
	(void)enma_base64_decode(ENMA_SPAN_LIT(KEY_UNIT), der, sizeof(der),
	    &len);
	strcpy(rec, "p=");
	b64(der + 24, len - 24, rec + 2);
	CHECK(c != NULL && env_make(&env[0], KEYREC) &&
	    env_make(&env[1], rec), "cache setup");
	for (i = 0; i < CACHE_THREADS; i++) {
		job[i].cache = c;
		job[i].env = env;
		CHECK(pthread_create(&t[i], NULL, cache_thread, &job[i]) == 0,
		    "thread");
	}
	for (i = 0; i < CACHE_THREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK(job[i].ok, "thread %zu: every verification passed", i);
	}
	env_free(&env[0]);
	env_free(&env[1]);
	enma_dkim_keycache_free(c);
	enma_dkim_keycache_free(NULL);
}

int
main(void)
{
	test_tags();
	test_lists();
	test_sigs();
	test_keys();
	test_crypto();
	test_body_canon();
	test_canon_random();
	test_header_canon();
	test_select();
	test_hashsink();
	test_verify_fixtures();
	test_verify_keys();
	test_verify_misc();
	test_verify_oom();
	test_adsp();
	test_keycache();
	return check_done("test_dkim");
}
