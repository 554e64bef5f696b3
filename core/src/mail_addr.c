/*
 * mail_addr.c - RFC 5322 3.4 mailboxes and address lists
 *
 * A small lexer turns the field value into atoms, quoted-strings, domain
 * literals and specials, skipping CFWS (comments nest; their depth is
 * bounded).  The parser looks at one token ahead.  A run of words is
 * scanned once to find what ends it ("<", "@" or ":"), then read again
 * as a display name, a local part or a group name: the grammar of
 * RFC 5322 3.4 and the obsolete forms of 4.4 (CFWS around dots, routes
 * in angle addresses, empty list elements).  Anything left over or
 * unbalanced is ENMA_ESYNTAX: a parser that guesses lets one address
 * pass for another (PITFALLS 8).  UTF-8 bytes are taken where RFC 6532
 * 3.2 allows them; NUL and other controls are refused everywhere.
 * Nothing here recurses.
 */
#include <string.h>

#include <enma/mail.h>

#include "mail_int.h"

/* ours: RFC 5322 3.2.2 sets no bound on the nesting of comments */
#define ENMA_MAIL_MAX_COMMENT_DEPTH	32

enum tok_type {
	TOK_END,
	TOK_ATOM,
	TOK_QSTR,		/* with its quotes */
	TOK_DLIT,		/* with its brackets */
	TOK_SPECIAL		/* one of < > : ; @ , . */
};

struct tok {
	enum tok_type	 type;
	int		 c;		/* the special */
	int		 space;		/* CFWS came before it */
	size_t		 at;		/* offset of its first byte */
	struct enma_span text;
};

struct lex {
	struct enma_span	 s;
	size_t			 pos;
	struct tok		 tok;	/* the lookahead */
	struct enma_arena	*arena;
};

struct mblist {
	struct enma_mailbox	*v;
	size_t			 n, cap;
};

/* is_text - printable, WSP or UTF-8: what comments and quotes carry */
static int
is_text(int c)
{
	return enma_isvchar(c) || enma_iswsp(c) || c >= 0x80;
}

/* is_special - the specials that are tokens of their own */
static int
is_special(int c)
{
	return c != '\0' && memchr("<>:;@,.", c, 7) != NULL;
}

/*
 * line_break - at a CR or LF inside a comment or quoted-string: RFC 5322
 * FWS needs WSP after the break (CRLF, or the bare LF/CR of milters).
 */
static enma_status
line_break(const struct enma_span *s, size_t *pos)
{
	size_t	 i = *pos;

	if (s->p[i] == '\r' && i + 1 < s->len && s->p[i + 1] == '\n')
		i++;
	i++;
	if (i >= s->len || !enma_iswsp(s->p[i]))
		return ENMA_ESYNTAX;
	*pos = i;
	return ENMA_OK;
}

/* skip_comment - a comment, nested, at lx->pos (which is "(") */
static enma_status
skip_comment(struct lex *lx)
{
	const struct enma_span *s = &lx->s;
	size_t	 depth = 0;
	int	 c;

	while (lx->pos < s->len) {
		c = s->p[lx->pos];
		if (c == '(') {
			if (++depth > ENMA_MAIL_MAX_COMMENT_DEPTH)
				return ENMA_ELIMIT;
		} else if (c == ')') {
			if (--depth == 0) {
				lx->pos++;
				return ENMA_OK;
			}
		} else if (c == '\\') {
			if (++lx->pos >= s->len || !is_text(s->p[lx->pos]))
				return ENMA_ESYNTAX;
		} else if (c == '\r' || c == '\n') {
			if (line_break(s, &lx->pos) != ENMA_OK)
				return ENMA_ESYNTAX;
			continue;
		} else if (!is_text(c))
			return ENMA_ESYNTAX;
		lx->pos++;
	}
	return ENMA_ESYNTAX;
}

/* rest_is_blank - only CR, LF and WSP from i to the end */
static int
rest_is_blank(const struct enma_span *s, size_t i)
{
	for (; i < s->len; i++)
		if (s->p[i] != '\r' && s->p[i] != '\n' && !enma_iswsp(s->p[i]))
			return 0;
	return 1;
}

/* skip_cfws - WSP, folds and comments; *space tells whether any */
static enma_status
skip_cfws(struct lex *lx, int *space)
{
	enma_status st;
	int	 c;

	*space = 0;
	while (lx->pos < lx->s.len) {
		c = lx->s.p[lx->pos];
		if (enma_iswsp(c))
			lx->pos++;
		else if (c == '(') {
			if ((st = skip_comment(lx)) != ENMA_OK)
				return st;
		} else if (c == '\r' || c == '\n') {
			if (rest_is_blank(&lx->s, lx->pos))
				lx->pos = lx->s.len;	/* a final line end */
			else if (line_break(&lx->s, &lx->pos) != ENMA_OK)
				return ENMA_ESYNTAX;
		} else
			break;
		*space = 1;
	}
	return ENMA_OK;
}

/* scan_quoted - a quoted-string or domain literal from lx->pos */
static enma_status
scan_quoted(struct lex *lx, int close)
{
	const struct enma_span *s = &lx->s;
	size_t	 i = lx->pos + 1;
	int	 c;

	for (; i < s->len && s->p[i] != close; i++) {
		c = s->p[i];
		if (c == '\\' && close == '"') {
			if (++i >= s->len || !is_text(s->p[i]))
				return ENMA_ESYNTAX;
		} else if (c == '\r' || c == '\n') {
			if (line_break(s, &i) != ENMA_OK)
				return ENMA_ESYNTAX;
		} else if (!is_text(c) || (close == ']' &&
		    (c == '[' || c == '\\')))	/* RFC 5322 3.4.1 dtext */
			return ENMA_ESYNTAX;
	}
	if (i >= s->len)
		return ENMA_ESYNTAX;
	lx->tok.type = close == '"' ? TOK_QSTR : TOK_DLIT;
	lx->tok.text = enma_span_make(s->p + lx->pos, i + 1 - lx->pos);
	lx->pos = i + 1;
	return ENMA_OK;
}

/* lex_next - read the next token into lx->tok */
static enma_status
lex_next(struct lex *lx)
{
	enma_status st;
	size_t	 start;
	int	 c;

	if ((st = skip_cfws(lx, &lx->tok.space)) != ENMA_OK)
		return st;
	start = lx->tok.at = lx->pos;
	if (lx->pos == lx->s.len) {
		lx->tok.type = TOK_END;
		lx->tok.text = enma_span_make(lx->s.p + start, 0);
		return ENMA_OK;
	}
	c = lx->s.p[lx->pos];
	if (c == '"' || c == '[')
		return scan_quoted(lx, c == '"' ? '"' : ']');
	if (is_special(c)) {
		lx->tok.type = TOK_SPECIAL;
		lx->tok.c = c;
		lx->pos++;
	} else if (mail_is_atext(c)) {
		lx->tok.type = TOK_ATOM;
		while (lx->pos < lx->s.len && mail_is_atext(lx->s.p[lx->pos]))
			lx->pos++;
	} else
		return ENMA_ESYNTAX;	/* ) ] \ or a control */
	lx->tok.text = enma_span_make(lx->s.p + start, lx->pos - start);
	return ENMA_OK;
}

/* is_tok - the lookahead is the special c */
static int
is_tok(const struct lex *lx, int c)
{
	return lx->tok.type == TOK_SPECIAL && lx->tok.c == c;
}

/* expect - consume the special c, or fail */
static enma_status
expect(struct lex *lx, int c)
{
	if (!is_tok(lx, c))
		return ENMA_ESYNTAX;
	return lex_next(lx);
}

/* is_word - RFC 5322 3.2.5 word: atom or quoted-string */
static int
is_word(const struct tok *t)
{
	return t->type == TOK_ATOM || t->type == TOK_QSTR;
}

/* scan_words - skip a run of words and dots; *n counts the tokens */
static enma_status
scan_words(struct lex *lx, size_t *n)
{
	enma_status st;

	*n = 0;
	while (is_word(&lx->tok) || is_tok(lx, '.')) {
		(*n)++;
		if ((st = lex_next(lx)) != ENMA_OK)
			return st;
	}
	return ENMA_OK;
}

/* put_tok - a word's value: an atom as is, a quoted-string unquoted */
static size_t
put_tok(char *d, const struct tok *t)
{
	const struct enma_span *x = &t->text;
	size_t	 i, n = 0;

	if (t->type != TOK_QSTR) {
		memcpy(d, x->p, x->len);
		return x->len;
	}
	/* RFC 5322 3.2.4: the CRLF of a fold inside quotes is invisible */
	for (i = 1; i + 1 < x->len; i++) {
		if (x->p[i] == '\r' || x->p[i] == '\n')
			continue;
		if (x->p[i] == '\\')
			i++;
		d[n++] = (char)x->p[i];
	}
	return n;
}

/*
 * build_words - the tokens from *start up to (not including) the token
 * at offset end, joined: dots and words must alternate for a local
 * part (dot_atom set); a phrase puts one space where CFWS was.
 */
static enma_status
build_words(struct lex start, size_t end, int dot_atom, const char **out)
{
	struct lex	*w = &start;
	char		*d;
	size_t		 n = 0;
	int		 want_word = 1;
	enma_status	 st;

	/* the result is never longer than the raw bytes it came from */
	if ((d = enma_arena_alloc(w->arena, end - w->tok.at + 1)) == NULL)
		return ENMA_ENOMEM;
	while (w->tok.at < end) {
		if (want_word && !is_word(&w->tok))
			return ENMA_ESYNTAX;
		if (dot_atom && !want_word && !is_tok(w, '.'))
			return ENMA_ESYNTAX;
		if (!dot_atom && n > 0 && w->tok.space)
			d[n++] = ' ';
		if (is_tok(w, '.'))
			d[n++] = '.';
		else
			n += put_tok(d + n, &w->tok);
		want_word = dot_atom ? !want_word : 0;
		if ((st = lex_next(w)) != ENMA_OK)
			return st;
	}
	if (dot_atom && want_word)	/* empty, or a dot at the end */
		return ENMA_ESYNTAX;
	d[n] = '\0';
	*out = d;
	return ENMA_OK;
}

/* lower - ASCII lower case in place */
static void
lower(char *d, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		d[i] = (char)enma_tolower((unsigned char)d[i]);
}

/* parse_dlit - RFC 5322 3.4.1 domain-literal, FWS dropped, lower case */
static enma_status
parse_dlit(struct lex *lx, const char **out)
{
	const struct enma_span *x = &lx->tok.text;
	char	*d;
	size_t	 i, n = 0;

	if ((d = enma_arena_alloc(lx->arena, x->len + 1)) == NULL)
		return ENMA_ENOMEM;
	for (i = 0; i < x->len; i++)
		if (x->p[i] != '\r' && x->p[i] != '\n' && !enma_iswsp(x->p[i]))
			d[n++] = (char)x->p[i];
	d[n] = '\0';
	lower(d, n);
	*out = d;
	return lex_next(lx);
}

/* domain_pass - walk atom *("." atom) ["."]; copy into d unless NULL */
static enma_status
domain_pass(struct lex *lx, char *d, size_t *np)
{
	size_t		 n = 0;
	enma_status	 st;

	for (;;) {
		if (d != NULL)
			memcpy(d + n, lx->tok.text.p, lx->tok.text.len);
		n += lx->tok.text.len;
		if ((st = lex_next(lx)) != ENMA_OK)
			return st;
		if (!is_tok(lx, '.'))
			break;
		if ((st = lex_next(lx)) != ENMA_OK)
			return st;
		if (lx->tok.type != TOK_ATOM)
			break;			/* "example.com." */
		if (d != NULL)
			d[n] = '.';
		n++;
	}
	if (is_tok(lx, '.'))
		return ENMA_ESYNTAX;		/* "example.." */
	*np = n;
	return ENMA_OK;
}

/*
 * parse_domain - dot-atom, obs-domain (CFWS around the dots) or
 * domain-literal; one trailing dot is dropped.
 */
static enma_status
parse_domain(struct lex *lx, const char **out)
{
	struct lex	 probe = *lx;
	char		*d;
	size_t		 n;
	enma_status	 st;

	if (lx->tok.type == TOK_DLIT)
		return parse_dlit(lx, out);
	if (lx->tok.type != TOK_ATOM)
		return ENMA_ESYNTAX;
	/* measure first, so that the copy is no longer than the domain */
	if ((st = domain_pass(&probe, NULL, &n)) != ENMA_OK)
		return st;
	if ((d = enma_arena_alloc(lx->arena, n + 1)) == NULL)
		return ENMA_ENOMEM;
	if ((st = domain_pass(lx, d, &n)) != ENMA_OK)
		return st;
	d[n] = '\0';
	lower(d, n);
	*out = d;
	return ENMA_OK;
}

/* parse_addr_spec - local-part "@" domain (RFC 5322 3.4.1, 4.4) */
static enma_status
parse_addr_spec(struct lex *lx, struct enma_mailbox *mb)
{
	struct lex	 start = *lx;
	size_t		 n;
	enma_status	 st;

	if ((st = scan_words(lx, &n)) != ENMA_OK)
		return st;
	if (n == 0 || !is_tok(lx, '@'))
		return ENMA_ESYNTAX;
	if ((st = build_words(start, lx->tok.at, 1, &mb->local)) != ENMA_OK)
		return st;
	if ((st = lex_next(lx)) != ENMA_OK)
		return st;
	return parse_domain(lx, &mb->domain);
}

/*
 * skip_route - RFC 5322 4.4 obs-route: obs-domain-list ":", where
 * obs-domain-list = *(CFWS / ",") "@" domain *("," [CFWS] ["@" domain])
 */
static enma_status
skip_route(struct lex *lx)
{
	const char	*ignored;
	enma_status	 st;

	while (is_tok(lx, ','))
		if ((st = lex_next(lx)) != ENMA_OK)
			return st;
	if ((st = expect(lx, '@')) != ENMA_OK ||
	    (st = parse_domain(lx, &ignored)) != ENMA_OK)
		return st;
	while (is_tok(lx, ',')) {
		if ((st = lex_next(lx)) != ENMA_OK)
			return st;
		if (is_tok(lx, '@') && ((st = lex_next(lx)) != ENMA_OK ||
		    (st = parse_domain(lx, &ignored)) != ENMA_OK))
			return st;
	}
	return expect(lx, ':');
}

/* parse_angle - angle-addr / obs-angle-addr, at "<" */
static enma_status
parse_angle(struct lex *lx, struct enma_mailbox *mb)
{
	enma_status st;

	if ((st = expect(lx, '<')) != ENMA_OK)
		return st;
	if ((is_tok(lx, '@') || is_tok(lx, ',')) &&
	    (st = skip_route(lx)) != ENMA_OK)
		return st;
	if ((st = parse_addr_spec(lx, mb)) != ENMA_OK)
		return st;
	return expect(lx, '>');
}

/* parse_mailbox - name-addr or addr-spec (RFC 5322 3.4) */
static enma_status
parse_mailbox(struct lex *lx, struct enma_mailbox *mb)
{
	struct lex	 start = *lx;
	size_t		 n;
	enma_status	 st;

	memset(mb, 0, sizeof(*mb));
	if ((st = scan_words(lx, &n)) != ENMA_OK)
		return st;
	if (is_tok(lx, '<')) {
		if (n > 0 && (st = build_words(start, lx->tok.at, 0,
		    &mb->display)) != ENMA_OK)
			return st;
		return parse_angle(lx, mb);
	}
	if (!is_tok(lx, '@'))
		return ENMA_ESYNTAX;
	*lx = start;
	return parse_addr_spec(lx, mb);
}

/* lex_init - a lexer over s with its first token read */
static enma_status
lex_init(struct lex *lx, struct enma_span s, struct enma_arena *a)
{
	memset(lx, 0, sizeof(*lx));
	lx->s = s;
	lx->arena = a;
	return lex_next(lx);
}

/* enma_mailbox_parse - exactly one mailbox */
enma_status
enma_mailbox_parse(struct enma_span s, struct enma_arena *a,
    struct enma_mailbox *mb)
{
	struct lex	 lx;
	enma_status	 st;

	if (a == NULL || mb == NULL || (s.p == NULL && s.len > 0))
		return ENMA_EINVAL;
	memset(mb, 0, sizeof(*mb));
	if ((st = lex_init(&lx, s, a)) == ENMA_OK &&
	    (st = parse_mailbox(&lx, mb)) == ENMA_OK &&
	    lx.tok.type != TOK_END)
		st = ENMA_ESYNTAX;
	if (st != ENMA_OK)
		memset(mb, 0, sizeof(*mb));	/* nothing half-parsed */
	return st;
}

/* list_add - one more slot in the list, or ELIMIT past the maximum */
static enma_status
list_add(struct mblist *l, struct enma_arena *a, struct enma_mailbox **mb)
{
	struct enma_mailbox *v;
	size_t	 cap;

	if (l->n >= ENMA_MAIL_MAX_ADDRESSES)
		return ENMA_ELIMIT;
	if (l->n == l->cap) {
		cap = l->cap == 0 ? 4 : l->cap * 2;
		if ((v = enma_arena_calloc(a, cap, sizeof(*v))) == NULL)
			return ENMA_ENOMEM;
		if (l->n > 0)
			memcpy(v, l->v, l->n * sizeof(*v));
		l->v = v;
		l->cap = cap;
	}
	*mb = &l->v[l->n++];
	return ENMA_OK;
}

/* skip_commas - RFC 5322 4.4 obsolete empty list elements */
static enma_status
skip_commas(struct lex *lx)
{
	enma_status st;

	while (is_tok(lx, ','))
		if ((st = lex_next(lx)) != ENMA_OK)
			return st;
	return ENMA_OK;
}

/* add_mailbox - parse one mailbox into the next slot of the list */
static enma_status
add_mailbox(struct lex *lx, struct mblist *l)
{
	struct enma_mailbox *mb;
	enma_status	 st;

	if ((st = list_add(l, lx->arena, &mb)) != ENMA_OK)
		return st;
	return parse_mailbox(lx, mb);
}

/*
 * parse_group_rest - after "display-name :": group-list ";" where
 * group-list = mailbox-list / CFWS / obs-group-list (RFC 5322 3.4, 4.4)
 */
static enma_status
parse_group_rest(struct lex *lx, struct mblist *l)
{
	enma_status st;

	for (;;) {
		if ((st = skip_commas(lx)) != ENMA_OK)
			return st;
		if (is_tok(lx, ';'))
			return lex_next(lx);
		if ((st = add_mailbox(lx, l)) != ENMA_OK)
			return st;
		if (!is_tok(lx, ',') && !is_tok(lx, ';'))
			return ENMA_ESYNTAX;
	}
}

/* parse_address - a mailbox, or a group whose members are listed */
static enma_status
parse_address(struct lex *lx, struct mblist *l)
{
	struct lex	 start = *lx;
	size_t		 n;
	enma_status	 st;

	if ((st = scan_words(lx, &n)) != ENMA_OK)
		return st;
	if (!is_tok(lx, ':')) {
		*lx = start;
		return add_mailbox(lx, l);
	}
	/* RFC 5322 3.4: group = display-name ":" [group-list] ";" */
	if (n == 0 || !is_word(&start.tok))
		return ENMA_ESYNTAX;
	if ((st = lex_next(lx)) != ENMA_OK)
		return st;
	return parse_group_rest(lx, l);
}

/* enma_addrlist_parse - RFC 5322 3.4 address-list with 4.4 obs forms */
enma_status
enma_addrlist_parse(struct enma_span s, struct enma_arena *a,
    struct enma_mailbox **list, size_t *count)
{
	struct lex	 lx;
	struct mblist	 l = { NULL, 0, 0 };
	size_t		 naddr = 0;
	enma_status	 st;

	if (a == NULL || list == NULL || count == NULL ||
	    (s.p == NULL && s.len > 0))
		return ENMA_EINVAL;
	*list = NULL;
	*count = 0;
	if ((st = lex_init(&lx, s, a)) != ENMA_OK)
		return st;
	for (;;) {
		if ((st = skip_commas(&lx)) != ENMA_OK)
			return st;
		if (lx.tok.type == TOK_END)
			break;
		if ((st = parse_address(&lx, &l)) != ENMA_OK)
			return st;
		naddr++;
		if (!is_tok(&lx, ',') && lx.tok.type != TOK_END)
			return ENMA_ESYNTAX;
	}
	if (naddr == 0)		/* RFC 5322 4.4: at least one address */
		return ENMA_ESYNTAX;
	*list = l.v;
	*count = l.n;
	return ENMA_OK;
}
