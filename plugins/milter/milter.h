/*
 * milter.h - the enma milter daemon: declarations shared by its files
 *
 * libmilter is used in plugins/milter/ only.  The daemon has one engine
 * (immutable, shared by libmilter's thread per connection) and one
 * enma_session per connection, kept with smfi_setpriv.
 *
 *	main.c		options, configuration, daemon, pid file, user
 *	callbacks.c	the xxfi_* callbacks: MTA events -> session calls
 *	eom.c		end of message in a worker thread, header edits
 *	addr.c		client addresses from sockaddr and macros
 *	log.c		syslog, or stderr in the foreground
 */
#ifndef ENMA_MILTER_H
#define ENMA_MILTER_H

#include <stdarg.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/socket.h>

#include <libmilter/mfapi.h>

#include <enma/util.h>
#include <enma/conf.h>
#include <enma/engine.h>

#define ENMA_MILTER_NAME	"enma"

/*
 * While _eom runs in its worker, the callback thread tells the MTA that
 * the filter is alive this often (smfi_progress), so that no MTA timeout
 * fires however slow the DNS is: Sendmail's default wait for a reply is
 * 10 s, Postfix's milter_content_timeout 300 s.
 */
#define ENMA_MILTER_PROGRESS_MS	2000
/*
 * A worker that has not finished after milter.verify_timeout seconds is
 * left behind (it frees its session when it ends) and the message gets
 * the fallback temperror header.  The engine's own budget (dns.* keys)
 * normally ends _eom long before.  The wait is checked every
 * ENMA_MILTER_PROGRESS_MS, so it may run over by up to that much.
 */
#define ENMA_MILTER_MS		1000u
/* Bytes of the reason a fallback header gives. */
#define ENMA_MILTER_WHY_MAX	96
/* On SIGTERM, messages in flight get this long to finish. */
#define ENMA_MILTER_DRAIN_MAX_MS (60u * 1000)
/*
 * Forged Authentication-Results remembered by the milter itself, for
 * the fallback header when the session failed (the session's own list
 * is used otherwise).
 */
#define ENMA_MILTER_MAX_FORGED	64
/*
 * Bytes of one header field rebuilt from libmilter's (name, value):
 * the engine's own limit, doubled for bare LFs turned into CRLF.  Past
 * it the message gets the fallback temperror header.
 */
#define ENMA_MILTER_MAX_FIELD	(2u * ENMA_SESSION_MAX_HEADER_BYTES)

/* What the process holds for the callbacks; set up once in main.c. */
struct milter_global {
	const struct enma_conf	*conf;
	struct enma_engine	*engine;
	const char		*authserv_id;
	int			 sendmail813;	/* no negotiation at all */
	int			 postfix;	/* queue id at the end only */
	unsigned		 verify_ms;	/* milter.verify_timeout */
	pthread_mutex_t		 lock;		/* guards the fields below */
	pthread_cond_t		 idle;		/* inflight dropped to 0 */
	unsigned		 inflight;	/* from MAIL to its end */
	int			 leadspc_seen;	/* the last negotiation's */
};

extern struct milter_global milter_g;

/* Per connection: smfi_setpriv. */
struct milter_conn {
	struct enma_session	*session;	/* NULL: to be (re)created */
	int			 broken;	/* fallback header */
	const char		*broken_why;	/* static text, or NULL */
	int			 leadspc;	/* SMFIP_HDR_LEADSPC */
	int			 has_ip;
	struct enma_ip		 ip;
	unsigned		 port;
	char			*helo;		/* for re-creation */
	char			*auth;		/* {auth_authen} */
	int			 in_txn;	/* counted in inflight */
	char			*qid;		/* macro i */
	unsigned		 ar_count;	/* A-R fields seen */
	unsigned		 nforged;
	unsigned		 forged[ENMA_MILTER_MAX_FORGED];
	char			 ipbuf[ENMA_IP_TEXT_MAX];
};

/* callbacks.c */
extern struct smfiDesc milter_desc;
void	 milter_desc_setup(int sendmail813);
struct milter_conn *milter_conn_get(SMFICTX *);
enma_status milter_conn_session(struct milter_conn *);
void	 milter_txn_end(struct milter_conn *);

/* eom.c */
sfsistat milter_eom(SMFICTX *);

/* addr.c */
int	 milter_addr_from_sockaddr(const struct sockaddr *, struct enma_ip *,
	    unsigned *port);
int	 milter_addr_from_macro(const char *, struct enma_ip *);

/* log.c */
void	 mlog_open(const char *ident, int facility, int mask, int foreground);
void	 mlog_close(void);
void	 mlog(int priority, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 mlog_engine(void *arg, int priority, const char *msg);
/* mlog_clean - outside text made printable into buf (cap bytes) */
const char *mlog_clean(const char *s, char *buf, size_t cap);

#endif /* ENMA_MILTER_H */
