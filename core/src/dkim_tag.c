/*
 * dkim_tag.c - tag lists (RFC 6376 3.2), colon lists and DKIM's
 * quoted-printable (2.11), shared by signatures, key records and ADSP
 */
#include <string.h>

#include "dkim_int.h"

/* is_valchar - RFC 6376 3.2 VALCHAR, and 8-bit bytes (RFC 6532 text) */
static int
is_valchar(int c)
{
	return (c >= 0x21 && c <= 0x7e && c != ';') || c >= 0x80;
}

/* is_namechar - RFC 6376 3.2 ALNUMPUNC */
static int
is_namechar(int c)
{
	return enma_isalnum(c) || c == '_';
}

/*
 * skip_fws - RFC 6376 2.8 FWS: WSP, and a line break (CRLF or a bare
 * LF) only when WSP follows it.  Returns the new position.
 */
static size_t
skip_fws(struct enma_span s, size_t i)
{
	while (i < s.len) {
		if (enma_iswsp(s.p[i]))
			i++;
		else if (s.p[i] == '\r' && i + 2 < s.len &&
		    s.p[i + 1] == '\n' && enma_iswsp(s.p[i + 2]))
			i += 3;
		else if (s.p[i] == '\n' && i + 1 < s.len &&
		    enma_iswsp(s.p[i + 1]))
			i += 2;
		else
			break;
	}
	return i;
}

/* tag_value - tag-value: runs of VALCHAR with FWS between them */
static size_t
tag_value(struct enma_span s, size_t i, struct enma_span *v)
{
	size_t start = i, end = i, j;

	for (;;) {
		while (i < s.len && is_valchar(s.p[i]))
			i++;
		end = i;
		j = skip_fws(s, i);
		if (j == i || j >= s.len || !is_valchar(s.p[j]))
			break;
		i = j;
	}
	v->p = s.p + start;
	v->len = end - start;
	return end;
}

/* tag_add - one more tag; duplicates void the list (RFC 6376 3.2) */
static enma_status
tag_add(struct dkim_taglist *tl, struct enma_span name,
    struct enma_span value, const char **why)
{
	size_t k;

	for (k = 0; k < tl->n; k++)
		if (enma_span_eq(tl->tag[k].name, name)) {
			*why = "duplicate tag (RFC 6376 3.2)";
			return ENMA_ESYNTAX;
		}
	if (tl->n == DKIM_MAX_TAGS) {
		*why = "too many tags";
		return ENMA_ELIMIT;
	}
	tl->tag[tl->n].name = name;
	tl->tag[tl->n].value = value;
	tl->n++;
	return ENMA_OK;
}

/* dkim_tags_parse - a whole tag list */
enma_status
dkim_tags_parse(struct enma_span s, struct dkim_taglist *tl,
    const char **why)
{
	struct enma_span	name, value;
	size_t			i = 0, n0;
	enma_status		st;

	tl->n = 0;
	*why = NULL;
	for (;;) {
		if ((i = skip_fws(s, i)) == s.len)
			return ENMA_OK;	/* empty, or after the last ';' */
		if (!enma_isalpha(s.p[i])) {
			*why = "tag name expected (RFC 6376 3.2)";
			return ENMA_ESYNTAX;
		}
		for (n0 = i; i < s.len && is_namechar(s.p[i]); i++)
			continue;
		name = enma_span_make(s.p + n0, i - n0);
		i = skip_fws(s, i);
		if (i == s.len || s.p[i] != '=') {
			*why = "'=' expected after tag name (RFC 6376 3.2)";
			return ENMA_ESYNTAX;
		}
		i = tag_value(s, skip_fws(s, i + 1), &value);
		if ((st = tag_add(tl, name, value, why)) != ENMA_OK)
			return st;
		i = skip_fws(s, i);
		if (i == s.len)
			return ENMA_OK;
		if (s.p[i] != ';') {
			*why = "';' or end expected after tag value "
			    "(RFC 6376 3.2)";
			return ENMA_ESYNTAX;
		}
		i++;
	}
}

/* dkim_tag_get - tag names compare case-sensitively (RFC 6376 3.2) */
const struct dkim_tag *
dkim_tag_get(const struct dkim_taglist *tl, const char *name)
{
	size_t k, n = strlen(name);

	for (k = 0; k < tl->n; k++)
		if (tl->tag[k].name.len == n &&
		    memcmp(tl->tag[k].name.p, name, n) == 0)
			return &tl->tag[k];
	return NULL;
}

/*
 * dkim_list_next - next element of a colon list; *pos is where it
 * starts, past the end once the last one was given
 */
int
dkim_list_next(struct enma_span v, size_t *pos, struct enma_span *elem)
{
	size_t i = *pos, start, end;

	if (i > v.len)
		return 0;
	start = i = skip_fws(v, i);
	while (i < v.len && v.p[i] != ':' && !enma_iswsp(v.p[i]) &&
	    v.p[i] != '\r' && v.p[i] != '\n')
		i++;
	end = i;
	i = skip_fws(v, i);
	if (i < v.len && v.p[i] != ':') {
		*pos = v.len + 1;	/* whitespace inside an element */
		return -1;
	}
	*pos = i + 1;
	*elem = enma_span_make(v.p + start, end - start);
	return end > start ? 1 : -1;
}

/* dkim_list_has - the list holds word; -1 for a malformed list */
int
dkim_list_has(struct enma_span v, const char *word)
{
	struct enma_span	e;
	size_t			pos = 0;
	int			r, found = 0;

	while ((r = dkim_list_next(v, &pos, &e)) != 0) {
		if (r < 0)
			return -1;
		if (enma_span_caseeq_cstr(e, word))
			found = 1;
	}
	return found;
}

/* hexval - one hex digit, or -1 */
static int
hexval(int c)
{
	if (enma_isdigit(c))
		return c - '0';
	c = enma_toupper(c);
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* dkim_qp_decode - RFC 6376 2.11 */
enma_status
dkim_qp_decode(struct enma_span s, struct enma_arena *a, char **out,
    size_t *len)
{
	char	*o;
	size_t	 i, k = 0;
	int	 hi, lo;

	if ((o = enma_arena_alloc(a, s.len + 1)) == NULL)
		return ENMA_ENOMEM;
	for (i = 0; i < s.len; i++) {
		int c = s.p[i];

		if (enma_iswsp(c) || c == '\r' || c == '\n')
			continue;	/* FWS is dropped (2.11) */
		if (c == '=') {
			if (i + 2 >= s.len ||
			    (hi = hexval(s.p[i + 1])) < 0 ||
			    (lo = hexval(s.p[i + 2])) < 0)
				return ENMA_ESYNTAX;
			o[k++] = (char)(hi << 4 | lo);
			i += 2;
		} else if ((c >= 0x21 && c <= 0x3a) || c == 0x3c ||
		    (c >= 0x3e && c <= 0x7e) || c >= 0x80)
			o[k++] = (char)c;
		else
			return ENMA_ESYNTAX;
	}
	o[k] = '\0';
	*out = o;
	*len = k;
	return ENMA_OK;
}

/* dkim_base64 - base64 with FWS into an arena buffer of at most max */
enma_status
dkim_base64(struct enma_span s, size_t max, struct enma_arena *a,
    unsigned char **out, size_t *len)
{
	unsigned char	*o;
	size_t		 cap = enma_base64_decoded_max(s.len);
	enma_status	 st;

	if (cap > max + 3)
		cap = max + 3;
	if ((o = enma_arena_alloc(a, cap + 1)) == NULL)
		return ENMA_ENOMEM;
	st = enma_base64_decode(s, o, cap, len);
	if (st == ENMA_OK && *len > max)
		st = ENMA_ELIMIT;
	*out = o;
	return st;
}
