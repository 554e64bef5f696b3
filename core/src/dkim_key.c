/*
 * dkim_key.c - DKIM key records (RFC 6376 3.6.1, 6.1.2) and the cache of
 * decoded public keys
 *
 * Decisions:
 *	- unknown k= types parse (the record is well formed) and then fail
 *	  6.1.2 step 8 as not suitable for the signature's algorithm;
 *	- unknown h=, s= and t= words are ignored (3.6.1), but a list that
 *	  does not follow the colon-list grammar makes the record invalid;
 *	- g= (RFC 4871 3.6.1, dropped by RFC 6376) is read always and
 *	  applied only under dkim.rfc4871_compatible, case-sensitively, with
 *	  one optional '*'; an empty g= matches nothing (RFC 4871);
 *	- t=y (testing) changes no verdict (3.6.1: "MUST NOT treat messages
 *	  from Signers in testing mode differently"); it is reported.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_int.h"

/* An entry: the p= text as published, and the key it decodes to. */
struct keycache_ent {
	unsigned char		*text;
	size_t			 len;
	uint64_t		 hash;
	struct crypto_pkey	*key;
	unsigned		 bits;
	enum crypto_keytype	 type;
};

#define KEYCACHE_HASHED		64	/* bytes of p= hashed for the slot */

struct enma_dkim_keycache {
	pthread_mutex_t		 lock;
	size_t			 n;
	struct keycache_ent	*ent;
};

/* key_list - a colon list tag: has, and the word found */
static int
key_list(const struct dkim_taglist *tl, const char *tag, const char *word,
    int *has, struct enma_span *val)
{
	const struct dkim_tag *t = dkim_tag_get(tl, tag);

	*has = t != NULL;
	if (t == NULL)
		return 0;
	if (val != NULL)
		*val = t->value;
	return dkim_list_has(t->value, word);
}

/* key_type - k= (3.6.1; RFC 8463 4.1): rsa is the default */
static enum crypto_keytype
key_type(const struct dkim_taglist *tl)
{
	const struct dkim_tag *t = dkim_tag_get(tl, "k");

	if (t == NULL || enma_span_caseeq_cstr(t->value, "rsa"))
		return CRYPTO_KEY_RSA;
	if (enma_span_caseeq_cstr(t->value, "ed25519"))
		return CRYPTO_KEY_ED25519;
	return CRYPTO_KEY_NONE;
}

/* key_lists - h=, s= and t= */
static enma_status
key_lists(const struct dkim_taglist *tl, struct dkim_keyrec *k,
    const char **why)
{
	int has, r, star;

	if (key_list(tl, "h", "sha256", &k->has_h, &k->h) < 0) {
		*why = "key h= is not a list (RFC 6376 3.6.1)";
		return ENMA_ESYNTAX;
	}
	r = key_list(tl, "s", "email", &has, NULL);
	star = key_list(tl, "s", "*", &has, NULL);
	if (r < 0 || star < 0) {
		*why = "key s= is not a list (RFC 6376 3.6.1)";
		return ENMA_ESYNTAX;
	}
	k->service_ok = !has || r == 1 || star == 1;
	k->testing = key_list(tl, "t", "y", &has, NULL);
	k->strict = key_list(tl, "t", "s", &has, NULL);
	if (k->testing < 0 || k->strict < 0) {
		*why = "key t= is not a list (RFC 6376 3.6.1)";
		return ENMA_ESYNTAX;
	}
	return ENMA_OK;
}

/* dkim_key_parse - one key record */
enma_status
dkim_key_parse(struct enma_span rec, struct dkim_keyrec *k,
    const char **why)
{
	struct dkim_taglist	 tl;
	const struct dkim_tag	*t;

	memset(k, 0, sizeof(*k));
	*why = NULL;
	if (dkim_tags_parse(rec, &tl, why) != ENMA_OK)
		return ENMA_ESYNTAX;
	if ((t = dkim_tag_get(&tl, "v")) != NULL) {
		if (t != &tl.tag[0]) {
			*why = "key v= is not the first tag (RFC 6376 3.6.1)";
			return ENMA_ESYNTAX;
		}
		if (!enma_span_eq(t->value, ENMA_SPAN_LIT("DKIM1"))) {
			*why = "key v= is not DKIM1 (RFC 6376 3.6.1)";
			return ENMA_ESYNTAX;
		}
	}
	if ((t = dkim_tag_get(&tl, "p")) == NULL) {
		*why = "key record has no p= (RFC 6376 3.6.1)";
		return ENMA_ESYNTAX;
	}
	k->p = t->value;
	k->ktype = key_type(&tl);
	if ((t = dkim_tag_get(&tl, "g")) != NULL) {
		k->has_g = 1;
		k->g = t->value;
	}
	return key_lists(&tl, k, why);
}

/* g_match - RFC 4871 3.6.1 g=: one optional '*' for any characters */
static int
g_match(struct enma_span g, const char *local)
{
	size_t	star = enma_span_chr(g, '*'), n = strlen(local), suf;

	if (g.len == 0)
		return 0;		/* "an empty g= never matches" */
	if (star == g.len)
		return g.len == n && memcmp(g.p, local, n) == 0;
	suf = g.len - star - 1;
	if (enma_span_chr(enma_span_make(g.p + star + 1, suf), '*') < suf)
		return 0;
	return n >= star + suf && memcmp(g.p, local, star) == 0 &&
	    memcmp(g.p + star + 1, local + n - suf, suf) == 0;
}

/* dkim_key_applies - RFC 6376 6.1.2 steps 6-8 and the 3.6.1 flags */
int
dkim_key_applies(const struct dkim_keyrec *k, const struct dkim_sigrec *r,
    int rfc4871, const char **why)
{
	const char *hash = r->md == CRYPTO_MD_SHA1 ? "sha1" : "sha256";

	if (k->has_h && dkim_list_has(k->h, hash) != 1)
		*why = "key h= does not list the signature's hash "
		    "(RFC 6376 6.1.2 step 6)";
	else if (k->p.len == 0)
		*why = "key revoked: empty p= (RFC 6376 6.1.2 step 7)";
	else if (k->ktype != r->ktype)
		*why = "key type k= does not suit a= "
		    "(RFC 6376 6.1.2 step 8)";
	else if (!k->service_ok)
		*why = "key s= does not include email (RFC 6376 3.6.1)";
	else if (k->strict && strcmp(r->i_domain, r->d) != 0)
		*why = "key t=s forbids an i= domain other than d= "
		    "(RFC 6376 3.6.1)";
	else if (rfc4871 && k->has_g && !g_match(k->g, r->i_local))
		*why = "key g= does not match the i= local-part "
		    "(RFC 4871 3.6.1)";
	else
		return 1;
	return 0;
}

/*
 * fnv - the cache slot: FNV-1a over the key type, the length and the
 * last KEYCACHE_HASHED bytes (where keys of the same size differ: the
 * modulus; a collision only costs a compare)
 */
static uint64_t
fnv(enum crypto_keytype type, const unsigned char *p, size_t n)
{
	uint64_t	h = 0xcbf29ce484222325ULL ^ (uint64_t)type;
	size_t		i = n > KEYCACHE_HASHED ? n - KEYCACHE_HASHED : 0;

	h = (h ^ (uint64_t)n) * 0x100000001b3ULL;
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* cache_get - a held reference to a cached key, or NULL */
static struct crypto_pkey *
cache_get(struct enma_dkim_keycache *c, enum crypto_keytype type,
    struct enma_span text, uint64_t h, unsigned *bits)
{
	struct keycache_ent	*e = &c->ent[h % c->n];
	struct crypto_pkey	*k = NULL;

	pthread_mutex_lock(&c->lock);
	if (e->key != NULL && e->hash == h && e->type == type &&
	    e->len == text.len && memcmp(e->text, text.p, text.len) == 0) {
		k = e->key;
		crypto_pkey_ref(k);
		*bits = e->bits;
	}
	pthread_mutex_unlock(&c->lock);
	return k;
}

/* cache_put - keep a key in its slot, replacing what was there */
static void
cache_put(struct enma_dkim_keycache *c, enum crypto_keytype type,
    struct enma_span text, uint64_t h, struct crypto_pkey *k, unsigned bits)
{
	struct keycache_ent	*e = &c->ent[h % c->n], old;
	unsigned char		*copy;

	if ((copy = malloc(text.len + 1)) == NULL)
		return;
	memcpy(copy, text.p, text.len);
	crypto_pkey_ref(k);
	pthread_mutex_lock(&c->lock);
	old = *e;
	e->text = copy;
	e->len = text.len;
	e->hash = h;
	e->type = type;
	e->key = k;
	e->bits = bits;
	pthread_mutex_unlock(&c->lock);
	crypto_pkey_free(old.key);
	free(old.text);
}

/*
 * dkim_key_decode - the key of p=, cached by the p= text as published:
 * a hit costs no base64 decoding and no DER reading
 */
enma_status
dkim_key_decode(struct enma_dkim_keycache *c, const struct dkim_keyrec *k,
    struct enma_arena *a, struct crypto_pkey **key, unsigned *bits,
    const char **why)
{
	unsigned char	*der;
	size_t		 len;
	uint64_t	 h = 0;
	enma_status	 st;

	*key = NULL;
	if (c != NULL) {
		h = fnv(k->ktype, k->p.p, k->p.len);
		if ((*key = cache_get(c, k->ktype, k->p, h, bits)) != NULL)
			return ENMA_OK;
	}
	st = dkim_base64(k->p, DKIM_MAX_KEY_BYTES, a, &der, &len);
	if (st == ENMA_ENOMEM)
		return st;
	if (st != ENMA_OK) {
		*why = st == ENMA_ELIMIT ? "key p= is longer than any key we "
		    "accept" : "key p= is not base64 (RFC 6376 3.6.1)";
		return st;
	}
	st = crypto_pkey_from_der(k->ktype, der, len, key, bits);
	if (st == ENMA_OK && k->ktype == CRYPTO_KEY_RSA &&
	    *bits > ENMA_DKIM_MAX_RSA_BITS) {
		crypto_pkey_free(*key);
		*key = NULL;
		st = ENMA_ELIMIT;
	}
	if (st == ENMA_ELIMIT)
		*why = "RSA key larger than 8192 bits";
	else if (st != ENMA_OK)
		*why = k->ktype == CRYPTO_KEY_ED25519 ? "key p= is not a "
		    "32-byte Ed25519 key (RFC 8463 4.2)" : "key p= is not an "
		    "RSA public key (RFC 6376 3.6.1)";
	if (st == ENMA_OK && c != NULL)
		cache_put(c, k->ktype, k->p, h, *key, *bits);
	return st;
}

/* enma_dkim_keycache_new - a cache of at most entries keys */
struct enma_dkim_keycache *
enma_dkim_keycache_new(size_t entries)
{
	struct enma_dkim_keycache *c;

	if (entries == 0)
		entries = DKIM_KEYCACHE_DEFAULT;
	if (entries > DKIM_KEYCACHE_MAX)
		entries = DKIM_KEYCACHE_MAX;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->ent = calloc(entries, sizeof(*c->ent))) == NULL ||
	    pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->ent);
		free(c);
		return NULL;
	}
	c->n = entries;
	return c;
}

/* enma_dkim_keycache_free - NULL is a no-op */
void
enma_dkim_keycache_free(struct enma_dkim_keycache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		crypto_pkey_free(c->ent[i].key);
		free(c->ent[i].text);
	}
	pthread_mutex_destroy(&c->lock);
	free(c->ent);
	free(c);
}
