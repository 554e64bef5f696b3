/*
 * spf_eval.c - check_host() (RFC 7208 4, 5, 6) and the Sender ID record
 * selection (RFC 4406 4.4)
 *
 * One evaluation carries its counters across include and redirect, as
 * RFC 7208 4.6.4 requires: DNS-querying terms, void lookups, and the
 * chain of domains being evaluated (a loop guard besides the count).
 * Every DNS lookup goes through enma_dns_lookup(), so the message's
 * budget applies and a spent budget reads as a temporary error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "spf_int.h"

#define T_ERROR		(-1)	/* the verdict is in ctx->result */
#define T_NOMATCH	0
#define T_MATCH		1

#define SPF_MSG_MAX	512	/* one trace line or reason before copying */
#define SPF_TEXT_MAX	128	/* bytes of a record quoted in a trace line */

/* spf_trace - one line of text for the request's trace callback */
void
spf_trace(struct spf_ctx *ctx, const char *fmt, ...)
{
	char	buf[SPF_MSG_MAX];
	size_t	i;
	va_list	ap;

	if (ctx->req->trace == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (i = 0; buf[i] != '\0'; i++)
		if (!enma_isvchar((unsigned char)buf[i]) && buf[i] != ' ')
			buf[i] = '?';
	ctx->req->trace(ctx->req->trace_arg, ctx->depth, buf);
}

static void
set_reason(struct spf_ctx *ctx, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* set_reason - the reason text, copied into the arena */
static void
set_reason(struct spf_ctx *ctx, const char *fmt, va_list ap)
{
	char	buf[SPF_MSG_MAX];

	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	ctx->reason = enma_arena_strdup(ctx->arena, buf);
	if (ctx->reason == NULL) {
		ctx->err = ENMA_ENOMEM;
		ctx->reason = "out of memory";
	}
}

static void
reason(struct spf_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reason(struct spf_ctx *ctx, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	set_reason(ctx, fmt, ap);
	va_end(ap);
}

static int
fail_with(struct spf_ctx *ctx, enum enma_spf_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* fail_with - end the evaluation with temperror or permerror */
static int
fail_with(struct spf_ctx *ctx, enum enma_spf_result r, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	set_reason(ctx, fmt, ap);
	va_end(ap);
	ctx->result = r;
	spf_trace(ctx, "%s: %s", enma_spf_result_to_text(r), ctx->reason);
	return T_ERROR;
}

static int
oom(struct spf_ctx *ctx)
{
	ctx->err = ENMA_ENOMEM;
	ctx->result = ENMA_SPF_TEMPERROR;
	ctx->reason = "out of memory";
	return T_ERROR;
}

/*
 * lookup - one query; 1 when records of the type came back, 0 for a
 * void answer (NXDOMAIN, or no records of the type), T_ERROR with
 * temperror for a DNS failure (RFC 7208 5: any RCODE but 0 and 3).
 */
static int
lookup(struct spf_ctx *ctx, const char *name, uint16_t type,
    struct enma_dns_answer *ans)
{
	size_t	i;

	if (enma_dns_lookup(ctx->req->dns, name, type, ctx->arena, ans) !=
	    ENMA_OK)
		return oom(ctx);
	switch (ans->rcode) {
	case ENMA_DNS_RECORDS:
		for (i = 0; i < ans->count; i++)
			if (ans->rr[i].type == type)
				return 1;
		return 0;
	case ENMA_DNS_NODATA:
	case ENMA_DNS_NXDOMAIN:
		return 0;
	default:
		return fail_with(ctx, ENMA_SPF_TEMPERROR,
		    "DNS %s lookup for %s failed: %s (RFC 7208 5)",
		    enma_dns_type_to_text(type), name, ans->why != NULL ?
		    ans->why : enma_dns_rcode_to_text(ans->rcode));
	}
}

/* count_void - RFC 7208 4.6.4: more than 2 void lookups is permerror */
static int
count_void(struct spf_ctx *ctx, const char *name)
{
	ctx->voids++;
	spf_trace(ctx, "void lookup %u of %u: %s", ctx->voids,
	    ENMA_SPF_MAX_VOID, name);
	if (ctx->voids > ENMA_SPF_MAX_VOID)
		return fail_with(ctx, ENMA_SPF_PERMERROR,
		    "more than %u void DNS lookups (RFC 7208 4.6.4)",
		    ENMA_SPF_MAX_VOID);
	return T_NOMATCH;
}

/* count_term - RFC 7208 4.6.4: more than 10 DNS-querying terms */
static int
count_term(struct spf_ctx *ctx, const struct spf_term *t)
{
	ctx->dns_terms++;
	spf_trace(ctx, "DNS-querying term %u of %u: %.*s", ctx->dns_terms,
	    ENMA_SPF_MAX_DNS_MECH, (int)t->text.len, (const char *)t->text.p);
	if (ctx->dns_terms > ENMA_SPF_MAX_DNS_MECH)
		return fail_with(ctx, ENMA_SPF_PERMERROR,
		    "more than %u DNS-querying terms (RFC 7208 4.6.4)",
		    ENMA_SPF_MAX_DNS_MECH);
	return T_NOMATCH;
}

/* target - the term's domain-spec expanded, or the current domain */
static int
target(struct spf_ctx *ctx, const struct spf_term *t, const char *domain,
    const char **name)
{
	enma_status st;

	if (t->arg.len == 0) {
		*name = domain;
		return T_NOMATCH;
	}
	st = spf_expand(ctx, t->arg, domain, 0, name);
	if (st == ENMA_ENOMEM)
		return oom(ctx);
	if (st != ENMA_OK)
		return fail_with(ctx, ENMA_SPF_PERMERROR,
		    "macro expansion of %.*s failed: %s (RFC 7208 7)",
		    (int)t->text.len, (const char *)t->text.p,
		    enma_strerror(st));
	if (enma_span_chr(t->arg, '%') < t->arg.len)
		spf_trace(ctx, "%.*s expands to %s", (int)t->arg.len,
		    (const char *)t->arg.p, *name);
	return T_NOMATCH;
}

/* addr_match - any address of the type within the CIDR length */
static int
addr_match(const struct spf_ctx *ctx, const struct enma_dns_answer *ans,
    uint16_t type, unsigned bits)
{
	size_t i;

	for (i = 0; i < ans->count; i++)
		if (ans->rr[i].type == type &&
		    enma_ip_prefix_eq(&ans->rr[i].addr, &ctx->ip, bits))
			return 1;
	return 0;
}

static uint16_t
addr_type(const struct spf_ctx *ctx)
{
	return ctx->ip.family == 6 ? ENMA_DNS_AAAA : ENMA_DNS_A;
}

/* checked_name - a name we may ask DNS; others are treated as absent
 * (RFC 7208 4.3 and 4.8 by analogy: no match) */
static int
checked_name(struct spf_ctx *ctx, const char *name)
{
	if (spf_name_is_valid(name))
		return 1;
	spf_trace(ctx, "\"%s\" is not a valid DNS name: no match", name);
	return 0;
}

/* mech_a - RFC 7208 5.3 */
static int
mech_a(struct spf_ctx *ctx, const struct spf_term *t, const char *name)
{
	struct enma_dns_answer	ans;
	uint16_t		type = addr_type(ctx);
	int			rc;

	if (!checked_name(ctx, name))
		return T_NOMATCH;
	if ((rc = lookup(ctx, name, type, &ans)) <= 0)
		return rc == 0 ? count_void(ctx, name) : rc;
	return addr_match(ctx, &ans, type,
	    ctx->ip.family == 6 ? t->cidr6 : t->cidr4);
}

/* mech_mx - RFC 7208 5.4; more than 10 MX names is permerror (4.6.4) */
static int
mech_mx(struct spf_ctx *ctx, const struct spf_term *t, const char *name)
{
	struct enma_dns_answer	mx, ans;
	uint16_t		type = addr_type(ctx);
	size_t			i, n = 0;
	int			rc;

	if (!checked_name(ctx, name))
		return T_NOMATCH;
	if ((rc = lookup(ctx, name, ENMA_DNS_MX, &mx)) <= 0)
		return rc == 0 ? count_void(ctx, name) : rc;
	for (i = 0; i < mx.count; i++)
		n += mx.rr[i].type == ENMA_DNS_MX;
	if (n > ENMA_SPF_MAX_MX_NAMES)
		return fail_with(ctx, ENMA_SPF_PERMERROR,
		    "%s has %zu MX records, more than %u (RFC 7208 4.6.4)",
		    name, n, ENMA_SPF_MAX_MX_NAMES);
	for (i = 0; i < mx.count; i++) {
		const char *host = mx.rr[i].name;

		/* a null MX (RFC 7505) names no host */
		if (mx.rr[i].type != ENMA_DNS_MX || host == NULL ||
		    host[0] == '\0' || !checked_name(ctx, host))
			continue;
		if ((rc = lookup(ctx, host, type, &ans)) < 0)
			return rc;
		if (rc > 0 && addr_match(ctx, &ans, type,
		    ctx->ip.family == 6 ? t->cidr6 : t->cidr4))
			return T_MATCH;
	}
	return T_NOMATCH;
}

/* arpa_name - the client's reverse name (RFC 7208 5.5), nibbles in
 * reverse order under ip6.arpa for IPv6 */
static const char *
arpa_name(struct spf_ctx *ctx)
{
	static const char hex[] = "0123456789abcdef";
	char	*p;
	size_t	 i, n = 0;

	if (ctx->ip.family == 4)
		return enma_arena_printf(ctx->arena, "%u.%u.%u.%u.in-addr.arpa",
		    ctx->ip.addr[3], ctx->ip.addr[2], ctx->ip.addr[1],
		    ctx->ip.addr[0]);
	if ((p = enma_arena_alloc(ctx->arena, 64 + sizeof("ip6.arpa"))) == NULL)
		return NULL;
	for (i = 16; i-- > 0; ) {
		p[n++] = hex[ctx->ip.addr[i] & 0xf];
		p[n++] = '.';
		p[n++] = hex[ctx->ip.addr[i] >> 4];
		p[n++] = '.';
	}
	memcpy(p + n, "ip6.arpa", sizeof("ip6.arpa"));
	return p;
}

/* validate_one - RFC 7208 5.5: does an address of name equal the client;
 * DNS errors skip the name */
static int
validate_one(struct spf_ctx *ctx, const char *name)
{
	struct enma_dns_answer	ans;
	uint16_t		type = addr_type(ctx);
	size_t			i;

	if (!spf_name_is_valid(name))
		return 0;
	if (enma_dns_lookup(ctx->req->dns, name, type, ctx->arena, &ans) !=
	    ENMA_OK) {
		ctx->err = ENMA_ENOMEM;
		return 0;
	}
	if (ans.rcode != ENMA_DNS_RECORDS)
		return 0;
	for (i = 0; i < ans.count; i++)
		if (ans.rr[i].type == type && enma_ip_eq(&ans.rr[i].addr,
		    &ctx->ip))
			return 1;
	return 0;
}

/*
 * spf_ptr_validated - RFC 7208 5.5: the client's PTR names (the first
 * ENMA_SPF_MAX_PTR_NAMES only, 4.6.4) that end in suffix (NULL = all)
 * and whose addresses include the client; at most max of them.  A PTR
 * lookup error gives no names.  *is_void reports a void PTR lookup.
 */
enma_status
spf_ptr_validated(struct spf_ctx *ctx, const char *suffix, size_t max,
    const char ***names, size_t *count, int *is_void)
{
	struct enma_dns_answer	  ptr;
	const char		 *arpa;
	const char		**out;
	size_t			  i, seen = 0;

	*names = NULL;
	*count = 0;
	if (is_void != NULL)
		*is_void = 0;
	if (ctx->req->dns == NULL)	/* expansion without DNS: no names */
		return ENMA_OK;
	arpa = arpa_name(ctx);
	if (arpa == NULL)
		return ENMA_ENOMEM;
	if (enma_dns_lookup(ctx->req->dns, arpa, ENMA_DNS_PTR, ctx->arena,
	    &ptr) != ENMA_OK)
		return ENMA_ENOMEM;
	if (ptr.rcode == ENMA_DNS_NXDOMAIN || ptr.rcode == ENMA_DNS_NODATA ||
	    (ptr.rcode == ENMA_DNS_RECORDS && ptr.count == 0)) {
		if (is_void != NULL)
			*is_void = 1;
		return ENMA_OK;
	}
	if (ptr.rcode != ENMA_DNS_RECORDS)
		return ENMA_OK;
	out = enma_arena_calloc(ctx->arena, ENMA_SPF_MAX_PTR_NAMES,
	    sizeof(*out));
	if (out == NULL)
		return ENMA_ENOMEM;
	for (i = 0; i < ptr.count && seen < ENMA_SPF_MAX_PTR_NAMES &&
	    *count < max; i++) {
		const char *n = ptr.rr[i].name;

		if (ptr.rr[i].type != ENMA_DNS_PTR || n == NULL)
			continue;
		seen++;
		if (suffix != NULL && !spf_name_has_suffix(n, suffix))
			continue;
		if (validate_one(ctx, n))
			out[(*count)++] = n;
	}
	*names = out;
	return ctx->err;
}

/* mech_ptr - RFC 7208 5.5; lookup errors make it not match */
static int
mech_ptr(struct spf_ctx *ctx, const char *name)
{
	const char	**names;
	size_t		  n;
	int		  is_void;

	if (spf_ptr_validated(ctx, name, 1, &names, &n, &is_void) != ENMA_OK)
		return oom(ctx);
	if (is_void)
		return count_void(ctx, "PTR of the client");
	return n > 0 ? T_MATCH : T_NOMATCH;
}

/* mech_exists - RFC 7208 5.7: an A lookup, whatever the client's family */
static int
mech_exists(struct spf_ctx *ctx, const char *name)
{
	struct enma_dns_answer	ans;
	int			rc;

	if (!checked_name(ctx, name))
		return T_NOMATCH;
	if ((rc = lookup(ctx, name, ENMA_DNS_A, &ans)) <= 0)
		return rc == 0 ? count_void(ctx, name) : rc;
	return T_MATCH;
}

static enum enma_spf_result check_host(struct spf_ctx *, const char *,
    const struct enma_spf_record **, const char **);

/* mech_include - RFC 7208 5.2: the recursive result decides the match */
static int
mech_include(struct spf_ctx *ctx, const char *name)
{
	const struct enma_spf_record	*rec;
	const char			*dom;
	enum enma_spf_result		 r;

	ctx->depth++;
	r = check_host(ctx, name, &rec, &dom);
	ctx->depth--;
	switch (r) {
	case ENMA_SPF_PASS:
		return T_MATCH;
	case ENMA_SPF_FAIL:
	case ENMA_SPF_SOFTFAIL:
	case ENMA_SPF_NEUTRAL:
		return T_NOMATCH;
	case ENMA_SPF_NONE:
		return fail_with(ctx, ENMA_SPF_PERMERROR,
		    "include:%s: %s (RFC 7208 5.2)", name, ctx->reason);
	default:
		ctx->result = r;
		return T_ERROR;
	}
}

/* eval_term - one mechanism against the client */
static int
eval_term(struct spf_ctx *ctx, const struct spf_term *t, const char *domain)
{
	const char	*name = domain;
	int		 rc;

	switch (t->kind) {
	case SPF_M_ALL:
		return T_MATCH;
	case SPF_M_IP4:
		return ctx->ip.family == 4 &&
		    enma_ip_prefix_eq(&t->net, &ctx->ip, t->cidr4);
	case SPF_M_IP6:
		return ctx->ip.family == 6 &&
		    enma_ip_prefix_eq(&t->net, &ctx->ip, t->cidr6);
	}
	if ((rc = count_term(ctx, t)) < 0 ||
	    (rc = target(ctx, t, domain, &name)) < 0)
		return rc;
	switch (t->kind) {
	case SPF_M_A:
		return mech_a(ctx, t, name);
	case SPF_M_MX:
		return mech_mx(ctx, t, name);
	case SPF_M_PTR:
		return mech_ptr(ctx, name);
	case SPF_M_EXISTS:
		return mech_exists(ctx, name);
	case SPF_M_INCLUDE:
		return mech_include(ctx, name);
	}
	return T_NOMATCH;
}

/* match_reason - "mechanism X matched (SPF record of D)", built without
 * printf: this is the path every passing message takes */
static void
match_reason(struct spf_ctx *ctx, const struct spf_term *t,
    const char *domain)
{
	static const char	 a[] = "mechanism ";
	static const char	 b[] = " matched (SPF record of ";
	size_t			 dl = strlen(domain), n;
	char			*p;

	n = sizeof(a) - 1 + t->text.len + sizeof(b) - 1 + dl + 2;
	if ((p = enma_arena_alloc(ctx->arena, n)) == NULL) {
		(void)oom(ctx);
		return;
	}
	memcpy(p, a, sizeof(a) - 1);
	memcpy(p + sizeof(a) - 1, t->text.p, t->text.len);
	if (ctx->depth == 0)
		ctx->mechanism = enma_arena_strndup(ctx->arena, t->text.p,
		    t->text.len);
	n = sizeof(a) - 1 + t->text.len;
	memcpy(p + n, b, sizeof(b) - 1);
	memcpy(p + n + sizeof(b) - 1, domain, dl);
	memcpy(p + n + sizeof(b) - 1 + dl, ")", 2);
	ctx->reason = p;
}

/* eval_record - the mechanisms in order; 1 when one matched (RFC 7208
 * 4.6.2) or an error ended the evaluation, the verdict in *r */
static int
eval_record(struct spf_ctx *ctx, const struct enma_spf_record *rec,
    const char *domain, enum enma_spf_result *r)
{
	const struct spf_term	*t;
	size_t			 i;
	int			 rc;

	for (i = 0; i < rec->nterm; i++) {
		t = &rec->term[i];
		if (t->kind >= SPF_MOD_REDIRECT)
			continue;
		rc = eval_term(ctx, t, domain);
		if (rc == T_ERROR) {
			*r = ctx->result;
			return 1;
		}
		spf_trace(ctx, "%.*s: %s", (int)t->text.len,
		    (const char *)t->text.p, rc ? "match" : "no match");
		if (rc == T_MATCH) {
			*r = t->qual;
			match_reason(ctx, t, domain);
			return 1;
		}
	}
	return 0;
}

/*
 * select_record - RFC 7208 4.5 and RFC 4406 4.4: among the TXT strings,
 * the one record for the scope; spf2.0 records naming the scope win
 * over v=spf1.  1 found, 0 none (reason set), T_ERROR for permerror.
 */
static int
select_record(struct spf_ctx *ctx, const struct enma_dns_answer *ans,
    const char *domain, struct enma_span *out)
{
	size_t		i, end, n1 = 0, n2 = 0, any2 = 0;
	unsigned	scopes;
	int		v;
	struct enma_span s, pick1 = { NULL, 0 }, pick2 = { NULL, 0 };

	for (i = 0; i < ans->count; i++) {
		if (ans->rr[i].type != ENMA_DNS_TXT)
			continue;
		s = enma_span_make(ans->rr[i].txt, ans->rr[i].txtlen);
		v = spf_record_version(s, &scopes, &end);
		if (v == SPF_VERSION_2)
			any2++;
		if (!spf_scope_accepts(ctx->req->scope, v, scopes))
			continue;
		if (v == SPF_VERSION_2 && n2++ == 0)
			pick2 = s;
		else if (v == SPF_VERSION_1 && n1++ == 0)
			pick1 = s;
	}
	/* RFC 4406 3.4: v=spf1 stands in for spf2.0/mfrom,pra only when
	 * the domain publishes no spf2.0 record at all */
	if (ctx->req->scope != ENMA_SPF_SCOPE_SPF1 && any2 > 0)
		n1 = 0;
	if (n2 > 1)
		return fail_with(ctx, ENMA_SPF_PERMERROR, "%zu spf2.0 records "
		    "for the scope at %s (RFC 4406 4.4)", n2, domain);
	if (n2 == 0 && n1 > 1)
		return fail_with(ctx, ENMA_SPF_PERMERROR,
		    "%zu SPF records at %s (RFC 7208 4.5)", n1, domain);
	if (n1 + n2 == 0 && any2 > 0) {
		reason(ctx, "no spf2.0 record for this scope at %s, and its "
		    "v=spf1 record does not count (RFC 4406 3.4)", domain);
		return 0;
	}
	if (n1 + n2 == 0) {
		reason(ctx, "no SPF record at %s (RFC 7208 4.5)", domain);
		return 0;
	}
	*out = n2 ? pick2 : pick1;
	return 1;
}

/* fetch_record - RFC 7208 4.4-4.6: look up, select and parse the record
 * of domain; 1 found, 0 none, T_ERROR */
static int
fetch_record(struct spf_ctx *ctx, const char *domain,
    const struct enma_spf_record **rec)
{
	struct enma_dns_answer	 ans;
	struct enma_spf_record	*r;
	struct enma_span	 s;
	const char		*why;
	enma_status		 st;
	int			 rc;

	if (!spf_name_is_valid(domain)) {
		reason(ctx, "%s is not a valid domain name (RFC 7208 4.3)",
		    domain);
		return 0;
	}
	if ((rc = lookup(ctx, domain, ENMA_DNS_TXT, &ans)) <= 0) {
		if (rc == 0)
			reason(ctx, "no SPF record at %s (%s)", domain,
			    enma_dns_rcode_to_text(ans.rcode));
		return rc;
	}
	if ((rc = select_record(ctx, &ans, domain, &s)) <= 0)
		return rc;
	spf_trace(ctx, "SPF record of %s: %.*s", domain,
	    (int)(s.len > SPF_TEXT_MAX ? SPF_TEXT_MAX : s.len),
	    (const char *)s.p);
	st = enma_spf_record_parse(s, ctx->req->scope, ctx->arena, &r, &why);
	if (st == ENMA_ENOMEM)
		return oom(ctx);
	if (st != ENMA_OK)
		return fail_with(ctx, ENMA_SPF_PERMERROR,
		    "SPF record of %s: %s", domain, why);
	*rec = r;
	return 1;
}

/* chain_push - RFC 7208 4.6.4 loop guard: a domain already on the path
 * of includes and redirects would evaluate forever */
static int
chain_push(struct spf_ctx *ctx, const char *domain)
{
	unsigned i;

	for (i = 0; i < ctx->nchain; i++)
		if (spf_name_eq(ctx->chain[i], domain))
			return fail_with(ctx, ENMA_SPF_PERMERROR,
			    "%s includes or redirects to itself (loop)",
			    domain);
	if (ctx->nchain >= SPF_CHAIN_MAX || ctx->depth > ENMA_SPF_MAX_DEPTH)
		return fail_with(ctx, ENMA_SPF_PERMERROR,
		    "include/redirect nesting deeper than %u",
		    ENMA_SPF_MAX_DEPTH);
	ctx->chain[ctx->nchain++] = domain;
	return T_NOMATCH;
}

/* follow_redirect - RFC 7208 6.1: the target replaces the domain; a
 * target without a record is permerror */
static int
follow_redirect(struct spf_ctx *ctx, const struct enma_spf_record *rec,
    const char **domain)
{
	const struct spf_term	*t = &rec->term[rec->redirect];
	int			 rc;

	if ((rc = count_term(ctx, t)) < 0 ||
	    (rc = target(ctx, t, *domain, domain)) < 0 ||
	    (rc = chain_push(ctx, *domain)) < 0)
		return rc;
	spf_trace(ctx, "redirect to %s", *domain);
	return T_NOMATCH;
}

/*
 * check_host - RFC 7208 4: the verdict for domain; *drec and *ddomain
 * receive the record and domain that decided it (for exp=, 6.2)
 */
static enum enma_spf_result
check_host(struct spf_ctx *ctx, const char *domain,
    const struct enma_spf_record **drec, const char **ddomain)
{
	const struct enma_spf_record	*rec = NULL;
	enum enma_spf_result		 r;
	unsigned			 mark = ctx->nchain;
	int				 rc, redirected = 0;

	*drec = NULL;
	*ddomain = domain;
	if (chain_push(ctx, domain) < 0)
		return ctx->result;
	spf_trace(ctx, "check_host(%s)", domain);
	for (;;) {
		if ((rc = fetch_record(ctx, domain, &rec)) <= 0) {
			if (rc == 0 && redirected)
				(void)fail_with(ctx, ENMA_SPF_PERMERROR,
				    "redirect=%s: %s (RFC 7208 6.1)", domain,
				    ctx->reason);
			r = (rc < 0 || redirected) ? ctx->result :
			    ENMA_SPF_NONE;
			break;
		}
		*drec = rec;
		*ddomain = domain;
		if (eval_record(ctx, rec, domain, &r))
			break;
		if (rec->redirect < 0) {
			r = ENMA_SPF_NEUTRAL;
			reason(ctx, "no mechanism matched in the SPF record "
			    "of %s: neutral (RFC 7208 4.7)", domain);
			break;
		}
		if (follow_redirect(ctx, rec, &domain) < 0) {
			r = ctx->result;
			break;
		}
		redirected = 1;
	}
	ctx->nchain = mark;
	return r;
}

/*
 * explanation - RFC 7208 6.2: the exp= text of the record that decided
 * a fail.  Any problem (expansion, DNS, not exactly one TXT string, bad
 * explain-string) means no explanation; it never changes the verdict,
 * and its lookup counts against no limit (4.6.4).
 */
static const char *
explanation(struct spf_ctx *ctx, const struct enma_spf_record *rec,
    const char *domain)
{
	const struct spf_term	*t = &rec->term[rec->exp];
	struct enma_dns_answer	 ans;
	const char		*name, *text;

	if (spf_expand(ctx, t->arg, domain, 0, &name) != ENMA_OK ||
	    !spf_name_is_valid(name))
		return NULL;
	if (enma_dns_lookup(ctx->req->dns, name, ENMA_DNS_TXT, ctx->arena,
	    &ans) != ENMA_OK) {
		ctx->err = ENMA_ENOMEM;
		return NULL;
	}
	if (ans.rcode != ENMA_DNS_RECORDS || ans.count != 1 ||
	    ans.rr[0].type != ENMA_DNS_TXT) {
		spf_trace(ctx, "exp=%s: not exactly one TXT record, ignored",
		    name);
		return NULL;
	}
	if (spf_expand(ctx, enma_span_make(ans.rr[0].txt, ans.rr[0].txtlen),
	    domain, 1, &text) != ENMA_OK) {
		spf_trace(ctx, "exp=%s: bad explanation text, ignored", name);
		return NULL;
	}
	return text;
}

/*
 * check_domain - RFC 7208 4.3: a malformed or single-label domain gives
 * none without a lookup; otherwise the domain without its trailing dot
 */
static const char *
check_domain(struct spf_ctx *ctx, const char *d)
{
	struct enma_span s = enma_span_from_cstr(d);

	if (d == NULL || !spf_name_is_valid(d))
		return NULL;
	if (s.p[s.len - 1] == '.')
		s.len--;
	if (enma_span_chr(s, '.') == s.len)
		return NULL;
	return s.p[s.len] == '\0' ? d :
	    enma_arena_strndup(ctx->arena, s.p, s.len);
}

/* finish - copy the verdict into the response */
static enma_status
finish(struct spf_ctx *ctx, enum enma_spf_result r,
    struct enma_spf_response *resp)
{
	resp->result = ctx->err == ENMA_OK ? r : ENMA_SPF_TEMPERROR;
	resp->reason = ctx->err == ENMA_OK ? ctx->reason : "out of memory";
	if (resp->reason == NULL)
		resp->reason = enma_spf_result_to_text(resp->result);
	resp->mechanism = ctx->mechanism;
	resp->dns_terms = ctx->dns_terms;
	resp->void_lookups = ctx->voids;
	spf_trace(ctx, "result %s: %s", enma_spf_result_to_text(resp->result),
	    resp->reason);
	return ctx->err == ENMA_OK ? ENMA_OK : ENMA_ENOMEM;
}

/* enma_spf_check - check_host() for the request */
enma_status
enma_spf_check(const struct enma_spf_request *req, struct enma_arena *a,
    struct enma_spf_response *resp)
{
	struct spf_ctx			 ctx;
	const struct enma_spf_record	*rec;
	const char			*given, *domain, *dom;
	enum enma_spf_result		 r;

	if (req == NULL || a == NULL || resp == NULL ||
	    (req->ip.family != 4 && req->ip.family != 6))
		return ENMA_EINVAL;
	memset(resp, 0, sizeof(*resp));
	spf_ctx_init(&ctx, req, a);
	given = req->domain != NULL ? req->domain : req->sender_domain;
	if (req->dns == NULL) {
		reason(&ctx, "no resolver");
		return finish(&ctx, ENMA_SPF_TEMPERROR, resp);
	}
	if ((domain = check_domain(&ctx, given)) == NULL) {
		reason(&ctx, "\"%s\" is not a valid domain name "
		    "(RFC 7208 4.3)", given != NULL ? given : "");
		return finish(&ctx, ENMA_SPF_NONE, resp);
	}
	r = check_host(&ctx, domain, &rec, &dom);
	if (r == ENMA_SPF_FAIL && req->want_explanation && rec != NULL &&
	    rec->exp >= 0 && ctx.err == ENMA_OK)
		resp->explanation = explanation(&ctx, rec, dom);
	return finish(&ctx, r, resp);
}

static const char *const spf_result_text[] = {
	[ENMA_SPF_UNSET] = "unset",
	[ENMA_SPF_NONE] = "none",
	[ENMA_SPF_NEUTRAL] = "neutral",
	[ENMA_SPF_PASS] = "pass",
	[ENMA_SPF_FAIL] = "fail",
	[ENMA_SPF_SOFTFAIL] = "softfail",
	[ENMA_SPF_TEMPERROR] = "temperror",
	[ENMA_SPF_PERMERROR] = "permerror",
};

#define SPF_NRESULTS	(sizeof(spf_result_text) / sizeof(spf_result_text[0]))

/* enma_spf_result_to_text - "pass", "fail", ... */
const char *
enma_spf_result_to_text(enum enma_spf_result r)
{
	if ((unsigned)r >= SPF_NRESULTS)
		return "unset";
	return spf_result_text[r];
}

/* enma_spf_result_from_text - the inverse, case-insensitive; the older
 * word "hardfail" reads as fail; 0 for anything else */
enum enma_spf_result
enma_spf_result_from_text(struct enma_span s)
{
	size_t i;

	if (enma_span_caseeq_cstr(s, "hardfail"))
		return ENMA_SPF_FAIL;
	for (i = ENMA_SPF_NONE; i < SPF_NRESULTS; i++)
		if (enma_span_caseeq_cstr(s, spf_result_text[i]))
			return (enum enma_spf_result)i;
	return ENMA_SPF_UNSET;
}
