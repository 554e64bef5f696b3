/*
 * test_mail_reader.c - the saved-message reader (mail.h, mail_reader.c)
 *
 * Each case is fed whole and then in every chunk size from 1 byte up,
 * so that a line end split between two feeds is covered.  The callbacks
 * write what they get into one transcript: H[field] per header field,
 * E at the end of the header section, then the body bytes in B[...].
 * Expected transcripts come from the rules in mail.h (RFC 5322 2.1 and
 * 2.2, RFC 4155 2, RFC 5321 4.1.1.4), worked out by hand.
 */
#include <stdlib.h>
#include <string.h>

#include <enma/mail.h>

#include "check.h"

struct transcript {
	struct enma_buf	 out;
	struct enma_buf	 body;
	size_t		 eoh;		/* times eoh was called */
	size_t		 maxchunk;	/* largest body chunk */
	size_t		 fail_at;	/* header callback fails on this one */
	size_t		 nhdr;
};

/* on_header - H[field] */
static enma_status
on_header(void *arg, struct enma_span f)
{
	struct transcript *t = arg;

	if (++t->nhdr == t->fail_at)
		return ENMA_ENOMEM;
	enma_buf_puts(&t->out, "H[");
	enma_buf_append_span(&t->out, f);
	enma_buf_puts(&t->out, "]");
	return ENMA_OK;
}

/* on_eoh - E */
static enma_status
on_eoh(void *arg)
{
	struct transcript *t = arg;

	t->eoh++;
	enma_buf_puts(&t->out, "E");
	return ENMA_OK;
}

/* on_body - gathered, written as B[...] at the end */
static enma_status
on_body(void *arg, struct enma_span c)
{
	struct transcript *t = arg;

	if (c.len > t->maxchunk)
		t->maxchunk = c.len;
	if (t->eoh != 1)
		return ENMA_EINVAL;	/* body before the header ended */
	return enma_buf_append_span(&t->body, c);
}

/* run - feed in chunks of chunk bytes (0: whole); the status of finish */
static enma_status
run(const char *in, size_t len, size_t chunk, size_t max,
    struct transcript *t, struct enma_mail_reader_stats *st)
{
	struct enma_mail_reader_cb cb = { on_header, on_eoh, on_body, t };
	struct enma_mail_reader *r;
	enma_status s;
	size_t i, n;

	memset(t, 0, sizeof(*t));
	enma_buf_init(&t->out, 0);
	enma_buf_init(&t->body, 0);
	enma_buf_puts(&t->out, "");
	if ((s = enma_mail_reader_new(&cb, max, &r)) != ENMA_OK)
		return s;
	if (chunk == 0)
		chunk = len > 0 ? len : 1;
	for (i = 0; i < len; i += n) {
		n = len - i < chunk ? len - i : chunk;
		if ((s = enma_mail_reader_feed(r,
		    enma_span_make(in + i, n))) != ENMA_OK)
			break;
	}
	s = enma_mail_reader_finish(r);
	enma_mail_reader_stats(r, st);
	enma_mail_reader_free(r);
	if (t->body.len > 0 || t->eoh > 0) {
		enma_buf_puts(&t->out, "B[");
		enma_buf_append(&t->out, t->body.p != NULL ? t->body.p : "",
		    t->body.len);
		enma_buf_puts(&t->out, "]");
	}
	return s;
}

static void
done(struct transcript *t)
{
	enma_buf_free(&t->out);
	enma_buf_free(&t->body);
}

struct tcase {
	const char	*name;
	const char	*in;
	const char	*want;
};

static const struct tcase cases[] = {
	/* RFC 5322 2.1: fields, an empty line, the body */
	{ "crlf", "From: a\r\nTo: b\r\n\r\nbody\r\n",
	    "H[From: a]H[To: b]EB[body\r\n]" },
	{ "lf", "From: a\nTo: b\n\nbody\n",
	    "H[From: a]H[To: b]EB[body\r\n]" },
	/* RFC 5322 2.2.3: continuation lines stay, with CRLF folds */
	{ "folded", "Subject: a\n b\n\tc\nX: y\n\nz\n",
	    "H[Subject: a\r\n b\r\n\tc]H[X: y]EB[z\r\n]" },
	{ "folded-crlf", "Subject: a\r\n b\r\nX: y\r\n\r\n",
	    "H[Subject: a\r\n b]H[X: y]EB[]" },
	/* no empty line: all header, empty body */
	{ "no-separator", "From: a\nTo: b\n", "H[From: a]H[To: b]EB[]" },
	{ "no-final-eol", "From: a", "H[From: a]EB[]" },
	{ "empty", "", "EB[]" },
	{ "only-separator", "\n", "EB[]" },
	{ "only-separator-crlf", "\r\n\r\nx", "EB[\r\nx\r\n]" },
	/* RFC 5321 4.1.1.4: the last body line gets its CRLF */
	{ "body-no-eol", "A: b\n\nline", "H[A: b]EB[line\r\n]" },
	{ "body-mixed", "A: b\r\n\r\nx\ny\r\nz",
	    "H[A: b]EB[x\r\ny\r\nz\r\n]" },
	/* a CR not before LF is an ordinary byte, but at the very end */
	{ "bare-cr", "A: b\n\nx\ry\n", "H[A: b]EB[x\ry\r\n]" },
	{ "cr-at-end", "A: b\n\nx\r", "H[A: b]EB[x\r\n]" },
	{ "header-cr-at-end", "A: b\r", "H[A: b]EB[]" },
	{ "cr-inside-header", "A: b\rc\n\n", "H[A: b\rc]EB[]" },
	{ "crcrlf", "A: b\n\nx\r\r\n", "H[A: b]EB[x\r\r\n]" },
	/* empty lines in the body are kept (RFC 6376 3.4.3 needs them) */
	{ "empty-body", "A: b\n\n", "H[A: b]EB[]" },
	{ "blank-lines", "A: b\n\n\n\n", "H[A: b]EB[\r\n\r\n]" },
	{ "wsp-line", "A: b\n\n \t\n", "H[A: b]EB[ \t\r\n]" },
	/* RFC 4155 2: a leading mbox separator is not part of the message */
	{ "mbox", "From someone@example.com Mon Jan  1 00:00:00 2024\n"
	    "From: a\n\nb\n", "H[From: a]EB[b\r\n]" },
	{ "mbox-not-first", "A: b\nFrom x\n\nc\n",
	    "H[A: b]EB[From x\r\n\r\nc\r\n]" },
	{ "from-colon-first", "From: x\n\n", "H[From: x]EB[]" },
	/* a line that is no field ends the header section (Postfix) */
	{ "nonheader", "A: b\nnot a header\nC: d\n\nx\n",
	    "H[A: b]EB[not a header\r\nC: d\r\n\r\nx\r\n]" },
	{ "leading-wsp", " x\nA: b\n", "EB[ x\r\nA: b\r\n]" },
	{ "colon-first", ": x\nA: b\n", "EB[: x\r\nA: b\r\n]" },
	{ "space-in-name", "A b: c\n", "EB[A b: c\r\n]" },
	/* RFC 5322 4.5.2: WSP before the colon is still a field */
	{ "obs-wsp", "Subject : x\n\n", "H[Subject : x]EB[]" },
	{ "empty-value", "X:\n\n", "H[X:]EB[]" },
	{ "nul", "X: a\0b\n\n\0\n", "H[X: a\0b]EB[\0\r\n]" },
};

/* case_len - cases hold NUL bytes: the length up to the last quote */
static size_t
case_len(const char *s, const char *name)
{
	if (strcmp(name, "nul") == 0)
		return 10;
	return strlen(s);
}

static size_t
want_len(const char *s, const char *name)
{
	if (strcmp(name, "nul") == 0)
		return 16;
	return strlen(s);
}

/* test_cases - each case whole and in every chunk size */
static void
test_cases(void)
{
	struct transcript t;
	struct enma_mail_reader_stats st;
	size_t i, chunk, len, wl;
	enma_status s;
	int bad;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = case_len(cases[i].in, cases[i].name);
		wl = want_len(cases[i].want, cases[i].name);
		bad = 0;
		for (chunk = 0; chunk <= len + 1 && !bad; chunk++) {
			s = run(cases[i].in, len, chunk, 0, &t, &st);
			if (s != ENMA_OK || t.eoh != 1 || t.out.len != wl ||
			    memcmp(t.out.p, cases[i].want, wl) != 0) {
				bad = 1;
				CHECK(0, "%s (chunk %zu): status %s, got "
				    "\"%s\"", cases[i].name, chunk,
				    enma_strerror(s), t.out.p);
			}
			done(&t);
		}
		if (!bad)
			CHECK(1, "%s", cases[i].name);
	}
}

/* test_stats - what the reader reports seeing */
static void
test_stats(void)
{
	struct transcript t;
	struct enma_mail_reader_stats st;
	static const char a[] = "From x\nA: b\r\nB: c\n d\n\nxy\nz\r\n";
	static const char b[] = "A: b\r\nnot a field\r\n";

	CHECK(run(a, sizeof(a) - 1, 3, 0, &t, &st) == ENMA_OK, "stats a");
	CHECK(st.fields == 2 && st.separator && !st.nonheader &&
	    st.mbox_from && st.bare_lf && st.body_bytes == 7,
	    "stats a: fields %zu sep %d nonh %d mbox %d lf %d body %lu",
	    st.fields, st.separator, st.nonheader, st.mbox_from, st.bare_lf,
	    (unsigned long)st.body_bytes);
	done(&t);
	CHECK(run(b, sizeof(b) - 1, 0, 0, &t, &st) == ENMA_OK, "stats b");
	CHECK(st.fields == 1 && !st.separator && st.nonheader &&
	    !st.mbox_from && !st.bare_lf && st.body_bytes == 13,
	    "stats b: fields %zu sep %d nonh %d mbox %d lf %d body %lu",
	    st.fields, st.separator, st.nonheader, st.mbox_from, st.bare_lf,
	    (unsigned long)st.body_bytes);
	done(&t);
	enma_mail_reader_stats(NULL, &st);
	CHECK(st.fields == 0 && st.body_bytes == 0, "stats of NULL");
}

/* test_limits - a field or line of max bytes passes, one more does not */
static void
test_limits(void)
{
	struct transcript t;
	struct enma_mail_reader_stats st;
	size_t chunk;
	enma_status s;

	for (chunk = 0; chunk < 14; chunk++) {
		/* "A: 1234567" is 10 bytes: the limit */
		s = run("A: 1234567\r\n\r\n", 14, chunk, 10, &t, &st);
		CHECK(s == ENMA_OK, "10-byte line (chunk %zu): %s", chunk,
		    enma_strerror(s));
		done(&t);
		s = run("A: 12345678\n\n", 13, chunk, 10, &t, &st);
		CHECK(s == ENMA_ELIMIT, "11-byte line (chunk %zu): %s", chunk,
		    enma_strerror(s));
		done(&t);
		/* "A: 1" CRLF " 234" is 10 bytes as handed over */
		s = run("A: 1\n 234\n\n", 11, chunk, 10, &t, &st);
		CHECK(s == ENMA_OK, "10-byte field (chunk %zu): %s", chunk,
		    enma_strerror(s));
		done(&t);
		s = run("A: 12\n 234\n\n", 12, chunk, 10, &t, &st);
		CHECK(s == ENMA_ELIMIT, "11-byte field (chunk %zu): %s",
		    chunk, enma_strerror(s));
		done(&t);
		/* the last line without its LF counts the same */
		s = run("A: 12345678", 11, chunk, 10, &t, &st);
		CHECK(s == ENMA_ELIMIT, "11-byte last line (chunk %zu): %s",
		    chunk, enma_strerror(s));
		done(&t);
	}
	/* body lines have no limit */
	s = run("A: b\n\n12345678901234567890\n", 27, 0, 10, &t, &st);
	CHECK(s == ENMA_OK && t.body.len == 22, "long body line: %s",
	    enma_strerror(s));
	done(&t);
}

/* test_errors - arguments, a failing callback, use after finish */
static void
test_errors(void)
{
	struct transcript t;
	struct enma_mail_reader_stats st;
	struct enma_mail_reader_cb cb = { on_header, NULL, on_body, &t };
	struct enma_mail_reader_cb nocb = { NULL, NULL, on_body, &t };
	struct enma_mail_reader *r;
	static const char in[] = "A: b\nC: d\nE: f\n\nx\n";
	enma_status s;

	CHECK(enma_mail_reader_new(&nocb, 0, &r) == ENMA_EINVAL && r == NULL,
	    "no header callback");
	CHECK(enma_mail_reader_new(NULL, 0, &r) == ENMA_EINVAL, "no cb");
	CHECK(enma_mail_reader_new(&cb, 0, NULL) == ENMA_EINVAL, "no out");
	CHECK(enma_mail_reader_feed(NULL, ENMA_SPAN_LIT("x")) == ENMA_EINVAL,
	    "feed NULL");
	CHECK(enma_mail_reader_finish(NULL) == ENMA_EINVAL, "finish NULL");
	enma_mail_reader_free(NULL);

	/* the second header callback fails: sticky, nothing more is said */
	memset(&t, 0, sizeof(t));
	enma_buf_init(&t.out, 0);
	enma_buf_init(&t.body, 0);
	t.fail_at = 2;
	t.eoh = 1;	/* no eoh callback here: let on_body accept */
	CHECK(enma_mail_reader_new(&cb, 0, &r) == ENMA_OK, "new");
	s = enma_mail_reader_feed(r, enma_span_make(in, sizeof(in) - 1));
	CHECK(s == ENMA_ENOMEM, "failing callback: %s", enma_strerror(s));
	CHECK(enma_mail_reader_feed(r, ENMA_SPAN_LIT("x")) == ENMA_ENOMEM &&
	    enma_mail_reader_finish(r) == ENMA_ENOMEM, "sticky failure");
	CHECK(t.nhdr == 2 && t.body.len == 0, "stopped at once: %zu %zu",
	    t.nhdr, t.body.len);
	enma_mail_reader_free(r);
	done(&t);

	/* use after finish */
	memset(&t, 0, sizeof(t));
	enma_buf_init(&t.out, 0);
	enma_buf_init(&t.body, 0);
	t.eoh = 1;
	CHECK(enma_mail_reader_new(&cb, 0, &r) == ENMA_OK, "new");
	CHECK(enma_mail_reader_finish(r) == ENMA_OK, "finish empty");
	CHECK(enma_mail_reader_feed(r, ENMA_SPAN_LIT("x")) == ENMA_EINVAL,
	    "feed after finish");
	enma_mail_reader_stats(r, &st);
	CHECK(st.fields == 0 && !st.separator, "empty stats");
	enma_mail_reader_free(r);
	done(&t);
}

/* test_big_body - bounded hand-over, LF made CRLF across chunk edges */
static void
test_big_body(void)
{
	struct transcript t;
	struct enma_mail_reader_stats st;
	const size_t lines = 5000, width = 69;	/* 70 bytes with the LF */
	size_t i, j, len, bad = 0;
	char *in, *p;

	len = 6 + lines * (width + 1);
	if ((in = malloc(len)) == NULL) {
		CHECK(0, "malloc");
		return;
	}
	memcpy(in, "A: b\n\n", 6);
	for (i = 0, p = in + 6; i < lines; i++) {
		for (j = 0; j < width; j++)
			*p++ = (char)('a' + (i + j) % 26);
		*p++ = '\n';
	}
	CHECK(run(in, len, 4093, 0, &t, &st) == ENMA_OK, "big body");
	CHECK(t.body.len == lines * (width + 2), "big body length %zu",
	    t.body.len);
	CHECK(t.maxchunk <= ENMA_MAIL_READER_CHUNK, "chunk %zu", t.maxchunk);
	for (i = 0; i < lines && t.body.len == lines * (width + 2); i++) {
		p = t.body.p + i * (width + 2);
		if (p[width] != '\r' || p[width + 1] != '\n' ||
		    p[0] != (char)('a' + i % 26))
			bad++;
	}
	CHECK(bad == 0, "%zu lines wrong", bad);
	CHECK(st.body_bytes == t.body.len, "body_bytes %lu",
	    (unsigned long)st.body_bytes);
	done(&t);
	free(in);
}

int
main(void)
{
	test_cases();
	test_stats();
	test_limits();
	test_errors();
	test_big_body();
	return check_done("test_mail_reader");
}
