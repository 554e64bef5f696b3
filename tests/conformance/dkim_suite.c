/*
 * dkim_suite.c - third-party DKIM vectors against libenma's verifier
 *
 *	dkim-suite [-v] [-d SHARED] [-t NAME]
 *
 * Reads, in place, under SHARED/testsuites/dkim/ (SHARED is -d, else
 * $ENMA_SHARED, else ../shared; see SOURCES.md there):
 *
 *	dkim_verifier/rfc6376-A.2.eml	RFC 6376 Appendix A.2, with the
 *		key of Appendix C and the key variants dkim_verifier checks
 *	dkim_verifier/rfc8463-A.3.eml	RFC 8463 A.3, both signatures
 *	mail-dkim/corpus/		the Mail::DKIM corpus, keys from its
 *		FAKE_DNS.dat, verdicts from the table below
 *	mail-dkim-verifier-expected.yml	its ADSP cases, and the list of
 *		corpus files (every one must have a row here)
 *	dkimpy/				the messages whose keys are in the
 *		folder, with its key-record variants
 *	go-msgauth-canonicalization-cases.yml	canonicalisation vectors
 *
 * Messages are read as bytes and bare LF line ends become CRLF (the LF
 * files are stored so; SOURCES.md).  Each message is verified three
 * times, its body fed whole, in 13-byte chunks and byte by byte; all
 * three must give the expected verdicts.  One line per failure, then
 * "N passed, N failed".
 *
 * The Mail::DKIM corpus predates RFC 8301 and uses its own words.  The
 * table gives, for each message, the verdicts (one per DKIM-Signature,
 * top first) under the rules of RFC 6376, 8301 and 8601 2.7.1, derived
 * from the RFCs and from what each message is (read from its bytes and
 * the key it names), not from our output:
 *
 *	- no v= or v= other than 1 (the ietf00/01/05 drafts, bad_1,
 *	  no_body_*, badkey_1..7, ignore_1..4) is "incompatible version" /
 *	  "missing required tag", RFC 6376 6.1.1: neutral;
 *	- a=, c=, q= values we cannot use, i= outside d=: neutral (6.1.1);
 *	- Mail::DKIM's passes with rsa-sha1 or the 512-bit test1..5 keys are
 *	  policy by default (RFC 8301 3.1, 3.2) and pass when the policy
 *	  allows SHA-1 and short keys (column "lenient");
 *	- the expired ignore_7 verifies and is policy either way;
 *	- key problems (t=s with a subdomain i=, h= without the hash, no
 *	  key, a revoked or malformed key, Ed25519 p= that is not 32 bytes)
 *	  are permerror; the DNS timeout and SERVFAIL cases temperror;
 *	- g= (RFC 4871 only) changes the verdict only with
 *	  dkim.rfc4871_compatible on (columns "4871"), where a local-part
 *	  it does not match (badkey_8, 9, 12, 13) is permerror;
 *	- DomainKey-Signature messages carry no DKIM signature: no verdict.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include <enma/dkim.h>
#include <enma/dns.h>
#include <enma/mail.h>

#include "dkim_int.h"

#define SUITE_ARENA_LIMIT	(16u * 1024 * 1024)
#define SUITE_MAX_FILE		(4u * 1024 * 1024)
#define SUITE_MAX_HEADERS	256
#define SUITE_TXT_STRING	255	/* RFC 1035 3.3.14 character-string */
#define SUITE_DNS_BUDGET_MS	20000
#define SUITE_WANT_MAX		256

/* The four policies a corpus row gives verdicts for. */
enum { POL_DEFAULT, POL_LENIENT, POL_4871, POL_LENIENT_4871, POL_N };

static const char *const pol_name[POL_N] = {
	"default", "lenient", "rfc4871", "lenient+rfc4871"
};

/* RFC 6376 Appendix C key, published for d=example.com (SOURCES.md) */
#define KEY_RFC6376 "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9" \
	"ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7o" \
	"d+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWT" \
	"oIMmPSPDdQPNUYckcQ2QIDAQAB"
/* RFC 8463 A.2: the Ed25519 key brisbane._domainkey.football.example.com */
#define KEY_RFC8463_ED "v=DKIM1; k=ed25519; " \
	"p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

/*
 * The Mail::DKIM corpus under our rules.  want[POL_4871] and
 * want[POL_LENIENT_4871] NULL: as without rfc4871.  "" is no signature.
 */
static const struct corpus_row {
	const char	*file;
	const char	*want[POL_N];
} corpus[] = {
	/* pre-standard drafts: no v= (RFC 6376 6.1.1) */
	{ "good_ietf00_1.txt", { "neutral", "neutral" } },
	{ "good_ietf00_2.txt", { "neutral", "neutral" } },
	{ "good_ietf00_3.txt", { "neutral", "neutral" } },
	{ "good_ietf00_4.txt", { "neutral", "neutral" } },
	{ "good_ietf00_5.txt", { "neutral", "neutral" } },
	{ "mine_ietf01_1.txt", { "neutral", "neutral" } },
	{ "mine_ietf01_2.txt", { "neutral", "neutral" } },
	{ "mine_ietf01_3.txt", { "neutral", "neutral" } },
	{ "mine_ietf01_4.txt", { "neutral", "neutral" } },
	{ "mine_ietf05_1.txt", { "neutral", "neutral" } },	/* v=0.5 */
	{ "good_ietf01_1.txt", { "neutral", "neutral" } },
	{ "good_ietf01_2.txt", { "neutral", "neutral" } },
	{ "bad_ietf01_1.txt", { "neutral", "neutral" } },
	{ "bad_ietf01_2.txt", { "neutral", "neutral" } },
	{ "bad_ietf01_3.txt", { "neutral", "neutral" } },
	{ "bad_1.txt", { "neutral", "neutral" } },
	{ "multiple_1.txt", { "neutral,neutral,neutral,neutral",
	    "neutral,neutral,neutral,neutral" } },
	{ "no_body_1.txt", { "neutral", "neutral" } },		/* v=0.5 */
	{ "no_body_2.txt", { "neutral", "neutral" } },
	{ "no_body_3.txt", { "neutral", "neutral" } },
	/* v=1, rsa-sha1 and 512-bit keys: RFC 8301 */
	{ "good_rfc4871_3.txt", { "policy", "pass" } },	/* extra tag */
	{ "good_rfc4871_4.txt", { "policy", "pass" } },	/* i= case */
	{ "good_1878523.txt", { "policy", "pass" } },	/* FWS before = */
	{ "good_83176.txt", { "policy", "pass" } },	/* 1024-bit, sha1 */
	{ "good_qp_1.txt", { "policy", "pass" } },
	{ "good_qp_2.txt", { "policy", "pass" } },
	{ "good_qp_3.txt", { "policy", "pass" } },
	/* c=foobar; good; altered b=; "synerr" is no tag list */
	{ "multiple_2.txt", { "neutral,policy,fail,neutral",
	    "neutral,pass,fail,neutral" } },
	{ "bad_1878954.txt", { "fail", "fail" } },	/* modified, LF */
	/* DomainKeys (RFC 4870) only */
	{ "good_dk_gmail.txt", { "", "" } },
	{ "good_dk_yahoo.txt", { "", "" } },
	{ "good_dk_1.txt", { "", "" } },
	{ "good_dk_2.txt", { "", "" } },
	{ "good_dk_3.txt", { "", "" } },
	{ "good_dk_4.txt", { "", "" } },
	{ "good_dk_5.txt", { "", "" } },
	{ "good_dk_6.txt", { "", "" } },
	{ "good_dk_7.txt", { "", "" } },
	{ "dk_headers_1.txt", { "", "" } },
	{ "dk_headers_2.txt", { "", "" } },
	{ "bad_dk_1.txt", { "", "" } },
	{ "bad_dk_2.txt", { "", "" } },
	{ "bad_dk_3.txt", { "", "" } },
	{ "bad_dk_4.txt", { "", "" } },
	{ "bad_dk_5.txt", { "", "" } },
	{ "dk_multiple_1.txt", { "", "" } },
	/* the signature field (6.1.1) */
	{ "ignore_1.txt", { "neutral", "neutral" } },	/* v=5 */
	{ "ignore_2.txt", { "neutral", "neutral" } },	/* rsa-md5 */
	{ "ignore_3.txt", { "neutral", "neutral" } },	/* dsa-sha1 */
	{ "ignore_4.txt", { "neutral", "neutral" } },	/* c=future */
	{ "ignore_5.txt", { "neutral", "neutral" } },	/* q=http */
	{ "ignore_6.txt", { "neutral", "neutral" } },	/* q=dns/special */
	{ "ignore_7.txt", { "policy", "policy" } },	/* x= in 2007 */
	{ "ignore_8.txt", { "neutral", "neutral" } },	/* i= not in d= */
	/* key record variants (3.6.1) */
	{ "goodkey_1.txt", { "policy", "pass" } },	/* s=email, t=y */
	{ "goodkey_2.txt", { "policy", "pass" } },	/* extra tags */
	{ "goodkey_3.txt", { "policy", "pass" } },	/* g=jl*g matches */
	{ "goodkey_4.txt", { "policy", "pass" } },
	{ "badkey_1.txt", { "neutral", "neutral" } },	/* v=0.5 ... */
	{ "badkey_2.txt", { "neutral", "neutral" } },
	{ "badkey_3.txt", { "neutral", "neutral" } },
	{ "badkey_4.txt", { "neutral", "neutral" } },
	{ "badkey_5.txt", { "neutral", "neutral" } },
	{ "badkey_6.txt", { "neutral", "neutral" } },
	{ "badkey_7.txt", { "neutral", "neutral" } },
	{ "badkey_8.txt", { "policy", "pass", "permerror", "permerror" } },
	{ "badkey_9.txt", { "policy", "pass", "permerror", "permerror" } },
	{ "badkey_10.txt", { "permerror", "permerror" } },	/* t=s */
	{ "badkey_11.txt", { "permerror", "permerror" } },	/* h=md5:sha1 */
	{ "badkey_12.txt", { "policy", "pass", "permerror", "permerror" } },
	{ "badkey_13.txt", { "policy", "pass", "permerror", "permerror" } },
	{ "badkey_14.txt", { "temperror", "temperror" } },	/* timeout */
	{ "badkey_15.txt", { "temperror", "temperror" } },	/* SERVFAIL */
	/* Ed25519 (RFC 8463) */
	{ "goodkey_ed25519.txt", { "pass", "pass" } },
	{ "badkey1_ed25519.txt", { "permerror", "permerror" } }, /* SPKI */
	{ "badkey2_ed25519.txt", { "fail", "fail" } },	/* header changed */
	{ "badkey3_ed25519.txt", { "fail", "fail" } },	/* body changed */
	{ "badkey4_ed25519.txt", { "permerror", "permerror" } }, /* no key */
	{ "badkey5_ed25519.txt", { "permerror", "permerror" } },	/* "" */
};

struct suite {
	const char	*dir;		/* SHARED/testsuites/dkim */
	const char	*only;
	int		 verbose;
	unsigned	 passed;
	unsigned	 failed;
};

/* A message read from a file: CRLF, header fields, body. */
struct msg {
	unsigned char		*buf;
	size_t			 len;
	struct enma_header	 hdr[SUITE_MAX_HEADERS];
	size_t			 nhdr;
	struct enma_span	 body;
};

/* A key record to publish: name and TXT value. */
struct rec {
	const char	*name;
	const char	*txt;
};

static int
selected(const struct suite *s, const char *name)
{
	return s->only == NULL || strstr(name, s->only) != NULL;
}

static void
result(struct suite *s, int ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* result - count a case; print it when it failed (or with -v) */
static void
result(struct suite *s, int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		s->passed++;
	else
		s->failed++;
	if (ok && !s->verbose)
		return;
	printf("%s %s: ", ok ? "ok" : "FAIL", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* read_file - the whole file, bare LF turned into CRLF */
static int
read_file(const char *path, unsigned char **out, size_t *len)
{
	FILE		*f;
	unsigned char	*raw, *o;
	size_t		 n, i, k = 0;

	if ((f = fopen(path, "rb")) == NULL)
		return 0;
	raw = malloc(SUITE_MAX_FILE);
	n = raw != NULL ? fread(raw, 1, SUITE_MAX_FILE, f) : 0;
	fclose(f);
	if (raw == NULL || (o = malloc(2 * n + 1)) == NULL) {
		free(raw);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
			o[k++] = '\r';
		o[k++] = raw[i];
	}
	free(raw);
	*out = o;
	*len = k;
	return 1;
}

/* msg_split - header fields up to the empty line, then the body */
static int
msg_split(struct msg *m)
{
	size_t	i = 0, start, e;

	m->nhdr = 0;
	while (i < m->len) {
		if (m->len - i >= 2 && m->buf[i] == '\r' &&
		    m->buf[i + 1] == '\n') {
			i += 2;
			break;
		}
		start = i;
		for (;;) {
			for (e = i; e + 1 < m->len && !(m->buf[e] == '\r' &&
			    m->buf[e + 1] == '\n'); e++)
				continue;
			i = e + 1 < m->len ? e + 2 : m->len;
			if (i >= m->len || (m->buf[i] != ' ' &&
			    m->buf[i] != '\t'))
				break;
		}
		if (m->nhdr == SUITE_MAX_HEADERS)
			return 0;
		/* a line that is no field ("Invalid header") is skipped */
		if (enma_header_parse(enma_span_make(m->buf + start,
		    i - start), &m->hdr[m->nhdr]) == ENMA_OK)
			m->nhdr++;
	}
	m->body = enma_span_make(m->buf + i, m->len - i);
	return 1;
}

/* msg_load - a message file */
static int
msg_load(const char *path, struct msg *m)
{
	memset(m, 0, sizeof(*m));
	if (!read_file(path, &m->buf, &m->len))
		return 0;
	return msg_split(m);
}

/* zone_txt - publish a TXT value in strings of at most 255 bytes */
static int
zone_txt(struct enma_zone *z, const char *name, const char *txt, size_t n)
{
	struct enma_span	s[64];
	size_t			k = 0, off = 0;

	do {
		size_t l = n - off > SUITE_TXT_STRING ? SUITE_TXT_STRING :
		    n - off;

		if (k == sizeof(s) / sizeof(s[0]))
			return 0;
		s[k++] = enma_span_make(txt + off, l);
		off += l;
	} while (off < n);
	return enma_zone_add_txt(z, name, ENMA_DNS_TXT, s, k) == ENMA_OK;
}

/* verdicts - verify m under pol, body in chunks of chunk bytes (0:
 * whole); the verdicts joined with ',' into out */
static int
verdicts(const struct msg *m, struct enma_resolver *res,
    const struct enma_dkim_policy *pol, size_t chunk, char *out,
    size_t outlen, char *why, size_t whylen)
{
	struct enma_arena		*a = enma_arena_new(SUITE_ARENA_LIMIT);
	struct enma_dkim_verifier	*v = NULL;
	struct enma_dns_ctx		 dns;
	const struct enma_dkim_sig	*sig;
	size_t				 n = 0, skipped, i, step;
	int				 ok = 0;

	out[0] = why[0] = '\0';
	if (a == NULL || enma_dkim_verifier_new(pol, NULL, a, &v) != ENMA_OK ||
	    enma_dkim_verifier_headers(v, m->hdr, m->nhdr) != ENMA_OK)
		goto done;
	for (i = 0; i < m->body.len; i += step) {
		step = chunk == 0 ? m->body.len : chunk;
		if (step > m->body.len - i)
			step = m->body.len - i;
		if (enma_dkim_verifier_body(v, enma_span_make(m->body.p + i,
		    step)) != ENMA_OK)
			goto done;
	}
	enma_dns_ctx_init(&dns, res, SUITE_DNS_BUDGET_MS, 0);
	if (enma_dkim_verifier_finish(v, &dns, &sig, &n, &skipped) != ENMA_OK)
		goto done;
	for (i = 0; i < n; i++) {
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s",
		    i > 0 ? "," : "", enma_dkim_result_to_text(sig[i].result));
		snprintf(why + strlen(why), whylen - strlen(why), "%s[%s]",
		    i > 0 ? " " : "", sig[i].reason != NULL ? sig[i].reason :
		    "-");
	}
	ok = 1;
done:
	enma_dkim_verifier_free(v);
	enma_arena_free(a);
	return ok;
}

/* check_msg - one message under one policy, in three chunkings */
static void
check_msg(struct suite *s, const char *name, const struct msg *m,
    struct enma_resolver *res, const struct enma_dkim_policy *pol,
    const char *want)
{
	static const size_t chunks[] = { 0, 13, 1 };
	char	got[SUITE_WANT_MAX], why[4096];
	size_t	c;

	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		if (!verdicts(m, res, pol, chunks[c], got, sizeof(got), why,
		    sizeof(why))) {
			result(s, 0, name, "verifier error");
			return;
		}
		if (strcmp(got, want) != 0) {
			result(s, 0, name, "got \"%s\" %s, want \"%s\" (chunk "
			    "%zu)", got, why, want, chunks[c]);
			return;
		}
	}
	result(s, 1, name, "%s %s", got, why);
}

/* policy_of - one of the four policies of the corpus table */
static void
policy_of(int which, struct enma_dkim_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	if (which == POL_LENIENT || which == POL_LENIENT_4871) {
		pol->allow_sha1 = 1;
		pol->min_rsa_bits = 512;
	}
	pol->rfc4871_compatible = which == POL_4871 ||
	    which == POL_LENIENT_4871;
}

/* path_of - SHARED/testsuites/dkim/rel */
static const char *
path_of(const struct suite *s, const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", s->dir, rel);
	return buf;
}

/* trim_end - drop trailing CR, LF and WSP in place */
static size_t
trim_end(char *p, size_t n)
{
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n' ||
	    p[n - 1] == ' ' || p[n - 1] == '\t'))
		p[--n] = '\0';
	return n;
}

/* fake_dns_line - one line of FAKE_DNS.dat into the zone */
static int
fake_dns_line(struct enma_zone *z, char *line)
{
	char	*name = line, *val;
	size_t	 n = trim_end(line, strlen(line));

	if (n == 0 || line[0] == '#' || line[0] == ';')
		return 1;
	for (val = line; *val != '\0' && *val != ' ' && *val != '\t'; val++)
		continue;
	if (*val == '\0')
		return 0;
	*val++ = '\0';
	while (*val == ' ' || *val == '\t')
		val++;
	if (strcmp(val, "NXDOMAIN") == 0)
		return 1;
	if (strcmp(val, "~~Query timed out~~") == 0)
		return enma_zone_add_timeout(z, name) == ENMA_OK;
	if (strcmp(val, "~~SERVFAIL~~") == 0)
		return enma_zone_add_servfail(z, name) == ENMA_OK;
	if (strcmp(val, "\"\"") == 0)
		return zone_txt(z, name, "", 0);
	return zone_txt(z, name, val, strlen(val));
}

/* fake_dns - Mail::DKIM's key records as a zone */
static struct enma_zone *
fake_dns(const struct suite *s)
{
	char			 path[1024], line[4096];
	struct enma_zone	*z;
	FILE			*f;
	int			 ok = 1;

	if ((z = enma_zone_new()) == NULL ||
	    (f = fopen(path_of(s, "mail-dkim/FAKE_DNS.dat", path,
	    sizeof(path)), "r")) == NULL) {
		enma_zone_free(z);
		return NULL;
	}
	while (ok && fgets(line, sizeof(line), f) != NULL)
		ok = fake_dns_line(z, line);
	fclose(f);
	if (!ok) {
		enma_zone_free(z);
		return NULL;
	}
	return z;
}

/* row_of - the table row of a corpus file */
static const struct corpus_row *
row_of(const char *file)
{
	size_t i;

	for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++)
		if (strcmp(corpus[i].file, file) == 0)
			return &corpus[i];
	return NULL;
}

/* corpus_file - one corpus message under the four policies */
static void
corpus_file(struct suite *s, struct enma_resolver *res,
    const struct corpus_row *row)
{
	struct enma_dkim_policy	 pol;
	struct msg		*m = calloc(1, sizeof(*m));
	char			 path[1024], rel[512], name[600];
	const char		*want;
	int			 p;

	snprintf(rel, sizeof(rel), "mail-dkim/corpus/%s", row->file);
	if (m == NULL || !msg_load(path_of(s, rel, path, sizeof(path)), m)) {
		result(s, 0, rel, "cannot read the message");
		free(m);
		return;
	}
	for (p = 0; p < POL_N; p++) {
		want = row->want[p] != NULL ? row->want[p] :
		    row->want[p - POL_4871];
		snprintf(name, sizeof(name), "%s [%s]", rel, pol_name[p]);
		if (!selected(s, name))
			continue;
		policy_of(p, &pol);
		check_msg(s, name, m, res, &pol, want);
	}
	free(m->buf);
	free(m);
}

/* corpus_run - the table's rows; every corpus file must have one */
static void
corpus_run(struct suite *s)
{
	struct enma_zone	*z = fake_dns(s);
	struct enma_resolver	*res = NULL;
	struct dirent		*de;
	char			 path[1024];
	size_t			 i;
	DIR			*d;

	d = opendir(path_of(s, "mail-dkim/corpus", path, sizeof(path)));
	if (z == NULL || d == NULL ||
	    enma_resolver_zone_new(z, &res) != ENMA_OK) {
		result(s, 0, "mail-dkim", "cannot read the corpus or "
		    "FAKE_DNS.dat under %s", s->dir);
		goto done;
	}
	for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++)
		corpus_file(s, res, &corpus[i]);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && row_of(de->d_name) == NULL)
			result(s, 0, de->d_name, "corpus file without a row "
			    "in the table");
done:
	if (d != NULL)
		closedir(d);
	enma_resolver_free(res);
	enma_zone_free(z);
}

/* zone_of - a zone of key records; txt NULL reads file "@path" */
static struct enma_zone *
zone_of(const struct suite *s, const struct rec *r, size_t n)
{
	struct enma_zone	*z = enma_zone_new();
	unsigned char		*buf;
	char			 path[1024];
	size_t			 i, len;
	int			 ok = z != NULL;

	for (i = 0; ok && i < n; i++) {
		if (r[i].txt[0] != '@') {
			ok = zone_txt(z, r[i].name, r[i].txt,
			    strlen(r[i].txt));
			continue;
		}
		ok = read_file(path_of(s, r[i].txt + 1, path, sizeof(path)),
		    &buf, &len);
		if (ok) {
			len = trim_end((char *)buf, len);
			ok = zone_txt(z, r[i].name, (const char *)buf, len);
			free(buf);
		}
	}
	if (!ok) {
		enma_zone_free(z);
		return NULL;
	}
	return z;
}

/* keyed_case - a message, its key records, the verdicts wanted */
static void
keyed_case(struct suite *s, const char *name, const char *file,
    const struct rec *r, size_t nr, const char *want)
{
	struct enma_dkim_policy	 pol;
	struct enma_zone	*z;
	struct enma_resolver	*res = NULL;
	struct msg		*m;
	char			 path[1024], full[700];
	int			 p;

	if (!selected(s, name))
		return;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    !msg_load(path_of(s, file, path, sizeof(path)), m) ||
	    (z = zone_of(s, r, nr)) == NULL) {
		result(s, 0, name, "cannot read %s or its keys", file);
		if (m != NULL)
			free(m->buf);
		free(m);
		return;
	}
	if (enma_resolver_zone_new(z, &res) == ENMA_OK) {
		for (p = POL_DEFAULT; p <= POL_4871; p += POL_4871) {
			policy_of(p, &pol);
			snprintf(full, sizeof(full), "%s [%s]", name,
			    pol_name[p]);
			check_msg(s, full, m, res, &pol, want);
		}
	} else
		result(s, 0, name, "no resolver");
	enma_resolver_free(res);
	enma_zone_free(z);
	free(m->buf);
	free(m);
}

/* dkim_verifier's variants of the RFC 6376 Appendix C key record */
static const struct {
	const char	*name;
	const char	*txt;
	const char	*want;
} a2_keys[] = {
	{ "key as published", "v=DKIM1; p=" KEY_RFC6376, "pass" },
	{ "empty n=", "v=DKIM1; n=; p=" KEY_RFC6376, "pass" },
	{ "h=sha1:sha256", "v=DKIM1; h=sha1:sha256; p=" KEY_RFC6376, "pass" },
	{ "s=*", "v=DKIM1; s=*; p=" KEY_RFC6376, "pass" },
	{ "s=email", "v=DKIM1; s=email; p=" KEY_RFC6376, "pass" },
	{ "unknown g=*", "v=DKIM1; g=*; p=" KEY_RFC6376, "pass" },
	{ "revoked, empty p=", "v=DKIM1; p=", "permerror" },
	{ "h=sha1 only", "v=DKIM1; h=sha1; p=" KEY_RFC6376, "permerror" },
	{ "s= not email", "v=DKIM1; s=other; p=" KEY_RFC6376, "permerror" },
};

/* dkimpy's records for test._domainkey, tried on rfc6376.signed.rsa */
static const struct {
	const char	*file;
	const char	*want;
} rsa_keys[] = {
	{ "@dkimpy/test.txt", "pass" },
	{ "@dkimpy/test2.txt", "pass" },		/* k= default rsa */
	{ "@dkimpy/test_bad.txt", "permerror" },	/* corrupt DER */
	{ "@dkimpy/badversion.txt", "permerror" },	/* v=DKIM1: */
	{ "@dkimpy/badk.txt", "permerror" },		/* unknown k= */
	{ "@dkimpy/test_tlsrpt.txt", "permerror" },	/* s=tlsrpt */
};

/* rfc_cases - the RFC examples and the dkimpy messages */
static void
rfc_cases(struct suite *s)
{
	struct rec	r[2];
	char		name[256];
	size_t		i;

	for (i = 0; i < sizeof(a2_keys) / sizeof(a2_keys[0]); i++) {
		r[0].name = "brisbane._domainkey.example.com";
		r[0].txt = a2_keys[i].txt;
		snprintf(name, sizeof(name), "rfc6376-A.2, %s",
		    a2_keys[i].name);
		keyed_case(s, name, "dkim_verifier/rfc6376-A.2.eml", r, 1,
		    a2_keys[i].want);
	}
	r[0].name = "brisbane._domainkey.football.example.com";
	r[0].txt = KEY_RFC8463_ED;
	r[1].name = "test._domainkey.football.example.com";
	r[1].txt = "@dkimpy/test.txt";
	keyed_case(s, "rfc8463-A.3", "dkim_verifier/rfc8463-A.3.eml", r, 2,
	    "pass,pass");
	keyed_case(s, "dkimpy rfc6376.signed.msg", "dkimpy/rfc6376.signed.msg",
	    r, 2, "pass,pass");
	for (i = 0; i < sizeof(rsa_keys) / sizeof(rsa_keys[0]); i++) {
		r[0].name = "test._domainkey.football.example.com";
		r[0].txt = rsa_keys[i].file;
		snprintf(name, sizeof(name), "dkimpy rfc6376.signed.rsa.msg, "
		    "key %s", rsa_keys[i].file + 1);
		keyed_case(s, name, "dkimpy/rfc6376.signed.rsa.msg", r, 1,
		    rsa_keys[i].want);
	}
	r[0].name = "sed._domainkey.test.ex";
	r[0].txt = "@dkimpy/eximtest.dns";
	keyed_case(s, "dkimpy ed25519test2.msg", "dkimpy/ed25519test2.msg", r,
	    1, "pass");
	r[0].name = "test._domainkey.example.com";
	r[0].txt = "@dkimpy/test.txt";
	keyed_case(s, "dkimpy test.message.baddomain",
	    "dkimpy/test.message.baddomain", r, 1, "neutral");
}

/* node - a YAML node by index, or NULL */
static yaml_node_t *
node(yaml_document_t *d, int i)
{
	return i == 0 ? NULL : yaml_document_get_node(d, i);
}

/* scalar - a scalar node's bytes ("" for anything else) */
static struct enma_span
scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return ENMA_SPAN_LIT("");
	return enma_span_make(n->data.scalar.value, n->data.scalar.length);
}

/* map_get - the value of key in a mapping node */
static yaml_node_t *
map_get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	yaml_node_pair_t *p;

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	    p++)
		if (enma_span_eq(scalar(node(d, p->key)),
		    enma_span_from_cstr(key)))
			return node(d, p->value);
	return NULL;
}

/* yaml_load - the first document of a YAML file */
static int
yaml_load(const struct suite *s, const char *rel, yaml_document_t *doc)
{
	yaml_parser_t	parser;
	char		path[1024];
	FILE		*fp;
	int		ok;

	if ((fp = fopen(path_of(s, rel, path, sizeof(path)), "rb")) == NULL)
		return 0;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	ok = yaml_parser_load(&parser, doc) &&
	    yaml_document_get_root_node(doc) != NULL;
	yaml_parser_delete(&parser);
	fclose(fp);
	return ok;
}

/* buf_sink - canonical output into a buffer, for comparing */
static void
buf_sink(void *arg, const unsigned char *p, size_t n)
{
	(void)enma_buf_append(arg, p, n);
}

/* canon_case - one go-msgauth vector */
static void
canon_case(struct suite *s, yaml_document_t *d, const char *set,
    size_t idx, yaml_node_t *c)
{
	struct dkim_body_canon	 bc;
	struct enma_header	 h;
	struct enma_buf		 out;
	struct enma_span	 want, in;
	yaml_node_t		*input = map_get(d, c, "input");
	yaml_node_item_t	*it;
	char			 name[128];

	snprintf(name, sizeof(name), "go-msgauth %s #%zu", set, idx + 1);
	if (!selected(s, name))
		return;
	want = scalar(map_get(d, c, "output"));
	enma_buf_init(&out, 0);
	if (strcmp(set, "relaxed_header") == 0) {
		if (enma_header_parse(scalar(input), &h) == ENMA_OK)
			dkim_header_canon(&h, DKIM_CANON_RELAXED,
			    enma_span_make(NULL, 0), buf_sink, &out);
	} else if (input != NULL && input->type == YAML_SEQUENCE_NODE) {
		dkim_body_canon_init(&bc, strcmp(set, "relaxed_body") == 0 ?
		    DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE, buf_sink, &out);
		for (it = input->data.sequence.items.start;
		    it < input->data.sequence.items.top; it++) {
			in = scalar(node(d, *it));
			dkim_body_canon_update(&bc, in.p, in.len);
		}
		dkim_body_canon_final(&bc);
	}
	result(s, enma_buf_status(&out) == ENMA_OK &&
	    enma_span_eq(enma_buf_span(&out), want), name,
	    "got %zu bytes \"%.*s\", want \"%.*s\"", out.len, (int)out.len,
	    out.p != NULL ? out.p : "", (int)want.len, (const char *)want.p);
	enma_buf_free(&out);
}

/* canon_run - the go-msgauth canonicalisation vectors */
static void
canon_run(struct suite *s)
{
	static const char *const sets[] = {
		"simple_body", "relaxed_header", "relaxed_body"
	};
	yaml_document_t		 doc;
	yaml_node_t		*seq;
	yaml_node_item_t	*it;
	size_t			 k, i;

	if (!yaml_load(s, "go-msgauth-canonicalization-cases.yml", &doc)) {
		result(s, 0, "go-msgauth", "cannot read the vectors");
		return;
	}
	for (k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
		seq = map_get(&doc, yaml_document_get_root_node(&doc), sets[k]);
		if (seq == NULL || seq->type != YAML_SEQUENCE_NODE) {
			result(s, 0, sets[k], "missing from the vectors");
			continue;
		}
		for (i = 0, it = seq->data.sequence.items.start;
		    it < seq->data.sequence.items.top; it++, i++)
			canon_case(s, &doc, sets[k], i, node(&doc, *it));
	}
	yaml_document_delete(&doc);
}

/*
 * Mail::DKIM's ADSP words for its two cases, and RFC 5617 5.4's: with
 * no author domain signature, dkim=all is "fail" and dkim=discardable
 * "discard" (Mail::DKIM says neutral and reject).
 */
static const struct {
	const char		*policy;
	const char		*theirs;
	enum enma_adsp_result	 ours;
} adsp_map[] = {
	{ "dkim=all", "neutral", ENMA_ADSP_FAIL },
	{ "dkim=discardable", "reject", ENMA_ADSP_DISCARD },
};

/* adsp_one - the unsigned message against one published practice */
static void
adsp_one(struct suite *s, struct msg *m, const char *policy,
    const char *theirs)
{
	struct enma_arena	*a = enma_arena_new(SUITE_ARENA_LIMIT);
	struct enma_zone	*z = enma_zone_new();
	struct enma_resolver	*res = NULL;
	struct enma_mailbox	*mb = NULL;
	struct enma_dns_ctx	 dns;
	enum enma_adsp_result	 got = ENMA_ADSP_UNSET, want = ENMA_ADSP_UNSET;
	const char		*why = NULL;
	char			 name[256];
	size_t			 i, n = 0;

	snprintf(name, sizeof(name), "mail-dkim adsp %s", policy);
	for (i = 0; i < sizeof(adsp_map) / sizeof(adsp_map[0]); i++)
		if (strcmp(adsp_map[i].policy, policy) == 0 &&
		    strcmp(adsp_map[i].theirs, theirs) == 0)
			want = adsp_map[i].ours;
	for (i = 0; i < m->nhdr; i++)
		if (enma_span_caseeq_cstr(m->hdr[i].name, "From"))
			(void)enma_addrlist_parse(m->hdr[i].value, a, &mb, &n);
	/* messiah.edu itself owns no record: it exists because the ADSP
	 * record is below it (RFC 4592 2.2.2), as in the real DNS */
	if (a != NULL && z != NULL && n == 1 &&
	    zone_txt(z, "_adsp._domainkey.messiah.edu", policy,
	    strlen(policy)) && enma_resolver_zone_new(z, &res) == ENMA_OK) {
		enma_dns_ctx_init(&dns, res, SUITE_DNS_BUDGET_MS, 0);
		(void)enma_adsp_check(&dns, mb->domain, NULL, 0, a, &got,
		    &why);
	}
	result(s, want != ENMA_ADSP_UNSET && got == want, name,
	    "got %s (%s), want %s (Mail::DKIM: %s)",
	    enma_adsp_result_to_text(got), why != NULL ? why : "-",
	    enma_adsp_result_to_text(want), theirs);
	enma_resolver_free(res);
	enma_zone_free(z);
	enma_arena_free(a);
}

/* adsp_run - the ADSP cases of mail-dkim-verifier-expected.yml */
static void
adsp_run(struct suite *s)
{
	yaml_document_t		 doc;
	yaml_node_t		*adsp, *cases;
	yaml_node_item_t	*it;
	struct msg		*m = calloc(1, sizeof(*m));
	struct enma_span	 text;
	char			 pol[128], theirs[64];

	if (m == NULL || !yaml_load(s, "mail-dkim-verifier-expected.yml",
	    &doc)) {
		result(s, 0, "mail-dkim adsp", "cannot read the cases");
		free(m);
		return;
	}
	adsp = map_get(&doc, yaml_document_get_root_node(&doc), "adsp");
	cases = map_get(&doc, adsp, "cases");
	text = scalar(map_get(&doc, adsp, "message"));
	if ((m->buf = malloc(text.len + 1)) != NULL) {
		memcpy(m->buf, text.p, text.len);
		m->len = text.len;
	}
	if (m->buf == NULL || !msg_split(m) || cases == NULL ||
	    cases->type != YAML_SEQUENCE_NODE)
		result(s, 0, "mail-dkim adsp", "no message or cases");
	else
		for (it = cases->data.sequence.items.start;
		    it < cases->data.sequence.items.top; it++) {
			yaml_node_t *c = node(&doc, *it);
			struct enma_span p = scalar(map_get(&doc, c, "policy"));
			struct enma_span e = scalar(map_get(&doc, c, "expect"));

			snprintf(pol, sizeof(pol), "%.*s", (int)p.len,
			    (const char *)p.p);
			snprintf(theirs, sizeof(theirs), "%.*s", (int)e.len,
			    (const char *)e.p);
			adsp_one(s, m, pol, theirs);
		}
	free(m->buf);
	free(m);
	yaml_document_delete(&doc);
}

static void
usage(void)
{
	fprintf(stderr, "usage: dkim-suite [-v] [-d shared-dir] [-t name]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct suite	 s;
	const char	*shared = getenv("ENMA_SHARED");
	char		 dir[1024];
	int		 c;

	memset(&s, 0, sizeof(s));
	if (shared == NULL)
		shared = "../shared";
	while ((c = getopt(argc, argv, "d:t:v")) != -1) {
		switch (c) {
		case 'd':
			shared = optarg;
			break;
		case 't':
			s.only = optarg;
			break;
		case 'v':
			s.verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	snprintf(dir, sizeof(dir), "%s/testsuites/dkim", shared);
	s.dir = dir;
	rfc_cases(&s);
	corpus_run(&s);
	adsp_run(&s);
	canon_run(&s);
	printf("dkim-suite: %u passed, %u failed\n", s.passed, s.failed);
	return s.failed == 0 ? 0 : 1;
}
