/*
 * engine_spf.c - the session's SPF (RFC 7208) and Sender ID (RFC 4406,
 * 4407) checks, run at end of message
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
 *	  PRA could be among those dropped: sender-id gives temperror.
 */
#include <string.h>
#include <syslog.h>

#include <enma/senderid.h>

#include "engine_int.h"

/* spf_add - the verdict of one SPF outcome; returns its index */
static size_t
spf_add(struct enma_session *s, const char *method, const char *logname,
    const struct spf_outcome *o)
{
	return engine_verdict(s, method, logname,
	    enma_spf_result_to_text(o->result),
	    o->comment != NULL ? o->comment : o->reason, o->comment);
}

/* spf_set - fill an outcome decided here rather than by SPF */
static void
spf_set(struct spf_outcome *o, enum enma_spf_result r, const char *why)
{
	o->result = r;
	o->reason = why;
	o->comment = why;
}

/* spf_client_rules - 1 when the client address decides the verdict */
static int
spf_client_rules(const struct enma_session *s, struct spf_outcome *o)
{
	if (s->client == CLIENT_UNSEEN) {
		spf_set(o, ENMA_SPF_TEMPERROR, "no client address given");
		return 1;
	}
	if (s->client == CLIENT_NOADDR) {
		spf_set(o, ENMA_SPF_NONE, "no client address");
		return 1;
	}
	return 0;
}

/* spf_helo_macro - the HELO for %{h}, when it is printable text */
static const char *
spf_helo_macro(const struct enma_session *s)
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

/* spf_helo_domain - the HELO as a multi-label domain name (4.3) */
static enma_status
spf_helo_domain(struct enma_session *s, const char **out)
{
	enma_status	st;

	*out = NULL;
	if (spf_helo_macro(s) == NULL)
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

/* spf_run - check_host() for one identity */
static void
spf_run(struct enma_session *s, enum enma_spf_scope scope,
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
	rq.helo = spf_helo_macro(s);
	rq.receiver = s->eng->authserv_id;
	rq.want_explanation = explog;
	rq.dns = &s->dns;
	st = enma_spf_check(&rq, s->arena, &rs);
	if (st != ENMA_OK || rs.result == ENMA_SPF_UNSET) {
		engine_logf(s->eng, LOG_ERR, "%s: %s", what, st != ENMA_OK ?
		    enma_strerror(st) : "no verdict");
		spf_set(o, ENMA_SPF_TEMPERROR, st == ENMA_ENOMEM ?
		    "out of memory" : "internal error");
		return;
	}
	o->result = rs.result;
	o->reason = rs.reason;
	o->comment = NULL;
	if (explog && rs.result == ENMA_SPF_FAIL && rs.explanation != NULL)
		engine_logf(s->eng, LOG_INFO, "%s explanation: %s", what,
		    engine_printable(s, rs.explanation));
}

/* spf_helo_outcome - SPF on postmaster@HELO, computed once */
static void
spf_helo_outcome(struct enma_session *s, struct spf_outcome *o)
{
	const char	*d;
	enma_status	 st;

	if (s->helo_done) {
		*o = s->helo_out;
		return;
	}
	st = spf_helo_domain(s, &d);
	if (spf_client_rules(s, o))
		;
	else if (st == ENMA_ENOMEM)
		spf_set(o, ENMA_SPF_TEMPERROR, "out of memory");
	else if (s->helo == NULL)
		spf_set(o, ENMA_SPF_NONE, "no HELO");
	else if (st != ENMA_OK)
		spf_set(o, ENMA_SPF_NONE, "HELO is not a domain name");
	else	/* RFC 7208 2.3 and 2.4: postmaster@HELO */
		spf_run(s, ENMA_SPF_SCOPE_SPF1, "postmaster", d,
		    s->eng->spf_explog, "spf helo", o);
	s->helo_out = *o;
	s->helo_done = 1;
}

/* engine_spf_mailfrom - the MAIL FROM identity (RFC 7208 2.4) */
void
engine_spf_mailfrom(struct enma_session *s)
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
		spf_set(&o, ENMA_SPF_TEMPERROR, "no MAIL FROM given");
	else if (st == ENMA_ENOMEM)
		spf_set(&o, ENMA_SPF_TEMPERROR, "out of memory");
	else if (st != ENMA_OK)	/* RFC 7208 4.3: malformed: none */
		spf_set(&o, ENMA_SPF_NONE, "MAIL FROM is not a valid "
		    "reverse-path");
	else if (mb.domain == NULL) {
		/* RFC 7208 2.4: the null sender is postmaster@HELO */
		spf_helo_outcome(s, &o);
		if (spf_helo_domain(s, &d) == ENMA_OK)
			value = engine_addr_value(s, "postmaster", d);
	} else {
		value = engine_addr_value(s, mb.local, mb.domain);
		if (!spf_client_rules(s, &o))
			spf_run(s, ENMA_SPF_SCOPE_SPF1, mb.local,
			    mb.domain, s->eng->spf_explog, "spf", &o);
	}
	engine_prop(s, spf_add(s, "spf", NULL, &o), "smtp", "mailfrom",
	    value);
}

/* engine_spf_helo - the separate HELO check (RFC 7208 2.3) */
void
engine_spf_helo(struct enma_session *s)
{
	struct spf_outcome	o;
	const char		*d;

	spf_helo_outcome(s, &o);
	(void)spf_helo_domain(s, &d);
	/* a HELO that is not printable text is not written at all */
	engine_prop(s, spf_add(s, "spf", "spf-helo", &o), "smtp", "helo",
	    d != NULL ? d : spf_helo_macro(s));
}

/* spf_lower - an arena copy of a header field name, lower case */
static const char *
spf_lower(struct enma_session *s, const char *name)
{
	char	*p, *q;

	if ((p = enma_arena_strdup(s->arena, name)) == NULL)
		return NULL;
	for (q = p; *q != '\0'; q++)
		*q = (char)enma_tolower((unsigned char)*q);
	return p;
}

/* engine_sidf - Sender ID on the PRA (RFC 4406, RFC 4407) */
void
engine_sidf(struct enma_session *s)
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
		prop = spf_lower(s, which);
		value = engine_addr_value(s, mb.local, mb.domain);
	}
	if (s->hdr_overflow)
		spf_set(&o, ENMA_SPF_TEMPERROR, "header limit reached");
	else if (s->hdr_nomem || st == ENMA_ENOMEM ||
	    (st == ENMA_OK && (prop == NULL || value == NULL)))
		spf_set(&o, ENMA_SPF_TEMPERROR, "out of memory");
	else if (st != ENMA_OK)	/* RFC 4406 4: no PRA is a permerror */
		spf_set(&o, ENMA_SPF_PERMERROR, "no purported "
		    "responsible address");
	else if (!spf_client_rules(s, &o))
		spf_run(s, ENMA_SPF_SCOPE_PRA, mb.local, mb.domain,
		    s->eng->sidf_explog, "sender-id", &o);
	engine_prop(s, spf_add(s, "sender-id", NULL, &o), "header", prop,
	    prop != NULL ? value : NULL);
}

