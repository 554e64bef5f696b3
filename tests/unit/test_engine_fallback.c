/*
 * test_engine_fallback.c - the header of a message we could not verify
 *
 * enma_engine_fallback for different configurations, enma_engine_skip,
 * and the fixed buffers (enma_buf_init_fixed) it works in.  Every
 * expected value is written by hand from the RFC 8601 2.2 grammar:
 *
 *	resinfo = [CFWS] ";" methodspec [ CFWS reasonspec ]
 *	    [ CFWS 1*propspec ]
 *	methodspec = [CFWS] method [CFWS] "=" [CFWS] result
 *	no-result = [CFWS] ";" [CFWS] "none" [CFWS]
 *
 * the reason being a comment (RFC 5322 3.2.2: "(", ")" and "\" escaped
 * as quoted-pairs), folded as authres.h documents ("\n\t" after each
 * ";" and before a word that would pass column 78, the first line
 * starting after "Authentication-Results: ", column 24).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enma/engine.h>
#include <enma/dns.h>

#include "check.h"

#define ID	"mx.example.jp"

/*
 * Allocation refused on demand, to show that the fallback needs none.
 * The sanitizers and valgrind bring their own allocator: there the
 * functions below are not ours to replace, and the check is skipped.
 */
#if defined(__SANITIZE_ADDRESS__)
#define NO_ALLOC_HOOK	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_ALLOC_HOOK	1
#endif
#endif

#ifndef NO_ALLOC_HOOK
static int	alloc_refuse;	/* refuse every allocation */
static unsigned	alloc_asked;	/* allocations asked while refused */

void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);

void *
malloc(size_t n)
{
	if (alloc_refuse) {
		alloc_asked++;
		return NULL;
	}
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	if (alloc_refuse) {
		alloc_asked++;
		return NULL;
	}
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	if (alloc_refuse) {
		alloc_asked++;
		return NULL;
	}
	return __libc_realloc(p, n);
}
#endif

/* mkengine - an engine from configuration text, on an empty zone */
static struct enma_engine *
mkengine(struct enma_zone *z, const char *text, char *err, size_t errlen)
{
	struct enma_conf	*c = enma_conf_new();
	struct enma_resolver	*r = NULL;
	struct enma_engine	*e = NULL;

	CHECK(enma_conf_load_span(c, enma_span_from_cstr(text), "t", err,
	    errlen) == ENMA_OK, "conf: %s", err);
	CHECK(enma_resolver_zone_new(z, &r) == ENMA_OK, "zone resolver");
	(void)enma_engine_new(c, r, NULL, NULL, &e, err, errlen);
	enma_conf_free(c);
	return e;
}

struct fcase {
	const char	*name;
	const char	*conf;
	const char	*reason;
	const char	*value;
	const char	*logline;
};

#define ALL_OFF	"spf.auth: no\nsidf.auth: no\ndkim.auth: no\n" \
		"dkimadsp.auth: no\n"

static const struct fcase cases[] = {
	/* the defaults: spf, sender-id, dkim, dkim-adsp */
	{ "defaults", "authresult.identifier: " ID "\n", "queue full",
	    ID ";\n\tspf=temperror (queue full);\n"
	    "\tsender-id=temperror (queue full);\n"
	    "\tdkim=temperror (queue full);\n"
	    "\tdkim-adsp=temperror (queue full)",
	    "spf=temperror sender-id=temperror dkim=temperror "
	    "dkim-adsp=temperror" },
	/* the HELO identity is its own spf entry, after MAIL FROM's */
	{ "helo check", "authresult.identifier: " ID "\n" ALL_OFF
	    "spf.auth: yes\nspf.helo_check: yes\ndkimadsp.auth: yes\n",
	    "r", ID ";\n\tspf=temperror (r);\n\tspf=temperror (r);\n"
	    "\tdkim-adsp=temperror (r)",
	    "spf=temperror spf-helo=temperror dkim-adsp=temperror" },
	{ "helo only", "authresult.identifier: " ID "\n" ALL_OFF
	    "spf.helo_check: yes\n", "r", ID ";\n\tspf=temperror (r)",
	    "spf-helo=temperror" },
	{ "sender-id and dkim", "authresult.identifier: " ID "\n" ALL_OFF
	    "sidf.auth: yes\ndkim.auth: yes\n", "r",
	    ID ";\n\tsender-id=temperror (r);\n\tdkim=temperror (r)",
	    "sender-id=temperror dkim=temperror" },
	/* RFC 8601 2.2: nothing checked is no-result */
	{ "no method", "authresult.identifier: " ID "\n" ALL_OFF, "r",
	    ID "; none", "none" },
	/* no reason: no comment */
	{ "no reason", "authresult.identifier: " ID "\n" ALL_OFF
	    "spf.auth: yes\nsidf.auth: yes\n", NULL,
	    ID ";\n\tspf=temperror;\n\tsender-id=temperror",
	    "spf=temperror sender-id=temperror" },
	{ "empty reason", "authresult.identifier: " ID "\n" ALL_OFF
	    "spf.auth: yes\n", "", ID ";\n\tspf=temperror", "spf=temperror" },
	/* RFC 5322 3.2.2: ( ) \ are quoted-pairs; a control is never sent */
	{ "specials", "authresult.identifier: " ID "\n" ALL_OFF
	    "spf.auth: yes\n", "a (b) \\ c\r\nX: y",
	    ID ";\n\tspf=temperror (a \\(b\\) \\\\ c??X: y)",
	    "spf=temperror" },
	/*
	 * 65 bytes: cut to 64 and "...".  Column 8 + 13 = 21; the comment
	 * word "(" 64 ")" + "...);" is 70 bytes: 21 + 1 + 70 > 78, folded.
	 */
	{ "long reason", "authresult.identifier: " ID "\n" ALL_OFF
	    "spf.auth: yes\nsidf.auth: yes\n",
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "X",
	    ID ";\n\tspf=temperror\n\t(0123456789012345678901234567890123456"
	    "789012345678901234567890123...);\n\tsender-id=temperror\n\t(01234"
	    "56789012345678901234567890123456789012345678901234567890123...)",
	    "spf=temperror sender-id=temperror" },
	/* RFC 8601 2.5: authserv-id = value: a quoted-string if need be */
	{ "quoted id", "authresult.identifier: mx example\n" ALL_OFF
	    "dkim.auth: yes\n", "r", "\"mx example\";\n\tdkim=temperror (r)",
	    "dkim=temperror" },
};

/* test_values - the value and log line for each configuration */
static void
test_values(struct enma_zone *z)
{
	struct enma_engine	*e;
	struct enma_buf		 v, l;
	char			 err[512];
	size_t			 i;

	enma_buf_init(&v, 0);
	enma_buf_init(&l, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if ((e = mkengine(z, cases[i].conf, err, sizeof(err))) ==
		    NULL) {
			CHECK(0, "%s: engine: %s", cases[i].name, err);
			continue;
		}
		CHECK(enma_engine_fallback(e, cases[i].reason, &v, &l) ==
		    ENMA_OK, "%s: status", cases[i].name);
		CHECK_STR(v.p, cases[i].value, cases[i].name);
		CHECK_STR(l.p, cases[i].logline, cases[i].name);
		/* the buffers are emptied first: the same again */
		CHECK(enma_engine_fallback(e, cases[i].reason, &v, NULL) ==
		    ENMA_OK, "%s: again", cases[i].name);
		CHECK_STR(v.p, cases[i].value, cases[i].name);
		enma_engine_free(e);
	}
	enma_buf_free(&v);
	enma_buf_free(&l);
	CHECK(enma_engine_fallback(NULL, "r", &v, &l) == ENMA_EINVAL,
	    "no engine");
}

/*
 * test_bounds - the largest value fits ENMA_ENGINE_FALLBACK_MAX; an
 * authserv-id the header cannot carry is refused when the engine is
 * built, so that the fallback can never fail later
 */
static void
test_bounds(struct enma_zone *z)
{
	struct enma_engine	*e;
	struct enma_buf		 v, l;
	char			 vmem[ENMA_ENGINE_FALLBACK_MAX];
	char			 lmem[ENMA_ENGINE_FALLBACK_LOG_MAX];
	char			 small[16], reason[200], err[512];
	char			 conf[600];
	size_t			 i;

	/* 256 bytes of "\": a quoted-string of 2 + 2 * 256 bytes */
	(void)snprintf(conf, sizeof(conf), "spf.helo_check: yes\n"
	    "authresult.identifier: ");
	for (i = 0; i < 256; i++)
		(void)strcat(conf, "\\");
	(void)strcat(conf, "\n");
	memset(reason, '(', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	err[0] = '\0';
	e = mkengine(z, conf, err, sizeof(err));
	CHECK(e != NULL, "256-byte authserv-id: %s", err);
	enma_buf_init_fixed(&v, vmem, sizeof(vmem));
	enma_buf_init_fixed(&l, lmem, sizeof(lmem));
	CHECK(e != NULL && enma_engine_fallback(e, reason, &v, &l) ==
	    ENMA_OK, "largest value fits");
	CHECK(v.len > 514 + 5 * 128 && v.len < sizeof(vmem), "length %zu",
	    v.len);
	CHECK_STR(l.p, "spf=temperror spf-helo=temperror sender-id=temperror "
	    "dkim=temperror dkim-adsp=temperror", "largest log line");
	/* a buffer too small: an error and nothing in it */
	enma_buf_init_fixed(&v, small, sizeof(small));
	CHECK(e != NULL && enma_engine_fallback(e, "r", &v, NULL) ==
	    ENMA_ELIMIT && v.len == 0 && small[0] == '\0', "too small");
	enma_engine_free(e);

	/* 257 bytes: over ENMA_AUTHRES_MAX_VALUE, refused at start */
	conf[strlen(conf) - 1] = '\0';
	(void)strcat(conf, "x\n");
	err[0] = '\0';
	e = mkengine(z, conf, err, sizeof(err));
	CHECK(e == NULL, "257-byte authserv-id refused");
	CHECK(strstr(err, "authresult.identifier") != NULL, "reason: %s",
	    err);
	enma_engine_free(e);
}

/* test_no_alloc - the fallback in fixed buffers asks for no memory */
static void
test_no_alloc(struct enma_zone *z)
{
#ifndef NO_ALLOC_HOOK
	struct enma_engine	*e;
	struct enma_buf		 v, l, grow;
	char			 vmem[ENMA_ENGINE_FALLBACK_MAX];
	char			 lmem[ENMA_ENGINE_FALLBACK_LOG_MAX];
	char			 err[512];
	enma_status		 st, st2;

	e = mkengine(z, "authresult.identifier: " ID "\n", err, sizeof(err));
	CHECK(e != NULL, "engine: %s", err);
	if (e == NULL)
		return;
	enma_buf_init_fixed(&v, vmem, sizeof(vmem));
	enma_buf_init_fixed(&l, lmem, sizeof(lmem));
	enma_buf_init(&grow, 0);
	alloc_asked = 0;
	alloc_refuse = 1;
	st = enma_engine_fallback(e, "out of memory", &v, &l);
	/* the hook works: a growing buffer is refused */
	st2 = enma_buf_puts(&grow, "x");
	alloc_refuse = 0;
	CHECK(st == ENMA_OK, "fallback with no memory: %s", enma_strerror(st));
	CHECK(st2 == ENMA_ENOMEM && alloc_asked == 1, "allocations asked: "
	    "%u (1 expected, the growing buffer's)", alloc_asked);
	CHECK_STR(v.p, ID ";\n\tspf=temperror (out of memory);\n"
	    "\tsender-id=temperror (out of memory);\n"
	    "\tdkim=temperror (out of memory);\n"
	    "\tdkim-adsp=temperror (out of memory)", "no memory: value");
	CHECK_STR(l.p, "spf=temperror sender-id=temperror dkim=temperror "
	    "dkim-adsp=temperror", "no memory: log line");
	enma_buf_free(&grow);
	enma_engine_free(e);
#else
	(void)z;
	printf("test_no_alloc: skipped under a sanitizer's allocator\n");
#endif
}

/* test_order - the fallback names the methods in the order _eom does */
static void
test_order(struct enma_zone *z)
{
	struct enma_engine	*e;
	struct enma_session	*s;
	struct enma_result	 r;
	struct enma_buf		 v, l;
	struct enma_ip		 ip;
	char			 err[512], names[256];
	size_t			 i;

	e = mkengine(z, "authresult.identifier: " ID "\n"
	    "spf.helo_check: yes\n", err, sizeof(err));
	CHECK(e != NULL, "engine: %s", err);
	if (e == NULL)
		return;
	s = enma_session_new(e);
	(void)enma_ip_from_text(ENMA_SPAN_LIT("192.0.2.1"), &ip);
	(void)enma_session_connect(s, &ip, 25);
	(void)enma_session_helo(s, ENMA_SPAN_LIT("helo.example"));
	(void)enma_session_mail_from(s, ENMA_SPAN_LIT("<a@b.example>"));
	(void)enma_session_header(s, ENMA_SPAN_LIT("From: a@b.example"));
	(void)enma_session_body(s, ENMA_SPAN_LIT("body\r\n"));
	(void)enma_session_eom(s, &r);
	/* DESIGN, engine.c: spf, spf (HELO), sender-id, dkim, dkim-adsp */
	names[0] = '\0';
	for (i = 0; i < r.nverdicts && strlen(names) < 200; i++) {
		(void)strcat(names, i > 0 ? " " : "");
		(void)strcat(names, r.verdicts[i].method);
	}
	CHECK_STR(names, "spf spf sender-id dkim dkim-adsp", "_eom's order");
	enma_buf_init(&v, 0);
	enma_buf_init(&l, 0);
	CHECK(enma_engine_fallback(e, NULL, &v, &l) == ENMA_OK, "fallback");
	CHECK_STR(v.p, ID ";\n\tspf=temperror;\n\tspf=temperror;\n"
	    "\tsender-id=temperror;\n\tdkim=temperror;\n\tdkim-adsp=temperror",
	    "fallback's order");
	CHECK_STR(l.p, "spf=temperror spf-helo=temperror sender-id=temperror "
	    "dkim=temperror dkim-adsp=temperror", "fallback's log names");
	enma_buf_free(&v);
	enma_buf_free(&l);
	enma_session_free(s);
	enma_engine_free(e);
}

/* test_skip - the clients _eom skips, as enma_result.skipped says */
static void
test_skip(struct enma_zone *z)
{
	static const struct {
		const char	*ip;	/* NULL: no address */
		int		 auth;
		int		 want;
	} c[] = {
		{ "192.0.2.1", 0, 0 },
		{ "192.0.2.1", 1, 2 },
		{ "127.0.0.1", 0, 1 },
		{ "127.0.0.1", 1, 1 },	/* excluded first, as _eom */
		{ "10.1.2.3", 0, 1 },
		{ "2001:db8::7", 0, 1 },
		{ "2001:db9::7", 0, 0 },
		{ NULL, 0, 0 },
		{ NULL, 1, 2 },
	};
	struct enma_engine	*e;
	struct enma_session	*s;
	struct enma_result	 r;
	struct enma_ip		 ip;
	char			 err[512];
	size_t			 i;

	e = mkengine(z, "authresult.identifier: " ID "\n"
	    "common.exclusion_addresses: 127.0.0.1,10.0.0.0/8,"
	    "2001:db8::/32\n", err, sizeof(err));
	CHECK(e != NULL, "engine: %s", err);
	if (e == NULL)
		return;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (c[i].ip != NULL)
			(void)enma_ip_from_text(enma_span_from_cstr(c[i].ip),
			    &ip);
		CHECK(enma_engine_skip(e, c[i].ip != NULL ? &ip : NULL,
		    c[i].auth) == c[i].want, "skip %s auth %d",
		    c[i].ip != NULL ? c[i].ip : "none", c[i].auth);
		/* the same as the session says */
		s = enma_session_new(e);
		(void)enma_session_connect(s, c[i].ip != NULL ? &ip : NULL,
		    25);
		if (c[i].auth)
			(void)enma_session_auth(s, ENMA_SPAN_LIT("alice"));
		(void)enma_session_mail_from(s, ENMA_SPAN_LIT("<a@b.example>"));
		(void)enma_session_eom(s, &r);
		CHECK(r.skipped == c[i].want, "session skipped %d, want %d",
		    r.skipped, c[i].want);
		enma_session_free(s);
	}
	CHECK(enma_engine_skip(NULL, NULL, 1) == 0, "no engine");
	enma_engine_free(e);
}

/* test_fixed_buf - enma_buf_init_fixed: bounded, never allocated */
static void
test_fixed_buf(void)
{
	struct enma_buf	b;
	char		mem[8];

	enma_buf_init_fixed(&b, mem, sizeof(mem));
	CHECK(b.p == mem && b.len == 0 && mem[0] == '\0', "empty");
	CHECK(enma_buf_puts(&b, "1234567") == ENMA_OK && b.len == 7 &&
	    strcmp(mem, "1234567") == 0, "7 bytes and the NUL");
	CHECK(enma_buf_putc(&b, '8') == ENMA_ELIMIT && b.len == 7 &&
	    strcmp(mem, "1234567") == 0, "the 8th refused, content kept");
	CHECK(enma_buf_status(&b) == ENMA_ELIMIT, "sticky");
	enma_buf_reset(&b);
	CHECK(enma_buf_printf(&b, "%d", 42) == ENMA_OK &&
	    strcmp(b.p, "42") == 0, "reset, printf");
	enma_buf_free(&b);	/* only empties it */
	CHECK(b.p == mem && b.len == 0 && mem[0] == '\0', "free empties");
	CHECK(enma_buf_puts(&b, "ab") == ENMA_OK && b.p == mem, "reused");
	enma_buf_init_fixed(&b, NULL, 0);
	CHECK(enma_buf_append(&b, "", 0) == ENMA_ELIMIT && b.p == NULL,
	    "no memory at all: nothing allocated");
	enma_buf_free(&b);
}

int
main(void)
{
	struct enma_zone *z = enma_zone_new();

	test_fixed_buf();
	test_values(z);
	test_bounds(z);
	test_no_alloc(z);
	test_order(z);
	test_skip(z);
	enma_zone_free(z);
	return check_done("engine_fallback");
}
