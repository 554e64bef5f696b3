/*
 * engine_fallback.c - the header of a message we could not verify
 *
 * Every adapter keeps one rule: a message is never lost or rejected
 * because of our own failure (no session, a spool file that cannot be
 * read, a verification abandoned or refused for lack of time or
 * threads); its verdicts become temperror and the mail goes through.
 * The header that says so is built here, once for every adapter, from
 * the engine alone: the session may be the very thing that failed.
 *
 * Decisions this file makes where the RFCs leave the engine a choice:
 *
 *	- one entry per method the configuration enables, in the order
 *	  enma_session_eom writes them (spf, spf for the HELO when
 *	  spf.helo_check, sender-id, dkim, dkim-adsp): one dkim= entry
 *	  however many signatures the message has, one dkim-adsp= however
 *	  many authors, since neither was counted;
 *	- no properties: the identities were not determined (RFC 8601 2.2
 *	  makes propspec optional, and 2.7 asks that a property name what
 *	  was checked); the reason goes into a comment after the result,
 *	  cut to ENMA_ENGINE_FALLBACK_REASON_MAX bytes;
 *	- no allocation: the one-line value is built on the stack and the
 *	  caller gives the output buffers, so the header can still be made
 *	  when memory is what ran out.  The sizes are bounded (engine.h)
 *	  and enma_engine_new refuses an authserv-id that would not fit.
 */
#include <stdio.h>
#include <string.h>

#include "engine_int.h"

/*
 * The one-line value: an authserv-id of ENMA_AUTHRES_MAX_VALUE (256)
 * bytes, quoted with every byte escaped (2 + 2 * 256), then per method
 * "; dkim-adsp=temperror (" + the escaped reason (2 * 64 + "...") + ")"
 * (155 bytes) five times: 1289 bytes.  Folding adds at most one byte
 * per space, so ENMA_ENGINE_FALLBACK_MAX (engine.h) holds twice that.
 */
#define FALLBACK_LINE_MAX	2048
#define FALLBACK_MAX_METHODS	5	/* spf, spf (HELO), sender-id, ... */
#define FALLBACK_CUT		"..."

/* One entry of the fallback header. */
struct fallback_method {
	const char	*method;	/* as written in the header */
	const char	*logname;	/* as written in the log line */
};

/* fallback_methods - the methods e runs, in the order of _eom */
static size_t
fallback_methods(const struct enma_engine *e, struct fallback_method *m)
{
	size_t	n = 0;

	/* enma_session_eom: engine_spf_mailfrom, _helo, engine_sidf, ... */
	if (e->spf_auth)
		m[n++] = (struct fallback_method){ "spf", "spf" };
	if (e->spf_helo)
		m[n++] = (struct fallback_method){ "spf", "spf-helo" };
	if (e->sidf_auth)
		m[n++] = (struct fallback_method){ "sender-id", "sender-id" };
	/* ... engine_dkim_eom: dkim_report, then adsp_report */
	if (e->dkim_auth)
		m[n++] = (struct fallback_method){ "dkim", "dkim" };
	if (e->adsp_auth)
		m[n++] = (struct fallback_method){ "dkim-adsp", "dkim-adsp" };
	return n;
}

/* fallback_reason - reason cut to its bound, "..." after a cut */
static const char *
fallback_reason(const char *reason, char *out, size_t outlen)
{
	size_t	n;

	if (reason == NULL || reason[0] == '\0')
		return NULL;
	n = strnlen(reason, ENMA_ENGINE_FALLBACK_REASON_MAX + 1);
	if (n <= ENMA_ENGINE_FALLBACK_REASON_MAX)
		return reason;
	(void)snprintf(out, outlen, "%.*s" FALLBACK_CUT,
	    ENMA_ENGINE_FALLBACK_REASON_MAX, reason);
	return out;
}

/* fallback_logline - "spf=temperror ... dkim-adsp=temperror", or "none" */
static enma_status
fallback_logline(const struct fallback_method *m, size_t n,
    struct enma_buf *out)
{
	size_t	i;

	enma_buf_reset(out);
	for (i = 0; i < n; i++)
		(void)enma_buf_printf(out, "%s%s=temperror", i > 0 ? " " : "",
		    m[i].logname);
	if (n == 0)
		(void)enma_buf_puts(out, "none");
	return enma_buf_status(out);
}

/* enma_engine_fallback - temperror for every method on, no session */
enma_status
enma_engine_fallback(const struct enma_engine *e, const char *reason,
    struct enma_buf *value, struct enma_buf *logline)
{
	struct fallback_method	 m[FALLBACK_MAX_METHODS];
	struct enma_authres	 ar;
	char			 line[FALLBACK_LINE_MAX];
	char			 cut[ENMA_ENGINE_FALLBACK_REASON_MAX +
				    sizeof(FALLBACK_CUT)];
	const char		*why;
	size_t			 i, n;
	enma_status		 st;

	if (e == NULL || value == NULL)
		return ENMA_EINVAL;
	n = fallback_methods(e, m);
	why = fallback_reason(reason, cut, sizeof(cut));
	enma_buf_reset(value);
	/* the builder's own buffer on our stack: no allocation */
	enma_authres_init(&ar);
	enma_buf_init_fixed(&ar.buf, line, sizeof(line));
	st = enma_authres_begin(&ar, e->authserv_id);
	for (i = 0; st == ENMA_OK && i < n; i++)
		st = enma_authres_add(&ar, m[i].method, "temperror", why,
		    NULL, 0);
	if (st == ENMA_OK)
		st = enma_authres_finish(&ar, sizeof(ENMA_AUTHRES_NAME) - 1,
		    value);
	if (st == ENMA_OK && logline != NULL)
		st = fallback_logline(m, n, logline);
	if (st != ENMA_OK)
		enma_buf_reset(value);
	return st;
}

/*
 * engine_fallback_check - the fallback header fits its bounds for this
 * engine, with the longest reason: checked once, at engine creation
 */
enma_status
engine_fallback_check(const struct enma_engine *e, char *errbuf,
    size_t errlen)
{
	char		vmem[ENMA_ENGINE_FALLBACK_MAX];
	char		lmem[ENMA_ENGINE_FALLBACK_LOG_MAX];
	char		reason[ENMA_ENGINE_FALLBACK_REASON_MAX + 2];
	struct enma_buf	v, l;
	enma_status	st;

	/* every byte escaped in the comment, and cut */
	memset(reason, ')', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	enma_buf_init_fixed(&v, vmem, sizeof(vmem));
	enma_buf_init_fixed(&l, lmem, sizeof(lmem));
	if ((st = enma_engine_fallback(e, reason, &v, &l)) != ENMA_OK)
		(void)snprintf(errbuf, errlen, "authresult.identifier: cannot "
		    "be written in %s: %s", ENMA_AUTHRES_NAME,
		    enma_strerror(st));
	return st;
}

/* enma_engine_skip - would _eom skip this client: 1 excluded, 2 auth */
int
enma_engine_skip(const struct enma_engine *e, const struct enma_ip *client,
    int authenticated)
{
	if (e == NULL)
		return 0;
	/* as enma_session_connect: the address as given, before unmapping */
	if (client != NULL && enma_cidr_list_match(&e->excluded, client))
		return 1;
	return authenticated ? 2 : 0;
}
