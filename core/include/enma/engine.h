/*
 * engine.h - the verification engine and the per-message session
 *
 * Every adapter (milter, Exim, OpenSMTPD, the CLI) drives the same state
 * machine, so all of them give the same verdicts and the same header
 * text for the same message:
 *
 *	enma_engine_new(conf, resolver)	once; shared by threads
 *	enma_session_new(engine)	per SMTP connection
 *	  _connect(ip, port)		client (no verdicts if excluded)
 *	  _helo(name)
 *	  _auth(user)			authenticated: no verdicts
 *	  _mail_from(reverse-path)	per transaction; recorded only
 *	  _header(raw field)		each field, as received
 *	  _body(chunk)			body bytes, CRLF line ends, any chunking
 *	  _eom(&result)			all DNS work and verification
 *	  _reset()			next transaction, same connection
 *	enma_session_free()
 *	enma_engine_fallback()		the header when verification failed
 *
 * Calls before _eom never block and never touch the DNS.  _eom blocks on
 * the DNS within the per-message budget (dns.message_timeout).  A call
 * out of order or an internal failure never crashes: the verdicts of the
 * methods concerned become temperror and the message still gets its
 * header.  The core never rejects, drops or rewrites the body.
 */
#ifndef ENMA_ENGINE_H
#define ENMA_ENGINE_H

#include <enma/util.h>
#include <enma/dns.h>
#include <enma/conf.h>

/* Log callback: priority is a syslog level (LOG_ERR ... LOG_DEBUG). */
typedef void enma_log_fn(void *arg, int priority, const char *msg);

struct enma_engine;
struct enma_session;

#define ENMA_SESSION_MAX_HEADERS	1000	/* fields kept per message */
#define ENMA_SESSION_MAX_HEADER_BYTES	(1024 * 1024)
#define ENMA_SESSION_ARENA_LIMIT	(8u * 1024 * 1024)

/*
 * enma_engine_new - build an engine from a configuration.  The resolver
 * is owned by the engine from then on (freed with it); NULL means
 * "create the one the configuration names" (dns.* keys).  log may be
 * NULL.  errbuf receives the reason on failure.
 */
enma_status enma_engine_new(const struct enma_conf *, struct enma_resolver *,
	    enma_log_fn *log, void *log_arg, struct enma_engine **,
	    char *errbuf, size_t errlen);
void	 enma_engine_free(struct enma_engine *);
/* the authserv-id the engine writes and removes */
const char *enma_engine_authserv_id(const struct enma_engine *);

struct enma_session *enma_session_new(struct enma_engine *);
void	 enma_session_free(struct enma_session *);

/* ip NULL: no client address (local submission); verdicts then use none. */
enma_status enma_session_connect(struct enma_session *, const struct enma_ip *,
	    unsigned port);
enma_status enma_session_helo(struct enma_session *, struct enma_span);
enma_status enma_session_auth(struct enma_session *, struct enma_span user);
/* reverse-path as given: "<a@b>", "a@b", "<>"; ESMTP parameters excluded */
enma_status enma_session_mail_from(struct enma_session *, struct enma_span);
/*
 * enma_session_header - one field, "Name: value" with CRLF folds, with
 * or without the final CRLF.  Adapters that receive bare-LF folds fix
 * them first (enma_header_fix_eol).
 */
enma_status enma_session_header(struct enma_session *, struct enma_span);
enma_status enma_session_body(struct enma_session *, struct enma_span);

/* One verdict, for logs and metrics; strings live until _reset/_free. */
struct enma_verdict {
	const char	*method;	/* "spf", "sender-id", "dkim" (one
					   per signature), "dkim-adsp" */
	const char	*result;	/* "pass", "temperror", ... */
	const char	*identity;	/* "smtp.mailfrom=a@b", or NULL */
	const char	*reason;	/* why, or NULL */
};

/*
 * What _eom gives the adapter.  All pointers stay valid until the next
 * _reset or _free.
 *
 * delete_idx: the per-name occurrence numbers (1-based, as
 * smfi_chgheader counts Authentication-Results fields) of forged fields,
 * highest first: apply them in this order, then insert our header.
 * header_value: NULL when no header is to be added (excluded or
 * authenticated client); otherwise the value folded with "\n\t".
 * logline: "spf=pass sender-id=none dkim=pass dkim-adsp=pass" for the
 * adapter's log line.
 */
struct enma_result {
	size_t			 ndelete;
	const unsigned		*delete_idx;
	const char		*header_name;
	const char		*header_value;
	size_t			 nverdicts;
	const struct enma_verdict *verdicts;
	const char		*logline;
	int			 skipped;	/* 1 excluded, 2 authenticated
						   (enma_engine_skip) */
};

enma_status enma_session_eom(struct enma_session *, struct enma_result *);
/* enma_session_reset - forget the transaction; keep connect/helo/auth */
void	 enma_session_reset(struct enma_session *);

/*
 * The header of a message that could not be verified: no session, a
 * message that could not be read, a verification that failed without
 * a header, was abandoned, or had no thread or no time to run.  The
 * rule every adapter keeps: such a message is never lost or rejected
 * for our sake; its verdicts become temperror and it goes through.
 *
 * enma_engine_fallback - the Authentication-Results value: for every
 * method the configuration enables, in the order _eom writes them
 * (spf, spf for the HELO with spf.helo_check, sender-id, dkim,
 * dkim-adsp), "method=temperror (reason)" without properties (the
 * identities were not determined), folded as _eom folds; "id; none"
 * when no method is on.  reason may be NULL (no comment); past
 * ENMA_ENGINE_FALLBACK_REASON_MAX bytes it is cut, with "...".  logline
 * (may be NULL) gets what enma_result.logline would say:
 * "spf=temperror sender-id=temperror dkim=temperror dkim-adsp=temperror"
 * ("spf-helo=" for the HELO entry), or "none".  Both buffers are
 * emptied first.  No session is used and nothing is allocated but by
 * the buffers given: with enma_buf_init_fixed on memory of
 * ENMA_ENGINE_FALLBACK_MAX and ENMA_ENGINE_FALLBACK_LOG_MAX bytes, it
 * works when memory is short, and it cannot fail for an engine that
 * enma_engine_new built (the authserv-id is checked there).  Safe from
 * any thread.  Not for a client _eom would skip: see enma_engine_skip.
 */
#define ENMA_ENGINE_FALLBACK_REASON_MAX	64	/* bytes of reason written */
#define ENMA_ENGINE_FALLBACK_MAX	4096	/* value, NUL included */
#define ENMA_ENGINE_FALLBACK_LOG_MAX	128	/* log line, NUL included */
enma_status enma_engine_fallback(const struct enma_engine *,
	    const char *reason, struct enma_buf *value,
	    struct enma_buf *logline);
/*
 * enma_engine_skip - would _eom skip this client (no verdicts, no
 * header)?  1: excluded (common.exclusion_addresses; checked first),
 * 2: authenticated, 0: verified; as enma_result.skipped.  client NULL:
 * no client address.
 */
int	 enma_engine_skip(const struct enma_engine *,
	    const struct enma_ip *client, int authenticated);

#endif /* ENMA_ENGINE_H */
