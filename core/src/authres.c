/*
 * authres.c - the Authentication-Results header field (RFC 8601)
 *
 * The builder keeps the value on one line ("id; m=r (c) p.q=v; m=r")
 * and folds it only in enma_authres_finish(): after each ";" between
 * results, and before a property or comment word that would take the
 * line past ENMA_AUTHRES_FOLD_AT.  What goes in is checked on the way:
 * methods, results and property names must be RFC 8601 Keywords (the
 * caller's own words), values are written as an RFC 2045 token, as the
 * RFC 8601 2.2 address form, or else as a quoted-string, and every byte
 * from outside that is a control or not ASCII becomes "?", so that no
 * input can end the field or start another.
 *
 * The parser reads no further than the authserv-id: it is there to find
 * the forged copies of our own field (RFC 8601 5), and it is robust
 * against any bytes.
 */
#include <string.h>

#include <enma/authres.h>

#define ENMA_AUTHRES_MAX_LEN	(64u * 1024)	/* ours: the whole value */
#define ENMA_AUTHRES_MAX_VALUE	256	/* RFC 5321 4.5.3.1.3: a path's size */
#define ENMA_AUTHRES_MAX_COMMENT 256	/* ours: longer ones are cut, "..." */
#define ENMA_AUTHRES_MAX_KEYWORD 64	/* ours: our own method names */
#define ENMA_AUTHRES_TAB	8	/* columns of the HTAB that folds */

/* RFC 2045 5.1 tspecials */
static int
is_tspecial(int c)
{
	return c != '\0' && memchr("()<>@,;:\\\"/[]?=", c, 15) != NULL;
}

/* RFC 2045 5.1: any CHAR except SPACE, CTLs and tspecials */
static int
is_token_char(int c)
{
	return c > 0x20 && c < 0x7f && !is_tspecial(c);
}

/* enma_authres_is_token - RFC 2045 token */
int
enma_authres_is_token(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!is_token_char((unsigned char)*s))
			return 0;
	return 1;
}

/* is_keyword - RFC 5321 4.1.2 Keyword = Ldh-str, as RFC 8601 2.2 uses */
static int
is_keyword(const char *s)
{
	size_t	 n;

	if (s == NULL || (n = strnlen(s, ENMA_AUTHRES_MAX_KEYWORD + 1)) == 0 ||
	    n > ENMA_AUTHRES_MAX_KEYWORD || s[n - 1] == '-')
		return 0;
	for (; *s != '\0'; s++)
		if (!enma_isalnum((unsigned char)*s) && *s != '-')
			return 0;
	return 1;
}

/* is_dot_atom - RFC 5322 3.2.3 dot-atom-text, ASCII only */
static int
is_dot_atom(const char *s, size_t n)
{
	static const char other[] = "!#$%&'*+-/=?^_`{|}~";
	size_t	 i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.')
				return 0;
		} else if (!enma_isalnum((unsigned char)s[i]) &&
		    memchr(other, s[i], sizeof(other) - 1) == NULL)
			return 0;
	}
	return 1;
}

/*
 * is_domain_name - RFC 6376 3.5 domain-name = sub-domain 1*("."
 * sub-domain), sub-domain = Let-dig [Ldh-str] (RFC 5321 4.1.2)
 */
static int
is_domain_name(const char *s, size_t n)
{
	size_t	 i, label = 0, dots = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			dots++;
		} else if (enma_isalnum((unsigned char)s[i]) ||
		    (s[i] == '-' && label > 0))
			label++;
		else
			return 0;
	}
	return label > 0 && s[n - 1] != '-' && dots > 0;
}

/* is_addr_pvalue - RFC 8601 2.2 pvalue: [ [ local-part ] "@" ] domain-name */
static int
is_addr_pvalue(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t	 l;

	if (at == NULL)
		return is_domain_name(s, n);
	l = (size_t)(at - s);
	return (l == 0 || is_dot_atom(s, l)) &&
	    is_domain_name(at + 1, n - l - 1);
}

/* put_safe - one byte from outside: controls and non-ASCII become "?" */
static void
put_safe(struct enma_buf *b, int c, const char *escaped)
{
	if (c < 0x20 || c >= 0x7f)
		c = '?';
	else if (strchr(escaped, c) != NULL)
		(void)enma_buf_putc(b, '\\');	/* RFC 5322 3.2.1 quoted-pair */
	(void)enma_buf_putc(b, c);
}

/* append_quoted - RFC 5322 3.2.4 quoted-string of n bytes */
static enma_status
append_quoted(struct enma_buf *b, const char *s, size_t n)
{
	size_t	 i;

	(void)enma_buf_putc(b, '"');
	for (i = 0; i < n; i++)
		put_safe(b, (unsigned char)s[i], "\"\\");
	return enma_buf_putc(b, '"');
}

/* append_value - token, the address form when addr is set, or quoted */
static enma_status
append_value(struct enma_buf *b, const char *s, int addr)
{
	size_t	 n;

	if (b == NULL || s == NULL)
		return ENMA_EINVAL;
	if ((n = strnlen(s, ENMA_AUTHRES_MAX_VALUE + 1)) >
	    ENMA_AUTHRES_MAX_VALUE)
		return ENMA_ELIMIT;
	if (enma_authres_is_token(s) || (addr && is_addr_pvalue(s, n)))
		return enma_buf_append(b, s, n);
	return append_quoted(b, s, n);
}

/* enma_authres_append_value - RFC 2045 value: token or quoted-string */
enma_status
enma_authres_append_value(struct enma_buf *b, const char *s)
{
	return append_value(b, s, 0);
}

/* append_comment - RFC 5322 3.2.2 comment; ( ) \ escaped, cut if long */
static enma_status
append_comment(struct enma_buf *b, const char *s)
{
	size_t	 i, n = strnlen(s, ENMA_AUTHRES_MAX_COMMENT + 1);

	(void)enma_buf_puts(b, " (");
	for (i = 0; i < n && i < ENMA_AUTHRES_MAX_COMMENT; i++)
		put_safe(b, (unsigned char)s[i], "()\\");
	if (n > ENMA_AUTHRES_MAX_COMMENT)
		(void)enma_buf_puts(b, "...");
	return enma_buf_putc(b, ')');
}

/* enma_authres_init - an empty builder */
void
enma_authres_init(struct enma_authres *ar)
{
	enma_buf_init(&ar->buf, ENMA_AUTHRES_MAX_LEN);
	ar->nresults = 0;
}

/* enma_authres_free - release the builder's memory; it can be reused */
void
enma_authres_free(struct enma_authres *ar)
{
	if (ar == NULL)
		return;
	enma_buf_free(&ar->buf);
	ar->nresults = 0;
}

/* enma_authres_begin - start (again) with the authserv-id */
enma_status
enma_authres_begin(struct enma_authres *ar, const char *authserv_id)
{
	enma_status st;

	if (ar == NULL || authserv_id == NULL || *authserv_id == '\0')
		return ENMA_EINVAL;
	enma_buf_reset(&ar->buf);
	ar->nresults = 0;
	/* RFC 8601 2.5: authserv-id = value */
	if ((st = enma_authres_append_value(&ar->buf, authserv_id)) != ENMA_OK)
		enma_buf_reset(&ar->buf);
	return st;
}

/* check_props - every property valid before anything is written */
static enma_status
check_props(const struct enma_authres_prop *props, size_t n)
{
	size_t	 i;

	if (n > 0 && props == NULL)
		return ENMA_EINVAL;
	for (i = 0; i < n; i++) {
		if (!is_keyword(props[i].ptype) ||
		    !is_keyword(props[i].property) || props[i].value == NULL)
			return ENMA_EINVAL;
		if (strnlen(props[i].value, ENMA_AUTHRES_MAX_VALUE + 1) >
		    ENMA_AUTHRES_MAX_VALUE)
			return ENMA_ELIMIT;
	}
	return ENMA_OK;
}

/* enma_authres_add - "; method=result (comment) ptype.property=value" */
enma_status
enma_authres_add(struct enma_authres *ar, const char *method,
    const char *result, const char *comment,
    const struct enma_authres_prop *props, size_t nprops)
{
	enma_status	 st;
	size_t		 i;

	if (ar == NULL || ar->buf.len == 0 || !is_keyword(method) ||
	    !is_keyword(result))
		return ENMA_EINVAL;
	if ((st = check_props(props, nprops)) != ENMA_OK)
		return st;
	(void)enma_buf_printf(&ar->buf, "; %s=%s", method, result);
	if (comment != NULL)
		(void)append_comment(&ar->buf, comment);
	for (i = 0; i < nprops; i++) {
		(void)enma_buf_printf(&ar->buf, " %s.%s=", props[i].ptype,
		    props[i].property);
		(void)append_value(&ar->buf, props[i].value, 1);
	}
	if ((st = enma_buf_status(&ar->buf)) == ENMA_OK)
		ar->nresults++;
	return st;
}

/*
 * A scanner over the one-line value that knows quoted-strings and
 * comments, so that folds go only where FWS may (RFC 5322 3.2.2, 3.2.4:
 * inside comments, never inside quotes).
 */
struct fold_scan {
	int	 quote;
	size_t	 depth;
	int	 esc;
};

/* word_end - the next space where a fold may go, or the end */
static size_t
word_end(struct fold_scan *f, struct enma_span v, size_t i)
{
	int	 c;

	for (; i < v.len; i++) {
		c = v.p[i];
		if (f->esc)
			f->esc = 0;
		else if (c == '\\' && (f->quote || f->depth > 0))
			f->esc = 1;
		else if (f->quote)
			f->quote = c != '"';
		else if (c == '"' && f->depth == 0)
			f->quote = 1;
		else if (c == '(')
			f->depth++;
		else if (c == ')' && f->depth > 0)
			f->depth--;
		else if (c == ' ')
			break;
	}
	return i;
}

/* fold - copy v into out, folding with "\n\t" (see the top of the file) */
static enma_status
fold(struct enma_span v, size_t col, struct enma_buf *out)
{
	struct fold_scan f = { 0, 0, 0 };
	size_t	 i = 0, j;
	int	 after_semi = 0;

	while (i <= v.len) {
		j = word_end(&f, v, i);
		if (i > 0) {
			if (after_semi || (col > ENMA_AUTHRES_TAB &&
			    col + 1 + (j - i) > ENMA_AUTHRES_FOLD_AT)) {
				(void)enma_buf_puts(out, "\n\t");
				col = ENMA_AUTHRES_TAB;
			} else {
				(void)enma_buf_putc(out, ' ');
				col++;
			}
		}
		(void)enma_buf_append(out, v.p + i, j - i);
		col += j - i;
		/* RFC 8601 2.2: a top-level ";" ends a resinfo */
		after_semi = j > i && v.p[j - 1] == ';' && !f.quote &&
		    f.depth == 0;
		i = j + 1;
	}
	return enma_buf_status(out);
}

/* enma_authres_finish - the folded value, or "id; none" */
enma_status
enma_authres_finish(struct enma_authres *ar, size_t name_len,
    struct enma_buf *out)
{
	if (ar == NULL || out == NULL || ar->buf.len == 0)
		return ENMA_EINVAL;
	if (ar->buf.status != ENMA_OK)
		return ar->buf.status;
	if (ar->nresults == 0) {
		/* RFC 8601 2.2: no-result */
		(void)enma_buf_append(out, ar->buf.p, ar->buf.len);
		return enma_buf_puts(out, "; none");
	}
	/* the first line starts after "Name: " */
	return fold(enma_buf_span(&ar->buf), name_len + 2, out);
}

/* skip_cfws - RFC 5322 CFWS from *i; 0 when a comment never ends */
static int
skip_cfws(struct enma_span v, size_t *i)
{
	size_t	 depth = 0;
	int	 c;

	for (; *i < v.len; (*i)++) {
		c = v.p[*i];
		if (depth > 0 && c == '\\') {
			if (++(*i) >= v.len)
				return 0;
		} else if (c == '(')
			depth++;		/* a counter: no recursion */
		else if (depth > 0 && c == ')')
			depth--;
		else if (depth == 0 && !enma_iswsp(c) && c != '\r' &&
		    c != '\n')
			break;
	}
	return depth == 0;
}

/* quoted_eq - a quoted-string at i, unquoted, equals id (any case) */
static int
quoted_eq(struct enma_span v, size_t i, const char *id, size_t idlen)
{
	size_t	 n = 0;
	int	 c;

	for (i++; i < v.len && v.p[i] != '"'; i++) {
		c = v.p[i];
		if (c == '\r' || c == '\n')	/* RFC 5322 3.2.4: folds */
			continue;
		if (c == '\\' && ++i >= v.len)
			return 0;
		c = v.p[i];
		if (n >= idlen || enma_tolower(c) !=
		    enma_tolower((unsigned char)id[n]))
			return 0;
		n++;
	}
	return i < v.len && n == idlen;
}

/*
 * enma_authres_is_ours - the authserv-id at the start of the value
 * (RFC 8601 2.2: [CFWS] authserv-id, a token or a quoted-string) is
 * ours.  What follows it is not examined: a field that claims our id
 * is a forgery whatever its tail (RFC 8601 5), and a garbled tail must
 * not keep it alive.
 */
int
enma_authres_is_ours(struct enma_span v, const char *id)
{
	size_t	 i = 0, start, idlen;

	if (id == NULL || (idlen = strlen(id)) == 0 ||
	    (v.p == NULL && v.len > 0))
		return 0;
	if (!skip_cfws(v, &i) || i >= v.len)
		return 0;
	if (v.p[i] == '"')
		return quoted_eq(v, i, id, idlen);
	for (start = i; i < v.len && is_token_char(v.p[i]); i++)
		;
	return i - start == idlen && enma_span_caseeq(
	    enma_span_make(v.p + start, idlen), enma_span_make(id, idlen));
}
