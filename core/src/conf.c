/*
 * conf.c - enma.conf: the original ENMA's "key: value" format
 *
 * The format, as the original ENMA read it and as this parser defines it
 * for the cases the original left open:
 *
 *	- one setting per line: the key, a colon, the value; the key ends
 *	  at the first colon, so values may contain colons
 *	  ("milter.socket: inet:10025@127.0.0.1");
 *	- spaces and tabs around the key and the value are trimmed;
 *	- a line whose first non-blank byte is '#' is a comment; '#' later
 *	  in a line is part of the value (a path may contain it);
 *	- blank lines are ignored; LF or CRLF line ends; a UTF-8 byte
 *	  order mark at the start of the file is skipped;
 *	- a line longer than ENMA_CONF_MAX_LINE bytes, a NUL byte, a line
 *	  without a colon, an unknown key or a bad value is an error, given
 *	  as "path:line: reason", and the configuration is left unchanged;
 *	- a key given twice: the later line wins (defaults, then the file,
 *	  then -o options, in that order).
 *
 * Every key is declared once in conf_table below.  The object is filled
 * at start and read-only afterwards, so reads from many threads are safe.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#ifdef ENMA_DEBUG
#include <assert.h>
#endif

#include <enma/conf.h>

#define CONF_MAX_FILE		(1024 * 1024)	/* enma.conf bytes read */
#define CONF_QUOTE_MAX		60	/* bad value bytes quoted */
#define CONF_WHY_MAX		512	/* one error reason */
#define CONF_MAX_HOST		253	/* RFC 1035 2.3.4, no dot */
#define CONF_MAX_LABEL		63	/* RFC 1035 2.3.4 */
#define CONF_MAX_PORT		65535
/* the longest unix socket path, its NUL not counted */
#define CONF_SUN_PATH_MAX \
	(sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* The one table of keys, in the order enma -h lists them. */
static const struct enma_conf_key conf_table[] = {
	{ "milter.socket", ENMA_CONF_SOCKET, "inet:10025@127.0.0.1",
	    "socket the MTA connects to: inet:PORT@HOST, inet6:PORT@HOST, "
	    "unix:PATH or local:PATH", 0, 0, NULL },
	{ "milter.socket_mode", ENMA_CONF_OCTAL, "0660",
	    "permission bits of a unix: or local: socket, in octal",
	    0, 0777, NULL },
	{ "milter.user", ENMA_CONF_STRING, "",
	    "user to run as, with its primary and supplementary groups, once "
	    "the socket is open; empty: do not switch", 0, 0, NULL },
	{ "milter.pidfile", ENMA_CONF_STRING, "/run/enma/enma.pid",
	    "file the daemon writes its process id to; empty: none",
	    0, 0, NULL },
	{ "milter.chdir", ENMA_CONF_STRING, "/",
	    "directory the daemon changes to at start", 0, 0, NULL },
	{ "milter.timeout", ENMA_CONF_UINT, "7210",
	    "seconds libmilter waits for the MTA before it drops a connection",
	    1, 86400, NULL },
	{ "milter.verify_timeout", ENMA_CONF_UINT, "120",
	    "seconds end of message waits for the verification; past it the "
	    "message goes on with temperror (dns.message_timeout normally "
	    "ends the verification first)", 1, 3600, NULL },
	{ "milter.loglevel", ENMA_CONF_UINT, "0",
	    "libmilter's own debug level (smfi_setdbg); 0: off", 0, 9, NULL },
	{ "milter.sendmail813", ENMA_CONF_BOOL, "false",
	    "Sendmail 8.13 or older: no option negotiation; header values "
	    "are taken to have lost exactly one leading space", 0, 0, NULL },
	{ "milter.postfix", ENMA_CONF_BOOL, "false",
	    "the MTA is Postfix: the queue id (macro i) is read at the end "
	    "of the message only", 0, 0, NULL },
	{ "milter.foreground", ENMA_CONF_BOOL, "false",
	    "stay in the foreground and log to standard error (-f)",
	    0, 0, NULL },
	{ "milter.verbose", ENMA_CONF_BOOL, "false",
	    "print the configuration in use at start (-v)", 0, 0, NULL },
	/* the original ENMA's key for -c: accepted, see enma.conf(5) */
	{ "milter.conffile", ENMA_CONF_STRING, "",
	    "configuration file, as -c: given as an -o option it is -c, in "
	    "a file it has no effect; empty: /etc/enma/enma.conf if it "
	    "exists", 0, 0, NULL },
	{ "syslog.ident", ENMA_CONF_STRING, "enma",
	    "name syslog lines are tagged with", 0, 0, NULL },
	{ "syslog.facility", ENMA_CONF_FACILITY, "mail",
	    "syslog facility: mail, daemon, user, local0 .. local7, ...",
	    0, 0, NULL },
	{ "syslog.logmask", ENMA_CONF_LOGLEVEL, "info",
	    "least important priority logged: emerg alert crit err warning "
	    "notice info debug", 0, 0, NULL },
	{ "common.exclusion_addresses", ENMA_CONF_CIDRLIST, "127.0.0.1,::1",
	    "clients not verified (no header added, forged ones still "
	    "removed): addresses and networks, comma separated", 0, 0, NULL },
	{ "spf.auth", ENMA_CONF_BOOL, "true",
	    "check the MAIL FROM identity with SPF (RFC 7208)", 0, 0, NULL },
	{ "spf.explog", ENMA_CONF_BOOL, "true",
	    "log the explanation (exp=) a domain gives for an SPF fail",
	    0, 0, NULL },
	{ "spf.helo_check", ENMA_CONF_BOOL, "false",
	    "also check the HELO identity (RFC 7208 2.3), written as its own "
	    "spf entry with smtp.helo", 0, 0, NULL },
	{ "sidf.auth", ENMA_CONF_BOOL, "true",
	    "check the purported responsible address with Sender ID "
	    "(RFC 4406, 4407)", 0, 0, NULL },
	{ "sidf.explog", ENMA_CONF_BOOL, "true",
	    "log the explanation a domain gives for a Sender ID fail",
	    0, 0, NULL },
	{ "dkim.auth", ENMA_CONF_BOOL, "true",
	    "verify DKIM signatures (RFC 6376): one dkim= entry per "
	    "signature", 0, 0, NULL },
	{ "dkim.signheader_limit", ENMA_CONF_UINT, "10",
	    "most DKIM-Signature fields verified in one message, from the "
	    "top; the rest are counted in a comment; 0: up to 256", 0, 1000,
	    NULL },
	{ "dkim.accept_expired_signature", ENMA_CONF_BOOL, "false",
	    "a DKIM signature past its x= time still passes (else policy)",
	    0, 0, NULL },
	{ "dkim.rfc4871_compatible", ENMA_CONF_BOOL, "false",
	    "honour the g= tag of DKIM key records (RFC 4871; dropped by "
	    "RFC 6376)", 0, 0, NULL },
	{ "dkim.min_rsa_bits", ENMA_CONF_UINT, "1024",
	    "smallest RSA key a passing DKIM signature may use; smaller "
	    "gives policy (RFC 8301 3.2)", 1, 8192, NULL },
	{ "dkim.allow_sha1", ENMA_CONF_BOOL, "false",
	    "rsa-sha1 DKIM signatures may pass (else policy, RFC 8301 3.1)",
	    0, 0, NULL },
	{ "dkimadsp.auth", ENMA_CONF_BOOL, "true",
	    "check the author domain's signing practices (ADSP, RFC 5617): "
	    "dkim-adsp= with header.from", 0, 0, NULL },
	{ "authresult.identifier", ENMA_CONF_STRING, "",
	    "authserv-id written into and removed from Authentication-Results; "
	    "empty: this host's fully qualified name", 0, 0, NULL },
	{ "dns.resolver", ENMA_CONF_STRING, "ldns",
	    "DNS backend: ldns (stub resolver), or zone (answers from "
	    "dns.zonefile; tests and offline checks only)", 0, 0, "ldns|zone" },
	{ "dns.nameservers", ENMA_CONF_ADDRLIST, "",
	    "nameserver addresses, comma separated; empty: those of "
	    "/etc/resolv.conf", 0, 0, NULL },
	{ "dns.port", ENMA_CONF_UINT, "53",
	    "port of the nameservers", 1, CONF_MAX_PORT, NULL },
	{ "dns.timeout", ENMA_CONF_UINT, "5",
	    "seconds to wait for one answer before the query is tried again",
	    1, 300, NULL },
	{ "dns.retries", ENMA_CONF_UINT, "2",
	    "tries of one query before it counts as timed out", 1, 10, NULL },
	{ "dns.message_timeout", ENMA_CONF_UINT, "20",
	    "seconds of DNS one message may use over all its lookups; past "
	    "it the methods left give temperror", 1, 3600, NULL },
	{ "dns.zonefile", ENMA_CONF_STRING, "",
	    "zone file answered from when dns.resolver is zone", 0, 0, NULL },
	/* filter-enma, the OpenSMTPD filter (plugins/opensmtpd) */
	{ "opensmtpd.workers", ENMA_CONF_UINT, "8",
	    "filter-enma: messages verified at the same time, each in its "
	    "own thread (each may wait on the DNS)", 1, 256, NULL },
	{ "opensmtpd.queue", ENMA_CONF_UINT, "64",
	    "filter-enma: finished messages waiting for a thread; past it a "
	    "message is passed on at once with temperror", 0, 100000, NULL },
	{ "opensmtpd.spill_size", ENMA_CONF_UINT, "1048576",
	    "filter-enma: bytes of one message kept in memory; the rest goes "
	    "to a temporary file in opensmtpd.tmpdir, removed as it is made",
	    0, 33554432, NULL },
	{ "opensmtpd.tmpdir", ENMA_CONF_STRING, "/tmp",
	    "filter-enma: directory of those temporary files (writable by "
	    "smtpd's filter user)", 0, 0, NULL },
	{ NULL, 0, NULL, NULL, 0, 0, NULL }
};

#define CONF_NKEYS	(sizeof(conf_table) / sizeof(conf_table[0]) - 1)

/* One key's value: its text always, and its parsed form. */
struct conf_val {
	char			*text;	/* NUL-terminated, malloc'd */
	unsigned		 num;	/* BOOL UINT OCTAL LEVEL FACILITY */
	struct enma_cidr_list	 cidrs;	/* CIDRLIST */
};

struct enma_conf {
	struct conf_val	v[CONF_NKEYS];
};

struct conf_name {
	const char	*name;
	int		 value;
};

/* RFC 5424 6.2.1 severities, with the spellings syslog.conf accepts */
static const struct conf_name conf_levels[] = {
	{ "emerg", LOG_EMERG }, { "panic", LOG_EMERG },
	{ "alert", LOG_ALERT }, { "crit", LOG_CRIT },
	{ "err", LOG_ERR }, { "error", LOG_ERR },
	{ "warning", LOG_WARNING }, { "warn", LOG_WARNING },
	{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
	{ "debug", LOG_DEBUG }, { NULL, 0 }
};

static const struct conf_name conf_facilities[] = {
	{ "kern", LOG_KERN }, { "user", LOG_USER }, { "mail", LOG_MAIL },
	{ "daemon", LOG_DAEMON }, { "auth", LOG_AUTH },
	{ "syslog", LOG_SYSLOG }, { "lpr", LOG_LPR }, { "news", LOG_NEWS },
	{ "uucp", LOG_UUCP }, { "cron", LOG_CRON },
	{ "authpriv", LOG_AUTHPRIV }, { "ftp", LOG_FTP },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 }, { NULL, 0 }
};

static const char *const conf_true[] = { "true", "yes", "on", "1", NULL };
static const char *const conf_false[] = { "false", "no", "off", "0", NULL };

/* conf_err - format into errbuf, which may be NULL */
static void __attribute__((format(printf, 3, 4)))
conf_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (errbuf == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

/* conf_quote - printable, bounded copy of a value for an error message */
static void
conf_quote(struct enma_span v, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t	i, o = 0;

	for (i = 0; i < v.len && o + 5 < outlen; i++) {
		if (o >= CONF_QUOTE_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (enma_isvchar(v.p[i]) || v.p[i] == ' ') {
			out[o++] = (char)v.p[i];
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[v.p[i] >> 4];
		out[o++] = hex[v.p[i] & 0xf];
	}
	out[o] = '\0';
}

/* conf_find - index of a key in the table, or -1 */
static int
conf_find(struct enma_span key)
{
	size_t	i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (enma_span_eq(key, enma_span_from_cstr(conf_table[i].name)))
			return (int)i;
	return -1;
}

/* conf_val_free - release one value */
static void
conf_val_free(struct conf_val *v)
{
	free(v->text);
	v->text = NULL;
	enma_cidr_list_free(&v->cidrs);
	v->num = 0;
}

/* conf_name_lookup - case-insensitive name to number, or -1 */
static int
conf_name_lookup(const struct conf_name *t, struct enma_span v)
{
	for (; t->name != NULL; t++)
		if (enma_span_caseeq_cstr(v, t->name))
			return t->value;
	return -1;
}

/* conf_in_list - is v one of the words (case-insensitive)? */
static int
conf_in_list(const char *const *words, struct enma_span v)
{
	for (; *words != NULL; words++)
		if (enma_span_caseeq_cstr(v, *words))
			return 1;
	return 0;
}

/* conf_is_hostname - letters, digits, hyphens, dots; RFC 1035 lengths */
static int
conf_is_hostname(struct enma_span h)
{
	size_t	i, label = 0;

	if (h.len == 0 || h.len > CONF_MAX_HOST)
		return 0;
	for (i = 0; i < h.len; i++) {
		if (h.p[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!enma_isalnum(h.p[i]) && h.p[i] != '-')
			return 0;
		if (++label > CONF_MAX_LABEL)
			return 0;
	}
	return 1;
}

/* conf_check_inet - "PORT@HOST" or "PORT" of an inet: or inet6: socket */
static int
conf_check_inet(struct enma_span s, int family)
{
	struct enma_ip	ip;
	struct enma_span port, host;
	uint64_t	n;
	size_t		at = enma_span_chr(s, '@');

	port = enma_span_make(s.p, at);
	if (enma_span_to_uint(port, CONF_MAX_PORT, &n) != ENMA_OK || n == 0)
		return 0;
	if (at == s.len)
		return 1;	/* libmilter: no host means any address */
	host = enma_span_make(s.p + at + 1, s.len - at - 1);
	if (enma_ip_from_text(host, &ip) == ENMA_OK)
		return ip.family == family;
	return conf_is_hostname(host);
}

/* conf_check_socket - the forms libmilter's smfi_setconn accepts */
static int
conf_check_socket(struct enma_span s)
{
	struct enma_span path = s;

	if (enma_span_has_caseprefix(s, "inet:"))
		return conf_check_inet(enma_span_make(s.p + 5, s.len - 5), 4);
	if (enma_span_has_caseprefix(s, "inet6:"))
		return conf_check_inet(enma_span_make(s.p + 6, s.len - 6), 6);
	if (enma_span_has_caseprefix(s, "unix:"))
		path = enma_span_make(s.p + 5, s.len - 5);
	else if (enma_span_has_caseprefix(s, "local:"))
		path = enma_span_make(s.p + 6, s.len - 6);
	else if (s.len == 0 || s.p[0] != '/')
		return 0;
	return path.len > 0 && path.len <= CONF_SUN_PATH_MAX;
}

/* conf_check_addrlist - comma/space separated IP addresses */
static int
conf_check_addrlist(struct enma_span s, size_t *errpos)
{
	struct enma_ip	ip;
	size_t		i = 0, start;

	while (i < s.len) {
		while (i < s.len && (s.p[i] == ',' || enma_iswsp(s.p[i])))
			i++;
		if (i == s.len)
			break;
		start = i;
		while (i < s.len && s.p[i] != ',' && !enma_iswsp(s.p[i]))
			i++;
		if (enma_ip_from_text(enma_span_make(s.p + start, i - start),
		    &ip) != ENMA_OK) {
			*errpos = start;
			return 0;
		}
	}
	return 1;
}

/* conf_check_choice - is v one of "a|b|c"? */
static int
conf_check_choice(const char *choices, struct enma_span v)
{
	const char	*p = choices, *bar;
	size_t		 n;

	for (;;) {
		/* our own table's text, not outside data */
		bar = strchr(p, '|');
		n = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (n == v.len && memcmp(p, v.p, n) == 0)
			return 1;
		if (bar == NULL)
			return 0;
		p = bar + 1;
	}
}

/* conf_check_text - no control bytes in a value */
static int
conf_check_text(struct enma_span v)
{
	size_t	i;

	for (i = 0; i < v.len; i++)
		if ((v.p[i] < 0x20 && v.p[i] != '\t') || v.p[i] == 0x7f)
			return 0;
	return 1;
}

/* conf_parse_uint - decimal (or octal) within the key's range */
static enma_status
conf_parse_uint(const struct enma_conf_key *k, struct enma_span v,
    unsigned *out, const char *q, char *why, size_t whylen)
{
	uint64_t	n = 0;
	size_t		i;
	enma_status	st;

	if (k->type == ENMA_CONF_OCTAL) {
		if (v.len == 0 || v.len > 5) {
			conf_err(why, whylen, "bad octal mode \"%s\"", q);
			return ENMA_ESYNTAX;
		}
		for (i = 0; i < v.len; i++) {
			if (v.p[i] < '0' || v.p[i] > '7') {
				conf_err(why, whylen, "bad octal mode \"%s\"",
				    q);
				return ENMA_ESYNTAX;
			}
			n = n * 8 + (uint64_t)(v.p[i] - '0');
		}
	} else {
		st = enma_span_to_uint(v, ENMA_CONF_MAX_UINT, &n);
		if (st == ENMA_ESYNTAX) {
			conf_err(why, whylen, "\"%s\" is not a decimal number",
			    q);
			return ENMA_ESYNTAX;
		}
		if (st != ENMA_OK)
			n = (uint64_t)ENMA_CONF_MAX_UINT + 1;
	}
	if (n < k->min || n > k->max) {
		conf_err(why, whylen, k->type == ENMA_CONF_OCTAL ?
		    "%s is out of range %#o..%#o" : "%s is out of range %u..%u",
		    q, k->min, k->max);
		return ENMA_ELIMIT;
	}
	*out = (unsigned)n;
	return ENMA_OK;
}

/* conf_parse_list - CIDRLIST and ADDRLIST */
static enma_status
conf_parse_list(const struct enma_conf_key *k, struct enma_span v,
    struct conf_val *out, char *why, size_t whylen)
{
	char		q[CONF_QUOTE_MAX + 8];
	size_t		errpos = 0, end;
	enma_status	st = ENMA_OK;

	if (k->type == ENMA_CONF_CIDRLIST)
		st = enma_cidr_list_parse(v, &out->cidrs, &errpos);
	else if (!conf_check_addrlist(v, &errpos))
		st = ENMA_ESYNTAX;
	if (st == ENMA_ENOMEM) {
		conf_err(why, whylen, "out of memory");
		return st;
	}
	if (st == ENMA_OK)
		return ENMA_OK;
	if (errpos > v.len)
		errpos = 0;
	v = enma_span_make(v.p + errpos, v.len - errpos);
	end = 0;
	while (end < v.len && v.p[end] != ',' && !enma_iswsp(v.p[end]))
		end++;
	conf_quote(enma_span_make(v.p, end), q, sizeof(q));
	conf_err(why, whylen, k->type == ENMA_CONF_CIDRLIST ?
	    "bad address or network \"%s\"" : "bad address \"%s\"", q);
	return ENMA_ESYNTAX;
}

/* conf_parse_typed - check v against the key's type, fill out->num */
static enma_status
conf_parse_typed(const struct enma_conf_key *k, struct enma_span v,
    struct conf_val *out, const char *q, char *why, size_t whylen)
{
	int	n;

	switch (k->type) {
	case ENMA_CONF_BOOL:
		if (conf_in_list(conf_true, v) || conf_in_list(conf_false, v)) {
			out->num = (unsigned)conf_in_list(conf_true, v);
			return ENMA_OK;
		}
		conf_err(why, whylen, "\"%s\" is not a boolean "
		    "(true/false, yes/no, on/off, 1/0)", q);
		return ENMA_ESYNTAX;
	case ENMA_CONF_UINT:
	case ENMA_CONF_OCTAL:
		return conf_parse_uint(k, v, &out->num, q, why, whylen);
	case ENMA_CONF_CIDRLIST:
	case ENMA_CONF_ADDRLIST:
		return conf_parse_list(k, v, out, why, whylen);
	case ENMA_CONF_SOCKET:
		if (conf_check_socket(v))
			return ENMA_OK;
		conf_err(why, whylen, "bad socket \"%s\" (inet:PORT@HOST, "
		    "inet6:PORT@HOST, unix:PATH, local:PATH)", q);
		return ENMA_ESYNTAX;
	case ENMA_CONF_LOGLEVEL:
	case ENMA_CONF_FACILITY:
		n = conf_name_lookup(k->type == ENMA_CONF_LOGLEVEL ?
		    conf_levels : conf_facilities, v);
		if (n >= 0) {
			out->num = (unsigned)n;
			return ENMA_OK;
		}
		conf_err(why, whylen, "unknown syslog %s \"%s\"",
		    k->type == ENMA_CONF_LOGLEVEL ? "level" : "facility", q);
		return ENMA_ESYNTAX;
	case ENMA_CONF_STRING:
		if (k->choices == NULL || conf_check_choice(k->choices, v))
			return ENMA_OK;
		conf_err(why, whylen, "\"%s\" is not one of %s", q,
		    k->choices);
		return ENMA_ESYNTAX;
	}
	conf_err(why, whylen, "internal error: bad key type");
	return ENMA_EINVAL;
}

/* conf_parse_value - one key's value into out (out is overwritten) */
static enma_status
conf_parse_value(const struct enma_conf_key *k, struct enma_span v,
    struct conf_val *out, char *why, size_t whylen)
{
	char		q[CONF_QUOTE_MAX + 8];
	enma_status	st;

	memset(out, 0, sizeof(*out));
	v = enma_span_trim_wsp(v);
	conf_quote(v, q, sizeof(q));
	if (!conf_check_text(v)) {
		conf_err(why, whylen, "control character in \"%s\"", q);
		return ENMA_ESYNTAX;
	}
	if (v.len == 0 && k->type != ENMA_CONF_STRING &&
	    k->type != ENMA_CONF_CIDRLIST && k->type != ENMA_CONF_ADDRLIST) {
		conf_err(why, whylen, "empty value");
		return ENMA_ESYNTAX;
	}
	if ((st = conf_parse_typed(k, v, out, q, why, whylen)) != ENMA_OK) {
		conf_val_free(out);
		return st;
	}
	if ((out->text = malloc(v.len + 1)) == NULL) {
		conf_val_free(out);
		conf_err(why, whylen, "out of memory");
		return ENMA_ENOMEM;
	}
	if (v.len > 0)
		memcpy(out->text, v.p, v.len);
	out->text[v.len] = '\0';
	return ENMA_OK;
}

/* conf_setv - parse value for key into slot i of vals */
static enma_status
conf_setv(struct conf_val *vals, struct enma_span key, struct enma_span val,
    char *why, size_t whylen)
{
	char		 q[CONF_QUOTE_MAX + 8], r[CONF_WHY_MAX];
	struct conf_val	 nv;
	enma_status	 st;
	int		 i;

	if (key.len == 0) {
		conf_err(why, whylen, "missing key before ':'");
		return ENMA_ESYNTAX;
	}
	if ((i = conf_find(key)) < 0) {
		conf_quote(key, q, sizeof(q));
		conf_err(why, whylen, "unknown key \"%s\"", q);
		return ENMA_ENOTFOUND;
	}
	st = conf_parse_value(&conf_table[i], val, &nv, r, sizeof(r));
	if (st != ENMA_OK) {
		conf_err(why, whylen, "%s: %s", conf_table[i].name, r);
		return st;
	}
	conf_val_free(&vals[i]);
	vals[i] = nv;
	return ENMA_OK;
}

/* conf_free_vals - every value of an array */
static void
conf_free_vals(struct conf_val *vals)
{
	size_t	i;

	for (i = 0; i < CONF_NKEYS; i++)
		conf_val_free(&vals[i]);
}

/* conf_copy - deep copy of every value (staging for an all-or-nothing load) */
static enma_status
conf_copy(struct enma_conf *dst, const struct enma_conf *src)
{
	const struct conf_val	*s;
	struct conf_val		*d;
	size_t			 i, n;

	memset(dst, 0, sizeof(*dst));
	for (i = 0; i < CONF_NKEYS; i++) {
		s = &src->v[i];
		d = &dst->v[i];
		d->num = s->num;
		n = strlen(s->text);
		if ((d->text = malloc(n + 1)) == NULL)
			goto fail;
		memcpy(d->text, s->text, n + 1);
		if (s->cidrs.n == 0)
			continue;
		d->cidrs.v = calloc(s->cidrs.n, sizeof(*d->cidrs.v));
		if (d->cidrs.v == NULL)
			goto fail;
		memcpy(d->cidrs.v, s->cidrs.v,
		    s->cidrs.n * sizeof(*d->cidrs.v));
		d->cidrs.n = s->cidrs.n;
	}
	return ENMA_OK;
fail:
	conf_free_vals(dst->v);
	return ENMA_ENOMEM;
}

/* enma_conf_new - all keys at their defaults */
struct enma_conf *
enma_conf_new(void)
{
	struct enma_conf	*c;
	char			 why[CONF_WHY_MAX];
	size_t			 i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	for (i = 0; i < CONF_NKEYS; i++) {
		if (conf_setv(c->v, enma_span_from_cstr(conf_table[i].name),
		    enma_span_from_cstr(conf_table[i].def), why,
		    sizeof(why)) != ENMA_OK) {
			enma_conf_free(c);
			return NULL;
		}
	}
	return c;
}

/* enma_conf_free - NULL is a no-op */
void
enma_conf_free(struct enma_conf *c)
{
	if (c == NULL)
		return;
	conf_free_vals(c->v);
	free(c);
}

/*
 * conf_colon_hint - append to why a guess that the colon is missing,
 * when the text starts with a known key and a blank ("milter.socket
 * inet:25@host" reads as the key "milter.socket inet")
 */
static void
conf_colon_hint(struct enma_span text, char *why, size_t whylen)
{
	size_t	n, used;
	int	i;

	for (n = 0; n < text.len && !enma_iswsp(text.p[n]); n++)
		;
	if (n == text.len || (i = conf_find(enma_span_make(text.p, n))) < 0 ||
	    why == NULL || (used = strlen(why)) >= whylen)
		return;
	conf_err(why + used, whylen - used, " (missing ':' after \"%s\"?)",
	    conf_table[i].name);
}

/* conf_line - one line of a file: comment, blank, or "key: value" */
static enma_status
conf_line(struct conf_val *vals, struct enma_span line, char *why,
    size_t whylen)
{
	struct enma_span key;
	enma_status	 st;
	size_t		 colon;

	if (line.len > ENMA_CONF_MAX_LINE) {
		conf_err(why, whylen, "line longer than %u bytes",
		    (unsigned)ENMA_CONF_MAX_LINE);
		return ENMA_ELIMIT;
	}
	if (enma_span_chr(line, '\0') < line.len) {
		conf_err(why, whylen, "NUL byte in line");
		return ENMA_ESYNTAX;
	}
	line = enma_span_trim_wsp(line);
	if (line.len == 0 || line.p[0] == '#')
		return ENMA_OK;
	if ((colon = enma_span_chr(line, ':')) == line.len) {
		conf_err(why, whylen, "expected \"key: value\"");
		conf_colon_hint(line, why, whylen);
		return ENMA_ESYNTAX;
	}
	key = enma_span_trim_wsp(enma_span_make(line.p, colon));
	st = conf_setv(vals, key, enma_span_make(line.p + colon + 1,
	    line.len - colon - 1), why, whylen);
	if (st == ENMA_ENOTFOUND)
		conf_colon_hint(key, why, whylen);
	return st;
}

/* conf_lines - every line of s into stage; *lineno is the failing one */
static enma_status
conf_lines(struct enma_conf *stage, struct enma_span s, unsigned *lineno,
    char *why, size_t whylen)
{
	struct enma_span line;
	size_t		 pos = 0, n;
	enma_status	 st;

	if (s.len >= 3 && memcmp(s.p, "\xef\xbb\xbf", 3) == 0)
		pos = 3;	/* UTF-8 byte order mark */
	*lineno = 0;
	while (pos < s.len) {
		(*lineno)++;
		n = enma_span_chr(enma_span_make(s.p + pos, s.len - pos), '\n');
		line = enma_span_make(s.p + pos, n);
		pos += n + (pos + n < s.len);
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		if ((st = conf_line(stage->v, line, why, whylen)) != ENMA_OK)
			return st;
	}
	return ENMA_OK;
}

/* enma_conf_load_span - a whole file's bytes; all or nothing */
enma_status
enma_conf_load_span(struct enma_conf *c, struct enma_span s, const char *name,
    char *errbuf, size_t errlen)
{
	struct enma_conf stage;
	char		 why[CONF_WHY_MAX];
	unsigned	 lineno;
	enma_status	 st;

	if (name == NULL)
		name = "(config)";
	if (c == NULL || (s.p == NULL && s.len > 0)) {
		conf_err(errbuf, errlen, "%s: bad argument", name);
		return ENMA_EINVAL;
	}
	if (conf_copy(&stage, c) != ENMA_OK) {
		conf_err(errbuf, errlen, "%s: out of memory", name);
		return ENMA_ENOMEM;
	}
	if ((st = conf_lines(&stage, s, &lineno, why, sizeof(why))) !=
	    ENMA_OK) {
		conf_free_vals(stage.v);
		conf_err(errbuf, errlen, "%s:%u: %s", name, lineno, why);
		return st;
	}
	conf_free_vals(c->v);
	*c = stage;
	return ENMA_OK;
}

/* conf_read - a file into a malloc'd buffer, at most CONF_MAX_FILE bytes */
static enma_status
conf_read(const char *path, unsigned char **out, size_t *outlen,
    char *errbuf, size_t errlen)
{
	FILE		*fp;
	unsigned char	*p;
	size_t		 n;
	int		 bad;

	if ((fp = fopen(path, "r")) == NULL) {
		conf_err(errbuf, errlen, "%s: %s", path, strerror(errno));
		return ENMA_EIO;
	}
	if ((p = malloc(CONF_MAX_FILE + 1)) == NULL) {
		(void)fclose(fp);
		conf_err(errbuf, errlen, "%s: out of memory", path);
		return ENMA_ENOMEM;
	}
	n = fread(p, 1, CONF_MAX_FILE + 1, fp);
	bad = ferror(fp);
	(void)fclose(fp);
	if (bad || n > CONF_MAX_FILE) {
		free(p);
		conf_err(errbuf, errlen, bad ? "%s: read error" :
		    "%s: larger than 1 MiB", path);
		return bad ? ENMA_EIO : ENMA_ELIMIT;
	}
	*out = p;
	*outlen = n;
	return ENMA_OK;
}

/* enma_conf_load - read and apply a file; all or nothing */
enma_status
enma_conf_load(struct enma_conf *c, const char *path, char *errbuf,
    size_t errlen)
{
	unsigned char	*p;
	size_t		 n;
	enma_status	 st;

	if (c == NULL || path == NULL) {
		conf_err(errbuf, errlen, "bad argument");
		return ENMA_EINVAL;
	}
	if ((st = conf_read(path, &p, &n, errbuf, errlen)) != ENMA_OK)
		return st;
	st = enma_conf_load_span(c, enma_span_make(p, n), path, errbuf,
	    errlen);
	free(p);
	return st;
}

/* enma_conf_set - one key from a string */
enma_status
enma_conf_set(struct enma_conf *c, const char *key, const char *value,
    char *errbuf, size_t errlen)
{
	if (c == NULL || key == NULL || value == NULL) {
		conf_err(errbuf, errlen, "bad argument");
		return ENMA_EINVAL;
	}
	return conf_setv(c->v, enma_span_trim_wsp(enma_span_from_cstr(key)),
	    enma_span_from_cstr(value), errbuf, errlen);
}

/* enma_conf_set_option - "key=value" from -o */
enma_status
enma_conf_set_option(struct enma_conf *c, const char *kv, char *errbuf,
    size_t errlen)
{
	struct enma_span s;
	char		 why[CONF_WHY_MAX];
	size_t		 eq;
	enma_status	 st;

	if (c == NULL || kv == NULL) {
		conf_err(errbuf, errlen, "-o: bad argument");
		return ENMA_EINVAL;
	}
	s = enma_span_from_cstr(kv);
	if ((eq = enma_span_chr(s, '=')) == s.len) {
		conf_err(errbuf, errlen, "-o: expected key=value");
		return ENMA_ESYNTAX;
	}
	st = conf_setv(c->v, enma_span_trim_wsp(enma_span_make(s.p, eq)),
	    enma_span_make(s.p + eq + 1, s.len - eq - 1), why, sizeof(why));
	if (st != ENMA_OK)
		conf_err(errbuf, errlen, "-o: %s", why);
	return st;
}

/* conf_get - the value of a declared key of the given type, or NULL */
static const struct conf_val *
conf_get(const struct enma_conf *c, const char *key, enum enma_conf_type t1,
    enum enma_conf_type t2)
{
	int	i;

	if (c == NULL || key == NULL)
		return NULL;
	i = conf_find(enma_span_from_cstr(key));
	if (i < 0 || (conf_table[i].type != t1 && conf_table[i].type != t2)) {
#ifdef ENMA_DEBUG
		assert(!"undeclared key or wrong type");
#endif
		return NULL;
	}
	return &c->v[i];
}

/* enma_conf_str - the text of any key (every type has one) */
const char *
enma_conf_str(const struct enma_conf *c, const char *key)
{
	int	i;

	if (c == NULL || key == NULL)
		return NULL;
	if ((i = conf_find(enma_span_from_cstr(key))) < 0)
		return NULL;
	return c->v[i].text;
}

int
enma_conf_bool(const struct enma_conf *c, const char *key)
{
	const struct conf_val *v;

	v = conf_get(c, key, ENMA_CONF_BOOL, ENMA_CONF_BOOL);
	return v != NULL ? (int)v->num : 0;
}

unsigned
enma_conf_uint(const struct enma_conf *c, const char *key)
{
	const struct conf_val *v;

	v = conf_get(c, key, ENMA_CONF_UINT, ENMA_CONF_OCTAL);
	return v != NULL ? v->num : 0;
}

const struct enma_cidr_list *
enma_conf_cidrs(const struct enma_conf *c, const char *key)
{
	const struct conf_val *v;

	v = conf_get(c, key, ENMA_CONF_CIDRLIST, ENMA_CONF_CIDRLIST);
	return v != NULL ? &v->cidrs : NULL;
}

int
enma_conf_level(const struct enma_conf *c, const char *key)
{
	const struct conf_val *v;

	v = conf_get(c, key, ENMA_CONF_LOGLEVEL, ENMA_CONF_LOGLEVEL);
	return v != NULL ? (int)v->num : 0;
}

int
enma_conf_facility(const struct enma_conf *c, const char *key)
{
	const struct conf_val *v;

	v = conf_get(c, key, ENMA_CONF_FACILITY, ENMA_CONF_FACILITY);
	return v != NULL ? (int)v->num : 0;
}

/* enma_conf_keys - the table, terminated by a NULL name */
const struct enma_conf_key *
enma_conf_keys(void)
{
	return conf_table;
}

/* enma_conf_usage - every key with its default and help, for -h */
void
enma_conf_usage(FILE *fp)
{
	const struct enma_conf_key *k;

	for (k = conf_table; k->name != NULL; k++)
		fprintf(fp, "  -o %s=VALUE  [%s]\n\t%s\n", k->name,
		    k->def[0] != '\0' ? k->def : "empty", k->help);
}

/* enma_conf_dump - every key with its value, in enma.conf syntax */
void
enma_conf_dump(const struct enma_conf *c, FILE *fp)
{
	size_t	i;

	for (i = 0; i < CONF_NKEYS; i++)
		fprintf(fp, "%s: %s\n", conf_table[i].name, c->v[i].text);
}
