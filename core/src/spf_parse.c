/*
 * spf_parse.c - SPF record syntax (RFC 7208 4.5, 4.6, 5, 6, 7.1, 12) and
 * the Sender ID version term (RFC 4406 3.1)
 *
 * A record is checked whole before it is evaluated (RFC 7208 4.6: "any
 * syntax errors anywhere in the record MUST be detected"), so that a
 * term after the one that matches can still make the result permerror.
 * Terms point into the record text; only the term array is allocated.
 */
#include <string.h>

#include "spf_int.h"

#define SPF_WHY_TERM_MAX 64	/* bytes of a bad term quoted in a reason */

/* spf_printable - an arena copy of s for messages: controls and non-ASCII
 * become '?', and more than max bytes are cut with "..." */
const char *
spf_printable(struct enma_arena *a, struct enma_span s, size_t max)
{
	char	*out;
	size_t	 i, n = s.len > max ? max : s.len;

	out = enma_arena_alloc(a, n + 4);
	if (out == NULL)
		return "?";
	for (i = 0; i < n; i++)
		out[i] = (s.p[i] >= 0x20 && s.p[i] < 0x7f) ? (char)s.p[i] : '?';
	if (n < s.len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

/* scope_list - RFC 4406 3.1: scope-id *( "," scope-id ); unknown ids are
 * ignored, empty ones make the version term invalid */
static int
scope_list(struct enma_span s, unsigned *scopes)
{
	size_t	i = 0, j;

	*scopes = 0;
	while (i <= s.len) {
		for (j = i; j < s.len && s.p[j] != ','; j++)
			continue;
		if (j == i)
			return 0;
		if (enma_span_caseeq_cstr(enma_span_make(s.p + i, j - i),
		    "mfrom"))
			*scopes |= SPF_SCOPE_BIT_MFROM;
		else if (enma_span_caseeq_cstr(enma_span_make(s.p + i, j - i),
		    "pra"))
			*scopes |= SPF_SCOPE_BIT_PRA;
		i = j + 1;
	}
	return 1;
}

/*
 * spf_record_version - classify a TXT string by its version term: 0 when
 * it is no SPF record, SPF_VERSION_1 for "v=spf1" (RFC 7208 4.5: case-
 * insensitive, then SP or the end), SPF_VERSION_2 for "spf2.0/scopes"
 * (RFC 4406 3.1).  *end receives the offset just past the version term.
 */
int
spf_record_version(struct enma_span s, unsigned *scopes, size_t *end)
{
	size_t	n;

	*scopes = 0;
	for (n = 0; n < s.len && s.p[n] != ' '; n++)
		continue;
	*end = n;
	if (n == 6 && enma_span_has_caseprefix(s, "v=spf1")) {
		*scopes = SPF_SCOPE_BIT_MFROM | SPF_SCOPE_BIT_PRA;
		return SPF_VERSION_1;
	}
	if (n > 7 && enma_span_has_caseprefix(s, "spf2.0/") &&
	    scope_list(enma_span_make(s.p + 7, n - 7), scopes) && *scopes != 0)
		return SPF_VERSION_2;
	return 0;
}

/* spf_scope_accepts - may a record of this version serve the scope */
int
spf_scope_accepts(enum enma_spf_scope scope, int version, unsigned scopes)
{
	switch (scope) {
	case ENMA_SPF_SCOPE_SPF1:
		return version == SPF_VERSION_1;
	case ENMA_SPF_SCOPE_MFROM:
		return version != 0 && (scopes & SPF_SCOPE_BIT_MFROM) != 0;
	case ENMA_SPF_SCOPE_PRA:
		return version != 0 && (scopes & SPF_SCOPE_BIT_PRA) != 0;
	}
	return 0;
}

static int
is_macro_letter(int c, int explain)
{
	switch (enma_tolower(c)) {
	case 's': case 'l': case 'o': case 'd': case 'i': case 'p':
	case 'h': case 'v':
		return 1;
	case 'c': case 'r': case 't':	/* RFC 7208 7.2: exp text only */
		return explain;
	}
	return 0;
}

static int
is_macro_delim(int c)
{
	return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' ||
	    c == '_' || c == '=';
}

/* macro_expand_len - length of the "%{...}" at p (RFC 7208 7.1), or 0 */
static size_t
macro_expand_len(struct enma_span s, size_t i, int explain, const char **why)
{
	size_t	j = i + 2, d0;

	if (j >= s.len || !is_macro_letter(s.p[j], explain)) {
		*why = (j < s.len && is_macro_letter(s.p[j], 1)) ?
		    "macros c, r and t are allowed in exp text only "
		    "(RFC 7208 7.2)" : "unknown macro letter (RFC 7208 7.2)";
		return 0;
	}
	for (d0 = ++j; j < s.len && enma_isdigit(s.p[j]); j++)
		continue;
	if (j > d0 && s.p[j - 1] == '0' && j - d0 == 1) {
		*why = "macro transformer 0 (RFC 7208 7.3: must be nonzero)";
		return 0;
	}
	if (j < s.len && (s.p[j] == 'r' || s.p[j] == 'R'))
		j++;
	while (j < s.len && is_macro_delim(s.p[j]))
		j++;
	if (j >= s.len || s.p[j] != '}') {
		*why = "malformed macro (RFC 7208 7.1)";
		return 0;
	}
	return j + 1 - i;
}

/*
 * spf_macro_validate - RFC 7208 7.1 macro-string (explain-string when
 * explain is set: SP and the letters c, r, t allowed).  *last_expand_end
 * is the offset just past the last macro-expand, 0 if none.
 */
enma_status
spf_macro_validate(struct enma_span s, int explain, size_t *last_expand_end,
    const char **why)
{
	size_t	i = 0, n;

	*last_expand_end = 0;
	while (i < s.len) {
		unsigned char c = s.p[i];

		if (c == '%') {
			if (i + 1 < s.len && (s.p[i + 1] == '%' ||
			    s.p[i + 1] == '_' || s.p[i + 1] == '-'))
				n = 2;
			else if (i + 1 < s.len && s.p[i + 1] == '{')
				n = macro_expand_len(s, i, explain, why);
			else {
				*why = "'%' not followed by '{', '%', '-' or "
				    "'_' (RFC 7208 7.1)";
				n = 0;
			}
			if (n == 0)
				return ENMA_ESYNTAX;
			i += n;
			*last_expand_end = i;
		} else if ((c > 0x20 && c < 0x7f) || (explain && c == ' '))
			i++;
		else {
			*why = "character outside 7-bit visible ASCII "
			    "(RFC 7208 3.1, 7.1)";
			return ENMA_ESYNTAX;
		}
	}
	return ENMA_OK;
}

/* toplabel_ok - RFC 7208 7.1 toplabel: LDH, not all digits, no dash at
 * either end */
static int
toplabel_ok(struct enma_span t)
{
	size_t	i;
	int	alpha = 0, dash = 0;

	if (t.len == 0 || t.p[0] == '-' || t.p[t.len - 1] == '-')
		return 0;
	for (i = 0; i < t.len; i++) {
		if (enma_isalpha(t.p[i]))
			alpha = 1;
		else if (t.p[i] == '-')
			dash = 1;
		else if (!enma_isdigit(t.p[i]))
			return 0;
	}
	return alpha || dash;
}

/* domain_spec_ok - RFC 7208 7.1: domain-spec = macro-string domain-end */
static int
domain_spec_ok(struct enma_span s, const char **why)
{
	size_t	last, dot;

	if (s.len == 0) {
		*why = "empty domain-spec (RFC 7208 7.1)";
		return 0;
	}
	if (spf_macro_validate(s, 0, &last, why) != ENMA_OK)
		return 0;
	if (last == s.len)
		return 1;		/* domain-end = macro-expand */
	if (s.p[s.len - 1] == '.')
		s.len--;
	for (dot = s.len; dot > 0 && s.p[dot - 1] != '.'; dot--)
		continue;
	if (dot > 0 && dot > last &&
	    toplabel_ok(enma_span_make(s.p + dot, s.len - dot)))
		return 1;
	*why = "domain-spec must end in a macro or a valid top label "
	    "(RFC 7208 7.1)";
	return 0;
}

/* cidr_num - "/" then a decimal without leading zeros, at most max */
static int
cidr_num(struct enma_span d, unsigned max, uint8_t *out)
{
	unsigned	v = 0;
	size_t		i;

	if (d.len == 0 || d.len > 3 || (d.len > 1 && d.p[0] == '0'))
		return 0;
	for (i = 0; i < d.len; i++) {
		if (!enma_isdigit(d.p[i]))
			return 0;
		v = v * 10 + (unsigned)(d.p[i] - '0');
	}
	if (v > max)
		return 0;
	*out = (uint8_t)v;
	return 1;
}

/* trailing_digits - offset where the run of digits at the end starts */
static size_t
trailing_digits(struct enma_span s)
{
	size_t	j = s.len;

	while (j > 0 && enma_isdigit(s.p[j - 1]))
		j--;
	return j;
}

/*
 * dual_cidr - RFC 7208 5.3: strip [ "/" ip4-cidr ] [ "//" ip6-cidr ] from
 * the end of s; 0 when a length is out of range or malformed
 */
static int
dual_cidr(struct enma_span *s, struct spf_term *t, const char **why)
{
	size_t	j = trailing_digits(*s);

	t->cidr4 = SPF_CIDR4_MAX;
	t->cidr6 = SPF_CIDR6_MAX;
	if (j < s->len && j >= 2 && s->p[j - 1] == '/' && s->p[j - 2] == '/') {
		if (!cidr_num(enma_span_make(s->p + j, s->len - j),
		    SPF_CIDR6_MAX, &t->cidr6))
			goto bad;
		s->len = j - 2;
		j = trailing_digits(*s);
	}
	if (j < s->len && j >= 1 && s->p[j - 1] == '/') {
		if (!cidr_num(enma_span_make(s->p + j, s->len - j),
		    SPF_CIDR4_MAX, &t->cidr4))
			goto bad;
		s->len = j - 1;
	}
	return 1;
bad:
	*why = "bad CIDR length (RFC 7208 5.6)";
	return 0;
}

/* ip4_network - RFC 7208 5.6 ip4-network: four qnums, no leading zeros */
static int
ip4_network(struct enma_span s, struct enma_ip *ip)
{
	size_t		i = 0, start;
	unsigned	v, part;

	memset(ip, 0, sizeof(*ip));
	for (part = 0; part < 4; part++) {
		if (part > 0 && (i >= s.len || s.p[i++] != '.'))
			return 0;
		for (v = 0, start = i; i < s.len && enma_isdigit(s.p[i]); i++)
			v = v * 10 + (unsigned)(s.p[i] - '0');
		if (i == start || i - start > 3 || v > 255 ||
		    (i - start > 1 && s.p[start] == '0'))
			return 0;
		ip->addr[part] = (unsigned char)v;
	}
	ip->family = 4;
	return i == s.len;
}

/* ip6_network - RFC 7208 5.6 ip6-network: RFC 4291 2.2 text only */
static int
ip6_network(struct enma_span s, struct enma_ip *ip)
{
	size_t	i;

	for (i = 0; i < s.len; i++)
		if (!enma_isxdigit(s.p[i]) && s.p[i] != ':' && s.p[i] != '.')
			return 0;
	return enma_ip_from_text(s, ip) == ENMA_OK && ip->family == 6;
}

/* mech_ip - "ip4:" / "ip6:" network [ "/" length ] */
static int
mech_ip(struct enma_span rest, struct spf_term *t, const char **why)
{
	size_t		slash;
	int		v6 = t->kind == SPF_M_IP6;
	struct enma_span net;

	t->cidr4 = SPF_CIDR4_MAX;
	t->cidr6 = SPF_CIDR6_MAX;
	if (rest.len < 2 || rest.p[0] != ':') {
		*why = "ip4/ip6 needs \":\" and a network (RFC 7208 5.6)";
		return 0;
	}
	rest.p++;
	rest.len--;
	slash = enma_span_chr(rest, '/');
	net = enma_span_make(rest.p, slash);
	if (v6 ? !ip6_network(net, &t->net) : !ip4_network(net, &t->net)) {
		*why = "bad IP network (RFC 7208 5.6)";
		return 0;
	}
	if (slash < rest.len && !cidr_num(enma_span_make(rest.p + slash + 1,
	    rest.len - slash - 1), v6 ? SPF_CIDR6_MAX : SPF_CIDR4_MAX,
	    v6 ? &t->cidr6 : &t->cidr4)) {
		*why = "bad CIDR length (RFC 7208 5.6)";
		return 0;
	}
	return 1;
}

/* mech_arg - the rest after a mechanism name: [":" domain-spec] and, for
 * a and mx, a dual-cidr-length */
static int
mech_arg(struct enma_span rest, struct spf_term *t, const char **why)
{
	int	cidr = t->kind == SPF_M_A || t->kind == SPF_M_MX;
	int	need = t->kind == SPF_M_INCLUDE || t->kind == SPF_M_EXISTS;

	t->cidr4 = SPF_CIDR4_MAX;
	t->cidr6 = SPF_CIDR6_MAX;
	if (t->kind == SPF_M_ALL) {
		*why = "\"all\" takes no argument (RFC 7208 5.1)";
		return rest.len == 0;
	}
	if (t->kind == SPF_M_IP4 || t->kind == SPF_M_IP6)
		return mech_ip(rest, t, why);
	if (cidr && !dual_cidr(&rest, t, why))
		return 0;
	if (rest.len == 0 && !need)
		return 1;
	if (rest.len == 0 || rest.p[0] != ':') {
		*why = need ? "mechanism needs \":\" and a domain "
		    "(RFC 7208 5.2, 5.7)" : "unexpected text after the "
		    "mechanism name (RFC 7208 5)";
		return 0;
	}
	t->arg = enma_span_make(rest.p + 1, rest.len - 1);
	return domain_spec_ok(t->arg, why);
}

/* parse_modifier - RFC 7208 6 and A: redirect, exp, unknown-modifier */
static int
parse_modifier(struct enma_span name, struct enma_span value,
    struct spf_term *t, const char **why)
{
	size_t	last;

	t->arg = value;
	if (enma_span_caseeq_cstr(name, "redirect")) {
		t->kind = SPF_MOD_REDIRECT;
		return domain_spec_ok(value, why);
	}
	if (enma_span_caseeq_cstr(name, "exp")) {
		t->kind = SPF_MOD_EXP;
		return domain_spec_ok(value, why);
	}
	t->kind = SPF_MOD_UNKNOWN;
	return spf_macro_validate(value, 1, &last, why) == ENMA_OK;
}

/* mech_kind - the mechanism named by n (RFC 7208 5), 0 if none */
static enum spf_kind
mech_kind(struct enma_span n)
{
	switch (n.len) {
	case 1:
		return enma_tolower(n.p[0]) == 'a' ? SPF_M_A : 0;
	case 2:
		return enma_span_caseeq_cstr(n, "mx") ? SPF_M_MX : 0;
	case 3:
		if (enma_span_caseeq_cstr(n, "all"))
			return SPF_M_ALL;
		if (enma_span_caseeq_cstr(n, "ip4"))
			return SPF_M_IP4;
		if (enma_span_caseeq_cstr(n, "ip6"))
			return SPF_M_IP6;
		return enma_span_caseeq_cstr(n, "ptr") ? SPF_M_PTR : 0;
	case 6:
		return enma_span_caseeq_cstr(n, "exists") ? SPF_M_EXISTS : 0;
	case 7:
		return enma_span_caseeq_cstr(n, "include") ? SPF_M_INCLUDE : 0;
	}
	return 0;
}

static int
is_name_char(int c)
{
	return enma_isalnum(c) || c == '-' || c == '_' || c == '.';
}

/* parse_term - one term: a modifier when a name is followed by "=",
 * otherwise a mechanism with an optional qualifier */
static int
parse_term(struct enma_span s, struct spf_term *t, const char **why)
{
	size_t	i = 0, n;

	memset(t, 0, sizeof(*t));
	t->text = s;
	if (enma_isalpha(s.p[0])) {
		while (i < s.len && is_name_char(s.p[i]))
			i++;
		if (i < s.len && s.p[i] == '=')
			return parse_modifier(enma_span_make(s.p, i),
			    enma_span_make(s.p + i + 1, s.len - i - 1), t, why);
	}
	t->qual = ENMA_SPF_PASS;
	i = 0;
	switch (s.p[0]) {
	case '+': i = 1; break;
	case '-': t->qual = ENMA_SPF_FAIL; i = 1; break;
	case '~': t->qual = ENMA_SPF_SOFTFAIL; i = 1; break;
	case '?': t->qual = ENMA_SPF_NEUTRAL; i = 1; break;
	}
	for (n = i; n < s.len && enma_isalnum(s.p[n]); n++)
		continue;
	t->kind = (uint8_t)mech_kind(enma_span_make(s.p + i, n - i));
	if (t->kind == 0) {
		*why = "unknown mechanism (RFC 7208 5)";
		return 0;
	}
	return mech_arg(enma_span_make(s.p + n, s.len - n), t, why);
}

/* count_terms - terms are separated by one or more SP (RFC 7208 4.6.1) */
static size_t
count_terms(struct enma_span s)
{
	size_t	i, n = 0;

	for (i = 0; i < s.len; i++)
		if (s.p[i] != ' ' && (i == 0 || s.p[i - 1] == ' '))
			n++;
	return n;
}

/* add_term - parse the term at s into r, checking modifier duplicates */
static int
add_term(struct enma_spf_record *r, struct enma_span s, const char **why)
{
	struct spf_term	*t = &r->term[r->nterm];
	int		*slot = NULL;

	if (!parse_term(s, t, why))
		return 0;
	if (t->kind == SPF_MOD_REDIRECT)
		slot = &r->redirect;
	else if (t->kind == SPF_MOD_EXP)
		slot = &r->exp;
	if (slot != NULL && *slot >= 0) {
		*why = "redirect= or exp= appears twice (RFC 7208 6)";
		return 0;
	}
	if (slot != NULL)
		*slot = (int)r->nterm;
	r->nterm++;
	return 1;
}

/* parse_terms - split the text after the version into terms */
static enma_status
parse_terms(struct enma_spf_record *r, struct enma_span s,
    struct enma_arena *a, const char **why)
{
	size_t	i = 0, j, n = count_terms(s);

	if (n > ENMA_SPF_MAX_TERMS) {
		*why = "more than 256 terms in the record (local limit)";
		return ENMA_ESYNTAX;
	}
	r->term = n ? enma_arena_calloc(a, n, sizeof(*r->term)) : NULL;
	if (n > 0 && r->term == NULL)
		return ENMA_ENOMEM;
	while (i < s.len) {
		if (s.p[i] == ' ') {
			i++;
			continue;
		}
		for (j = i; j < s.len && s.p[j] != ' '; j++)
			continue;
		if (!add_term(r, enma_span_make(s.p + i, j - i), why)) {
			*why = enma_arena_printf(a, "%s: \"%s\"", *why,
			    spf_printable(a, enma_span_make(s.p + i, j - i),
			    SPF_WHY_TERM_MAX));
			if (*why == NULL)
				return ENMA_ENOMEM;
			return ENMA_ESYNTAX;
		}
		i = j;
	}
	return ENMA_OK;
}

/* enma_spf_record_parse - parse a whole record for the given scope */
enma_status
enma_spf_record_parse(struct enma_span s, enum enma_spf_scope scope,
    struct enma_arena *a, struct enma_spf_record **out, const char **why)
{
	struct enma_spf_record	*r;
	size_t			 end;
	unsigned		 scopes;
	int			 version;
	const char		*dummy;
	enma_status		 st;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	*out = NULL;
	if (s.len > ENMA_SPF_MAX_RECORD) {
		*why = "record longer than 4096 bytes (local limit)";
		return ENMA_ESYNTAX;
	}
	version = spf_record_version(s, &scopes, &end);
	if (!spf_scope_accepts(scope, version, scopes)) {
		*why = "not an SPF record for this scope (RFC 7208 4.5)";
		return ENMA_ESYNTAX;
	}
	if ((r = enma_arena_calloc(a, 1, sizeof(*r))) == NULL)
		return ENMA_ENOMEM;
	r->text = s;
	r->version = version;
	r->scopes = scopes;
	r->redirect = r->exp = -1;
	st = parse_terms(r, enma_span_make(s.p + end, s.len - end), a, why);
	if (st == ENMA_OK)
		*out = r;
	return st;
}

/* enma_spf_record_terms - number of terms parsed */
size_t
enma_spf_record_terms(const struct enma_spf_record *r)
{
	return r != NULL ? r->nterm : 0;
}
