/*
 * mail_domain.c - domain names and the SMTP reverse-path
 *
 * The reverse-path follows RFC 5321 4.1.2 with the UTF-8 local parts of
 * RFC 6531 3.3 taken as bytes; the domain must be a host name or an
 * address literal, so that nothing else reaches SPF as a domain.
 */
#include <string.h>

#include <enma/mail.h>

#include "mail_int.h"

#define ENMA_MAIL_MAX_LABEL	63	/* RFC 1035 2.3.4 */

/* strip_dot - drop one trailing dot (the absolute form) */
static struct enma_span
strip_dot(struct enma_span s)
{
	if (s.len > 0 && s.p[s.len - 1] == '.')
		s.len--;
	return s;
}

/* enma_domain_is_valid - host name syntax: LDH labels and underscores */
int
enma_domain_is_valid(struct enma_span s)
{
	size_t	 i, label = 0;
	int	 c, prev = '.';

	s = strip_dot(s);
	if (s.p == NULL || s.len == 0 || s.len > ENMA_MAIL_MAX_DOMAIN)
		return 0;
	for (i = 0; i < s.len; i++, prev = c) {
		c = s.p[i];
		if (c == '.') {
			/* RFC 1123 2.1: no empty label, no hyphen at the end */
			if (label == 0 || prev == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!enma_isalnum(c) && c != '_' && c != '-')
			return 0;
		if ((c == '-' && label == 0) || ++label > ENMA_MAIL_MAX_LABEL)
			return 0;
	}
	return label > 0 && prev != '-';
}

/* enma_domain_normalise - lower case, no trailing dot, RFC 1035 lengths */
enma_status
enma_domain_normalise(struct enma_span s, struct enma_arena *a,
    const char **out)
{
	size_t	 i, label = 0;
	char	*d;

	if (a == NULL || out == NULL || (s.p == NULL && s.len > 0))
		return ENMA_EINVAL;
	*out = NULL;
	s = strip_dot(s);
	if (s.len == 0 || s.len > ENMA_MAIL_MAX_DOMAIN)
		return ENMA_ESYNTAX;
	for (i = 0; i < s.len; i++) {
		if (!enma_isvchar(s.p[i]))	/* controls, space, UTF-8 */
			return ENMA_ESYNTAX;
		label = s.p[i] == '.' ? 0 : label + 1;
		if (label > ENMA_MAIL_MAX_LABEL ||
		    (label == 0 && (i == 0 || s.p[i - 1] == '.')))
			return ENMA_ESYNTAX;
	}
	if (s.p[s.len - 1] == '.')
		return ENMA_ESYNTAX;
	if ((d = enma_arena_strndup(a, s.p, s.len)) == NULL)
		return ENMA_ENOMEM;
	for (i = 0; i < s.len; i++)
		d[i] = (char)enma_tolower((unsigned char)d[i]);
	*out = d;
	return ENMA_OK;
}

/* skip_route - RFC 5321 A-d-l ":" (a source route, dropped) */
static enma_status
skip_route(struct enma_span *s)
{
	size_t	 i = 0, start;

	for (;;) {
		if (i >= s->len || s->p[i] != '@')
			return ENMA_ESYNTAX;
		start = ++i;
		while (i < s->len && s->p[i] != ',' && s->p[i] != ':')
			i++;
		if (i >= s->len ||
		    !enma_domain_is_valid(enma_span_make(s->p + start,
		    i - start)))
			return ENMA_ESYNTAX;
		if (s->p[i++] == ':')
			break;
	}
	s->p += i;
	s->len -= i;
	return ENMA_OK;
}

/* quoted_local - RFC 5321 Quoted-string; *used is its length */
static enma_status
quoted_local(struct enma_span s, struct enma_arena *a, const char **out,
    size_t *used)
{
	char	*d;
	size_t	 i, n = 0;
	int	 c;

	if ((d = enma_arena_alloc(a, s.len)) == NULL)
		return ENMA_ENOMEM;
	for (i = 1; i < s.len && s.p[i] != '"'; i++) {
		c = s.p[i];
		if (c == '\\') {
			/* quoted-pairSMTP = %d92 %d32-126 */
			if (++i >= s.len || s.p[i] < 32 || s.p[i] > 126)
				return ENMA_ESYNTAX;
			c = s.p[i];
		} else if (c < 32 || c == 127)	/* qtextSMTP and UTF-8 */
			return ENMA_ESYNTAX;
		d[n++] = (char)c;
	}
	if (i >= s.len)
		return ENMA_ESYNTAX;
	d[n] = '\0';
	*out = d;
	*used = i + 1;
	return ENMA_OK;
}

/* dot_local - RFC 5321 Dot-string up to the "@"; *used is its length */
static enma_status
dot_local(struct enma_span s, struct enma_arena *a, const char **out,
    size_t *used)
{
	size_t	 i;

	for (i = 0; i < s.len && s.p[i] != '@'; i++) {
		if (s.p[i] == '.') {
			if (i == 0 || s.p[i - 1] == '.')
				return ENMA_ESYNTAX;
		} else if (!mail_is_atext(s.p[i]))
			return ENMA_ESYNTAX;
	}
	if (i == 0 || s.p[i - 1] == '.')
		return ENMA_ESYNTAX;
	if ((*out = enma_arena_strndup(a, s.p, i)) == NULL)
		return ENMA_ENOMEM;
	*used = i;
	return ENMA_OK;
}

/* path_domain - Domain / address-literal (RFC 5321 4.1.2, 4.1.3) */
static enma_status
path_domain(struct enma_span s, struct enma_arena *a, const char **out)
{
	struct enma_ip	 ip;
	size_t		 i;
	char		*d;

	if (s.len > 0 && s.p[0] == '[') {
		if (s.p[s.len - 1] != ']' ||
		    enma_ip_from_text(s, &ip) != ENMA_OK)
			return ENMA_ESYNTAX;
		if ((d = enma_arena_strndup(a, s.p, s.len)) == NULL)
			return ENMA_ENOMEM;
		for (i = 0; i < s.len; i++)
			d[i] = (char)enma_tolower((unsigned char)d[i]);
		*out = d;
		return ENMA_OK;
	}
	if (!enma_domain_is_valid(s))
		return ENMA_ESYNTAX;
	return enma_domain_normalise(s, a, out);
}

/* enma_path_parse - an SMTP reverse-path, brackets optional */
enma_status
enma_path_parse(struct enma_span s, struct enma_arena *a,
    struct enma_mailbox *mb)
{
	const char	*local;
	size_t		 used;
	enma_status	 st;

	if (a == NULL || mb == NULL || (s.p == NULL && s.len > 0))
		return ENMA_EINVAL;
	memset(mb, 0, sizeof(*mb));
	s = enma_span_trim_wsp(s);
	if (s.len > 0 && s.p[0] == '<') {
		if (s.len < 2 || s.p[s.len - 1] != '>')
			return ENMA_ESYNTAX;
		s.p++;
		s.len -= 2;
		if (s.len == 0)		/* "<>" */
			return ENMA_OK;
		if (s.p[0] == '@' && (st = skip_route(&s)) != ENMA_OK)
			return st;
	} else if (s.len == 0)	/* an empty {mail_addr} macro */
		return ENMA_OK;
	if (s.len == 0)		/* a route and no mailbox */
		return ENMA_ESYNTAX;
	if (s.p[0] == '"')
		st = quoted_local(s, a, &local, &used);
	else
		st = dot_local(s, a, &local, &used);
	if (st != ENMA_OK)
		return st;
	if (used >= s.len || s.p[used] != '@')
		return ENMA_ESYNTAX;
	s.p += used + 1;
	s.len -= used + 1;
	if ((st = path_domain(s, a, &mb->domain)) != ENMA_OK)
		return st;
	mb->local = local;
	return ENMA_OK;
}
