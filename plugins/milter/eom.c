/*
 * eom.c - end of message: verification in a worker, then header edits
 *
 * enma_session_eom blocks on the DNS.  It runs in a worker thread while
 * the callback thread waits on a condition variable and calls
 * smfi_progress every ENMA_MILTER_PROGRESS_MS, so that the MTA's timeout
 * never fires whatever the DNS does (PITFALLS 10: OpenDMARC #30).  Then
 * forged Authentication-Results are deleted, highest index first
 * (PITFALLS 9: CVE-2022-48521), and ours is inserted at the very top
 * (index 0: above the MTA's own Received:).  Any internal failure (no
 * session, a header field that could not be kept, a verification that
 * failed without a header or was abandoned after milter.verify_timeout)
 * gives the engine's fallback header, temperror for every method with
 * the reason as a comment; the message is always accepted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <stdio.h>

#include <enma/authres.h>

#include "milter.h"

/* One end of message, shared by the callback thread and its worker. */
struct eom_job {
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cv;
	int			 done;
	int			 abandoned;	/* worker frees it all */
	struct enma_session	*session;
	struct enma_result	 result;
	enma_status		 status;
};

/* job_free - the job and, when it was abandoned, its session */
static void
job_free(struct eom_job *job)
{
	if (job->abandoned)
		enma_session_free(job->session);
	pthread_cond_destroy(&job->cv);
	pthread_mutex_destroy(&job->mtx);
	free(job);
}

/* eom_worker - run _eom; whoever comes last frees the job */
static void *
eom_worker(void *arg)
{
	struct eom_job *job = arg;
	enma_status st;
	int abandoned;

	st = enma_session_eom(job->session, &job->result);
	pthread_mutex_lock(&job->mtx);
	job->status = st;
	job->done = 1;
	abandoned = job->abandoned;
	if (!abandoned)
		pthread_cond_signal(&job->cv);
	pthread_mutex_unlock(&job->mtx);
	if (abandoned)
		job_free(job);
	return NULL;
}

/* job_new - a job for session, its condition on the monotonic clock */
static struct eom_job *
job_new(struct enma_session *session)
{
	struct eom_job *job;
	pthread_condattr_t ca;

	if ((job = calloc(1, sizeof(*job))) == NULL)
		return NULL;
	job->session = session;
	pthread_mutex_init(&job->mtx, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&job->cv, &ca);
	pthread_condattr_destroy(&ca);
	return job;
}

/* deadline_in - the monotonic time ms from now */
static struct timespec
deadline_in(unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/*
 * job_wait - wait for the worker, with progress reports; 1 when it has
 * finished, 0 when it was abandoned after milter.verify_timeout.
 */
static int
job_wait(SMFICTX *ctx, struct eom_job *job)
{
	struct timespec ts;
	uint64_t start;
	int done;

	start = enma_now_ms();
	pthread_mutex_lock(&job->mtx);
	while (!job->done) {
		ts = deadline_in(ENMA_MILTER_PROGRESS_MS);
		if (pthread_cond_timedwait(&job->cv, &job->mtx, &ts) !=
		    ETIMEDOUT || job->done)
			continue;
		if (enma_now_ms() - start >= milter_g.verify_ms) {
			job->abandoned = 1;
			break;
		}
		pthread_mutex_unlock(&job->mtx);
		(void)smfi_progress(ctx);
		pthread_mutex_lock(&job->mtx);
	}
	done = job->done;
	pthread_mutex_unlock(&job->mtx);
	return done;
}

/*
 * eom_run - _eom in a worker (inline if no thread can be started).
 * Returns 1 with *res filled, or 0 when the worker was left behind: the
 * session then belongs to it and mc gets a new one on its next message.
 */
static int
eom_run(SMFICTX *ctx, struct milter_conn *mc, struct enma_result *res,
    enma_status *st)
{
	struct eom_job *job;
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	if ((job = job_new(mc->session)) == NULL) {
		*st = enma_session_eom(mc->session, res);
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, eom_worker, job);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		mlog(LOG_WARNING, "no worker thread (%s): verifying inline",
		    strerror(rc));
		job_free(job);
		*st = enma_session_eom(mc->session, res);
		return 1;
	}
	if (!job_wait(ctx, job)) {
		mc->session = NULL;
		return 0;
	}
	*res = job->result;
	*st = job->status;
	job_free(job);
	return 1;
}

/* eom_delete - forged fields, in the order given (highest first) */
static unsigned
eom_delete(SMFICTX *ctx, const unsigned *idx, size_t n)
{
	char name[] = ENMA_AUTHRES_NAME;
	unsigned done = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (idx[i] == 0 || idx[i] > INT32_MAX)
			continue;
		if (smfi_chgheader(ctx, name, (int)idx[i], NULL) ==
		    MI_SUCCESS)
			done++;
		else
			mlog(LOG_WARNING, "cannot delete %s #%u", name,
			    idx[i]);
	}
	return done;
}

/* eom_insert - our header at the top; a leading space with LEADSPC */
static int
eom_insert(SMFICTX *ctx, const struct milter_conn *mc, const char *value)
{
	char name[] = ENMA_AUTHRES_NAME;
	char mem[ENMA_ENGINE_FALLBACK_MAX + 1];
	struct enma_buf v;
	int ok;

	/* on the stack when it fits (the fallback header always does) */
	if (strlen(value) < ENMA_ENGINE_FALLBACK_MAX)
		enma_buf_init_fixed(&v, mem, sizeof(mem));
	else
		enma_buf_init(&v, 0);
	if (mc->leadspc)
		enma_buf_putc(&v, ' ');
	enma_buf_puts(&v, value);
	ok = enma_buf_status(&v) == ENMA_OK &&
	    smfi_insheader(ctx, 0, name, v.p) == MI_SUCCESS;
	/* Should inserting be refused, append: late is better than never. */
	if (!ok && enma_buf_status(&v) == ENMA_OK &&
	    smfi_addheader(ctx, name, v.p) == MI_SUCCESS) {
		mlog(LOG_WARNING, "%s appended: the MTA cannot insert", name);
		ok = 1;
	}
	if (!ok)
		mlog(LOG_ERR, "cannot add %s", name);
	enma_buf_free(&v);
	return ok;
}

/* eom_log - one line per message: queue id, client, every verdict */
static void
eom_log(SMFICTX *ctx, const struct milter_conn *mc, const char *logline,
    unsigned deleted, const char *why)
{
	char qid[64];
	const char *q;

	q = mc->qid;
	if (q == NULL)
		q = smfi_getsymval(ctx, "i");
	mlog_clean(q != NULL ? q : "NOQUEUE", qid, sizeof(qid));
	mlog(LOG_INFO, "%s: client=%s %s deleted-forged=%u%s%s%s", qid,
	    mc->ipbuf, logline != NULL ? logline : "", deleted,
	    why != NULL ? " (" : "", why != NULL ? why : "",
	    why != NULL ? ")" : "");
}

/*
 * eom_fallback - no result from the session: the forged fields the
 * milter noted itself, and the engine's fallback header (none for a
 * client the engine skips).  Fixed buffers: this path may be taken
 * because memory ran out.
 */
static void
eom_fallback(SMFICTX *ctx, struct milter_conn *mc, const char *why)
{
	unsigned idx[ENMA_MILTER_MAX_FORGED], deleted;
	char vmem[ENMA_ENGINE_FALLBACK_MAX];
	char lmem[ENMA_ENGINE_FALLBACK_LOG_MAX];
	struct enma_buf hv, lv;
	enma_status st;
	size_t i;
	int skip;

	for (i = 0; i < mc->nforged; i++)
		idx[i] = mc->forged[mc->nforged - 1 - i];
	deleted = eom_delete(ctx, idx, mc->nforged);
	skip = enma_engine_skip(milter_g.engine, mc->has_ip ? &mc->ip : NULL,
	    mc->auth != NULL);
	if (skip) {
		eom_log(ctx, mc, skip == 1 ? "skipped (excluded client)" :
		    "skipped (authenticated)", deleted, why);
		return;
	}
	enma_buf_init_fixed(&hv, vmem, sizeof(vmem));
	enma_buf_init_fixed(&lv, lmem, sizeof(lmem));
	if ((st = enma_engine_fallback(milter_g.engine, why, &hv, &lv)) ==
	    ENMA_OK)
		(void)eom_insert(ctx, mc, hv.p);
	else
		mlog(LOG_ERR, "no temperror header: %s", enma_strerror(st));
	eom_log(ctx, mc, st == ENMA_OK ? lv.p : "no header", deleted, why);
}

/*
 * eom_verify - the session's result in *res; NULL, or why there is
 * none (the text in why[] or static)
 */
static const char *
eom_verify(SMFICTX *ctx, struct milter_conn *mc, struct enma_result *res,
    char *why, size_t whylen)
{
	enma_status st = ENMA_OK;

	if (mc->broken || mc->session == NULL)
		return mc->broken_why != NULL ? mc->broken_why :
		    "no verification session";
	if (!eom_run(ctx, mc, res, &st)) {
		(void)snprintf(why, whylen, "verification abandoned after "
		    "%u s", milter_g.verify_ms / ENMA_MILTER_MS);
		mlog(LOG_WARNING, "%s", why);
		return why;
	}
	if (st != ENMA_OK)
		mlog(LOG_WARNING, "verification: %s", enma_strerror(st));
	if (st != ENMA_OK && res->header_value == NULL && !res->skipped) {
		(void)snprintf(why, whylen, "verification failed: %s",
		    enma_strerror(st));
		return why;
	}
	return NULL;
}

/* milter_eom - xxfi_eom */
sfsistat
milter_eom(SMFICTX *ctx)
{
	struct milter_conn *mc;
	struct enma_result res;
	char buf[ENMA_MILTER_WHY_MAX];
	const char *why;
	unsigned deleted;

	if ((mc = milter_conn_get(ctx)) == NULL)
		return SMFIS_CONTINUE;
	memset(&res, 0, sizeof(res));
	if ((why = eom_verify(ctx, mc, &res, buf, sizeof(buf))) != NULL)
		eom_fallback(ctx, mc, why);
	else {
		deleted = eom_delete(ctx, res.delete_idx, res.ndelete);
		if (res.header_value != NULL)
			(void)eom_insert(ctx, mc, res.header_value);
		eom_log(ctx, mc, res.logline, deleted, NULL);
	}
	milter_txn_end(mc);
	return SMFIS_CONTINUE;
}
