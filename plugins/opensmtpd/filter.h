/*
 * filter.h - filter-enma: the OpenSMTPD filter, declarations shared by
 * its files
 *
 * smtpd runs one filter process for all its SMTP sessions and talks to
 * it over stdin and stdout (smtpd-filters(7)).  One thread reads and
 * writes that protocol; a bounded pool of worker threads runs
 * enma_session_eom, where all DNS work happens, so that a slow answer
 * for one message never holds up another.
 *
 *	main.c		options, configuration, config phase, main loop
 *	events.c	the registration table: one function per event
 *	session.c	per-session contexts, looked up by smtpd's session id
 *	message.c	per-message contexts: lines kept (spilled to a file
 *			past opensmtpd.spill_size), headers fed to the engine
 *	pool.c		the worker pool and its bounded queue
 *	output.c	answers to smtpd, whole lines under one lock, with
 *			our header (the engine's, or its fallback header)
 *	log.c		stderr, which smtpd copies into its log
 *	proto.c		the line reader and the parsers (pure)
 */
#ifndef ENMA_SMTPD_FILTER_H
#define ENMA_SMTPD_FILTER_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include <enma/util.h>
#include <enma/conf.h>
#include <enma/engine.h>

#include "proto.h"

#define FILTER_NAME		"filter-enma"

/*
 * The per-message DNS budget (dns.message_timeout) is kept this many
 * seconds below smtpd's session timeout (config|smtp-session-timeout),
 * so that smtpd never gives up on a session while we verify it.
 */
#define FILTER_TIMEOUT_MARGIN_S	10
/*
 * A message still queued when its answer could no longer come this many
 * seconds before smtpd's session timeout (its wait plus the DNS budget)
 * is answered at once with temperror instead.
 */
#define FILTER_LATE_MARGIN_S	2
/* smtpd's SMTPD_SESSION_TIMEOUT, when the config lines do not say */
#define FILTER_DEFAULT_SESSION_TIMEOUT_S 300
/*
 * Bytes of one header field given to the engine: its own limit for all
 * fields together, plus one, so that a longer field makes the engine
 * report its header limit (sender-id temperror) instead of seeing a
 * field cut short.
 */
#define FILTER_MAX_FIELD	(ENMA_SESSION_MAX_HEADER_BYTES + 1)
/* body bytes collected before they are given to the engine at once */
#define FILTER_BODY_CHUNK	(64u * 1024)
/* answer bytes collected before one locked write */
#define FILTER_OUT_CHUNK	(64u * 1024)
/*
 * Bytes of a message kept in memory when its spill file cannot be
 * written (opensmtpd.tmpdir full or gone); past it the message is
 * answered at once, see msg_flush_early.
 */
#define FILTER_MEM_HARD_MAX	(64u * 1024 * 1024)
/* Authentication-Results fields of one message tracked for deletion */
#define FILTER_MAX_AR		100000
/* seconds the exit waits for workers still in the DNS */
#define FILTER_DRAIN_S		5

struct filter;
struct sess;
struct msg;
struct pool;
struct sess_table;

/* The output: fd 1, written by whole lines under one lock. */
struct out {
	pthread_mutex_t	 mtx;
	int		 fd;
	int		 dead;		/* a write failed: no smtpd */
};

/* What the process holds; set up in main.c. */
struct filter {
	struct enma_conf	*conf;
	struct enma_engine	*engine;
	const char		*authserv_id;
	struct out		 out;
	struct pool		*pool;
	struct sess_table	*sessions;
	unsigned		 vminor;	/* protocol minor version */
	int			 warned_version;
	unsigned		 session_timeout_s;
	unsigned		 budget_ms;	/* dns.message_timeout */
	size_t			 spill_size;
	const char		*tmpdir;
	int			 ready;		/* config done */
	char			 admd[256];	/* config|admd */
	/* counters, main thread only */
	uint64_t		 messages, queue_full, cut_lines;
};

/*
 * A message's lines, kept as received (still dot-stuffed) to be echoed:
 * one stream of records (a 4-byte length, then the line), its first
 * flen bytes in an unlinked temporary file, the rest in memory.
 */
struct store {
	struct enma_buf	 mem;
	int		 fd;		/* spill file, or -1 */
	uint64_t	 flen;		/* stream bytes in the file */
	size_t		 limit;		/* opensmtpd.spill_size */
	const char	*tmpdir;
	int		 failed;	/* the file failed: memory only */
	uint64_t	 rpos;		/* reading back: stream offset */
	unsigned char	*rbuf;
	size_t		 rcap;
};

/* One Authentication-Results field of the message: its lines. */
struct ar_field {
	uint64_t	first;		/* index of its first line */
	uint64_t	nlines;
	int		ours;		/* carries our authserv-id */
	int		drop;		/* left out of the answer */
};

/* Per message: from the first data-line to the answer. */
struct msg {
	uint64_t	 session, token;
	uint32_t	 msgid;
	struct store	 store;
	uint64_t	 nlines;
	uint64_t	 cut;		/* bytes lost to over-long lines */
	int		 in_body;
	int		 no_engine;	/* no verdicts: fallback */
	int		 early;		/* answered as it arrives */
	struct enma_buf	 field;		/* a header field */
	uint64_t	 field_first, field_lines;
	int		 field_open;
	struct ar_field	*ar;
	size_t		 nar, arcap;
	struct enma_buf	 body;		/* body for the engine */
};

/* Per SMTP session: from link-connect to link-disconnect. */
struct sess {
	uint64_t		 id;
	struct sess		*next;		/* hash chain */
	struct enma_session	*es;		/* NULL: out of memory */
	struct msg		*msg;		/* being received */
	uint32_t		 msgid;
	int			 has_ip;
	struct enma_ip		 ip;
	int			 auth;		/* authenticated */
	int			 passthrough;	/* echo lines at once */
	char			 client[ENMA_IP_TEXT_MAX];
	/* under the pool's lock */
	int			 busy;		/* a worker uses es */
	int			 gone;		/* ended while busy */
};

struct sess_table {
	struct sess	**v;
	size_t		 n, cap;
};

/* A finished message on its way through the pool. */
struct job {
	struct job	*next;
	struct sess	*sess;
	struct msg	*msg;
	int		 skipped;	/* 1 excluded, 2 authenticated */
	int		 gone;		/* session ended: no answer */
	uint64_t	 queued_ms;
	char		 client[ENMA_IP_TEXT_MAX];
};

/* main.c */
extern struct filter filter_g;

/* log.c */
void	 flog_init(int mask);
void	 flog(int priority, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 flog_engine(void *arg, int priority, const char *msg);
/* flog_clean - outside bytes made printable, cut to cap - 1 */
const char *flog_clean(struct enma_span, char *buf, size_t cap);

/* output.c */
void	 out_init(struct out *, int fd);
int	 out_write(struct out *, const char *, size_t);
int	 out_flush(struct out *, struct enma_buf *);
/*
 * out_mark_drops - mark the Authentication-Results fields to leave out:
 * the engine's numbers (delete_idx), or with use_own those found to carry
 * our authserv-id.  Returns how many.
 */
unsigned out_mark_drops(struct msg *, const unsigned *delete_idx,
	    size_t ndelete, int use_own);
/*
 * out_answer - the message back to smtpd: our header (NULL: none), the
 * lines kept less the marked fields, then "." if final.  0, or -1 if
 * smtpd is gone.
 */
int	 out_answer(struct filter *, struct msg *, const char *header_value,
	    int final);
/* out_line - one line echoed as received */
int	 out_line(struct filter *, struct msg *, struct enma_span);

/* session.c */
struct sess_table *sess_table_new(void);
void	 sess_table_free(struct sess_table *);
struct sess *sess_get(struct filter *, uint64_t id, int create);
void	 sess_remove(struct sess_table *, struct sess *);
void	 sess_free(struct sess *);
int	 sess_busy(struct filter *, struct sess *);
void	 sess_end(struct filter *, struct sess *);
int	 sess_skipped(const struct filter *, const struct sess *);

/* message.c */
struct msg *msg_new(struct filter *, uint64_t session, uint64_t token);
void	 msg_free(struct msg *);
void	 msg_line(struct filter *, struct sess *, struct msg *,
	    struct enma_span line, uint64_t cut);
int	 msg_complete(struct filter *, struct sess *, struct msg *);
void	 store_rewind(struct store *);
int	 store_next(struct store *, struct enma_span *);

/* events.c */
int	 events_register(struct out *);
void	 events_dispatch(struct filter *, const struct smtpd_event *,
	    uint64_t cut);

/* pool.c */
struct pool *pool_new(struct filter *, unsigned workers, unsigned queue);
/* pool_submit - 0 queued, -1 full (the caller answers at once) */
int	 pool_submit(struct pool *, struct job *);
/* job_fallback - answer with the temperror header (main thread or worker) */
void	 job_fallback(struct filter *, struct job *, const char *why);
void	 pool_lock(struct pool *);
void	 pool_unlock(struct pool *);
/* pool_stop - drop queued jobs, wait up to FILTER_DRAIN_S; 1 if all done */
int	 pool_stop(struct pool *);
void	 pool_free(struct pool *);

#endif /* ENMA_SMTPD_FILTER_H */
