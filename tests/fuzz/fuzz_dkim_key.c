/*
 * fuzz_dkim_key.c - DKIM key records (RFC 6376 3.6.1) on arbitrary
 * bytes: parsing, the checks against a signature, decoding p= (with
 * and without the cache)
 *
 * Properties: a refused record always has a reason; a usable key has
 * a size within our bounds; the cache gives the same answer as a fresh
 * decode.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dkim_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* decode - p= through the cache, then again; both answers agree */
static void
decode(const struct dkim_keyrec *k, struct enma_arena *a)
{
	static struct enma_dkim_keycache *cache;
	struct crypto_pkey	*key = NULL, *key2 = NULL;
	unsigned		 bits = 0, bits2 = 0;
	const char		*why = NULL;
	enma_status		 st, st2;

	if (cache == NULL)
		cache = enma_dkim_keycache_new(4);
	st = dkim_key_decode(NULL, k, a, &key, &bits, &why);
	check(st == ENMA_OK || (why != NULL && key == NULL));
	if (st == ENMA_OK)
		check(bits > 0 && bits <= ENMA_DKIM_MAX_RSA_BITS);
	st2 = dkim_key_decode(cache, k, a, &key2, &bits2, &why);
	check(st2 == st && bits2 == bits);
	crypto_pkey_free(key);
	crypto_pkey_free(key2);
	if (st == ENMA_OK && cache != NULL) {
		st2 = dkim_key_decode(cache, k, a, &key2, &bits2, &why);
		check(st2 == ENMA_OK && bits2 == bits);
		crypto_pkey_free(key2);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum crypto_md mds[] = {
		CRYPTO_MD_SHA1, CRYPTO_MD_SHA256
	};
	struct enma_arena	*a = enma_arena_new(1024 * 1024);
	struct dkim_keyrec	 k;
	struct dkim_sigrec	 r;
	const char		*why = NULL;
	size_t			 i;

	if (a == NULL)
		return 0;
	if (dkim_key_parse(enma_span_make(data, size), &k, &why) != ENMA_OK) {
		check(why != NULL && why[0] != '\0');
		enma_arena_free(a);
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.d = "example.com";
	r.i_domain = "mail.example.com";
	r.i_local = "jlong";
	for (i = 0; i < 4; i++) {
		r.md = mds[i % 2];
		r.ktype = i < 2 ? CRYPTO_KEY_RSA : CRYPTO_KEY_ED25519;
		why = NULL;
		if (!dkim_key_applies(&k, &r, (int)(i & 1), &why))
			check(why != NULL);
	}
	if (k.ktype != CRYPTO_KEY_NONE && k.p.len > 0)
		decode(&k, a);
	enma_arena_free(a);
	return 0;
}
