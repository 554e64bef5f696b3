/*
 * mail_header.c - RFC 5322 header fields: split, unfold, line ends
 *
 * Fields are kept as received; these functions only look at the bytes
 * and never read past the span.  Text between line breaks is copied in
 * runs.
 */
#include <string.h>

#include <enma/mail.h>

/* RFC 5322 3.6.8: ftext = %d33-57 / %d59-126 */
static int
is_ftext(int c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* drop_eol - remove one trailing CRLF, LF or CR */
static struct enma_span
drop_eol(struct enma_span s)
{
	if (s.len > 0 && s.p[s.len - 1] == '\n')
		s.len--;
	if (s.len > 0 && s.p[s.len - 1] == '\r')
		s.len--;
	return s;
}

/* enma_header_parse - split a raw field into name and value */
enma_status
enma_header_parse(struct enma_span raw, struct enma_header *h)
{
	size_t	 colon, end, i;

	if (h == NULL || (raw.p == NULL && raw.len > 0))
		return ENMA_EINVAL;
	memset(h, 0, sizeof(*h));
	raw = drop_eol(raw);
	colon = enma_span_chr(raw, ':');
	if (colon == raw.len)
		return ENMA_ESYNTAX;
	/* RFC 5322 4.5.2: obs-optional allows WSP before the colon */
	end = colon;
	while (end > 0 && enma_iswsp(raw.p[end - 1]))
		end--;
	if (end == 0 || end > ENMA_MAIL_MAX_HEADER_NAME)
		return ENMA_ESYNTAX;
	for (i = 0; i < end; i++)
		if (!is_ftext(raw.p[i]))
			return ENMA_ESYNTAX;
	h->raw = raw;
	h->name = enma_span_make(raw.p, end);
	h->value = enma_span_make(raw.p + colon + 1, raw.len - colon - 1);
	return ENMA_OK;
}

/* next_break - offset of the next CR or LF at or after i, or len */
static size_t
next_break(struct enma_span s, size_t i)
{
	while (i < s.len && s.p[i] != '\r' && s.p[i] != '\n')
		i++;
	return i;
}

/* break_len - length of the line break at i: 2 for CRLF, else 1 */
static size_t
break_len(struct enma_span s, size_t i)
{
	if (s.p[i] == '\r' && i + 1 < s.len && s.p[i + 1] == '\n')
		return 2;
	return 1;
}

/*
 * enma_header_unfold - RFC 5322 2.2.3: a line break followed by WSP is
 * removed, the WSP stays; other line breaks are kept as they are.
 */
enma_status
enma_header_unfold(struct enma_span v, struct enma_buf *out)
{
	size_t	 i = 0, b, n;

	if (out == NULL || (v.p == NULL && v.len > 0))
		return ENMA_EINVAL;
	while (i < v.len) {
		b = next_break(v, i);
		(void)enma_buf_append(out, v.p + i, b - i);
		if (b == v.len)
			break;
		n = break_len(v, b);
		if (b + n >= v.len || !enma_iswsp(v.p[b + n]))
			(void)enma_buf_append(out, v.p + b, n);
		i = b + n;
	}
	/* make sure the NUL is there even for an empty value */
	(void)enma_buf_append(out, "", 0);
	return enma_buf_status(out);
}

/* enma_header_fix_eol - every bare LF or bare CR becomes CRLF */
enma_status
enma_header_fix_eol(struct enma_span v, struct enma_buf *out)
{
	size_t	 i = 0, b;

	if (out == NULL || (v.p == NULL && v.len > 0))
		return ENMA_EINVAL;
	while (i < v.len) {
		b = next_break(v, i);
		(void)enma_buf_append(out, v.p + i, b - i);
		if (b == v.len)
			break;
		(void)enma_buf_append(out, "\r\n", 2);
		i = b + break_len(v, b);
	}
	(void)enma_buf_append(out, "", 0);
	return enma_buf_status(out);
}
