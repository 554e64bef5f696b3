/*
 * spf.h - SPF (RFC 7208) and the Sender ID record scopes (RFC 4406)
 *
 * One evaluator serves both: the scope decides which records are
 * selected (v=spf1, or spf2.0/mfrom and spf2.0/pra with the fallback to
 * v=spf1 of RFC 4406 4.4); evaluation, macros and limits are shared.
 */
#ifndef ENMA_SPF_H
#define ENMA_SPF_H

#include <enma/util.h>
#include <enma/dns.h>

/* Verdicts, RFC 7208 2.6.  Zero means "not checked", never a pass. */
enum enma_spf_result {
	ENMA_SPF_UNSET = 0,
	ENMA_SPF_NONE,
	ENMA_SPF_NEUTRAL,
	ENMA_SPF_PASS,
	ENMA_SPF_FAIL,
	ENMA_SPF_SOFTFAIL,
	ENMA_SPF_TEMPERROR,
	ENMA_SPF_PERMERROR
};

enum enma_spf_scope {
	ENMA_SPF_SCOPE_SPF1 = 1,	/* RFC 7208: v=spf1 only */
	ENMA_SPF_SCOPE_MFROM,		/* RFC 4406: spf2.0/mfrom or v=spf1 */
	ENMA_SPF_SCOPE_PRA		/* RFC 4406: spf2.0/pra, else v=spf1 */
};

/* Limits, each with the rule that sets it. */
#define ENMA_SPF_MAX_DNS_MECH	10	/* RFC 7208 4.6.4: DNS-querying terms */
#define ENMA_SPF_MAX_VOID	2	/* RFC 7208 4.6.4: void lookups */
#define ENMA_SPF_MAX_MX_NAMES	10	/* RFC 7208 4.6.4: MX names looked up */
#define ENMA_SPF_MAX_PTR_NAMES	10	/* RFC 7208 4.6.4: PTR names checked */
#define ENMA_SPF_MAX_DEPTH	10	/* include/redirect nesting guard */
#define ENMA_SPF_MAX_RECORD	4096	/* bytes of one record we parse */
#define ENMA_SPF_MAX_TERMS	256	/* terms in one record */
#define ENMA_SPF_MAX_EXPANSION	253	/* RFC 7208 7.3: domain-spec result */
#define ENMA_SPF_MAX_EXPLANATION 1024	/* bytes of exp= text kept */

const char *enma_spf_result_to_text(enum enma_spf_result);	/* "pass" ... */
/* enma_spf_result_from_text - inverse, "hardfail" accepted; 0 if unknown */
enum enma_spf_result enma_spf_result_from_text(struct enma_span);

/*
 * Trace of an evaluation, for sidfquery -v and enma-check: one line of
 * text per step (record selected, term evaluated, limit counted, why the
 * verdict came out).  depth is the include/redirect depth.
 */
typedef void enma_spf_trace_fn(void *arg, unsigned depth, const char *msg);

struct enma_spf_request {
	enum enma_spf_scope	 scope;
	struct enma_ip		 ip;		/* the client (%{i}, %{c}) */
	/* sender: "local@domain" (%{s}); local part may be empty */
	const char		*sender_local;
	const char		*sender_domain;
	const char		*helo;		/* %{h}; may be NULL */
	const char		*receiver;	/* %{r}; NULL = "unknown" */
	/* domain check_host() starts with; NULL = sender_domain */
	const char		*domain;
	int			 want_explanation;	/* fetch exp= on fail */
	struct enma_dns_ctx	*dns;
	enma_spf_trace_fn	*trace;
	void			*trace_arg;
};

struct enma_spf_response {
	enum enma_spf_result	 result;
	const char		*explanation;	/* exp= text on fail, or NULL */
	const char		*reason;	/* why, in words */
	const char		*mechanism;	/* the term that matched */
	unsigned		 dns_terms;	/* counted against 4.6.4 */
	unsigned		 void_lookups;
};

/*
 * enma_spf_check - check_host() of RFC 7208 4 for the request.  All
 * strings of the response live in the arena.  Returns ENMA_OK whenever a
 * verdict was reached (temperror and permerror included); ENMA_ENOMEM
 * when the arena ran out (the caller reports temperror).
 */
enma_status enma_spf_check(const struct enma_spf_request *,
	    struct enma_arena *, struct enma_spf_response *);

/*
 * The parser and macro expander, exported for the fuzzers and for
 * sidfquery's explanations.
 *
 * enma_spf_record_parse - parse a record's text (the version term
 * included) into terms.  ENMA_ESYNTAX with a reason on a bad record.
 */
struct enma_spf_record;

enma_status enma_spf_record_parse(struct enma_span, enum enma_spf_scope,
	    struct enma_arena *, struct enma_spf_record **, const char **why);
size_t	 enma_spf_record_terms(const struct enma_spf_record *);

/*
 * enma_spf_macro_expand - RFC 7208 7: expand macro-string with the
 * request's values; domain is %{d}.  explain enables %{c} %{r} %{t}
 * (7.2: exp= text only).  The result is checked against
 * ENMA_SPF_MAX_EXPANSION for domain-spec (explain = 0): RFC 7208 7.3
 * drops labels from the left until it fits.
 */
enma_status enma_spf_macro_expand(struct enma_span macro_string,
	    const struct enma_spf_request *, const char *domain, int explain,
	    struct enma_arena *, const char **out);

#endif /* ENMA_SPF_H */
