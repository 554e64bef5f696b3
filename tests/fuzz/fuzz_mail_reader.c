/*
 * fuzz_mail_reader.c - enma-check's message reader (mail_reader.c)
 *
 * The first input byte chooses a chunk size; the rest is the message.
 * Properties: fed whole or in chunks, the reader says the same thing;
 * eoh comes once, after every field and before any body byte; each
 * field parses as a field, and its only line breaks are CRLF followed
 * by WSP; the body's every LF has its CR and it ends with CRLF unless
 * empty; no chunk handed over is larger than ENMA_MAIL_READER_CHUNK.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <enma/mail.h>

#define FUZZ_MAX_FIELD	256	/* small, so that the limit is reached */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct seen {
	struct enma_buf	 log;		/* fields and body, in order */
	size_t		 eoh;
	int		 last;		/* last body byte, -1 none */
	int		 prev_cr;
};

/* check - a broken promise is a crash the fuzzer reports */
static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* on_header - a field: parses, folds are CRLF WSP, logged */
static enma_status
on_header(void *arg, struct enma_span f)
{
	struct seen *s = arg;
	struct enma_header h;
	size_t i;

	check(s->eoh == 0);
	check(f.len > 0 && f.len <= FUZZ_MAX_FIELD);
	check(enma_header_parse(f, &h) == ENMA_OK && h.raw.len <= f.len);
	for (i = 0; i < f.len; i++)
		if (f.p[i] == '\n')
			check(i > 0 && f.p[i - 1] == '\r' && i + 1 < f.len &&
			    enma_iswsp(f.p[i + 1]));
	(void)enma_buf_printf(&s->log, "H%zu:", f.len);
	(void)enma_buf_append_span(&s->log, f);
	return ENMA_OK;
}

/* on_eoh - once */
static enma_status
on_eoh(void *arg)
{
	struct seen *s = arg;

	s->eoh++;
	(void)enma_buf_putc(&s->log, 'E');
	return ENMA_OK;
}

/* on_body - every LF has its CR, across chunk edges too */
static enma_status
on_body(void *arg, struct enma_span c)
{
	struct seen *s = arg;
	size_t i;

	check(s->eoh == 1);
	check(c.len > 0 && c.len <= ENMA_MAIL_READER_CHUNK);
	for (i = 0; i < c.len; i++) {
		if (c.p[i] == '\n')
			check(i > 0 ? c.p[i - 1] == '\r' : s->last == '\r');
		s->last = c.p[i];
	}
	(void)enma_buf_append_span(&s->log, c);
	return ENMA_OK;
}

/* read_all - feed data in chunks of chunk bytes; the final status */
static enma_status
read_all(const uint8_t *data, size_t size, size_t chunk, struct seen *s)
{
	struct enma_mail_reader_cb cb = { on_header, on_eoh, on_body, s };
	struct enma_mail_reader *r;
	enma_status st = ENMA_OK;
	size_t i, n;

	memset(s, 0, sizeof(*s));
	s->last = -1;
	enma_buf_init(&s->log, 0);
	check(enma_mail_reader_new(&cb, FUZZ_MAX_FIELD, &r) == ENMA_OK);
	for (i = 0; i < size && st == ENMA_OK; i += n) {
		n = size - i < chunk ? size - i : chunk;
		st = enma_mail_reader_feed(r, enma_span_make(data + i, n));
	}
	st = enma_mail_reader_finish(r);
	if (st == ENMA_OK) {
		check(s->eoh == 1);
		check(s->last == -1 || s->last == '\n');
	} else
		check(st == ENMA_ELIMIT);
	enma_mail_reader_free(r);
	return st;
}

/* LLVMFuzzerTestOneInput - one fuzz input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen whole, parts;
	enma_status a, b;
	size_t chunk;

	if (size == 0)
		return 0;
	chunk = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	a = read_all(data, size, size > 0 ? size : 1, &whole);
	b = read_all(data, size, chunk, &parts);
	check(a == b);
	if (a == ENMA_OK)
		check(whole.log.len == parts.log.len && (whole.log.len == 0 ||
		    memcmp(whole.log.p, parts.log.p, whole.log.len) == 0));
	enma_buf_free(&whole.log);
	enma_buf_free(&parts.log);
	return 0;
}
