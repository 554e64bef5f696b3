/*
 * events.c - the registration table: what filter-enma asks smtpd for,
 * and one function per event
 *
 * Reports (no answer): link-connect (client address), link-identify
 * (HELO/EHLO), link-auth (authenticated sessions get no verdicts),
 * tx-begin, tx-mail (the reverse-path), tx-reset and tx-rollback (the
 * transaction is over), link-disconnect (the session is over).  Filter:
 * data-line, the only phase that needs an answer: every line is echoed,
 * after our header, once the message is verified.
 *
 * Nothing here may stop the filter: smtpd dies with it.  A line that
 * cannot be understood is logged and skipped; a data-line for which no
 * context can be made is echoed at once (pass-through), so that its
 * SMTP session never hangs for our sake.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <enma/engine.h>

#include "filter.h"

#define EV_LOG_QUOTE	80	/* bytes of a bad line logged */

typedef void ev_fn(struct filter *, const struct smtpd_event *, uint64_t);

static ev_fn ev_link_connect, ev_link_identify, ev_link_auth, ev_tx_begin,
    ev_tx_mail, ev_tx_reset, ev_link_disconnect, ev_data_line;

/* The registration table: sent to smtpd in this order. */
static const struct {
	enum smtpd_kind	 kind;
	const char	*name;
	ev_fn		*fn;
} ev_table[] = {
	{ SMTPD_REPORT, "link-connect", ev_link_connect },
	{ SMTPD_REPORT, "link-identify", ev_link_identify },
	{ SMTPD_REPORT, "link-auth", ev_link_auth },
	{ SMTPD_REPORT, "tx-begin", ev_tx_begin },
	{ SMTPD_REPORT, "tx-mail", ev_tx_mail },
	{ SMTPD_REPORT, "tx-reset", ev_tx_reset },
	{ SMTPD_REPORT, "tx-rollback", ev_tx_reset },
	{ SMTPD_REPORT, "link-disconnect", ev_link_disconnect },
	{ SMTPD_FILTER, "data-line", ev_data_line },
};

#define EV_N	(sizeof(ev_table) / sizeof(ev_table[0]))

/* events_register - the register|... lines, then register|ready */
int
events_register(struct out *o)
{
	struct enma_buf	b;
	size_t		i;

	enma_buf_init(&b, 0);
	for (i = 0; i < EV_N; i++)
		(void)enma_buf_printf(&b, "register|%s|smtp-in|%s\n",
		    ev_table[i].kind == SMTPD_FILTER ? "filter" : "report",
		    ev_table[i].name);
	(void)enma_buf_puts(&b, "register|ready\n");
	return out_flush(o, &b);
}

/* ev_bad - log a line that does not follow the protocol */
static void
ev_bad(const struct smtpd_event *ev, const char *why)
{
	char q[EV_LOG_QUOTE * 4 + 1];

	flog(LOG_WARNING, "session %016llx: %s: %s", (unsigned long long)
	    ev->session, why, flog_clean(ev->params, q, sizeof(q)));
}

/* ev_engine_ok - may the engine session take this event (no worker has it)? */
static int
ev_engine_ok(struct filter *f, struct sess *s, const char *what)
{
	if (s->es == NULL)
		return 0;
	if (!sess_busy(f, s))
		return 1;
	flog(LOG_WARNING, "session %016llx: %s while its message is being "
	    "verified: not seen by the engine", (unsigned long long)s->id,
	    what);
	return 0;
}

/* ev_link_connect - the client address (none for a local enqueue) */
static void
ev_link_connect(struct filter *f, const struct smtpd_event *ev, uint64_t cut)
{
	struct smtpd_connect	 c;
	struct sess		*s;
	enma_status		 st;
	unsigned		 port = 0;

	(void)cut;
	if ((s = sess_get(f, ev->session, 1)) == NULL)
		return;
	if (smtpd_parse_connect(ev->params, &c) != ENMA_OK) {
		ev_bad(ev, "link-connect without an address");
		return;
	}
	st = smtpd_parse_addr(c.src, &s->ip, &port);
	s->has_ip = st == ENMA_OK;
	if (st == ENMA_ESYNTAX)
		ev_bad(ev, "link-connect: bad client address");
	if (s->has_ip)
		enma_ip_to_text(&s->ip, s->client, sizeof(s->client));
	else
		snprintf(s->client, sizeof(s->client), "local");
	if (ev_engine_ok(f, s, "link-connect"))
		(void)enma_session_connect(s->es, s->has_ip ? &s->ip : NULL,
		    port);
}

/* ev_link_identify - HELO or EHLO and its argument */
static void
ev_link_identify(struct filter *f, const struct smtpd_event *ev,
    uint64_t cut)
{
	struct enma_span	 method, name;
	struct sess		*s;

	(void)cut;
	if ((s = sess_get(f, ev->session, 1)) == NULL)
		return;
	if (smtpd_parse_identify(ev->params, &method, &name) != ENMA_OK) {
		ev_bad(ev, "link-identify without a name");
		return;
	}
	if (ev_engine_ok(f, s, "link-identify"))
		(void)enma_session_helo(s->es, name);
}

/* ev_link_auth - only a passed authentication counts */
static void
ev_link_auth(struct filter *f, const struct smtpd_event *ev, uint64_t cut)
{
	struct enma_span	 user, result;
	struct sess		*s;

	(void)cut;
	if ((s = sess_get(f, ev->session, 1)) == NULL)
		return;
	if (smtpd_parse_auth(ev->params, f->vminor, &user, &result) !=
	    ENMA_OK) {
		ev_bad(ev, "link-auth without a result");
		return;
	}
	if (!enma_span_eq(result, ENMA_SPAN_LIT("pass")))
		return;
	if (user.len == 0)
		user = ENMA_SPAN_LIT("(unnamed)");
	s->auth = 1;
	if (ev_engine_ok(f, s, "link-auth"))
		(void)enma_session_auth(s->es, user);
}

/* ev_drop_msg - a message that will never be finished goes */
static void
ev_drop_msg(struct sess *s, const char *why)
{
	if (s->msg == NULL)
		return;
	flog(LOG_INFO, "session %016llx: %s during a message (%llu lines): "
	    "dropped", (unsigned long long)s->id, why,
	    (unsigned long long)s->msg->nlines);
	msg_free(s->msg);
	s->msg = NULL;
}

/* ev_tx_begin - a new transaction */
static void
ev_tx_begin(struct filter *f, const struct smtpd_event *ev, uint64_t cut)
{
	struct sess	*s;
	uint32_t	 msgid = 0;

	(void)cut;
	if ((s = sess_get(f, ev->session, 1)) == NULL)
		return;
	if (smtpd_parse_msgid(ev->params, &msgid) != ENMA_OK)
		ev_bad(ev, "tx-begin without a message id");
	s->msgid = msgid;
	s->passthrough = 0;
	ev_drop_msg(s, "tx-begin");
	if (ev_engine_ok(f, s, "tx-begin"))
		enma_session_reset(s->es);
}

/* ev_tx_mail - MAIL FROM, when smtpd took it ("<>": the null sender) */
static void
ev_tx_mail(struct filter *f, const struct smtpd_event *ev, uint64_t cut)
{
	struct enma_span	 result, addr;
	struct sess		*s;
	uint32_t		 msgid;

	(void)cut;
	if ((s = sess_get(f, ev->session, 1)) == NULL)
		return;
	if (smtpd_parse_tx_mail(ev->params, f->vminor, &msgid, &result,
	    &addr) != ENMA_OK) {
		ev_bad(ev, "tx-mail without an address");
		return;
	}
	if (!enma_span_eq(result, ENMA_SPAN_LIT("ok")))
		return;
	if (addr.len == 0)
		addr = ENMA_SPAN_LIT("<>");
	if (ev_engine_ok(f, s, "tx-mail"))
		(void)enma_session_mail_from(s->es, addr);
}

/* ev_tx_reset - tx-reset, tx-rollback: the transaction is over */
static void
ev_tx_reset(struct filter *f, const struct smtpd_event *ev, uint64_t cut)
{
	struct sess *s;

	(void)cut;
	if ((s = sess_get(f, ev->session, 0)) == NULL)
		return;
	ev_drop_msg(s, "transaction ended");
	/* a worker resets the session itself when it is done */
	pool_lock(f->pool);
	if (!s->busy && s->es != NULL)
		enma_session_reset(s->es);
	pool_unlock(f->pool);
}

/* ev_link_disconnect - the session is over */
static void
ev_link_disconnect(struct filter *f, const struct smtpd_event *ev,
    uint64_t cut)
{
	struct sess *s;

	(void)cut;
	if ((s = sess_get(f, ev->session, 0)) != NULL)
		sess_end(f, s);
}

/* ev_passthrough - echo a line at once: no context could be made */
static void
ev_passthrough(struct filter *f, const struct smtpd_event *ev)
{
	struct enma_buf	b;

	enma_buf_init(&b, 0);
	(void)smtpd_put_dataline(&b, ev->session, ev->token, ev->params, 0);
	(void)out_flush(&f->out, &b);
}

/* ev_submit - a complete message to the pool, or answered at once */
static void
ev_submit(struct filter *f, struct sess *s, struct msg *m)
{
	struct job	 jl, *j;
	const char	*why = "no verification possible";

	f->messages++;
	if (!msg_complete(f, s, m)) {
		/* answered as it came (msg_flush_early) */
		msg_free(m);
		if (s->es != NULL)
			enma_session_reset(s->es);
		return;
	}
	memset(&jl, 0, sizeof(jl));
	jl.sess = s;
	jl.msg = m;
	jl.skipped = sess_skipped(f, s);
	jl.queued_ms = enma_now_ms();
	snprintf(jl.client, sizeof(jl.client), "%s", s->client);
	if (s->es != NULL && !m->no_engine &&
	    (j = malloc(sizeof(*j))) != NULL) {
		*j = jl;
		pool_lock(f->pool);
		s->busy = 1;
		pool_unlock(f->pool);
		if (pool_submit(f->pool, j) == 0)
			return;
		pool_lock(f->pool);
		s->busy = 0;
		pool_unlock(f->pool);
		free(j);
		f->queue_full++;
		why = "all workers busy and the queue full";
	}
	job_fallback(f, &jl, why);
	if (s->es != NULL)
		enma_session_reset(s->es);
	msg_free(m);
}

/* ev_data_line - one line of the message, or its final "." */
static void
ev_data_line(struct filter *f, const struct smtpd_event *ev, uint64_t cut)
{
	struct sess	*s;
	struct msg	*m;

	s = sess_get(f, ev->session, 1);
	if (s == NULL || s->passthrough) {
		ev_passthrough(f, ev);
		if (s != NULL && smtpd_dataline_is_end(ev->params))
			s->passthrough = 0;
		return;
	}
	if ((m = s->msg) == NULL) {
		if ((m = msg_new(f, ev->session, ev->token)) == NULL) {
			flog(LOG_ERR, "session %016llx: out of memory: message "
			    "passed through unverified",
			    (unsigned long long)s->id);
			s->passthrough = 1;
			ev_data_line(f, ev, cut);
			return;
		}
		m->msgid = s->msgid;
		m->no_engine = s->es == NULL || sess_busy(f, s);
		s->msg = m;
	}
	m->token = ev->token;
	if (cut > 0)
		f->cut_lines++;
	if (!smtpd_dataline_is_end(ev->params)) {
		msg_line(f, s, m, ev->params, cut);
		return;
	}
	s->msg = NULL;
	ev_submit(f, s, m);
}

/*
 * events_dispatch - a report or filter line to its function.  Events
 * not registered (smtpd sends only those asked for) are ignored.
 */
void
events_dispatch(struct filter *f, const struct smtpd_event *ev,
    uint64_t cut)
{
	size_t	i;

	if (!enma_span_eq(ev->subsystem, ENMA_SPAN_LIT("smtp-in")))
		return;
	for (i = 0; i < EV_N; i++)
		if (ev_table[i].kind == ev->kind &&
		    enma_span_eq(ev->name, enma_span_from_cstr(
		    ev_table[i].name))) {
			ev_table[i].fn(f, ev, cut);
			return;
		}
}
