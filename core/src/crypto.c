/*
 * crypto.c - OpenSSL behind one file: digests, public keys, verification
 *
 * RSA public keys are not decoded through d2i_PUBKEY: OpenSSL 3's
 * generic decoder costs several times the verification itself
 * (DESIGN.md, Performance).  The DER is read here, by a small strict
 * reader, into modulus and exponent, and the key is built from those
 * with EVP_PKEY_fromdata.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "crypto.h"

#define DER_SEQUENCE	0x30
#define DER_INTEGER	0x02
#define DER_BIT_STRING	0x03
#define DER_NULL	0x05
#define DER_OID		0x06
#define DER_MAX_LENLEN	4	/* length octets we accept (RFC: X.690 8.1.3) */
#define RSA_MAX_EXP	8	/* bytes of a public exponent we accept */

/* rsaEncryption, RFC 8017 A.1 / RFC 3279 2.3.1: 1.2.840.113549.1.1.1 */
static const unsigned char oid_rsa[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01
};

struct crypto_hash {
	EVP_MD_CTX	*ctx;
	enum crypto_md	 md;
};

/*
 * A key, and for RSA a verification context per digest, set up once
 * (padding, digest) and duplicated for each verification: setting one
 * up fetches from the provider store under its lock and costs a fifth
 * of the verification, a duplicate almost nothing.  The templates are
 * only read after the key is built, so threads may share them.
 */
struct crypto_pkey {
	EVP_PKEY	*pkey;
	EVP_PKEY_CTX	*tmpl[2];	/* SHA-1, SHA-256 */
	enum crypto_keytype type;
	atomic_uint	 refs;
};

/* md_of - the OpenSSL digest for one of ours */
static const EVP_MD *
md_of(enum crypto_md md)
{
	switch (md) {
	case CRYPTO_MD_SHA1:
		return EVP_sha1();
	case CRYPTO_MD_SHA256:
		return EVP_sha256();
	default:
		return NULL;
	}
}

/* crypto_md_size - digest bytes */
size_t
crypto_md_size(enum crypto_md md)
{
	switch (md) {
	case CRYPTO_MD_SHA1:
		return 20;
	case CRYPTO_MD_SHA256:
		return 32;
	default:
		return 0;
	}
}

/* crypto_hash_new - a running digest */
enma_status
crypto_hash_new(enum crypto_md md, struct crypto_hash **out)
{
	struct crypto_hash	*h;
	const EVP_MD		*m;

	*out = NULL;
	if ((m = md_of(md)) == NULL)
		return ENMA_EINVAL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return ENMA_ENOMEM;
	h->md = md;
	if ((h->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h->ctx, m, NULL) != 1) {
		crypto_hash_free(h);
		return ENMA_ENOMEM;
	}
	*out = h;
	return ENMA_OK;
}

/* crypto_hash_update - feed bytes */
enma_status
crypto_hash_update(struct crypto_hash *h, const void *p, size_t n)
{
	if (n == 0)
		return ENMA_OK;
	return EVP_DigestUpdate(h->ctx, p, n) == 1 ? ENMA_OK : ENMA_ENOMEM;
}

/* crypto_hash_final - the digest; the object may only be freed after */
enma_status
crypto_hash_final(struct crypto_hash *h, unsigned char *out, size_t *len)
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->ctx, out, &n) != 1)
		return ENMA_ENOMEM;
	*len = n;
	return ENMA_OK;
}

/* crypto_hash_free - NULL is a no-op */
void
crypto_hash_free(struct crypto_hash *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

/*
 * der_read - one TLV of the expected tag at the front of *in; *val is
 * its contents and *in moves past it.  Definite lengths only, in the
 * minimal form DER requires (X.690 10.1).
 */
static enma_status
der_read(struct enma_span *in, unsigned char tag, struct enma_span *val)
{
	size_t	len, nlen, i, off = 2;

	if (in->len < 2 || in->p[0] != tag)
		return ENMA_ESYNTAX;
	len = in->p[1];
	if (len & 0x80) {
		nlen = len & 0x7f;
		if (nlen == 0 || nlen > DER_MAX_LENLEN || in->len - 2 < nlen ||
		    in->p[2] == 0)
			return ENMA_ESYNTAX;
		for (len = 0, i = 0; i < nlen; i++)
			len = (len << 8) | in->p[2 + i];
		if (len < 0x80)
			return ENMA_ESYNTAX;
		off += nlen;
	}
	if (in->len - off < len)
		return ENMA_ESYNTAX;
	val->p = in->p + off;
	val->len = len;
	in->p += off + len;
	in->len -= off + len;
	return ENMA_OK;
}

/* der_uint - a positive INTEGER without its leading zero bytes */
static enma_status
der_uint(struct enma_span *in, struct enma_span *v)
{
	if (der_read(in, DER_INTEGER, v) != ENMA_OK || v->len == 0 ||
	    (v->p[0] & 0x80))
		return ENMA_ESYNTAX;
	if (v->len > 1 && v->p[0] == 0 && !(v->p[1] & 0x80))
		return ENMA_ESYNTAX;	/* not minimal (X.690 8.3.2) */
	while (v->len > 0 && v->p[0] == 0) {
		v->p++;
		v->len--;
	}
	return v->len > 0 ? ENMA_OK : ENMA_ESYNTAX;
}

/* rsa_pubkey - RSAPublicKey ::= SEQUENCE { modulus, publicExponent } */
static enma_status
rsa_pubkey(struct enma_span der, struct enma_span *n, struct enma_span *e)
{
	struct enma_span seq;

	if (der_read(&der, DER_SEQUENCE, &seq) != ENMA_OK || der.len != 0 ||
	    der_uint(&seq, n) != ENMA_OK || der_uint(&seq, e) != ENMA_OK ||
	    seq.len != 0)
		return ENMA_ESYNTAX;
	return ENMA_OK;
}

/* spki_rsa - SubjectPublicKeyInfo (RFC 5280 4.1) with rsaEncryption */
static enma_status
spki_rsa(struct enma_span spki, struct enma_span *n, struct enma_span *e)
{
	struct enma_span alg, oid, nul, bits;

	if (der_read(&spki, DER_SEQUENCE, &alg) != ENMA_OK ||
	    der_read(&alg, DER_OID, &oid) != ENMA_OK ||
	    !enma_span_eq(oid, enma_span_make(oid_rsa, sizeof(oid_rsa))))
		return ENMA_ESYNTAX;
	/* RFC 3279 2.3.1: parameters NULL; some encoders leave them out */
	if (alg.len != 0 && (der_read(&alg, DER_NULL, &nul) != ENMA_OK ||
	    nul.len != 0 || alg.len != 0))
		return ENMA_ESYNTAX;
	if (der_read(&spki, DER_BIT_STRING, &bits) != ENMA_OK ||
	    spki.len != 0 || bits.len < 1 || bits.p[0] != 0)
		return ENMA_ESYNTAX;
	bits.p++;
	bits.len--;
	return rsa_pubkey(bits, n, e);
}

/* crypto_rsa_from_der - modulus and exponent of either DER form */
enma_status
crypto_rsa_from_der(struct enma_span der, struct enma_span *n,
    struct enma_span *e)
{
	struct enma_span outer = der, seq;

	if (der_read(&outer, DER_SEQUENCE, &seq) != ENMA_OK || outer.len != 0)
		return ENMA_ESYNTAX;
	if (seq.len > 0 && seq.p[0] == DER_SEQUENCE) {
		if (spki_rsa(seq, n, e) != ENMA_OK)
			return ENMA_ESYNTAX;
	} else if (rsa_pubkey(der, n, e) != ENMA_OK)
		return ENMA_ESYNTAX;
	if (e->len > RSA_MAX_EXP || (e->len == 1 && e->p[0] < 3) ||
	    !(e->p[e->len - 1] & 1))
		return ENMA_ESYNTAX;	/* RFC 8017 3.1: odd, 3 <= e < n */
	return ENMA_OK;
}

/* rsa_template - a verification context for one digest */
static EVP_PKEY_CTX *
rsa_template(EVP_PKEY *pk, enum crypto_md md)
{
	EVP_PKEY_CTX *ctx;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_verify_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, md_of(md)) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* pkey_free - the key and its templates */
static void
pkey_free(struct crypto_pkey *k)
{
	EVP_PKEY_CTX_free(k->tmpl[0]);
	EVP_PKEY_CTX_free(k->tmpl[1]);
	EVP_PKEY_free(k->pkey);
	free(k);
}

/* pkey_wrap - our reference-counted holder around an EVP_PKEY */
static enma_status
pkey_wrap(EVP_PKEY *pk, enum crypto_keytype type, struct crypto_pkey **out)
{
	struct crypto_pkey *k;

	if ((k = calloc(1, sizeof(*k))) == NULL) {
		EVP_PKEY_free(pk);
		return ENMA_ENOMEM;
	}
	k->pkey = pk;
	k->type = type;
	atomic_init(&k->refs, 1);
	if (type == CRYPTO_KEY_RSA &&
	    ((k->tmpl[0] = rsa_template(pk, CRYPTO_MD_SHA1)) == NULL ||
	    (k->tmpl[1] = rsa_template(pk, CRYPTO_MD_SHA256)) == NULL)) {
		pkey_free(k);
		return ENMA_ENOMEM;
	}
	*out = k;
	return ENMA_OK;
}

/* rsa_build - an EVP_PKEY from n and e through the provider's fromdata */
static enma_status
rsa_build(struct enma_span n, struct enma_span e, EVP_PKEY **out)
{
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	BIGNUM		*bn = NULL, *be = NULL;
	enma_status	 st = ENMA_ENOMEM;

	*out = NULL;
	if ((bn = BN_bin2bn(n.p, (int)n.len, NULL)) == NULL ||
	    (be = BN_bin2bn(e.p, (int)e.len, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL)
		goto done;
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		*out = NULL;
		st = ENMA_ESYNTAX;
		goto done;
	}
	st = ENMA_OK;
done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return st;
}

/* crypto_pkey_from_der - a key from the bytes of a DKIM p= tag */
enma_status
crypto_pkey_from_der(enum crypto_keytype type, const unsigned char *p,
    size_t len, struct crypto_pkey **out, unsigned *bits)
{
	struct enma_span	 n, e;
	EVP_PKEY		*pk = NULL;
	enma_status		 st;

	*out = NULL;
	*bits = 0;
	if (type == CRYPTO_KEY_ED25519) {
		if (len != CRYPTO_ED25519_KEYLEN)
			return ENMA_ESYNTAX;
		pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, p,
		    len);
		if (pk == NULL)
			return ENMA_ESYNTAX;
		*bits = 256;
		return pkey_wrap(pk, type, out);
	}
	if (type != CRYPTO_KEY_RSA)
		return ENMA_EINVAL;
	if (crypto_rsa_from_der(enma_span_make(p, len), &n, &e) != ENMA_OK)
		return ENMA_ESYNTAX;
	if (n.len > CRYPTO_MAX_RSA_BYTES)
		return ENMA_ELIMIT;
	if ((st = rsa_build(n, e, &pk)) != ENMA_OK)
		return st;
	*bits = (unsigned)EVP_PKEY_get_bits(pk);
	return pkey_wrap(pk, type, out);
}

/* crypto_pkey_ref - one more holder */
void
crypto_pkey_ref(struct crypto_pkey *k)
{
	atomic_fetch_add(&k->refs, 1);
}

/* crypto_pkey_free - drop one holder; the last frees the key */
void
crypto_pkey_free(struct crypto_pkey *k)
{
	if (k == NULL || atomic_fetch_sub(&k->refs, 1) != 1)
		return;
	pkey_free(k);
}

/* rsa_verify - PKCS#1 v1.5 over a digest (RFC 6376 3.3.1, RFC 8017 8.2) */
static enma_status
rsa_verify(const struct crypto_pkey *k, enum crypto_md md,
    const unsigned char *dg, size_t dlen, const unsigned char *sig,
    size_t siglen)
{
	EVP_PKEY_CTX	*ctx;
	int		 r;

	ctx = EVP_PKEY_CTX_dup(k->tmpl[md == CRYPTO_MD_SHA1 ? 0 : 1]);
	if (ctx == NULL)
		return ENMA_ENOMEM;
	r = EVP_PKEY_verify(ctx, sig, siglen, dg, dlen);
	EVP_PKEY_CTX_free(ctx);
	return r == 1 ? ENMA_OK : ENMA_EPERM;
}

/* ed25519_verify - PureEdDSA over the SHA-256 digest (RFC 8463 3) */
static enma_status
ed25519_verify(EVP_PKEY *pk, const unsigned char *dg, size_t dlen,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX	*m;
	int		 r;

	if (siglen != CRYPTO_ED25519_SIGLEN)
		return ENMA_EPERM;
	if ((m = EVP_MD_CTX_new()) == NULL)
		return ENMA_ENOMEM;
	if (EVP_DigestVerifyInit_ex(m, NULL, NULL, NULL, NULL, pk,
	    NULL) != 1) {
		EVP_MD_CTX_free(m);
		return ENMA_ENOMEM;
	}
	r = EVP_DigestVerify(m, sig, siglen, dg, dlen);
	EVP_MD_CTX_free(m);
	return r == 1 ? ENMA_OK : ENMA_EPERM;
}

/* crypto_verify - does sig verify over the digest with this key */
enma_status
crypto_verify(struct crypto_pkey *k, enum crypto_md md,
    const unsigned char *dg, size_t dlen, const unsigned char *sig,
    size_t siglen)
{
	if (k == NULL || dlen != crypto_md_size(md))
		return ENMA_EINVAL;
	if (k->type == CRYPTO_KEY_ED25519)
		return ed25519_verify(k->pkey, dg, dlen, sig, siglen);
	return rsa_verify(k, md, dg, dlen, sig, siglen);
}
