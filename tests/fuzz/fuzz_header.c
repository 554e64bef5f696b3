/*
 * fuzz_header.c - header field split, unfolding and line-end repair
 *
 * Properties: the split parts lie inside the input; unfolding gives what
 * a plain byte loop over RFC 5322 2.2.3 gives; after fix_eol every CR is
 * followed by LF and every LF preceded by CR.
 */
#include <stddef.h>
#include <stdint.h>

#include <enma/mail.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - a broken promise is a crash the fuzzer reports */
static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* check_unfolded - the same as a plain byte loop over RFC 5322 2.2.3 */
static void
check_unfolded(const uint8_t *in, size_t size, const struct enma_buf *b)
{
	size_t	 i, n, o = 0;

	for (i = 0; i < size; i++) {
		n = 0;
		if (in[i] == '\r' && i + 1 < size && in[i + 1] == '\n')
			n = 2;
		else if (in[i] == '\r' || in[i] == '\n')
			n = 1;
		if (n > 0 && i + n < size && (in[i + n] == ' ' ||
		    in[i + n] == '\t')) {
			i += n - 1;
			continue;
		}
		check(o < b->len && (uint8_t)b->p[o] == in[i]);
		o++;
	}
	check(o == b->len);
}

/* check_crlf - every CR has its LF and every LF its CR */
static void
check_crlf(const struct enma_buf *b)
{
	size_t	 i;

	for (i = 0; i < b->len; i++) {
		if (b->p[i] == '\r')
			check(i + 1 < b->len && b->p[i + 1] == '\n');
		if (b->p[i] == '\n')
			check(i > 0 && b->p[i - 1] == '\r');
	}
}

/* LLVMFuzzerTestOneInput - one fuzz input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enma_span	 s = enma_span_make(data, size);
	struct enma_header	 h;
	struct enma_buf		 b;

	if (enma_header_parse(s, &h) == ENMA_OK) {
		check(h.name.len > 0 && h.name.p == data);
		check(h.value.p + h.value.len == h.raw.p + h.raw.len);
		check(h.raw.len <= size);
	}
	enma_buf_init(&b, 0);
	if (enma_header_unfold(s, &b) == ENMA_OK) {
		check(b.len <= size && b.p[b.len] == '\0');
		check_unfolded(data, size, &b);
	}
	enma_buf_reset(&b);
	if (enma_header_fix_eol(s, &b) == ENMA_OK) {
		check(b.len <= 2 * size && b.p[b.len] == '\0');
		check_crlf(&b);
	}
	enma_buf_free(&b);
	return 0;
}
