/*
 * mail_reader.c - a saved message split into header fields and body
 *
 * What an MTA does before it hands a message to an adapter, for input
 * that comes from a file instead of SMTP (enma-check, the fuzzer): line
 * ends made CRLF, header fields gathered with their folds, the header
 * section ended, body bytes passed on in bounded chunks.  The rules are
 * in mail.h.  Header lines are gathered in a buffer bounded by the field
 * limit; body bytes go through one fixed buffer, so memory does not
 * grow with the body.  Lines are found with memchr and copied in runs.
 */
#include <stdlib.h>
#include <string.h>

#include <enma/mail.h>

/* Where the reader stands. */
enum reader_state {
	RD_FIRST = 0,		/* nothing read: an mbox line may come */
	RD_HEADER,		/* in the header section */
	RD_BODY,		/* past the header section */
	RD_DONE			/* finished */
};

struct enma_mail_reader {
	struct enma_mail_reader_cb	 cb;
	enum reader_state		 state;
	size_t				 max;
	struct enma_buf			 line;	/* header line so far */
	struct enma_buf			 field;	/* header field so far */
	unsigned char			*out;	/* body bytes to hand over */
	size_t				 outlen;
	int				 last;	/* last body byte, -1 none */
	enma_status			 status;	/* sticky */
	struct enma_mail_reader_stats	 stats;
};

#define MBOX_FROM	"From "		/* RFC 4155 2 */

/* enma_mail_reader_new - a reader calling cb; max_field 0 = default */
enma_status
enma_mail_reader_new(const struct enma_mail_reader_cb *cb, size_t max_field,
    struct enma_mail_reader **out)
{
	struct enma_mail_reader	*r;

	if (out == NULL)
		return ENMA_EINVAL;
	*out = NULL;
	if (cb == NULL || cb->header == NULL || cb->body == NULL)
		return ENMA_EINVAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return ENMA_ENOMEM;
	if ((r->out = malloc(ENMA_MAIL_READER_CHUNK)) == NULL) {
		free(r);
		return ENMA_ENOMEM;
	}
	r->cb = *cb;
	r->max = max_field != 0 ? max_field : ENMA_MAIL_READER_MAX_FIELD;
	r->last = -1;
	/* room for the line's CR beyond the limit, checked by hand */
	enma_buf_init(&r->line, r->max + 2);
	enma_buf_init(&r->field, r->max + 2);
	*out = r;
	return ENMA_OK;
}

/* enma_mail_reader_free - NULL is a no-op */
void
enma_mail_reader_free(struct enma_mail_reader *r)
{
	if (r == NULL)
		return;
	enma_buf_free(&r->line);
	enma_buf_free(&r->field);
	free(r->out);
	free(r);
}

/* enma_mail_reader_stats - what was seen so far */
void
enma_mail_reader_stats(const struct enma_mail_reader *r,
    struct enma_mail_reader_stats *st)
{
	if (st == NULL)
		return;
	if (r == NULL)
		memset(st, 0, sizeof(*st));
	else
		*st = r->stats;
}

/* fail - remember the first failure; every later call returns it */
static enma_status
fail(struct enma_mail_reader *r, enma_status st)
{
	if (r->status == ENMA_OK)
		r->status = st;
	return r->status;
}

/* body_flush - hand the gathered body bytes over */
static enma_status
body_flush(struct enma_mail_reader *r)
{
	enma_status	st;

	if (r->outlen == 0)
		return ENMA_OK;
	st = r->cb.body(r->cb.arg, enma_span_make(r->out, r->outlen));
	r->outlen = 0;
	return st != ENMA_OK ? fail(r, st) : ENMA_OK;
}

/* body_put - bytes into the hand-over buffer, flushed when full */
static enma_status
body_put(struct enma_mail_reader *r, const unsigned char *p, size_t n)
{
	size_t		room;
	enma_status	st;

	if (n == 0)
		return ENMA_OK;
	r->stats.body_bytes += n;
	r->last = p[n - 1];
	while (n > 0) {
		room = ENMA_MAIL_READER_CHUNK - r->outlen;
		if (room > n)
			room = n;
		memcpy(r->out + r->outlen, p, room);
		r->outlen += room;
		p += room;
		n -= room;
		if (r->outlen == ENMA_MAIL_READER_CHUNK &&
		    (st = body_flush(r)) != ENMA_OK)
			return st;
	}
	return ENMA_OK;
}

/* body_feed - body bytes: a bare LF becomes CRLF, the rest as it is */
static enma_status
body_feed(struct enma_mail_reader *r, const unsigned char *p, size_t len)
{
	static const unsigned char crlf[2] = { '\r', '\n' };
	const unsigned char	*nl;
	size_t			 i = 0, k;
	int			 cr;
	enma_status		 st = ENMA_OK;

	while (st == ENMA_OK && i < len) {
		nl = memchr(p + i, '\n', len - i);
		if (nl == NULL)
			return body_put(r, p + i, len - i);
		k = (size_t)(nl - p);
		cr = k > i ? p[k - 1] == '\r' : r->last == '\r';
		if (cr)
			st = body_put(r, p + i, k + 1 - i);
		else {
			r->stats.bare_lf = 1;
			if ((st = body_put(r, p + i, k - i)) == ENMA_OK)
				st = body_put(r, crlf, sizeof(crlf));
		}
		i = k + 1;
	}
	return st;
}

/* field_flush - hand the gathered header field over */
static enma_status
field_flush(struct enma_mail_reader *r)
{
	enma_status	st;

	if (r->field.len == 0)
		return ENMA_OK;
	st = r->cb.header(r->cb.arg, enma_buf_span(&r->field));
	enma_buf_reset(&r->field);
	r->stats.fields++;
	return st != ENMA_OK ? fail(r, st) : ENMA_OK;
}

/* end_header - the last field, then eoh; the body follows */
static enma_status
end_header(struct enma_mail_reader *r)
{
	enma_status	st;

	if ((st = field_flush(r)) != ENMA_OK)
		return st;
	r->state = RD_BODY;
	if (r->cb.eoh != NULL && (st = r->cb.eoh(r->cb.arg)) != ENMA_OK)
		return fail(r, st);
	return ENMA_OK;
}

/* field_append - a continuation line joins the field after a CRLF */
static enma_status
field_append(struct enma_mail_reader *r, struct enma_span l)
{
	if (l.len > r->max || r->field.len > r->max - l.len ||
	    r->max - l.len - r->field.len < 2)
		return fail(r, ENMA_ELIMIT);
	(void)enma_buf_append(&r->field, "\r\n", 2);
	(void)enma_buf_append_span(&r->field, l);
	if (enma_buf_status(&r->field) != ENMA_OK)
		return fail(r, enma_buf_status(&r->field));
	return ENMA_OK;
}

/* field_start - a new field: the previous one goes, this one begins */
static enma_status
field_start(struct enma_mail_reader *r, struct enma_span l)
{
	enma_status	st;

	if ((st = field_flush(r)) != ENMA_OK)
		return st;
	if (enma_buf_append_span(&r->field, l) != ENMA_OK)
		return fail(r, enma_buf_status(&r->field));
	return ENMA_OK;
}

/* header_line - one complete header-section line, its line end removed */
static enma_status
header_line(struct enma_mail_reader *r, struct enma_span l)
{
	static const unsigned char crlf[2] = { '\r', '\n' };
	struct enma_header	h;
	enma_status		st;

	if (r->state == RD_FIRST) {
		r->state = RD_HEADER;
		if (enma_span_has_caseprefix(l, MBOX_FROM) &&
		    memcmp(l.p, MBOX_FROM, sizeof(MBOX_FROM) - 1) == 0) {
			r->stats.mbox_from = 1;
			return ENMA_OK;
		}
	}
	if (l.len == 0) {
		r->stats.separator = 1;
		return end_header(r);
	}
	if (enma_iswsp(l.p[0]) && r->field.len > 0)
		return field_append(r, l);
	if (!enma_iswsp(l.p[0]) && enma_header_parse(l, &h) == ENMA_OK)
		return field_start(r, l);
	/* not a field: the header ends here and the line is the body's */
	r->stats.nonheader = 1;
	if ((st = end_header(r)) != ENMA_OK ||
	    (st = body_put(r, l.p, l.len)) != ENMA_OK)
		return st;
	return body_put(r, crlf, sizeof(crlf));
}

/* line_done - the gathered line is complete (eol: it ended in LF) */
static enma_status
line_done(struct enma_mail_reader *r, int eol)
{
	struct enma_span	l = enma_buf_span(&r->line);
	enma_status		st;

	if (l.len > 0 && l.p[l.len - 1] == '\r')
		l.len--;
	else if (eol)
		r->stats.bare_lf = 1;
	if (l.len > r->max)
		return fail(r, ENMA_ELIMIT);
	st = header_line(r, l);
	enma_buf_reset(&r->line);
	return st;
}

/* header_feed - gather lines; returns how many bytes were used */
static size_t
header_feed(struct enma_mail_reader *r, const unsigned char *p, size_t len)
{
	const unsigned char	*nl;
	size_t			 i = 0, n;

	while (r->status == ENMA_OK && i < len && r->state != RD_BODY) {
		nl = memchr(p + i, '\n', len - i);
		n = nl != NULL ? (size_t)(nl - (p + i)) : len - i;
		/* the limit plus one byte for a CR before the LF */
		if (n > r->max + 1 || r->line.len > r->max + 1 - n) {
			(void)fail(r, ENMA_ELIMIT);
			break;
		}
		if (enma_buf_append(&r->line, p + i, n) != ENMA_OK) {
			(void)fail(r, enma_buf_status(&r->line));
			break;
		}
		i += n;
		if (nl == NULL)
			break;
		i++;
		(void)line_done(r, 1);
	}
	return i;
}

/* enma_mail_reader_feed - the next bytes of the message */
enma_status
enma_mail_reader_feed(struct enma_mail_reader *r, struct enma_span s)
{
	size_t	used = 0;

	if (r == NULL || (s.p == NULL && s.len > 0))
		return ENMA_EINVAL;
	if (r->status != ENMA_OK)
		return r->status;
	if (r->state == RD_DONE)
		return fail(r, ENMA_EINVAL);
	if (r->state != RD_BODY)
		used = header_feed(r, s.p, s.len);
	if (r->status == ENMA_OK && used < s.len)
		(void)body_feed(r, s.p + used, s.len - used);
	return r->status;
}

/* enma_mail_reader_finish - the last line, field, eoh and body bytes */
enma_status
enma_mail_reader_finish(struct enma_mail_reader *r)
{
	static const unsigned char lf = '\n', crlf[2] = { '\r', '\n' };

	if (r == NULL)
		return ENMA_EINVAL;
	if (r->status != ENMA_OK)
		return r->status;
	if (r->state == RD_DONE)
		return fail(r, ENMA_EINVAL);
	/* a last line without LF; a CR at the very end counts as one */
	if (r->state != RD_BODY && r->line.len > 0)
		(void)line_done(r, 0);
	if (r->status == ENMA_OK && r->state != RD_BODY)
		(void)end_header(r);
	/* RFC 5321 4.1.1.4: what SMTP carries ends with CRLF */
	if (r->status == ENMA_OK && r->last == '\r')
		(void)body_put(r, &lf, 1);
	else if (r->status == ENMA_OK && r->last != -1 && r->last != '\n')
		(void)body_put(r, crlf, sizeof(crlf));
	if (r->status == ENMA_OK)
		(void)body_flush(r);
	r->state = RD_DONE;
	return r->status;
}
