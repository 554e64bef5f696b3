/*
 * session.c - per-session contexts, looked up by smtpd's session id
 *
 * A struct sess lives from the first event of a session (link-connect,
 * or whatever comes first) to link-disconnect.  Only the main thread
 * looks sessions up; a worker holds one it was given (busy) and, if the
 * session ended meanwhile (gone), frees it when done (pool.c).
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "filter.h"

#define SESS_TABLE_START	256	/* buckets; doubled as needed */

/* sess_hash - smtpd's ids are random already: fold and mask */
static size_t
sess_hash(uint64_t id, size_t cap)
{
	return (size_t)((id ^ (id >> 32)) & (uint64_t)(cap - 1));
}

/* sess_table_new - an empty table */
struct sess_table *
sess_table_new(void)
{
	struct sess_table *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->v = calloc(SESS_TABLE_START, sizeof(*t->v))) == NULL) {
		free(t);
		return NULL;
	}
	t->cap = SESS_TABLE_START;
	return t;
}

/* sess_table_free - the table and every session left in it */
void
sess_table_free(struct sess_table *t)
{
	struct sess	*s, *next;
	size_t		 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->cap; i++)
		for (s = t->v[i]; s != NULL; s = next) {
			next = s->next;
			sess_free(s);
		}
	free(t->v);
	free(t);
}

/* sess_grow - double the buckets when the load passes one (best effort) */
static void
sess_grow(struct sess_table *t)
{
	struct sess	**nv, *s, *next;
	size_t		  i, cap = t->cap * 2, h;

	if (t->n < t->cap || cap < t->cap ||
	    (nv = calloc(cap, sizeof(*nv))) == NULL)
		return;
	for (i = 0; i < t->cap; i++)
		for (s = t->v[i]; s != NULL; s = next) {
			next = s->next;
			h = sess_hash(s->id, cap);
			s->next = nv[h];
			nv[h] = s;
		}
	free(t->v);
	t->v = nv;
	t->cap = cap;
}

/* sess_new - a session with its engine session */
static struct sess *
sess_new(struct filter *f, uint64_t id)
{
	struct sess *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->id = id;
	snprintf(s->client, sizeof(s->client), "unknown");
	if ((s->es = enma_session_new(f->engine)) == NULL)
		flog(LOG_ERR, "session %016llx: no engine session: out of "
		    "memory; its messages get temperror",
		    (unsigned long long)id);
	return s;
}

/* sess_get - the session with this id; created if asked and missing */
struct sess *
sess_get(struct filter *f, uint64_t id, int create)
{
	struct sess_table	*t = f->sessions;
	struct sess		*s;
	size_t			 h = sess_hash(id, t->cap);

	for (s = t->v[h]; s != NULL; s = s->next)
		if (s->id == id)
			return s;
	if (!create)
		return NULL;
	if ((s = sess_new(f, id)) == NULL) {
		flog(LOG_ERR, "session %016llx: out of memory",
		    (unsigned long long)id);
		return NULL;
	}
	s->next = t->v[h];
	t->v[h] = s;
	t->n++;
	sess_grow(t);
	return s;
}

/* sess_remove - take a session out of the table (not freed) */
void
sess_remove(struct sess_table *t, struct sess *s)
{
	struct sess	**pp;

	for (pp = &t->v[sess_hash(s->id, t->cap)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			t->n--;
			return;
		}
}

/* sess_free - the session, its engine session, a message half received */
void
sess_free(struct sess *s)
{
	if (s == NULL)
		return;
	msg_free(s->msg);
	enma_session_free(s->es);
	free(s);
}

/* sess_busy - does a worker hold the session's engine session now? */
int
sess_busy(struct filter *f, struct sess *s)
{
	int busy;

	pool_lock(f->pool);
	busy = s->busy;
	pool_unlock(f->pool);
	return busy;
}

/*
 * sess_end - link-disconnect: out of the table; freed now, or by the
 * worker that holds it.  A message half received is dropped: smtpd will
 * not take an answer for a session that is gone.
 */
void
sess_end(struct filter *f, struct sess *s)
{
	int busy;

	sess_remove(f->sessions, s);
	if (s->msg != NULL) {
		flog(LOG_INFO, "session %016llx: ended in the middle of a "
		    "message (%llu lines): dropped", (unsigned long long)s->id,
		    (unsigned long long)s->msg->nlines);
		msg_free(s->msg);
		s->msg = NULL;
	}
	pool_lock(f->pool);
	busy = s->busy;
	if (busy)
		s->gone = 1;
	pool_unlock(f->pool);
	if (!busy)
		sess_free(s);
}

/* sess_skipped - would the engine skip this client: 1 excluded, 2 auth */
int
sess_skipped(const struct filter *f, const struct sess *s)
{
	return enma_engine_skip(f->engine, s->has_ip ? &s->ip : NULL,
	    s->auth);
}
