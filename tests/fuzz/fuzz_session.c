/*
 * fuzz_session.c - whole SMTP sessions through the engine, as an
 * adapter drives it: connect, HELO, AUTH, MAIL FROM, header fields,
 * body chunks, end of message, reset; SPF, Sender ID, DKIM and ADSP
 * against a small zone in memory
 *
 * The input is a sequence of records, each
 *
 *	op (1 byte) | length (2 bytes, big-endian) | length bytes
 *
 * (a record cut short by the end of the input takes what is left), op
 * modulo 9 being
 *
 *	0 connect	4 bytes: IPv4 address, 16: IPv6, other: none
 *	1 HELO		2 AUTH user	3 MAIL FROM reverse-path
 *	4 header field	5 body chunk	6 end of message
 *	7 reset		8 a new session on the same engine
 *
 * and an open transaction gets its end of message when the input ends.
 * seeds_session.py turns messages into this form.
 *
 * Properties at each end of message: the header value holds no CR, and
 * LF only in "\n\t" folds (no other control byte, no fold at the end);
 * the deletion indexes are strictly decreasing, each between 1 and the
 * number of Authentication-Results fields the transaction was given;
 * a skipped message has no header and no verdict; verdict and log texts
 * hold no line break.  Leaks are LeakSanitizer's.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <enma/conf.h>
#include <enma/dns.h>
#include <enma/engine.h>
#include <enma/mail.h>

#define FUZZ_MAX_RECORDS	4096	/* per input: keeps each run short */
#define FUZZ_MAX_EOM		16	/* per input: each does the DNS work */
#define FUZZ_AUTHSERV		"mx.example.jp"

enum fuzz_op {
	OP_CONNECT, OP_HELO, OP_AUTH, OP_MAIL, OP_HEADER, OP_BODY, OP_EOM,
	OP_RESET, OP_SESSION, OP_COUNT
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define RSA2048 \
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAp3NkQ5rGgLFOz3GFAHtUp" \
    "MbVunQiOxRPEULH2SCEUaRGYYQqzRKfu0fQSx9ob6b/DnWvsPZLfopAZ5F4EtygWo2fb" \
    "F/ALMLHXdYSUHb1zCugiNRaUK1N0D8PeiJQICo90OaeDm5FfY+lYovUSt74fLaQ/YWK" \
    "\" \"xo1lTuJdHReCRsGT73J0xZ/48FafxPXajLptMgU+LIGy+Wz5bglm/HNvlRjmVfScT" \
    "dEcMUuT46uUqEeAZuaZxqg8Ns7PJguezuMXsE8s/bYpvkjy8CclhVTe5LMUql4e7tcT6" \
    "xePAOnqOqhIoMpYPZxG2wu4CiyDhOoMyyro5ze2MoPckK7oj9oTiwIDAQAB"

/*
 * The zone: the keys and practices of tests/data/dkim/dkim.zone (the
 * seeds' signatures verify against them), and SPF and Sender ID records
 * that reach every mechanism, macros, include, redirect, exp= and the
 * failure cases.  The ADSP author domains own no record themselves
 * (empty non-terminals).
 */
static const char *const zone_rr[][3] = {
	{ "example.net", "A", "192.0.2.1" },
	{ "example.net", "MX", "10 mx.example.net" },
	{ "example.net", "TXT", "\"v=spf1 ip4:192.0.2.0/25 a mx \" "
	    "\"include:inc.example.net exists:%{i}._e.%{d} ~all\"" },
	{ "example.net", "TXT", "\"spf2.0/mfrom,pra ip4:192.0.2.0/24 "
	    "redirect=sid.example.net\"" },
	{ "sid.example.net", "TXT", "\"spf2.0/pra a:%{o} -all\"" },
	{ "mx.example.net", "A", "192.0.2.25" },
	{ "mx.example.net", "AAAA", "2001:db8::25" },
	{ "inc.example.net", "TXT", "\"v=spf1 ip6:2001:db8::/32 "
	    "ptr:%{d} -all exp=exp.example.net\"" },
	{ "exp.example.net", "TXT", "\"%{i} is not %{l}@%{o} %{h} %{c}"
	    "%{r}%{t}%{v}\"" },
	{ "192.0.2.200._e.example.net", "A", "127.0.0.2" },
	{ "redir.example.net", "TXT",
	    "\"v=spf1 redirect=%{l1r+-}.example.net\"" },
	{ "loop.example.net", "TXT", "\"v=spf1 include:loop.example.net\"" },
	{ "two.example.net", "TXT", "\"v=spf1 -all\"" },
	{ "two.example.net", "TXT", "\"v=spf1 +all\"" },
	{ "bad.example.net", "TXT", "\"v=spf1 ip4:300.1.1.1 -all\"" },
	{ "client.example.net", "A", "192.0.2.10" },
	{ "10.2.0.192.in-addr.arpa", "PTR", "client.example.net" },
	{ "alias.example.net", "CNAME", "example.net" },
	{ "rsa._domainkey.example.net", "TXT", "\"v=DKIM1; p=\" \"" RSA2048
	    "\"" },
	{ "ed._domainkey.example.net", "TXT", "\"v=DKIM1; k=ed25519; "
	    "p=etrI3+Ervk6mXNiw3/H7D4bQUErpwoYJtCd2aYH6u4E=\"" },
	{ "revoked._domainkey.example.net", "TXT", "\"v=DKIM1; k=rsa; p=\"" },
	{ "small._domainkey.example.net", "TXT", "\"v=DKIM1; k=rsa; p=\" "
	    "\"MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBALM0qPaLKIUfU5iO22O3kzygxX6fRV"
	    "QW/bY0AOmG4we1ZwJStUnH0c2MKgimRXU5vdA3Q1SUFTeuFxixPB8bIz8CAwEAA"
	    "Q==\"" },
	{ "testing._domainkey.example.net", "TXT", "\"v=DKIM1; t=y; p=\" \""
	    RSA2048 "\"" },
	{ "_adsp._domainkey.example.net", "TXT", "\"dkim=all\"" },
	{ "_adsp._domainkey.discard.example", "TXT", "\"dkim=discardable\"" },
	{ "_adsp._domainkey.all.example", "TXT", "\"dkim=all\"" },
	{ "_adsp._domainkey.unknown.example", "TXT", "\"dkim=unknown\"" },
	{ "_adsp._domainkey.two.example", "TXT", "\"dkim=all\"" },
	{ "_adsp._domainkey.two.example", "TXT", "\"dkim=unknown\"" },
	{ "pass.ec.example", "TXT", "\"v=spf1 ip4:192.0.2.0/24 -all\"" },
};

static const char *const zone_timeouts[] = {
	"slow._domainkey.example.net", "slow.example.net",
	"_adsp._domainkey.slow.example",
};

static struct enma_zone		*zone;
static struct enma_engine	*engine;

/* check - a broken promise is a crash the fuzzer reports */
static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* zone_make - the zone above; NULL when a record is refused */
static struct enma_zone *
zone_make(void)
{
	static const struct enma_span nul_txt[] = {
		{ (const unsigned char *)"v=spf1 a\0 -all", 14 },
		{ (const unsigned char *)" ~all", 5 },
	};
	struct enma_zone	*z = enma_zone_new();
	size_t			 i;
	int			 ok = z != NULL;

	for (i = 0; ok && i < sizeof(zone_rr) / sizeof(zone_rr[0]); i++)
		ok = enma_zone_add(z, zone_rr[i][0], enma_dns_type_from_text(
		    enma_span_from_cstr(zone_rr[i][1])), zone_rr[i][2]) ==
		    ENMA_OK;
	for (i = 0; ok && i < sizeof(zone_timeouts) /
	    sizeof(zone_timeouts[0]); i++)
		ok = enma_zone_add_timeout(z, zone_timeouts[i]) == ENMA_OK;
	if (ok)
		ok = enma_zone_add_txt(z, "nul.example.net", ENMA_DNS_TXT,
		    nul_txt, 2) == ENMA_OK;
	if (!ok) {
		enma_zone_free(z);
		return NULL;
	}
	return z;
}

/* engine_make - once per process: the engine over the zone */
static int
engine_make(void)
{
	struct enma_conf	*c;
	struct enma_resolver	*r = NULL;
	char			 err[256];
	int			 ok;

	if (engine != NULL)
		return 1;
	if ((zone = zone_make()) == NULL || (c = enma_conf_new()) == NULL)
		return 0;
	ok = enma_conf_set(c, "authresult.identifier", FUZZ_AUTHSERV, err,
	    sizeof(err)) == ENMA_OK &&
	    enma_conf_set(c, "common.exclusion_addresses",
	    "192.0.2.250,2001:db8::250", err, sizeof(err)) == ENMA_OK &&
	    enma_conf_set(c, "spf.helo_check", "true", err, sizeof(err)) ==
	    ENMA_OK &&
	    enma_resolver_zone_new(zone, &r) == ENMA_OK &&
	    enma_engine_new(c, r, NULL, NULL, &engine, err, sizeof(err)) ==
	    ENMA_OK;
	enma_conf_free(c);
	return ok;
}

/* no_break - a text for logs: no CR or LF */
static void
no_break(const char *s)
{
	if (s != NULL)
		check(strchr(s, '\r') == NULL && strchr(s, '\n') == NULL);
}

/* value_ok - CR and LF only as "\n\t" folds, no other control byte */
static void
value_ok(const char *v)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] == '\n') {
			check(v[i + 1] == '\t' && v[i + 2] != '\0');
			i++;
			continue;
		}
		check((unsigned char)v[i] >= 0x20 && v[i] != 0x7f);
	}
	check(i > 0);
}

/* result_ok - the promises of engine.h about one end of message */
static void
result_ok(const struct enma_result *r, unsigned nar)
{
	size_t i;

	check(r->ndelete <= nar);
	for (i = 0; i < r->ndelete; i++) {
		check(r->delete_idx[i] >= 1 && r->delete_idx[i] <= nar);
		if (i > 0)
			check(r->delete_idx[i] < r->delete_idx[i - 1]);
	}
	if (r->skipped != 0) {
		check(r->header_value == NULL && r->nverdicts == 0);
		return;
	}
	if (r->header_value != NULL) {
		check(r->header_name != NULL);
		value_ok(r->header_value);
	}
	for (i = 0; i < r->nverdicts; i++) {
		check(r->verdicts[i].method != NULL &&
		    r->verdicts[i].result != NULL);
		no_break(r->verdicts[i].result);
		no_break(r->verdicts[i].identity);
		no_break(r->verdicts[i].reason);
	}
	check(r->logline != NULL);
	no_break(r->logline);
}

/* Our copy of the transaction's state, for the properties. */
struct fuzz_tx {
	unsigned	nar;	/* Authentication-Results fields given */
	int		done;	/* end of message given, no reset since */
	int		open;	/* something to end */
	unsigned	neom;
};

/* is_authres - the field is an Authentication-Results field */
static int
is_authres(struct enma_span f)
{
	struct enma_header h;

	return enma_header_parse(f, &h) == ENMA_OK &&
	    enma_span_caseeq_cstr(h.name, "Authentication-Results");
}

/* do_eom - end of message and its properties */
static void
do_eom(struct enma_session *s, struct fuzz_tx *tx)
{
	struct enma_result r;

	if (tx->neom >= FUZZ_MAX_EOM)
		return;
	tx->neom++;
	(void)enma_session_eom(s, &r);
	result_ok(&r, tx->nar);
	tx->done = 1;
	tx->open = 0;
}

/* tx_clear - a new transaction: nothing given yet */
static void
tx_clear(struct fuzz_tx *tx)
{
	tx->nar = 0;
	tx->done = 0;
	tx->open = 0;
}

/* do_connect - an address from 4 or 16 bytes, else none */
static void
do_connect(struct enma_session *s, struct enma_span d)
{
	struct enma_ip ip;

	memset(&ip, 0, sizeof(ip));
	if (d.len == 4 || d.len == 16) {
		ip.family = d.len == 4 ? 4 : 6;
		memcpy(ip.addr, d.p, d.len);
		(void)enma_session_connect(s, &ip, 25);
	} else
		(void)enma_session_connect(s, NULL, 0);
}

/* do_record - one record; the session may be replaced */
static void
do_record(struct enma_session **sp, enum fuzz_op op, struct enma_span d,
    struct fuzz_tx *tx)
{
	struct enma_session *s = *sp;

	/* after an end of message, a field or a chunk starts a new one */
	if ((op == OP_HEADER || op == OP_BODY) && tx->done)
		tx_clear(tx);
	switch (op) {
	case OP_CONNECT:
		do_connect(s, d);
		tx_clear(tx);
		break;
	case OP_HELO:
		(void)enma_session_helo(s, d);
		break;
	case OP_AUTH:
		(void)enma_session_auth(s, d);
		break;
	case OP_MAIL:
		(void)enma_session_mail_from(s, d);
		tx_clear(tx);
		tx->open = 1;
		break;
	case OP_HEADER:
		tx->nar += is_authres(d);
		(void)enma_session_header(s, d);
		tx->open = 1;
		break;
	case OP_BODY:
		(void)enma_session_body(s, d);
		tx->open = 1;
		break;
	case OP_EOM:
		do_eom(s, tx);
		break;
	case OP_RESET:
		enma_session_reset(s);
		tx_clear(tx);
		break;
	default:
		enma_session_free(s);
		*sp = enma_session_new(engine);
		tx_clear(tx);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enma_session	*s;
	struct fuzz_tx		 tx;
	size_t			 i = 0, len, n;
	enum fuzz_op		 op;

	if (!engine_make() || (s = enma_session_new(engine)) == NULL)
		return 0;
	memset(&tx, 0, sizeof(tx));
	for (n = 0; i < size && n < FUZZ_MAX_RECORDS && s != NULL; n++) {
		op = (enum fuzz_op)(data[i] % OP_COUNT);
		len = i + 2 < size ? (size_t)data[i + 1] << 8 | data[i + 2] : 0;
		i = i + 3 < size ? i + 3 : size;
		if (len > size - i)
			len = size - i;
		do_record(&s, op, enma_span_make(data + i, len), &tx);
		i += len;
	}
	if (s != NULL && tx.open)
		do_eom(s, &tx);
	enma_session_free(s);
	return 0;
}
