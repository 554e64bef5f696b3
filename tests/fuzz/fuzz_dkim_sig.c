/*
 * fuzz_dkim_sig.c - whole messages through the DKIM verifier: the
 * DKIM-Signature fields parsed (RFC 6376 3.5, 6.1.1), keys looked up in
 * a fixed zone, body and header hashes, the crypto
 *
 * The input is a message: header fields up to an empty line (LF or CRLF
 * line ends), then the body.  Keys: the 2048-bit RSA key of the unit
 * tests' fixtures at unit._domainkey.example.org (so the seeds verify),
 * the RFC 8463 Ed25519 key at brisbane._domainkey.example.org, a
 * timeout at slow._domainkey.example.org.  Properties: every signature
 * gets a verdict, and a reason unless it passed; the body fed whole or
 * in small chunks gives the same verdicts.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <enma/dkim.h>
#include <enma/dns.h>
#include <enma/mail.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MAX_HDR	64

#define KEY_UNIT \
	"v=DKIM1; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAyTj/PKqUm" \
	"W1d7jwRlOeSdnGTDCmxe1Rf7JTt0ejvz37ikDLRFZgJ/C5n0xMjpA30+xun4kfXL" \
	"lWmrLad8gmm/wfhvZCXpn3Qc6CxrbrqaPzq5yAiX8B0XZ1Rf7wwqSyQ/eliRX0d+" \
	"mHBSoKQ2Ko6vXVOdt5zSa+DZ4Y4eyWEzGR47npbvfhATU2WSJfUAi6y85U4bWA01" \
	"NJuqmmmP5Wmy/S2fqx3afk8i6GEAYXdv9swhJc7lq9C2OFa8buAgmtijNpipQdEo" \
	"8ym5+jSRKTgb/GJd5jAt+IbLOSCqonf26U4tBe5ghecFIb1uj+JwhlCbiuG2/i7g" \
	"IQVQNxVk9v1PQIDAQAB"
#define KEY_ED "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaa" \
	"PcHURo="

static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* resolver - the fixed zone, made once */
static struct enma_resolver *
resolver(void)
{
	static struct enma_resolver	*res;
	static struct enma_zone		*z;
	struct enma_span		 s;

	if (res != NULL)
		return res;
	if ((z = enma_zone_new()) == NULL)
		return NULL;
	s = ENMA_SPAN_LIT(KEY_UNIT);
	(void)enma_zone_add_txt(z, "unit._domainkey.example.org",
	    ENMA_DNS_TXT, &s, 1);
	s = ENMA_SPAN_LIT(KEY_ED);
	(void)enma_zone_add_txt(z, "brisbane._domainkey.example.org",
	    ENMA_DNS_TXT, &s, 1);
	(void)enma_zone_add_timeout(z, "slow._domainkey.example.org");
	if (enma_resolver_zone_new(z, &res) != ENMA_OK)
		res = NULL;
	return res;
}

/* split - header fields and body; 0 when there are too many fields */
static int
split(const uint8_t *p, size_t n, struct enma_header *h, size_t *nh,
    struct enma_span *body)
{
	size_t i = 0, s, e;

	*nh = 0;
	while (i < n && p[i] != '\n' && !(p[i] == '\r' && i + 1 < n &&
	    p[i + 1] == '\n')) {
		s = i;
		for (;;) {
			while (i < n && p[i] != '\n')
				i++;
			e = i > s && p[i - 1] == '\r' ? i - 1 : i;
			if (i < n)
				i++;
			if (i >= n || (p[i] != ' ' && p[i] != '\t'))
				break;
		}
		if (*nh == FUZZ_MAX_HDR)
			return 0;
		if (enma_header_parse(enma_span_make(p + s, e - s),
		    &h[*nh]) == ENMA_OK)
			(*nh)++;
	}
	if (i < n)
		i += p[i] == '\r' ? 2 : 1;
	*body = enma_span_make(p + (i < n ? i : n), i < n ? n - i : 0);
	return 1;
}

/* run - verify; the verdicts into r[] */
static size_t
run(const struct enma_header *h, size_t nh, struct enma_span body,
    size_t step, enum enma_dkim_result *r, size_t max)
{
	struct enma_arena		*a = enma_arena_new(8 * 1024 * 1024);
	struct enma_dkim_verifier	*v = NULL;
	struct enma_dkim_policy		 pol;
	struct enma_dns_ctx		 dns;
	const struct enma_dkim_sig	*sig;
	size_t				 n = 0, skipped, i, k;

	memset(&pol, 0, sizeof(pol));
	pol.now = 1800000000;
	if (a == NULL || enma_dkim_verifier_new(&pol, NULL, a, &v) !=
	    ENMA_OK || enma_dkim_verifier_headers(v, h, nh) != ENMA_OK)
		goto done;
	for (i = 0; i < body.len; i += k) {
		k = step == 0 || step > body.len - i ? body.len - i : step;
		(void)enma_dkim_verifier_body(v, enma_span_make(body.p + i, k));
	}
	enma_dns_ctx_init(&dns, resolver(), 1000, 50);
	if (enma_dkim_verifier_finish(v, &dns, &sig, &n, &skipped) != ENMA_OK)
		goto done;
	check(n <= ENMA_DKIM_MAX_SIGNATURES);
	for (i = 0; i < n; i++) {
		check(sig[i].result != ENMA_DKIM_UNSET);
		check(sig[i].result == ENMA_DKIM_PASS || sig[i].reason != NULL);
		if (i < max)
			r[i] = sig[i].result;
	}
done:
	enma_dkim_verifier_free(v);
	enma_arena_free(a);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enma_header	h[FUZZ_MAX_HDR];
	struct enma_span	body;
	enum enma_dkim_result	r1[ENMA_DKIM_MAX_SIGNATURES];
	enum enma_dkim_result	r2[ENMA_DKIM_MAX_SIGNATURES];
	size_t			nh, n1, n2;

	if (!split(data, size, h, &nh, &body) || resolver() == NULL)
		return 0;
	memset(r1, 0, sizeof(r1));
	memset(r2, 0, sizeof(r2));
	n1 = run(h, nh, body, 0, r1, ENMA_DKIM_MAX_SIGNATURES);
	n2 = run(h, nh, body, 1 + size % 7, r2, ENMA_DKIM_MAX_SIGNATURES);
	check(n1 == n2 && memcmp(r1, r2, sizeof(r1)) == 0);
	return 0;
}
