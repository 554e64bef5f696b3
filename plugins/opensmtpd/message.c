/*
 * message.c - per-message contexts: the lines, kept to be echoed, and
 * the engine fed as they arrive
 *
 * smtpd hands the message over one data-line at a time, still
 * dot-stuffed, its own Received: first, and ends it with a lone ".".
 * Each line is kept as received, to be echoed unchanged after our
 * header; the engine gets the message as RFC 5322 has it: dot-stuffing
 * undone (RFC 5321 4.5.2; DKIM hashes the real bytes, PITFALLS 16), header
 * fields whole with CRLF folds, body lines with CRLF.  The body is held
 * once (here), never twice: the engine hashes it as it streams by.
 *
 * The lines are kept in memory up to opensmtpd.spill_size bytes, then in
 * a temporary file unlinked as soon as it is made, so that it is removed
 * however the process ends.  If that file cannot be written, memory takes
 * over up to FILTER_MEM_HARD_MAX; past that the message is answered at
 * once with a temperror header (msg_flush_early): mail is never held up
 * or lost for our sake.
 *
 * Bytes are bytes: CR, 8-bit and '|' are kept and echoed as they came;
 * so is NUL, which the engine sees as any other byte (spans, never C
 * strings).  smtpd 6.8 itself handles lines as C strings: a client line
 * reaches the filter cut at its first NUL, and it keeps at most 2,047
 * bytes of each line a filter answers (lka_filter.c, char[LINE_MAX]).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <enma/authres.h>
#include <enma/mail.h>

#include "filter.h"

#define STORE_HDR	4	/* bytes of a stored line's length */

/* store_init - empty, in memory */
static void
store_init(struct store *st, size_t limit, const char *tmpdir)
{
	memset(st, 0, sizeof(*st));
	enma_buf_init(&st->mem, FILTER_MEM_HARD_MAX);
	st->fd = -1;
	st->limit = limit;
	st->tmpdir = tmpdir;
}

/* store_free - memory freed, the (already unlinked) file closed */
static void
store_free(struct store *st)
{
	enma_buf_free(&st->mem);
	if (st->fd != -1)
		close(st->fd);
	st->fd = -1;
	free(st->rbuf);
	st->rbuf = NULL;
}

/* store_open - a temporary file in tmpdir, unlinked at once */
static int
store_open(struct store *st)
{
	char	path[4096];
	int	fd, n;

	n = snprintf(path, sizeof(path), "%s/filter-enma.XXXXXX", st->tmpdir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	if ((fd = mkstemp(path)) == -1) {
		flog(LOG_ERR, "spill file in %s: %s; keeping the message in "
		    "memory", st->tmpdir, strerror(errno));
		return -1;
	}
	(void)unlink(path);
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	st->fd = fd;
	return 0;
}

/*
 * store_spill - move the memory part to the file.  What could not be
 * written stays in memory, in order, and the store stays in memory from
 * then on (failed); nothing is lost.
 */
static void
store_spill(struct store *st)
{
	size_t	done = 0;
	ssize_t	n;

	if (st->fd == -1 && store_open(st) == -1) {
		st->failed = 1;
		return;
	}
	while (done < st->mem.len) {
		n = write(st->fd, st->mem.p + done, st->mem.len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			flog(LOG_ERR, "spill file: %s; keeping the rest of the "
			    "message in memory", n == 0 ? "no space" :
			    strerror(errno));
			st->failed = 1;
			break;
		}
		done += (size_t)n;
		st->flen += (uint64_t)n;
	}
	if (done > 0) {
		memmove(st->mem.p, st->mem.p + done, st->mem.len - done);
		st->mem.len -= done;
		st->mem.p[st->mem.len] = '\0';
	}
}

/* store_add - one line; ENMA_ELIMIT when not even memory can hold it */
static enma_status
store_add(struct store *st, struct enma_span line)
{
	unsigned char	hdr[STORE_HDR];
	uint32_t	n = (uint32_t)line.len;

	if (line.len > SMTPD_PROTO_MAX_LINE)
		return ENMA_EINVAL;	/* the reader never gives one */
	hdr[0] = (unsigned char)(n >> 24);
	hdr[1] = (unsigned char)(n >> 16);
	hdr[2] = (unsigned char)(n >> 8);
	hdr[3] = (unsigned char)n;
	if (!st->failed && (st->fd != -1 ? st->mem.len >= FILTER_OUT_CHUNK :
	    st->mem.len + STORE_HDR + line.len > st->limit))
		store_spill(st);
	if (st->mem.len + STORE_HDR + line.len >= FILTER_MEM_HARD_MAX)
		return ENMA_ELIMIT;
	if (enma_buf_append(&st->mem, hdr, STORE_HDR) != ENMA_OK)
		return ENMA_ENOMEM;
	if (enma_buf_append_span(&st->mem, line) != ENMA_OK) {
		st->mem.len -= STORE_HDR;	/* lines before stay whole */
		return ENMA_ENOMEM;
	}
	return ENMA_OK;
}

/* store_rewind - read back from the first line */
void
store_rewind(struct store *st)
{
	st->rpos = 0;
	if (st->fd != -1 && lseek(st->fd, 0, SEEK_SET) == -1)
		flog(LOG_ERR, "spill file: %s", strerror(errno));
}

/* store_read - n bytes of the stream: the file part, then memory */
static int
store_read(struct store *st, unsigned char *dst, size_t n)
{
	uint64_t	foff = st->rpos;
	size_t		got = 0, k;
	ssize_t		r;

	while (got < n && foff + got < st->flen) {
		k = n - got;
		if ((uint64_t)k > st->flen - (foff + got))
			k = (size_t)(st->flen - (foff + got));
		r = read(st->fd, dst + got, k);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	if (got < n) {
		k = n - got;
		foff = st->rpos + got - st->flen;	/* offset in mem */
		if (foff > st->mem.len || k > st->mem.len - foff)
			return -1;
		memcpy(dst + got, st->mem.p + foff, k);
	}
	st->rpos += n;
	return 0;
}

/* store_next - the next line read back: 1, or 0 at the end (or error) */
int
store_next(struct store *st, struct enma_span *line)
{
	unsigned char	 hdr[STORE_HDR], *nb;
	size_t		 n;

	if (st->rpos >= st->flen + st->mem.len ||
	    store_read(st, hdr, STORE_HDR) == -1)
		return 0;
	n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	    (size_t)hdr[2] << 8 | hdr[3];
	if (n > st->rcap) {
		if ((nb = realloc(st->rbuf, n)) == NULL)
			return 0;
		st->rbuf = nb;
		st->rcap = n;
	}
	if (n > 0 && store_read(st, st->rbuf, n) == -1)
		return 0;
	*line = enma_span_make(st->rbuf, n);
	if (n == 0)
		line->p = (const unsigned char *)"";
	return 1;
}

/* msg_new - a message context; its token is the one to answer with */
struct msg *
msg_new(struct filter *f, uint64_t session, uint64_t token)
{
	struct msg *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->session = session;
	m->token = token;
	store_init(&m->store, f->spill_size, f->tmpdir);
	enma_buf_init(&m->field, FILTER_MAX_FIELD + 64);
	enma_buf_init(&m->body, 2 * FILTER_BODY_CHUNK);
	return m;
}

/* msg_free - NULL is a no-op */
void
msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	store_free(&m->store);
	enma_buf_free(&m->field);
	enma_buf_free(&m->body);
	free(m->ar);
	free(m);
}

/* msg_engine - may the engine be fed? */
static int
msg_engine(const struct sess *s, const struct msg *m)
{
	return s->es != NULL && !m->no_engine && !m->early;
}

/* msg_note_ar - remember an Authentication-Results field's lines */
static void
msg_note_ar(struct filter *f, struct msg *m, struct enma_span value)
{
	struct ar_field	*a;
	size_t		 cap;

	if (m->nar == m->arcap) {
		cap = m->arcap == 0 ? 8 : m->arcap * 2;
		if (cap > FILTER_MAX_AR ||
		    (a = realloc(m->ar, cap * sizeof(*a))) == NULL) {
			flog(LOG_ERR, "too many Authentication-Results fields: "
			    "verdicts replaced by temperror");
			m->no_engine = 1;
			return;
		}
		m->ar = a;
		m->arcap = cap;
	}
	a = &m->ar[m->nar++];
	a->first = m->field_first;
	a->nlines = m->field_lines;
	a->ours = enma_authres_is_ours(value, f->authserv_id);
	a->drop = 0;
}

/*
 * msg_field_end - a header field is complete: note it if it is an
 * Authentication-Results field (numbered as the engine numbers them:
 * fields with a name, in order), and give it to the engine.
 */
static void
msg_field_end(struct filter *f, struct sess *s, struct msg *m)
{
	struct enma_header h;

	if (!m->field_open)
		return;
	m->field_open = 0;
	if (enma_header_parse(enma_buf_span(&m->field), &h) == ENMA_OK &&
	    enma_span_caseeq_cstr(h.name, ENMA_AUTHRES_NAME))
		msg_note_ar(f, m, h.value);
	if (msg_engine(s, m))
		(void)enma_session_header(s->es, enma_buf_span(&m->field));
	enma_buf_reset(&m->field);
}

/* msg_field_add - bytes of the field, up to FILTER_MAX_FIELD in all */
static void
msg_field_add(struct msg *m, struct enma_span b)
{
	size_t room = FILTER_MAX_FIELD - m->field.len;

	if (m->field.len >= FILTER_MAX_FIELD)
		return;
	if (b.len > room)
		b.len = room;
	(void)enma_buf_append_span(&m->field, b);
}

/* msg_body_flush - body bytes collected so far to the engine */
static void
msg_body_flush(struct sess *s, struct msg *m)
{
	if (m->body.len > 0 && msg_engine(s, m))
		(void)enma_session_body(s->es, enma_buf_span(&m->body));
	enma_buf_reset(&m->body);
}

/* msg_body - one body line, CRLF added */
static void
msg_body(struct sess *s, struct msg *m, struct enma_span u)
{
	if (!msg_engine(s, m))
		return;
	if (m->body.len + u.len + 2 > 2 * FILTER_BODY_CHUNK)
		msg_body_flush(s, m);
	if (u.len + 2 > 2 * FILTER_BODY_CHUNK) {
		(void)enma_session_body(s->es, u);
		(void)enma_session_body(s->es, ENMA_SPAN_LIT("\r\n"));
		return;
	}
	(void)enma_buf_append_span(&m->body, u);
	(void)enma_buf_append(&m->body, "\r\n", 2);
	if (m->body.len >= FILTER_BODY_CHUNK)
		msg_body_flush(s, m);
}

/*
 * msg_header - one line of the header section: a new field, a
 * continuation (starts with WSP, RFC 5322 2.2.3) or the empty line that
 * ends the section.
 */
static void
msg_header(struct filter *f, struct sess *s, struct msg *m,
    struct enma_span u)
{
	if (u.len == 0) {
		msg_field_end(f, s, m);
		m->in_body = 1;
		return;
	}
	if (m->field_open && enma_iswsp(u.p[0])) {
		msg_field_add(m, ENMA_SPAN_LIT("\r\n"));
		msg_field_add(m, u);
		m->field_lines++;
		return;
	}
	msg_field_end(f, s, m);
	m->field_open = 1;
	m->field_first = m->nlines;
	m->field_lines = 1;
	msg_field_add(m, u);
}

/*
 * msg_flush_early - the lines cannot be kept: answer now with the
 * temperror header, the lines so far (forged fields left out, as far as
 * the header is complete), and every later line as it comes.
 */
static void
msg_flush_early(struct filter *f, struct sess *s, struct msg *m)
{
	char		 vmem[ENMA_ENGINE_FALLBACK_MAX];
	struct enma_buf	 hv;
	const char	*why;

	why = m->store.failed ? "message too large to keep: spill file "
	    "failed" : "message too large to keep: out of memory";
	flog(LOG_ERR, "session %016llx: %s: answered as it arrives, "
	    "verdicts temperror", (unsigned long long)m->session, why);
	m->early = 1;
	enma_buf_init_fixed(&hv, vmem, sizeof(vmem));
	(void)out_mark_drops(m, NULL, 0, 1);
	(void)out_answer(f, m, sess_skipped(f, s) ? NULL :
	    enma_engine_fallback(f->engine, why, &hv, NULL) == ENMA_OK ?
	    hv.p : NULL, 0);
	store_free(&m->store);
	store_init(&m->store, 0, f->tmpdir);
}

/* msg_line - one data-line other than the final "." */
void
msg_line(struct filter *f, struct sess *s, struct msg *m,
    struct enma_span line, uint64_t cut)
{
	struct enma_span u = smtpd_unstuff(line);

	if (cut > 0 && m->cut == 0)
		flog(LOG_ERR, "session %016llx: a line over %u bytes was cut "
		    "(%llu bytes lost)", (unsigned long long)m->session,
		    SMTPD_PROTO_MAX_LINE, (unsigned long long)cut);
	m->cut += cut;
	if (m->in_body)
		msg_body(s, m, u);
	else
		msg_header(f, s, m, u);
	if (!m->early && store_add(&m->store, line) != ENMA_OK)
		msg_flush_early(f, s, m);
	if (m->early)
		(void)out_line(f, m, line);
	m->nlines++;
}

/*
 * msg_complete - the final "." came: the last field and body bytes go to
 * the engine.  Returns 1 when the message is to be verified, 0 when it
 * was answered already (early).
 */
int
msg_complete(struct filter *f, struct sess *s, struct msg *m)
{
	msg_field_end(f, s, m);
	msg_body_flush(s, m);
	if (!m->early)
		return 1;
	(void)out_line(f, m, ENMA_SPAN_LIT("."));
	return 0;
}
