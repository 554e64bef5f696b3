/*
 * proto.h - OpenSMTPD's filter protocol: the line reader and the parsers
 *
 * Pure code: no I/O, no threads, no globals.  The reader turns bytes read
 * from smtpd into lines; the parsers split a line into its fields, as
 * smtpd-filters(7) describes them for protocol 0.6 (OpenSMTPD 6.7, 6.8)
 * and 0.7 (7.x):
 *
 *	config|KEY|VALUE			config|ready
 *	report|VERSION|TIME|smtp-in|EVENT|SESSION[|PARAMS]
 *	filter|VERSION|TIME|smtp-in|PHASE|SESSION|TOKEN[|PARAMS]
 *
 * PARAMS is everything after the last fixed field, '|' included: smtpd
 * does not escape it, so a data-line's text is the rest of the line.
 * Everything is a span into the caller's line; nothing is copied.  Used
 * by filter-enma, tests/unit/test_smtpd_proto.c and the fuzz target
 * tests/fuzz/fuzz_smtpd_proto.c (which include proto.c).
 */
#ifndef ENMA_SMTPD_PROTO_H
#define ENMA_SMTPD_PROTO_H

#include <stdint.h>

#include <enma/util.h>

/*
 * Bytes of one protocol line kept.  smtpd takes SMTP lines of up to
 * 65,535 bytes (SMTP_LINE_MAX in 6.8) and adds ~100 bytes of prefix, so
 * this is 16 times the longest line smtpd sends.  Longer lines are cut
 * here, the rest of the line dropped and counted (smtpd_reader_line).
 */
#define SMTPD_PROTO_MAX_LINE	(1024u * 1024)
/* bytes asked of read(2) at a time */
#define SMTPD_PROTO_READ_CHUNK	(64u * 1024)
/* hex digits of a session id or a token (16 in smtpd's %016llx) */
#define SMTPD_PROTO_MAX_HEX	16
/* protocol major versions and minor versions this code reads */
#define SMTPD_PROTO_MAJOR	0
#define SMTPD_PROTO_MINOR_MIN	6
#define SMTPD_PROTO_MINOR_MAX	7

/*
 * The reader: bytes in, whole lines out.  A line is returned without its
 * LF; a line with no LF yet stays buffered.  Memory is bounded by max plus
 * one read chunk whatever the input.
 */
struct smtpd_reader {
	unsigned char	*buf;
	size_t		 start;		/* next line's start */
	size_t		 len;		/* bytes held */
	size_t		 cap;
	size_t		 scan;		/* searched for LF up to */
	size_t		 max;		/* bytes of one line kept */
	int		 cutting;	/* dropping a long line's end */
	uint64_t	 dropped;	/* bytes dropped from that line */
};

void	 smtpd_reader_init(struct smtpd_reader *, size_t max);
void	 smtpd_reader_free(struct smtpd_reader *);
/*
 * smtpd_reader_space - where the next read goes: *p, at most *n bytes
 * (SMTPD_PROTO_READ_CHUNK or more).  Lines returned before are invalid
 * from this call on.  ENMA_ENOMEM if the buffer cannot grow.
 */
enma_status smtpd_reader_space(struct smtpd_reader *, unsigned char **p,
	    size_t *n);
/* smtpd_reader_commit - n bytes were read into the space */
void	 smtpd_reader_commit(struct smtpd_reader *, size_t n);
/*
 * smtpd_reader_line - the next whole line: 1 with *line (valid until the
 * next smtpd_reader_space) and *cut, the bytes dropped from its end
 * because it was longer than max (0 normally); 0 when there is none.
 */
int	 smtpd_reader_line(struct smtpd_reader *, struct enma_span *line,
	    uint64_t *cut);
/* smtpd_reader_pending - bytes of an unfinished line (at end of input) */
uint64_t smtpd_reader_pending(const struct smtpd_reader *);

enum smtpd_kind {
	SMTPD_CONFIG = 1,
	SMTPD_REPORT,
	SMTPD_FILTER
};

/* One line from smtpd, split. */
struct smtpd_event {
	enum smtpd_kind	 kind;
	unsigned	 vmajor, vminor;	/* REPORT, FILTER */
	struct enma_span version;
	struct enma_span subsystem;	/* "smtp-in" */
	struct enma_span name;		/* event, phase; CONFIG: key */
	uint64_t	 session;
	uint64_t	 token;		/* FILTER */
	struct enma_span params;	/* the rest; CONFIG: the value */
	int		 has_params;	/* a '|' introduced params */
};

/*
 * smtpd_event_parse - split a line.  ENMA_ESYNTAX for a line of no known
 * kind or with a field missing or malformed (a session or token that is
 * not 1..16 hex digits, a version that is not DIGITS.DIGITS).  The
 * version is not judged here: see smtpd_version_ok.
 */
enma_status smtpd_event_parse(struct enma_span, struct smtpd_event *);
/* smtpd_version_ok - 1 for a major version this code reads */
int	 smtpd_version_ok(unsigned vmajor);
/* smtpd_version_parse - "0.6" into its numbers */
enma_status smtpd_version_parse(struct enma_span, unsigned *vmajor,
	    unsigned *vminor);

/* link-connect: rdns|fcrdns|src|dest */
struct smtpd_connect {
	struct enma_span rdns, fcrdns, src, dest;
};

enma_status smtpd_parse_connect(struct enma_span, struct smtpd_connect *);
/*
 * smtpd_parse_addr - "192.0.2.1:25", "[2001:db8::1]:25" (IPv6 in
 * brackets), with or without the port.  ENMA_ENOTFOUND for the forms
 * without an IP address ("unix:/path", "local").
 */
enma_status smtpd_parse_addr(struct enma_span, struct enma_ip *,
	    unsigned *port);
/* link-identify: method|identity (the identity may hold '|') */
enma_status smtpd_parse_identify(struct enma_span, struct enma_span *method,
	    struct enma_span *identity);
/*
 * link-auth: 0.6 sends username|result, 0.7 result|username (the user
 * name may hold '|': it is what is left).
 */
enma_status smtpd_parse_auth(struct enma_span, unsigned vminor,
	    struct enma_span *user, struct enma_span *result);
/*
 * tx-mail: msgid|result|address since 0.6 (msgid|address|result before);
 * address without <>, empty for the null sender.
 */
enma_status smtpd_parse_tx_mail(struct enma_span, unsigned vminor,
	    uint32_t *msgid, struct enma_span *result, struct enma_span *addr);
/* tx-begin, tx-reset, tx-rollback: the msgid, first field (ENOTFOUND: none) */
enma_status smtpd_parse_msgid(struct enma_span, uint32_t *);
/* smtpd_parse_hex - 1..max hex digits */
enma_status smtpd_parse_hex(struct enma_span, size_t max, uint64_t *);

/* smtpd_dataline_is_end - the lone "." ending the data (RFC 5321 4.1.1.4) */
int	 smtpd_dataline_is_end(struct enma_span);
/* smtpd_unstuff - a data line as the message has it (RFC 5321 4.5.2) */
struct enma_span smtpd_unstuff(struct enma_span);
/*
 * smtpd_put_dataline - append "filter-dataline|SESSION|TOKEN|LINE\n" to
 * out.  stuff: LINE is our own text, so a leading '.' is doubled
 * (RFC 5321 4.5.2); lines received are echoed as they came.  LINE must
 * hold no LF (ENMA_EINVAL).
 */
enma_status smtpd_put_dataline(struct enma_buf *, uint64_t session,
	    uint64_t token, struct enma_span line, int stuff);

#endif /* ENMA_SMTPD_PROTO_H */
