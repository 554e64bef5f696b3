/*
 * spf_macro.c - SPF macro expansion (RFC 7208 7) and domain name checks
 *
 * Expansion writes into an arena buffer that grows by doubling up to
 * SPF_MACRO_OUT_MAX; nothing is read past a span's length.  The string
 * is checked by spf_macro_validate() first, so the expander itself may
 * rely on well-formed input.
 */
#include <string.h>
#include <time.h>

#include "spf_int.h"

#define SPF_OUT_INITIAL	256

struct spf_out {
	char			*p;
	size_t			 len;
	size_t			 cap;
	struct enma_arena	*arena;
	enma_status		 st;
};

/* out_reserve - room for n more bytes and a NUL */
static int
out_reserve(struct spf_out *o, size_t n)
{
	size_t	 cap;
	char	*np;

	if (o->st != ENMA_OK)
		return 0;
	if (n > SPF_MACRO_OUT_MAX - o->len) {
		o->st = ENMA_ELIMIT;
		return 0;
	}
	if (o->len + n + 1 <= o->cap)
		return 1;
	cap = o->cap ? o->cap : SPF_OUT_INITIAL;
	while (cap < o->len + n + 1)
		cap *= 2;
	if ((np = enma_arena_alloc(o->arena, cap)) == NULL) {
		o->st = ENMA_ENOMEM;
		return 0;
	}
	if (o->len > 0)
		memcpy(np, o->p, o->len);
	o->p = np;
	o->cap = cap;
	return 1;
}

static void
out_put(struct spf_out *o, const void *p, size_t n)
{
	if (n == 0 || !out_reserve(o, n))
		return;
	memcpy(o->p + o->len, p, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/* RFC 3986 2.3 unreserved characters are left alone by URL escaping */
static int
is_unreserved(int c)
{
	return enma_isalnum(c) || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/* out_put_esc - RFC 7208 7.3: uppercase macros are URL-escaped */
static void
out_put_esc(struct spf_out *o, const unsigned char *p, size_t n, int esc)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	i, start = 0;
	char	e[3];

	if (!esc) {
		out_put(o, p, n);
		return;
	}
	for (i = 0; i < n; i++) {
		if (is_unreserved(p[i]))
			continue;
		out_put(o, p + start, i - start);
		e[0] = '%';
		e[1] = hex[p[i] >> 4];
		e[2] = hex[p[i] & 0xf];
		out_put(o, e, 3);
		start = i + 1;
	}
	out_put(o, p + start, n - start);
}

/* A parsed macro-expand: letter, transformers and delimiters. */
struct spf_macro {
	int			 letter;	/* lower case */
	int			 escape;	/* letter was upper case */
	unsigned		 digits;	/* 0 = all parts */
	int			 reverse;
	struct enma_span	 delims;	/* empty = "." */
};

static int
is_delim(const struct spf_macro *m, int c)
{
	if (m->delims.len == 0)
		return c == '.';
	return enma_span_chr(m->delims, (unsigned char)c) < m->delims.len;
}

/* put_part - a part of the value, delimiters become "." */
static void
put_part(struct spf_out *o, const struct spf_macro *m, struct enma_span v,
    size_t from, size_t to)
{
	size_t	i, start = from;

	for (i = from; i < to; i++) {
		if (!is_delim(m, v.p[i]))
			continue;
		out_put_esc(o, v.p + start, i - start, m->escape);
		out_put(o, ".", 1);
		start = i + 1;
	}
	out_put_esc(o, v.p + start, to - start, m->escape);
}

/*
 * transform - RFC 7208 7.3: split on the delimiters, reverse if asked,
 * keep the rightmost digits parts, join with ".".
 */
static void
transform(struct spf_out *o, const struct spf_macro *m, struct enma_span v)
{
	size_t	 i, j, nparts = 1, keep, seen = 0;

	for (i = 0; i < v.len; i++)
		nparts += is_delim(m, v.p[i]);
	keep = (m->digits == 0 || m->digits > nparts) ? nparts : m->digits;
	if (!m->reverse) {
		/* the rightmost keep parts: start after delimiter number
		 * nparts - keep, counted from the left */
		for (i = 0; i < v.len && seen < nparts - keep; i++)
			seen += is_delim(m, v.p[i]);
		put_part(o, m, v, i, v.len);
		return;
	}
	/* reversed, the rightmost keep parts are the first keep parts of
	 * the value, written from the last of them back to the first */
	for (j = 0; j < v.len; j++)
		if (is_delim(m, v.p[j]) && ++seen == keep)
			break;
	for (;;) {
		for (i = j; i > 0 && !is_delim(m, v.p[i - 1]); i--)
			continue;
		out_put_esc(o, v.p + i, j - i, m->escape);
		if (i == 0)
			break;
		out_put(o, ".", 1);
		j = i - 1;
	}
}

/* ip_nibbles - RFC 7208 7.3: IPv6 %{i} is 32 dot-separated nibbles */
static void
ip_nibbles(const struct enma_ip *ip, char *lower, char *upper)
{
	static const char lo[] = "0123456789abcdef";
	static const char up[] = "0123456789ABCDEF";
	size_t	i, n = 0;

	for (i = 0; i < 32; i++) {
		unsigned nib = (ip->addr[i / 2] >> ((i % 2) ? 0 : 4)) & 0xf;

		if (i > 0) {
			lower[n] = upper[n] = '.';
			n++;
		}
		lower[n] = lo[nib];
		upper[n] = up[nib];
		n++;
	}
	lower[n] = upper[n] = '\0';
}

/* spf_ctx_init - the evaluation state for one check */
void
spf_ctx_init(struct spf_ctx *ctx, const struct enma_spf_request *req,
    struct enma_arena *a)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->req = req;
	ctx->arena = a;
	ctx->ip = req->ip;
	enma_ip_unmap(&ctx->ip);	/* RFC 7208 5.6 / 2.x: mapped is IPv4 */
	ctx->local = (req->sender_local != NULL && req->sender_local[0]) ?
	    req->sender_local : "postmaster";	/* RFC 7208 4.3 */
	ctx->sender_domain = req->sender_domain != NULL ? req->sender_domain :
	    (req->domain != NULL ? req->domain : "");
	ctx->result = ENMA_SPF_PERMERROR;
}

/* ip_texts - %{i} and %{c} for the client, made once per evaluation */
static void
ip_texts(struct spf_ctx *ctx)
{
	if (ctx->ip_text_done)
		return;
	ctx->ip_text_done = 1;
	enma_ip_to_text(&ctx->ip, ctx->c_text, sizeof(ctx->c_text));
	if (ctx->ip.family == 6)
		ip_nibbles(&ctx->ip, ctx->i_lower, ctx->i_upper);
	else {
		memcpy(ctx->i_lower, ctx->c_text, sizeof(ctx->c_text));
		memcpy(ctx->i_upper, ctx->c_text, sizeof(ctx->c_text));
	}
}

/* macro_p - RFC 7208 7.3 %{p}: <domain> if validated, else a validated
 * subdomain of it, else any validated name, else "unknown" */
static const char *
macro_p(struct spf_ctx *ctx, const char *domain)
{
	size_t i;

	if (!ctx->p_done) {
		ctx->p_done = 1;
		if (spf_ptr_validated(ctx, NULL, ENMA_SPF_MAX_PTR_NAMES,
		    &ctx->p_names, &ctx->p_count, NULL) != ENMA_OK)
			ctx->p_count = 0;
	}
	for (i = 0; i < ctx->p_count; i++)
		if (spf_name_eq(ctx->p_names[i], domain))
			return domain;
	for (i = 0; i < ctx->p_count; i++)
		if (spf_name_has_suffix(ctx->p_names[i], domain))
			return ctx->p_names[i];
	return ctx->p_count > 0 ? ctx->p_names[0] : "unknown";
}

/* macro_value - RFC 7208 7.2: the value of a macro letter */
static const char *
macro_value(struct spf_ctx *ctx, int letter, const char *domain,
    int explain)
{
	const struct enma_spf_request *req = ctx->req;

	ip_texts(ctx);
	switch (letter) {
	case 's':
		return enma_arena_printf(ctx->arena, "%s@%s", ctx->local,
		    ctx->sender_domain);
	case 'l':
		return ctx->local;
	case 'o':
		return ctx->sender_domain;
	case 'd':
		return domain;
	case 'i':
		/* upper-case nibbles in explanations, as the OpenSPF
		 * suite's reference implementation writes them; RFC 7208
		 * 7.4 shows lower case for domain names */
		return explain ? ctx->i_upper : ctx->i_lower;
	case 'p':
		return macro_p(ctx, domain);
	case 'v':
		return ctx->ip.family == 6 ? "ip6" : "in-addr";
	case 'h':
		return req->helo != NULL ? req->helo : "unknown";
	case 'c':
		return ctx->c_text;
	case 'r':
		return req->receiver != NULL ? req->receiver : "unknown";
	case 't':
		return enma_arena_printf(ctx->arena, "%lld",
		    (long long)time(NULL));
	}
	return "";
}

/* parse_macro - the macro-expand starting at s.p[i] ("%{"); returns the
 * offset after its "}" (the string was validated) */
static size_t
parse_macro(struct enma_span s, size_t i, struct spf_macro *m)
{
	size_t	j = i + 2, d0;

	memset(m, 0, sizeof(*m));
	m->letter = enma_tolower(s.p[j]);
	m->escape = s.p[j] >= 'A' && s.p[j] <= 'Z';
	for (j++; j < s.len && enma_isdigit(s.p[j]); j++) {
		m->digits = m->digits * 10 + (unsigned)(s.p[j] - '0');
		if (m->digits > SPF_MAX_MACRO_DIGITS)
			m->digits = SPF_MAX_MACRO_DIGITS;
	}
	if (j < s.len && (s.p[j] == 'r' || s.p[j] == 'R')) {
		m->reverse = 1;
		j++;
	}
	for (d0 = j; j < s.len && s.p[j] != '}'; j++)
		continue;
	m->delims = enma_span_make(s.p + d0, j - d0);
	return j + 1;
}

/* expand_all - the expansion proper, into o */
static void
expand_all(struct spf_ctx *ctx, struct enma_span s, const char *domain,
    int explain, struct spf_out *o)
{
	struct spf_macro	 m;
	size_t			 i = 0, j;
	const char		*v;

	while (i < s.len && o->st == ENMA_OK) {
		if (s.p[i] != '%') {
			for (j = i; j < s.len && s.p[j] != '%'; j++)
				continue;
			out_put(o, s.p + i, j - i);
			i = j;
			continue;
		}
		switch (s.p[i + 1]) {
		case '%': out_put(o, "%", 1); i += 2; continue;
		case '_': out_put(o, " ", 1); i += 2; continue;
		case '-': out_put(o, "%20", 3); i += 2; continue;
		}
		i = parse_macro(s, i, &m);
		if ((v = macro_value(ctx, m.letter, domain, explain)) == NULL) {
			o->st = ENMA_ENOMEM;
			return;
		}
		transform(o, &m, enma_span_from_cstr(v));
	}
}

/* fit_domain - RFC 7208 7.3: drop a trailing dot, then labels from the
 * left until the name is at most 253 bytes */
static const char *
fit_domain(char *p, size_t len)
{
	if (len > 0 && p[len - 1] == '.')
		p[--len] = '\0';
	while (len > ENMA_SPF_MAX_EXPANSION) {
		char *dot = memchr(p, '.', len);

		if (dot == NULL)
			break;
		len -= (size_t)(dot + 1 - p);
		p = dot + 1;
	}
	return p;
}

/*
 * spf_expand - expand s for the evaluation in ctx; explain selects
 * explain-string rules (RFC 7208 6.2, 7.1), otherwise the result is a
 * domain name fitted per 7.3.  ENMA_ESYNTAX for a bad macro-string,
 * ENMA_ELIMIT when the result would exceed SPF_MACRO_OUT_MAX.
 */
enma_status
spf_expand(struct spf_ctx *ctx, struct enma_span s, const char *domain,
    int explain, const char **out)
{
	struct spf_out	 o;
	size_t		 last;
	const char	*why;
	enma_status	 st;

	*out = NULL;
	if ((st = spf_macro_validate(s, explain, &last, &why)) != ENMA_OK)
		return st;
	memset(&o, 0, sizeof(o));
	o.arena = ctx->arena;
	if (out_reserve(&o, 0))
		o.p[0] = '\0';
	expand_all(ctx, s, domain, explain, &o);
	if (o.st != ENMA_OK)
		return o.st;
	if (explain) {
		if (o.len > ENMA_SPF_MAX_EXPLANATION)
			o.p[ENMA_SPF_MAX_EXPLANATION] = '\0';
		*out = o.p;
	} else
		*out = fit_domain(o.p, o.len);
	return ENMA_OK;
}

/* spf_name_is_valid - can the name be asked of DNS: labels of 1..63
 * bytes, at most 253 in all, one trailing dot allowed (RFC 1035 2.3.4) */
int
spf_name_is_valid(const char *name)
{
	size_t	len = strlen(name), i, label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > ENMA_SPF_MAX_EXPANSION)
		return 0;
	for (i = 0; i < len; i++) {
		if (name[i] != '.') {
			if (++label > ENMA_DNS_MAX_LABEL)
				return 0;
			continue;
		}
		if (label == 0)
			return 0;
		label = 0;
	}
	return label > 0;
}

/* name_span - a name without its trailing dot */
static struct enma_span
name_span(const char *name)
{
	struct enma_span n = enma_span_from_cstr(name);

	if (n.len > 0 && n.p[n.len - 1] == '.')
		n.len--;
	return n;
}

/* spf_name_eq - the same domain name, without regard to case or a
 * trailing dot */
int
spf_name_eq(const char *a, const char *b)
{
	return enma_span_caseeq(name_span(a), name_span(b));
}

/* spf_name_has_suffix - name is suffix or a subdomain of it, without
 * regard to case or a trailing dot (RFC 7208 5.5) */
int
spf_name_has_suffix(const char *name, const char *suffix)
{
	struct enma_span n = name_span(name);
	struct enma_span s = name_span(suffix);

	if (s.len == 0 || n.len < s.len)
		return 0;
	if (!enma_span_caseeq(enma_span_make(n.p + n.len - s.len, s.len), s))
		return 0;
	return n.len == s.len || n.p[n.len - s.len - 1] == '.';
}

/* enma_spf_macro_expand - public entry: expand with the request's values */
enma_status
enma_spf_macro_expand(struct enma_span s, const struct enma_spf_request *req,
    const char *domain, int explain, struct enma_arena *a, const char **out)
{
	struct spf_ctx	*ctx;
	enma_status	 st;

	*out = NULL;
	if (req == NULL || a == NULL || domain == NULL)
		return ENMA_EINVAL;
	if ((ctx = enma_arena_alloc(a, sizeof(*ctx))) == NULL)
		return ENMA_ENOMEM;
	spf_ctx_init(ctx, req, a);
	st = spf_expand(ctx, s, domain, explain, out);
	if (st == ENMA_OK && ctx->err != ENMA_OK)
		st = ctx->err;
	return st;
}
