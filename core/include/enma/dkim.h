/*
 * dkim.h - DKIM signatures (RFC 6376, 8301, 8463) and ADSP (RFC 5617)
 *
 * Verification streams: the verifier is started with the message's
 * header fields, fed the body in chunks of any size, and finished with
 * the DNS work.  Memory does not grow with the body.  OpenSSL is used
 * only in crypto.c, behind core/src/crypto.h.
 */
#ifndef ENMA_DKIM_H
#define ENMA_DKIM_H

#include <enma/util.h>
#include <enma/dns.h>
#include <enma/mail.h>

/* RFC 8601 2.7.1 words.  Zero is "not checked", never a pass. */
enum enma_dkim_result {
	ENMA_DKIM_UNSET = 0,
	ENMA_DKIM_NONE,		/* no signature */
	ENMA_DKIM_PASS,
	ENMA_DKIM_FAIL,		/* body hash or signature does not verify */
	ENMA_DKIM_NEUTRAL,	/* signature field unusable (syntax, tags) */
	ENMA_DKIM_POLICY,	/* verifies, but local policy refuses it */
	ENMA_DKIM_TEMPERROR,	/* DNS failed */
	ENMA_DKIM_PERMERROR	/* key record missing, malformed, revoked... */
};

enum enma_adsp_result {
	ENMA_ADSP_UNSET = 0,
	ENMA_ADSP_NONE,
	ENMA_ADSP_PASS,
	ENMA_ADSP_UNKNOWN,
	ENMA_ADSP_FAIL,
	ENMA_ADSP_DISCARD,
	ENMA_ADSP_NXDOMAIN,
	ENMA_ADSP_TEMPERROR,
	ENMA_ADSP_PERMERROR
};

#define ENMA_DKIM_MAX_SIGNATURES	10	/* dkim.signheader_limit */
#define ENMA_DKIM_MAX_H_TAGS		64	/* h= entries (PITFALLS 13) */
#define ENMA_DKIM_MAX_RSA_BITS		8192	/* larger keys refused */
#define ENMA_DKIM_MIN_RSA_BITS		1024	/* RFC 8301 3.2 */
#define ENMA_DKIM_CLOCK_SKEW		300	/* seconds, t= in the future */

const char *enma_dkim_result_to_text(enum enma_dkim_result);
const char *enma_adsp_result_to_text(enum enma_adsp_result);

/* Local policy: the original ENMA's keys and RFC 8301's. */
struct enma_dkim_policy {
	unsigned	max_signatures;		/* 0: the default */
	unsigned	min_rsa_bits;		/* 0 = ENMA_DKIM_MIN_RSA_BITS */
	int		allow_sha1;		/* rsa-sha1 may pass */
	int		accept_expired;		/* past x= may pass */
	int		rfc4871_compatible;	/* honour g= in key records */
	unsigned	clock_skew;		/* 0 = ENMA_DKIM_CLOCK_SKEW */
	int64_t		now;			/* 0 = time(NULL): t= is judged
						   with the headers, x= at
						   finish */
};

/*
 * A bounded cache of decoded public keys shared by all threads of an
 * engine, keyed by the key record's bytes: decoding costs more than
 * verifying (DESIGN.md, Performance).  Locks for itself.
 */
struct enma_dkim_keycache;

struct enma_dkim_keycache *enma_dkim_keycache_new(size_t entries);
void	 enma_dkim_keycache_free(struct enma_dkim_keycache *);

/* The verdict on one signature; strings live in the verifier's arena. */
struct enma_dkim_sig {
	enum enma_dkim_result	 result;
	const char		*reason;	/* NULL on pass */
	const char		*d, *i, *s;	/* tags, or NULL if absent */
	const char		*a;		/* "rsa-sha256" ... */
	const char		*b;		/* first 8 characters of b= */
	int			 partial_body;	/* l= left part unsigned */
	unsigned		 key_bits;
	int			 testing;	/* key has t=y (6376 3.6.1) */
};

struct enma_dkim_verifier;

/*
 * enma_dkim_verifier_new - a verifier for one message; cache may be
 * NULL.  Everything it returns lives in arena.  Free it with
 * enma_dkim_verifier_free (it holds hash contexts).
 */
enma_status enma_dkim_verifier_new(const struct enma_dkim_policy *,
	    struct enma_dkim_keycache *, struct enma_arena *,
	    struct enma_dkim_verifier **);
void	 enma_dkim_verifier_free(struct enma_dkim_verifier *);

/*
 * enma_dkim_verifier_headers - the message's header fields, in order,
 * once, before any body.  The fields must stay valid until finish.
 * Signatures are parsed here; beyond max_signatures they are counted and
 * not verified.
 */
enma_status enma_dkim_verifier_headers(struct enma_dkim_verifier *,
	    const struct enma_header *, size_t n);
/* enma_dkim_verifier_body - body bytes, CRLF line ends, any chunking */
enma_status enma_dkim_verifier_body(struct enma_dkim_verifier *,
	    struct enma_span);
/*
 * enma_dkim_verifier_finish - key lookups and signature checks.
 * *sigs lists every signature checked (none: *nsigs = 0), *skipped the
 * signatures over the limit.
 */
enma_status enma_dkim_verifier_finish(struct enma_dkim_verifier *,
	    struct enma_dns_ctx *, const struct enma_dkim_sig **sigs,
	    size_t *nsigs, size_t *skipped);

/*
 * enma_adsp_check - RFC 5617 for the author domain, given the verdicts
 * of the message's signatures: a passing signature of the author domain
 * gives pass without a lookup (the original ENMA's shortcut); otherwise
 * the _adsp._domainkey record and the NXDOMAIN check of 4.3.
 */
enma_status enma_adsp_check(struct enma_dns_ctx *, const char *author_domain,
	    const struct enma_dkim_sig *, size_t nsigs, struct enma_arena *,
	    enum enma_adsp_result *, const char **reason);

#endif /* ENMA_DKIM_H */
