/*
 * mail.h - RFC 5322 header fields, mailboxes and domain names
 *
 * Header fields are kept as received (raw bytes, CRLF folds) because
 * DKIM's simple canonicalisation needs them byte for byte; the parsed
 * views point into the raw bytes.  Mailbox parsing follows RFC 5322
 * 3.4 with the obsolete forms of 4.4 that real mail still carries, and
 * refuses what would let one address pass for another (PITFALLS 8).
 */
#ifndef ENMA_MAIL_H
#define ENMA_MAIL_H

#include <enma/util.h>

#define ENMA_MAIL_MAX_HEADER_NAME	998	/* RFC 5322 2.1.1 line limit */
#define ENMA_MAIL_MAX_ADDRESSES		1024	/* per address-list field */
#define ENMA_MAIL_MAX_DOMAIN		253	/* RFC 1035, without the dot */

/*
 * A header field.  raw is the whole field as received ("Name: value"
 * with its CRLF folds, without the final CRLF); name is the field name
 * (no trailing WSP); value is everything after the colon, folds kept.
 */
struct enma_header {
	struct enma_span	raw;
	struct enma_span	name;
	struct enma_span	value;
};

/*
 * enma_header_parse - split a raw field into name and value.  A trailing
 * CRLF (or LF) is dropped from raw.  ENMA_ESYNTAX when there is no colon,
 * the name is empty or holds bytes outside RFC 5322 ftext (WSP before the
 * colon is allowed, RFC 5322 4.5.2).
 */
enma_status enma_header_parse(struct enma_span raw, struct enma_header *);

/*
 * enma_header_unfold - RFC 5322 2.2.3: remove each CRLF (or bare LF, or
 * bare CR) that is followed by WSP; append the result to out.
 */
enma_status enma_header_unfold(struct enma_span value, struct enma_buf *out);

/*
 * enma_header_fix_eol - rebuild a field that an MTA handed over with
 * bare-LF folds (milter): every bare LF or bare CR becomes CRLF.
 */
enma_status enma_header_fix_eol(struct enma_span, struct enma_buf *out);

/*
 * A mailbox.  local is the local part with quoting removed (quoted-pair
 * escapes resolved), domain is lower-cased with a trailing dot removed;
 * both NUL-terminated in the arena.  display is the display name, or
 * NULL.  local may be empty (RFC 7208 4.3: use "postmaster").
 */
struct enma_mailbox {
	const char	*local;
	const char	*domain;
	const char	*display;
};

/*
 * enma_mailbox_parse - one addr-spec, optionally in angle brackets with
 * a display name (RFC 5322 3.4 mailbox), comments allowed where CFWS is.
 */
enma_status enma_mailbox_parse(struct enma_span, struct enma_arena *,
	    struct enma_mailbox *);

/*
 * enma_addrlist_parse - RFC 5322 3.4 address-list, with groups (their
 * members are listed, the group name is not a mailbox) and the obsolete
 * empty list elements of 4.4.  *list is allocated in the arena.
 * ENMA_ESYNTAX for anything unbalanced or trailing; ENMA_ELIMIT past
 * ENMA_MAIL_MAX_ADDRESSES.
 */
enma_status enma_addrlist_parse(struct enma_span, struct enma_arena *,
	    struct enma_mailbox **list, size_t *count);

/*
 * enma_path_parse - an SMTP reverse-path as given to MAIL FROM (RFC 5321
 * 4.1.2), with or without angle brackets, source routes dropped.  "<>"
 * gives ENMA_OK with local and domain NULL (the null sender).
 */
enma_status enma_path_parse(struct enma_span, struct enma_arena *,
	    struct enma_mailbox *);

/*
 * enma_domain_normalise - lower case, trailing dot removed, checked
 * against RFC 1035 lengths (labels 1..63, total <= 253).  Non-ASCII
 * (UTF-8) labels are refused with ENMA_ESYNTAX for now.
 */
enma_status enma_domain_normalise(struct enma_span, struct enma_arena *,
	    const char **out);

/* enma_domain_is_valid - syntax check for a host name (letters, digits,
 * hyphens, underscores; dot-separated; lengths as above) */
int	 enma_domain_is_valid(struct enma_span);

/*
 * The message reader: a saved message (a file, a pipe) split into what
 * an MTA hands an adapter, for enma-check and the fuzzer.  Feed it bytes
 * in chunks of any size; it calls back with each complete header field
 * and then with body bytes.  Memory does not grow with the body.
 *
 *	- Lines end at LF; a CR just before the LF is part of the line
 *	  end.  Both forms (LF, CRLF) become CRLF.  A CR not followed by
 *	  LF is kept as an ordinary byte.
 *	- A header field is a line "Name: value" (RFC 5322 2.2, the name
 *	  as enma_header_parse takes it) with its continuation lines (those
 *	  starting with WSP); it is handed over with CRLF folds and without
 *	  its final CRLF.
 *	- The header section ends at the first empty line (RFC 5322 2.1),
 *	  which belongs to neither part.  A line that is neither a field
 *	  nor a continuation also ends it and is the body's first line, as
 *	  Postfix's cleanup does; a first line starting "From " (the mbox
 *	  separator, RFC 4155) is dropped.
 *	- A message without an empty line is all header: the body is
 *	  empty.  A last body line without a line end gets CRLF, as the
 *	  SMTP DATA transfer would give it (RFC 5321 4.1.1.4).
 *	- A header line or field longer than the limit is ENMA_ELIMIT: the
 *	  message cannot be given as an MTA would give it.
 *
 * A callback that does not return ENMA_OK stops the reader: feed and
 * finish return its status from then on (sticky).  eoh may be NULL.
 */
#define ENMA_MAIL_READER_MAX_FIELD	(1024 * 1024)	/* = the session's */
#define ENMA_MAIL_READER_CHUNK		(64 * 1024)	/* body hand-over */

struct enma_mail_reader_cb {
	enma_status	(*header)(void *arg, struct enma_span field);
	enma_status	(*eoh)(void *arg);
	enma_status	(*body)(void *arg, struct enma_span chunk);
	void		*arg;
};

/* What the reader saw, for reports. */
struct enma_mail_reader_stats {
	size_t		fields;		/* header fields handed over */
	uint64_t	body_bytes;	/* after line-end repair */
	int		separator;	/* the empty line was seen */
	int		nonheader;	/* a non-field line ended the header */
	int		mbox_from;	/* a leading "From " line was dropped */
	int		bare_lf;	/* some line ended in LF alone */
};

struct enma_mail_reader;

/* max_field: bytes of one field or line, 0 = ENMA_MAIL_READER_MAX_FIELD */
enma_status enma_mail_reader_new(const struct enma_mail_reader_cb *,
	    size_t max_field, struct enma_mail_reader **);
void	 enma_mail_reader_free(struct enma_mail_reader *);	/* NULL ok */
enma_status enma_mail_reader_feed(struct enma_mail_reader *,
	    struct enma_span);
/* enma_mail_reader_finish - the end of the input: the last line, field
 * and body bytes are handed over; eoh is called if it was not yet */
enma_status enma_mail_reader_finish(struct enma_mail_reader *);
void	 enma_mail_reader_stats(const struct enma_mail_reader *,
	    struct enma_mail_reader_stats *);

#endif /* ENMA_MAIL_H */
