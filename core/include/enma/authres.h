/*
 * authres.h - the Authentication-Results header field (RFC 8601)
 *
 * Building: every value is checked against the RFC 8601 grammar and
 * written as a token when it is one, as a quoted-string otherwise;
 * comments have their specials escaped; CR, LF and other controls from
 * the input never reach the output.
 *
 * Parsing: only as much as is needed to recognise a field that carries
 * our authserv-id (a forged copy, RFC 8601 5).
 */
#ifndef ENMA_AUTHRES_H
#define ENMA_AUTHRES_H

#include <enma/util.h>

#define ENMA_AUTHRES_NAME	"Authentication-Results"
#define ENMA_AUTHRES_FOLD_AT	78	/* RFC 5322 2.1.1: fold to 78 */

struct enma_authres_prop {
	const char	*ptype;		/* "smtp", "header", "policy" */
	const char	*property;	/* "mailfrom", "d", ... */
	const char	*value;		/* NUL-terminated, from outside */
};

/*
 * A value under construction: "authserv-id; method=result (comment)
 * ptype.property=value ...; method=...".  Entries are kept separately so
 * that the folded form breaks between them.
 */
struct enma_authres {
	struct enma_buf	buf;		/* single-line value */
	size_t		nresults;
};

void	 enma_authres_init(struct enma_authres *);
void	 enma_authres_free(struct enma_authres *);
/* enma_authres_begin - start with the authserv-id (RFC 8601 2.5) */
enma_status enma_authres_begin(struct enma_authres *, const char *authserv_id);
/*
 * enma_authres_add - one resinfo: method "spf", result "pass", an
 * optional comment (reason; may be NULL), and props.
 */
enma_status enma_authres_add(struct enma_authres *, const char *method,
	    const char *result, const char *comment,
	    const struct enma_authres_prop *, size_t nprops);
/*
 * enma_authres_finish - the value, folded at ";" and between properties
 * with "\n\t" (LF only: adapters hand it to MTAs that store lines with
 * their own line ends), or "; none" when nothing was added (RFC 8601
 * 2.2).  name_len is the length of the field name, for the first line.
 */
enma_status enma_authres_finish(struct enma_authres *, size_t name_len,
	    struct enma_buf *out);

/*
 * enma_authres_is_ours - does this field value (as received, folded or
 * not) carry authserv_id, compared case-insensitively after CFWS?
 * Returns 1 or 0; a value that cannot be parsed is not ours.
 */
int	 enma_authres_is_ours(struct enma_span value, const char *authserv_id);

/*
 * enma_authres_is_token - RFC 2045 token (for tests and callers that
 * build values); enma_authres_append_value - token or quoted-string.
 */
int	 enma_authres_is_token(const char *);
enma_status enma_authres_append_value(struct enma_buf *, const char *);

#endif /* ENMA_AUTHRES_H */
