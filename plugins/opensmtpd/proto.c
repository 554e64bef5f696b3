/*
 * proto.c - OpenSMTPD's filter protocol: the line reader and the parsers
 *
 * Why not libopensmtpd: it reads into a fixed 64 KiB buffer and takes a
 * full buffer for the end of input, so a body line of ~65,450 bytes (smtpd
 * allows 65,535) ends the filter, and smtpd with it.  This reader has no
 * such limit below SMTPD_PROTO_MAX_LINE, and past it cuts the line rather
 * than stopping.  Everything here works on spans: no strlen, strchr or
 * strto* on bytes from smtpd, which may hold NUL or any other byte.
 */
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define PROTO_VERSION_MAX	999999	/* one version number */

/* smtpd_reader_init - an empty reader keeping lines of up to max bytes */
void
smtpd_reader_init(struct smtpd_reader *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max != 0 ? max : SMTPD_PROTO_MAX_LINE;
}

/* smtpd_reader_free - release the buffer */
void
smtpd_reader_free(struct smtpd_reader *r)
{
	free(r->buf);
	smtpd_reader_init(r, r->max);
}

/* smtpd_reader_space - compact, grow if needed, give the free space */
enma_status
smtpd_reader_space(struct smtpd_reader *r, unsigned char **p, size_t *n)
{
	unsigned char	*nb;
	size_t		 cap;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->len - r->start);
		r->len -= r->start;
		r->scan -= r->start;
		r->start = 0;
	}
	if (r->cap - r->len < SMTPD_PROTO_READ_CHUNK) {
		/* held bytes never exceed max here: see smtpd_reader_line */
		cap = r->len + SMTPD_PROTO_READ_CHUNK;
		if ((nb = realloc(r->buf, cap)) == NULL)
			return ENMA_ENOMEM;
		r->buf = nb;
		r->cap = cap;
	}
	*p = r->buf + r->len;
	*n = r->cap - r->len;
	return ENMA_OK;
}

/* smtpd_reader_commit - n more bytes held */
void
smtpd_reader_commit(struct smtpd_reader *r, size_t n)
{
	if (n <= r->cap - r->len)
		r->len += n;
}

/* smtpd_reader_line - the next whole line, cut to max bytes */
int
smtpd_reader_line(struct smtpd_reader *r, struct enma_span *line,
    uint64_t *cut)
{
	const unsigned char	*lf;
	size_t			 from, keep;

	from = r->scan > r->start ? r->scan : r->start;
	lf = from < r->len ? memchr(r->buf + from, '\n', r->len - from) : NULL;
	if (lf != NULL) {
		keep = (size_t)(lf - (r->buf + r->start));
		*cut = r->dropped;
		if (keep > r->max) {
			/* bytes past start + max, up to the LF, go */
			*cut += keep - r->max;
			keep = r->max;
		}
		r->cutting = 0;
		r->dropped = 0;
		*line = enma_span_make(r->buf + r->start, keep);
		r->start = (size_t)(lf - r->buf) + 1;
		r->scan = r->start;
		return 1;
	}
	r->scan = r->len;
	if (!r->cutting && r->len - r->start > r->max) {
		r->cutting = 1;
		r->dropped = 0;
	}
	if (r->cutting) {
		/* keep the first max bytes, drop what came after them */
		r->dropped += r->len - (r->start + r->max);
		r->len = r->start + r->max;
		r->scan = r->len;
	}
	return 0;
}

/* smtpd_reader_pending - bytes of a line without its LF */
uint64_t
smtpd_reader_pending(const struct smtpd_reader *r)
{
	return (uint64_t)(r->len - r->start) + r->dropped;
}

/*
 * proto_field - split the next field off *rest at the first '|'.  Returns
 * 1 if a '|' ended the field (rest then starts after it), 0 if the field
 * is all that was left (rest becomes empty).
 */
static int
proto_field(struct enma_span *rest, struct enma_span *field)
{
	size_t	i = enma_span_chr(*rest, '|');

	*field = enma_span_make(rest->p, i);
	if (i == rest->len) {
		*rest = enma_span_make(rest->p + rest->len, 0);
		return 0;
	}
	*rest = enma_span_make(rest->p + i + 1, rest->len - i - 1);
	return 1;
}

/* proto_last_field - split at the last '|': *head and *tail; 0 if none */
static int
proto_last_field(struct enma_span s, struct enma_span *head,
    struct enma_span *tail)
{
	size_t	i = s.len;

	while (i > 0 && s.p[i - 1] != '|')
		i--;
	if (i == 0)
		return 0;
	*head = enma_span_make(s.p, i - 1);
	*tail = enma_span_make(s.p + i, s.len - i);
	return 1;
}

/* smtpd_parse_hex - 1..max hex digits, either case */
enma_status
smtpd_parse_hex(struct enma_span s, size_t max, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;
	int		c;

	if (s.len == 0 || s.len > max || max > SMTPD_PROTO_MAX_HEX)
		return ENMA_ESYNTAX;
	for (i = 0; i < s.len; i++) {
		c = enma_tolower(s.p[i]);
		if (enma_isdigit(c))
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			return ENMA_ESYNTAX;
	}
	*out = v;
	return ENMA_OK;
}

/* smtpd_version_parse - DIGITS.DIGITS */
enma_status
smtpd_version_parse(struct enma_span s, unsigned *vmajor, unsigned *vminor)
{
	size_t		dot = enma_span_chr(s, '.');
	uint64_t	a, b;

	if (dot == s.len ||
	    enma_span_to_uint(enma_span_make(s.p, dot), PROTO_VERSION_MAX,
	    &a) != ENMA_OK ||
	    enma_span_to_uint(enma_span_make(s.p + dot + 1, s.len - dot - 1),
	    PROTO_VERSION_MAX, &b) != ENMA_OK)
		return ENMA_ESYNTAX;
	*vmajor = (unsigned)a;
	*vminor = (unsigned)b;
	return ENMA_OK;
}

/* smtpd_version_ok - the major version this code reads */
int
smtpd_version_ok(unsigned vmajor)
{
	return vmajor == SMTPD_PROTO_MAJOR;
}

/* proto_config - config|KEY|VALUE, or config|ready */
static enma_status
proto_config(struct enma_span rest, struct smtpd_event *ev)
{
	ev->kind = SMTPD_CONFIG;
	ev->has_params = proto_field(&rest, &ev->name);
	ev->params = rest;
	return ev->name.len > 0 ? ENMA_OK : ENMA_ESYNTAX;
}

/*
 * proto_stream - report|... and filter|...: the fixed fields, then the
 * token for a filter request, then the rest.
 */
static enma_status
proto_stream(struct enma_span rest, int filter, struct smtpd_event *ev)
{
	struct enma_span time, sess, tok;

	ev->kind = filter ? SMTPD_FILTER : SMTPD_REPORT;
	if (!proto_field(&rest, &ev->version) ||
	    !proto_field(&rest, &time) ||
	    !proto_field(&rest, &ev->subsystem) ||
	    !proto_field(&rest, &ev->name) || ev->name.len == 0)
		return ENMA_ESYNTAX;
	if (smtpd_version_parse(ev->version, &ev->vmajor, &ev->vminor) !=
	    ENMA_OK)
		return ENMA_ESYNTAX;
	ev->has_params = proto_field(&rest, &sess);
	if (smtpd_parse_hex(sess, SMTPD_PROTO_MAX_HEX, &ev->session) !=
	    ENMA_OK)
		return ENMA_ESYNTAX;
	if (filter) {
		if (!ev->has_params)
			return ENMA_ESYNTAX;
		ev->has_params = proto_field(&rest, &tok);
		if (smtpd_parse_hex(tok, SMTPD_PROTO_MAX_HEX, &ev->token) !=
		    ENMA_OK)
			return ENMA_ESYNTAX;
	}
	ev->params = rest;
	return ENMA_OK;
}

/* smtpd_event_parse - one line from smtpd, split */
enma_status
smtpd_event_parse(struct enma_span line, struct smtpd_event *ev)
{
	struct enma_span kind, rest = line;

	memset(ev, 0, sizeof(*ev));
	if (!proto_field(&rest, &kind))
		return ENMA_ESYNTAX;
	if (enma_span_eq(kind, ENMA_SPAN_LIT("config")))
		return proto_config(rest, ev);
	if (enma_span_eq(kind, ENMA_SPAN_LIT("report")))
		return proto_stream(rest, 0, ev);
	if (enma_span_eq(kind, ENMA_SPAN_LIT("filter")))
		return proto_stream(rest, 1, ev);
	return ENMA_ESYNTAX;
}

/* smtpd_parse_connect - rdns|fcrdns|src|dest */
enma_status
smtpd_parse_connect(struct enma_span p, struct smtpd_connect *c)
{
	memset(c, 0, sizeof(*c));
	if (!proto_field(&p, &c->rdns) || !proto_field(&p, &c->fcrdns) ||
	    !proto_field(&p, &c->src))
		return ENMA_ESYNTAX;
	c->dest = p;
	return ENMA_OK;
}

/* proto_port - decimal port; 0 for none */
static enma_status
proto_port(struct enma_span s, unsigned *port)
{
	uint64_t	n;

	if (enma_span_to_uint(s, 65535, &n) != ENMA_OK)
		return ENMA_ESYNTAX;
	*port = (unsigned)n;
	return ENMA_OK;
}

/* smtpd_parse_addr - ADDR:PORT, [ADDR6]:PORT, or either without port */
enma_status
smtpd_parse_addr(struct enma_span s, struct enma_ip *ip, unsigned *port)
{
	struct enma_span	 a = s, head, tail;
	size_t			 rb;

	*port = 0;
	memset(ip, 0, sizeof(*ip));
	if (enma_span_has_caseprefix(s, "unix:") ||
	    enma_span_caseeq_cstr(s, "local"))
		return ENMA_ENOTFOUND;
	if (s.len > 0 && s.p[0] == '[') {
		if ((rb = enma_span_chr(s, ']')) == s.len)
			return ENMA_ESYNTAX;
		a = enma_span_make(s.p, rb + 1);
		tail = enma_span_make(s.p + rb + 1, s.len - rb - 1);
		if (tail.len > 0 && (tail.p[0] != ':' || proto_port(
		    enma_span_make(tail.p + 1, tail.len - 1), port) != ENMA_OK))
			return ENMA_ESYNTAX;
	} else if (enma_span_chr(s, ':') < s.len) {
		/* one colon: IPv4 with a port; more: bare IPv6 */
		head = enma_span_make(s.p, enma_span_chr(s, ':'));
		tail = enma_span_make(s.p + head.len + 1, s.len - head.len - 1);
		if (enma_span_chr(tail, ':') == tail.len) {
			if (proto_port(tail, port) != ENMA_OK)
				return ENMA_ESYNTAX;
			a = head;
		}
	}
	return enma_ip_from_text(a, ip) == ENMA_OK ? ENMA_OK : ENMA_ESYNTAX;
}

/* smtpd_parse_identify - method|identity */
enma_status
smtpd_parse_identify(struct enma_span p, struct enma_span *method,
    struct enma_span *identity)
{
	if (!proto_field(&p, method))
		return ENMA_ESYNTAX;
	*identity = p;
	return ENMA_OK;
}

/* smtpd_parse_auth - 0.6: user|result; 0.7 on: result|user */
enma_status
smtpd_parse_auth(struct enma_span p, unsigned vminor, struct enma_span *user,
    struct enma_span *result)
{
	if (vminor <= 6)
		return proto_last_field(p, user, result) ? ENMA_OK :
		    ENMA_ESYNTAX;
	if (!proto_field(&p, result))
		return ENMA_ESYNTAX;
	*user = p;
	return ENMA_OK;
}

/* smtpd_parse_msgid - the first field as 1..8 hex digits */
enma_status
smtpd_parse_msgid(struct enma_span p, uint32_t *msgid)
{
	struct enma_span f;
	uint64_t	 v;

	(void)proto_field(&p, &f);
	if (f.len == 0)
		return ENMA_ENOTFOUND;
	if (smtpd_parse_hex(f, 8, &v) != ENMA_OK)
		return ENMA_ESYNTAX;
	*msgid = (uint32_t)v;
	return ENMA_OK;
}

/* smtpd_parse_tx_mail - msgid, result, address in the version's order */
enma_status
smtpd_parse_tx_mail(struct enma_span p, unsigned vminor, uint32_t *msgid,
    struct enma_span *result, struct enma_span *addr)
{
	struct enma_span f;

	if (smtpd_parse_msgid(p, msgid) != ENMA_OK || !proto_field(&p, &f))
		return ENMA_ESYNTAX;
	if (vminor < 6)
		return proto_last_field(p, addr, result) ? ENMA_OK :
		    ENMA_ESYNTAX;
	if (!proto_field(&p, result))
		return ENMA_ESYNTAX;
	*addr = p;
	return ENMA_OK;
}

/* smtpd_dataline_is_end - exactly "." */
int
smtpd_dataline_is_end(struct enma_span s)
{
	return s.len == 1 && s.p[0] == '.';
}

/* smtpd_unstuff - drop the one '.' SMTP added before a leading '.' */
struct enma_span
smtpd_unstuff(struct enma_span s)
{
	if (s.len > 0 && s.p[0] == '.')
		return enma_span_make(s.p + 1, s.len - 1);
	return s;
}

/* smtpd_put_dataline - one answer line for the data-line phase */
enma_status
smtpd_put_dataline(struct enma_buf *out, uint64_t session, uint64_t token,
    struct enma_span line, int stuff)
{
	if (enma_span_chr(line, '\n') != line.len)
		return ENMA_EINVAL;
	(void)enma_buf_printf(out, "filter-dataline|%016llx|%016llx|",
	    (unsigned long long)session, (unsigned long long)token);
	if (stuff && line.len > 0 && line.p[0] == '.')
		(void)enma_buf_putc(out, '.');
	(void)enma_buf_append_span(out, line);
	(void)enma_buf_putc(out, '\n');
	return enma_buf_status(out);
}
