/*
 * util.h - spans, buffers, the per-message arena, IP addresses and CIDR
 *
 * The lowest layer of libenma.  Everything else passes bytes from outside
 * as spans, grows output in buffers and allocates per-message data from
 * an arena.  Nothing here does I/O.
 */
#ifndef ENMA_UTIL_H
#define ENMA_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Status codes.  ENMA_OK is zero; every other value is an error class.
 * Functions return one of these and give results through out-parameters.
 */
typedef enum enma_status {
	ENMA_OK = 0,
	ENMA_ENOMEM,		/* allocation failed or arena limit reached */
	ENMA_EINVAL,		/* bad argument from the caller */
	ENMA_ESYNTAX,		/* input does not follow its grammar */
	ENMA_ELIMIT,		/* a named limit was exceeded */
	ENMA_ETEMP,		/* temporary failure (DNS timeout, SERVFAIL) */
	ENMA_EPERM,		/* permanent failure */
	ENMA_ENOTFOUND,		/* the thing looked for does not exist */
	ENMA_EIO,		/* an operating system call failed */
	ENMA_ETIMEOUT,		/* a time budget ran out */
	ENMA_STATUS_MAX
} enma_status;

/* enma_strerror - static text for a status; never NULL */
const char	*enma_strerror(enma_status);

/*
 * Spans: bytes from outside, with their length.  Never NUL-terminated as
 * far as the code is concerned, never read past len.
 */
struct enma_span {
	const unsigned char	*p;
	size_t			 len;
};

#define ENMA_SPAN_LIT(s) \
	((struct enma_span){ (const unsigned char *)(s), sizeof(s) - 1 })

struct enma_span enma_span_make(const void *, size_t);
struct enma_span enma_span_from_cstr(const char *);	/* NULL -> empty */
int	 enma_span_eq(struct enma_span, struct enma_span);
int	 enma_span_caseeq(struct enma_span, struct enma_span); /* ASCII */
int	 enma_span_caseeq_cstr(struct enma_span, const char *);
int	 enma_span_has_caseprefix(struct enma_span, const char *);
struct enma_span enma_span_trim_wsp(struct enma_span);	/* SP, HTAB, CR, LF */
/* enma_span_chr - offset of the first c, or len when absent */
size_t	 enma_span_chr(struct enma_span, unsigned char);
/* enma_span_to_uint - decimal digits only; ENMA_ESYNTAX or ENMA_ELIMIT */
enma_status enma_span_to_uint(struct enma_span, uint64_t max, uint64_t *);

/* Locale-free ASCII classifiers; safe for any byte value. */
static inline int enma_isdigit(int c) { return c >= '0' && c <= '9'; }
static inline int enma_isalpha(int c)
{ return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static inline int enma_isalnum(int c)
{ return enma_isalpha(c) || enma_isdigit(c); }
static inline int enma_isxdigit(int c)
{ return enma_isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static inline int enma_iswsp(int c) { return c == ' ' || c == '\t'; }
static inline int enma_isvchar(int c) { return c > 0x20 && c < 0x7f; }
static inline int enma_tolower(int c)
{ return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }
static inline int enma_toupper(int c)
{ return (c >= 'a' && c <= 'z') ? c - ('a' - 'A') : c; }

/*
 * Growing buffers.  p always has a NUL after len (once anything has been
 * appended or after enma_buf_init).  max bounds the capacity: appending
 * past it fails with ENMA_ELIMIT and leaves the content unchanged.  After
 * the first failure the buffer stays failed (sticky), so a sequence of
 * appends can be checked once at the end with enma_buf_status().
 */
struct enma_buf {
	char		*p;
	size_t		 len;
	size_t		 cap;
	size_t		 max;		/* 0 = ENMA_BUF_DEFAULT_MAX */
	enma_status	 status;	/* first failure, sticky */
	int		 fixed;		/* the caller's memory: never grows */
};

#define ENMA_BUF_DEFAULT_MAX	(64u * 1024 * 1024)

void		 enma_buf_init(struct enma_buf *, size_t max);
/*
 * enma_buf_init_fixed - a buffer on the caller's memory, size bytes with
 * the NUL: it never allocates (for paths that must work when memory is
 * short); past size - 1 bytes appending fails with ENMA_ELIMIT.
 * enma_buf_free only empties it; the memory stays the caller's.
 */
void		 enma_buf_init_fixed(struct enma_buf *, char *mem, size_t size);
void		 enma_buf_free(struct enma_buf *);	/* back to init state */
/* enma_buf_reset - len = 0, keeps the memory, clears the failure */
void		 enma_buf_reset(struct enma_buf *);
enma_status	 enma_buf_append(struct enma_buf *, const void *, size_t);
enma_status	 enma_buf_append_span(struct enma_buf *, struct enma_span);
enma_status	 enma_buf_puts(struct enma_buf *, const char *);
enma_status	 enma_buf_putc(struct enma_buf *, int);
enma_status	 enma_buf_printf(struct enma_buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
enma_status	 enma_buf_status(const struct enma_buf *);
struct enma_span enma_buf_span(const struct enma_buf *);

/*
 * The arena: per-message allocations freed in one call.  Allocations are
 * aligned for any type.  limit bounds the total bytes handed out (0 = no
 * limit); past it allocation returns NULL, which callers turn into
 * ENMA_ENOMEM and the method's verdict into temperror.
 */
struct enma_arena;

struct enma_arena *enma_arena_new(size_t limit);
void	 enma_arena_free(struct enma_arena *);		/* NULL is a no-op */
/* enma_arena_reset - free all but the first block */
void	 enma_arena_reset(struct enma_arena *);
void	*enma_arena_alloc(struct enma_arena *, size_t);
void	*enma_arena_calloc(struct enma_arena *, size_t n, size_t size);
/* a NUL-terminated copy of n bytes */
char	*enma_arena_strndup(struct enma_arena *, const void *, size_t n);
char	*enma_arena_strdup(struct enma_arena *, const char *);
char	*enma_arena_printf(struct enma_arena *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* enma_arena_used - bytes handed out so far (for tests and limits) */
size_t	 enma_arena_used(const struct enma_arena *);

/*
 * IP addresses.  family is 4 or 6 (not AF_*, so that the core does not
 * depend on socket headers); addr holds 4 or 16 bytes in network order.
 */
struct enma_ip {
	int		family;		/* 4, 6; 0 = unset */
	unsigned char	addr[16];
};

#define ENMA_IP_TEXT_MAX	64	/* enough for any form we write */

/*
 * enma_ip_from_text - parse an address in the forms MTAs hand us:
 * dotted IPv4, IPv6 text (RFC 4291 2.2, including embedded IPv4), each
 * optionally in [brackets] and IPv6 optionally prefixed "IPv6:" (any
 * case, Sendmail and RFC 5321 address literals).  An IPv4-mapped IPv6
 * address stays family 6; use enma_ip_unmap() to get the IPv4 address.
 */
enma_status enma_ip_from_text(struct enma_span, struct enma_ip *);
/* enma_ip_unmap - ::ffff:a.b.c.d becomes a.b.c.d; others unchanged */
void	 enma_ip_unmap(struct enma_ip *);
/*
 * enma_ip_to_text - canonical text (RFC 5952 for IPv6); len at least
 * ENMA_IP_TEXT_MAX
 */
const char *enma_ip_to_text(const struct enma_ip *, char *buf, size_t len);
/* enma_ip_to_arpa - "4.3.2.1.in-addr.arpa" / nibble form in ip6.arpa */
const char *enma_ip_to_arpa(const struct enma_ip *, char *buf, size_t len);
int	 enma_ip_eq(const struct enma_ip *, const struct enma_ip *);
/* enma_ip_prefix_eq - first bits bits equal; families must match */
int	 enma_ip_prefix_eq(const struct enma_ip *, const struct enma_ip *,
	    unsigned bits);

struct enma_cidr {
	struct enma_ip	ip;
	unsigned	bits;		/* 0..32 or 0..128 */
};

/* enma_cidr_from_text - "addr" or "addr/len"; host bits are ignored */
enma_status enma_cidr_from_text(struct enma_span, struct enma_cidr *);
/* enma_cidr_match - mapped IPv4 clients match IPv4 networks */
int	 enma_cidr_match(const struct enma_cidr *, const struct enma_ip *);

/*
 * A list of networks, e.g. common.exclusion_addresses.  Parsed from a
 * comma- or space-separated list; owns its array.
 */
struct enma_cidr_list {
	struct enma_cidr	*v;
	size_t			 n;
};

enma_status enma_cidr_list_parse(struct enma_span, struct enma_cidr_list *,
	    size_t *errpos);
void	 enma_cidr_list_free(struct enma_cidr_list *);
int	 enma_cidr_list_match(const struct enma_cidr_list *,
	    const struct enma_ip *);

/*
 * Base64 (RFC 4648) decoding that skips folding whitespace, as DKIM's
 * b= and p= tags require.  out must hold enma_base64_decoded_max(len).
 */
size_t	 enma_base64_decoded_max(size_t);
enma_status enma_base64_decode(struct enma_span, unsigned char *out,
	    size_t outlen, size_t *written);

/*
 * enma_printable - copy s into out, replacing CR, LF, controls and
 * non-ASCII bytes with '?' (or \xHH when escape is set), so that text
 * from outside can be logged or written into a header.
 */
enma_status enma_printable(struct enma_span, struct enma_buf *, int escape);

/* Time: a monotonic clock in milliseconds, for budgets. */
uint64_t enma_now_ms(void);

#endif /* ENMA_UTIL_H */
