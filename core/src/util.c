/*
 * util.c - status text, spans, buffers and small helpers
 *
 * The arena and the IP/CIDR code live in arena.c and ip.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <enma/util.h>

static const char *const status_text[ENMA_STATUS_MAX] = {
	[ENMA_OK] = "success",
	[ENMA_ENOMEM] = "out of memory",
	[ENMA_EINVAL] = "invalid argument",
	[ENMA_ESYNTAX] = "syntax error",
	[ENMA_ELIMIT] = "limit exceeded",
	[ENMA_ETEMP] = "temporary failure",
	[ENMA_EPERM] = "permanent failure",
	[ENMA_ENOTFOUND] = "not found",
	[ENMA_EIO] = "input/output error",
	[ENMA_ETIMEOUT] = "time limit reached",
};

/* enma_strerror - static text for a status */
const char *
enma_strerror(enma_status st)
{
	if ((unsigned)st >= ENMA_STATUS_MAX || status_text[st] == NULL)
		return "unknown status";
	return status_text[st];
}

/* enma_span_make - a span over n bytes at p */
struct enma_span
enma_span_make(const void *p, size_t n)
{
	struct enma_span s;

	s.p = p;
	s.len = p != NULL ? n : 0;
	return s;
}

/* enma_span_from_cstr - a span over a C string; NULL gives an empty span */
struct enma_span
enma_span_from_cstr(const char *s)
{
	return enma_span_make(s, s != NULL ? strlen(s) : 0);
}

/* enma_span_eq - byte-for-byte equality */
int
enma_span_eq(struct enma_span a, struct enma_span b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* enma_span_caseeq - equality ignoring ASCII case */
int
enma_span_caseeq(struct enma_span a, struct enma_span b)
{
	size_t	i;

	if (a.len != b.len)
		return 0;
	for (i = 0; i < a.len; i++)
		if (enma_tolower(a.p[i]) != enma_tolower(b.p[i]))
			return 0;
	return 1;
}

/* enma_span_caseeq_cstr - equality with a C string ignoring ASCII case */
int
enma_span_caseeq_cstr(struct enma_span a, const char *s)
{
	return enma_span_caseeq(a, enma_span_from_cstr(s));
}

/* enma_span_has_caseprefix - does a start with s, ignoring ASCII case? */
int
enma_span_has_caseprefix(struct enma_span a, const char *s)
{
	struct enma_span p = enma_span_from_cstr(s);

	if (a.len < p.len)
		return 0;
	a.len = p.len;
	return enma_span_caseeq(a, p);
}

static int
is_trim(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* enma_span_trim_wsp - drop SP, HTAB, CR and LF at both ends */
struct enma_span
enma_span_trim_wsp(struct enma_span s)
{
	while (s.len > 0 && is_trim(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_trim(s.p[s.len - 1]))
		s.len--;
	return s;
}

/* enma_span_chr - offset of the first c, or len when absent */
size_t
enma_span_chr(struct enma_span s, unsigned char c)
{
	const unsigned char *q;

	if (s.len == 0)
		return 0;
	q = memchr(s.p, c, s.len);
	return q != NULL ? (size_t)(q - s.p) : s.len;
}

/* enma_span_to_uint - decimal digits only, at most max */
enma_status
enma_span_to_uint(struct enma_span s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t	 i;

	if (s.len == 0)
		return ENMA_ESYNTAX;
	for (i = 0; i < s.len; i++) {
		if (!enma_isdigit(s.p[i]))
			return ENMA_ESYNTAX;
		if (v > (max - (uint64_t)(s.p[i] - '0')) / 10)
			return ENMA_ELIMIT;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	*out = v;
	return ENMA_OK;
}

/* enma_buf_init - an empty buffer whose capacity may grow to max */
void
enma_buf_init(struct enma_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max != 0 ? max : ENMA_BUF_DEFAULT_MAX;
	b->status = ENMA_OK;
	b->fixed = 0;
}

/* enma_buf_init_fixed - an empty buffer on size bytes of mem, NUL included */
void
enma_buf_init_fixed(struct enma_buf *b, char *mem, size_t size)
{
	b->p = size > 0 ? mem : NULL;
	b->len = 0;
	b->cap = b->p != NULL ? size : 0;
	b->max = b->cap > 0 ? b->cap - 1 : 0;
	b->status = ENMA_OK;
	b->fixed = 1;
	if (b->p != NULL)
		b->p[0] = '\0';
}

/* enma_buf_free - release the memory; the buffer is empty and usable */
void
enma_buf_free(struct enma_buf *b)
{
	if (b->fixed) {
		enma_buf_reset(b);
		return;
	}
	free(b->p);
	enma_buf_init(b, b->max);
}

/* enma_buf_reset - empty the buffer, keep its memory, clear the failure */
void
enma_buf_reset(struct enma_buf *b)
{
	b->len = 0;
	b->status = ENMA_OK;
	if (b->p != NULL)
		b->p[0] = '\0';
}

/* buf_reserve - room for n more bytes and the NUL */
static enma_status
buf_reserve(struct enma_buf *b, size_t n)
{
	size_t	 need, cap;
	char	*p;

	if (b->status != ENMA_OK)
		return b->status;
	if (n > b->max || b->len > b->max - n)
		return b->status = ENMA_ELIMIT;
	need = b->len + n + 1;
	if (need <= b->cap)
		return ENMA_OK;
	if (b->fixed)		/* only with no memory at all */
		return b->status = ENMA_ELIMIT;
	cap = b->cap != 0 ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	if ((p = realloc(b->p, cap)) == NULL)
		return b->status = ENMA_ENOMEM;
	b->p = p;
	b->cap = cap;
	return ENMA_OK;
}

/* enma_buf_append - append n bytes; the content stays NUL-terminated */
enma_status
enma_buf_append(struct enma_buf *b, const void *p, size_t n)
{
	enma_status st;

	if ((st = buf_reserve(b, n)) != ENMA_OK)
		return st;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return ENMA_OK;
}

enma_status
enma_buf_append_span(struct enma_buf *b, struct enma_span s)
{
	return enma_buf_append(b, s.p, s.len);
}

enma_status
enma_buf_puts(struct enma_buf *b, const char *s)
{
	return enma_buf_append(b, s, strlen(s));
}

enma_status
enma_buf_putc(struct enma_buf *b, int c)
{
	unsigned char ch = (unsigned char)c;

	return enma_buf_append(b, &ch, 1);
}

/* enma_buf_printf - append formatted text */
enma_status
enma_buf_printf(struct enma_buf *b, const char *fmt, ...)
{
	va_list		 ap;
	int		 n;
	enma_status	 st;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return b->status = ENMA_EINVAL;
	if ((st = buf_reserve(b, (size_t)n)) != ENMA_OK)
		return st;
	va_start(ap, fmt);
	(void)vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return ENMA_OK;
}

enma_status
enma_buf_status(const struct enma_buf *b)
{
	return b->status;
}

struct enma_span
enma_buf_span(const struct enma_buf *b)
{
	return enma_span_make(b->p, b->len);
}

/* enma_printable - text from outside made safe for logs and headers */
enma_status
enma_printable(struct enma_span s, struct enma_buf *out, int escape)
{
	size_t	i;

	for (i = 0; i < s.len; i++) {
		int c = s.p[i];

		if (c >= 0x20 && c < 0x7f && !(escape && c == '\\'))
			(void)enma_buf_putc(out, c);
		else if (escape)
			(void)enma_buf_printf(out, "\\x%02X", (unsigned)c);
		else
			(void)enma_buf_putc(out, '?');
	}
	return enma_buf_status(out);
}

/* enma_now_ms - monotonic clock in milliseconds */
uint64_t
enma_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
