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

#endif /* ENMA_MAIL_H */
