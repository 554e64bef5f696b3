/*
 * pool.c - the worker pool: enma_session_eom off the protocol thread
 *
 * smtpd runs one filter process for every session, so the DNS wait of
 * one message must not hold up another.  A finished message becomes a
 * job; opensmtpd.workers threads take jobs from a queue of at most
 * opensmtpd.queue waiting ones.  When the queue is full the main thread
 * answers at once with the engine's fallback header, temperror for every
 * method (job_fallback): mail is never held up or lost for our sake.  A
 * job that waited so long that its DNS budget would run past smtpd's
 * session timeout is answered the same way.
 *
 * While a job runs, its session is busy: the worker alone uses the
 * engine session.  The worker resets it and clears busy before it
 * writes the answer, so any event smtpd sends once it has the answer
 * finds the session free.  A session that ended meanwhile (gone) is
 * freed by the worker.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "filter.h"

struct pool {
	struct filter	*f;
	pthread_mutex_t	 mtx;
	pthread_cond_t	 work;		/* a job queued, or stop */
	pthread_cond_t	 ended;		/* a worker ended */
	struct job	*head, *tail;
	unsigned	 queued, qmax;
	unsigned	 running;	/* workers busy with a job */
	unsigned	 alive;
	unsigned	 nthreads;
	int		 stop;
	pthread_t	*tids;
};

/* What a worker keeps of _eom's result once the session is reset. */
struct verdict {
	struct enma_buf	 value;		/* empty: no header */
	struct enma_buf	 logline;
	unsigned	*idx;
	size_t		 nidx;
	int		 have;		/* 0: use the fallback */
};

/* pool_lock - the lock of the queue and of every session's busy flag */
void
pool_lock(struct pool *p)
{
	pthread_mutex_lock(&p->mtx);
}

/* pool_unlock - see pool_lock */
void
pool_unlock(struct pool *p)
{
	pthread_mutex_unlock(&p->mtx);
}

/* job_free - the job and its message (never its session) */
static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	msg_free(j->msg);
	free(j);
}

/* job_log - one line per message, as the milter writes it */
static void
job_log(const struct job *j, const char *logline, unsigned deleted,
    const char *why)
{
	flog(LOG_INFO, "session=%016llx msgid=%08x client=%s %s "
	    "deleted-forged=%u%s%s%s", (unsigned long long)j->msg->session,
	    j->msg->msgid, j->client, logline != NULL ? logline : "",
	    deleted, why != NULL ? " (" : "", why != NULL ? why : "",
	    why != NULL ? ")" : "");
}

/*
 * job_fallback - answer without verdicts: the engine's temperror header
 * (none for an excluded or authenticated client), forged fields found
 * by msg.c left out.  Fixed buffers: this path is taken when threads,
 * time or memory ran short.  The caller frees the job.
 */
void
job_fallback(struct filter *f, struct job *j, const char *why)
{
	char		 vmem[ENMA_ENGINE_FALLBACK_MAX];
	char		 lmem[ENMA_ENGINE_FALLBACK_LOG_MAX];
	struct enma_buf	 hv, lv;
	const char	*value = NULL, *logline = "no header";
	unsigned	 deleted;

	enma_buf_init_fixed(&hv, vmem, sizeof(vmem));
	enma_buf_init_fixed(&lv, lmem, sizeof(lmem));
	if (j->skipped)
		logline = j->skipped == 2 ? "skipped (authenticated)" :
		    "skipped (excluded client)";
	else if (enma_engine_fallback(f->engine, why, &hv, &lv) == ENMA_OK) {
		value = hv.p;
		logline = lv.p;
	} else
		flog(LOG_ERR, "no temperror header could be made");
	deleted = out_mark_drops(j->msg, NULL, 0, 1);
	if (!j->gone)
		(void)out_answer(f, j->msg, value, 1);
	job_log(j, logline, deleted, why);
}

/* job_late - would _eom now end past smtpd's session timeout? */
static int
job_late(const struct filter *f, const struct job *j)
{
	uint64_t waited = enma_now_ms() - j->queued_ms;
	uint64_t limit;

	limit = f->session_timeout_s > FILTER_LATE_MARGIN_S ?
	    (uint64_t)(f->session_timeout_s - FILTER_LATE_MARGIN_S) * 1000 :
	    0;
	return waited + f->budget_ms > limit;
}

/* verdict_take - copy what is needed of the result before the reset */
static void
verdict_take(struct verdict *v, enma_status st, const struct enma_result *r)
{
	v->have = !(st != ENMA_OK && r->header_value == NULL && !r->skipped);
	if (st != ENMA_OK)
		flog(LOG_WARNING, "verification: %s", enma_strerror(st));
	if (!v->have)
		return;
	if (r->header_value != NULL)
		(void)enma_buf_puts(&v->value, r->header_value);
	(void)enma_buf_puts(&v->logline, r->logline != NULL ? r->logline :
	    "");
	if (r->ndelete > 0 &&
	    (v->idx = calloc(r->ndelete, sizeof(*v->idx))) != NULL) {
		memcpy(v->idx, r->delete_idx, r->ndelete * sizeof(*v->idx));
		v->nidx = r->ndelete;
	}
	if (enma_buf_status(&v->value) != ENMA_OK ||
	    enma_buf_status(&v->logline) != ENMA_OK ||
	    (r->ndelete > 0 && v->idx == NULL)) {
		flog(LOG_ERR, "verification result: out of memory");
		v->have = 0;
	}
}

/* job_release - the session is free again; freed here if it ended */
static void
job_release(struct pool *p, struct job *j)
{
	struct sess *s = j->sess;

	enma_session_reset(s->es);
	pool_lock(p);
	s->busy = 0;
	j->gone = s->gone;
	pool_unlock(p);
	if (j->gone)
		sess_free(s);
	j->sess = NULL;
}

/* job_run - verify, release the session, answer, log */
static void
job_run(struct pool *p, struct job *j)
{
	struct filter		*f = p->f;
	struct enma_result	 res;
	struct verdict		 v;
	enma_status		 st = ENMA_OK;
	int			 late;
	unsigned		 deleted;

	memset(&v, 0, sizeof(v));
	enma_buf_init(&v.value, 0);
	enma_buf_init(&v.logline, 0);
	memset(&res, 0, sizeof(res));
	if (!(late = job_late(f, j))) {
		st = enma_session_eom(j->sess->es, &res);
		verdict_take(&v, st, &res);
	}
	job_release(p, j);
	if (!v.have)
		job_fallback(f, j, late ? "no time left before smtpd's "
		    "session timeout" : "verification failed");
	else {
		deleted = out_mark_drops(j->msg, v.idx, v.nidx, 0);
		if (!j->gone)
			(void)out_answer(f, j->msg, v.value.len > 0 ?
			    v.value.p : NULL, 1);
		job_log(j, v.logline.p, deleted, j->gone ? "session ended "
		    "before the answer" : NULL);
	}
	enma_buf_free(&v.value);
	enma_buf_free(&v.logline);
	free(v.idx);
}

/* pool_worker - take jobs until told to stop */
static void *
pool_worker(void *arg)
{
	struct pool	*p = arg;
	struct job	*j;

	pool_lock(p);
	for (;;) {
		while (!p->stop && p->head == NULL)
			pthread_cond_wait(&p->work, &p->mtx);
		if (p->stop)
			break;
		j = p->head;
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->queued--;
		p->running++;
		pool_unlock(p);
		job_run(p, j);
		job_free(j);
		pool_lock(p);
		p->running--;
	}
	p->alive--;
	pthread_cond_broadcast(&p->ended);
	pool_unlock(p);
	return NULL;
}

/* pool_new - start the workers; NULL if not even one could start */
struct pool *
pool_new(struct filter *f, unsigned workers, unsigned queue)
{
	struct pool	*p;
	unsigned	 i;
	int		 rc;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->tids = calloc(workers, sizeof(*p->tids))) == NULL) {
		free(p);
		return NULL;
	}
	p->f = f;
	p->qmax = queue;
	pthread_mutex_init(&p->mtx, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->ended, NULL);
	for (i = 0; i < workers; i++) {
		pool_lock(p);
		p->alive++;
		pool_unlock(p);
		if ((rc = pthread_create(&p->tids[i], NULL, pool_worker,
		    p)) != 0) {
			flog(LOG_ERR, "worker thread %u: %s", i, strerror(rc));
			pool_lock(p);
			p->alive--;
			pool_unlock(p);
			break;
		}
		p->nthreads++;
	}
	if (p->nthreads == 0) {
		pool_free(p);
		return NULL;
	}
	return p;
}

/*
 * pool_submit - queue a job; -1 when it would have to wait behind
 * opensmtpd.queue others (a worker not busy with a job takes one at once,
 * whether it already waits for it or is on its way back)
 */
int
pool_submit(struct pool *p, struct job *j)
{
	pool_lock(p);
	if (p->stop || p->queued >= p->qmax + (p->nthreads - p->running)) {
		pool_unlock(p);
		return -1;
	}
	j->next = NULL;
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->queued++;
	pthread_cond_signal(&p->work);
	pool_unlock(p);
	return 0;
}

/* pool_drop - stop: the jobs still queued are not verified */
static void
pool_drop(struct pool *p)
{
	struct job	*j;

	while ((j = p->head) != NULL) {
		p->head = j->next;
		p->queued--;
		if (j->sess->gone)
			sess_free(j->sess);
		else
			j->sess->busy = 0;
		job_free(j);
	}
	p->tail = NULL;
}

/* pool_stop - stop the workers, waiting up to FILTER_DRAIN_S for them */
int
pool_stop(struct pool *p)
{
	struct timespec	ts;
	unsigned	i;
	int		all;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += FILTER_DRAIN_S;
	pool_lock(p);
	p->stop = 1;
	pool_drop(p);
	pthread_cond_broadcast(&p->work);
	while (p->alive > 0)
		if (pthread_cond_timedwait(&p->ended, &p->mtx, &ts) ==
		    ETIMEDOUT)
			break;
	all = p->alive == 0;
	pool_unlock(p);
	if (all)
		for (i = 0; i < p->nthreads; i++)
			pthread_join(p->tids[i], NULL);
	else
		flog(LOG_WARNING, "stopping with %u messages still in the DNS",
		    p->alive);
	return all;
}

/* pool_free - after a complete pool_stop only */
void
pool_free(struct pool *p)
{
	if (p == NULL)
		return;
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->ended);
	pthread_mutex_destroy(&p->mtx);
	free(p->tids);
	free(p);
}
