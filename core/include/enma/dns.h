/*
 * dns.h - the resolver interface, its backends and per-message budgets
 *
 * The core asks one interface for records and blocks on it.  A lookup
 * tells records, NXDOMAIN, no data, temporary failure and permanent
 * failure apart (RFC 7208 5 and RFC 6376 6.1.2 need each).  Answers are
 * allocated in the caller's arena and live as long as it does.
 *
 * Backends: ldns (stub resolver to configured nameservers; the default),
 * zone (in-memory zone data: tests, benchmarks, offline CLI; never in a
 * daemon).  Every backend's query function may be called from many
 * threads at once.
 */
#ifndef ENMA_DNS_H
#define ENMA_DNS_H

#include <enma/util.h>

enum enma_dns_type {
	ENMA_DNS_A = 1,
	ENMA_DNS_NS = 2,
	ENMA_DNS_CNAME = 5,
	ENMA_DNS_SOA = 6,
	ENMA_DNS_PTR = 12,
	ENMA_DNS_MX = 15,
	ENMA_DNS_TXT = 16,
	ENMA_DNS_AAAA = 28,
	ENMA_DNS_SPF = 99
};

/* Outcome of one lookup.  Zero is "not looked up", never a success. */
enum enma_dns_rcode {
	ENMA_DNS_UNSET = 0,
	ENMA_DNS_RECORDS,	/* one or more records of the type asked */
	ENMA_DNS_NODATA,	/* the name exists, no record of that type */
	ENMA_DNS_NXDOMAIN,	/* the name does not exist */
	ENMA_DNS_TEMPFAIL,	/* timeout, SERVFAIL, REFUSED, network */
	ENMA_DNS_PERMFAIL	/* malformed answer, FORMERR, bad name */
};

/* DNSSEC state of an answer, where the backend knows it. */
enum enma_dns_sec {
	ENMA_DNS_SEC_UNKNOWN = 0,
	ENMA_DNS_SEC_INSECURE,
	ENMA_DNS_SEC_SECURE,	/* validated (or AD from a trusted upstream) */
	ENMA_DNS_SEC_BOGUS
};

/*
 * One resource record.  Names are in presentation form without the
 * trailing dot, lower case as received, NUL-terminated.  TXT (and SPF)
 * rdata is the concatenation of its character-strings with nothing
 * between them (RFC 7208 3.3, RFC 6376 3.6.2.2), with its length: it may
 * contain NUL bytes.
 */
struct enma_dns_rr {
	uint16_t	type;
	uint32_t	ttl;
	struct enma_ip	addr;		/* A, AAAA */
	uint16_t	pref;		/* MX */
	const char	*name;		/* MX exchange, PTR, CNAME target */
	const unsigned char *txt;	/* TXT, SPF: joined strings, NUL
					   after */
	size_t		txtlen;
	unsigned	nstrings;	/* TXT, SPF: character-strings joined */
};

struct enma_dns_answer {
	enum enma_dns_rcode	 rcode;
	enum enma_dns_sec	 sec;
	size_t			 count;
	struct enma_dns_rr	*rr;	/* count entries, in arena */
	const char		*why;	/* static text for failures, or NULL */
};

/* Bounds of what one answer may hold. */
#define ENMA_DNS_MAX_RR		256	/* records kept from one answer */
#define ENMA_DNS_MAX_NAME	255	/* RFC 1035 2.3.4 */
#define ENMA_DNS_MAX_LABEL	63	/* RFC 1035 2.3.4 */
#define ENMA_DNS_EDNS_BUFSIZE	4096

/*
 * A backend is a table of functions and its context.  query must fill
 * *ans (rcode always set) and return ENMA_OK, or ENMA_ENOMEM when the
 * arena is exhausted.  timeout_ms bounds this one lookup (0 = backend
 * default).
 */
struct enma_resolver_ops {
	const char	*name;
	enma_status	(*query)(void *ctx, const char *name, uint16_t type,
			    unsigned timeout_ms, struct enma_arena *,
			    struct enma_dns_answer *);
	void		(*free)(void *ctx);
};

struct enma_resolver {
	const struct enma_resolver_ops	*ops;
	void				*ctx;
};

/* enma_resolver_free - frees the backend and the object; NULL is a no-op */
void	 enma_resolver_free(struct enma_resolver *);

/*
 * ldns backend.  nameservers: comma/space separated addresses, or NULL
 * for /etc/resolv.conf; port 0 = 53.  timeout_ms per try, retries tries.
 * EDNS0 with ENMA_DNS_EDNS_BUFSIZE, TCP retry on truncation, DO bit set.
 * errbuf receives a reason on failure.
 */
struct enma_ldns_params {
	const char	*nameservers;
	unsigned	 port;
	unsigned	 timeout_ms;
	unsigned	 retries;
};

enma_status enma_resolver_ldns_new(const struct enma_ldns_params *,
	    struct enma_resolver **, char *errbuf, size_t errlen);

/*
 * zone backend.  Records are added in presentation form; the owner name
 * is case-insensitive and a trailing dot is ignored.  Special cases:
 * enma_zone_add_timeout makes every query for name (of any type that
 * has no record listed for it) a TEMPFAIL, as the OpenSPF suite's
 * TIMEOUT; enma_zone_add_servfail likewise.  A name with no records at
 * or below it is NXDOMAIN; a name with records of other types only, or
 * with records only below it (an empty non-terminal, RFC 4592 2.2.2,
 * RFC 8020), is NODATA.  The zone is filled before use and read-only
 * afterwards (thread-safe).
 *
 * CNAME records are followed (bounded) as a recursive resolver would.
 */
struct enma_zone;

struct enma_zone *enma_zone_new(void);
void	 enma_zone_free(struct enma_zone *);
/* rdata is presentation form: "192.0.2.1", "10 mx.example.com", "host". */
enma_status enma_zone_add(struct enma_zone *, const char *name,
	    uint16_t type, const char *rdata);
/* TXT/SPF with the strings given separately (may contain any bytes). */
enma_status enma_zone_add_txt(struct enma_zone *, const char *name,
	    uint16_t type, const struct enma_span *strings, size_t nstrings);
enma_status enma_zone_add_timeout(struct enma_zone *, const char *name);
enma_status enma_zone_add_servfail(struct enma_zone *, const char *name);
/* zone-file syntax ($ORIGIN, $TTL, A AAAA MX TXT PTR CNAME SPF), with
 * "file:line: reason" in errbuf on failure */
enma_status enma_zone_load_file(struct enma_zone *, const char *path,
	    char *errbuf, size_t errlen);
/* the same from memory (tests, fuzzing); name stands for the file in
 * errors; records of the lines before a bad one stay in the zone */
enma_status enma_zone_load_span(struct enma_zone *, struct enma_span text,
	    const char *name, char *errbuf, size_t errlen);
/* a resolver view of the zone; the zone must outlive it */
enma_status enma_resolver_zone_new(struct enma_zone *,
	    struct enma_resolver **);
/* enma_dns_type_from_text - "TXT" -> 16; 0 when unknown */
uint16_t enma_dns_type_from_text(struct enma_span);
const char *enma_dns_type_to_text(uint16_t);
const char *enma_dns_rcode_to_text(enum enma_dns_rcode);

/*
 * Per-message lookups: the budget (queries and wall clock) and an
 * optional trace of every lookup, for sidfquery -v and enma-check.
 * One context belongs to one message on one thread.
 */
typedef void enma_dns_trace_fn(void *arg, const char *name, uint16_t type,
	    const struct enma_dns_answer *);

struct enma_dns_ctx {
	struct enma_resolver	*resolver;
	uint64_t		 deadline_ms;	/* enma_now_ms() based;
						   0 = none */
	unsigned		 max_queries;	/* 0 = none */
	unsigned		 queries;	/* done so far */
	enma_dns_trace_fn	*trace;
	void			*trace_arg;
};

#define ENMA_DNS_MESSAGE_MAX_QUERIES	400	/* all methods, one message */

void	 enma_dns_ctx_init(struct enma_dns_ctx *, struct enma_resolver *,
	    unsigned budget_ms, unsigned max_queries);
/*
 * enma_dns_lookup - one lookup under the context's budget.  When the
 * budget is spent the answer is TEMPFAIL with why set, and no query is
 * sent.  Returns ENMA_ENOMEM only for arena exhaustion.
 */
enma_status enma_dns_lookup(struct enma_dns_ctx *, const char *name,
	    uint16_t type, struct enma_arena *, struct enma_dns_answer *);

#endif /* ENMA_DNS_H */
