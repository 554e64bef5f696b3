/*
 * dkim_int.h - declarations shared by the dkim_*.c files
 *
 *	dkim_tag.c	tag lists (RFC 6376 3.2), colon lists, quoted-printable
 *	dkim_sig.c	DKIM-Signature fields (3.5, 6.1.1)
 *	dkim_key.c	key records (3.6.1, 6.1.2) and the key cache
 *	dkim_canon.c	canonicalisation (3.4) and header selection (5.4.2)
 *	dkim_verify.c	the streaming verifier (6.1.3) and its verdicts
 *	dkim_adsp.c	ADSP (RFC 5617)
 *
 * Parse results point into the bytes they were parsed from (header
 * fields, TXT rdata); decoded values live in the verifier's arena.
 */
#ifndef ENMA_DKIM_INT_H
#define ENMA_DKIM_INT_H

#include <stdint.h>

#include <enma/dkim.h>

#include "crypto.h"

#define DKIM_MAX_TAGS		64	/* tags in one tag list */
#define DKIM_MAX_TAG_DIGITS	12	/* RFC 6376 3.5 t=, x=: 1*12DIGIT */
#define DKIM_MAX_L_DIGITS	76	/* RFC 6376 3.5 l=: 1*76DIGIT */
#define DKIM_MAX_SIG_BYTES	CRYPTO_MAX_RSA_BYTES	/* b= decoded */
#define DKIM_MAX_KEY_BYTES	2048	/* p= decoded: an 8192-bit SPKI */
#define DKIM_MAX_SIGNATURES_HARD 256	/* policy values are capped here */
#define DKIM_KEYCACHE_DEFAULT	256	/* entries when the caller says 0 */
#define DKIM_KEYCACHE_MAX	65536
#define DKIM_STAGE		4096	/* bytes gathered before hashing */
#define DKIM_STAGE_DIRECT	512	/* runs this long skip the stage */
#define DKIM_B_PREFIX		8	/* header.b characters, RFC 6008 */
#define DKIM_INFINITE_TIME	INT64_MAX	/* RFC 6376 3.5: > 12 digits */

/* One tag of a tag list: name and value spans into the parsed bytes. */
struct dkim_tag {
	struct enma_span	name;
	struct enma_span	value;	/* FWS before and after excluded */
};

struct dkim_taglist {
	struct dkim_tag		tag[DKIM_MAX_TAGS];
	size_t			n;
};

/*
 * dkim_tags_parse - RFC 6376 3.2 tag-list.  FWS is accepted where the
 * grammar has it (around names, '=', ';' and between value runs), with
 * CRLF or a bare LF as the fold; an empty tag-spec is accepted only
 * after the last ';'.  Duplicate names make the whole list invalid
 * (3.2).  Values may hold 8-bit bytes (RFC 6532 text in n= notes), never
 * controls or ';'.  ENMA_ESYNTAX or ENMA_ELIMIT with *why set.
 */
enma_status dkim_tags_parse(struct enma_span, struct dkim_taglist *,
	    const char **why);
/* dkim_tag_get - the tag's value, or NULL when absent (case-sensitive) */
const struct dkim_tag *dkim_tag_get(const struct dkim_taglist *,
	    const char *name);

/*
 * dkim_list_next - the next element of a colon-separated value (h=, q=,
 * and the key's h=, s=, t=), FWS around it removed.  *pos starts at 0;
 * returns 0 at the end, -1 for an empty element.
 */
int	 dkim_list_next(struct enma_span value, size_t *pos,
	    struct enma_span *elem);
/* dkim_list_has - the list holds word (ASCII case-insensitive); -1 bad */
int	 dkim_list_has(struct enma_span value, const char *word);

/*
 * dkim_qp_decode - RFC 6376 2.11 dkim-quoted-printable into a NUL-
 * terminated arena string; FWS is dropped.  ENMA_ESYNTAX for bytes
 * outside dkim-safe-char or a bad =XX.
 */
enma_status dkim_qp_decode(struct enma_span, struct enma_arena *,
	    char **out, size_t *len);

/* dkim_base64 - decode into an arena buffer of at most max bytes */
enma_status dkim_base64(struct enma_span, size_t max, struct enma_arena *,
	    unsigned char **out, size_t *len);

enum dkim_canon {
	DKIM_CANON_SIMPLE = 0,
	DKIM_CANON_RELAXED
};

enum dkim_alg {
	DKIM_ALG_NONE = 0,
	DKIM_ALG_RSA_SHA1,
	DKIM_ALG_RSA_SHA256,
	DKIM_ALG_ED25519_SHA256
};

/* A DKIM-Signature field that passed 6.1.1. */
struct dkim_sigrec {
	const struct enma_header *hdr;
	size_t			 hidx;		/* index in the header list */
	struct enma_span	 bval;	/* b= value, inside hdr->value */
	enum dkim_alg		 alg;
	enum crypto_md		 md;
	enum crypto_keytype	 ktype;
	enum dkim_canon		 hcanon, bcanon;
	const char		*d;		/* lower case */
	const char		*s;
	const char		*i;		/* decoded, or NULL */
	const char		*i_local;	/* before the last '@' */
	const char		*i_domain;	/* lower case */
	struct enma_span	*h;		/* h= names */
	size_t			 nh;
	int			 has_l;
	uint64_t		 l;
	int64_t			 t, x;		/* -1 when absent */
	unsigned char		*bh, *b;
	size_t			 bhlen, blen;
};

/*
 * What dkim_sig_parse found, also for a signature it refused: the
 * result strings of struct enma_dkim_sig that could be read.
 */
struct dkim_sigtext {
	const char	*d, *i, *s, *a;
	char		 b[DKIM_B_PREFIX + 1];
};

/*
 * dkim_sig_parse - validate one DKIM-Signature field (RFC 6376 3.5,
 * 6.1.1, RFC 8301, RFC 8463).  ENMA_OK with rec filled; ENMA_ESYNTAX
 * with *why for a field to report neutral; ENMA_ELIMIT with *why for a
 * field over one of our bounds (reported policy); ENMA_ENOMEM.  now and
 * skew decide a t= in the future (neutral).  txt is filled as far as
 * the field could be read.
 */
enma_status dkim_sig_parse(const struct enma_header *, size_t hidx,
	    int64_t now, unsigned skew, struct enma_arena *,
	    struct dkim_sigrec *, struct dkim_sigtext *, const char **why);

/* A key record (RFC 6376 3.6.1) as published. */
struct dkim_keyrec {
	struct enma_span	 p;		/* base64, may be empty */
	struct enma_span	 h;		/* hash list, or empty */
	struct enma_span	 g;		/* RFC 4871 granularity */
	enum crypto_keytype	 ktype;		/* NONE: k= we do not know */
	int			 has_h, has_g;
	int			 service_ok;	/* s= lists email or * */
	int			 testing;	/* t=y */
	int			 strict;	/* t=s */
};

/*
 * dkim_key_parse - one TXT record's joined strings.  ENMA_ESYNTAX with
 * *why for a record to ignore (RFC 6376 6.1.2 step 5): not a tag list,
 * v= not DKIM1 or not first, no p=, bad lists.
 */
enma_status dkim_key_parse(struct enma_span, struct dkim_keyrec *,
	    const char **why);

/*
 * dkim_key_applies - the checks of RFC 6376 6.1.2 steps 6-8 and 3.6.1
 * between a parsed key and a signature (h=, k=, s=, t=s, revoked, and
 * g= when rfc4871); 0 with *why when the key is not usable.
 */
int	 dkim_key_applies(const struct dkim_keyrec *,
	    const struct dkim_sigrec *, int rfc4871, const char **why);

/*
 * dkim_key_decode - the public key of p=, through the cache when there
 * is one.  ENMA_ESYNTAX / ENMA_ELIMIT with *why; the caller frees *key
 * with crypto_pkey_free.
 */
enma_status dkim_key_decode(struct enma_dkim_keycache *,
	    const struct dkim_keyrec *, struct enma_arena *,
	    struct crypto_pkey **key, unsigned *bits, const char **why);

/*
 * Where canonical bytes go: a hash, or a buffer in tests.
 */
typedef void dkim_sink_fn(void *arg, const unsigned char *, size_t);

/*
 * Body canonicalisation (RFC 6376 3.4.3, 3.4.4), streaming: any
 * chunking gives the same output.  Input lines end in CRLF; a bare LF
 * is taken as a line end too (and a CR is added), a CR not before an LF
 * is an ordinary byte.  The work is done in runs: stretches the
 * algorithm leaves unchanged go to the sink in one piece.
 */
struct dkim_body_canon {
	dkim_sink_fn	*sink;
	void		*arg;
	uint64_t	 pending;	/* empty lines held back */
	uint8_t		 relaxed;
	uint8_t		 in_line;	/* the line has content */
	uint8_t		 held_cr;	/* chunk ended on a CR */
	uint8_t		 held_wsp;	/* chunk ended in WSP (relaxed) */
	uint8_t		 any;		/* something was emitted */
};

void	 dkim_body_canon_init(struct dkim_body_canon *, enum dkim_canon,
	    dkim_sink_fn *, void *);
void	 dkim_body_canon_update(struct dkim_body_canon *,
	    const unsigned char *, size_t);
void	 dkim_body_canon_final(struct dkim_body_canon *);

/*
 * dkim_header_canon - one header field with its CRLF (3.4.1, 3.4.2).
 * For the signature's own field, cut is the b= value to leave out and
 * no CRLF is added (3.7); cut.p NULL otherwise.
 */
void	 dkim_header_canon(const struct enma_header *, enum dkim_canon,
	    struct enma_span cut, dkim_sink_fn *, void *);

/*
 * dkim_header_select - RFC 6376 5.4.2: the field for h= entry k, taken
 * from the bottom up, skipping the instances used by earlier entries of
 * the same name and the signature's own field (index self); NULL when
 * the name is listed more often than it occurs (the null string).
 */
const struct enma_header *dkim_header_select(const struct enma_header *,
	    size_t n, size_t self, const struct enma_span *h, size_t k);

/*
 * A hash fed through a small stage, so that canonicalisation's short
 * pieces do not each cost a digest call; limit is l= (UINT64_MAX for
 * none); total counts every canonical byte, past the limit too.
 */
struct dkim_hashsink {
	struct crypto_hash	*hash;
	uint64_t		 limit;
	uint64_t		 total;
	enma_status		 err;
	size_t			 staged;
	unsigned char		 stage[DKIM_STAGE];
};

void	 dkim_hashsink_fn(void *, const unsigned char *, size_t);
enma_status dkim_hashsink_final(struct dkim_hashsink *, unsigned char *,
	    size_t *);

#endif /* ENMA_DKIM_INT_H */
