/*
 * test_mail.c - header fields, mailboxes, address lists, reverse-paths
 * and domain names
 *
 * Expected values come from the RFC texts: RFC 5322 Appendix A (whose
 * examples are authoritative) and the grammar of RFC 5322 3.4 / 4.4,
 * RFC 5321 4.1.2 for reverse-paths, RFC 1035 / 1123 for host names.
 * The From-domain values of OpenDMARC's test_finddomain.c
 * (../shared/testsuites/dmarc/opendmarc-libopendmarc-cases.yml) are used
 * where RFC 5322 gives the same answer; where OpenDMARC guesses through
 * a malformed value the RFC grammar says ESYNTAX, and so do we.
 */
#include <stdlib.h>
#include <string.h>

#include <enma/mail.h>

#include "check.h"

#define LIT(s)	{ s, sizeof(s) - 1 }
#define MB_BAD(s)	{ LIT(s), ENMA_ESYNTAX, NULL, NULL, NULL }
#define LIST_BAD(s)	{ LIT(s), ENMA_ESYNTAX, NULL }
#define PATH_BAD(s)	{ LIT(s), ENMA_ESYNTAX, NULL, NULL }

struct bytes {
	const char	*p;
	size_t		 len;
};

/* span_of - a span over a table entry */
static struct enma_span
span_of(struct bytes b)
{
	return enma_span_make(b.p, b.len);
}

/* st_name - status text for messages */
static const char *
st_name(enma_status st)
{
	return enma_strerror(st);
}

/* --- header fields ------------------------------------------------ */

static const struct {
	struct bytes	 in;
	enma_status	 st;
	const char	*name, *value, *raw;
} header_cases[] = {
	{ LIT("Subject: This is a test\r\n"), ENMA_OK,
	    "Subject", " This is a test", "Subject: This is a test" },
	/* RFC 5322 A.6.3 / 4.5.2: WSP before the colon */
	{ LIT("From  : John Doe <jdoe@machine.example>"), ENMA_OK,
	    "From", " John Doe <jdoe@machine.example>",
	    "From  : John Doe <jdoe@machine.example>" },
	{ LIT("Subject:\r\n folded\r\n"), ENMA_OK,
	    "Subject", "\r\n folded", "Subject:\r\n folded" },
	{ LIT("X-Empty:"), ENMA_OK, "X-Empty", "", "X-Empty:" },
	{ LIT("X-Bare-LF: v\n"), ENMA_OK, "X-Bare-LF", " v", "X-Bare-LF: v" },
	{ LIT("Subject: a: b"), ENMA_OK, "Subject", " a: b", "Subject: a: b" },
	{ LIT("X-Odd!#~: v"), ENMA_OK, "X-Odd!#~", " v", "X-Odd!#~: v" },
	{ LIT("NoColon"), ENMA_ESYNTAX, NULL, NULL, NULL },
	{ LIT(""), ENMA_ESYNTAX, NULL, NULL, NULL },
	{ LIT(": value"), ENMA_ESYNTAX, NULL, NULL, NULL },
	{ LIT("  : value"), ENMA_ESYNTAX, NULL, NULL, NULL },
	{ LIT(" Subject: x"), ENMA_ESYNTAX, NULL, NULL, NULL },
	{ LIT("Sub ject: x"), ENMA_ESYNTAX, NULL, NULL, NULL },
	{ LIT("Sub\x01ject: x"), ENMA_ESYNTAX, NULL, NULL, NULL },
	{ LIT("Sub\0ject: x"), ENMA_ESYNTAX, NULL, NULL, NULL },
	{ LIT("Sub\xc3\xa9: x"), ENMA_ESYNTAX, NULL, NULL, NULL },
	{ LIT("Subject\r\n: x"), ENMA_ESYNTAX, NULL, NULL, NULL },
};

/* span_is - span equals a C string */
static int
span_is(struct enma_span s, const char *want)
{
	return want != NULL && s.len == strlen(want) &&
	    (s.len == 0 || memcmp(s.p, want, s.len) == 0);
}

/* test_header_parse - enma_header_parse table and the line limit */
static void
test_header_parse(void)
{
	struct enma_header h;
	enma_status	 st;
	size_t		 i;
	char		*big;

	for (i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]);
	    i++) {
		st = enma_header_parse(span_of(header_cases[i].in), &h);
		CHECK(st == header_cases[i].st, "header %zu: status %s", i,
		    st_name(st));
		if (st != ENMA_OK || header_cases[i].st != ENMA_OK)
			continue;
		CHECK(span_is(h.name, header_cases[i].name),
		    "header %zu: name", i);
		CHECK(span_is(h.value, header_cases[i].value),
		    "header %zu: value", i);
		CHECK(span_is(h.raw, header_cases[i].raw),
		    "header %zu: raw", i);
	}
	/* RFC 5322 2.1.1: 998 characters in a line at most */
	big = malloc(1001);
	memset(big, 'X', 1001);
	big[998] = ':';
	CHECK(enma_header_parse(enma_span_make(big, 1001), &h) == ENMA_OK &&
	    h.name.len == 998, "998-byte name");
	big[998] = 'X';
	big[999] = ':';
	CHECK(enma_header_parse(enma_span_make(big, 1001), &h) ==
	    ENMA_ESYNTAX, "999-byte name");
	free(big);
}

static const struct {
	struct bytes	 in, out;
} unfold_cases[] = {
	/* RFC 5322 2.2.3 */
	{ LIT("Subject: This\r\n is a test"), LIT("Subject: This is a test") },
	{ LIT("a\r\n\tb"), LIT("a\tb") },
	{ LIT("a\n b"), LIT("a b") },
	{ LIT("a\r b"), LIT("a b") },
	{ LIT("a\r\n \r\n b"), LIT("a  b") },
	{ LIT("a\r\nb"), LIT("a\r\nb") },
	{ LIT("a\r\n"), LIT("a\r\n") },
	{ LIT("a\n"), LIT("a\n") },
	{ LIT("\r\n x"), LIT(" x") },
	{ LIT("a\r\r\n b"), LIT("a\r b") },
	{ LIT(""), LIT("") },
	{ LIT("no folds"), LIT("no folds") },
};

static const struct {
	struct bytes	 in, out;
} eol_cases[] = {
	{ LIT("a\nb"), LIT("a\r\nb") },
	{ LIT("a\n\tb"), LIT("a\r\n\tb") },
	{ LIT("a\rb"), LIT("a\r\nb") },
	{ LIT("a\r\nb"), LIT("a\r\nb") },
	{ LIT("a\n\rb"), LIT("a\r\n\r\nb") },
	{ LIT("a\r\r\nb"), LIT("a\r\n\r\nb") },
	{ LIT("\n"), LIT("\r\n") },
	{ LIT("x\r"), LIT("x\r\n") },
	{ LIT(""), LIT("") },
};

/* buf_is - buffer holds exactly want, NUL-terminated */
static int
buf_is(const struct enma_buf *b, struct bytes want)
{
	return b->p != NULL && b->len == want.len &&
	    memcmp(b->p, want.p, want.len) == 0 && b->p[b->len] == '\0';
}

/* test_unfold - unfolding and line-end repair tables */
static void
test_unfold(void)
{
	struct enma_buf	 b;
	size_t		 i;

	enma_buf_init(&b, 0);
	for (i = 0; i < sizeof(unfold_cases) / sizeof(unfold_cases[0]);
	    i++) {
		enma_buf_reset(&b);
		CHECK(enma_header_unfold(span_of(unfold_cases[i].in), &b) ==
		    ENMA_OK && buf_is(&b, unfold_cases[i].out),
		    "unfold %zu", i);
	}
	for (i = 0; i < sizeof(eol_cases) / sizeof(eol_cases[0]); i++) {
		enma_buf_reset(&b);
		CHECK(enma_header_fix_eol(span_of(eol_cases[i].in), &b) ==
		    ENMA_OK && buf_is(&b, eol_cases[i].out),
		    "fix_eol %zu", i);
	}
	enma_buf_free(&b);
	/* a full buffer is reported, not truncated silently */
	enma_buf_init(&b, 4);
	CHECK(enma_header_unfold(enma_span_from_cstr("0123456789"), &b) ==
	    ENMA_ELIMIT, "unfold past the buffer maximum");
	enma_buf_free(&b);
}

/* --- mailboxes ---------------------------------------------------- */

static const struct {
	struct bytes	 in;
	enma_status	 st;
	const char	*display, *local, *domain;
} mailbox_cases[] = {
	/* RFC 5322 A.1.1 */
	{ LIT("John Doe <jdoe@machine.example>"), ENMA_OK,
	    "John Doe", "jdoe", "machine.example" },
	/* RFC 5322 A.1.2 */
	{ LIT("\"Joe Q. Public\" <john.q.public@example.com>"), ENMA_OK,
	    "Joe Q. Public", "john.q.public", "example.com" },
	{ LIT("Who? <one@y.test>"), ENMA_OK, "Who?", "one", "y.test" },
	{ LIT("<boss@nil.test>"), ENMA_OK, NULL, "boss", "nil.test" },
	{ LIT("\"Giant; \\\"Big\\\" Box\" <sysservices@example.net>"),
	    ENMA_OK, "Giant; \"Big\" Box", "sysservices", "example.net" },
	/* RFC 5322 A.2 */
	{ LIT("\"Mary Smith: Personal Account\" <smith@home.example>"),
	    ENMA_OK, "Mary Smith: Personal Account", "smith", "home.example" },
	/* RFC 5322 A.5 */
	{ LIT("Pete(A nice \\) chap) <pete(his account)@silly.test(his "
	    "host)>"), ENMA_OK, "Pete", "pete", "silly.test" },
	/* RFC 5322 A.6.1: obs-phrase with a dot */
	{ LIT("Joe Q. Public <john.q.public@example.com>"), ENMA_OK,
	    "Joe Q. Public", "john.q.public", "example.com" },
	/* RFC 5322 A.6.3: obs-domain with CFWS, obs-FWS with blank line */
	{ LIT(" John Doe <jdoe@machine(comment).  example>"), ENMA_OK,
	    "John Doe", "jdoe", "machine.example" },
	{ LIT(" Mary Smith\r\n  \r\n          <mary@example.net>"), ENMA_OK,
	    "Mary Smith", "mary", "example.net" },
	/* RFC 5322 A.6.1: obs-route is dropped */
	{ LIT("Mary Smith <@node.test:mary@example.net>"), ENMA_OK,
	    "Mary Smith", "mary", "example.net" },
	{ LIT("<@a.test,,@b.test:x@c.test>"), ENMA_OK, NULL, "x", "c.test" },
	{ LIT("<,@a.test:x@c.test>"), ENMA_OK, NULL, "x", "c.test" },
	{ LIT("jdoe@test  . example"), ENMA_OK, NULL, "jdoe", "test.example" },
	/* RFC 5322 3.4.1 / 4.4: quoted and obsolete local parts */
	{ LIT("\"john doe\"@example.com"), ENMA_OK,
	    NULL, "john doe", "example.com" },
	{ LIT("\"a\\\"b\\\\c\"@example.com"), ENMA_OK,
	    NULL, "a\"b\\c", "example.com" },
	{ LIT("\"john\".doe@example.com"), ENMA_OK,
	    NULL, "john.doe", "example.com" },
	{ LIT("john . doe@example.com"), ENMA_OK,
	    NULL, "john.doe", "example.com" },
	{ LIT("\"fold\r\n ed\"@example.com"), ENMA_OK,
	    NULL, "fold ed", "example.com" },
	{ LIT("\"\"@example.com"), ENMA_OK, NULL, "", "example.com" },
	/* domains: case, literals, trailing dot */
	{ LIT("Joe@EXAMPLE.Com"), ENMA_OK, NULL, "Joe", "example.com" },
	{ LIT("joe@example.com."), ENMA_OK, NULL, "joe", "example.com" },
	{ LIT("joe@[192.0.2.1]"), ENMA_OK, NULL, "joe", "[192.0.2.1]" },
	{ LIT("joe@[IPv6:2001:DB8::1]"), ENMA_OK,
	    NULL, "joe", "[ipv6:2001:db8::1]" },
	{ LIT("joe@[ 192.0.2.1 ]"), ENMA_OK, NULL, "joe", "[192.0.2.1]" },
	/* display names: comments, encoded words, UTF-8 (RFC 6532) */
	{ LIT("John(middle)Smith <js@example.com>"), ENMA_OK,
	    "John Smith", "js", "example.com" },
	{ LIT("=?utf-8?q?J=C3=B6e?= <joe@example.com>"), ENMA_OK,
	    "=?utf-8?q?J=C3=B6e?=", "joe", "example.com" },
	{ LIT("J\xc3\xb6" "e <j\xc3\xb6" "e@example.com>"), ENMA_OK,
	    "J\xc3\xb6" "e", "j\xc3\xb6" "e", "example.com" },
	{ LIT("(a (b (c)) d) joe@example.com"), ENMA_OK,
	    NULL, "joe", "example.com" },
	{ LIT("Joe\n <joe@example.com>"), ENMA_OK,
	    "Joe", "joe", "example.com" },
	{ LIT("joe@example.com\r\n"), ENMA_OK, NULL, "joe", "example.com" },
	/* PITFALLS 8: what must not pass for a good address */
	{ LIT("\"<joe@good.example>\"@evil.example"), ENMA_OK,
	    NULL, "<joe@good.example>", "evil.example" },
	{ LIT("\"joe@good.example\" <bad@evil.example>"), ENMA_OK,
	    "joe@good.example", "bad", "evil.example" },
	{ LIT("\"Johnson, Joe <joe@good.example>\" <bad@evil.example>"),
	    ENMA_OK, "Johnson, Joe <joe@good.example>", "bad",
	    "evil.example" },
	{ LIT("\"Smith, \\\"Big\\\" Joe\" <a@b.example>"), ENMA_OK,
	    "Smith, \"Big\" Joe", "a", "b.example" },
	{ LIT("(joe@good.example) bad@evil.example"), ENMA_OK,
	    NULL, "bad", "evil.example" },
	MB_BAD("Joe <joe@good.example>, bad@evil.example"),
	MB_BAD("joe@good.example <bad@evil.example>"),
	MB_BAD("joe@good.example@evil.example"),
	MB_BAD("Joe <joe@good.example"),
	MB_BAD("Joe joe@good.example>"),
	MB_BAD("<<joe@good.example>>"),
	MB_BAD("<joe@good.example>>"),
	MB_BAD("\"Joe <joe@good.example>"),
	MB_BAD("\"Joe\\\" <joe@good.example>"),
	MB_BAD("(Joe <joe@good.example>"),
	MB_BAD("Joe) <joe@good.example>"),
	MB_BAD("(a (b) <joe@good.example>"),
	MB_BAD("joe@[192.0.2.1"),
	MB_BAD("joe@192.0.2.1]"),
	MB_BAD("joe@[a[b]"),
	MB_BAD("joe@[a\\]b]"),
	MB_BAD("Joe <joe\\@good.example>"),
	/* NUL and controls */
	MB_BAD("joe@good\0.example"),
	MB_BAD("jo\0e@good.example"),
	MB_BAD("\"jo\0e\"@good.example"),
	MB_BAD("\"jo\x01" "e\"@good.example"),
	MB_BAD("\"jo\\\x01" "e\"@good.example"),
	MB_BAD("(\x7f) joe@good.example"),
	MB_BAD("Jo\x1b" "e <joe@good.example>"),
	MB_BAD("joe@good.example\r\nBcc: x@y.example"),
	MB_BAD("Joe\r<joe@good.example>"),
	MB_BAD("\"a\r\nb\"@good.example"),
	/* other grammar errors */
	MB_BAD(""),
	MB_BAD("   "),
	MB_BAD("(only a comment)"),
	MB_BAD("<>"),
	MB_BAD("Joe <>"),
	MB_BAD("joe"),
	MB_BAD("joe@"),
	MB_BAD("@example.com"),
	MB_BAD("a..b@example.com"),
	MB_BAD(".a@example.com"),
	MB_BAD("a.@example.com"),
	MB_BAD("a b@example.com"),
	MB_BAD("joe@example..com"),
	MB_BAD("joe@.example.com"),
	MB_BAD("joe@example.com.."),
	MB_BAD(". <joe@example.com>"),
	MB_BAD("Group: joe@example.com;"),
	MB_BAD("<@a.test x@c.test>"),
	MB_BAD("<@:x@c.test>"),
	/* OpenDMARC test_finddomain.c cases, answered by RFC 5322 */
	{ LIT("Joe Johnson <joe@joe.com>"), ENMA_OK,
	    "Joe Johnson", "joe", "joe.com" },
	{ LIT("\"Joe Johnson\" <joe@joe.com>"), ENMA_OK,
	    "Joe Johnson", "joe", "joe.com" },
	{ LIT("(Joe Johnson) joe@joe.com"), ENMA_OK, NULL, "joe", "joe.com" },
	{ LIT("joe@joe.com"), ENMA_OK, NULL, "joe", "joe.com" },
	{ LIT("\"Mandel, Bob\" <joe@joe.com>"), ENMA_OK,
	    "Mandel, Bob", "joe", "joe.com" },
	{ LIT("(,) joe@joe.com"), ENMA_OK, NULL, "joe", "joe.com" },
	/* a word before an addr-spec is no local part (3.4.1) */
	MB_BAD("\"Johnson, Joe <joe@joe.com>\" joe@joe.com"),
	MB_BAD("<<<><joe@joe.com>>>"),
	MB_BAD("Mail From:<joe@joe.com>"),
	MB_BAD("\"( bob@bob.com)\" joe@joe.com"),
	MB_BAD("From: Davide D'Marco <user@blah.com>"),
	{ LIT("Davide D'Marco <user@blah.com>"), ENMA_OK,
	    "Davide D'Marco", "user", "blah.com" },
};

/* streq_or_null - equal strings, or both NULL */
static int
streq_or_null(const char *got, const char *want)
{
	if (got == NULL || want == NULL)
		return got == want;
	return strcmp(got, want) == 0;
}

/* test_mailbox - the mailbox table */
static void
test_mailbox(struct enma_arena *a)
{
	struct enma_mailbox mb;
	enma_status	 st;
	size_t		 i;

	for (i = 0; i < sizeof(mailbox_cases) / sizeof(mailbox_cases[0]);
	    i++) {
		st = enma_mailbox_parse(span_of(mailbox_cases[i].in), a, &mb);
		CHECK(st == mailbox_cases[i].st, "mailbox %zu [%s]: %s", i,
		    mailbox_cases[i].in.p, st_name(st));
		if (st != ENMA_OK || mailbox_cases[i].st != ENMA_OK) {
			CHECK(st == ENMA_OK || (mb.local == NULL &&
			    mb.domain == NULL), "mailbox %zu: cleared", i);
			continue;
		}
		CHECK(streq_or_null(mb.display, mailbox_cases[i].display),
		    "mailbox %zu: display [%s]", i,
		    mb.display ? mb.display : "(null)");
		CHECK_STR(mb.local, mailbox_cases[i].local, "local");
		CHECK_STR(mb.domain, mailbox_cases[i].domain, "domain");
	}
}

/* fill - a heap string: prefix, n copies of unit, suffix */
static char *
fill(const char *prefix, const char *unit, size_t n, const char *suffix,
    size_t *len)
{
	size_t	 pl = strlen(prefix), ul = strlen(unit), sl = strlen(suffix);
	size_t	 i;
	char	*p;

	*len = pl + ul * n + sl;
	if ((p = malloc(*len + 1)) == NULL)
		abort();
	memcpy(p, prefix, pl);
	for (i = 0; i < n; i++)
		memcpy(p + pl + i * ul, unit, ul);
	memcpy(p + pl + n * ul, suffix, sl + 1);
	return p;
}

/* test_mailbox_limits - nesting bound and very long input */
static void
test_mailbox_limits(struct enma_arena *a)
{
	struct enma_mailbox mb;
	size_t	 len;
	char	*p;

	/* nesting up to the bound, then ELIMIT (not a crash) */
	p = malloc(32 + 32 + 16);
	memset(p, '(', 32);
	memset(p + 32, ')', 32);
	memcpy(p + 64, " joe@example.com", 16);
	CHECK(enma_mailbox_parse(enma_span_make(p, 80), a, &mb) == ENMA_OK,
	    "32 nested comments");
	free(p);
	p = malloc(33 + 33 + 16);
	memset(p, '(', 33);
	memset(p + 33, ')', 33);
	memcpy(p + 66, " joe@example.com", 16);
	CHECK(enma_mailbox_parse(enma_span_make(p, 82), a, &mb) ==
	    ENMA_ELIMIT, "33 nested comments");
	free(p);
	p = fill("", "(", 100000, " joe@example.com", &len);
	CHECK(enma_mailbox_parse(enma_span_make(p, len), a, &mb) ==
	    ENMA_ELIMIT, "100000 open comments");
	free(p);
	/* very long input parses in linear time and gives it all back */
	p = fill("", "a", 200000, "@example.com", &len);
	CHECK(enma_mailbox_parse(enma_span_make(p, len), a, &mb) == ENMA_OK &&
	    strlen(mb.local) == 200000, "200000-byte local part");
	free(p);
	p = fill("Joe", " Joe", 50000, " <joe@example.com>", &len);
	CHECK(enma_mailbox_parse(enma_span_make(p, len), a, &mb) == ENMA_OK &&
	    mb.display != NULL && strlen(mb.display) == 50001 * 4 - 1,
	    "50001-word display name");
	free(p);
	p = fill("joe@a", ".a", 100000, "", &len);
	CHECK(enma_mailbox_parse(enma_span_make(p, len), a, &mb) == ENMA_OK &&
	    strlen(mb.domain) == 200001, "100001-label domain");
	free(p);
	p = fill("\"", "\\\"", 100000, "\"@example.com", &len);
	CHECK(enma_mailbox_parse(enma_span_make(p, len), a, &mb) == ENMA_OK &&
	    strlen(mb.local) == 100000, "100000 quoted-pairs");
	free(p);
	p = fill("", "\"", 100001, "@example.com", &len);
	CHECK(enma_mailbox_parse(enma_span_make(p, len), a, &mb) ==
	    ENMA_ESYNTAX, "100001 quotes");
	free(p);
}

/* --- address lists ------------------------------------------------ */

static const struct {
	struct bytes	 in;
	enma_status	 st;
	const char	*want;	/* "display" local@domain | ... */
} list_cases[] = {
	/* RFC 5322 A.1.2 */
	{ LIT("Mary Smith <mary@x.test>, jdoe@example.org, Who? "
	    "<one@y.test>"), ENMA_OK,
	    "\"Mary Smith\" mary@x.test | jdoe@example.org | "
	    "\"Who?\" one@y.test" },
	{ LIT("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" "
	    "<sysservices@example.net>"), ENMA_OK,
	    "boss@nil.test | \"Giant; \"Big\" Box\" sysservices@example.net" },
	/* RFC 5322 A.1.3 */
	{ LIT("A Group:Ed Jones <c@a.test>,joe@where.test,John "
	    "<jdoe@one.test>;"), ENMA_OK,
	    "\"Ed Jones\" c@a.test | joe@where.test | \"John\" jdoe@one.test" },
	{ LIT("Undisclosed recipients:;"), ENMA_OK, "" },
	/* RFC 5322 A.5 */
	{ LIT("A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)"
	    "public.example>,\r\n         joe@example.org,\r\n  John "
	    "<jdoe@one.test> (my dear friend); (the end of the group)"),
	    ENMA_OK, "\"Chris Jones\" c@public.example | joe@example.org | "
	    "\"John\" jdoe@one.test" },
	{ LIT("(Empty list)(start)Hidden recipients  :(nobody(that I "
	    "know))  ;"), ENMA_OK, "" },
	/* RFC 5322 A.6.1 */
	{ LIT("Mary Smith <@node.test:mary@example.net>, , jdoe@test  . "
	    "example"), ENMA_OK,
	    "\"Mary Smith\" mary@example.net | jdoe@test.example" },
	/* RFC 5322 4.4 obs-addr-list and obs-group-list */
	{ LIT(", ,a@x.test,,b@y.test, ,"), ENMA_OK,
	    "a@x.test | b@y.test" },
	{ LIT("G: , ,;"), ENMA_OK, "" },
	{ LIT("G:,a@x.test,;, b@y.test"), ENMA_OK, "a@x.test | b@y.test" },
	{ LIT("G1: a@x.test;, G2: b@y.test;"), ENMA_OK,
	    "a@x.test | b@y.test" },
	/* PITFALLS 8: two mailboxes are two, the callers decide */
	{ LIT("Joe <joe@good.example>, bad@evil.example"), ENMA_OK,
	    "\"Joe\" joe@good.example | bad@evil.example" },
	{ LIT("joe@good.example,bad@evil.example"), ENMA_OK,
	    "joe@good.example | bad@evil.example" },
	{ LIT("\"Johnson, Joe <joe@good.example>\" <bad@evil.example>"),
	    ENMA_OK, "\"Johnson, Joe <joe@good.example>\" bad@evil.example" },
	/* OpenDMARC test_finddomain.c 7 and 8: the first is joe.com */
	{ LIT("Joe Johnson <joe@joe.com>, ace@ace.com"), ENMA_OK,
	    "\"Joe Johnson\" joe@joe.com | ace@ace.com" },
	{ LIT("joe@joe.com, ace@ace.com"), ENMA_OK,
	    "joe@joe.com | ace@ace.com" },
	/* errors */
	LIST_BAD(""),
	LIST_BAD(" , , "),
	LIST_BAD("a@x.test b@y.test"),
	LIST_BAD("a@x.test; b@y.test"),
	LIST_BAD("G: a@x.test"),
	LIST_BAD("G: a@x.test, "),
	LIST_BAD("G: H: a@x.test;;"),
	LIST_BAD(": a@x.test;"),
	LIST_BAD(". G: a@x.test;"),
	LIST_BAD("G: a@x.test;;"),
	LIST_BAD("G: a@x.test; b@y.test"),
	LIST_BAD("Joe Smith, <a@x.test>"),
	LIST_BAD("a@x.test, <b@y.test"),
	LIST_BAD("a@x.test, b@y.test>"),
	LIST_BAD("a@x.test, \"b@y.test"),
	LIST_BAD("a@x.test, (b@y.test"),
	LIST_BAD("a@x.test,\0b@y.test"),
};

/* format_list - a parsed list as text for comparison */
static void
format_list(struct enma_buf *b, const struct enma_mailbox *v, size_t n)
{
	size_t	 i;

	enma_buf_reset(b);
	(void)enma_buf_puts(b, "");
	for (i = 0; i < n; i++) {
		if (i > 0)
			(void)enma_buf_puts(b, " | ");
		if (v[i].display != NULL)
			(void)enma_buf_printf(b, "\"%s\" ", v[i].display);
		(void)enma_buf_printf(b, "%s@%s", v[i].local, v[i].domain);
	}
}

/* test_addrlist - the address-list table and the address limit */
static void
test_addrlist(struct enma_arena *a)
{
	struct enma_mailbox *v;
	struct enma_buf	 b;
	enma_status	 st;
	size_t		 i, n, len;
	char		*p;

	enma_buf_init(&b, 0);
	for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		st = enma_addrlist_parse(span_of(list_cases[i].in), a, &v, &n);
		CHECK(st == list_cases[i].st, "list %zu: %s", i, st_name(st));
		if (st != ENMA_OK || list_cases[i].st != ENMA_OK) {
			CHECK(st == ENMA_OK || (v == NULL && n == 0),
			    "list %zu: cleared", i);
			continue;
		}
		format_list(&b, v, n);
		CHECK_STR(b.p, list_cases[i].want, "list");
	}
	enma_buf_free(&b);
	/* ENMA_MAIL_MAX_ADDRESSES, and one more */
	p = fill("a@x.test", ",a@x.test", ENMA_MAIL_MAX_ADDRESSES - 1, "",
	    &len);
	CHECK(enma_addrlist_parse(enma_span_make(p, len), a, &v, &n) ==
	    ENMA_OK && n == ENMA_MAIL_MAX_ADDRESSES, "maximum addresses");
	free(p);
	p = fill("a@x.test", ",a@x.test", ENMA_MAIL_MAX_ADDRESSES, "", &len);
	CHECK(enma_addrlist_parse(enma_span_make(p, len), a, &v, &n) ==
	    ENMA_ELIMIT, "one address too many");
	free(p);
	p = fill("G:", "a@x.test,", ENMA_MAIL_MAX_ADDRESSES + 1, ";", &len);
	CHECK(enma_addrlist_parse(enma_span_make(p, len), a, &v, &n) ==
	    ENMA_ELIMIT, "one group member too many");
	free(p);
	p = fill("a@x.test", ",", 500000, "", &len);
	CHECK(enma_addrlist_parse(enma_span_make(p, len), a, &v, &n) ==
	    ENMA_OK && n == 1, "500000 empty elements");
	free(p);
}

/* --- reverse-paths ------------------------------------------------ */

static const struct {
	struct bytes	 in;
	enma_status	 st;
	const char	*local, *domain;	/* NULL, NULL: null path */
} path_cases[] = {
	/* RFC 5321 4.1.2 */
	{ LIT("<>"), ENMA_OK, NULL, NULL },
	{ LIT("  <>  "), ENMA_OK, NULL, NULL },
	{ LIT(""), ENMA_OK, NULL, NULL },
	{ LIT("<alice@example.org>"), ENMA_OK, "alice", "example.org" },
	{ LIT("alice@Example.ORG"), ENMA_OK, "alice", "example.org" },
	{ LIT(" <Alice@EXAMPLE.org> "), ENMA_OK, "Alice", "example.org" },
	{ LIT("<alice@example.org.>"), ENMA_OK, "alice", "example.org" },
	{ LIT("<@a.example,@b.example:alice@c.example>"), ENMA_OK,
	    "alice", "c.example" },
	{ LIT("<@a.example:alice@c.example>"), ENMA_OK, "alice", "c.example" },
	{ LIT("<\"john doe\"@example.org>"), ENMA_OK,
	    "john doe", "example.org" },
	{ LIT("<\"a\\\"b\\\\c\"@example.org>"), ENMA_OK,
	    "a\"b\\c", "example.org" },
	{ LIT("<\"<x@y.example>\"@evil.example>"), ENMA_OK,
	    "<x@y.example>", "evil.example" },
	{ LIT("<\"\"@example.org>"), ENMA_OK, "", "example.org" },
	{ LIT("<bounce+a=b/c@example.org>"), ENMA_OK,
	    "bounce+a=b/c", "example.org" },
	/* RFC 6531 3.3: UTF-8 local parts, as bytes */
	{ LIT("<j\xc3\xb6rg@example.org>"), ENMA_OK,
	    "j\xc3\xb6rg", "example.org" },
	{ LIT("<\"j\xc3\xb6 rg\"@example.org>"), ENMA_OK,
	    "j\xc3\xb6 rg", "example.org" },
	/* RFC 5321 4.1.3 address literals */
	{ LIT("<alice@[192.0.2.1]>"), ENMA_OK, "alice", "[192.0.2.1]" },
	{ LIT("<alice@[IPv6:2001:DB8::1]>"), ENMA_OK,
	    "alice", "[ipv6:2001:db8::1]" },
	PATH_BAD("<alice@[300.1.1.1]>"),
	PATH_BAD("<alice@[foo]>"),
	PATH_BAD("<alice@[192.0.2.1>"),
	/* not host names */
	PATH_BAD("<alice@example..org>"),
	PATH_BAD("<alice@-example.org>"),
	PATH_BAD("<alice@example-.org>"),
	PATH_BAD("<alice@exa mple.org>"),
	PATH_BAD("<alice@ex\xc3\xa4mple.org>"),
	PATH_BAD("<alice@exa!mple.org>"),
	PATH_BAD("<alice@example.org\0>"),
	/* local parts and brackets */
	PATH_BAD("<alice>"),
	PATH_BAD("<alice@>"),
	PATH_BAD("<@example.org>"),
	PATH_BAD("<@a.example:>"),
	PATH_BAD("<@a..example:alice@c.example>"),
	PATH_BAD("<@a.example,alice@c.example>"),
	PATH_BAD("<alice@example.org"),
	PATH_BAD("alice@example.org>"),
	PATH_BAD("<<alice@example.org>>"),
	PATH_BAD("<"),
	PATH_BAD(">"),
	PATH_BAD("<a..b@example.org>"),
	PATH_BAD("<.a@example.org>"),
	PATH_BAD("<a.@example.org>"),
	PATH_BAD("<a b@example.org>"),
	PATH_BAD("<a@b@example.org>"),
	PATH_BAD("<a\x01" "b@example.org>"),
	PATH_BAD("<\"unterminated@example.org>"),
	PATH_BAD("<\"a\x01\"@example.org>"),
	PATH_BAD("<\"a\\\x01\"@example.org>"),
	PATH_BAD("<\"a\"b@example.org>"),
	PATH_BAD("<alice@example.org> SIZE=100"),
	PATH_BAD("Alice <alice@example.org>"),
};

/* test_path - the reverse-path table */
static void
test_path(struct enma_arena *a)
{
	struct enma_mailbox mb;
	enma_status	 st;
	size_t		 i;

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		st = enma_path_parse(span_of(path_cases[i].in), a, &mb);
		CHECK(st == path_cases[i].st, "path %zu [%s]: %s", i,
		    path_cases[i].in.p, st_name(st));
		if (st != ENMA_OK || path_cases[i].st != ENMA_OK) {
			CHECK(st == ENMA_OK || (mb.local == NULL &&
			    mb.domain == NULL), "path %zu: cleared", i);
			continue;
		}
		CHECK(streq_or_null(mb.local, path_cases[i].local),
		    "path %zu: local [%s]", i, mb.local ? mb.local : "(null)");
		CHECK(streq_or_null(mb.domain, path_cases[i].domain),
		    "path %zu: domain [%s]", i,
		    mb.domain ? mb.domain : "(null)");
		CHECK(mb.display == NULL, "path %zu: display", i);
	}
}

/* --- domain names ------------------------------------------------- */

static const char l63[] =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/* test_domain - host name checks and normalisation */
static void
test_domain(struct enma_arena *a)
{
	static const struct {
		struct bytes	 in;
		int		 valid;
		enma_status	 st;
		const char	*norm;
	} cases[] = {
		{ LIT("example.com"), 1, ENMA_OK, "example.com" },
		{ LIT("Example.COM."), 1, ENMA_OK, "example.com" },
		{ LIT("_spf.example.com"), 1, ENMA_OK, "_spf.example.com" },
		{ LIT("sel._domainkey.a-b.example"), 1, ENMA_OK,
		    "sel._domainkey.a-b.example" },
		{ LIT("localhost"), 1, ENMA_OK, "localhost" },
		{ LIT("192.0.2.1"), 1, ENMA_OK, "192.0.2.1" },
		{ LIT(""), 0, ENMA_ESYNTAX, NULL },
		{ LIT("."), 0, ENMA_ESYNTAX, NULL },
		{ LIT(".example.com"), 0, ENMA_ESYNTAX, NULL },
		{ LIT("a..b"), 0, ENMA_ESYNTAX, NULL },
		{ LIT("a.."), 0, ENMA_ESYNTAX, NULL },
		{ LIT("ex\xc3\xa4mple.com"), 0, ENMA_ESYNTAX, NULL },
		{ LIT("exa mple.com"), 0, ENMA_ESYNTAX, NULL },
		{ LIT("exa\0mple.com"), 0, ENMA_ESYNTAX, NULL },
		{ LIT("exa\nmple.com"), 0, ENMA_ESYNTAX, NULL },
		/* RFC 1123 2.1: letters, digits, hyphens, not at the ends;
		 * normalising does not judge the characters */
		{ LIT("-a.com"), 0, ENMA_OK, "-a.com" },
		{ LIT("a-.com"), 0, ENMA_OK, "a-.com" },
		{ LIT("a!b.com"), 0, ENMA_OK, "a!b.com" },
	};
	char		 d[300];
	const char	*out;
	enma_status	 st;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(enma_domain_is_valid(span_of(cases[i].in)) ==
		    cases[i].valid, "domain %zu: is_valid", i);
		st = enma_domain_normalise(span_of(cases[i].in), a, &out);
		CHECK(st == cases[i].st, "domain %zu: %s", i, st_name(st));
		if (st == ENMA_OK && cases[i].st == ENMA_OK)
			CHECK_STR(out, cases[i].norm, "normalise");
	}
	/* RFC 1035 2.3.4: labels of 63, names of 253 (255 on the wire) */
	snprintf(d, sizeof(d), "%s.%s.%s.%.61s", l63, l63, l63, l63);
	CHECK(strlen(d) == 253 &&
	    enma_domain_is_valid(enma_span_from_cstr(d)) &&
	    enma_domain_normalise(enma_span_from_cstr(d), a, &out) == ENMA_OK,
	    "253-byte name");
	snprintf(d, sizeof(d), "%s.%s.%s.%.61s.", l63, l63, l63, l63);
	CHECK(enma_domain_is_valid(enma_span_from_cstr(d)),
	    "253-byte name with a dot");
	snprintf(d, sizeof(d), "%s.%s.%s.%.62s", l63, l63, l63, l63);
	CHECK(!enma_domain_is_valid(enma_span_from_cstr(d)) &&
	    enma_domain_normalise(enma_span_from_cstr(d), a, &out) ==
	    ENMA_ESYNTAX, "254-byte name");
	snprintf(d, sizeof(d), "%s.com", l63);
	CHECK(enma_domain_is_valid(enma_span_from_cstr(d)), "63-byte label");
	snprintf(d, sizeof(d), "%sa.com", l63);
	CHECK(!enma_domain_is_valid(enma_span_from_cstr(d)) &&
	    enma_domain_normalise(enma_span_from_cstr(d), a, &out) ==
	    ENMA_ESYNTAX, "64-byte label");
	CHECK(enma_domain_normalise(enma_span_from_cstr("x"), NULL, &out) ==
	    ENMA_EINVAL, "no arena");
}

/* main - run every test */
int
main(void)
{
	struct enma_arena *a;

	if ((a = enma_arena_new(0)) == NULL)
		return 2;
	test_header_parse();
	test_unfold();
	test_mailbox(a);
	test_mailbox_limits(a);
	test_addrlist(a);
	test_path(a);
	test_domain(a);
	enma_arena_free(a);
	return check_done("mail");
}
