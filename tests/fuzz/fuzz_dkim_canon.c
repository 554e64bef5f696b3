/*
 * fuzz_dkim_canon.c - body and header canonicalisation (RFC 6376 3.4)
 * on arbitrary bytes
 *
 * The first byte chooses simple or relaxed and a chunk size; the rest is
 * the body.  Properties: any chunking gives the output of one chunk,
 * which is what a line-by-line reading of 3.4.3 / 3.4.4 gives; relaxed
 * header output holds no CR or LF before its final CRLF, no WSP but
 * single spaces, none after the name's colon or at the end.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <enma/mail.h>

#include "dkim_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

static void
buf_sink(void *arg, const unsigned char *p, size_t n)
{
	(void)enma_buf_append(arg, p, n);
}

/* ref_canon - 3.4.3 / 3.4.4 line by line; out holds 2 * n + 2 */
static size_t
ref_canon(int relaxed, const uint8_t *in, size_t n, uint8_t *out)
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
			keep = o;
	}
	if (!relaxed && keep == 0) {
		out[0] = '\r';
		out[1] = '\n';
		return 2;
	}
	return keep;
}

/* canon - the body in chunks of step bytes (0: one chunk) */
static void
canon(int relaxed, const uint8_t *p, size_t n, size_t step,
    struct enma_buf *out)
{
	struct dkim_body_canon	c;
	size_t			i, k;

	dkim_body_canon_init(&c, relaxed ? DKIM_CANON_RELAXED :
	    DKIM_CANON_SIMPLE, buf_sink, out);
	for (i = 0; i < n; i += k) {
		k = step == 0 || step > n - i ? n - i : step;
		dkim_body_canon_update(&c, p + i, k);
	}
	dkim_body_canon_final(&c);
}

/* header - relaxed canonicalisation of the input as one field */
static void
header(const uint8_t *p, size_t n)
{
	struct enma_header	h;
	struct enma_buf		out;
	size_t			i;

	if (enma_header_parse(enma_span_make(p, n), &h) != ENMA_OK)
		return;
	enma_buf_init(&out, 0);
	dkim_header_canon(&h, DKIM_CANON_RELAXED, enma_span_make(NULL, 0),
	    buf_sink, &out);
	check(enma_buf_status(&out) == ENMA_OK && out.len >= 3);
	check(out.p[out.len - 2] == '\r' && out.p[out.len - 1] == '\n');
	check(out.len >= h.name.len + 3 && out.p[h.name.len] == ':' &&
	    out.p[h.name.len + 1] != ' ');
	for (i = 0; i + 2 < out.len; i++) {
		check(out.p[i] != '\r' && out.p[i] != '\n' && out.p[i] != '\t');
		check(out.p[i] != ' ' || (out.p[i + 1] != ' ' &&
		    out.p[i + 1] != '\r'));
	}
	enma_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enma_buf	 whole, parts;
	uint8_t		*ref;
	size_t		 rl;
	int		 relaxed;

	if (size < 1)
		return 0;
	relaxed = data[0] & 1;
	enma_buf_init(&whole, 0);
	enma_buf_init(&parts, 0);
	canon(relaxed, data + 1, size - 1, 0, &whole);
	canon(relaxed, data + 1, size - 1, 1 + (data[0] >> 1), &parts);
	check(enma_buf_status(&whole) == ENMA_OK &&
	    enma_span_eq(enma_buf_span(&whole), enma_buf_span(&parts)));
	if ((ref = malloc(2 * size + 2)) != NULL) {
		rl = ref_canon(relaxed, data + 1, size - 1, ref);
		check(enma_span_eq(enma_buf_span(&whole),
		    enma_span_make(ref, rl)));
		free(ref);
	}
	enma_buf_free(&whole);
	enma_buf_free(&parts);
	header(data + 1, size - 1);
	return 0;
}
