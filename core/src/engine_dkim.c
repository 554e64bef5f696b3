/*
 * engine_dkim.c - the session's DKIM (RFC 6376, 8301, 8463) and ADSP
 * (RFC 5617) checks
 *
 * The verifier starts at the first body chunk (or at end of message when
 * there is no body) with the header fields as received, takes every body
 * chunk as it comes (the body is never kept: memory does not grow with
 * it), and finishes at end of message with the message's DNS context,
 * after SPF and Sender ID, under the same per-message budget.
 *
 * What is written (RFC 8601 2.7.1, RFC 6008, RFC 7601 for header.a and
 * header.s):
 *
 *	- one dkim= entry per signature checked, in header order, with
 *	  header.d, header.i, header.s, header.a and header.b (the first 8
 *	  characters of b=) as far as the field could be read; a comment
 *	  gives the reason for every result but pass, and says when l=
 *	  leaves part of the body unsigned (PITFALLS 6) and when the key is
 *	  in testing mode (t=y, RFC 6376 3.6.1: reported, never acted on);
 *	- signatures past dkim.signheader_limit are not verified (RFC 6376
 *	  6.1 lets a verifier limit them); the last entry's comment says how
 *	  many;
 *	- no DKIM-Signature field: one dkim=none entry, as the original ENMA
 *	  wrote it (RFC 8601 2.7.1: "the message was not signed");
 *	  DomainKey-Signature fields are not DKIM and count for nothing;
 *	- dkim-adsp= per author address with header.from (RFC 5617 5.4 and
 *	  3.2: each author of the From field checked on its own, at most
 *	  ENGINE_ADSP_MAX_AUTHORS; the comment of the last says how many
 *	  more there were);
 *	- a message with no From field or more than one (RFC 5322 3.6 asks
 *	  for exactly one), or whose From does not parse or names no
 *	  mailbox, has no author domain to check: dkim-adsp=permerror with
 *	  the reason (RFC 5617 5.4: an error a later attempt would not fix;
 *	  the original ENMA did the same);
 *	- anything that stops verification on our side (out of memory, the
 *	  header limits, a header field handed over after the body) is
 *	  temperror for dkim and dkim-adsp alone: one dkim=temperror entry
 *	  with the reason.
 *
 * ADSP needs the DKIM verdicts, so the verifier runs when either
 * dkim.auth or dkimadsp.auth is on; dkim= entries are written only with
 * dkim.auth.  Excluded and authenticated clients are never verified.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "engine_int.h"

#define ENGINE_DKIM_KEYS	256	/* decoded keys cached per engine */

/* engine_dkim_new - the policy and the key cache, from the dkim.* keys */
enma_status
engine_dkim_new(struct enma_engine *e, const struct enma_conf *conf,
    char *errbuf, size_t errlen)
{
	struct enma_dkim_policy	*p = &e->dkim_policy;
	unsigned		 limit;

	e->dkim_auth = enma_conf_bool(conf, "dkim.auth");
	e->adsp_auth = enma_conf_bool(conf, "dkimadsp.auth");
	memset(p, 0, sizeof(*p));
	/* 0: no limit of our own (the original's reading); the verifier's
	 * own bound still holds */
	limit = enma_conf_uint(conf, "dkim.signheader_limit");
	p->max_signatures = limit != 0 ? limit : UINT_MAX;
	p->min_rsa_bits = enma_conf_uint(conf, "dkim.min_rsa_bits");
	p->allow_sha1 = enma_conf_bool(conf, "dkim.allow_sha1");
	p->accept_expired = enma_conf_bool(conf,
	    "dkim.accept_expired_signature");
	p->rfc4871_compatible = enma_conf_bool(conf,
	    "dkim.rfc4871_compatible");
	if (!e->dkim_auth && !e->adsp_auth)
		return ENMA_OK;
	if ((e->keycache = enma_dkim_keycache_new(ENGINE_DKIM_KEYS)) ==
	    NULL) {
		(void)snprintf(errbuf, errlen, "out of memory");
		return ENMA_ENOMEM;
	}
	return ENMA_OK;
}

/* engine_dkim_free - the key cache; the engine frees the rest */
void
engine_dkim_free(struct enma_engine *e)
{
	enma_dkim_keycache_free(e->keycache);
	e->keycache = NULL;
}

/* dkim_wanted - DKIM or ADSP is on and this client is verified */
static int
dkim_wanted(const struct enma_session *s)
{
	return (s->eng->dkim_auth || s->eng->adsp_auth) && !s->excluded &&
	    !s->authenticated;
}

/* dkim_broken - verification cannot go on: temperror, for why */
static void
dkim_broken(struct enma_session *s, const char *why)
{
	enma_dkim_verifier_free(s->dkim.v);
	s->dkim.v = NULL;
	s->dkim.state = DKIM_BROKEN;
	s->dkim.why = why;
}

/*
 * dkim_start - the verifier, on an arena copy of the header list (the
 * session's own array may still move); the fields themselves are in the
 * arena already, as received
 */
static void
dkim_start(struct enma_session *s)
{
	struct enma_header	*copy = NULL;
	enma_status		 st;

	if (s->hdr_overflow) {
		dkim_broken(s, "header limit reached");
		return;
	}
	if (s->hdr_nomem || (s->nhdrs > 0 && (copy = enma_arena_calloc(
	    s->arena, s->nhdrs, sizeof(*copy))) == NULL)) {
		dkim_broken(s, "out of memory");
		return;
	}
	if (s->nhdrs > 0)
		memcpy(copy, s->hdrs, s->nhdrs * sizeof(*copy));
	st = enma_dkim_verifier_new(&s->eng->dkim_policy, s->eng->keycache,
	    s->arena, &s->dkim.v);
	if (st == ENMA_OK)
		st = enma_dkim_verifier_headers(s->dkim.v, copy, s->nhdrs);
	if (st != ENMA_OK) {
		engine_logf(s->eng, LOG_ERR, "dkim: %s", enma_strerror(st));
		dkim_broken(s, st == ENMA_ENOMEM ? "out of memory" :
		    "internal error");
		return;
	}
	s->dkim.state = DKIM_RUNNING;
}

/* engine_dkim_header - a field after the body: DKIM cannot see it */
void
engine_dkim_header(struct enma_session *s)
{
	if (s->dkim.state == DKIM_RUNNING) {
		engine_logf(s->eng, LOG_ERR, "dkim: header field after the "
		    "body");
		dkim_broken(s, "header field after the body");
	}
}

/* engine_dkim_body - one chunk into the body hashes */
void
engine_dkim_body(struct enma_session *s, struct enma_span chunk)
{
	if (!dkim_wanted(s))
		return;
	if (s->dkim.state == DKIM_IDLE)
		dkim_start(s);
	if (s->dkim.state == DKIM_RUNNING &&
	    enma_dkim_verifier_body(s->dkim.v, chunk) != ENMA_OK)
		dkim_broken(s, "internal error");
}

/* engine_dkim_reset - the verifier's hash contexts; next message */
void
engine_dkim_reset(struct enma_session *s)
{
	enma_dkim_verifier_free(s->dkim.v);
	memset(&s->dkim, 0, sizeof(s->dkim));
}

/* dkim_finish - the key lookups and the checks, once per message */
static void
dkim_finish(struct enma_session *s)
{
	enma_status st;

	if (s->dkim.state == DKIM_IDLE)
		dkim_start(s);	/* no body */
	if (s->dkim.state != DKIM_RUNNING)
		return;
	st = enma_dkim_verifier_finish(s->dkim.v, &s->dns, &s->dkim.sigs,
	    &s->dkim.nsigs, &s->dkim.skipped);
	if (st != ENMA_OK) {
		engine_logf(s->eng, LOG_ERR, "dkim: %s", enma_strerror(st));
		dkim_broken(s, "internal error");
		return;
	}
	/* the results live in the arena; the hash contexts can go */
	enma_dkim_verifier_free(s->dkim.v);
	s->dkim.v = NULL;
	s->dkim.state = DKIM_DONE;
}

/* dkim_join - "a; b" in the arena; either may be NULL */
static const char *
dkim_join(struct enma_session *s, const char *a, const char *b)
{
	if (a == NULL)
		return b;
	if (b == NULL)
		return a;
	return enma_arena_printf(s->arena, "%s; %s", a, b);
}

/* dkim_comment - the reason, and what else a reader should know */
static const char *
dkim_comment(struct enma_session *s, const struct enma_dkim_sig *g,
    int last)
{
	const char	*c = NULL;

	if (g->result != ENMA_DKIM_PASS)
		c = g->reason != NULL ? g->reason : "no reason given";
	else if (g->testing)	/* the verifier says so on the others */
		c = "key in testing mode (t=y)";
	if (g->partial_body)
		c = dkim_join(s, c, "l= leaves part of the body unsigned");
	if (last && s->dkim.skipped > 0)
		c = dkim_join(s, c, enma_arena_printf(s->arena, "%zu more "
		    "signature%s not verified: dkim.signheader_limit",
		    s->dkim.skipped, s->dkim.skipped > 1 ? "s" : ""));
	return c;
}

/* dkim_entry - one signature's verdict and properties */
static void
dkim_entry(struct enma_session *s, const struct enma_dkim_sig *g, int last)
{
	const char	*c = dkim_comment(s, g, last);
	size_t		 i;

	i = engine_verdict(s, "dkim", NULL, enma_dkim_result_to_text(
	    g->result), c != NULL ? engine_printable(s, c) : NULL, c);
	engine_prop(s, i, "header", "d", g->d);
	engine_prop(s, i, "header", "i", g->i);
	engine_prop(s, i, "header", "s", g->s);
	engine_prop(s, i, "header", "a", g->a);
	engine_prop(s, i, "header", "b", g->b);
}

/* dkim_report - the dkim= entries */
static void
dkim_report(struct enma_session *s)
{
	const struct session_dkim	*d = &s->dkim;
	size_t				 k;

	if (d->state != DKIM_DONE) {
		(void)engine_verdict(s, "dkim", NULL, "temperror", d->why,
		    d->why);
		return;
	}
	if (d->nsigs == 0) {
		(void)engine_verdict(s, "dkim", NULL, "none", NULL, NULL);
		return;
	}
	if (engine_reserve(s, d->nsigs) != ENMA_OK) {
		engine_logf(s->eng, LOG_ERR, "dkim: no room for %zu verdicts",
		    d->nsigs);
		(void)engine_verdict(s, "dkim", NULL, "temperror",
		    "out of memory", "out of memory");
		return;
	}
	for (k = 0; k < d->nsigs; k++)
		dkim_entry(s, &d->sigs[k], k + 1 == d->nsigs);
}

/* adsp_verdict - one dkim-adsp= entry */
static size_t
adsp_verdict(struct enma_session *s, enum enma_adsp_result r,
    const char *why)
{
	return engine_verdict(s, "dkim-adsp", NULL,
	    enma_adsp_result_to_text(r), why, why);
}

/*
 * adsp_authors - the From field's mailboxes (RFC 5617 2.3), or NULL
 * with the verdict given when there is no author to check
 */
static const struct enma_mailbox *
adsp_authors(struct enma_session *s, size_t *n)
{
	struct enma_mailbox		*list = NULL;
	const struct enma_header	*from = NULL;
	size_t				 i, nfrom = 0;
	enma_status			 st;

	for (i = 0; i < s->nhdrs; i++)
		if (enma_span_caseeq_cstr(s->hdrs[i].name, "From")) {
			from = &s->hdrs[i];
			nfrom++;
		}
	*n = 0;
	if (nfrom != 1) {
		(void)adsp_verdict(s, ENMA_ADSP_PERMERROR, nfrom == 0 ?
		    "no From field (RFC 5322 3.6)" : "more than one From "
		    "field (RFC 5322 3.6)");
		return NULL;
	}
	st = enma_addrlist_parse(from->value, s->arena, &list, n);
	if (st == ENMA_ENOMEM)
		(void)adsp_verdict(s, ENMA_ADSP_TEMPERROR, "out of memory");
	else if (st != ENMA_OK)
		(void)adsp_verdict(s, ENMA_ADSP_PERMERROR, "From field does "
		    "not parse (RFC 5322 3.6.2)");
	else if (*n == 0)
		(void)adsp_verdict(s, ENMA_ADSP_PERMERROR, "no author address "
		    "in the From field (RFC 5322 3.6.2)");
	return st == ENMA_OK && *n > 0 ? list : NULL;
}

/* adsp_report - the dkim-adsp= entries, one per author checked */
static void
adsp_report(struct enma_session *s)
{
	const struct enma_mailbox	*au;
	enum enma_adsp_result		 r;
	const char			*why;
	size_t				 k, n, i;

	if (s->dkim.state != DKIM_DONE) {
		(void)adsp_verdict(s, ENMA_ADSP_TEMPERROR, s->dkim.why);
		return;
	}
	if ((au = adsp_authors(s, &n)) == NULL)
		return;
	for (k = 0; k < n && k < ENGINE_ADSP_MAX_AUTHORS; k++) {
		(void)enma_adsp_check(&s->dns, au[k].domain, s->dkim.sigs,
		    s->dkim.nsigs, s->arena, &r, &why);
		if (k + 1 == ENGINE_ADSP_MAX_AUTHORS && n > k + 1)
			why = dkim_join(s, why, enma_arena_printf(s->arena,
			    "%zu more author address%s not checked",
			    n - k - 1, n - k - 1 > 1 ? "es" : ""));
		i = adsp_verdict(s, r, why);
		engine_prop(s, i, "header", "from", engine_addr_value(s,
		    au[k].local, au[k].domain));
	}
}

/* engine_dkim_eom - finish the verifier, write dkim= and dkim-adsp= */
void
engine_dkim_eom(struct enma_session *s)
{
	if (s->dkim.state != DKIM_DONE)	/* a second _eom reuses them */
		dkim_finish(s);
	if (s->eng->dkim_auth)
		dkim_report(s);
	if (s->eng->adsp_auth)
		adsp_report(s);
}
