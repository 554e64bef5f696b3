/*
 * engine_int.h - declarations shared by the engine's files
 *
 *	engine.c	the engine, the session's life cycle, the verdict
 *			list, the header and the log line
 *	engine_spf.c	SPF (MAIL FROM and HELO identities) and Sender ID
 *	engine_dkim.c	DKIM (streamed through the session) and ADSP
 *	engine_fallback.c the header of a message that could not be
 *			verified, from the engine alone
 *
 * A method adds its verdicts at _eom with engine_verdict() and
 * engine_prop(); engine.c turns the list into the header and the log
 * line.  Nothing here is exported from libenma.
 */
#ifndef ENMA_ENGINE_INT_H
#define ENMA_ENGINE_INT_H

#include <enma/engine.h>
#include <enma/mail.h>
#include <enma/dkim.h>
#include <enma/authres.h>
#include <enma/spf.h>

#define SESSION_MAX_HELO	512	/* RFC 5321 4.5.3.1.4 */
#define ENGINE_LOG_MAX		2048	/* bytes of one log line */
#define ENGINE_MAX_PROPS	5	/* dkim: header.d .i .s .a .b */
#define ENGINE_VERDICTS_START	8	/* slots made with the session */
#define ENGINE_ADSP_MAX_AUTHORS	4	/* RFC 5617 3.2: one check each */
/* spf, spf (HELO), sender-id, DKIM's bound, ADSP's authors */
#define ENGINE_MAX_VERDICTS	(3 + 1024 + ENGINE_ADSP_MAX_AUTHORS)

struct enma_engine {
	struct enma_resolver	*resolver;
	struct enma_zone	*zone;		/* dns.resolver: zone */
	enma_log_fn		*log;
	void			*log_arg;
	char			*authserv_id;
	struct enma_cidr_list	 excluded;	/* our own copy */
	int			 spf_auth, spf_explog, spf_helo;
	int			 sidf_auth, sidf_explog;
	int			 dkim_auth, adsp_auth;
	struct enma_dkim_policy	 dkim_policy;
	struct enma_dkim_keycache *keycache;	/* shared; locks itself */
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

/* Where the message's DKIM verification stands. */
enum dkim_state {
	DKIM_IDLE = 0,		/* not started: no body yet */
	DKIM_RUNNING,		/* headers given, body streaming */
	DKIM_BROKEN,		/* cannot verify: temperror, why says */
	DKIM_DONE		/* finished: sigs hold the verdicts */
};

struct session_dkim {
	enum dkim_state		 state;
	struct enma_dkim_verifier *v;
	const char		*why;		/* DKIM_BROKEN */
	const struct enma_dkim_sig *sigs;	/* DKIM_DONE, in the arena */
	size_t			 nsigs, skipped;
};

/* One Authentication-Results entry beside its struct enma_verdict. */
struct engine_entry {
	const char		*logname;	/* the log line's name */
	const char		*comment;	/* in the header, or NULL */
	struct enma_authres_prop props[ENGINE_MAX_PROPS];
	size_t			 nprops;
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
	struct session_dkim	 dkim;
	/* results: verdicts[i] and entries[i] go together (malloc'd) */
	struct enma_verdict	*verdicts;
	struct engine_entry	*entries;
	size_t			 nverdicts, verdcap;
	struct enma_buf		 header;
	struct enma_buf		 logline;
	struct enma_dns_ctx	 dns;
	struct spf_outcome	 helo_out;	/* the HELO's SPF, once */
	int			 helo_done;
};

/* engine.c */
void	 engine_logf(const struct enma_engine *, int prio, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* engine_printable - an arena copy of outside text fit for logs */
const char *engine_printable(struct enma_session *, const char *);
/* engine_addr_value - "local@domain", or the domain alone */
const char *engine_addr_value(struct enma_session *, const char *local,
	    const char *domain);
/* engine_reserve - room for n more verdicts; ENMA_ENOMEM past the bound */
enma_status engine_reserve(struct enma_session *, size_t n);
/*
 * engine_verdict - one verdict: method and result as written, logname
 * for the log line (NULL: the method), reason for the verdict list,
 * comment for the header (either may be NULL; strings must outlive the
 * transaction).  Returns its index, or SIZE_MAX when there is no room.
 */
size_t	 engine_verdict(struct enma_session *, const char *method,
	    const char *logname, const char *result, const char *reason,
	    const char *comment);
/* engine_prop - a property of verdict i (value NULL: none); the first
 * one is also the verdict's identity */
void	 engine_prop(struct enma_session *, size_t i, const char *ptype,
	    const char *property, const char *value);

/* engine_fallback.c */
/* engine_fallback_check - the fallback header fits (enma_engine_new) */
enma_status engine_fallback_check(const struct enma_engine *, char *errbuf,
	    size_t errlen);

/* engine_spf.c */
void	 engine_spf_mailfrom(struct enma_session *);
void	 engine_spf_helo(struct enma_session *);
void	 engine_sidf(struct enma_session *);

/* engine_dkim.c */
enma_status engine_dkim_new(struct enma_engine *, const struct enma_conf *,
	    char *errbuf, size_t errlen);
void	 engine_dkim_free(struct enma_engine *);
void	 engine_dkim_header(struct enma_session *);
void	 engine_dkim_body(struct enma_session *, struct enma_span);
void	 engine_dkim_eom(struct enma_session *);
void	 engine_dkim_reset(struct enma_session *);

#endif /* ENMA_ENGINE_INT_H */
