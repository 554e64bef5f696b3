/*
 * engine.c - the verification engine and the per-message session
 *
 * The engine holds what the configuration decided (copied out of it, so
 * the conf may be freed) and the resolver; it is read-only once built and
 * shared by every thread.  A session belongs to one connection on one
 * thread at a time.  Calls before _eom only record; _eom does all the
 * DNS work under one per-message budget and builds the verdicts and the
 * Authentication-Results value.
 *
 * Decisions this file makes where the RFCs leave the engine a choice:
 *
 *	- no client address (enma_session_connect with ip NULL: local
 *	  submission): every method gives none, with the comment "no client
 *	  address" (RFC 7208 has no IP to check; the header still tells
 *	  downstream that nothing was verified);
 *	- _eom with no _connect (or a bad address): temperror for every
 *	  method; with no _mail_from: spf temperror, the others run;
 *	- a null reverse-path checks postmaster@HELO (RFC 7208 2.4); with no
 *	  HELO, or a HELO that is not a multi-label domain name (an address
 *	  literal, a single label), the result is none (RFC 7208 4.3), with
 *	  a comment;
 *	- a MAIL FROM that does not parse as a reverse-path gives none
 *	  (RFC 7208 4.3: malformed domain) and no smtp.mailfrom property;
 *	- headers past ENMA_SESSION_MAX_HEADERS or _MAX_HEADER_BYTES are
 *	  still counted for the Authentication-Results numbering, but the
 *	  PRA could be among those dropped: sender-id gives temperror;
 *	- a transaction call (_mail_from, _header, _body) after _eom without
 *	  _reset starts a new transaction (an implicit _reset);
 *	- the excluded check (common.exclusion_addresses) comes before the
 *	  authenticated one: skipped is 1 when both hold;
 *	- an empty authresult.identifier means the host's name: gethostname(),
 *	  and only when that has no dot, one getaddrinfo(AI_CANONNAME) at
 *	  engine creation (never per message); set the key to avoid it.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <enma/engine.h>
#include <enma/mail.h>
#include <enma/spf.h>
#include <enma/senderid.h>
#include <enma/authres.h>

#define SESSION_MAX_HELO	512	/* RFC 5321 4.5.3.1.4 */
#define SESSION_MAX_PATH	1024	/* RFC 5321 4.5.3.1.3: 256; slack */
#define SESSION_MAX_FORGED	100000	/* forged A-R fields listed */
#define SESSION_HDR_START	32	/* first size of the header array */
#define SESSION_MAX_VERDICTS	3	/* spf, spf on HELO, sender-id */
#define ENGINE_MAX_HOSTNAME	255	/* RFC 1035 2.3.4 */
#define ENGINE_LOG_MAX		2048	/* bytes of one log line */
#define ENGINE_MS		1000u

struct enma_engine {
	struct enma_resolver	*resolver;
	struct enma_zone	*zone;		/* dns.resolver: zone */
	enma_log_fn		*log;
	void			*log_arg;
	char			*authserv_id;
	struct enma_cidr_list	 excluded;	/* our own copy */
	int			 spf_auth, spf_explog, spf_helo;
	int			 sidf_auth, sidf_explog;
	unsigned		 dns_budget_ms;
};

/* Where the session stands with the client address. */
enum session_client {
	CLIENT_UNSEEN = 0,	/* no _connect, or a bad address */
	CLIENT_NOADDR,		/* _connect(NULL): local submission */
	CLIENT_ADDR
};

/* Where the transaction stands. */
enum session_tx {
	TX_IDLE = 0,		/* nothing recorded since the last reset */
	TX_OPEN,		/* _mail_from or _header seen */
	TX_DONE			/* _eom done; results valid */
};

/* An SPF outcome kept for reuse (null sender and HELO check). */
struct spf_outcome {
	enum enma_spf_result	 result;
	const char		*reason;
	const char		*comment;
};

struct enma_session {
	struct enma_engine	*eng;
	struct enma_arena	*arena;		/* per transaction */
	/* connection */
	enum session_client	 client;
	struct enma_ip		 ip;		/* unmapped for SPF */
	int			 excluded;
	int			 authenticated;
	char			*helo;		/* malloc'd or NULL */
	size_t			 helo_len;	/* may hold NUL bytes */
	/* transaction */
	enum session_tx		 tx;
	const char		*mail_from;	/* raw, in the arena */
	size_t			 mail_len;
	int			 have_mail;
	int			 mail_toolong;
	struct enma_header	*hdrs;		/* raw bytes in the arena */
	size_t			 nhdrs, hdrcap, hdrbytes;
	int			 hdr_overflow;	/* a field was dropped */
	int			 hdr_nomem;
	unsigned		 ar_seen;	/* A-R fields so far */
	unsigned		*forged;	/* numbers, arrival order */
	unsigned		*forged_out;	/* the same, highest first */
	size_t			 nforged, forgedcap;
	int			 forged_lost;
	/* results */
	struct enma_verdict	 verdicts[SESSION_MAX_VERDICTS];
	struct enma_authres_prop props[SESSION_MAX_VERDICTS];
	int			 has_prop[SESSION_MAX_VERDICTS];
	const char		*comments[SESSION_MAX_VERDICTS];
	size_t			 nverdicts;
	struct enma_buf		 header;
	struct enma_buf		 logline;
	struct enma_dns_ctx	 dns;
	struct spf_outcome	 helo_out;	/* the HELO's SPF, once */
	int			 helo_done;
};

/* engine_log - one line to the log callback, if there is one */
static void __attribute__((format(printf, 3, 4)))
engine_log(const struct enma_engine *e, int prio, const char *fmt, ...)
{
	va_list		ap;
	char		line[ENGINE_LOG_MAX];

	/* our own text; outside parts were made printable by the caller */

	if (e == NULL || e->log == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	e->log(e->log_arg, prio, line);
}

/* session_printable - an arena copy of outside text fit for logs */
static const char *
session_printable(struct enma_session *s, const char *text)
{
	struct enma_buf	b;
	const char	*out = NULL;

	if (text == NULL)
		return "";
	enma_buf_init(&b, ENGINE_LOG_MAX);
	if (enma_printable(enma_span_from_cstr(text), &b, 1) == ENMA_OK &&
	    b.p != NULL)
		out = enma_arena_strdup(s->arena, b.p);
	enma_buf_free(&b);
	return out != NULL ? out : "?";
}

/* engine_hostname - the host's name, made fully qualified if need be */
static char *
engine_hostname(void)
{
	struct addrinfo	 hints, *res = NULL;
	char		 host[ENGINE_MAX_HOSTNAME + 1];
	char		*out = NULL;

	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		return strdup("localhost");
	host[sizeof(host) - 1] = '\0';
	if (strchr(host, '.') != NULL)
		return strdup(host);
	/*
	 * A short name: ask the system resolver (files, then DNS) for the
	 * canonical name once, at start.  Set authresult.identifier to
	 * avoid this lookup altogether.
	 */
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(host, NULL, &hints, &res) == 0 && res != NULL &&
	    res->ai_canonname != NULL && strchr(res->ai_canonname, '.') != NULL)
		out = strdup(res->ai_canonname);
	if (res != NULL)
		freeaddrinfo(res);
	return out != NULL ? out : strdup(host);
}

/* engine_zone - dns.resolver: zone, from dns.zonefile */
static enma_status
engine_zone(struct enma_engine *e, const struct enma_conf *conf,
    char *errbuf, size_t errlen)
{
	const char	*path = enma_conf_str(conf, "dns.zonefile");
	enma_status	 st;

	if (path == NULL || path[0] == '\0') {
		(void)snprintf(errbuf, errlen,
		    "dns.resolver is zone but dns.zonefile is empty");
		return ENMA_EINVAL;
	}
	if ((e->zone = enma_zone_new()) == NULL) {
		(void)snprintf(errbuf, errlen, "out of memory");
		return ENMA_ENOMEM;
	}
	if ((st = enma_zone_load_file(e->zone, path, errbuf, errlen)) !=
	    ENMA_OK)
		return st;
	if ((st = enma_resolver_zone_new(e->zone, &e->resolver)) != ENMA_OK)
		(void)snprintf(errbuf, errlen, "zone resolver: %s",
		    enma_strerror(st));
	return st;
}

/* engine_resolver - the resolver the dns.* keys name */
static enma_status
engine_resolver(struct enma_engine *e, const struct enma_conf *conf,
    char *errbuf, size_t errlen)
{
	struct enma_ldns_params	 p;
	const char		*kind = enma_conf_str(conf, "dns.resolver");
	const char		*ns = enma_conf_str(conf, "dns.nameservers");

	if (kind != NULL && strcmp(kind, "zone") == 0)
		return engine_zone(e, conf, errbuf, errlen);
	memset(&p, 0, sizeof(p));
	p.nameservers = (ns != NULL && ns[0] != '\0') ? ns : NULL;
	p.port = enma_conf_uint(conf, "dns.port");
	p.timeout_ms = enma_conf_uint(conf, "dns.timeout") * ENGINE_MS;
	p.retries = enma_conf_uint(conf, "dns.retries");
	return enma_resolver_ldns_new(&p, &e->resolver, errbuf, errlen);
}

/* engine_settings - copy what the engine needs out of the conf */
static enma_status
engine_settings(struct enma_engine *e, const struct enma_conf *conf,
    char *errbuf, size_t errlen)
{
	const struct enma_cidr_list	*ex;
	const char			*id;

	e->spf_auth = enma_conf_bool(conf, "spf.auth");
	e->spf_explog = enma_conf_bool(conf, "spf.explog");
	e->spf_helo = enma_conf_bool(conf, "spf.helo_check");
	e->sidf_auth = enma_conf_bool(conf, "sidf.auth");
	e->sidf_explog = enma_conf_bool(conf, "sidf.explog");
	e->dns_budget_ms = enma_conf_uint(conf, "dns.message_timeout") *
	    ENGINE_MS;
	ex = enma_conf_cidrs(conf, "common.exclusion_addresses");
	if (ex != NULL && ex->n > 0) {
		e->excluded.v = calloc(ex->n, sizeof(*ex->v));
		if (e->excluded.v == NULL)
			goto nomem;
		memcpy(e->excluded.v, ex->v, ex->n * sizeof(*ex->v));
		e->excluded.n = ex->n;
	}
	id = enma_conf_str(conf, "authresult.identifier");
	if (id != NULL && id[0] != '\0')
		e->authserv_id = strdup(id);
	else
		e->authserv_id = engine_hostname();
	if (e->authserv_id == NULL)
		goto nomem;
	return ENMA_OK;
nomem:
	(void)snprintf(errbuf, errlen, "out of memory");
	return ENMA_ENOMEM;
}

/* enma_engine_new - an engine from a conf; the resolver becomes ours */
enma_status
enma_engine_new(const struct enma_conf *conf, struct enma_resolver *res,
    enma_log_fn *log, void *log_arg, struct enma_engine **out,
    char *errbuf, size_t errlen)
{
	struct enma_engine	*e;
	char			 dummy[1];
	enma_status		 st;

	if (errbuf == NULL || errlen == 0) {
		errbuf = dummy;
		errlen = sizeof(dummy);
	}
	errbuf[0] = '\0';
	if (out != NULL)
		*out = NULL;
	if (conf == NULL || out == NULL) {
		enma_resolver_free(res);
		(void)snprintf(errbuf, errlen, "bad argument");
		return ENMA_EINVAL;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		enma_resolver_free(res);
		(void)snprintf(errbuf, errlen, "out of memory");
		return ENMA_ENOMEM;
	}
	e->resolver = res;
	e->log = log;
	e->log_arg = log_arg;
	st = engine_settings(e, conf, errbuf, errlen);
	if (st == ENMA_OK && e->resolver == NULL)
		st = engine_resolver(e, conf, errbuf, errlen);
	if (st != ENMA_OK) {
		enma_engine_free(e);
		return st;
	}
	*out = e;
	return ENMA_OK;
}

/* enma_engine_free - the resolver, then the zone it reads; NULL no-op */
void
enma_engine_free(struct enma_engine *e)
{
	if (e == NULL)
		return;
	enma_resolver_free(e->resolver);
	enma_zone_free(e->zone);
	free(e->excluded.v);
	free(e->authserv_id);
	free(e);
}

const char *
enma_engine_authserv_id(const struct enma_engine *e)
{
	return e != NULL ? e->authserv_id : NULL;
}

/* enma_session_new - a session for one connection */
struct enma_session *
enma_session_new(struct enma_engine *e)
{
	struct enma_session	*s;

	if (e == NULL || (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->eng = e;
	enma_buf_init(&s->header, 0);
	enma_buf_init(&s->logline, 0);
	if ((s->arena = enma_arena_new(ENMA_SESSION_ARENA_LIMIT)) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

/* enma_session_free - NULL is a no-op */
void
enma_session_free(struct enma_session *s)
{
	if (s == NULL)
		return;
	enma_arena_free(s->arena);
	enma_buf_free(&s->header);
	enma_buf_free(&s->logline);
	free(s->hdrs);
	free(s->forged);
	free(s->forged_out);
	free(s->helo);
	free(s);
}

/* enma_session_reset - forget the transaction; keep connect/helo/auth */
void
enma_session_reset(struct enma_session *s)
{
	if (s == NULL)
		return;
	enma_arena_reset(s->arena);
	s->tx = TX_IDLE;
	s->mail_from = NULL;
	s->mail_len = 0;
	s->have_mail = s->mail_toolong = 0;
	s->nhdrs = s->hdrbytes = 0;
	s->hdr_overflow = s->hdr_nomem = 0;
	s->ar_seen = 0;
	s->nforged = 0;
	s->forged_lost = 0;
	s->nverdicts = 0;
	enma_buf_reset(&s->header);
	enma_buf_reset(&s->logline);
}

/* session_tx_open - start recording; after _eom that is a new message */
static void
session_tx_open(struct enma_session *s, const char *call)
{
	if (s->tx == TX_DONE) {
		engine_log(s->eng, LOG_WARNING, "%s after end of message "
		    "without reset: new transaction", call);
		enma_session_reset(s);
	}
	s->tx = TX_OPEN;
}

/* enma_session_connect - the client; a second call is a new connection */
enma_status
enma_session_connect(struct enma_session *s, const struct enma_ip *ip,
    unsigned port)
{
	(void)port;
	if (s == NULL)
		return ENMA_EINVAL;
	enma_session_reset(s);
	free(s->helo);
	s->helo = NULL;
	s->authenticated = 0;
	s->excluded = 0;
	memset(&s->ip, 0, sizeof(s->ip));
	if (ip == NULL) {
		s->client = CLIENT_NOADDR;
		return ENMA_OK;
	}
	if (ip->family != 4 && ip->family != 6) {
		s->client = CLIENT_UNSEEN;
		engine_log(s->eng, LOG_ERR, "connect: bad address family %d",
		    ip->family);
		return ENMA_EINVAL;
	}
	s->client = CLIENT_ADDR;
	s->ip = *ip;
	s->excluded = enma_cidr_list_match(&s->eng->excluded, ip);
	enma_ip_unmap(&s->ip);	/* RFC 7208 5: checked as IPv4 */
	return ENMA_OK;
}

/* enma_session_helo - the HELO/EHLO argument, as given */
enma_status
enma_session_helo(struct enma_session *s, struct enma_span name)
{
	char	*h;

	if (s == NULL || (name.p == NULL && name.len > 0))
		return ENMA_EINVAL;
	name = enma_span_trim_wsp(name);
	if (name.len > SESSION_MAX_HELO)
		name.len = SESSION_MAX_HELO + 1;	/* kept, never valid */
	if ((h = malloc(name.len + 1)) == NULL) {
		engine_log(s->eng, LOG_ERR, "helo: out of memory");
		return ENMA_ENOMEM;
	}
	if (name.len > 0)
		memcpy(h, name.p, name.len);
	h[name.len] = '\0';
	free(s->helo);
	s->helo = h;
	s->helo_len = name.len;
	return ENMA_OK;
}

/* enma_session_auth - an SMTP AUTH user; empty means not authenticated */
enma_status
enma_session_auth(struct enma_session *s, struct enma_span user)
{
	if (s == NULL)
		return ENMA_EINVAL;
	s->authenticated = enma_span_trim_wsp(user).len > 0;
	return ENMA_OK;
}

/* enma_session_mail_from - record the reverse-path; parsed at _eom */
enma_status
enma_session_mail_from(struct enma_session *s, struct enma_span path)
{
	if (s == NULL || (path.p == NULL && path.len > 0))
		return ENMA_EINVAL;
	if (s->tx != TX_IDLE)
		enma_session_reset(s);	/* MAIL starts a transaction */
	s->tx = TX_OPEN;
	s->have_mail = 1;
	if (path.len > SESSION_MAX_PATH) {
		s->mail_toolong = 1;
		return ENMA_OK;
	}
	s->mail_from = enma_arena_strndup(s->arena, path.p, path.len);
	if (s->mail_from == NULL) {
		engine_log(s->eng, LOG_ERR, "mail from: out of memory");
		return ENMA_ENOMEM;
	}
	s->mail_len = path.len;
	return ENMA_OK;
}

/* session_forged - note one forged A-R field's occurrence number */
static enma_status
session_forged(struct enma_session *s, unsigned idx)
{
	unsigned	*a, *b;
	size_t		 cap;

	if (s->nforged == s->forgedcap) {
		cap = s->forgedcap == 0 ? 16 : s->forgedcap * 2;
		if (cap > SESSION_MAX_FORGED ||
		    (a = realloc(s->forged, cap * sizeof(*a))) == NULL)
			goto lost;
		s->forged = a;
		if ((b = realloc(s->forged_out, cap * sizeof(*b))) == NULL)
			goto lost;
		s->forged_out = b;
		s->forgedcap = cap;
	}
	s->forged[s->nforged++] = idx;
	return ENMA_OK;
lost:
	if (!s->forged_lost)
		engine_log(s->eng, LOG_ERR, "cannot list forged "
		    "Authentication-Results field %u for deletion", idx);
	s->forged_lost = 1;
	return ENMA_ENOMEM;
}

/* session_keep_header - copy a field into the arena, within the limits */
static enma_status
session_keep_header(struct enma_session *s, struct enma_span raw)
{
	struct enma_header	*a;
	char			*copy;
	size_t			 cap;

	if (s->nhdrs >= ENMA_SESSION_MAX_HEADERS ||
	    raw.len > ENMA_SESSION_MAX_HEADER_BYTES - s->hdrbytes) {
		s->hdr_overflow = 1;
		return ENMA_OK;
	}
	if (s->nhdrs == s->hdrcap) {
		cap = s->hdrcap == 0 ? SESSION_HDR_START : s->hdrcap * 2;
		if (cap > ENMA_SESSION_MAX_HEADERS)
			cap = ENMA_SESSION_MAX_HEADERS;
		if ((a = realloc(s->hdrs, cap * sizeof(*a))) == NULL)
			goto nomem;
		s->hdrs = a;
		s->hdrcap = cap;
	}
	if ((copy = enma_arena_strndup(s->arena, raw.p, raw.len)) == NULL)
		goto nomem;
	if (enma_header_parse(enma_span_make(copy, raw.len),
	    &s->hdrs[s->nhdrs]) != ENMA_OK)
		return ENMA_OK;
	s->nhdrs++;
	s->hdrbytes += raw.len;
	return ENMA_OK;
nomem:
	if (!s->hdr_nomem)
		engine_log(s->eng, LOG_ERR, "header: out of memory");
	s->hdr_nomem = 1;
	return ENMA_ENOMEM;
}

/* enma_session_header - one field as received */
enma_status
enma_session_header(struct enma_session *s, struct enma_span raw)
{
	struct enma_header	h;
	enma_status		st = ENMA_OK;

	if (s == NULL || (raw.p == NULL && raw.len > 0))
		return ENMA_EINVAL;
	session_tx_open(s, "header");
	if (enma_header_parse(raw, &h) != ENMA_OK)
		return ENMA_ESYNTAX;	/* no name: the MTA counts none */
	if (enma_span_caseeq_cstr(h.name, ENMA_AUTHRES_NAME)) {
		s->ar_seen++;
		/* RFC 8601 5: ours from upstream is forged; removed for all */
		if (enma_authres_is_ours(h.value, s->eng->authserv_id))
			st = session_forged(s, s->ar_seen);
	}
	if (session_keep_header(s, h.raw) != ENMA_OK)
		st = ENMA_ENOMEM;
	return st;
}

/* enma_session_body - accepted and ignored until DKIM hashes it */
enma_status
enma_session_body(struct enma_session *s, struct enma_span chunk)
{
	if (s == NULL || (chunk.p == NULL && chunk.len > 0))
		return ENMA_EINVAL;
	session_tx_open(s, "body");
	return ENMA_OK;
}

/* session_add - one verdict slot; returns its index */
static size_t
session_add(struct enma_session *s, const char *method,
    const struct spf_outcome *o)
{
	size_t	i = s->nverdicts;

	if (i == SESSION_MAX_VERDICTS)
		return i;	/* cannot happen: one slot per method */
	s->verdicts[i].method = method;
	s->verdicts[i].result = enma_spf_result_to_text(o->result);
	s->verdicts[i].identity = NULL;
	s->verdicts[i].reason = o->comment != NULL ? o->comment : o->reason;
	s->comments[i] = o->comment;
	s->has_prop[i] = 0;
	s->nverdicts++;
	return i;
}

/* session_prop - the verdict's property (RFC 8601 2.7) and identity */
static void
session_prop(struct enma_session *s, size_t i, const char *ptype,
    const char *property, const char *value)
{
	if (i >= s->nverdicts || value == NULL)
		return;
	s->props[i].ptype = ptype;
	s->props[i].property = property;
	s->props[i].value = value;
	s->has_prop[i] = 1;
	s->verdicts[i].identity = enma_arena_printf(s->arena, "%s.%s=%s",
	    ptype, property, session_printable(s, value));
}

/* session_set - fill an outcome decided here rather than by SPF */
static void
session_set(struct spf_outcome *o, enum enma_spf_result r, const char *why)
{
	o->result = r;
	o->reason = why;
	o->comment = why;
}

/* session_client_rules - 1 when the client address decides the verdict */
static int
session_client_rules(const struct enma_session *s, struct spf_outcome *o)
{
	if (s->client == CLIENT_UNSEEN) {
		session_set(o, ENMA_SPF_TEMPERROR, "no client address given");
		return 1;
	}
	if (s->client == CLIENT_NOADDR) {
		session_set(o, ENMA_SPF_NONE, "no client address");
		return 1;
	}
	return 0;
}

/* session_helo_macro - the HELO for %{h}, when it is printable text */
static const char *
session_helo_macro(const struct enma_session *s)
{
	const char	*p;

	if (s->helo == NULL || s->helo_len > SESSION_MAX_HELO ||
	    strlen(s->helo) != s->helo_len)
		return NULL;	/* too long, or a NUL byte inside */
	for (p = s->helo; *p != '\0'; p++)
		if (!enma_isvchar((unsigned char)*p))
			return NULL;
	return s->helo;
}

/* session_helo_domain - the HELO as a multi-label domain name (4.3) */
static enma_status
session_helo_domain(struct enma_session *s, const char **out)
{
	enma_status	st;

	*out = NULL;
	if (session_helo_macro(s) == NULL)
		return ENMA_ESYNTAX;
	st = enma_domain_normalise(enma_span_from_cstr(s->helo), s->arena,
	    out);
	/* RFC 7208 4.3: a multi-label domain name, not an address literal */
	if (st == ENMA_OK && (strchr(*out, '.') == NULL ||
	    !enma_domain_is_valid(enma_span_from_cstr(*out))))
		st = ENMA_ESYNTAX;
	if (st != ENMA_OK)
		*out = NULL;
	return st;
}

/* session_spf_run - check_host() for one identity */
static void
session_spf_run(struct enma_session *s, enum enma_spf_scope scope,
    const char *local, const char *domain, int explog, const char *what,
    struct spf_outcome *o)
{
	struct enma_spf_request	 rq;
	struct enma_spf_response rs;
	enma_status		 st;

	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.scope = scope;
	rq.ip = s->ip;
	rq.sender_local = local;
	rq.sender_domain = domain;
	rq.helo = session_helo_macro(s);
	rq.receiver = s->eng->authserv_id;
	rq.want_explanation = explog;
	rq.dns = &s->dns;
	st = enma_spf_check(&rq, s->arena, &rs);
	if (st != ENMA_OK || rs.result == ENMA_SPF_UNSET) {
		engine_log(s->eng, LOG_ERR, "%s: %s", what, st != ENMA_OK ?
		    enma_strerror(st) : "no verdict");
		session_set(o, ENMA_SPF_TEMPERROR, st == ENMA_ENOMEM ?
		    "out of memory" : "internal error");
		return;
	}
	o->result = rs.result;
	o->reason = rs.reason;
	o->comment = NULL;
	if (explog && rs.result == ENMA_SPF_FAIL && rs.explanation != NULL)
		engine_log(s->eng, LOG_INFO, "%s explanation: %s", what,
		    session_printable(s, rs.explanation));
}

/* session_helo_outcome - SPF on postmaster@HELO, computed once */
static void
session_helo_outcome(struct enma_session *s, struct spf_outcome *o)
{
	const char	*d;
	enma_status	 st;

	if (s->helo_done) {
		*o = s->helo_out;
		return;
	}
	st = session_helo_domain(s, &d);
	if (session_client_rules(s, o))
		;
	else if (st == ENMA_ENOMEM)
		session_set(o, ENMA_SPF_TEMPERROR, "out of memory");
	else if (s->helo == NULL)
		session_set(o, ENMA_SPF_NONE, "no HELO");
	else if (st != ENMA_OK)
		session_set(o, ENMA_SPF_NONE, "HELO is not a domain name");
	else	/* RFC 7208 2.3 and 2.4: postmaster@HELO */
		session_spf_run(s, ENMA_SPF_SCOPE_SPF1, "postmaster", d,
		    s->eng->spf_explog, "spf helo", o);
	s->helo_out = *o;
	s->helo_done = 1;
}

/* session_mailfrom_value - smtp.mailfrom: local@domain, or the domain */
static const char *
session_mailfrom_value(struct enma_session *s, const char *local,
    const char *domain)
{
	if (local == NULL || local[0] == '\0')
		return domain;
	return enma_arena_printf(s->arena, "%s@%s", local, domain);
}

/* session_spf - the MAIL FROM identity (RFC 7208 2.4) */
static void
session_spf(struct enma_session *s)
{
	struct enma_mailbox	mb;
	struct spf_outcome	o;
	const char		*value = NULL, *d;
	enma_status		 st = ENMA_ESYNTAX;

	memset(&mb, 0, sizeof(mb));
	if (s->have_mail && !s->mail_toolong && s->mail_from != NULL)
		st = enma_path_parse(enma_span_make(s->mail_from,
		    s->mail_len), s->arena, &mb);
	if (!s->have_mail)
		session_set(&o, ENMA_SPF_TEMPERROR, "no MAIL FROM given");
	else if (st == ENMA_ENOMEM)
		session_set(&o, ENMA_SPF_TEMPERROR, "out of memory");
	else if (st != ENMA_OK)	/* RFC 7208 4.3: malformed: none */
		session_set(&o, ENMA_SPF_NONE, "MAIL FROM is not a valid "
		    "reverse-path");
	else if (mb.domain == NULL) {
		/* RFC 7208 2.4: the null sender is postmaster@HELO */
		session_helo_outcome(s, &o);
		if (session_helo_domain(s, &d) == ENMA_OK)
			value = session_mailfrom_value(s, "postmaster", d);
	} else {
		value = session_mailfrom_value(s, mb.local, mb.domain);
		if (!session_client_rules(s, &o))
			session_spf_run(s, ENMA_SPF_SCOPE_SPF1, mb.local,
			    mb.domain, s->eng->spf_explog, "spf", &o);
	}
	session_prop(s, session_add(s, "spf", &o), "smtp", "mailfrom", value);
}

/* session_spf_helo - the separate HELO check (RFC 7208 2.3) */
static void
session_spf_helo(struct enma_session *s)
{
	struct spf_outcome	o;
	const char		*d;

	session_helo_outcome(s, &o);
	(void)session_helo_domain(s, &d);
	/* a HELO that is not printable text is not written at all */
	session_prop(s, session_add(s, "spf", &o), "smtp", "helo",
	    d != NULL ? d : session_helo_macro(s));
}

/* session_lower - an arena copy of a header field name, lower case */
static const char *
session_lower(struct enma_session *s, const char *name)
{
	char	*p, *q;

	if ((p = enma_arena_strdup(s->arena, name)) == NULL)
		return NULL;
	for (q = p; *q != '\0'; q++)
		*q = (char)enma_tolower((unsigned char)*q);
	return p;
}

/* session_sidf - Sender ID on the PRA (RFC 4406, RFC 4407) */
static void
session_sidf(struct enma_session *s)
{
	struct enma_mailbox	 mb;
	struct spf_outcome	 o;
	const char		*which = NULL, *prop = NULL, *value = NULL;
	enma_status		 st = ENMA_EINVAL;

	memset(&mb, 0, sizeof(mb));
	if (!s->hdr_overflow && !s->hdr_nomem)
		st = enma_senderid_pra(s->hdrs, s->nhdrs, s->arena, &mb,
		    &which);
	if (st == ENMA_OK && which != NULL && mb.domain != NULL) {
		prop = session_lower(s, which);
		value = session_mailfrom_value(s, mb.local, mb.domain);
	}
	if (s->hdr_overflow)
		session_set(&o, ENMA_SPF_TEMPERROR, "header limit reached");
	else if (s->hdr_nomem || st == ENMA_ENOMEM ||
	    (st == ENMA_OK && (prop == NULL || value == NULL)))
		session_set(&o, ENMA_SPF_TEMPERROR, "out of memory");
	else if (st != ENMA_OK)	/* RFC 4406 4: no PRA is a permerror */
		session_set(&o, ENMA_SPF_PERMERROR, "no purported "
		    "responsible address");
	else if (!session_client_rules(s, &o))
		session_spf_run(s, ENMA_SPF_SCOPE_PRA, mb.local, mb.domain,
		    s->eng->sidf_explog, "sender-id", &o);
	session_prop(s, session_add(s, "sender-id", &o), "header", prop,
	    prop != NULL ? value : NULL);
}

/* session_header_try - build the A-R value; full: with props/comments */
static enma_status
session_header_try(struct enma_session *s, int full)
{
	struct enma_authres	ar;
	enma_status		st;
	size_t			i;

	enma_buf_reset(&s->header);
	enma_authres_init(&ar);
	st = enma_authres_begin(&ar, s->eng->authserv_id);
	for (i = 0; st == ENMA_OK && i < s->nverdicts; i++)
		st = enma_authres_add(&ar, s->verdicts[i].method,
		    s->verdicts[i].result, full ? s->comments[i] : NULL,
		    &s->props[i], full && s->has_prop[i] ? 1 : 0);
	if (st == ENMA_OK)
		st = enma_authres_finish(&ar, sizeof(ENMA_AUTHRES_NAME) - 1,
		    &s->header);
	enma_authres_free(&ar);
	return st;
}

/* session_header - the value; without properties if they will not go */
static enma_status
session_header(struct enma_session *s)
{
	enma_status	st;

	if ((st = session_header_try(s, 1)) == ENMA_OK)
		return ENMA_OK;
	engine_log(s->eng, LOG_ERR, "Authentication-Results: %s; written "
	    "without properties", enma_strerror(st));
	if ((st = session_header_try(s, 0)) != ENMA_OK)
		engine_log(s->eng, LOG_ERR, "Authentication-Results: %s; "
		    "no header", enma_strerror(st));
	return st;
}

/* session_logline - "spf=pass sender-id=none" */
static void
session_logline(struct enma_session *s)
{
	size_t	i;

	enma_buf_reset(&s->logline);
	for (i = 0; i < s->nverdicts; i++) {
		(void)enma_buf_printf(&s->logline, "%s%s%s=%s",
		    i > 0 ? " " : "", s->verdicts[i].method,
		    s->props[i].property != NULL && s->has_prop[i] &&
		    strcmp(s->props[i].property, "helo") == 0 ? "-helo" : "",
		    s->verdicts[i].result);
	}
	if (s->nverdicts == 0)
		(void)enma_buf_puts(&s->logline, "none");
}

/* session_deletions - forged A-R numbers, highest first */
static void
session_deletions(struct enma_session *s, struct enma_result *r)
{
	size_t	i;

	for (i = 0; i < s->nforged; i++)
		s->forged_out[i] = s->forged[s->nforged - 1 - i];
	r->ndelete = s->nforged;
	r->delete_idx = s->nforged > 0 ? s->forged_out : NULL;
}

/* enma_session_eom - every check, the verdicts and the header */
enma_status
enma_session_eom(struct enma_session *s, struct enma_result *r)
{
	enma_status	st = ENMA_OK;

	if (s == NULL || r == NULL)
		return ENMA_EINVAL;
	memset(r, 0, sizeof(*r));
	s->nverdicts = 0;
	s->helo_done = 0;
	memset(s->has_prop, 0, sizeof(s->has_prop));
	enma_buf_reset(&s->header);
	s->tx = TX_DONE;
	session_deletions(s, r);
	if (s->excluded || s->authenticated) {
		r->skipped = s->excluded ? 1 : 2;
		enma_buf_reset(&s->logline);
		(void)enma_buf_puts(&s->logline, s->excluded ?
		    "skipped (excluded client)" : "skipped (authenticated)");
		r->logline = s->logline.p != NULL ? s->logline.p : "";
		return ENMA_OK;
	}
	enma_dns_ctx_init(&s->dns, s->eng->resolver, s->eng->dns_budget_ms,
	    ENMA_DNS_MESSAGE_MAX_QUERIES);
	if (s->eng->spf_auth)
		session_spf(s);
	if (s->eng->spf_helo)
		session_spf_helo(s);
	if (s->eng->sidf_auth)
		session_sidf(s);
	st = session_header(s);
	session_logline(s);
	r->header_name = ENMA_AUTHRES_NAME;
	r->header_value = st == ENMA_OK ? s->header.p : NULL;
	r->nverdicts = s->nverdicts;
	r->verdicts = s->verdicts;
	r->logline = enma_buf_status(&s->logline) == ENMA_OK &&
	    s->logline.p != NULL ? s->logline.p : "";
	return st;
}
