/*
 * crypto.h - the one door to OpenSSL: digests, public keys, verification
 *
 * Everything that touches libcrypto lives in crypto.c (STYLE.md 11).
 * The rest of the core sees opaque hash and key objects, and the DER
 * reading of a DKIM p= value into an RSA modulus and exponent.
 */
#ifndef ENMA_CRYPTO_H
#define ENMA_CRYPTO_H

#include <enma/util.h>

enum crypto_md {
	CRYPTO_MD_NONE = 0,
	CRYPTO_MD_SHA1,
	CRYPTO_MD_SHA256
};

enum crypto_keytype {
	CRYPTO_KEY_NONE = 0,
	CRYPTO_KEY_RSA,
	CRYPTO_KEY_ED25519
};

#define CRYPTO_MAX_DIGEST	32	/* SHA-256 */
#define CRYPTO_ED25519_KEYLEN	32	/* RFC 8032 5.1.5 */
#define CRYPTO_ED25519_SIGLEN	64	/* RFC 8032 5.1.6 */
#define CRYPTO_MAX_RSA_BYTES	1024	/* 8192 bits: ENMA_DKIM_MAX_RSA_BITS */

/* crypto_md_size - digest bytes (20, 32), 0 for CRYPTO_MD_NONE */
size_t	 crypto_md_size(enum crypto_md);

/*
 * Streaming digests.  One object per running hash; not shared between
 * threads.  crypto_hash_free(NULL) is a no-op.
 */
struct crypto_hash;

enma_status crypto_hash_new(enum crypto_md, struct crypto_hash **);
enma_status crypto_hash_update(struct crypto_hash *, const void *, size_t);
/* crypto_hash_final - out holds CRYPTO_MAX_DIGEST; *len the digest size */
enma_status crypto_hash_final(struct crypto_hash *, unsigned char *out,
	    size_t *len);
void	 crypto_hash_free(struct crypto_hash *);

/*
 * Public keys.  A key is reference counted so that a cache shared by
 * threads can hand it out: crypto_pkey_ref adds a holder, crypto_pkey_free
 * drops one (NULL is a no-op).  A key may be used by many threads at once.
 */
struct crypto_pkey;

/*
 * crypto_pkey_from_der - an RSA key from a SubjectPublicKeyInfo or a bare
 * PKCS#1 RSAPublicKey (RFC 6376 3.6.1 names the latter, practice and its
 * own examples use the former), built from the modulus and exponent
 * without OpenSSL's generic decoder; an Ed25519 key from its 32 raw
 * bytes (RFC 8463 4.2).  ENMA_ESYNTAX for data that is not such a key,
 * ENMA_ELIMIT for an RSA modulus over CRYPTO_MAX_RSA_BYTES.  *bits is
 * the modulus size, or 256 for Ed25519.
 */
enma_status crypto_pkey_from_der(enum crypto_keytype, const unsigned char *,
	    size_t, struct crypto_pkey **, unsigned *bits);
void	 crypto_pkey_ref(struct crypto_pkey *);
void	 crypto_pkey_free(struct crypto_pkey *);

/*
 * crypto_verify - check sig over a digest computed by the caller: RSA
 * PKCS#1 v1.5 with the DigestInfo of md (RFC 8017 8.2.2), or Ed25519
 * over the digest bytes themselves (RFC 8463 3).  ENMA_OK when the
 * signature verifies, ENMA_EPERM when it does not, ENMA_ENOMEM or
 * ENMA_EINVAL for trouble on our side.
 */
enma_status crypto_verify(struct crypto_pkey *, enum crypto_md,
	    const unsigned char *digest, size_t dlen,
	    const unsigned char *sig, size_t siglen);

/*
 * crypto_rsa_from_der - the pure DER reading behind crypto_pkey_from_der:
 * the modulus and exponent spans (leading zero bytes removed) of an
 * SPKI rsaEncryption key or a bare RSAPublicKey.  Exposed for tests.
 */
enma_status crypto_rsa_from_der(struct enma_span der, struct enma_span *n,
	    struct enma_span *e);

#endif /* ENMA_CRYPTO_H */
