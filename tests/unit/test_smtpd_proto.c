/*
 * test_smtpd_proto.c - OpenSMTPD's filter protocol: reader and parsers
 *
 * The expected splits come from smtpd-filters(7) (protocol 0.7, the
 * examples in its text) and from lines Debian's OpenSMTPD 6.8.0p2 sent
 * (protocol 0.6, ../shared/mta/RECIPES.md section 6); dot-stuffing from
 * RFC 5321 4.5.2.  proto.c is included: it is the filter's own code.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../plugins/opensmtpd/proto.c"

#define S(lit)	ENMA_SPAN_LIT(lit)

/* span_is - a span equal to a C string */
static int
span_is(struct enma_span s, const char *want)
{
	return enma_span_eq(s, enma_span_from_cstr(want));
}

/*
 * feed - give the reader the input in pieces of step bytes and collect
 * the lines, joined with '/' (a cut line gets "<cut N>" after it).
 */
static void
feed(size_t max, const char *in, size_t len, size_t step, char *out,
    size_t outlen, uint64_t *pending)
{
	struct smtpd_reader	 r;
	struct enma_span	 l;
	unsigned char		*p;
	size_t			 n, off = 0, o = 0, k;
	uint64_t		 cut;

	out[0] = '\0';
	smtpd_reader_init(&r, max);
	while (off < len) {
		if (smtpd_reader_space(&r, &p, &n) != ENMA_OK)
			break;
		k = len - off < step ? len - off : step;
		if (k > n)
			k = n;
		memcpy(p, in + off, k);
		smtpd_reader_commit(&r, k);
		off += k;
		while (smtpd_reader_line(&r, &l, &cut) && o + l.len + 32 <
		    outlen) {
			memcpy(out + o, l.p, l.len);
			o += l.len;
			if (cut > 0)
				o += (size_t)snprintf(out + o, outlen - o,
				    "<cut %llu>", (unsigned long long)cut);
			out[o++] = '/';
			out[o] = '\0';
		}
	}
	*pending = smtpd_reader_pending(&r);
	smtpd_reader_free(&r);
}

static const struct {
	const char	*name;
	size_t		 max;
	const char	*in;
	const char	*want;
	uint64_t	 pending;
} reader_cases[] = {
	{ "two lines", 100, "a|b\nc\n", "a|b/c/", 0 },
	{ "empty lines", 100, "\n\nx\n", "//x/", 0 },
	{ "no LF at the end", 100, "a\nbcd", "a/", 3 },
	{ "CR is data", 100, "a\r\n", "a\r/", 0 },
	{ "exactly max", 4, "abcd\nx\n", "abcd/x/", 0 },
	{ "one over max", 4, "abcde\nx\n", "abcd<cut 1>/x/", 0 },
	{ "far over max", 4, "abcdefghijklmnop\nxy\n", "abcd<cut 12>/xy/", 0 },
	{ "long unfinished", 4, "abcdefgh", "", 8 },
};

/* test_reader - every case fed whole, in 1-byte and in 3-byte pieces */
static void
test_reader(void)
{
	static const size_t steps[] = { 1000, 1, 3 };
	char		out[256];
	uint64_t	pending;
	size_t		i, j;

	for (i = 0; i < sizeof(reader_cases) / sizeof(reader_cases[0]); i++)
		for (j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
			feed(reader_cases[i].max, reader_cases[i].in,
			    strlen(reader_cases[i].in), steps[j], out,
			    sizeof(out), &pending);
			CHECK_STR(out, reader_cases[i].want,
			    reader_cases[i].name);
			CHECK(pending == reader_cases[i].pending,
			    "%s, step %zu: pending %llu, want %llu",
			    reader_cases[i].name, steps[j],
			    (unsigned long long)pending,
			    (unsigned long long)reader_cases[i].pending);
		}
}

/*
 * test_reader_big - a 65,000-byte body line (the length that stops
 * libopensmtpd, issue 5) comes whole, in 4 KiB reads, with NUL bytes in
 * it; memory stays bounded for a 3 MiB line.
 */
static void
test_reader_big(void)
{
	struct smtpd_reader	 r;
	struct enma_span	 l;
	unsigned char		*p;
	size_t			 n, k, off, total = 65000 + 100, got = 0;
	uint64_t		 cut = 0;
	char			*in;

	if ((in = malloc(total + 2)) == NULL)
		return;
	memset(in, 'x', total);
	memcpy(in, "filter|0.6|1.2|smtp-in|data-line|1|2|", 38);
	in[1000] = '\0';
	in[total] = '\n';
	smtpd_reader_init(&r, SMTPD_PROTO_MAX_LINE);
	for (off = 0; off <= total; off += k) {
		if (smtpd_reader_space(&r, &p, &n) != ENMA_OK)
			break;
		k = total + 1 - off < 4096 ? total + 1 - off : 4096;
		memcpy(p, in + off, k);
		smtpd_reader_commit(&r, k);
		while (smtpd_reader_line(&r, &l, &cut))
			got = l.len;
	}
	CHECK(got == total && cut == 0, "65,100-byte line: got %zu, cut %llu",
	    got, (unsigned long long)cut);
	/* 3 MiB without LF: held bytes never pass max + one read */
	got = 0;
	for (off = 0; off < 3 * 1024 * 1024; off += n) {
		if (smtpd_reader_space(&r, &p, &n) != ENMA_OK)
			break;
		memset(p, 'y', n);
		smtpd_reader_commit(&r, n);
		if (smtpd_reader_line(&r, &l, &cut))
			got++;
	}
	CHECK(got == 0, "3 MiB without LF: no line");
	CHECK(r.cap <= SMTPD_PROTO_MAX_LINE + SMTPD_PROTO_READ_CHUNK,
	    "3 MiB without LF: buffer %zu bytes", r.cap);
	CHECK(smtpd_reader_pending(&r) >= 3u * 1024 * 1024,
	    "3 MiB without LF: counted");
	smtpd_reader_free(&r);
	free(in);
}

/* test_event_report - report lines of 0.6 (6.8.0p2) and 0.7 (the man page) */
static void
test_event_report(void)
{
	struct smtpd_event ev;

	CHECK(smtpd_event_parse(S("report|0.6|1796321233.438743|smtp-in|"
	    "link-connect|c14a4f7838cd2da1|localhost|pass|127.0.0.1:48450|"
	    "127.0.0.1:2528"), &ev) == ENMA_OK, "0.6 link-connect");
	CHECK(ev.kind == SMTPD_REPORT && ev.vmajor == 0 && ev.vminor == 6,
	    "0.6: kind and version");
	CHECK(ev.session == 0xc14a4f7838cd2da1ULL, "0.6: session id");
	CHECK(span_is(ev.subsystem, "smtp-in") &&
	    span_is(ev.name, "link-connect"), "0.6: subsystem and event");
	CHECK(ev.has_params && span_is(ev.params,
	    "localhost|pass|127.0.0.1:48450|127.0.0.1:2528"), "0.6: params");
	CHECK(smtpd_event_parse(S("report|0.7|1576146008.006099|smtp-in|"
	    "link-disconnect|7641df9771b4ed00"), &ev) == ENMA_OK &&
	    ev.vminor == 7 && !ev.has_params && ev.params.len == 0,
	    "0.7 link-disconnect: no params");
	CHECK(smtpd_event_parse(S("report|1.0|1.2|smtp-in|tx-begin|1|2"),
	    &ev) == ENMA_OK && ev.vmajor == 1 && !smtpd_version_ok(ev.vmajor),
	    "major 1 parses and is not ours");
	CHECK(smtpd_version_ok(0), "major 0 is ours");
}

/* test_event_filter - data-lines: '|' and empty text, and the token */
static void
test_event_filter(void)
{
	struct smtpd_event ev;

	CHECK(smtpd_event_parse(S("filter|0.7|1576146008.006099|smtp-in|"
	    "data-line|7641df9771b4ed00|1ef1c203cc576e5d|line 1"), &ev) ==
	    ENMA_OK && ev.kind == SMTPD_FILTER, "0.7 data-line");
	CHECK(ev.session == 0x7641df9771b4ed00ULL &&
	    ev.token == 0x1ef1c203cc576e5dULL, "data-line ids");
	CHECK(span_is(ev.params, "line 1"), "data-line text");
	CHECK(smtpd_event_parse(S("filter|0.6|1.2|smtp-in|data-line|a|b|"
	    "X-A: a|b||"), &ev) == ENMA_OK && span_is(ev.params, "X-A: a|b||"),
	    "'|' in the text: the rest of the line");
	CHECK(smtpd_event_parse(S("filter|0.6|1.2|smtp-in|data-line|a|b|"),
	    &ev) == ENMA_OK && ev.has_params && ev.params.len == 0,
	    "empty line: empty text");
	CHECK(smtpd_event_parse(S("filter|0.6|1.2|smtp-in|data-line|a|b|."),
	    &ev) == ENMA_OK && smtpd_dataline_is_end(ev.params), "the end");
	CHECK(smtpd_event_parse(enma_span_make("filter|0.6|1|smtp-in|"
	    "data-line|a|b|x\0y", 38), &ev) == ENMA_OK && ev.params.len == 3 &&
	    ev.params.p[1] == '\0', "NUL in the text is kept");
}

/* test_event_config - config lines */
static void
test_event_config(void)
{
	struct smtpd_event ev;

	CHECK(smtpd_event_parse(S("config|smtp-session-timeout|300"), &ev) ==
	    ENMA_OK && ev.kind == SMTPD_CONFIG &&
	    span_is(ev.name, "smtp-session-timeout") &&
	    span_is(ev.params, "300"), "config key and value");
	CHECK(smtpd_event_parse(S("config|ready"), &ev) == ENMA_OK &&
	    span_is(ev.name, "ready") && !ev.has_params, "config|ready");
	CHECK(smtpd_event_parse(S("config|admd|a|b"), &ev) == ENMA_OK &&
	    span_is(ev.params, "a|b"), "config value with '|'");
}

static const struct {
	const char	*line;
} bad_lines[] = {
	{ "" }, { "config" }, { "config|" }, { "bogus|0.6|1|smtp-in|x|1" },
	{ "report|0.6|1|smtp-in|tx-begin" },
	{ "report|0.6|1|smtp-in||1|x" },
	{ "report|x.6|1|smtp-in|tx-begin|1" },
	{ "report|06|1|smtp-in|tx-begin|1" },
	{ "report|0.6|1|smtp-in|tx-begin|zz" },
	{ "report|0.6|1|smtp-in|tx-begin|12345678901234567" },
	{ "report|0.6|1|smtp-in|tx-begin||x" },
	{ "filter|0.6|1|smtp-in|data-line|1" },
	{ "filter|0.6|1|smtp-in|data-line|1|" },
	{ "filter|0.6|1|smtp-in|data-line|1|g|x" },
	{ "Report|0.6|1|smtp-in|tx-begin|1" },
};

/* test_event_bad - malformed lines are refused, none crashes */
static void
test_event_bad(void)
{
	struct smtpd_event	ev;
	size_t			i;

	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++)
		CHECK(smtpd_event_parse(enma_span_from_cstr(bad_lines[i].line),
		    &ev) == ENMA_ESYNTAX, "bad line refused: \"%s\"",
		    bad_lines[i].line);
}

static const struct {
	const char	*in;
	enma_status	 st;
	const char	*ip;
	unsigned	 port;
} addr_cases[] = {
	{ "127.0.0.1:48450", ENMA_OK, "127.0.0.1", 48450 },
	{ "[::1]:35724", ENMA_OK, "::1", 35724 },
	{ "[2001:db8::7]:25", ENMA_OK, "2001:db8::7", 25 },
	{ "192.0.2.7", ENMA_OK, "192.0.2.7", 0 },
	{ "2001:db8::7", ENMA_OK, "2001:db8::7", 0 },
	{ "[::ffff:127.0.0.2]:25", ENMA_OK, "::ffff:127.0.0.2", 25 },
	{ "unix:/var/run/smtpd.sock", ENMA_ENOTFOUND, NULL, 0 },
	{ "local", ENMA_ENOTFOUND, NULL, 0 },
	{ "127.0.0.1:65536", ENMA_ESYNTAX, NULL, 0 },
	{ "127.0.0.1:", ENMA_ESYNTAX, NULL, 0 },
	{ "[::1", ENMA_ESYNTAX, NULL, 0 },
	{ "[::1]x", ENMA_ESYNTAX, NULL, 0 },
	{ "host.example:25", ENMA_ESYNTAX, NULL, 0 },
	{ "", ENMA_ESYNTAX, NULL, 0 },
};

/* test_addr - link-connect's src and dest forms */
static void
test_addr(void)
{
	struct enma_ip	ip;
	char		buf[ENMA_IP_TEXT_MAX];
	unsigned	port;
	enma_status	st;
	size_t		i;

	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		st = smtpd_parse_addr(enma_span_from_cstr(addr_cases[i].in),
		    &ip, &port);
		CHECK(st == addr_cases[i].st, "%s: status %d, want %d",
		    addr_cases[i].in, st, addr_cases[i].st);
		if (st != ENMA_OK || addr_cases[i].ip == NULL)
			continue;
		CHECK_STR(enma_ip_to_text(&ip, buf, sizeof(buf)),
		    addr_cases[i].ip, addr_cases[i].in);
		CHECK(port == addr_cases[i].port, "%s: port %u",
		    addr_cases[i].in, port);
	}
}

/* test_params - the per-event parameter orders, by protocol version */
static void
test_params(void)
{
	struct smtpd_connect	 c;
	struct enma_span	 a, b;
	uint32_t		 id = 0;

	CHECK(smtpd_parse_connect(S("mail.openbsd.org|pass|"
	    "199.185.178.25:33174|45.77.67.80:25"), &c) == ENMA_OK &&
	    span_is(c.rdns, "mail.openbsd.org") && span_is(c.fcrdns, "pass") &&
	    span_is(c.src, "199.185.178.25:33174") &&
	    span_is(c.dest, "45.77.67.80:25"), "link-connect fields");
	CHECK(smtpd_parse_connect(S("x|pass|1.2.3.4:5"), &c) == ENMA_ESYNTAX,
	    "link-connect without dest");
	CHECK(smtpd_parse_identify(S("EHLO|client.example.org"), &a, &b) ==
	    ENMA_OK && span_is(a, "EHLO") && span_is(b, "client.example.org"),
	    "link-identify");
	CHECK(smtpd_parse_identify(S("HELO|a|b"), &a, &b) == ENMA_OK &&
	    span_is(b, "a|b"), "link-identify: '|' in the name");
	/* 0.6: username|result; 0.7: result|username (smtpd-filters(7)) */
	CHECK(smtpd_parse_auth(S("al|ice|pass"), 6, &a, &b) == ENMA_OK &&
	    span_is(a, "al|ice") && span_is(b, "pass"), "0.6 link-auth");
	CHECK(smtpd_parse_auth(S("pass|al|ice"), 7, &a, &b) == ENMA_OK &&
	    span_is(a, "al|ice") && span_is(b, "pass"), "0.7 link-auth");
	CHECK(smtpd_parse_auth(S("alice"), 6, &a, &b) == ENMA_ESYNTAX,
	    "link-auth without result");
	/* 0.6 on: msgid|result|address (6.8.0p2 sent it so) */
	CHECK(smtpd_parse_tx_mail(S("4f22fca4|ok|alice@example.org"), 6, &id,
	    &a, &b) == ENMA_OK && id == 0x4f22fca4 && span_is(a, "ok") &&
	    span_is(b, "alice@example.org"), "0.6 tx-mail");
	CHECK(smtpd_parse_tx_mail(S("4f22fca4|ok|"), 7, &id, &a, &b) ==
	    ENMA_OK && b.len == 0, "tx-mail: null sender is empty");
	CHECK(smtpd_parse_tx_mail(S("4f22fca4|a|b@c|ok"), 5, &id, &a, &b) ==
	    ENMA_OK && span_is(a, "ok") && span_is(b, "a|b@c"),
	    "0.5 tx-mail: address|result");
	CHECK(smtpd_parse_tx_mail(S("4f22fca4"), 6, &id, &a, &b) ==
	    ENMA_ESYNTAX, "tx-mail without result");
	CHECK(smtpd_parse_msgid(S("c7778a57"), &id) == ENMA_OK &&
	    id == 0xc7778a57, "tx-begin msgid");
	CHECK(smtpd_parse_msgid(S(""), &id) == ENMA_ENOTFOUND,
	    "tx-reset without msgid");
	CHECK(smtpd_parse_msgid(S("123456789"), &id) == ENMA_ESYNTAX,
	    "msgid of 9 digits");
}

/* test_data - RFC 5321 4.5.2 dot-stuffing, and our answer lines */
static void
test_data(void)
{
	struct enma_buf	b;

	CHECK(span_is(smtpd_unstuff(S("..leading dot")), ".leading dot"),
	    "unstuff one dot");
	CHECK(span_is(smtpd_unstuff(S("...")), ".."), "unstuff only one");
	CHECK(span_is(smtpd_unstuff(S("a.b")), "a.b"), "no dot: unchanged");
	CHECK(smtpd_dataline_is_end(S(".")) && !smtpd_dataline_is_end(S(".."))
	    && !smtpd_dataline_is_end(S(". ")) &&
	    !smtpd_dataline_is_end(S("")), "only a lone dot ends");
	enma_buf_init(&b, 0);
	CHECK(smtpd_put_dataline(&b, 0x7641df9771b4ed00ULL, 0x1ULL,
	    S("..x|y"), 0) == ENMA_OK, "put echoed line");
	CHECK_STR(b.p, "filter-dataline|7641df9771b4ed00|0000000000000001|"
	    "..x|y\n", "echoed line unchanged");
	enma_buf_reset(&b);
	(void)smtpd_put_dataline(&b, 2, 3, S(".ours"), 1);
	CHECK_STR(b.p, "filter-dataline|0000000000000002|0000000000000003|"
	    "..ours\n", "our own line is stuffed");
	enma_buf_reset(&b);
	CHECK(smtpd_put_dataline(&b, 2, 3, S("a\nb"), 0) == ENMA_EINVAL &&
	    b.len == 0, "LF refused");
	enma_buf_free(&b);
}

int
main(void)
{
	test_reader();
	test_reader_big();
	test_event_report();
	test_event_filter();
	test_event_config();
	test_event_bad();
	test_addr();
	test_params();
	test_data();
	return check_done("smtpd_proto");
}
