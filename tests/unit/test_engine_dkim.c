/*
 * test_engine_dkim.c - DKIM and ADSP through the session, end to end
 *
 * The signed messages of tests/data/dkim/ were made by dkimpy (an
 * independent signer; make.sh there says how) and the keys and ADSP
 * records they need are in tests/data/dkim/dkim.zone.  Every expected
 * verdict is worked out by hand from the rule named next to it (RFC 6376
 * with RFC 8301 and 8463 for DKIM, RFC 5617 for ADSP, RFC 8601 2.7.1 for
 * the words); the header.b values are the first 8 characters of each
 * file's b= (RFC 6008), quoted when they hold a "/" (RFC 2045 tspecial).
 *
 * Header values are compared unfolded ("\n\t" read as one space: the
 * folding is authres's, tested there and once here); "*" in an expected
 * value stands for any text, used for the verifier's own reason texts.
 * Run from the top of the tree, or give the data folder as argument.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enma/engine.h>
#include <enma/dns.h>

#include "check.h"

#define ID		"mx.example.jp"
#define MSG_MAX_FIELDS	64
#define MSG_MAX_BYTES	(64 * 1024)
#define BIG_BODY	(32u * 1024 * 1024)	/* streamed, never kept */
#define BIG_CHUNK	(64 * 1024)
#define BIG_GROWTH	(512 * 1024)	/* heap growth allowed meanwhile */

static const char *datadir = "tests/data/dkim";
static struct enma_zone *zone;

/* A message as an MTA hands it over: fields with CRLF folds, body. */
struct msg {
	char		*buf;
	size_t		 len;
	struct enma_span hdr[MSG_MAX_FIELDS];
	size_t		 nhdr;
	struct enma_span body;
};

/* msg_crlf - the file's LF line ends back to CRLF, as it was signed */
static int
msg_crlf(struct msg *m, const char *in, size_t n)
{
	size_t	i;

	if ((m->buf = malloc(2 * n + 1)) == NULL)
		return -1;
	m->len = 0;
	for (i = 0; i < n; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			m->buf[m->len++] = '\r';
		m->buf[m->len++] = in[i];
	}
	return 0;
}

/* msg_split - header fields (continuation lines kept) and the body */
static void
msg_split(struct msg *m)
{
	size_t	i = 0, start, end;

	m->nhdr = 0;
	while (i + 1 < m->len && !(m->buf[i] == '\r' && m->buf[i + 1] ==
	    '\n')) {
		start = i;
		do {	/* one line, then its continuations */
			end = i;
			while (end + 1 < m->len && !(m->buf[end] == '\r' &&
			    m->buf[end + 1] == '\n'))
				end++;
			i = end + 2;
		} while (i < m->len && (m->buf[i] == ' ' ||
		    m->buf[i] == '\t'));
		if (m->nhdr < MSG_MAX_FIELDS)
			m->hdr[m->nhdr++] = enma_span_make(m->buf + start,
			    end - start);
	}
	i = i + 2 <= m->len ? i + 2 : m->len;
	m->body = enma_span_make(m->buf + i, m->len - i);
}

/* msg_load - tests/data/dkim/NAME.eml */
static int
msg_load(const char *name, struct msg *m)
{
	char	 path[512], *raw;
	FILE	*fp;
	size_t	 n;

	memset(m, 0, sizeof(*m));
	(void)snprintf(path, sizeof(path), "%s/%s.eml", datadir, name);
	if ((fp = fopen(path, "rb")) == NULL) {
		CHECK(0, "cannot open %s", path);
		return -1;
	}
	raw = malloc(MSG_MAX_BYTES);
	n = raw != NULL ? fread(raw, 1, MSG_MAX_BYTES, fp) : 0;
	fclose(fp);
	if (raw == NULL || n == 0 || msg_crlf(m, raw, n) != 0) {
		free(raw);
		CHECK(0, "cannot read %s", path);
		return -1;
	}
	free(raw);
	msg_split(m);
	return 0;
}

/* msg_inline - a message from field strings and a body */
static void
msg_inline(struct msg *m, const char *const *fields, const char *body)
{
	memset(m, 0, sizeof(*m));
	for (; fields != NULL && *fields != NULL; fields++)
		m->hdr[m->nhdr++] = enma_span_from_cstr(*fields);
	m->body = enma_span_from_cstr(body);
}

static struct enma_engine *
mkengine(const char *extra)
{
	struct enma_conf	*c = enma_conf_new();
	struct enma_resolver	*r = NULL;
	struct enma_engine	*e = NULL;
	char			 err[512];

	CHECK(enma_conf_load_span(c, ENMA_SPAN_LIT("authresult.identifier: "
	    ID "\nspf.auth: false\nsidf.auth: false\n"), "base", err,
	    sizeof(err)) == ENMA_OK, "base: %s", err);
	CHECK(enma_conf_load_span(c, enma_span_from_cstr(extra), "extra", err,
	    sizeof(err)) == ENMA_OK, "extra: %s", err);
	CHECK(enma_resolver_zone_new(zone, &r) == ENMA_OK, "zone resolver");
	CHECK(enma_engine_new(c, r, NULL, NULL, &e, err, sizeof(err)) ==
	    ENMA_OK, "engine: %s", err);
	enma_conf_free(c);
	return e;
}

/* begin - a session up to the header, from a checked client */
static struct enma_session *
begin(struct enma_engine *e, const char *ip)
{
	struct enma_session	*s = enma_session_new(e);
	struct enma_ip		 a;

	CHECK(s != NULL, "session");
	CHECK(enma_ip_from_text(enma_span_from_cstr(ip), &a) == ENMA_OK,
	    "ip");
	(void)enma_session_connect(s, &a, 25);
	(void)enma_session_helo(s, ENMA_SPAN_LIT("client.example.net"));
	(void)enma_session_mail_from(s, ENMA_SPAN_LIT("<alice@example.net>"));
	return s;
}

/*
 * feed - the fields, then the body in chunks of size chunk (0: one);
 * each field with its final CRLF when crlf is set (both forms are taken)
 */
static void
feed_fields(struct enma_session *s, const struct msg *m, size_t chunk,
    int crlf)
{
	size_t	i, n;

	for (i = 0; i < m->nhdr; i++)
		(void)enma_session_header(s, enma_span_make(m->hdr[i].p,
		    m->hdr[i].len + (crlf ? 2 : 0)));
	for (i = 0; i < m->body.len; i += n) {
		n = chunk == 0 ? m->body.len : chunk;
		if (n > m->body.len - i)
			n = m->body.len - i;
		(void)enma_session_body(s, enma_span_make(m->body.p + i, n));
	}
}

static void
feed(struct enma_session *s, const struct msg *m, size_t chunk)
{
	feed_fields(s, m, chunk, 0);
}

/* glob - s matches pattern p, where "*" stands for any text */
static int
glob(const char *p, const char *s)
{
	if (*p == '\0')
		return *s == '\0';
	if (*p == '*') {
		for (;; s++) {
			if (glob(p + 1, s))
				return 1;
			if (*s == '\0')
				return 0;
		}
	}
	return *s == *p && glob(p + 1, s + 1);
}

/* unfold - the value on one line: "\n\t" read as a space */
static const char *
unfold(const char *v, char *out, size_t len)
{
	size_t	o = 0;

	if (v == NULL)
		return "(no header)";
	for (; *v != '\0' && o + 1 < len; v++) {
		if (v[0] == '\n' && v[1] == '\t') {
			out[o++] = ' ';
			v++;
		} else
			out[o++] = *v;
	}
	out[o] = '\0';
	return out;
}

/* expect - the result's header (unfolded) and log line */
static void
expect(const char *name, const struct enma_result *r, const char *want,
    const char *logline)
{
	char	 buf[8192];
	const char *got = unfold(r->header_value, buf, sizeof(buf));

	CHECK(glob(want, got), "%s:\n\tgot  [%s]\n\twant [%s]", name, got,
	    want);
	if (logline != NULL)
		CHECK_STR(r->logline, logline, name);
}

struct fcase {
	const char	*file;
	const char	*conf;		/* extra configuration lines */
	const char	*header;	/* unfolded, "*" any text */
	const char	*logline;
};

#define PASS_RSA(b) "dkim=pass header.d=example.net header.i=@example.net " \
	"header.s=rsa header.a=rsa-sha256 header.b=" b
#define PROPS(s, a, b) " header.d=example.net header.i=@example.net " \
	"header.s=" s " header.a=" a " header.b=" b
#define ADSP_PASS "; dkim-adsp=pass header.from=alice@example.net"
/* example.net publishes no ADSP record (RFC 5617 4.3): none */
#define ADSP_NONE "; dkim-adsp=none (*) header.from=alice@example.net"

static const struct fcase file_cases[] = {
	/* RFC 6376 6.1.3: signature verifies; RFC 5617 2.7: a valid
	 * Author Domain Signature is ADSP pass */
	{ "rsa-pass", "", ID "; " PASS_RSA("ahIW9IcQ") ADSP_PASS,
	    "dkim=pass dkim-adsp=pass" },
	{ "rsa-simple", "", ID "; " PASS_RSA("nweXzitC") ADSP_PASS, NULL },
	{ "rsa-relaxed", "", ID "; " PASS_RSA("ngkZMFZN") ADSP_PASS, NULL },
	/* RFC 8463 3: ed25519-sha256 */
	{ "ed-pass", "", ID "; dkim=pass" PROPS("ed", "ed25519-sha256",
	    "Yope5nLp") ADSP_PASS, NULL },
	/* RFC 6376 3.4.3: the empty body is one CRLF under simple */
	{ "empty-body", "", ID "; " PASS_RSA("bpvVn6Iw") ADSP_PASS, NULL },
	/* 6.1.3 step 3: body hash differs: fail (RFC 8601 2.7.1); then
	 * no valid author signature and no ADSP record: none */
	{ "body-changed", "", ID "; dkim=fail (*)" PROPS("rsa", "rsa-sha256",
	    "XOeYqz4z") ADSP_NONE, "dkim=fail dkim-adsp=none" },
	/* 6.1.3 step 4: a signed field changed: fail */
	{ "header-changed", "", ID "; dkim=fail (*)" PROPS("rsa",
	    "rsa-sha256", "N30SFr5A") ADSP_NONE, NULL },
	/* 3.6.1: empty p= is revoked; 6.1.2 step 3: no key record; both
	 * key problems: permerror (RFC 8601 2.7.1) */
	{ "revoked", "", ID "; dkim=permerror (*)" PROPS("revoked",
	    "rsa-sha256", "\"D/evBuY5\"") ADSP_NONE,
	    "dkim=permerror dkim-adsp=none" },
	{ "missing-key", "", ID "; dkim=permerror (*)" PROPS("gone",
	    "rsa-sha256", "YkMCbRLP") ADSP_NONE, NULL },
	/* 6.1.2 step 2: the key lookup times out: temperror */
	{ "key-timeout", "", ID "; dkim=temperror (*)" PROPS("slow",
	    "rsa-sha256", "iqdnJa+D") ADSP_NONE, NULL },
	/* 3.5 x=: expired in 2001: policy (RFC 8601 2.7.1: verifies, but
	 * refused), unless dkim.accept_expired_signature */
	{ "expired", "", ID "; dkim=policy (*)" PROPS("rsa", "rsa-sha256",
	    "fUov1Icf") ADSP_NONE, "dkim=policy dkim-adsp=none" },
	{ "expired", "dkim.accept_expired_signature: true\n",
	    ID "; " PASS_RSA("fUov1Icf") ADSP_PASS, NULL },
	/* two signatures in header order: ed (made last) passes, rsa
	 * (made before Subject changed) fails; ADSP: one valid author
	 * signature is enough */
	{ "two-sigs", "", ID "; dkim=pass" PROPS("ed", "ed25519-sha256",
	    "HwIU33d7") "; dkim=fail (*)" PROPS("rsa", "rsa-sha256",
	    "\"E/CfmZeu\"") ADSP_PASS, "dkim=pass dkim=fail dkim-adsp=pass" },
	/* three good signatures, all verified by default ... */
	{ "three-sigs", "", ID "; " PASS_RSA("hvtPyP3j") "; dkim=pass"
	    PROPS("ed", "ed25519-sha256", "4V2yKfqm") "; "
	    PASS_RSA("nneVAjeb") ADSP_PASS,
	    "dkim=pass dkim=pass dkim=pass dkim-adsp=pass" },
	/* ... the first two under dkim.signheader_limit: 2 (RFC 6376 6.1:
	 * a verifier may limit them), the third counted in a comment */
	{ "three-sigs", "dkim.signheader_limit: 2\n", ID "; "
	    PASS_RSA("hvtPyP3j") "; dkim=pass (1 more signature not "
	    "verified: dkim.signheader_limit)" PROPS("ed", "ed25519-sha256",
	    "4V2yKfqm") ADSP_PASS, "dkim=pass dkim=pass dkim-adsp=pass" },
	/* RFC 8301 3.1: rsa-sha1 is refused by default: policy */
	{ "sha1", "", ID "; dkim=policy (*)" PROPS("rsa", "rsa-sha1",
	    "h56lpAPC") ADSP_NONE, NULL },
	{ "sha1", "dkim.allow_sha1: true\n", ID "; dkim=pass" PROPS("rsa",
	    "rsa-sha1", "h56lpAPC") ADSP_PASS, NULL },
	/* RFC 8301 3.2: a 512-bit key is under 1024: policy */
	{ "small-key", "", ID "; dkim=policy (*)" PROPS("small",
	    "rsa-sha256", "U2DASm1h") ADSP_NONE, NULL },
	{ "small-key", "dkim.min_rsa_bits: 512\n", ID "; dkim=pass"
	    PROPS("small", "rsa-sha256", "U2DASm1h") ADSP_PASS, NULL },
	/* RFC 6376 3.6.1 t=y: the verdict is unchanged, and said */
	{ "testing", "", ID "; dkim=pass (key in testing mode \\(t=y\\))"
	    PROPS("testing", "rsa-sha256", "dWmgT+yY") ADSP_PASS, NULL },
	/* 3.5 l=: passes, with the unsigned rest said (PITFALLS 6) */
	{ "partial", "", ID "; dkim=pass (l= leaves part of the body "
	    "unsigned)" PROPS("rsa", "rsa-sha256", "Q2EcL+39") ADSP_PASS,
	    NULL },
	/* RFC 5617 2.7: a valid signature, but not the author domain's;
	 * the author domain's practice is discardable: discard */
	{ "adsp-thirdparty", "", ID "; " PASS_RSA("Ecn1exCB")
	    "; dkim-adsp=discard (*) header.from=bob@discard.example",
	    "dkim=pass dkim-adsp=discard" },
	/* only one method on: dkim= alone, or dkim-adsp= alone (the
	 * verifier still runs for it) */
	{ "rsa-pass", "dkimadsp.auth: false\n", ID "; " PASS_RSA("ahIW9IcQ"),
	    "dkim=pass" },
	{ "rsa-pass", "dkim.auth: false\n", ID ADSP_PASS, "dkim-adsp=pass" },
	{ "rsa-pass", "dkim.auth: false\ndkimadsp.auth: false\n", ID "; none",
	    "none" },
};

static void
test_files(void)
{
	struct enma_engine	*e;
	struct enma_session	*s;
	struct enma_result	 r;
	struct msg		 m;
	size_t			 i;
	char			 name[128];

	for (i = 0; i < sizeof(file_cases) / sizeof(file_cases[0]); i++) {
		const struct fcase *c = &file_cases[i];

		if (msg_load(c->file, &m) != 0)
			continue;
		e = mkengine(c->conf);
		s = begin(e, "192.0.2.1");
		feed(s, &m, 0);
		(void)enma_session_eom(s, &r);
		(void)snprintf(name, sizeof(name), "%s [%s]", c->file,
		    c->conf);
		expect(name, &r, c->header, c->logline);
		enma_session_free(s);
		enma_engine_free(e);
		free(m.buf);
	}
}

struct icase {
	const char		*name;
	const char *const	*fields;
	const char		*header;
};

static const char *const f_none[] = { "From: a@none.example",
	"Subject: unsigned", NULL };
static const char *const f_discard[] = { "From: b@discard.example", NULL };
static const char *const f_all[] = { "From: c@all.example", NULL };
static const char *const f_unknown[] = { "From: d@unknown.example", NULL };
static const char *const f_nx[] = { "From: e@nx.example", NULL };
static const char *const f_two_rec[] = { "From: f@two.example", NULL };
static const char *const f_nofrom[] = { "Subject: no author", NULL };
static const char *const f_twofrom[] = { "From: a@none.example",
	"From: b@discard.example", NULL };
static const char *const f_twoauthors[] = {
	"From: c@all.example, Bee <b@discard.example>", NULL };
static const char *const f_fiveauthors[] = {
	"From: a@none.example, b@none.example, c@none.example,\r\n"
	" d@none.example, e@none.example", NULL };
static const char *const f_badfrom[] = { "From: <<@>>", NULL };
static const char *const f_domainkey[] = {
	"DomainKey-Signature: a=rsa-sha1; q=dns; c=simple; d=example.net;\r\n"
	"  s=rsa; b=AAAA", "From: a@none.example", NULL };

/* Unsigned messages: dkim=none (RFC 8601 2.7.1), and RFC 5617 4.3. */
static const struct icase inline_cases[] = {
	{ "no ADSP record", f_none,
	    ID "; dkim=none; dkim-adsp=none (*) header.from=a@none.example" },
	/* 4.2.1 discardable, all, unknown, with no author signature */
	{ "discardable", f_discard, ID "; dkim=none; dkim-adsp=discard (*) "
	    "header.from=b@discard.example" },
	{ "all", f_all, ID "; dkim=none; dkim-adsp=fail (*) "
	    "header.from=c@all.example" },
	{ "unknown", f_unknown, ID "; dkim=none; dkim-adsp=unknown (*) "
	    "header.from=d@unknown.example" },
	/* 4.3 step 1: the author domain does not exist */
	{ "nxdomain", f_nx, ID "; dkim=none; dkim-adsp=nxdomain (*) "
	    "header.from=e@nx.example" },
	{ "two ADSP records", f_two_rec, ID "; dkim=none; "
	    "dkim-adsp=permerror (*) header.from=f@two.example" },
	/* RFC 5322 3.6: exactly one From; none or two: no author domain,
	 * permerror (RFC 5617 5.4, as the original ENMA) */
	{ "no From", f_nofrom, ID "; dkim=none; dkim-adsp=permerror (no From "
	    "field \\(RFC 5322 3.6\\))" },
	{ "two From", f_twofrom, ID "; dkim=none; dkim-adsp=permerror (more "
	    "than one From field \\(RFC 5322 3.6\\))" },
	{ "bad From", f_badfrom, ID "; dkim=none; dkim-adsp=permerror (From "
	    "field does not parse \\(RFC 5322 3.6.2\\))" },
	/* RFC 5617 3.2: each author address on its own */
	{ "two authors", f_twoauthors, ID "; dkim=none; dkim-adsp=fail (*) "
	    "header.from=c@all.example; dkim-adsp=discard (*) "
	    "header.from=b@discard.example" },
	{ "five authors", f_fiveauthors, ID "; dkim=none; "
	    "dkim-adsp=none (*) header.from=a@none.example; "
	    "dkim-adsp=none (*) header.from=b@none.example; "
	    "dkim-adsp=none (*) header.from=c@none.example; "
	    "dkim-adsp=none (no ADSP record *; 1 more author address not "
	    "checked) header.from=d@none.example" },
	/* DomainKeys (RFC 4870) is not DKIM: not signed */
	{ "DomainKey-Signature", f_domainkey, ID "; dkim=none; "
	    "dkim-adsp=none (*) header.from=a@none.example" },
};

static void
test_inline(void)
{
	struct enma_engine	*e = mkengine("");
	struct enma_session	*s;
	struct enma_result	 r;
	struct msg		 m;
	size_t			 i;

	for (i = 0; i < sizeof(inline_cases) / sizeof(inline_cases[0]);
	    i++) {
		msg_inline(&m, inline_cases[i].fields, "Hello\r\n");
		s = begin(e, "192.0.2.1");
		feed(s, &m, 0);
		(void)enma_session_eom(s, &r);
		expect(inline_cases[i].name, &r, inline_cases[i].header, NULL);
		enma_session_free(s);
	}
	enma_engine_free(e);
}

/* The body in any chunking gives the same verdict; the folded value. */
static void
test_chunks(void)
{
	static const size_t	 sizes[] = { 1, 2, 3, 7, 64, 0 };
	struct enma_engine	*e = mkengine("");
	struct enma_session	*s;
	struct enma_result	 r;
	struct msg		 m;
	size_t			 i;
	char			 name[64];

	if (msg_load("rsa-relaxed", &m) != 0)
		return;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		s = begin(e, "192.0.2.1");
		feed(s, &m, sizes[i]);
		(void)enma_session_eom(s, &r);
		(void)snprintf(name, sizeof(name), "chunks of %zu", sizes[i]);
		expect(name, &r, ID "; " PASS_RSA("ngkZMFZN") ADSP_PASS, NULL);
		if (sizes[i] == 0)	/* authres.h: "\n\t" before column 78 */
			CHECK_STR(r.header_value, ID ";\n\tdkim=pass "
			    "header.d=example.net header.i=@example.net "
			    "header.s=rsa\n\theader.a=rsa-sha256 "
			    "header.b=ngkZMFZN;\n\tdkim-adsp=pass "
			    "header.from=alice@example.net", "folded");
		enma_session_free(s);
	}
	/* the fields with their final CRLF, as Exim and enma-check give
	 * them (the file's fields are followed by theirs) */
	s = begin(e, "192.0.2.1");
	feed_fields(s, &m, 0, 1);
	(void)enma_session_eom(s, &r);
	expect("fields with CRLF", &r, ID "; " PASS_RSA("ngkZMFZN") ADSP_PASS,
	    NULL);
	enma_session_free(s);
	enma_engine_free(e);
	free(m.buf);
}

/* The verdict list the adapters log: one entry per signature. */
static void
test_verdicts(void)
{
	struct enma_engine	*e = mkengine("");
	struct enma_session	*s;
	struct enma_result	 r;
	struct msg		 m;

	if (msg_load("two-sigs", &m) != 0)
		return;
	s = begin(e, "192.0.2.1");
	feed(s, &m, 0);
	(void)enma_session_eom(s, &r);
	CHECK(r.nverdicts == 3, "three verdicts, got %zu", r.nverdicts);
	if (r.nverdicts == 3) {
		CHECK_STR(r.verdicts[0].method, "dkim", "method 0");
		CHECK_STR(r.verdicts[0].result, "pass", "result 0");
		CHECK(r.verdicts[0].reason == NULL, "pass: no reason");
		CHECK_STR(r.verdicts[0].identity, "header.d=example.net",
		    "identity 0");
		CHECK_STR(r.verdicts[1].result, "fail", "result 1");
		CHECK(r.verdicts[1].reason != NULL, "fail: a reason");
		CHECK_STR(r.verdicts[2].method, "dkim-adsp", "method 2");
		CHECK_STR(r.verdicts[2].identity,
		    "header.from=alice@example.net", "identity 2");
	}
	/* a second _eom gives the same answer (no second finish) */
	(void)enma_session_eom(s, &r);
	expect("eom twice", &r, ID "; dkim=pass*; dkim=fail*" ADSP_PASS,
	    "dkim=pass dkim=fail dkim-adsp=pass");
	/* the next message on the connection starts afresh */
	enma_session_reset(s);
	(void)enma_session_mail_from(s, ENMA_SPAN_LIT("<alice@example.net>"));
	(void)enma_session_header(s, ENMA_SPAN_LIT("From: a@none.example"));
	(void)enma_session_eom(s, &r);	/* no body at all */
	expect("after reset", &r, ID "; dkim=none; dkim-adsp=none (*) "
	    "header.from=a@none.example", "dkim=none dkim-adsp=none");
	enma_session_free(s);
	enma_engine_free(e);
	free(m.buf);
}

/* What stops verification on our side: temperror for DKIM and ADSP. */
static void
test_temperror(void)
{
	struct enma_engine	*e = mkengine("sidf.auth: true\n");
	struct enma_session	*s;
	struct enma_result	 r;
	struct msg		 m;
	unsigned		 i;
	char			 f[64];

	if (msg_load("rsa-pass", &m) != 0)
		return;
	/* a field handed over after the body: DKIM never saw it */
	s = begin(e, "192.0.2.1");
	feed(s, &m, 0);
	(void)enma_session_header(s, ENMA_SPAN_LIT("X-Late: yes"));
	(void)enma_session_eom(s, &r);
	/* RFC 7208 4.5: example.net has no SPF record: none */
	expect("late field", &r, ID "; sender-id=none header.from="
	    "alice@example.net; dkim=temperror (header field after the "
	    "body); dkim-adsp=temperror (header field after the body)",
	    "sender-id=none dkim=temperror dkim-adsp=temperror");
	enma_session_free(s);
	/* over the header limit: fields were dropped */
	s = begin(e, "192.0.2.1");
	for (i = 0; i < ENMA_SESSION_MAX_HEADERS; i++) {
		(void)snprintf(f, sizeof(f), "X-Filler-%u: %u", i, i);
		(void)enma_session_header(s, enma_span_from_cstr(f));
	}
	feed(s, &m, 0);
	(void)enma_session_eom(s, &r);
	expect("header limit", &r, ID "; sender-id=temperror (header limit "
	    "reached); dkim=temperror (header limit reached); "
	    "dkim-adsp=temperror (header limit reached)", NULL);
	enma_session_free(s);
	enma_engine_free(e);
	free(m.buf);
}

/* Excluded and authenticated clients: nothing verified, no header. */
static void
test_skipped(void)
{
	struct enma_engine	*e = mkengine("");
	struct enma_session	*s;
	struct enma_result	 r;
	struct msg		 m;

	if (msg_load("rsa-pass", &m) != 0)
		return;
	s = begin(e, "127.0.0.1");
	feed(s, &m, 0);
	(void)enma_session_eom(s, &r);
	CHECK(r.skipped == 1 && r.header_value == NULL && r.nverdicts == 0,
	    "excluded");
	enma_session_free(s);
	s = begin(e, "192.0.2.1");
	(void)enma_session_auth(s, ENMA_SPAN_LIT("alice"));
	feed(s, &m, 0);
	(void)enma_session_eom(s, &r);
	CHECK(r.skipped == 2 && r.header_value == NULL, "authenticated");
	enma_session_free(s);
	enma_engine_free(e);
	free(m.buf);
}

/* heap_used - bytes malloc has handed out, mmap'd blocks included (0
 * where it cannot say) */
static size_t
heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* The body is streamed: the heap does not grow with it. */
static void
test_streaming(void)
{
	struct enma_engine	*e = mkengine("");
	struct enma_session	*s;
	struct enma_result	 r;
	struct msg		 m;
	unsigned char		*chunk;
	size_t			 i, before, after;

	if (msg_load("rsa-pass", &m) != 0)
		return;
	chunk = malloc(BIG_CHUNK);
	CHECK(chunk != NULL, "chunk");
	if (chunk == NULL)
		return;
	for (i = 0; i < BIG_CHUNK; i++)	/* lines of 64 bytes */
		chunk[i] = (i % 64) == 62 ? '\r' : (i % 64) == 63 ? '\n' :
		    (unsigned char)('a' + i % 26);
	s = begin(e, "192.0.2.1");
	feed(s, &m, 0);		/* the verifier is running from here */
	before = heap_used();
	for (i = 0; i < BIG_BODY / BIG_CHUNK; i++)
		(void)enma_session_body(s, enma_span_make(chunk, BIG_CHUNK));
	after = heap_used();
	/* mallinfo2 reads nothing under ASan and valgrind: say so */
	if (before != 0)
		CHECK(after < before + BIG_GROWTH, "heap grew by %zu bytes "
		    "over a %u-byte body", after - before, BIG_BODY);
	else
		printf("SKIP heap growth: malloc statistics unavailable "
		    "(sanitizer or valgrind allocator)\n");
	(void)enma_session_eom(s, &r);
	/* RFC 6376 6.1.3 step 3: the added body breaks the body hash */
	expect("32 MiB more body", &r, ID "; dkim=fail (*)" PROPS("rsa",
	    "rsa-sha256", "ahIW9IcQ") ADSP_NONE, NULL);
	enma_session_free(s);
	enma_engine_free(e);
	free(chunk);
	free(m.buf);
}

int
main(int argc, char **argv)
{
	char	path[512], err[512];

	if (argc > 1)
		datadir = argv[1];
	(void)snprintf(path, sizeof(path), "%s/dkim.zone", datadir);
	zone = enma_zone_new();
	CHECK(zone != NULL && enma_zone_load_file(zone, path, err,
	    sizeof(err)) == ENMA_OK, "zone %s: %s", path, err);
	test_files();
	test_inline();
	test_chunks();
	test_verdicts();
	test_temperror();
	test_skipped();
	test_streaming();
	enma_zone_free(zone);
	return check_done("engine_dkim");
}
