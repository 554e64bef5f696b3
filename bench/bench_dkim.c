/*
 * bench_dkim - DKIM verifications per second, libenma against libopendkim
 *
 * Both sides verify the same signed messages on one thread, in process,
 * with the key records given in memory: libenma through its zone
 * resolver (enma_zone_add_txt, enma_resolver_zone_new), libopendkim
 * through its key lookup callback (dkim_set_key_lookup).  No packet is
 * sent.
 *
 * The messages are signed at start by a small signer in this file
 * (relaxed/relaxed canonicalisation written from RFC 6376 3.4.2 and
 * 3.4.4, signatures by OpenSSL's EVP interface, keys generated in
 * memory): it shares no code with libenma's verifier, and each message
 * must verify on both sides before anything is timed.
 *
 * Cases:
 *	rsa-4k		4 KiB body, one RSA-2048 rsa-sha256 signature
 *	rsa-1m		1 MiB body of ~70-character text lines, some with runs
 *			of spaces and trailing whitespace, signed the same way
 *	ed25519-4k	the 4 KiB body, one ed25519-sha256 signature (RFC 8463)
 *
 * Per message, libenma as the engine drives it: reset the per-message
 * arena, parse each raw header field (enma_header_parse), a verifier
 * (enma_dkim_verifier_new, with the engine-wide key cache), the fields,
 * the body in 64 KiB chunks (a milter's chunk size), finish with the
 * DNS context; libopendkim as opendkim(8) drives it: dkim_verify(),
 * dkim_header() per field, dkim_eoh(), dkim_body() per chunk,
 * dkim_eom(), dkim_free().
 *
 * The crypto limit is measured in the same run with OpenSSL's EVP
 * interface: RSA-2048 PKCS#1 v1.5 verifications of a SHA-256 digest
 * per second, Ed25519 verifications of 32 bytes per second, and SHA-256
 * bytes per second over 1 MiB buffers.  A message cannot be verified
 * faster than one verification plus SHA-256 over its canonical header
 * and body bytes: that is the limit each rate is compared with.
 *
 * Peak memory: the verification of a 1 MiB and of a 100 MiB body, each
 * in a fresh process (this program run again with -M), the body made in
 * 64 KiB pieces as it is fed; getrusage(RUSAGE_SELF) ru_maxrss.
 *
 *	bench_dkim [-o enma | -o libopendkim] [case ...]
 */
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <opendkim/dkim.h>

#include <enma/util.h>
#include <enma/dns.h>
#include <enma/mail.h>
#include <enma/dkim.h>

#define BENCH_TARGET_MS		1500	/* time one side spends on one case */
#define BENCH_ROUNDS		5	/* timed runs per side, alternating */
#define BENCH_CALIBRATE_MS	100	/* run at least this long to size it */
#define BENCH_RAW_MS		100	/* one raw crypto measurement */
#define BENCH_RAW_ROUNDS	3	/* at start; then one per timed round */
#define BENCH_ARENA_LIMIT	(4u * 1024 * 1024)
#define BENCH_CHUNK		(64 * 1024)	/* body hand-over */
#define BENCH_SMALL_BODY	(4 * 1024)
#define BENCH_LARGE_BODY	(1024 * 1024)
#define BENCH_HUGE_BODY		(100u * 1024 * 1024)
#define BENCH_MAX_FIELDS	16
#define BENCH_LINE_WIDTH	70	/* characters per body line, about */
#define BENCH_KEYCACHE		64
#define BENCH_GOAL_SMALL	0.60	/* of the crypto limit, rsa-4k */
#define BENCH_GOAL_LARGE	0.50	/* of the crypto limit, rsa-1m */
#define BENCH_RSS_SLACK_KIB	1024	/* "the same" peak memory, within */
#define BENCH_DOMAIN		"bench.example"
#define BENCH_SIGNED_HEADERS	"from:to:subject:date:message-id:" \
				"mime-version:content-type"

/* The header fields of every message, below its DKIM-Signature. */
static const char *const bench_fields[] = {
	"Received: from mail.bench.example (mail.bench.example "
	    "[192.0.2.25])\r\n\tby mx.example.net with ESMTPS id 4Qx7Zk;"
	    "\r\n\tMon, 1 Jan 2024 09:00:00 +0000",
	"From: Bench Sender <sender@bench.example>",
	"To: Bench Receiver <rcpt@example.net>",
	"Subject: A message of ordinary size for the DKIM benchmark",
	"Date: Mon, 1 Jan 2024 09:00:00 +0000",
	"Message-ID: <20240101090000.4Qx7Zk@bench.example>",
	"MIME-Version: 1.0",
	"Content-Type: text/plain; charset=us-ascii",
};

#define NFIELDS	(sizeof(bench_fields) / sizeof(bench_fields[0]))

enum bench_alg { ALG_RSA, ALG_ED25519 };

struct bench_keys {
	EVP_PKEY	*rsa;
	EVP_PKEY	*ed;
	char		*rsa_record;	/* "v=DKIM1; k=rsa; p=..." */
	char		*ed_record;
};

/* A signed message, held in memory. */
struct bench_msg {
	const char	*name;
	enum bench_alg	 alg;
	char		*sig;		/* the DKIM-Signature field */
	struct enma_span fields[BENCH_MAX_FIELDS];	/* no final CRLF */
	unsigned char	*mfields[BENCH_MAX_FIELDS];	/* copies, for */
	size_t		 nfields;			/* libopendkim */
	unsigned char	*body;		/* CRLF lines */
	size_t		 bodylen;
	size_t		 hashed;	/* canonical header + body bytes */
};

/* The body generator: the same text for the signer and the verifiers. */
struct bodygen {
	uint64_t	line;
	uint64_t	left;		/* bytes still to make */
};

struct raw_rsa;
struct raw_ed;
struct raw_sha;

/* Raw OpenSSL rates measured in this run: the best seen so far. */
struct bench_raw {
	double		 rsa_verify;	/* per second */
	double		 ed_verify;	/* per second */
	double		 sha256;	/* bytes per second */
	struct raw_rsa	*rsa;		/* prepared contexts */
	struct raw_ed	*ed;
	struct raw_sha	*sha;
};

/* The state of one side. */
struct enma_side {
	struct enma_resolver		*resolver;
	struct enma_dkim_keycache	*cache;
	struct enma_arena		*arena;
	const struct bench_msg		*msg;
};

struct odkim_side {
	DKIM_LIB			*lib;
	const struct bench_msg		*msg;
};

static const struct bench_keys *odkim_keys;	/* for the lookup callback */

static void	 die(const char *, const char *) __attribute__((noreturn));

static void
die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_dkim: %s: %s\n", what, detail);
	exit(1);
}

/* now_ns - monotonic clock in nanoseconds */
static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xmalloc - malloc or die */
static void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n > 0 ? n : 1)) == NULL)
		die("malloc", "out of memory");
	return p;
}

/* b64 - base64 of n bytes, NUL-terminated, malloc'd */
static char *
b64(const unsigned char *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/*
 * bodygen_line - line number i of the body text into out (at least
 * BENCH_LINE_WIDTH + 8 bytes): words to about BENCH_LINE_WIDTH
 * characters, every fifth line with a run of spaces inside, every
 * seventh with trailing spaces, every eleventh with a trailing tab,
 * ended by CRLF
 */
static size_t
bodygen_line(uint64_t i, char *out)
{
	static const char *const words[] = {
		"the", "message", "server", "delivery", "of", "report",
		"queue", "and", "a", "domain", "signature", "verified",
		"header", "body", "line", "text", "mail", "for", "to",
		"exchange", "policy", "with", "key", "record",
	};
	uint32_t x = (uint32_t)(i * 2654435761u) ^ 0x5bd1e995u;
	size_t n = 0, w;
	const char *word;

	while (n < BENCH_LINE_WIDTH - 10) {
		x = x * 1103515245u + 12345u;
		word = words[(x >> 16) % (sizeof(words) / sizeof(words[0]))];
		if (n > 0) {
			out[n++] = ' ';
			if (i % 5 == 2 && n > 30 && n < 40)
				n += (size_t)snprintf(out + n, 8, "   ");
		}
		w = strlen(word);
		memcpy(out + n, word, w);
		n += w;
	}
	out[n++] = '.';
	if (i % 7 == 3)
		n += (size_t)snprintf(out + n, 8, "  ");
	if (i % 11 == 5)
		n += (size_t)snprintf(out + n, 8, " \t");
	out[n++] = '\r';
	out[n++] = '\n';
	return n;
}

/* bodygen_fill - whole lines into buf (cap bytes at least); 0 at the end */
static size_t
bodygen_fill(struct bodygen *g, unsigned char *buf, size_t cap)
{
	char line[BENCH_LINE_WIDTH + 32];
	size_t n = 0, k;

	while (g->left > 0 && cap - n >= sizeof(line)) {
		k = bodygen_line(g->line++, line);
		memcpy(buf + n, line, k);
		n += k;
		g->left = g->left > k ? g->left - k : 0;
	}
	return n;
}

/*
 * Relaxed body canonicalisation, RFC 6376 3.4.4, for the signer: WSP
 * runs become one SP, WSP at line ends goes, empty lines at the end go,
 * a non-empty body ends with CRLF.  Byte by byte: it is not timed.
 */
struct relaxed_body {
	EVP_MD_CTX	*md;
	unsigned char	 out[BENCH_CHUNK + 8];
	size_t		 outlen;
	size_t		 crlfs;		/* line ends not written yet */
	int		 wsp;		/* a WSP run not written yet */
	int		 any;		/* something was written */
	uint64_t	 total;
};

/* rb_put - one canonical byte */
static void
rb_put(struct relaxed_body *rb, unsigned char c)
{
	if (rb->outlen == sizeof(rb->out)) {
		EVP_DigestUpdate(rb->md, rb->out, rb->outlen);
		rb->outlen = 0;
	}
	rb->out[rb->outlen++] = c;
	rb->total++;
}

/* rb_update - body bytes with CRLF line ends */
static void
rb_update(struct relaxed_body *rb, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r')
			continue;	/* the generator: CR only in CRLF */
		if (p[i] == '\n') {
			rb->wsp = 0;	/* 3.4.4 b: trailing WSP goes */
			rb->crlfs++;
		} else if (p[i] == ' ' || p[i] == '\t')
			rb->wsp = 1;
		else {
			for (; rb->crlfs > 0; rb->crlfs--) {
				rb_put(rb, '\r');
				rb_put(rb, '\n');
			}
			if (rb->wsp)
				rb_put(rb, ' ');	/* 3.4.4 a */
			rb->wsp = 0;
			rb_put(rb, p[i]);
			rb->any = 1;
		}
	}
}

/* rb_final - 3.4.4: one CRLF after a non-empty body; the SHA-256 */
static void
rb_final(struct relaxed_body *rb, unsigned char hash[32])
{
	unsigned int n = 32;

	if (rb->any) {
		rb_put(rb, '\r');
		rb_put(rb, '\n');
	}
	EVP_DigestUpdate(rb->md, rb->out, rb->outlen);
	EVP_DigestFinal_ex(rb->md, hash, &n);
	EVP_MD_CTX_free(rb->md);
}

/* rb_init - a new canonicaliser */
static void
rb_init(struct relaxed_body *rb)
{
	memset(rb, 0, sizeof(*rb));
	if ((rb->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(rb->md, EVP_sha256(), NULL) != 1)
		die("EVP_DigestInit_ex", "sha256");
}

/*
 * relaxed_header - RFC 6376 3.4.2: name in lower case, unfolded, WSP
 * runs made one SP, WSP at the value's ends and around the colon gone;
 * with CRLF unless last
 */
static void
relaxed_header(const char *f, struct enma_buf *out, int last)
{
	const char *colon = strchr(f, ':'), *v;
	size_t n = (size_t)(colon - f);
	int wsp = 0, started = 0;

	while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\t'))
		n--;
	for (v = f; v < f + n; v++)
		enma_buf_putc(out, (unsigned char)*v >= 'A' &&
		    (unsigned char)*v <= 'Z' ? *v + 32 : *v);
	enma_buf_putc(out, ':');
	for (v = colon + 1; *v != '\0'; v++) {
		if (*v == '\r' || *v == '\n')
			continue;
		if (*v == ' ' || *v == '\t') {
			wsp = 1;
			continue;
		}
		if (wsp && started)
			enma_buf_putc(out, ' ');
		wsp = 0;
		started = 1;
		enma_buf_putc(out, *v);
	}
	if (!last)
		enma_buf_puts(out, "\r\n");
}

/* sign_data - RSA-SHA256, or Ed25519 over the SHA-256 (RFC 8463 3) */
static char *
sign_data(EVP_PKEY *key, enum bench_alg alg, const struct enma_buf *data)
{
	unsigned char sig[1024], hash[32];
	const unsigned char *in = (const unsigned char *)data->p;
	size_t siglen = sizeof(sig), inlen = data->len;
	unsigned int hl = sizeof(hash);
	EVP_MD_CTX *md;

	if (alg == ALG_ED25519) {
		EVP_Digest(in, inlen, hash, &hl, EVP_sha256(), NULL);
		in = hash;
		inlen = hl;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, alg == ALG_RSA ? EVP_sha256() :
	    NULL, NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, in, inlen) != 1)
		die("EVP_DigestSign", alg == ALG_RSA ? "rsa" : "ed25519");
	EVP_MD_CTX_free(md);
	return b64(sig, siglen);
}

/*
 * sign_message - the DKIM-Signature field (RFC 6376 3.5) over the
 * fixed header fields and a body whose hash is bh; sets *hashed to the
 * canonical header bytes
 */
static char *
sign_message(EVP_PKEY *key, enum bench_alg alg, const unsigned char bh[32],
    size_t *hashed)
{
	struct enma_buf sig, data;
	char *bhtext, *b, *out;
	size_t i;

	bhtext = b64(bh, 32);
	enma_buf_init(&sig, 0);
	enma_buf_printf(&sig, "DKIM-Signature: v=1; a=%s; c=relaxed/relaxed;"
	    "\r\n\td=" BENCH_DOMAIN "; s=%s; t=%lld;\r\n\th="
	    BENCH_SIGNED_HEADERS ";\r\n\tbh=%s;\r\n\tb=",
	    alg == ALG_RSA ? "rsa-sha256" : "ed25519-sha256",
	    alg == ALG_RSA ? "rsa" : "ed", (long long)time(NULL), bhtext);
	enma_buf_init(&data, 0);
	/* 5.4.2: each h= name once, from the fields below the signature */
	for (i = 1; i < NFIELDS; i++)
		relaxed_header(bench_fields[i], &data, 0);
	relaxed_header(sig.p, &data, 1);
	*hashed = data.len;
	b = sign_data(key, alg, &data);
	enma_buf_puts(&sig, b);
	if (enma_buf_status(&sig) != ENMA_OK ||
	    enma_buf_status(&data) != ENMA_OK)
		die("sign_message", "out of memory");
	out = strdup(sig.p);
	enma_buf_free(&sig);
	enma_buf_free(&data);
	free(bhtext);
	free(b);
	return out;
}

/* body_hash - the relaxed body hash of a generated body of size bytes,
 * made piece by piece; *canon gets the canonical length */
static void
body_hash(uint64_t size, unsigned char bh[32], uint64_t *canon)
{
	struct relaxed_body rb;
	struct bodygen g = { 0, size };
	unsigned char *buf = xmalloc(BENCH_CHUNK);
	size_t n;

	rb_init(&rb);
	while ((n = bodygen_fill(&g, buf, BENCH_CHUNK)) > 0)
		rb_update(&rb, buf, n);
	rb_final(&rb, bh);
	*canon = rb.total;
	free(buf);
}

/* key_record - "v=DKIM1; k=...; p=..." for a public key (RFC 6376
 * 3.6.1: SubjectPublicKeyInfo for RSA; RFC 8463 4: the raw 32 bytes) */
static char *
key_record(EVP_PKEY *key, enum bench_alg alg)
{
	unsigned char raw[64], *der = NULL;
	size_t rawlen = sizeof(raw);
	char *p, *out;
	int n;

	if (alg == ALG_RSA) {
		if ((n = i2d_PUBKEY(key, &der)) <= 0)
			die("i2d_PUBKEY", "rsa");
		p = b64(der, (size_t)n);
		OPENSSL_free(der);
	} else {
		if (EVP_PKEY_get_raw_public_key(key, raw, &rawlen) != 1)
			die("EVP_PKEY_get_raw_public_key", "ed25519");
		p = b64(raw, rawlen);
	}
	out = xmalloc(strlen(p) + 32);
	snprintf(out, strlen(p) + 32, "v=DKIM1; k=%s; p=%s",
	    alg == ALG_RSA ? "rsa" : "ed25519", p);
	free(p);
	return out;
}

/* keys_make - an RSA-2048 and an Ed25519 key pair, in memory */
static void
keys_make(struct bench_keys *k)
{
	if ((k->rsa = EVP_RSA_gen(2048)) == NULL)
		die("EVP_RSA_gen", "2048");
	if ((k->ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
		die("EVP_PKEY_Q_keygen", "ED25519");
	k->rsa_record = key_record(k->rsa, ALG_RSA);
	k->ed_record = key_record(k->ed, ALG_ED25519);
}

/* msg_fields - the signature, then the fixed fields, as spans */
static void
msg_fields(struct bench_msg *m)
{
	size_t i;

	m->fields[0] = enma_span_from_cstr(m->sig);
	for (i = 0; i < NFIELDS; i++)
		m->fields[i + 1] = enma_span_from_cstr(bench_fields[i]);
	m->nfields = NFIELDS + 1;
	for (i = 0; i < m->nfields; i++) {
		m->mfields[i] = xmalloc(m->fields[i].len + 1);
		memcpy(m->mfields[i], m->fields[i].p, m->fields[i].len);
		m->mfields[i][m->fields[i].len] = '\0';
	}
}

/* msg_make - a generated body of about size bytes, signed */
static void
msg_make(struct bench_msg *m, const char *name, enum bench_alg alg,
    size_t size, const struct bench_keys *k)
{
	struct bodygen g = { 0, size };
	unsigned char bh[32];
	uint64_t canon;
	size_t n, cap = size + 2 * (BENCH_LINE_WIDTH + 32);

	memset(m, 0, sizeof(*m));
	m->name = name;
	m->alg = alg;
	m->body = xmalloc(cap);
	while ((n = bodygen_fill(&g, m->body + m->bodylen,
	    cap - m->bodylen)) > 0)
		m->bodylen += n;
	body_hash(size, bh, &canon);
	m->sig = sign_message(alg == ALG_RSA ? k->rsa : k->ed, alg, bh,
	    &m->hashed);
	m->hashed += (size_t)canon;
	msg_fields(m);
}

/* time_loop - calls of fn per second over BENCH_RAW_MS */
static double
time_loop(int (*fn)(void *), void *arg)
{
	uint64_t t0 = now_ns(), t, n = 0, i;

	do {
		for (i = 0; i < 16; i++)
			if (!fn(arg))
				die("raw crypto", "a check failed");
		n += 16;
		t = now_ns() - t0;
	} while (t < BENCH_RAW_MS * 1000000ull);
	return (double)n * 1e9 / (double)t;
}

struct raw_rsa {
	EVP_PKEY_CTX	*ctx;
	unsigned char	 dgst[32];
	unsigned char	 sig[512];
	size_t		 siglen;
};

static int
raw_rsa_once(void *arg)
{
	struct raw_rsa *r = arg;

	return EVP_PKEY_verify(r->ctx, r->sig, r->siglen, r->dgst, 32) == 1;
}

/* raw_rsa_new - an RSA-2048 PKCS#1 v1.5 signature of a digest, and a
 * verification context ready for it */
static struct raw_rsa *
raw_rsa_new(EVP_PKEY *key)
{
	struct raw_rsa *r = xmalloc(sizeof(*r));
	EVP_PKEY_CTX *sctx;

	memset(r, 0, sizeof(*r));
	memset(r->dgst, 0x5a, sizeof(r->dgst));
	r->siglen = sizeof(r->sig);
	if ((sctx = EVP_PKEY_CTX_new(key, NULL)) == NULL ||
	    EVP_PKEY_sign_init(sctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(sctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(sctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_sign(sctx, r->sig, &r->siglen, r->dgst, 32) != 1)
		die("EVP_PKEY_sign", "rsa");
	EVP_PKEY_CTX_free(sctx);
	if ((r->ctx = EVP_PKEY_CTX_new(key, NULL)) == NULL ||
	    EVP_PKEY_verify_init(r->ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(r->ctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(r->ctx, EVP_sha256()) != 1)
		die("EVP_PKEY_verify_init", "rsa");
	return r;
}

struct raw_ed {
	EVP_MD_CTX	*md;
	unsigned char	 msg[32];
	unsigned char	 sig[64];
	size_t		 siglen;
};

static int
raw_ed_once(void *arg)
{
	struct raw_ed *r = arg;

	/* as openssl speed does: one-shot verify, the context re-used */
	return EVP_DigestVerify(r->md, r->sig, r->siglen, r->msg, 32) == 1;
}

/* raw_ed_new - an Ed25519 signature of 32 bytes (RFC 8463) and a
 * verification context */
static struct raw_ed *
raw_ed_new(EVP_PKEY *key)
{
	struct raw_ed *r = xmalloc(sizeof(*r));
	EVP_MD_CTX *s;

	memset(r, 0, sizeof(*r));
	memset(r->msg, 0xa5, sizeof(r->msg));
	r->siglen = sizeof(r->sig);
	if ((s = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(s, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(s, r->sig, &r->siglen, r->msg, 32) != 1)
		die("EVP_DigestSign", "ed25519");
	EVP_MD_CTX_free(s);
	if ((r->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(r->md, NULL, NULL, NULL, key) != 1)
		die("EVP_DigestVerifyInit", "ed25519");
	return r;
}

struct raw_sha {
	EVP_MD_CTX	*md;
	unsigned char	*buf;
};

static int
raw_sha_once(void *arg)
{
	struct raw_sha *r = arg;
	unsigned char h[32];
	unsigned int n = sizeof(h);

	return EVP_DigestInit_ex(r->md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(r->md, r->buf, BENCH_LARGE_BODY) == 1 &&
	    EVP_DigestFinal_ex(r->md, h, &n) == 1;
}

/* raw_sha_new - a 1 MiB buffer and a digest context */
static struct raw_sha *
raw_sha_new(void)
{
	struct raw_sha *r = xmalloc(sizeof(*r));

	r->buf = xmalloc(BENCH_LARGE_BODY);
	memset(r->buf, 'x', BENCH_LARGE_BODY);
	if ((r->md = EVP_MD_CTX_new()) == NULL)
		die("EVP_MD_CTX_new", "sha256");
	return r;
}

/*
 * raw_round - one measurement of each primitive, the best kept.  Run
 * at start and again in every timed round of every case, so that the
 * limit is taken under the same load as the sides (the machine may be
 * shared).
 */
static void
raw_round(struct bench_raw *raw)
{
	raw->rsa_verify = fmax(raw->rsa_verify,
	    time_loop(raw_rsa_once, raw->rsa));
	raw->ed_verify = fmax(raw->ed_verify,
	    time_loop(raw_ed_once, raw->ed));
	raw->sha256 = fmax(raw->sha256,
	    time_loop(raw_sha_once, raw->sha) * BENCH_LARGE_BODY);
}

/* raw_init - the contexts and the first rounds */
static void
raw_init(const struct bench_keys *k, struct bench_raw *raw)
{
	int r;

	memset(raw, 0, sizeof(*raw));
	raw->rsa = raw_rsa_new(k->rsa);
	raw->ed = raw_ed_new(k->ed);
	raw->sha = raw_sha_new();
	for (r = 0; r < BENCH_RAW_ROUNDS; r++)
		raw_round(raw);
}

/* raw_free - the contexts */
static void
raw_free(struct bench_raw *raw)
{
	EVP_PKEY_CTX_free(raw->rsa->ctx);
	EVP_MD_CTX_free(raw->ed->md);
	EVP_MD_CTX_free(raw->sha->md);
	free(raw->sha->buf);
	free(raw->rsa);
	free(raw->ed);
	free(raw->sha);
}

/* raw_print - the crypto limit of this machine, in this run */
static void
raw_print(const struct bench_raw *raw)
{
	printf("dkim raw (OpenSSL %s EVP, this run, best of every round): "
	    "RSA-2048 verify %.0f/s (%.1f us), Ed25519 verify %.0f/s "
	    "(%.1f us), SHA-256 %.0f MB/s\n",
	    OpenSSL_version(OPENSSL_VERSION_STRING), raw->rsa_verify,
	    1e6 / raw->rsa_verify, raw->ed_verify, 1e6 / raw->ed_verify,
	    raw->sha256 / 1e6);
}

/* limit_rate - messages per second the crypto allows for m */
static double
limit_rate(const struct bench_msg *m, const struct bench_raw *raw)
{
	double verify = m->alg == ALG_RSA ? raw->rsa_verify : raw->ed_verify;

	return 1.0 / (1.0 / verify + (double)m->hashed / raw->sha256);
}

/* enma_zone_keys - the two key records, as the zone backend serves them */
static struct enma_zone *
enma_zone_keys(const char *rsa_record, const char *ed_record)
{
	struct enma_zone *z;
	struct enma_span txt;

	if ((z = enma_zone_new()) == NULL)
		die("enma_zone_new", "out of memory");
	txt = enma_span_from_cstr(rsa_record);
	if (enma_zone_add_txt(z, "rsa._domainkey." BENCH_DOMAIN,
	    ENMA_DNS_TXT, &txt, 1) != ENMA_OK)
		die("enma_zone_add_txt", "rsa");
	if (ed_record != NULL) {
		txt = enma_span_from_cstr(ed_record);
		if (enma_zone_add_txt(z, "ed._domainkey." BENCH_DOMAIN,
		    ENMA_DNS_TXT, &txt, 1) != ENMA_OK)
			die("enma_zone_add_txt", "ed");
	}
	return z;
}

/* enma_feed - fields and body to a new verifier; the verifier or NULL */
static struct enma_dkim_verifier *
enma_feed(struct enma_side *s, struct enma_header *h, const char **why)
{
	static const struct enma_dkim_policy policy;	/* the defaults */
	const struct bench_msg *m = s->msg;
	struct enma_dkim_verifier *v;
	size_t i, n;
	enma_status st;

	for (i = 0; i < m->nfields; i++)
		if (enma_header_parse(m->fields[i], &h[i]) != ENMA_OK)
			die("enma_header_parse", m->name);
	if ((st = enma_dkim_verifier_new(&policy, s->cache, s->arena,
	    &v)) != ENMA_OK ||
	    (st = enma_dkim_verifier_headers(v, h, m->nfields)) != ENMA_OK) {
		*why = enma_strerror(st);
		return NULL;
	}
	for (i = 0; i < m->bodylen; i += n) {
		n = m->bodylen - i < BENCH_CHUNK ? m->bodylen - i :
		    BENCH_CHUNK;
		if ((st = enma_dkim_verifier_body(v, enma_span_make(m->body +
		    i, n))) != ENMA_OK) {
			*why = enma_strerror(st);
			enma_dkim_verifier_free(v);
			return NULL;
		}
	}
	return v;
}

/* enma_once - one message on our side; the first signature's verdict */
static enum enma_dkim_result
enma_once(struct enma_side *s, const char **why)
{
	struct enma_header h[BENCH_MAX_FIELDS];
	const struct enma_dkim_sig *sigs = NULL;
	struct enma_dkim_verifier *v;
	struct enma_dns_ctx dns;
	size_t nsigs = 0, skipped = 0;
	enum enma_dkim_result r = ENMA_DKIM_UNSET;
	enma_status st;

	*why = NULL;
	enma_arena_reset(s->arena);
	if ((v = enma_feed(s, h, why)) == NULL)
		return ENMA_DKIM_UNSET;
	enma_dns_ctx_init(&dns, s->resolver, 0, 0);
	st = enma_dkim_verifier_finish(v, &dns, &sigs, &nsigs, &skipped);
	if (st != ENMA_OK)
		*why = enma_strerror(st);
	else if (nsigs != 1 || sigs == NULL)
		*why = "not one signature";
	else {
		r = sigs[0].result;
		*why = sigs[0].reason;
	}
	enma_dkim_verifier_free(v);
	return r;
}

/* odkim_lookup - libopendkim's key lookup: the record by selector */
static DKIM_CBSTAT
odkim_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	const char *sel = (const char *)dkim_sig_getselector(sig);
	const char *rec = NULL;

	(void)dkim;
	if (sel != NULL && strcmp(sel, "rsa") == 0)
		rec = odkim_keys->rsa_record;
	else if (sel != NULL && strcmp(sel, "ed") == 0)
		rec = odkim_keys->ed_record;
	if (rec == NULL || strlen(rec) >= buflen)
		return DKIM_CBSTAT_NOTFOUND;
	memcpy(buf, rec, strlen(rec) + 1);
	return DKIM_CBSTAT_CONTINUE;
}

/* odkim_once - one message on libopendkim's side; 1 when it passed */
static int
odkim_once(struct odkim_side *s, const char **why)
{
	const struct bench_msg *m = s->msg;
	DKIM_SIGINFO *sig;
	DKIM_STAT st;
	DKIM *d;
	size_t i, n;
	int ok;

	if ((d = dkim_verify(s->lib, (const unsigned char *)"bench", NULL,
	    &st)) == NULL)
		die("dkim_verify", dkim_getresultstr(st));
	for (i = 0; i < m->nfields && st == DKIM_STAT_OK; i++)
		st = dkim_header(d, m->mfields[i], m->fields[i].len);
	if (st == DKIM_STAT_OK)
		st = dkim_eoh(d);
	for (i = 0; i < m->bodylen && st == DKIM_STAT_OK; i += n) {
		n = m->bodylen - i < BENCH_CHUNK ? m->bodylen - i :
		    BENCH_CHUNK;
		st = dkim_body(d, m->body + i, n);
	}
	if (st == DKIM_STAT_OK)
		st = dkim_eom(d, NULL);
	sig = dkim_getsignature(d);
	ok = st == DKIM_STAT_OK && sig != NULL && DKIM_SIG_CHECK(sig);
	*why = st != DKIM_STAT_OK ? dkim_getresultstr(st) : sig == NULL ?
	    "no signature" : dkim_sig_geterrorstr(dkim_sig_geterror(sig));
	dkim_free(d);
	return ok;
}

/* enma_run - n messages; the elapsed nanoseconds */
static uint64_t
enma_run(void *arg, uint64_t n)
{
	uint64_t t0 = now_ns(), i;
	const char *why;

	for (i = 0; i < n; i++)
		if (enma_once(arg, &why) != ENMA_DKIM_PASS)
			die("enma", "verdict changed while timing");
	return now_ns() - t0;
}

/* odkim_run - n messages; the elapsed nanoseconds */
static uint64_t
odkim_run(void *arg, uint64_t n)
{
	uint64_t t0 = now_ns(), i;
	const char *why;

	for (i = 0; i < n; i++)
		if (!odkim_once(arg, &why))
			die("libopendkim", "verdict changed while timing");
	return now_ns() - t0;
}

/*
 * size_run - the number of messages that take about BENCH_TARGET_MS /
 * BENCH_ROUNDS: grow n until a run takes BENCH_CALIBRATE_MS, then scale
 */
static uint64_t
size_run(uint64_t (*run)(void *, uint64_t), void *side)
{
	uint64_t n = 4, ns;

	while ((ns = run(side, n)) < BENCH_CALIBRATE_MS * 1000000ull)
		n *= 2;
	return (uint64_t)((double)n * BENCH_TARGET_MS * 1e6 /
	    BENCH_ROUNDS / (double)ns) + 1;
}

/* rate - messages per second of one timed run of n */
static double
rate(uint64_t (*run)(void *, uint64_t), void *side, uint64_t n)
{
	return (double)n * 1e9 / (double)run(side, n);
}

/* What one case gave. */
struct case_result {
	double		enma, odkim, limit;	/* messages per second */
	int		enma_ok, odkim_ok;	/* each side passed it */
	uint64_t	en, ln;			/* messages per timed run */
};

/* check_case - both sides must pass the message before it is timed */
static void
check_case(const struct bench_msg *m, struct enma_side *es,
    struct odkim_side *ls, struct case_result *cr)
{
	enum enma_dkim_result er;
	const char *why;

	es->msg = ls->msg = m;
	er = enma_once(es, &why);
	if (!(cr->enma_ok = er == ENMA_DKIM_PASS))
		printf("dkim %s: enma does not pass it: %s (%s)\n", m->name,
		    enma_dkim_result_to_text(er), why != NULL ? why :
		    "no reason");
	if (!(cr->odkim_ok = odkim_once(ls, &why)))
		printf("dkim %s: libopendkim does not pass it: %s\n",
		    m->name, why != NULL ? why : "no reason");
	fflush(stdout);
}

/*
 * check_tampered - with one body byte changed, neither side may pass
 * the message (the check above could not fail otherwise)
 */
static void
check_tampered(const struct bench_msg *m, struct enma_side *es,
    struct odkim_side *ls, const struct case_result *cr)
{
	const char *why;
	int passed = 0;

	m->body[0] ^= 0x01;	/* a letter: the canonical body changes */
	if (cr->enma_ok && enma_once(es, &why) == ENMA_DKIM_PASS)
		passed = 1;
	if (cr->odkim_ok && odkim_once(ls, &why))
		passed = 1;
	m->body[0] ^= 0x01;
	if (passed)
		die(m->name, "a changed body still passes");
}

/* print_case - one line: rates, ratio, fractions of the limit */
static void
print_case(const struct bench_msg *m, const struct case_result *cr)
{
	uint64_t en = cr->en, ln = cr->ln;
	const char *sep = "";

	printf("dkim %s:", m->name);
	if (en > 0)
		printf(" enma %.0f/s", cr->enma);
	if (ln > 0)
		printf(" libopendkim %.0f/s", cr->odkim);
	if (en > 0 && ln > 0)
		printf(" ratio %.2fx", cr->enma / cr->odkim);
	printf("; crypto limit %.0f/s (%s verify + SHA-256 of %zu "
	    "canonical bytes):", cr->limit, m->alg == ALG_RSA ? "RSA-2048" :
	    "Ed25519", m->hashed);
	if (en > 0) {
		printf(" enma at %.0f%%", 100 * cr->enma / cr->limit);
		sep = ",";
	}
	if (ln > 0)
		printf("%s libopendkim at %.0f%%", sep,
		    100 * cr->odkim / cr->limit);
	printf(" (best of %d runs of", BENCH_ROUNDS);
	if (en > 0)
		printf(" %llu", (unsigned long long)en);
	if (en > 0 && ln > 0)
		printf(" and");
	if (ln > 0)
		printf(" %llu", (unsigned long long)ln);
	printf(" messages)\n");
	fflush(stdout);
}

/*
 * bench_case - check, then time the sides that pass, alternating and
 * keeping each one's best round (a burst of other load on the machine
 * hits both or is dropped), with a round of the raw crypto each time;
 * only: one side alone, for perf.  The limit is computed at the end.
 */
static void
bench_case(const struct bench_msg *m, struct bench_raw *raw,
    struct enma_side *es, struct odkim_side *ls, const char *only,
    struct case_result *cr)
{
	int r;

	memset(cr, 0, sizeof(*cr));
	check_case(m, es, ls, cr);
	check_tampered(m, es, ls, cr);
	if (cr->enma_ok && (only == NULL || strcmp(only, "enma") == 0))
		cr->en = size_run(enma_run, es);
	if (cr->odkim_ok && (only == NULL ||
	    strcmp(only, "libopendkim") == 0))
		cr->ln = size_run(odkim_run, ls);
	for (r = 0; r < BENCH_ROUNDS; r++) {
		if (cr->en > 0)
			cr->enma = fmax(cr->enma, rate(enma_run, es, cr->en));
		if (cr->ln > 0)
			cr->odkim = fmax(cr->odkim, rate(odkim_run, ls,
			    cr->ln));
		raw_round(raw);
	}
}

/*
 * memory_child - bench_dkim -M bytes signature record: verify a body
 * of that size made in BENCH_CHUNK pieces; print ru_maxrss (KiB)
 */
static int
memory_child(char **argv)
{
	struct enma_side s;
	struct enma_header h[BENCH_MAX_FIELDS];
	struct bench_msg m;
	struct bodygen g = { 0, strtoull(argv[0], NULL, 10) };
	const struct enma_dkim_sig *sigs = NULL;
	struct enma_dkim_verifier *v;
	struct enma_zone *zone = enma_zone_keys(argv[2], NULL);
	struct enma_dns_ctx dns;
	struct rusage ru;
	unsigned char *buf = xmalloc(BENCH_CHUNK);
	size_t n, nsigs = 0, skipped;
	const char *why = NULL;

	memset(&m, 0, sizeof(m));
	m.name = "memory";
	m.sig = argv[1];
	msg_fields(&m);
	memset(&s, 0, sizeof(s));
	s.msg = &m;
	if (enma_resolver_zone_new(zone, &s.resolver) != ENMA_OK ||
	    (s.arena = enma_arena_new(BENCH_ARENA_LIMIT)) == NULL)
		die("memory", "set-up");
	if ((v = enma_feed(&s, h, &why)) == NULL)
		die("memory", why);
	while ((n = bodygen_fill(&g, buf, BENCH_CHUNK)) > 0)
		if (enma_dkim_verifier_body(v, enma_span_make(buf, n)) !=
		    ENMA_OK)
			die("memory", "enma_dkim_verifier_body");
	enma_dns_ctx_init(&dns, s.resolver, 0, 0);
	if (enma_dkim_verifier_finish(v, &dns, &sigs, &nsigs, &skipped) !=
	    ENMA_OK || nsigs != 1 || sigs[0].result != ENMA_DKIM_PASS)
		die("memory", "the message does not pass");
	getrusage(RUSAGE_SELF, &ru);
	printf("%ld\n", ru.ru_maxrss);
	return 0;
}

/* memory_run - sign a body of size bytes, verify it in a fresh process;
 * its peak resident size in KiB, or -1 */
static long
memory_run(const struct bench_keys *k, uint64_t size)
{
	char sizetext[32], out[64];
	unsigned char bh[32];
	uint64_t canon;
	size_t hashed;
	ssize_t got;
	char *sig;
	int fd[2], status;
	pid_t pid;

	body_hash(size, bh, &canon);
	sig = sign_message(k->rsa, ALG_RSA, bh, &hashed);
	snprintf(sizetext, sizeof(sizetext), "%llu", (unsigned long long)size);
	fflush(stdout);
	if (pipe(fd) == -1 || (pid = fork()) == -1)
		die("memory", strerror(errno));
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		execl("/proc/self/exe", "bench_dkim", "-M", sizetext, sig,
		    k->rsa_record, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	got = read(fd[0], out, sizeof(out) - 1);
	close(fd[0]);
	free(sig);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 || got <= 0)
		return -1;
	out[got] = '\0';
	return strtol(out, NULL, 10);
}

/* memory_bench - peak memory for a 1 MiB and a 100 MiB body; 1 if equal */
static int
memory_bench(const struct bench_keys *k)
{
	long small = memory_run(k, BENCH_LARGE_BODY);
	long huge = memory_run(k, BENCH_HUGE_BODY);
	int same = small > 0 && huge > 0 &&
	    labs(huge - small) <= BENCH_RSS_SLACK_KIB;

	if (small < 0 || huge < 0)
		printf("dkim memory: the child verifier failed\n");
	else
		printf("dkim memory: peak RSS verifying a 1 MiB body %ld KiB, "
		    "a 100 MiB body %ld KiB (difference %+ld KiB; one process "
		    "each, body fed in %d KiB chunks)\n", small, huge,
		    huge - small, BENCH_CHUNK / 1024);
	fflush(stdout);
	return same;
}

struct case_def {
	const char	*name;
	enum bench_alg	 alg;
	size_t		 size;
	double		 goal;		/* of the crypto limit; 0 = none */
};

static const struct case_def case_defs[] = {
	{ "rsa-4k", ALG_RSA, BENCH_SMALL_BODY, BENCH_GOAL_SMALL },
	{ "rsa-1m", ALG_RSA, BENCH_LARGE_BODY, BENCH_GOAL_LARGE },
	{ "ed25519-4k", ALG_ED25519, BENCH_SMALL_BODY, 0 },
};

#define NCASES	(sizeof(case_defs) / sizeof(case_defs[0]))

/* selected - no case named on the command line, or this one named */
static int
selected(const char *name, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return argc == 0;
}

/* sides_init - our resolver, key cache and arena; libopendkim's library */
static void
sides_init(const struct bench_keys *k, struct enma_zone **zone,
    struct enma_side *es, struct odkim_side *ls)
{
	memset(es, 0, sizeof(*es));
	memset(ls, 0, sizeof(*ls));
	*zone = enma_zone_keys(k->rsa_record, k->ed_record);
	if (enma_resolver_zone_new(*zone, &es->resolver) != ENMA_OK ||
	    (es->cache = enma_dkim_keycache_new(BENCH_KEYCACHE)) == NULL ||
	    (es->arena = enma_arena_new(BENCH_ARENA_LIMIT)) == NULL)
		die("enma", "set-up");
	odkim_keys = k;
	if ((ls->lib = dkim_init(NULL, NULL)) == NULL ||
	    dkim_set_key_lookup(ls->lib, odkim_lookup) != DKIM_STAT_OK)
		die("libopendkim", "dkim_init");
}

/* goal_word - "met" or "NOT MET" for a case with a goal */
static const char *
goal_word(const struct case_result *cr, double goal)
{
	return cr->enma_ok && cr->enma / cr->limit >= goal ? "met" :
	    "NOT MET";
}

/* summary - the goals of the issue, one line */
static int
summary(const struct case_result *cr, const int *done, int memory)
{
	uint32_t v = dkim_libversion();
	int ok = memory != 0;	/* -1: not measured */
	size_t i;

	printf("dkim: one thread, libopendkim %u.%u.%u, %s:", v >> 24,
	    (v >> 16) & 0xff, (v >> 8) & 0xff,
	    OpenSSL_version(OPENSSL_VERSION));
	for (i = 0; i < NCASES; i++) {
		if (!done[i] || case_defs[i].goal == 0)
			continue;
		if (!cr[i].enma_ok)
			printf(" %s not verified by enma: NOT MET;",
			    case_defs[i].name);
		else
			printf(" %s at %.0f%% of the limit (goal >= %.0f%%): "
			    "%s;", case_defs[i].name,
			    100 * cr[i].enma / cr[i].limit,
			    100 * case_defs[i].goal, goal_word(&cr[i],
			    case_defs[i].goal));
		ok = ok && strcmp(goal_word(&cr[i], case_defs[i].goal),
		    "met") == 0;
	}
	if (memory >= 0)
		printf(" peak memory the same for 1 MiB and 100 MiB: %s",
		    memory ? "met" : "NOT MET");
	printf("\n");
	return ok;
}

/*
 * write_case - -w: the signed message of a case on stdout (CRLF), its
 * key record on stderr, for checking the signer with other verifiers
 */
static int
write_case(const struct bench_msg *msgs, const struct bench_keys *k,
    const char *name)
{
	size_t i, j;

	for (i = 0; i < NCASES; i++) {
		if (strcmp(msgs[i].name, name) != 0)
			continue;
		for (j = 0; j < msgs[i].nfields; j++)
			printf("%s\r\n", (const char *)msgs[i].mfields[j]);
		printf("\r\n");
		fwrite(msgs[i].body, 1, msgs[i].bodylen, stdout);
		fprintf(stderr, "%s._domainkey." BENCH_DOMAIN " %s\n",
		    msgs[i].alg == ALG_RSA ? "rsa" : "ed", msgs[i].alg ==
		    ALG_RSA ? k->rsa_record : k->ed_record);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	die("-w", "no such case");
}

/* usage: bench_dkim [-o enma | -o libopendkim | -w case] [case ...] */
int
main(int argc, char **argv)
{
	struct bench_keys keys;
	struct bench_msg msgs[NCASES];
	struct case_result cr[NCASES];
	struct bench_raw raw;
	struct enma_side es;
	struct odkim_side ls;
	struct enma_zone *zone;
	const char *only = NULL, *write = NULL;
	int done[NCASES], memory = -1, c, failed = 0;
	size_t i;

	if (argc == 5 && strcmp(argv[1], "-M") == 0)
		return memory_child(argv + 2);
	while ((c = getopt(argc, argv, "o:w:")) != -1) {
		if (c == 'w')
			write = optarg;
		else if (c != 'o' || (strcmp(optarg, "enma") != 0 &&
		    strcmp(optarg, "libopendkim") != 0))
			die("usage", "bench_dkim [-o enma|libopendkim] "
			    "[-w case] [case ...]");
		else
			only = optarg;
	}
	keys_make(&keys);
	for (i = 0; i < NCASES; i++)
		msg_make(&msgs[i], case_defs[i].name, case_defs[i].alg,
		    case_defs[i].size, &keys);
	if (write != NULL)
		return write_case(msgs, &keys, write);
	raw_init(&keys, &raw);
	sides_init(&keys, &zone, &es, &ls);
	for (i = 0; i < NCASES; i++) {
		done[i] = selected(case_defs[i].name, argc - optind,
		    argv + optind);
		if (done[i])
			bench_case(&msgs[i], &raw, &es, &ls, only, &cr[i]);
		failed |= done[i] && !cr[i].enma_ok;
	}
	raw_print(&raw);
	for (i = 0; i < NCASES; i++)
		if (done[i]) {
			cr[i].limit = limit_rate(&msgs[i], &raw);
			print_case(&msgs[i], &cr[i]);
		}
	if (optind == argc && !failed &&
	    (only == NULL || strcmp(only, "enma") == 0))
		memory = memory_bench(&keys);
	/* a goal not met is reported, not an error: nothing is asserted */
	if (only == NULL)
		(void)summary(cr, done, memory);
	raw_free(&raw);
	dkim_close(ls.lib);
	enma_dkim_keycache_free(es.cache);
	enma_arena_free(es.arena);
	enma_resolver_free(es.resolver);
	enma_zone_free(zone);
	return failed ? 1 : 0;
}
