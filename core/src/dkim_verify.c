/*
 * dkim_verify.c - the streaming DKIM verifier (RFC 6376 6.1) and its
 * verdicts (RFC 8601 2.7.1)
 *
 * Signatures are parsed when the header arrives; the body is hashed as
 * it streams, once per distinct (canonicalisation, hash, l=) among the
 * usable signatures; finish does the key lookups and the header hashes.
 *
 * Verdicts, in the order the checks run:
 *	neutral		the field fails 6.1.1 (dkim_sig.c)
 *	policy		the field is over one of our bounds (h= entries)
 *	temperror	the key lookup failed temporarily (6.1.2 step 2), or
 *			something failed on our side (memory)
 *	permerror	no key (NXDOMAIN, no TXT), no usable key record,
 *			a key that does not apply (h=, k=, s=, t=s, g=),
 *			revoked, undecodable, or over 8192 bits (6.1.2)
 *	fail		body hash or signature does not verify (6.1.3); also
 *			an l= longer than the canonical body
 *	policy		verifies, but rsa-sha1 (RFC 8301 3.1), an RSA key
 *			under min_rsa_bits (RFC 8301 3.2), or x= passed
 *			more than clock_skew ago, unless the policy allows
 *	pass
 * Several TXT records at the key's name: the first that is a valid key
 * record is used (6.1.2 step 4 leaves the choice).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dkim_int.h"

#define VERIFY_MAX_KEYNAME	ENMA_DNS_MAX_NAME

enum vstate {
	VS_CHECK = 1,		/* usable: to be verified at finish */
	VS_DONE			/* verdict already given */
};

/* One body hash shared by the signatures that ask for the same one. */
struct vbody {
	enum dkim_canon		 canon;
	enum crypto_md		 md;
	int			 has_l;
	uint64_t		 l;
	struct dkim_body_canon	 bc;
	struct dkim_hashsink	 hs;
	unsigned char		 digest[CRYPTO_MAX_DIGEST];
	size_t			 dlen;
	enma_status		 err;
};

struct vsig {
	struct dkim_sigrec	 rec;
	enum vstate		 state;
	struct vbody		*body;
	int			 testing;
};

struct enma_dkim_verifier {
	struct enma_dkim_policy	 pol;
	struct enma_dkim_keycache *cache;
	struct enma_arena	*arena;
	const struct enma_header *hdrs;
	size_t			 nhdrs;
	struct vsig		*vs;
	struct enma_dkim_sig	*out;
	size_t			 nsig;
	size_t			 skipped;
	struct vbody		*body[DKIM_MAX_SIGNATURES_HARD];
	size_t			 nbody;
	int			 have_headers;
	int			 finished;
};

static const char *const dkim_words[] = {
	[ENMA_DKIM_UNSET] = "unset",
	[ENMA_DKIM_NONE] = "none",
	[ENMA_DKIM_PASS] = "pass",
	[ENMA_DKIM_FAIL] = "fail",
	[ENMA_DKIM_NEUTRAL] = "neutral",
	[ENMA_DKIM_POLICY] = "policy",
	[ENMA_DKIM_TEMPERROR] = "temperror",
	[ENMA_DKIM_PERMERROR] = "permerror",
};

/* enma_dkim_result_to_text - the RFC 8601 word */
const char *
enma_dkim_result_to_text(enum enma_dkim_result r)
{
	if ((unsigned)r >= sizeof(dkim_words) / sizeof(dkim_words[0]))
		return "unset";
	return dkim_words[r];
}

/* policy_defaults - zero fields take their documented defaults */
static void
policy_defaults(struct enma_dkim_policy *p)
{
	if (p->max_signatures == 0)
		p->max_signatures = ENMA_DKIM_MAX_SIGNATURES;
	if (p->max_signatures > DKIM_MAX_SIGNATURES_HARD)
		p->max_signatures = DKIM_MAX_SIGNATURES_HARD;
	if (p->min_rsa_bits == 0)
		p->min_rsa_bits = ENMA_DKIM_MIN_RSA_BITS;
	if (p->clock_skew == 0)
		p->clock_skew = ENMA_DKIM_CLOCK_SKEW;
}

/* enma_dkim_verifier_new - a verifier for one message */
enma_status
enma_dkim_verifier_new(const struct enma_dkim_policy *pol,
    struct enma_dkim_keycache *cache, struct enma_arena *a,
    struct enma_dkim_verifier **out)
{
	struct enma_dkim_verifier *v;

	*out = NULL;
	if (a == NULL)
		return ENMA_EINVAL;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return ENMA_ENOMEM;
	if (pol != NULL)
		v->pol = *pol;
	policy_defaults(&v->pol);
	v->cache = cache;
	v->arena = a;
	*out = v;
	return ENMA_OK;
}

/* enma_dkim_verifier_free - the hash contexts; NULL is a no-op */
void
enma_dkim_verifier_free(struct enma_dkim_verifier *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nbody; i++) {
		crypto_hash_free(v->body[i]->hs.hash);
		free(v->body[i]);
	}
	free(v);
}

/* now_of - the verification time */
static int64_t
now_of(const struct enma_dkim_verifier *v)
{
	return v->pol.now != 0 ? v->pol.now : (int64_t)time(NULL);
}

/* body_for - the body hash a signature needs, shared when it can be */
static enma_status
body_for(struct enma_dkim_verifier *v, struct vsig *s)
{
	const struct dkim_sigrec	*r = &s->rec;
	struct vbody			*b;
	size_t				 i;
	enma_status			 st;

	for (i = 0; i < v->nbody; i++) {
		b = v->body[i];
		if (b->canon == r->bcanon && b->md == r->md &&
		    b->has_l == r->has_l && (!r->has_l || b->l == r->l)) {
			s->body = b;
			return ENMA_OK;
		}
	}
	if (v->nbody == DKIM_MAX_SIGNATURES_HARD ||
	    (b = calloc(1, sizeof(*b))) == NULL)
		return ENMA_ENOMEM;
	if ((st = crypto_hash_new(r->md, &b->hs.hash)) != ENMA_OK) {
		free(b);
		return st;
	}
	b->canon = r->bcanon;
	b->md = r->md;
	b->has_l = r->has_l;
	b->l = r->l;
	b->hs.limit = r->has_l ? r->l : UINT64_MAX;
	dkim_body_canon_init(&b->bc, r->bcanon, dkim_hashsink_fn, &b->hs);
	v->body[v->nbody++] = b;
	s->body = b;
	return ENMA_OK;
}

/* verdict - the signature's result and its reason (static or in the
 * arena), with the key's testing mode added to the reason */
static void
verdict(struct enma_dkim_verifier *v, size_t k, enum enma_dkim_result r,
    const char *why)
{
	struct enma_dkim_sig *o = &v->out[k];

	v->vs[k].state = VS_DONE;
	o->result = r;
	if (r == ENMA_DKIM_PASS)
		o->reason = NULL;
	else if (v->vs[k].testing)
		o->reason = enma_arena_printf(v->arena,
		    "%s; key in testing mode (t=y)", why);
	else
		o->reason = why;
	if (r != ENMA_DKIM_PASS && o->reason == NULL)
		o->reason = "out of memory";
}

/* add_sig - parse one DKIM-Signature field */
static enma_status
add_sig(struct enma_dkim_verifier *v, size_t hidx)
{
	struct dkim_sigtext	 txt;
	struct vsig		*s = &v->vs[v->nsig];
	struct enma_dkim_sig	*o = &v->out[v->nsig];
	const char		*why;
	enma_status		 st;
	size_t			 k = v->nsig++;

	st = dkim_sig_parse(&v->hdrs[hidx], hidx, now_of(v),
	    v->pol.clock_skew, v->arena, &s->rec, &txt, &why);
	o->d = txt.d;
	o->s = txt.s;
	o->i = txt.i;
	o->a = txt.a;
	o->b = txt.b[0] != '\0' ? enma_arena_strdup(v->arena, txt.b) : NULL;
	if (st == ENMA_ENOMEM) {
		verdict(v, k, ENMA_DKIM_TEMPERROR, "out of memory");
		return st;
	}
	if (st == ENMA_ESYNTAX)
		verdict(v, k, ENMA_DKIM_NEUTRAL, why);
	else if (st == ENMA_ELIMIT)
		verdict(v, k, ENMA_DKIM_POLICY, why);
	else {
		s->state = VS_CHECK;
		if ((st = body_for(v, s)) != ENMA_OK)
			verdict(v, k, ENMA_DKIM_TEMPERROR, "out of memory");
		return st;
	}
	return ENMA_OK;
}

/* enma_dkim_verifier_headers - every header field, once */
enma_status
enma_dkim_verifier_headers(struct enma_dkim_verifier *v,
    const struct enma_header *h, size_t n)
{
	size_t		i, count = 0;
	enma_status	st;

	if (v->have_headers || (h == NULL && n > 0))
		return ENMA_EINVAL;
	v->have_headers = 1;
	v->hdrs = h;
	v->nhdrs = n;
	for (i = 0; i < n; i++)
		if (enma_span_caseeq_cstr(h[i].name, "DKIM-Signature"))
			count++;
	if (count > v->pol.max_signatures) {
		v->skipped = count - v->pol.max_signatures;
		count = v->pol.max_signatures;
	}
	if (count == 0)
		return ENMA_OK;
	v->vs = enma_arena_calloc(v->arena, count, sizeof(*v->vs));
	v->out = enma_arena_calloc(v->arena, count, sizeof(*v->out));
	if (v->vs == NULL || v->out == NULL)
		return ENMA_ENOMEM;
	for (i = 0; i < n && v->nsig < count; i++)
		if (enma_span_caseeq_cstr(h[i].name, "DKIM-Signature") &&
		    (st = add_sig(v, i)) != ENMA_OK)
			return st;
	return ENMA_OK;
}

/* enma_dkim_verifier_body - a chunk of the body into every body hash */
enma_status
enma_dkim_verifier_body(struct enma_dkim_verifier *v, struct enma_span b)
{
	size_t i;

	if (!v->have_headers || v->finished)
		return ENMA_EINVAL;
	for (i = 0; i < v->nbody; i++)
		dkim_body_canon_update(&v->body[i]->bc, b.p, b.len);
	return ENMA_OK;
}

/* key_lookup - the TXT records at s._domainkey.d (RFC 6376 3.6.2.1) */
static int
key_lookup(struct enma_dkim_verifier *v, size_t k, struct enma_dns_ctx *dns,
    struct enma_dns_answer *ans)
{
	const struct dkim_sigrec	*r = &v->vs[k].rec;
	char				 name[VERIFY_MAX_KEYNAME + 2];
	int				 n;

	n = snprintf(name, sizeof(name), "%s._domainkey.%s", r->s, r->d);
	if (n < 0 || (size_t)n > VERIFY_MAX_KEYNAME) {
		verdict(v, k, ENMA_DKIM_PERMERROR, "key name longer than "
		    "255 octets (RFC 1035 2.3.4)");
		return 0;
	}
	if (dns == NULL) {
		verdict(v, k, ENMA_DKIM_TEMPERROR, "no resolver");
		return 0;
	}
	if (enma_dns_lookup(dns, name, ENMA_DNS_TXT, v->arena, ans) !=
	    ENMA_OK) {
		verdict(v, k, ENMA_DKIM_TEMPERROR, "out of memory");
		return 0;
	}
	switch (ans->rcode) {
	case ENMA_DNS_RECORDS:
		return 1;
	case ENMA_DNS_NXDOMAIN:
	case ENMA_DNS_NODATA:
		verdict(v, k, ENMA_DKIM_PERMERROR, enma_arena_printf(v->arena,
		    "no key for signature at %s (RFC 6376 6.1.2 step 3)",
		    name));
		return 0;
	case ENMA_DNS_TEMPFAIL:
		verdict(v, k, ENMA_DKIM_TEMPERROR, enma_arena_printf(v->arena,
		    "key lookup for %s failed: DNS %s (RFC 6376 6.1.2 "
		    "step 2)", name, ans->why != NULL ? ans->why :
		    "temporary failure"));
		return 0;
	default:
		verdict(v, k, ENMA_DKIM_PERMERROR, enma_arena_printf(v->arena,
		    "key lookup for %s failed: DNS %s", name,
		    ans->why != NULL ? ans->why : "permanent failure"));
		return 0;
	}
}

/* key_choose - the first TXT record that is a key record (6.1.2) */
static int
key_choose(struct enma_dkim_verifier *v, size_t k,
    const struct enma_dns_answer *ans, struct dkim_keyrec *key)
{
	const char	*why = NULL, *first = NULL;
	size_t		 i;

	for (i = 0; i < ans->count; i++) {
		if (ans->rr[i].type != ENMA_DNS_TXT)
			continue;
		if (dkim_key_parse(enma_span_make(ans->rr[i].txt,
		    ans->rr[i].txtlen), key, &why) == ENMA_OK)
			return 1;
		if (first == NULL)
			first = why;
	}
	verdict(v, k, ENMA_DKIM_PERMERROR, enma_arena_printf(v->arena,
	    "key record ignored: %s", first != NULL ? first :
	    "no TXT record (RFC 6376 6.1.2 step 5)"));
	return 0;
}

/* header_hash - h= fields and the signature itself (RFC 6376 3.7) */
static enma_status
header_hash(struct enma_dkim_verifier *v, const struct dkim_sigrec *r,
    unsigned char *dg, size_t *dlen)
{
	struct dkim_hashsink		 hs;
	const struct enma_header	*f;
	size_t				 k;
	enma_status			 st;

	memset(&hs, 0, offsetof(struct dkim_hashsink, stage));
	hs.limit = UINT64_MAX;
	if ((st = crypto_hash_new(r->md, &hs.hash)) != ENMA_OK)
		return st;
	for (k = 0; k < r->nh; k++)
		if ((f = dkim_header_select(v->hdrs, v->nhdrs, r->hidx, r->h,
		    k)) != NULL)
			dkim_header_canon(f, r->hcanon,
			    enma_span_make(NULL, 0), dkim_hashsink_fn, &hs);
	dkim_header_canon(r->hdr, r->hcanon, r->bval, dkim_hashsink_fn, &hs);
	st = dkim_hashsink_final(&hs, dg, dlen);
	crypto_hash_free(hs.hash);
	return st;
}

/* check_body - the body hash, RFC 6376 6.1.3 step 3 */
static int
check_body(struct enma_dkim_verifier *v, size_t k)
{
	const struct dkim_sigrec	*r = &v->vs[k].rec;
	const struct vbody		*b = v->vs[k].body;

	if (b->err != ENMA_OK) {
		verdict(v, k, ENMA_DKIM_TEMPERROR, "body hash: out of memory");
		return 0;
	}
	if (r->has_l && b->hs.total < r->l) {
		verdict(v, k, ENMA_DKIM_FAIL, enma_arena_printf(v->arena,
		    "l=%llu is longer than the %llu-byte canonical body "
		    "(RFC 6376 3.5)", (unsigned long long)r->l,
		    (unsigned long long)b->hs.total));
		return 0;
	}
	v->out[k].partial_body = r->has_l && b->hs.total > r->l;
	if (r->bhlen != b->dlen || memcmp(r->bh, b->digest, b->dlen) != 0) {
		verdict(v, k, ENMA_DKIM_FAIL, "body hash did not verify "
		    "(RFC 6376 6.1.3 step 3)");
		return 0;
	}
	return 1;
}

/* check_key - lookup, record, applicability and the decoded key */
static struct crypto_pkey *
check_key(struct enma_dkim_verifier *v, size_t k, struct enma_dns_ctx *dns)
{
	struct enma_dns_answer	 ans;
	struct dkim_keyrec	 key;
	struct crypto_pkey	*pk = NULL;
	const char		*why = NULL;
	enma_status		 st;

	if (!key_lookup(v, k, dns, &ans) || !key_choose(v, k, &ans, &key))
		return NULL;
	v->vs[k].testing = v->out[k].testing = key.testing == 1;
	if (!dkim_key_applies(&key, &v->vs[k].rec, v->pol.rfc4871_compatible,
	    &why)) {
		verdict(v, k, ENMA_DKIM_PERMERROR, why);
		return NULL;
	}
	st = dkim_key_decode(v->cache, &key, v->arena, &pk,
	    &v->out[k].key_bits, &why);
	if (st == ENMA_ENOMEM)
		verdict(v, k, ENMA_DKIM_TEMPERROR, "key: out of memory");
	else if (st != ENMA_OK)
		verdict(v, k, ENMA_DKIM_PERMERROR, why);
	return pk;
}

/* check_policy - what a verified signature may still be refused for */
static void
check_policy(struct enma_dkim_verifier *v, size_t k)
{
	const struct dkim_sigrec	*r = &v->vs[k].rec;
	unsigned			 bits = v->out[k].key_bits;
	int64_t				 now = now_of(v);
	char				 why[256];
	size_t				 n;

	why[0] = '\0';
	if (r->md == CRYPTO_MD_SHA1 && !v->pol.allow_sha1)
		(void)snprintf(why, sizeof(why), "; rsa-sha1 is not accepted "
		    "(RFC 8301 3.1)");
	n = strlen(why);
	if (r->ktype == CRYPTO_KEY_RSA && bits < v->pol.min_rsa_bits)
		(void)snprintf(why + n, sizeof(why) - n, "; %u-bit RSA key "
		    "is under %u bits (RFC 8301 3.2)", bits,
		    v->pol.min_rsa_bits);
	n = strlen(why);
	if (r->x >= 0 && !v->pol.accept_expired && r->x < now &&
	    now - r->x > (int64_t)v->pol.clock_skew)
		(void)snprintf(why + n, sizeof(why) - n, "; signature "
		    "expired (RFC 6376 3.5 x=)");
	if (why[0] == '\0')
		verdict(v, k, ENMA_DKIM_PASS, NULL);
	else
		verdict(v, k, ENMA_DKIM_POLICY, enma_arena_printf(v->arena,
		    "verifies, but %s", why + 2));
}

/* check_sig - RFC 6376 6.1.2 and 6.1.3 for one usable signature */
static void
check_sig(struct enma_dkim_verifier *v, size_t k, struct enma_dns_ctx *dns)
{
	const struct dkim_sigrec	*r = &v->vs[k].rec;
	struct crypto_pkey		*pk;
	unsigned char			 dg[CRYPTO_MAX_DIGEST];
	size_t				 dlen = 0;
	enma_status			 st;

	if ((pk = check_key(v, k, dns)) == NULL)
		return;
	if (check_body(v, k)) {
		st = header_hash(v, r, dg, &dlen);
		if (st == ENMA_OK)
			st = crypto_verify(pk, r->md, dg, dlen, r->b, r->blen);
		if (st == ENMA_EPERM)
			verdict(v, k, ENMA_DKIM_FAIL, "signature did not "
			    "verify (RFC 6376 6.1.3 step 4)");
		else if (st != ENMA_OK)
			verdict(v, k, ENMA_DKIM_TEMPERROR, "verification "
			    "failed on our side");
		else
			check_policy(v, k);
	}
	crypto_pkey_free(pk);
}

/* body_final - close every body hash */
static void
body_final(struct enma_dkim_verifier *v)
{
	struct vbody	*b;
	size_t		 i;

	for (i = 0; i < v->nbody; i++) {
		b = v->body[i];
		dkim_body_canon_final(&b->bc);
		b->err = dkim_hashsink_final(&b->hs, b->digest, &b->dlen);
	}
}

/* enma_dkim_verifier_finish - lookups and checks */
enma_status
enma_dkim_verifier_finish(struct enma_dkim_verifier *v,
    struct enma_dns_ctx *dns, const struct enma_dkim_sig **sigs,
    size_t *nsigs, size_t *skipped)
{
	size_t k;

	*sigs = NULL;
	*nsigs = 0;
	*skipped = 0;
	if (v->finished)
		return ENMA_EINVAL;
	v->finished = 1;
	body_final(v);
	for (k = 0; k < v->nsig; k++)
		if (v->vs[k].state == VS_CHECK)
			check_sig(v, k, dns);
	*sigs = v->out;
	*nsigs = v->nsig;
	*skipped = v->skipped;
	return ENMA_OK;
}
