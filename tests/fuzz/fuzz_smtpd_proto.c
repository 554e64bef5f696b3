/*
 * fuzz_smtpd_proto.c - filter-enma's protocol reader and parsers
 *
 * The input is a stream from smtpd, fed to the reader in pieces whose
 * sizes come from the input itself, with a small line limit so that the
 * cutting of long lines is reached.  Properties: every line lies inside
 * the input, holds no LF and at most max bytes; line bytes plus cut bytes
 * plus LFs plus what is pending add up to the input; every parsed field
 * lies inside its line; an answer line built from a data-line holds
 * exactly one LF, at its end.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../plugins/opensmtpd/proto.c"

#define FUZZ_MAX_LINE	64	/* small, to reach the cutting code */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - a broken promise is a crash the fuzzer reports */
static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* inside - s lies within the line l */
static void
inside(struct enma_span s, struct enma_span l)
{
	if (s.len == 0)
		return;
	check(s.p >= l.p && s.p + s.len <= l.p + l.len);
}

/* params - the per-event parsers on whatever the params are */
static void
params(struct enma_span l, const struct smtpd_event *ev)
{
	struct smtpd_connect	c;
	struct enma_span	a, b;
	struct enma_ip		ip;
	uint32_t		id;
	unsigned		port;

	if (smtpd_parse_connect(ev->params, &c) == ENMA_OK) {
		inside(c.src, l);
		inside(c.dest, l);
		(void)smtpd_parse_addr(c.src, &ip, &port);
		check(port <= 65535);
	}
	if (smtpd_parse_identify(ev->params, &a, &b) == ENMA_OK)
		inside(b, l);
	if (smtpd_parse_auth(ev->params, ev->vminor, &a, &b) == ENMA_OK) {
		inside(a, l);
		inside(b, l);
	}
	if (smtpd_parse_tx_mail(ev->params, ev->vminor, &id, &a, &b) ==
	    ENMA_OK) {
		inside(a, l);
		inside(b, l);
	}
	(void)smtpd_parse_msgid(ev->params, &id);
}

/* answer - the dataline built from a line has one LF, at its end */
static void
answer(const struct smtpd_event *ev)
{
	struct enma_buf	b;
	struct enma_span u = smtpd_unstuff(ev->params);

	check(u.len == ev->params.len ||
	    (u.len + 1 == ev->params.len && ev->params.p[0] == '.'));
	enma_buf_init(&b, 0);
	if (smtpd_put_dataline(&b, ev->session, ev->token, ev->params,
	    ev->vminor & 1) == ENMA_OK) {
		check(b.len > 0 && b.p[b.len - 1] == '\n');
		check(memchr(b.p, '\n', b.len) == b.p + b.len - 1);
	}
	enma_buf_free(&b);
}

/* one_line - parse one line and everything in it */
static void
one_line(struct enma_span l)
{
	struct smtpd_event ev;

	if (smtpd_event_parse(l, &ev) != ENMA_OK)
		return;
	inside(ev.name, l);
	inside(ev.params, l);
	if (ev.kind != SMTPD_CONFIG)
		params(l, &ev);
	answer(&ev);
}

/* LLVMFuzzerTestOneInput - one fuzz input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpd_reader	 r;
	struct enma_span	 l;
	unsigned char		*p;
	size_t			 off = 0, n, k, step;
	uint64_t		 cut, seen = 0, lfs = 0;

	step = size > 0 ? (size_t)data[0] % 17 + 1 : 1;
	smtpd_reader_init(&r, FUZZ_MAX_LINE);
	while (off < size) {
		if (smtpd_reader_space(&r, &p, &n) != ENMA_OK)
			break;
		k = size - off < step ? size - off : step;
		if (k > n)
			k = n;
		memcpy(p, data + off, k);
		smtpd_reader_commit(&r, k);
		off += k;
		while (smtpd_reader_line(&r, &l, &cut)) {
			inside(l, enma_span_make(r.buf, r.len));
			check(l.len <= FUZZ_MAX_LINE);
			check(memchr(l.p, '\n', l.len) == NULL);
			seen += l.len + cut;
			lfs++;
			one_line(l);
		}
	}
	if (off == size)
		check(seen + lfs + smtpd_reader_pending(&r) == size);
	smtpd_reader_free(&r);
	return 0;
}
