/*
 * dkim_sig.c - DKIM-Signature fields: RFC 6376 3.5 and 6.1.1, with the
 * algorithms of RFC 8301 and RFC 8463
 *
 * Anything inconsistent makes the field unusable (6.1.1: "any
 * inconsistency or unexpected values MUST cause the header field to be
 * completely ignored"), which this verifier reports as neutral (RFC 8601
 * 2.7.1).  Unknown tags are allowed.  Decisions where the RFC leaves a
 * choice:
 *
 *	- v= must be exactly "1": the pre-standard drafts (no v=, v=0.5)
 *	  are not verified (6.1.1, "incompatible version");
 *	- q= must list dns/txt (3.5); nothing else can fetch a key;
 *	- t= more than skew seconds in the future makes the field unusable
 *	  (3.5 "MAY ignore signatures that have a timestamp in the
 *	  future"): a signer's clock that far ahead, or a forged t=, is an
 *	  inconsistency of the field itself, so neutral, without a DNS
 *	  lookup; t= and x= over 12 digits count as infinite (3.5);
 *	- x= must be greater than t= (3.5); whether x= has passed is not
 *	  decided here: an expired signature is still verified and then
 *	  reported policy (dkim.accept_expired_signature decides), so that
 *	  the header tells an expired good signature from a broken one;
 *	- bh= of the wrong length for the hash, and b= empty or longer than
 *	  the largest key we accept, make the field unusable;
 *	- more than ENMA_DKIM_MAX_H_TAGS h= entries: ENMA_ELIMIT (policy).
 */
#include <string.h>

#include <enma/mail.h>

#include "dkim_int.h"

/* RFC 6376 3.5 and 6.1.1: the required tags */
static const struct {
	const char	*tag;
	const char	*why;
} required[] = {
	{ "v", "missing required tag v= (RFC 6376 6.1.1)" },
	{ "a", "missing required tag a= (RFC 6376 6.1.1)" },
	{ "b", "missing required tag b= (RFC 6376 6.1.1)" },
	{ "bh", "missing required tag bh= (RFC 6376 6.1.1)" },
	{ "d", "missing required tag d= (RFC 6376 6.1.1)" },
	{ "h", "missing required tag h= (RFC 6376 6.1.1)" },
	{ "s", "missing required tag s= (RFC 6376 6.1.1)" },
};

static const struct {
	const char	*name;
	enum dkim_alg	 alg;
	enum crypto_md	 md;
	enum crypto_keytype kt;
} algs[] = {
	{ "rsa-sha256", DKIM_ALG_RSA_SHA256, CRYPTO_MD_SHA256, CRYPTO_KEY_RSA },
	{ "rsa-sha1", DKIM_ALG_RSA_SHA1, CRYPTO_MD_SHA1, CRYPTO_KEY_RSA },
	{ "ed25519-sha256", DKIM_ALG_ED25519_SHA256, CRYPTO_MD_SHA256,
	    CRYPTO_KEY_ED25519 },
};

/* tagval - the value of a tag, or an empty span with *has 0 */
static struct enma_span
tagval(const struct dkim_taglist *tl, const char *name, int *has)
{
	const struct dkim_tag *t = dkim_tag_get(tl, name);

	*has = t != NULL;
	return t != NULL ? t->value : enma_span_make(NULL, 0);
}

/* is_ftext - RFC 5322 3.6.8 ftext, the bytes of a field name */
static int
is_ftext(struct enma_span s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (s.p[i] < 33 || s.p[i] > 126 || s.p[i] == ':')
			return 0;
	return s.len > 0;
}

/* domain_of - a lower-case domain name of at least two labels */
static int
domain_of(struct enma_span v, struct enma_arena *a, const char **out)
{
	*out = NULL;
	if (!enma_domain_is_valid(v) ||
	    enma_span_chr(v, '.') >= v.len ||
	    enma_domain_normalise(v, a, out) != ENMA_OK)
		return 0;
	return strchr(*out, '.') != NULL;	/* "example." is one label */
}

/*
 * sig_text - what the result can show even for a field refused later:
 * d=, s= and the first characters of b= when they are well formed
 */
static void
sig_text(const struct dkim_taglist *tl, struct enma_arena *a,
    struct dkim_sigtext *txt)
{
	struct enma_span	v;
	const char		*d;
	size_t			i, k = 0;
	int			has;

	v = tagval(tl, "d", &has);
	if (has && domain_of(v, a, &d))
		txt->d = d;
	v = tagval(tl, "s", &has);
	if (has && enma_domain_is_valid(v))
		txt->s = enma_arena_strndup(a, v.p, v.len);
	v = tagval(tl, "b", &has);
	for (i = 0; has && i < v.len && k < DKIM_B_PREFIX; i++) {
		int c = v.p[i];

		if (enma_isalnum(c) || c == '+' || c == '/' || c == '=')
			txt->b[k++] = (char)c;
		else if (!enma_iswsp(c) && c != '\r' && c != '\n')
			break;
	}
	txt->b[k] = '\0';
}

/* sig_basic - v=, the required tags, a= and c= */
static enma_status
sig_basic(const struct dkim_taglist *tl, struct dkim_sigrec *r,
    struct dkim_sigtext *txt, const char **why)
{
	struct enma_span	v, alg, bc;
	size_t			k, sl;
	int			has;

	v = tagval(tl, "v", &has);
	if (has && !enma_span_eq(v, ENMA_SPAN_LIT("1"))) {
		*why = "incompatible version: v= is not 1 (RFC 6376 6.1.1)";
		return ENMA_ESYNTAX;
	}
	for (k = 0; k < sizeof(required) / sizeof(required[0]); k++)
		if (dkim_tag_get(tl, required[k].tag) == NULL) {
			*why = required[k].why;
			return ENMA_ESYNTAX;
		}
	alg = tagval(tl, "a", &has);
	for (k = 0; k < sizeof(algs) / sizeof(algs[0]); k++)
		if (enma_span_caseeq_cstr(alg, algs[k].name))
			break;
	if (k == sizeof(algs) / sizeof(algs[0])) {
		*why = "unsupported algorithm in a= (RFC 6376 3.3, RFC 8463)";
		return ENMA_ESYNTAX;
	}
	r->alg = algs[k].alg;
	r->md = algs[k].md;
	r->ktype = algs[k].kt;
	txt->a = algs[k].name;
	v = tagval(tl, "c", &has);
	r->hcanon = r->bcanon = DKIM_CANON_SIMPLE;
	if (!has)
		return ENMA_OK;
	sl = enma_span_chr(v, '/');
	bc = sl < v.len ? enma_span_make(v.p + sl + 1, v.len - sl - 1) :
	    ENMA_SPAN_LIT("simple");
	v.len = sl;
	if ((!enma_span_caseeq_cstr(v, "simple") &&
	    !enma_span_caseeq_cstr(v, "relaxed")) ||
	    (!enma_span_caseeq_cstr(bc, "simple") &&
	    !enma_span_caseeq_cstr(bc, "relaxed"))) {
		*why = "unsupported canonicalization in c= (RFC 6376 3.4)";
		return ENMA_ESYNTAX;
	}
	r->hcanon = enma_span_caseeq_cstr(v, "relaxed");
	r->bcanon = enma_span_caseeq_cstr(bc, "relaxed");
	return ENMA_OK;
}

/* sig_crypto - bh= and b=, decoded and sized for the algorithm */
static enma_status
sig_crypto(const struct dkim_taglist *tl, struct enma_arena *a,
    struct dkim_sigrec *r, const char **why)
{
	struct enma_span	v;
	enma_status		st;
	int			has;

	v = tagval(tl, "bh", &has);
	st = dkim_base64(v, CRYPTO_MAX_DIGEST, a, &r->bh, &r->bhlen);
	if (st == ENMA_ENOMEM)
		return st;
	if (st != ENMA_OK || r->bhlen != crypto_md_size(r->md)) {
		*why = "bh= is not a digest of the a= hash (RFC 6376 3.5)";
		return ENMA_ESYNTAX;
	}
	r->bval = v = tagval(tl, "b", &has);
	st = dkim_base64(v, DKIM_MAX_SIG_BYTES, a, &r->b, &r->blen);
	if (st == ENMA_ENOMEM)
		return st;
	if (st != ENMA_OK || r->blen == 0) {
		*why = st == ENMA_ELIMIT ? "b= is longer than any key we "
		    "accept" : "b= is not base64 (RFC 6376 3.5)";
		return ENMA_ESYNTAX;
	}
	return ENMA_OK;
}

/* sig_identity - i=: the domain must be d= or below it (6.1.1) */
static enma_status
sig_identity(struct enma_span v, struct enma_arena *a,
    struct dkim_sigrec *r, struct dkim_sigtext *txt, const char **why)
{
	char		*i, *at;
	size_t		 n, dl, il, k;
	const char	*dom;
	enma_status	 st;

	if ((st = dkim_qp_decode(v, a, &i, &n)) == ENMA_ENOMEM)
		return st;
	if (st != ENMA_OK || (at = strrchr(i, '@')) == NULL ||
	    strlen(i) != n) {
		*why = "i= is not [local-part]@domain (RFC 6376 3.5)";
		return ENMA_ESYNTAX;
	}
	for (k = 0; k < n; k++)
		if ((unsigned char)i[k] < 0x20 || i[k] == 0x7f) {
			*why = "i= holds control characters";
			return ENMA_ESYNTAX;
		}
	*at = '\0';
	if (!domain_of(enma_span_from_cstr(at + 1), a, &dom)) {
		*why = "i= domain is not a domain name (RFC 6376 3.5)";
		return ENMA_ESYNTAX;
	}
	dl = strlen(r->d);
	il = strlen(dom);
	if (!(il == dl && strcmp(dom, r->d) == 0) && !(il > dl &&
	    dom[il - dl - 1] == '.' && strcmp(dom + il - dl, r->d) == 0)) {
		*why = "i= domain is not d= or a subdomain of it "
		    "(RFC 6376 6.1.1)";
		return ENMA_ESYNTAX;
	}
	r->i_local = i;
	r->i_domain = dom;
	r->i = txt->i = enma_arena_printf(a, "%s@%s", i, dom);
	return r->i != NULL ? ENMA_OK : ENMA_ENOMEM;
}

/* sig_domains - d=, s= and i= */
static enma_status
sig_domains(const struct dkim_taglist *tl, struct enma_arena *a,
    struct dkim_sigrec *r, struct dkim_sigtext *txt, const char **why)
{
	struct enma_span	v;
	int			has;

	if (txt->d == NULL) {
		*why = "d= is not a domain name (RFC 6376 3.5)";
		return ENMA_ESYNTAX;
	}
	if (txt->s == NULL) {
		*why = "s= is not a selector (RFC 6376 3.1)";
		return ENMA_ESYNTAX;
	}
	r->d = txt->d;
	r->s = txt->s;
	v = tagval(tl, "i", &has);
	if (has)
		return sig_identity(v, a, r, txt, why);
	r->i_local = "";	/* RFC 6376 3.5: default "@d" */
	r->i_domain = r->d;
	return ENMA_OK;
}

/* sig_headers - h=: field names, From among them (6.1.1) */
static enma_status
sig_headers(const struct dkim_taglist *tl, struct enma_arena *a,
    struct dkim_sigrec *r, const char **why)
{
	struct enma_span	v, e;
	size_t			pos = 0, n = 0;
	int			has, k, from = 0;

	v = tagval(tl, "h", &has);
	r->h = enma_arena_calloc(a, ENMA_DKIM_MAX_H_TAGS,
	    sizeof(struct enma_span));
	if (r->h == NULL)
		return ENMA_ENOMEM;
	while ((k = dkim_list_next(v, &pos, &e)) != 0) {
		if (k < 0 || !is_ftext(e)) {
			*why = "h= is not a list of field names "
			    "(RFC 6376 3.5)";
			return ENMA_ESYNTAX;
		}
		if (n == ENMA_DKIM_MAX_H_TAGS) {
			*why = "more h= entries than we verify";
			return ENMA_ELIMIT;
		}
		if (enma_span_caseeq_cstr(e, "from"))
			from = 1;
		r->h[n++] = e;
	}
	r->nh = n;
	if (!from) {
		*why = "From field not signed (RFC 6376 6.1.1)";
		return ENMA_ESYNTAX;
	}
	return ENMA_OK;
}

/* decimal - digits only; more than maxdig digits gives infinite */
static int
decimal(struct enma_span v, size_t maxdig, uint64_t *out)
{
	size_t i;

	for (i = 0; i < v.len; i++)
		if (!enma_isdigit(v.p[i]))
			return 0;
	if (v.len == 0)
		return 0;
	if (v.len > maxdig ||
	    enma_span_to_uint(v, UINT64_MAX, out) != ENMA_OK)
		*out = UINT64_MAX;
	return 1;
}

/* sig_options - l=, q=, t= and x= */
static enma_status
sig_options(const struct dkim_taglist *tl, int64_t now, unsigned skew,
    struct dkim_sigrec *r, const char **why)
{
	struct enma_span	v;
	uint64_t		u;
	int			has;

	v = tagval(tl, "l", &has);
	if ((r->has_l = has) && !decimal(v, DKIM_MAX_L_DIGITS, &r->l)) {
		*why = "l= is not a decimal number (RFC 6376 3.5)";
		return ENMA_ESYNTAX;
	}
	v = tagval(tl, "q", &has);
	if (has && dkim_list_has(v, "dns/txt") != 1) {
		*why = "q= lists no query method we know (RFC 6376 3.5)";
		return ENMA_ESYNTAX;
	}
	v = tagval(tl, "t", &has);
	if (has) {
		if (!decimal(v, DKIM_MAX_TAG_DIGITS, &u)) {
			*why = "t= is not a time (RFC 6376 3.5)";
			return ENMA_ESYNTAX;
		}
		r->t = u > (uint64_t)DKIM_INFINITE_TIME ?
		    DKIM_INFINITE_TIME : (int64_t)u;
		if (r->t > now && r->t - now > (int64_t)skew) {
			*why = "t= is in the future (RFC 6376 3.5)";
			return ENMA_ESYNTAX;
		}
	}
	v = tagval(tl, "x", &has);
	if (has) {
		if (!decimal(v, DKIM_MAX_TAG_DIGITS, &u)) {
			*why = "x= is not a time (RFC 6376 3.5)";
			return ENMA_ESYNTAX;
		}
		r->x = u > (uint64_t)DKIM_INFINITE_TIME ?
		    DKIM_INFINITE_TIME : (int64_t)u;
		if (r->t >= 0 && r->x <= r->t) {
			*why = "x= is not after t= (RFC 6376 3.5)";
			return ENMA_ESYNTAX;
		}
	}
	return ENMA_OK;
}

/* dkim_sig_parse - one DKIM-Signature field */
enma_status
dkim_sig_parse(const struct enma_header *hdr, size_t hidx, int64_t now,
    unsigned skew, struct enma_arena *a, struct dkim_sigrec *r,
    struct dkim_sigtext *txt, const char **why)
{
	struct dkim_taglist	tl;
	enma_status		st;

	memset(r, 0, sizeof(*r));
	memset(txt, 0, sizeof(*txt));
	r->hdr = hdr;
	r->hidx = hidx;
	r->t = r->x = -1;
	*why = NULL;
	if (dkim_tags_parse(hdr->value, &tl, why) != ENMA_OK)
		return ENMA_ESYNTAX;
	sig_text(&tl, a, txt);
	if ((st = sig_basic(&tl, r, txt, why)) != ENMA_OK ||
	    (st = sig_domains(&tl, a, r, txt, why)) != ENMA_OK ||
	    (st = sig_headers(&tl, a, r, why)) != ENMA_OK ||
	    (st = sig_options(&tl, now, skew, r, why)) != ENMA_OK ||
	    (st = sig_crypto(&tl, a, r, why)) != ENMA_OK)
		return st;
	return ENMA_OK;
}
