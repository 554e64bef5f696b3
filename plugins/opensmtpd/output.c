/*
 * output.c - answers to smtpd: whole lines, under one lock
 *
 * Several threads answer (the main thread at start and when the queue
 * is full, the workers for verified messages), so every write(2) on fd 1
 * holds the lock and carries whole lines only: smtpd never sees two
 * answers interleaved inside a line.  Messages are written in chunks of
 * FILTER_OUT_CHUNK bytes, so a large one does not hold the lock long;
 * lines of two messages may interleave, which the protocol allows (each
 * line names its session).  A failed write means smtpd is gone: the
 * output is then dead and the main loop sees the end of its input next.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <enma/authres.h>

#include "filter.h"

/* out_init - writes go to fd */
void
out_init(struct out *o, int fd)
{
	pthread_mutex_init(&o->mtx, NULL);
	o->fd = fd;
	o->dead = 0;
}

/* out_write - n bytes of whole lines, at once; -1 if smtpd is gone */
int
out_write(struct out *o, const char *p, size_t n)
{
	ssize_t	w;
	int	rc = 0;

	pthread_mutex_lock(&o->mtx);
	while (n > 0 && !o->dead) {
		w = write(o->fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			flog(LOG_ERR, "writing to smtpd: %s",
			    w == 0 ? "nothing written" : strerror(errno));
			o->dead = 1;
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	if (o->dead)
		rc = -1;
	pthread_mutex_unlock(&o->mtx);
	return rc;
}

/* out_flush - write what b holds and empty it */
int
out_flush(struct out *o, struct enma_buf *b)
{
	int rc = 0;

	if (enma_buf_status(b) != ENMA_OK) {
		flog(LOG_ERR, "answer: %s", enma_strerror(enma_buf_status(b)));
		rc = -1;
	} else if (b->len > 0)
		rc = out_write(o, b->p, b->len);
	enma_buf_free(b);
	enma_buf_init(b, 0);
	return rc;
}

/*
 * out_mark_drops - mark the Authentication-Results fields to leave out:
 * the engine's numbers (1-based, in the order of the fields), or, with
 * use_own, those msg.c found to carry our authserv-id.  Returns how many.
 */
unsigned
out_mark_drops(struct msg *m, const unsigned *idx, size_t n, int use_own)
{
	unsigned	count = 0;
	size_t		i;

	for (i = 0; i < m->nar; i++)
		m->ar[i].drop = use_own && m->ar[i].ours;
	for (i = 0; !use_own && i < n; i++)
		if (idx[i] >= 1 && idx[i] <= m->nar)
			m->ar[idx[i] - 1].drop = 1;
	for (i = 0; i < m->nar; i++)
		count += m->ar[i].drop != 0;
	return count;
}

/* out_header - "Authentication-Results: value", one line per fold */
static enma_status
out_header(const struct msg *m, const char *value, struct enma_buf *b)
{
	struct enma_buf		 h;
	struct enma_span	 rest, line;
	size_t			 lf;
	enma_status		 st;

	enma_buf_init(&h, 0);
	(void)enma_buf_printf(&h, "%s: %s", ENMA_AUTHRES_NAME, value);
	if ((st = enma_buf_status(&h)) != ENMA_OK) {
		enma_buf_free(&h);
		return st;
	}
	rest = enma_buf_span(&h);
	while (st == ENMA_OK && rest.len > 0) {
		lf = enma_span_chr(rest, '\n');
		line = enma_span_make(rest.p, lf);
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		st = smtpd_put_dataline(b, m->session, m->token, line, 1);
		rest = lf < rest.len ? enma_span_make(rest.p + lf + 1,
		    rest.len - lf - 1) : enma_span_make(rest.p, 0);
	}
	enma_buf_free(&h);
	return st;
}

/* out_is_dropped - is line i inside a field marked to drop? */
static int
out_is_dropped(const struct msg *m, size_t *a, uint64_t i)
{
	while (*a < m->nar && m->ar[*a].first + m->ar[*a].nlines <= i)
		(*a)++;
	return *a < m->nar && m->ar[*a].drop && i >= m->ar[*a].first;
}

/* out_answer - header, the lines kept less the drops, then "." */
int
out_answer(struct filter *f, struct msg *m, const char *header_value,
    int final)
{
	struct enma_buf	 b;
	struct enma_span line;
	uint64_t	 i = 0;
	size_t		 a = 0;
	int		 rc = 0;

	enma_buf_init(&b, 0);
	if (header_value != NULL &&
	    out_header(m, header_value, &b) != ENMA_OK) {
		flog(LOG_ERR, "session %016llx: our header could not be "
		    "written", (unsigned long long)m->session);
		enma_buf_reset(&b);
	}
	store_rewind(&m->store);
	while (rc == 0 && store_next(&m->store, &line)) {
		if (!out_is_dropped(m, &a, i))
			(void)smtpd_put_dataline(&b, m->session, m->token,
			    line, 0);
		i++;
		if (b.len >= FILTER_OUT_CHUNK)
			rc = out_flush(&f->out, &b);
	}
	if (rc == 0 && !m->early && i != m->nlines)
		flog(LOG_ERR, "session %016llx: %llu of %llu lines could be "
		    "read back", (unsigned long long)m->session,
		    (unsigned long long)i, (unsigned long long)m->nlines);
	if (final)
		(void)smtpd_put_dataline(&b, m->session, m->token,
		    ENMA_SPAN_LIT("."), 0);
	if (rc == 0)
		rc = out_flush(&f->out, &b);
	enma_buf_free(&b);
	return rc;
}

/* out_line - one line echoed at once (a message answered early) */
int
out_line(struct filter *f, struct msg *m, struct enma_span line)
{
	struct enma_buf	b;

	enma_buf_init(&b, 0);
	(void)smtpd_put_dataline(&b, m->session, m->token, line, 0);
	return out_flush(&f->out, &b);
}
