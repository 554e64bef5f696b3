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
 * The methods live beside this file: SPF and Sender ID in engine_spf.c,
 * DKIM (enma_dkim_verifier, fed as the message streams in) and ADSP in
 * engine_dkim.c; this file keeps the engine, the session's life cycle,
 * the verdict list they fill, the header and the log line.
 *
 * Decisions this file makes where the RFCs leave the engine a choice:
 *
 *	- a transaction call (_mail_from, _header, _body) after _eom without
 *	  _reset starts a new transaction (an implicit _reset);
 *	- the excluded check (common.exclusion_addresses) comes before the
 *	  authenticated one: skipped is 1 when both hold;
 *	- an empty authresult.identifier means the host's name: gethostname(),
 *	  and only when that has no dot, one getaddrinfo(AI_CANONNAME) at
 *	  engine creation (never per message); set the key to avoid it;
 *	- methods are written in a fixed order: spf, spf (HELO), sender-id,
 *	  dkim (one entry per signature, in header order), dkim-adsp;
 *	- an entry whose properties the header cannot take (a value over
 *	  the builder's bound) is written without them, the others intact.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "engine_int.h"

#define SESSION_MAX_PATH	1024	/* RFC 5321 4.5.3.1.3: 256; slack */
#define SESSION_MAX_FORGED	100000	/* forged A-R fields listed */
#define SESSION_HDR_START	32	/* first size of the header array */
#define ENGINE_MAX_HOSTNAME	255	/* RFC 1035 2.3.4 */
#define ENGINE_MS		1000u

/* engine_logf - one line to the log callback, if there is one */
void
engine_logf(const struct enma_engine *e, int prio, const char *fmt, ...)
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

/* engine_printable - an arena copy of outside text fit for logs */
const char *
engine_printable(struct enma_session *s, const char *text)
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
	if (st == ENMA_OK)
		st = engine_dkim_new(e, conf, errbuf, errlen);
	if (st == ENMA_OK)
		st = engine_fallback_check(e, errbuf, errlen);
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
	engine_dkim_free(e);
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
	if ((s->arena = enma_arena_new(ENMA_SESSION_ARENA_LIMIT)) == NULL ||
	    engine_reserve(s, ENGINE_VERDICTS_START) != ENMA_OK) {
		enma_session_free(s);
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
	engine_dkim_reset(s);
	enma_arena_free(s->arena);
	enma_buf_free(&s->header);
	enma_buf_free(&s->logline);
	free(s->hdrs);
	free(s->forged);
	free(s->forged_out);
	free(s->verdicts);
	free(s->entries);
	free(s->helo);
	free(s);
}

/* enma_session_reset - forget the transaction; keep connect/helo/auth */
void
enma_session_reset(struct enma_session *s)
{
	if (s == NULL)
		return;
	engine_dkim_reset(s);	/* before the arena it uses goes */
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
		engine_logf(s->eng, LOG_WARNING, "%s after end of message "
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
		engine_logf(s->eng, LOG_ERR, "connect: bad address family %d",
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
		engine_logf(s->eng, LOG_ERR, "helo: out of memory");
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
		engine_logf(s->eng, LOG_ERR, "mail from: out of memory");
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
		engine_logf(s->eng, LOG_ERR, "cannot list forged "
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
		engine_logf(s->eng, LOG_ERR, "header: out of memory");
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
	engine_dkim_header(s);
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

/* enma_session_body - a chunk into the DKIM body hashes; not kept */
enma_status
enma_session_body(struct enma_session *s, struct enma_span chunk)
{
	if (s == NULL || (chunk.p == NULL && chunk.len > 0))
		return ENMA_EINVAL;
	session_tx_open(s, "body");
	engine_dkim_body(s, chunk);
	return ENMA_OK;
}

/* engine_reserve - room for n more verdicts, kept for the session */
enma_status
engine_reserve(struct enma_session *s, size_t n)
{
	struct enma_verdict	*v;
	struct engine_entry	*en;
	size_t			 cap = s->verdcap;

	if (n > ENGINE_MAX_VERDICTS - s->nverdicts)
		return ENMA_ELIMIT;
	if (s->nverdicts + n <= cap)
		return ENMA_OK;
	while (cap < s->nverdicts + n)
		cap = cap == 0 ? ENGINE_VERDICTS_START : cap * 2;
	if ((v = realloc(s->verdicts, cap * sizeof(*v))) == NULL)
		return ENMA_ENOMEM;
	s->verdicts = v;
	if ((en = realloc(s->entries, cap * sizeof(*en))) == NULL)
		return ENMA_ENOMEM;
	s->entries = en;
	s->verdcap = cap;
	return ENMA_OK;
}

/* engine_verdict - one verdict slot; SIZE_MAX when there is no room */
size_t
engine_verdict(struct enma_session *s, const char *method,
    const char *logname, const char *result, const char *reason,
    const char *comment)
{
	size_t	i = s->nverdicts;

	if (i == s->verdcap && engine_reserve(s, 1) != ENMA_OK) {
		engine_logf(s->eng, LOG_ERR, "%s=%s: no room for the "
		    "verdict", method, result);
		return SIZE_MAX;
	}
	s->verdicts[i].method = method;
	s->verdicts[i].result = result;
	s->verdicts[i].identity = NULL;
	s->verdicts[i].reason = reason;
	s->entries[i].logname = logname != NULL ? logname : method;
	s->entries[i].comment = comment;
	s->entries[i].nprops = 0;
	s->nverdicts++;
	return i;
}

/* engine_prop - one property (RFC 8601 2.7); the first is the identity */
void
engine_prop(struct enma_session *s, size_t i, const char *ptype,
    const char *property, const char *value)
{
	struct engine_entry	*en;

	if (i >= s->nverdicts || value == NULL || property == NULL)
		return;
	en = &s->entries[i];
	if (en->nprops == ENGINE_MAX_PROPS)
		return;
	en->props[en->nprops].ptype = ptype;
	en->props[en->nprops].property = property;
	en->props[en->nprops].value = value;
	if (en->nprops++ == 0)
		s->verdicts[i].identity = enma_arena_printf(s->arena,
		    "%s.%s=%s", ptype, property, engine_printable(s, value));
}

/* engine_addr_value - smtp.mailfrom, header.from: local@domain */
const char *
engine_addr_value(struct enma_session *s, const char *local,
    const char *domain)
{
	if (local == NULL || local[0] == '\0')
		return domain;
	return enma_arena_printf(s->arena, "%s@%s", local, domain);
}

/*
 * session_entry_add - one entry; when its properties are refused (they
 * are checked before anything is written), the entry without them
 */
static enma_status
session_entry_add(struct enma_session *s, struct enma_authres *ar, size_t i,
    int full)
{
	const struct engine_entry	*en = &s->entries[i];
	const struct enma_verdict	*v = &s->verdicts[i];
	enma_status			 st;

	if (!full)
		return enma_authres_add(ar, v->method, v->result, NULL,
		    NULL, 0);
	st = enma_authres_add(ar, v->method, v->result, en->comment,
	    en->props, en->nprops);
	if (st == ENMA_OK || en->nprops == 0 ||
	    enma_buf_status(&ar->buf) != ENMA_OK)
		return st;
	engine_logf(s->eng, LOG_WARNING, "Authentication-Results: %s=%s "
	    "written without its properties: %s", v->method, v->result,
	    enma_strerror(st));
	return enma_authres_add(ar, v->method, v->result, en->comment,
	    NULL, 0);
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
		st = session_entry_add(s, &ar, i, full);
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
	engine_logf(s->eng, LOG_ERR, "Authentication-Results: %s; written "
	    "without properties", enma_strerror(st));
	if ((st = session_header_try(s, 0)) != ENMA_OK)
		engine_logf(s->eng, LOG_ERR, "Authentication-Results: %s; "
		    "no header", enma_strerror(st));
	return st;
}

/* session_logline - "spf=pass sender-id=none dkim=pass dkim-adsp=pass" */
static void
session_logline(struct enma_session *s)
{
	size_t	i;

	enma_buf_reset(&s->logline);
	for (i = 0; i < s->nverdicts; i++)
		(void)enma_buf_printf(&s->logline, "%s%s=%s",
		    i > 0 ? " " : "", s->entries[i].logname,
		    s->verdicts[i].result);
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
		engine_spf_mailfrom(s);
	if (s->eng->spf_helo)
		engine_spf_helo(s);
	if (s->eng->sidf_auth)
		engine_sidf(s);
	if (s->eng->dkim_auth || s->eng->adsp_auth)
		engine_dkim_eom(s);
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
