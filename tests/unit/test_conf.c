/*
 * test_conf.c - enma.conf parsing: every key type, every error path
 *
 * The expected error texts are the "file:line: reason" forms conf.c
 * documents; the keys and defaults of the original ENMA come from its
 * enma.conf.sample and enma_config.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <enma/conf.h>

#include "check.h"

static char errbuf[1024];

/* load - a conf text from memory under the name "t.conf" */
static enma_status
load(struct enma_conf *c, const char *text)
{
	errbuf[0] = '\0';
	return enma_conf_load_span(c, enma_span_from_cstr(text), "t.conf",
	    errbuf, sizeof(errbuf));
}

/* load_n - the same with explicit length (NUL bytes) */
static enma_status
load_n(struct enma_conf *c, const char *text, size_t n)
{
	errbuf[0] = '\0';
	return enma_conf_load_span(c, enma_span_make(text, n), "t.conf",
	    errbuf, sizeof(errbuf));
}

static void
test_defaults(void)
{
	struct enma_conf		*c = enma_conf_new();
	const struct enma_cidr_list	*l;
	struct enma_ip			 ip;

	CHECK(c != NULL, "conf_new");
	if (c == NULL)
		return;
	CHECK_STR(enma_conf_str(c, "milter.socket"), "inet:10025@127.0.0.1",
	    "milter.socket default");
	CHECK(enma_conf_uint(c, "milter.socket_mode") == 0660, "mode 0660");
	CHECK_STR(enma_conf_str(c, "milter.user"), "", "milter.user");
	CHECK_STR(enma_conf_str(c, "milter.pidfile"), "/run/enma/enma.pid",
	    "pidfile");
	CHECK_STR(enma_conf_str(c, "milter.chdir"), "/", "chdir");
	CHECK(enma_conf_uint(c, "milter.timeout") == 7210, "timeout 7210");
	CHECK(enma_conf_uint(c, "milter.loglevel") == 0, "loglevel 0");
	CHECK(enma_conf_bool(c, "milter.sendmail813") == 0, "sendmail813");
	CHECK(enma_conf_bool(c, "milter.postfix") == 0, "postfix");
	CHECK(enma_conf_bool(c, "milter.foreground") == 0, "foreground");
	CHECK_STR(enma_conf_str(c, "syslog.ident"), "enma", "ident");
	CHECK(enma_conf_facility(c, "syslog.facility") == LOG_MAIL, "mail");
	CHECK(enma_conf_level(c, "syslog.logmask") == LOG_INFO, "info");
	CHECK(enma_conf_bool(c, "spf.auth") == 1, "spf.auth");
	CHECK(enma_conf_bool(c, "spf.explog") == 1, "spf.explog");
	CHECK(enma_conf_bool(c, "spf.helo_check") == 0, "spf.helo_check");
	CHECK(enma_conf_bool(c, "sidf.auth") == 1, "sidf.auth");
	CHECK(enma_conf_bool(c, "sidf.explog") == 1, "sidf.explog");
	CHECK(enma_conf_bool(c, "dkim.auth") == 1, "dkim.auth");
	CHECK(enma_conf_uint(c, "dkim.signheader_limit") == 10, "signheader");
	CHECK(enma_conf_bool(c, "dkim.accept_expired_signature") == 0, "exp");
	CHECK(enma_conf_bool(c, "dkim.rfc4871_compatible") == 0, "4871");
	CHECK(enma_conf_bool(c, "dkimadsp.auth") == 1, "adsp");
	CHECK_STR(enma_conf_str(c, "authresult.identifier"), "", "ident");
	CHECK_STR(enma_conf_str(c, "dns.resolver"), "ldns", "resolver");
	CHECK_STR(enma_conf_str(c, "dns.nameservers"), "", "nameservers");
	CHECK(enma_conf_uint(c, "dns.port") == 53, "port");
	CHECK(enma_conf_uint(c, "dns.timeout") == 5, "dns.timeout");
	CHECK(enma_conf_uint(c, "dns.retries") == 2, "dns.retries");
	CHECK(enma_conf_uint(c, "dns.message_timeout") == 20, "budget");
	l = enma_conf_cidrs(c, "common.exclusion_addresses");
	CHECK(l != NULL && l->n == 2, "two exclusions");
	(void)enma_ip_from_text(ENMA_SPAN_LIT("127.0.0.1"), &ip);
	CHECK(l != NULL && enma_cidr_list_match(l, &ip), "127.0.0.1");
	(void)enma_ip_from_text(ENMA_SPAN_LIT("::1"), &ip);
	CHECK(l != NULL && enma_cidr_list_match(l, &ip), "::1");
	(void)enma_ip_from_text(ENMA_SPAN_LIT("127.0.0.2"), &ip);
	CHECK(l != NULL && !enma_cidr_list_match(l, &ip), "127.0.0.2");
	enma_conf_free(c);
}

static void
test_table(void)
{
	/* the keys of the original ENMA's enma.conf.sample */
	static const char *const orig[] = {
		"milter.socket", "milter.user", "milter.pidfile",
		"milter.chdir", "milter.timeout", "milter.loglevel",
		"milter.sendmail813", "milter.postfix",
		"common.exclusion_addresses", "syslog.ident",
		"syslog.facility", "syslog.logmask", "spf.auth", "spf.explog",
		"sidf.auth", "sidf.explog", "dkim.auth",
		"dkim.signheader_limit", "dkim.accept_expired_signature",
		"dkim.rfc4871_compatible", "dkimadsp.auth",
		"authresult.identifier",
		/* and those of its enma_config.c (the -v and -c options) */
		"milter.verbose", "milter.conffile", NULL
	};
	const struct enma_conf_key *k, *j, *t = enma_conf_keys();
	const char *const *o;
	int	found, dup = 0, bad = 0;

	for (k = t; k->name != NULL; k++) {
		if (k->def == NULL || k->help == NULL || k->help[0] == '\0' ||
		    k->type < ENMA_CONF_STRING || k->type > ENMA_CONF_ADDRLIST)
			bad++;
		if ((k->type == ENMA_CONF_UINT || k->type == ENMA_CONF_OCTAL) &&
		    k->min > k->max)
			bad++;
		for (j = t; j < k; j++)
			if (strcmp(j->name, k->name) == 0)
				dup++;
	}
	CHECK(bad == 0, "%d keys without default, help or type", bad);
	CHECK(dup == 0, "%d duplicate keys", dup);
	for (o = orig; *o != NULL; o++) {
		found = 0;
		for (k = t; k->name != NULL; k++)
			found |= strcmp(k->name, *o) == 0;
		CHECK(found, "original key %s missing", *o);
	}
}

/* The original ENMA's sample file, as shipped (enma.conf.sample). */
static const char orig_sample[] =
    "#\n# sample of enma configuration\n#\n\n\n## Milter ##\n"
    "milter.socket:  inet:10025@127.0.0.1\n"
    "milter.user:    daemon\n"
    "milter.pidfile: /var/run/enma/enma.pid\n"
    "milter.chdir:   /var/tmp\n"
    "milter.timeout: 7210\n"
    "milter.loglevel:   0\n"
    "milter.sendmail813: false\n"
    "milter.postfix: false\n\n\n## Network ##\n"
    "common.exclusion_addresses: 127.0.0.1,::1\n\n\n## Syslog ##\n"
    "syslog.ident:       enma\n"
    "syslog.facility:    mail\n"
    "syslog.logmask:     info\n\n\n## SPF ##\n"
    "spf.auth: true\nspf.explog: true\n\n\n## SIDF ##\n"
    "sidf.auth: true\nsidf.explog: true\n\n\n## DKIM ##\n"
    "dkim.auth: true\ndkim.signheader_limit: 10\n"
    "dkim.accept_expired_signature: false\n"
    "dkim.rfc4871_compatible: false\n\n\n## DKIM ADSP ##\n"
    "dkimadsp.auth: true\n\n\n## Authentication-Results ##\n"
    "authresult.identifier: mx.example.jp\n";

static void
test_original_file(void)
{
	struct enma_conf *c = enma_conf_new();

	CHECK(load(c, orig_sample) == ENMA_OK, "original sample: %s", errbuf);
	CHECK_STR(enma_conf_str(c, "milter.user"), "daemon", "user");
	CHECK_STR(enma_conf_str(c, "milter.chdir"), "/var/tmp", "chdir");
	CHECK_STR(enma_conf_str(c, "milter.pidfile"), "/var/run/enma/enma.pid",
	    "pidfile");
	CHECK_STR(enma_conf_str(c, "authresult.identifier"), "mx.example.jp",
	    "identifier");
	CHECK(enma_conf_uint(c, "milter.loglevel") == 0, "loglevel");
	/* the original's key for -c, accepted in a file and in -o */
	CHECK_STR(enma_conf_str(c, "milter.conffile"), "", "no conffile");
	CHECK(load(c, "milter.conffile: /etc/enma.conf\n") == ENMA_OK,
	    "milter.conffile in a file: %s", errbuf);
	CHECK_STR(enma_conf_str(c, "milter.conffile"), "/etc/enma.conf",
	    "conffile kept");
	CHECK(enma_conf_set_option(c, "milter.conffile=/etc/enma/enma.conf",
	    errbuf, sizeof(errbuf)) == ENMA_OK, "-o milter.conffile: %s",
	    errbuf);
	CHECK_STR(enma_conf_str(c, "milter.conffile"), "/etc/enma/enma.conf",
	    "conffile from -o");
	enma_conf_free(c);
}

struct bad_case {
	const char	*text;
	const char	*err;
};

/* Each line: the conf text, and the exact error it gives. */
static const struct bad_case bad_cases[] = {
	{ "spf.auth: true\n\nspf.foo: 1\n",
	    "t.conf:3: unknown key \"spf.foo\"" },
	{ "SPF.AUTH: true\n", "t.conf:1: unknown key \"SPF.AUTH\"" },
	{ "spf.authx: true\n", "t.conf:1: unknown key \"spf.authx\"" },
	{ "spf.auth: ture\n", "t.conf:1: spf.auth: \"ture\" is not a "
	    "boolean (true/false, yes/no, on/off, 1/0)" },
	{ "spf.auth: 2\n", "t.conf:1: spf.auth: \"2\" is not a "
	    "boolean (true/false, yes/no, on/off, 1/0)" },
	{ "spf.auth:\n", "t.conf:1: spf.auth: empty value" },
	{ "# c\nspf.auth true\n", "t.conf:2: expected \"key: value\" "
	    "(missing ':' after \"spf.auth\"?)" },
	{ "milter.socket inet:10025@127.0.0.1\n", "t.conf:1: unknown key "
	    "\"milter.socket inet\" (missing ':' after \"milter.socket\"?)" },
	{ "milter.socket\tinet:10025@127.0.0.1\n", "t.conf:1: unknown key "
	    "\"milter.socket\\x09inet\" (missing ':' after "
	    "\"milter.socket\"?)" },
	{ "spf.foo inet:1\n", "t.conf:1: unknown key \"spf.foo inet\"" },
	{ "spf.foo true\n", "t.conf:1: expected \"key: value\"" },
	{ "  : true\n", "t.conf:1: missing key before ':'" },
	{ "milter.timeout: 12x\n",
	    "t.conf:1: milter.timeout: \"12x\" is not a decimal number" },
	{ "milter.timeout: -1\n",
	    "t.conf:1: milter.timeout: \"-1\" is not a decimal number" },
	{ "milter.timeout: 0\n",
	    "t.conf:1: milter.timeout: 0 is out of range 1..86400" },
	{ "dns.port: 70000\n",
	    "t.conf:1: dns.port: 70000 is out of range 1..65535" },
	{ "dns.port: 99999999999999999999999\n",
	    "t.conf:1: dns.port: 99999999999999999999999 is out of range "
	    "1..65535" },
	{ "dns.timeout: 0\n",
	    "t.conf:1: dns.timeout: 0 is out of range 1..300" },
	{ "dns.retries: 11\n",
	    "t.conf:1: dns.retries: 11 is out of range 1..10" },
	{ "dns.message_timeout: 3601\n",
	    "t.conf:1: dns.message_timeout: 3601 is out of range 1..3600" },
	{ "milter.socket_mode: 0680\n",
	    "t.conf:1: milter.socket_mode: bad octal mode \"0680\"" },
	{ "milter.socket_mode: 01000\n",
	    "t.conf:1: milter.socket_mode: 01000 is out of range 0..0777" },
	{ "milter.socket_mode: rw\n",
	    "t.conf:1: milter.socket_mode: bad octal mode \"rw\"" },
	{ "common.exclusion_addresses: 127.0.0.1, 10.0.0.0/33, ::1\n",
	    "t.conf:1: common.exclusion_addresses: bad address or network "
	    "\"10.0.0.0/33\"" },
	{ "common.exclusion_addresses: 127.0.0.1,localhost\n",
	    "t.conf:1: common.exclusion_addresses: bad address or network "
	    "\"localhost\"" },
	{ "common.exclusion_addresses: 300.1.1.1\n",
	    "t.conf:1: common.exclusion_addresses: bad address or network "
	    "\"300.1.1.1\"" },
	{ "dns.nameservers: 192.0.2.1, 192.0.2.0/24\n",
	    "t.conf:1: dns.nameservers: bad address \"192.0.2.0/24\"" },
	{ "dns.nameservers: ns.example.com\n",
	    "t.conf:1: dns.nameservers: bad address \"ns.example.com\"" },
	{ "syslog.facility: bogus\n",
	    "t.conf:1: syslog.facility: unknown syslog facility \"bogus\"" },
	{ "syslog.facility: local8\n",
	    "t.conf:1: syslog.facility: unknown syslog facility \"local8\"" },
	{ "syslog.logmask: verbose\n",
	    "t.conf:1: syslog.logmask: unknown syslog level \"verbose\"" },
	{ "dns.resolver: unbound\n",
	    "t.conf:1: dns.resolver: \"unbound\" is not one of ldns|zone" },
	{ "dns.resolver: LDNS\n",
	    "t.conf:1: dns.resolver: \"LDNS\" is not one of ldns|zone" },
	{ "syslog.ident: a\x01" "b\n",
	    "t.conf:1: syslog.ident: control character in \"a\\x01b\"" },
	{ "syslog.ident: a\rb\n",
	    "t.conf:1: syslog.ident: control character in \"a\\x0db\"" },
	{ "x: 1\n", "t.conf:1: unknown key \"x\"" },
	{ "\xef\xbb\xbf\xef\xbb\xbfspf.auth: yes\n",
	    "t.conf:1: unknown key \"\\xef\\xbb\\xbfspf.auth\"" },
};

static const struct bad_case bad_sockets[] = {
	{ "inet:0@127.0.0.1", NULL }, { "inet:10025@::1", NULL },
	{ "inet:port@127.0.0.1", NULL }, { "inet:70000@127.0.0.1", NULL },
	{ "inet:@127.0.0.1", NULL }, { "inet:25@bad_host!", NULL },
	{ "inet6:10025@127.0.0.1", NULL }, { "tcp:25", NULL },
	{ "unix:", NULL }, { "local:", NULL }, { "var/run/enma.sock", NULL },
	{ "inet:25@a..b", NULL },
};

static const char *const good_sockets[] = {
	"inet:10025@127.0.0.1", "inet:10025", "inet:10025@localhost",
	"INET:25@mx.example.com", "inet6:10025@::1",
	"inet6:10025@[IPv6:2001:db8::1]", "unix:/run/enma/enma.sock",
	"local:/var/run/enma.sock", "/var/run/enma.sock", NULL
};

static void
test_errors(void)
{
	struct enma_conf	*c = enma_conf_new();
	char			 want[256], text[256];
	size_t			 i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		CHECK(load(c, bad_cases[i].text) != ENMA_OK, "case %zu loads",
		    i);
		CHECK_STR(errbuf, bad_cases[i].err, bad_cases[i].text);
	}
	for (i = 0; i < sizeof(bad_sockets) / sizeof(bad_sockets[0]); i++) {
		(void)snprintf(text, sizeof(text), "milter.socket: %s\n",
		    bad_sockets[i].text);
		(void)snprintf(want, sizeof(want), "t.conf:1: milter.socket: "
		    "bad socket \"%s\" (inet:PORT@HOST, inet6:PORT@HOST, "
		    "unix:PATH, local:PATH)", bad_sockets[i].text);
		CHECK(load(c, text) == ENMA_ESYNTAX, "socket %s accepted",
		    bad_sockets[i].text);
		CHECK_STR(errbuf, want, bad_sockets[i].text);
	}
	for (i = 0; good_sockets[i] != NULL; i++) {
		CHECK(enma_conf_set(c, "milter.socket", good_sockets[i],
		    errbuf, sizeof(errbuf)) == ENMA_OK, "socket %s: %s",
		    good_sockets[i], errbuf);
		CHECK_STR(enma_conf_str(c, "milter.socket"), good_sockets[i],
		    "socket text kept");
	}
	/* sun_path holds 108 bytes on Linux, the NUL included */
	memset(text, 'a', sizeof(text));
	memcpy(text, "unix:/", 6);
	text[5 + 107] = '\0';
	CHECK(enma_conf_set(c, "milter.socket", text, errbuf,
	    sizeof(errbuf)) == ENMA_OK, "107-byte unix path: %s", errbuf);
	text[5 + 107] = 'a';
	text[5 + 108] = '\0';
	CHECK(enma_conf_set(c, "milter.socket", text, errbuf,
	    sizeof(errbuf)) == ENMA_ESYNTAX, "108-byte unix path accepted");
	enma_conf_free(c);
}

static void
test_values(void)
{
	static const char *const yes[] = { "true", "TRUE", "yes", "Yes", "on",
	    "ON", "1", NULL };
	static const char *const no[] = { "false", "False", "no", "NO", "off",
	    "Off", "0", NULL };
	struct enma_conf		*c = enma_conf_new();
	const struct enma_cidr_list	*l;
	size_t				 i;

	for (i = 0; yes[i] != NULL; i++) {
		CHECK(enma_conf_set(c, "spf.helo_check", yes[i], errbuf,
		    sizeof(errbuf)) == ENMA_OK, "bool %s", yes[i]);
		CHECK(enma_conf_bool(c, "spf.helo_check") == 1, "%s", yes[i]);
	}
	for (i = 0; no[i] != NULL; i++) {
		CHECK(enma_conf_set(c, "spf.helo_check", no[i], errbuf,
		    sizeof(errbuf)) == ENMA_OK, "bool %s", no[i]);
		CHECK(enma_conf_bool(c, "spf.helo_check") == 0, "%s", no[i]);
	}
	CHECK(load(c, "syslog.facility: LOCAL4\nsyslog.logmask: ERR\n"
	    "milter.socket_mode: 600\ndns.port: 65535\n"
	    "dns.nameservers: 192.0.2.1, 2001:db8::53\n"
	    "dns.resolver: zone\n") == ENMA_OK, "typed values: %s", errbuf);
	CHECK(enma_conf_facility(c, "syslog.facility") == LOG_LOCAL4, "local4");
	CHECK(enma_conf_level(c, "syslog.logmask") == LOG_ERR, "err");
	CHECK(enma_conf_uint(c, "milter.socket_mode") == 0600, "0600");
	CHECK(enma_conf_uint(c, "dns.port") == 65535, "port max");
	CHECK_STR(enma_conf_str(c, "dns.nameservers"),
	    "192.0.2.1, 2001:db8::53", "nameservers");
	CHECK_STR(enma_conf_str(c, "dns.resolver"), "zone", "zone");
	CHECK(load(c, "syslog.logmask: warn\nsyslog.facility: daemon\n") ==
	    ENMA_OK, "warn: %s", errbuf);
	CHECK(enma_conf_level(c, "syslog.logmask") == LOG_WARNING, "warning");
	CHECK(enma_conf_facility(c, "syslog.facility") == LOG_DAEMON, "daemon");
	CHECK(load(c, "common.exclusion_addresses:\n") == ENMA_OK, "empty");
	l = enma_conf_cidrs(c, "common.exclusion_addresses");
	CHECK(l != NULL && l->n == 0, "empty exclusion list");
	CHECK(load(c, "common.exclusion_addresses: 192.0.2.0/24 "
	    "2001:db8::/32,10.1.2.3\n") == ENMA_OK, "list: %s", errbuf);
	l = enma_conf_cidrs(c, "common.exclusion_addresses");
	CHECK(l != NULL && l->n == 3, "three networks");
	/* wrong type or undeclared key: the zero value */
	CHECK(enma_conf_bool(c, "milter.timeout") == 0, "wrong type bool");
	CHECK(enma_conf_uint(c, "spf.auth") == 0, "wrong type uint");
	CHECK(enma_conf_uint(c, "no.such.key") == 0, "undeclared uint");
	CHECK(enma_conf_cidrs(c, "spf.auth") == NULL, "wrong type cidrs");
	CHECK(enma_conf_str(c, "no.such.key") == NULL, "undeclared str");
	enma_conf_free(c);
}

static void
test_format(void)
{
	static const char nul[] = "spf.auth: false\nsyslog.ident: a\0b\n";
	struct enma_conf	*c = enma_conf_new();
	char			*line;
	size_t			 n;

	/* all or nothing: a bad line leaves every earlier line unapplied */
	CHECK(load(c, "spf.auth: false\nmilter.timeout: 60\nbogus: 1\n") ==
	    ENMA_ENOTFOUND, "bad third line");
	CHECK_STR(errbuf, "t.conf:3: unknown key \"bogus\"", "third line");
	CHECK(enma_conf_bool(c, "spf.auth") == 1, "spf.auth unchanged");
	CHECK(enma_conf_uint(c, "milter.timeout") == 7210, "timeout unchanged");
	/* CRLF, comments, indentation, '#' inside a value, no final LF */
	CHECK(load(c, "# comment\r\n\r\n   # indented comment\r\n"
	    "\tspf.auth\t:\tfalse  \r\nmilter.pidfile: /tmp/a#b\r\n"
	    "milter.socket: inet:25@127.0.0.1\r\nmilter.timeout: 60") ==
	    ENMA_OK, "crlf: %s", errbuf);
	CHECK(enma_conf_bool(c, "spf.auth") == 0, "spf.auth false");
	CHECK_STR(enma_conf_str(c, "milter.pidfile"), "/tmp/a#b", "hash kept");
	CHECK_STR(enma_conf_str(c, "milter.socket"), "inet:25@127.0.0.1",
	    "colons in value");
	CHECK(enma_conf_uint(c, "milter.timeout") == 60, "no final newline");
	/* duplicates: the later line wins */
	CHECK(load(c, "syslog.ident: one\nsyslog.ident: two\n") == ENMA_OK,
	    "duplicates");
	CHECK_STR(enma_conf_str(c, "syslog.ident"), "two", "later wins");
	/* an empty string value is allowed for strings */
	CHECK(load(c, "milter.user:\n") == ENMA_OK, "empty string");
	CHECK_STR(enma_conf_str(c, "milter.user"), "", "empty user");
	/* UTF-8 byte order mark */
	CHECK(load(c, "\xef\xbb\xbfsyslog.ident: bom\n") == ENMA_OK, "bom");
	CHECK_STR(enma_conf_str(c, "syslog.ident"), "bom", "after bom");
	/* NUL byte */
	CHECK(load_n(c, nul, sizeof(nul) - 1) == ENMA_ESYNTAX, "NUL");
	CHECK_STR(errbuf, "t.conf:2: NUL byte in line", "NUL message");
	CHECK(enma_conf_bool(c, "spf.auth") == 0, "NUL: unchanged");
	/* the line length limit, exactly at and one past it */
	line = malloc(ENMA_CONF_MAX_LINE + 3);
	CHECK(line != NULL, "malloc");
	if (line != NULL) {
		memset(line, 'x', ENMA_CONF_MAX_LINE + 2);
		memcpy(line, "syslog.ident: ", 14);
		n = ENMA_CONF_MAX_LINE;
		line[n] = '\n';
		CHECK(load_n(c, line, n + 1) == ENMA_OK, "4096: %s", errbuf);
		CHECK(strlen(enma_conf_str(c, "syslog.ident")) ==
		    ENMA_CONF_MAX_LINE - 14, "long value kept");
		line[n] = 'x';
		line[n + 1] = '\n';
		CHECK(load_n(c, line, n + 2) == ENMA_ELIMIT, "4097");
		CHECK_STR(errbuf, "t.conf:1: line longer than 4096 bytes",
		    "long line");
		/* CRLF: the CR does not count */
		line[n] = '\r';
		line[n + 1] = '\n';
		CHECK(load_n(c, line, n + 2) == ENMA_OK, "4096+CRLF: %s",
		    errbuf);
		free(line);
	}
	enma_conf_free(c);
}

static void
test_options(void)
{
	struct enma_conf *c = enma_conf_new();

	CHECK(load(c, "spf.auth: false\nsyslog.ident: file\n") == ENMA_OK,
	    "file");
	CHECK(enma_conf_set_option(c, "spf.auth=true", errbuf,
	    sizeof(errbuf)) == ENMA_OK, "-o spf.auth");
	CHECK(enma_conf_bool(c, "spf.auth") == 1, "-o wins over the file");
	CHECK(enma_conf_set_option(c, "syslog.ident=a=b", errbuf,
	    sizeof(errbuf)) == ENMA_OK, "-o with = in value");
	CHECK_STR(enma_conf_str(c, "syslog.ident"), "a=b", "split at first =");
	CHECK(enma_conf_set_option(c, "spf.auth", errbuf, sizeof(errbuf)) ==
	    ENMA_ESYNTAX, "-o without =");
	CHECK_STR(errbuf, "-o: expected key=value", "-o no =");
	CHECK(enma_conf_set_option(c, "foo=1", errbuf, sizeof(errbuf)) ==
	    ENMA_ENOTFOUND, "-o unknown");
	CHECK_STR(errbuf, "-o: unknown key \"foo\"", "-o unknown");
	CHECK(enma_conf_set_option(c, "milter.timeout=abc", errbuf,
	    sizeof(errbuf)) == ENMA_ESYNTAX, "-o bad number");
	CHECK_STR(errbuf, "-o: milter.timeout: \"abc\" is not a decimal "
	    "number", "-o bad number");
	CHECK(enma_conf_set_option(c, "spf.auth=", errbuf, sizeof(errbuf)) ==
	    ENMA_ESYNTAX, "-o empty bool");
	CHECK_STR(errbuf, "-o: spf.auth: empty value", "-o empty");
	CHECK(enma_conf_bool(c, "spf.auth") == 1, "-o error: unchanged");
	CHECK(enma_conf_set(c, "spf.auth", "nope", errbuf, sizeof(errbuf)) ==
	    ENMA_ESYNTAX, "set bad");
	CHECK_STR(errbuf, "spf.auth: \"nope\" is not a boolean (true/false, "
	    "yes/no, on/off, 1/0)", "set bad message");
	CHECK(enma_conf_set(c, "spf.auth", "no", NULL, 0) == ENMA_OK,
	    "set with NULL errbuf");
	CHECK(enma_conf_set(c, "spf.auth", "x", NULL, 0) == ENMA_ESYNTAX,
	    "error with NULL errbuf");
	enma_conf_free(c);
}

static void
test_files(void)
{
	struct enma_conf	*c = enma_conf_new(), *d = enma_conf_new();
	char			 path[] = "/tmp/test_conf.XXXXXX", want[512];
	char			*buf = NULL, *buf2 = NULL;
	size_t			 len = 0, len2 = 0;
	FILE			*fp;
	int			 fd;

	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp");
	if (fd < 0)
		return;
	fp = fdopen(fd, "w");
	fputs("spf.auth: false\nmilter.timeout: oops\n", fp);
	fclose(fp);
	CHECK(enma_conf_load(c, path, errbuf, sizeof(errbuf)) == ENMA_ESYNTAX,
	    "file error");
	(void)snprintf(want, sizeof(want), "%s:2: milter.timeout: \"oops\" is "
	    "not a decimal number", path);
	CHECK_STR(errbuf, want, "file:line");
	fp = fopen(path, "w");
	fputs("spf.auth: false\nmilter.timeout: 30\n", fp);
	fclose(fp);
	CHECK(enma_conf_load(c, path, errbuf, sizeof(errbuf)) == ENMA_OK,
	    "file: %s", errbuf);
	CHECK(enma_conf_uint(c, "milter.timeout") == 30, "file value");
	unlink(path);
	CHECK(enma_conf_load(c, path, errbuf, sizeof(errbuf)) == ENMA_EIO,
	    "missing file");
	(void)snprintf(want, sizeof(want), "%s: No such file or directory",
	    path);
	CHECK_STR(errbuf, want, "missing file message");
	/* the dump is a conf file that loads back to the same dump */
	fp = open_memstream(&buf, &len);
	enma_conf_dump(c, fp);
	fclose(fp);
	CHECK(buf != NULL && strstr(buf, "milter.timeout: 30\n") != NULL,
	    "dump has value");
	CHECK(load(d, buf) == ENMA_OK, "dump loads: %s", errbuf);
	fp = open_memstream(&buf2, &len2);
	enma_conf_dump(d, fp);
	fclose(fp);
	CHECK(buf2 != NULL && len == len2 && strcmp(buf, buf2) == 0,
	    "dump round trip");
	free(buf);
	free(buf2);
	enma_conf_free(c);
	enma_conf_free(d);
}

static void
test_usage(void)
{
	const struct enma_conf_key	*k;
	char				*buf = NULL, want[512];
	size_t				 len = 0;
	FILE				*fp;

	fp = open_memstream(&buf, &len);
	enma_conf_usage(fp);
	fclose(fp);
	CHECK(buf != NULL, "usage");
	if (buf == NULL)
		return;
	for (k = enma_conf_keys(); k->name != NULL; k++) {
		(void)snprintf(want, sizeof(want), "-o %s=VALUE  [%s]\n\t%s\n",
		    k->name, k->def[0] != '\0' ? k->def : "empty", k->help);
		CHECK(strstr(buf, want) != NULL, "usage lacks %s", k->name);
	}
	CHECK(strstr(buf, "-o milter.socket=VALUE  [inet:10025@127.0.0.1]") !=
	    NULL, "socket default shown");
	CHECK(strstr(buf, "-o spf.helo_check=VALUE  [false]") != NULL,
	    "helo_check shown");
	free(buf);
}

int
main(void)
{
	test_defaults();
	test_table();
	test_original_file();
	test_errors();
	test_values();
	test_format();
	test_options();
	test_files();
	test_usage();
	enma_conf_free(NULL);
	return check_done("conf");
}
