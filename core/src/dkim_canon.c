/*
 * dkim_canon.c - canonicalisation (RFC 6376 3.4) and header selection
 * (5.4.2)
 *
 * The body is canonicalised in runs, never byte by byte: a scan finds
 * the next place where the algorithm changes something (a line end, a
 * tab, a space that is not a single space before a word), and
 * everything before it goes to the sink unchanged, across lines.  Empty
 * lines are held back as a count until something follows them (3.4.3,
 * 3.4.4: empty lines at the end are ignored).  A chunk may end anywhere:
 * in a run of WSP, or between the CR and the LF of a line end; both are
 * held and decided by the next chunk.
 *
 * Input line ends are CRLF.  A bare LF is taken as a line end and gets
 * its CR (the message in its canonical CRLF form, RFC 6376 5.3); a CR
 * that is not followed by LF is an ordinary byte.  Relaxed header
 * canonicalisation removes every CR and LF of the field's value: inside
 * a field they can only be folds (3.4.2 "unfold").
 */
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dkim_int.h"

#define CANON_CRLFS	32	/* empty lines emitted per call */
#define CANON_NAME_BUF	64	/* bytes of a name lower-cased at once */

static const unsigned char crlfs[2 * CANON_CRLFS + 1] =
    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";
static const unsigned char one_sp[] = " ";
static const unsigned char one_cr[] = "\r";

/*
 * One chunk being worked through.  run is the start of the unchanged
 * stretch not yet emitted; mark is a position on the current line or on
 * an earlier one, up to which everything has been looked at: bytes
 * between mark and a position x are all unchanged content or line ends
 * that needed no work, so the byte before x tells whether x starts a
 * line (an LF) or has content before it on its line (anything else).
 */
struct pass {
	const unsigned char	*p;
	size_t			 len;
	size_t			 run;
	size_t			 mark;
};

/* is_wsp_or_eol - SP, HTAB, CR or LF */
static inline int
is_wsp_or_eol(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* emit - content: the empty lines held back come first */
static void
emit(struct dkim_body_canon *c, const unsigned char *p, size_t n)
{
	size_t k;

	if (n == 0)
		return;
	while (c->pending > 0) {
		k = c->pending > CANON_CRLFS ? CANON_CRLFS : c->pending;
		c->sink(c->arg, crlfs, 2 * k);
		c->pending -= k;
	}
	c->sink(c->arg, p, n);
	c->any = 1;
}

/* copy_to - the unchanged stretch up to x */
static void
copy_to(struct dkim_body_canon *c, struct pass *ps, size_t x)
{
	if (x > ps->run)
		emit(c, ps->p + ps->run, x - ps->run);
	ps->run = x;
}

/* line_has - the current line has content before x */
static int
line_has(struct dkim_body_canon *c, struct pass *ps, size_t x)
{
	if (x <= ps->mark)
		return c->in_line;
	if (ps->p[x - 1] != '\n')
		return 1;
	ps->mark = x;			/* x starts a line */
	c->in_line = 0;
	return 0;
}

/*
 * eol_at - the line ends at q (an LF, or the CR of a CRLF); content
 * says whether the line had any.  A line with content keeps its line
 * end (a bare LF gets its CR); an empty one is held back.  Returns the
 * position after the line end.
 */
static size_t
eol_at(struct dkim_body_canon *c, struct pass *ps, size_t q, int content)
{
	size_t lf = ps->p[q] == '\n' ? q : q + 1;

	if (content) {
		if (lf == q) {		/* bare LF: add its CR */
			copy_to(c, ps, q);
			emit(c, one_cr, 1);
		}
	} else {
		copy_to(c, ps, q);
		ps->run = lf + 1;
		c->pending++;
	}
	c->in_line = 0;
	ps->mark = lf + 1;
	return lf + 1;
}

/* line_end - an LF at q that needs a look: bare, or maybe empty */
static size_t
line_end(struct dkim_body_canon *c, struct pass *ps, size_t q)
{
	size_t eol = q > 0 && ps->p[q - 1] == '\r' ? q - 1 : q;

	return eol_at(c, ps, eol, line_has(c, ps, eol));
}

/*
 * is_special - a byte relaxed canonicalisation must look at: HTAB; a SP
 * followed by WSP, CR, LF or the end of the chunk; an LF that is bare
 * or may end an empty line (not after a CR after content)
 */
static inline int
is_special(const unsigned char *p, size_t i, size_t len)
{
	switch (p[i]) {
	case '\t':
		return 1;
	case ' ':
		return i + 1 == len || is_wsp_or_eol(p[i + 1]);
	case '\n':
		return i < 2 || p[i - 1] != '\r' || p[i - 2] == '\n';
	default:
		return 0;
	}
}

#if defined(__SSE2__)
/*
 * special_mask - is_special for the 16 bytes at p (p[-2] to p[16] are
 * read), as a bit mask.  "Followed by WSP, CR or LF" is tested as
 * "followed by a byte <= 0x20": a SP before another control byte is
 * flagged needlessly and then found to be a plain SP.
 */
static inline unsigned
special_mask(const unsigned char *p)
{
	const __m128i sp = _mm_set1_epi8(' '), ht = _mm_set1_epi8('\t');
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	__m128i a = _mm_loadu_si128((const __m128i *)p);
	__m128i nx = _mm_loadu_si128((const __m128i *)(p + 1));
	__m128i p1 = _mm_loadu_si128((const __m128i *)(p - 1));
	__m128i p2 = _mm_loadu_si128((const __m128i *)(p - 2));
	__m128i low_next, lf_plain, m;

	low_next = _mm_cmpeq_epi8(_mm_min_epu8(nx, sp), nx);
	/* an LF after a CR that is not itself after an LF */
	lf_plain = _mm_andnot_si128(_mm_cmpeq_epi8(p2, lf),
	    _mm_cmpeq_epi8(p1, cr));
	m = _mm_or_si128(_mm_cmpeq_epi8(a, ht),
	    _mm_and_si128(_mm_cmpeq_epi8(a, sp), low_next));
	m = _mm_or_si128(m, _mm_andnot_si128(lf_plain,
	    _mm_cmpeq_epi8(a, lf)));
	return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* wsp_follows - after a WSP run: 1 content, 0 a line end, -1 the end
 * of the chunk (or a CR at its end: CRLF or a CR byte, not known yet) */
static int
wsp_follows(const struct pass *ps, size_t w1)
{
	if (w1 == ps->len || (ps->p[w1] == '\r' && w1 + 1 == ps->len))
		return -1;
	if (ps->p[w1] == '\n' ||
	    (ps->p[w1] == '\r' && ps->p[w1 + 1] == '\n'))
		return 0;
	return 1;
}

/* wsp_held - a run reaching the end of the chunk waits for the next */
static size_t
wsp_held(struct dkim_body_canon *c, struct pass *ps, size_t w1)
{
	c->held_wsp = 1;
	c->held_cr = w1 < ps->len;
	ps->run = ps->mark = ps->len;
	return ps->len;
}

/*
 * wsp_run - RFC 6376 3.4.4: the run of WSP at w0 becomes one SP inside
 * a line and nothing at its end; returns where scanning goes on
 */
static size_t
wsp_run(struct dkim_body_canon *c, struct pass *ps, size_t w0)
{
	size_t	w1 = w0;
	int	f, has;

	while (w1 < ps->len && enma_iswsp(ps->p[w1]))
		w1++;
	if ((f = wsp_follows(ps, w1)) == 1) {
		if (ps->p[w0] == ' ')
			copy_to(c, ps, w0 + 1);	/* the SP that stays */
		else {
			copy_to(c, ps, w0);
			emit(c, one_sp, 1);
		}
		ps->run = ps->mark = w1;
		c->in_line = 1;
		return w1;
	}
	has = line_has(c, ps, w0);
	copy_to(c, ps, w0);
	ps->run = w1;			/* the WSP is dropped */
	if (f == 0)
		return eol_at(c, ps, w1, has);
	c->in_line = (uint8_t)has;
	return wsp_held(c, ps, w1);
}

/* held_wsp - the last chunk ended in WSP: this one tells what it was */
static size_t
held_wsp(struct dkim_body_canon *c, struct pass *ps)
{
	size_t	w = 0;
	int	f;

	c->held_wsp = 0;
	while (w < ps->len && enma_iswsp(ps->p[w]))
		w++;
	ps->run = ps->mark = w;
	if ((f = wsp_follows(ps, w)) == 1) {
		emit(c, one_sp, 1);
		c->in_line = 1;
		return w;
	}
	if (f == 0)
		return eol_at(c, ps, w, c->in_line);
	return wsp_held(c, ps, w);
}

/* held_cr - the last chunk ended in a CR: a line end or a byte */
static size_t
held_cr(struct dkim_body_canon *c, struct pass *ps)
{
	c->held_cr = 0;
	if (ps->p[0] == '\n') {		/* it was a CRLF */
		c->held_wsp = 0;	/* and WSP before it trailed */
		return eol_at(c, ps, 0, c->in_line);	/* CR re-added */
	}
	if (c->held_wsp)		/* WSP before a CR byte: one SP */
		emit(c, one_sp, 1);
	c->held_wsp = 0;
	emit(c, one_cr, 1);
	c->in_line = 1;
	return 0;
}

/* tail - the end of a chunk: the rest of an unfinished line */
static void
tail(struct dkim_body_canon *c, struct pass *ps)
{
	size_t end = ps->len;

	if (ps->run < end && ps->mark < end) {
		if (ps->p[end - 1] == '\r') {
			end--;		/* CR or CRLF: the next chunk tells */
			c->held_cr = 1;
		}
		if (line_has(c, ps, end))
			c->in_line = 1;
	}
	copy_to(c, ps, end);
	ps->run = ps->len;
}

/* special - one byte is_special flagged; returns where to go on */
static inline size_t
special(struct dkim_body_canon *c, struct pass *ps, size_t j)
{
	if (ps->p[j] == '\n')
		return line_end(c, ps, j);
	return wsp_run(c, ps, j);
}

/*
 * relaxed_update - 3.4.4 over a chunk: 16 bytes at a time, every
 * special byte of a block handled before the next block is read
 */
static void
relaxed_update(struct dkim_body_canon *c, struct pass *ps, size_t i)
{
	size_t	next = i;
#if defined(__SSE2__)
	size_t	base, j;
	unsigned bits;

	for (; i < 2 && i < ps->len; i++)
		if (i >= next && is_special(ps->p, i, ps->len))
			next = special(c, ps, i);
	if (next > i)
		i = next;
	while (ps->len - i >= 33) {
		base = i;
		bits = special_mask(ps->p + base) |
		    special_mask(ps->p + base + 16) << 16;
		i += 32;
		while (bits != 0) {
			j = base + (size_t)__builtin_ctz(bits);
			bits &= bits - 1;
			if (j >= next && is_special(ps->p, j, ps->len))
				next = special(c, ps, j);
		}
		if (next > i)
			i = next;
	}
#endif
	for (; i < ps->len; i++)
		if (i >= next && is_special(ps->p, i, ps->len))
			next = special(c, ps, i);
}

/* dkim_body_canon_init - a canonicaliser writing to sink */
void
dkim_body_canon_init(struct dkim_body_canon *c, enum dkim_canon canon,
    dkim_sink_fn *sink, void *arg)
{
	memset(c, 0, sizeof(*c));
	c->relaxed = canon == DKIM_CANON_RELAXED;
	c->sink = sink;
	c->arg = arg;
}

/* dkim_body_canon_update - one chunk of the body */
void
dkim_body_canon_update(struct dkim_body_canon *c, const unsigned char *p,
    size_t len)
{
	struct pass		 ps = { p, len, 0, 0 };
	const unsigned char	*nl;
	size_t			 i = 0;

	if (len == 0)
		return;
	if (c->held_cr)
		i = held_cr(c, &ps);
	else if (c->held_wsp)
		i = held_wsp(c, &ps);
	if (!c->relaxed) {
		while (i < len && (nl = memchr(p + i, '\n', len - i)) != NULL)
			i = line_end(c, &ps, (size_t)(nl - p));
	} else
		relaxed_update(c, &ps, i);
	tail(c, &ps);
}

/* dkim_body_canon_final - the end of the body (3.4.3, 3.4.4) */
void
dkim_body_canon_final(struct dkim_body_canon *c)
{
	if (c->held_cr) {		/* a CR at the very end: content */
		if (c->held_wsp)
			emit(c, one_sp, 1);
		emit(c, one_cr, 1);
		c->in_line = 1;
	}
	c->held_cr = c->held_wsp = 0;
	if (c->in_line)
		emit(c, crlfs, 2);	/* a last line without its CRLF */
	if (!c->any && !c->relaxed)
		c->sink(c->arg, crlfs, 2);	/* 3.4.3: empty body is CRLF */
	c->pending = 0;
	c->in_line = 0;
}

/* is_hdr_special - bytes relaxed header canonicalisation changes */
static inline int
is_hdr_special(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * relaxed_value - RFC 6376 3.4.2 on a field value given in pieces:
 * unfold, WSP runs to one SP, none at the start or the end
 */
static void
relaxed_value(const struct enma_span *piece, size_t npiece,
    dkim_sink_fn *sink, void *arg)
{
	size_t	k, i, j;
	int	started = 0, sp = 0;

	for (k = 0; k < npiece; k++) {
		const unsigned char *p = piece[k].p;

		for (i = 0; i < piece[k].len; i = j + 1) {
			for (j = i; j < piece[k].len && !is_hdr_special(p[j]);
			    j++)
				continue;
			if (j > i) {
				if (sp && started)
					sink(arg, one_sp, 1);
				sp = 0;
				started = 1;
				sink(arg, p + i, j - i);
			}
			if (j < piece[k].len && enma_iswsp(p[j]))
				sp = 1;	/* CR and LF are unfolded away */
		}
	}
}

/* relaxed_name - the field name in lower case, and the colon */
static void
relaxed_name(struct enma_span name, dkim_sink_fn *sink, void *arg)
{
	unsigned char	buf[CANON_NAME_BUF];
	size_t		i, k;

	for (i = 0; i < name.len; i += k) {
		for (k = 0; k < sizeof(buf) && i + k < name.len; k++)
			buf[k] = (unsigned char)enma_tolower(name.p[i + k]);
		sink(arg, buf, k);
	}
	sink(arg, (const unsigned char *)":", 1);
}

/* dkim_header_canon - one field, or the signature's own without b= */
void
dkim_header_canon(const struct enma_header *h, enum dkim_canon canon,
    struct enma_span cut, dkim_sink_fn *sink, void *arg)
{
	struct enma_span	piece[2];
	struct enma_span	whole = canon == DKIM_CANON_RELAXED ?
				    h->value : h->raw;
	size_t			n = 1, off;

	piece[0] = whole;
	if (cut.p != NULL && cut.p >= whole.p &&
	    cut.p + cut.len <= whole.p + whole.len) {
		off = (size_t)(cut.p - whole.p);
		piece[0].len = off;
		piece[1] = enma_span_make(cut.p + cut.len,
		    whole.len - off - cut.len);
		n = 2;
	}
	if (canon == DKIM_CANON_RELAXED) {
		relaxed_name(h->name, sink, arg);
		relaxed_value(piece, n, sink, arg);
	} else {
		sink(arg, piece[0].p, piece[0].len);
		if (n == 2)
			sink(arg, piece[1].p, piece[1].len);
	}
	if (cut.p == NULL)
		sink(arg, crlfs, 2);
}

/* dkim_header_select - RFC 6376 5.4.2, bottom up */
const struct enma_header *
dkim_header_select(const struct enma_header *hdrs, size_t n, size_t self,
    const struct enma_span *h, size_t k)
{
	size_t	j, skip = 0, i;

	for (j = 0; j < k; j++)
		if (enma_span_caseeq(h[j], h[k]))
			skip++;
	for (i = n; i-- > 0;) {
		if (i == self || !enma_span_caseeq(hdrs[i].name, h[k]))
			continue;
		if (skip-- == 0)
			return &hdrs[i];
	}
	return NULL;
}

/* stage_flush - the gathered bytes into the hash */
static void
stage_flush(struct dkim_hashsink *hs)
{
	enma_status st;

	if (hs->staged == 0)
		return;
	st = crypto_hash_update(hs->hash, hs->stage, hs->staged);
	if (st != ENMA_OK && hs->err == ENMA_OK)
		hs->err = st;
	hs->staged = 0;
}

/* dkim_hashsink_fn - canonical bytes in; l= applied */
void
dkim_hashsink_fn(void *arg, const unsigned char *p, size_t n)
{
	struct dkim_hashsink	*hs = arg;
	uint64_t		 room;
	enma_status		 st;

	room = hs->total < hs->limit ? hs->limit - hs->total : 0;
	hs->total += n;
	if ((uint64_t)n > room)
		n = (size_t)room;
	if (n == 0)
		return;
	if (n >= DKIM_STAGE_DIRECT) {
		stage_flush(hs);
		st = crypto_hash_update(hs->hash, p, n);
		if (st != ENMA_OK && hs->err == ENMA_OK)
			hs->err = st;
		return;
	}
	if (hs->staged + n > sizeof(hs->stage))
		stage_flush(hs);
	memcpy(hs->stage + hs->staged, p, n);
	hs->staged += n;
}

/* dkim_hashsink_final - the digest of everything fed */
enma_status
dkim_hashsink_final(struct dkim_hashsink *hs, unsigned char *out,
    size_t *len)
{
	stage_flush(hs);
	if (hs->err != ENMA_OK)
		return hs->err;
	return crypto_hash_final(hs->hash, out, len);
}
