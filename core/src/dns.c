/*
 * dns.c - per-message lookups over any backend
 *
 * The budget sits here, above the backends: a message may spend so many
 * queries and so much wall-clock time, and every lookup is capped by
 * what is left, so no hostile record can hold a thread for minutes.
 */
#include <stdlib.h>
#include <string.h>

#include <enma/dns.h>

/* enma_resolver_free - free the backend and the object; NULL is a no-op */
void
enma_resolver_free(struct enma_resolver *r)
{
	if (r == NULL)
		return;
	if (r->ops != NULL && r->ops->free != NULL)
		r->ops->free(r->ctx);
	free(r);
}

/* enma_dns_ctx_init - a context with budget_ms and max_queries (0 = none) */
void
enma_dns_ctx_init(struct enma_dns_ctx *ctx, struct enma_resolver *r,
    unsigned budget_ms, unsigned max_queries)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->resolver = r;
	ctx->deadline_ms = budget_ms != 0 ? enma_now_ms() + budget_ms : 0;
	ctx->max_queries = max_queries;
}

static void
answer_fail(struct enma_dns_answer *ans, enum enma_dns_rcode rc,
    const char *why)
{
	memset(ans, 0, sizeof(*ans));
	ans->rcode = rc;
	ans->why = why;
}

/* enma_dns_lookup - one lookup under the context's budget */
enma_status
enma_dns_lookup(struct enma_dns_ctx *ctx, const char *name, uint16_t type,
    struct enma_arena *arena, struct enma_dns_answer *ans)
{
	unsigned	left = 0;
	uint64_t	now;
	enma_status	st = ENMA_OK;

	if (ctx->resolver == NULL || ctx->resolver->ops == NULL)
		answer_fail(ans, ENMA_DNS_TEMPFAIL, "no resolver");
	else if (ctx->max_queries != 0 && ctx->queries >= ctx->max_queries)
		answer_fail(ans, ENMA_DNS_TEMPFAIL, "query budget spent");
	else if (ctx->deadline_ms != 0 &&
	    (now = enma_now_ms()) >= ctx->deadline_ms)
		answer_fail(ans, ENMA_DNS_TEMPFAIL, "time budget spent");
	else {
		if (ctx->deadline_ms != 0) {
			now = enma_now_ms();
			left = (unsigned)(ctx->deadline_ms - now);
			if (left == 0)
				left = 1;
		}
		ctx->queries++;
		memset(ans, 0, sizeof(*ans));
		st = ctx->resolver->ops->query(ctx->resolver->ctx, name, type,
		    left, arena, ans);
		if (st != ENMA_OK && ans->rcode == ENMA_DNS_UNSET)
			answer_fail(ans, ENMA_DNS_TEMPFAIL, enma_strerror(st));
	}
	if (ans->rcode == ENMA_DNS_UNSET)
		answer_fail(ans, ENMA_DNS_TEMPFAIL, "backend gave no answer");
	if (ctx->trace != NULL)
		ctx->trace(ctx->trace_arg, name, type, ans);
	return st == ENMA_ENOMEM ? ENMA_ENOMEM : ENMA_OK;
}

static const struct {
	uint16_t	 type;
	const char	*text;
} dns_types[] = {
	{ ENMA_DNS_A, "A" }, { ENMA_DNS_NS, "NS" },
	{ ENMA_DNS_CNAME, "CNAME" }, { ENMA_DNS_SOA, "SOA" },
	{ ENMA_DNS_PTR, "PTR" }, { ENMA_DNS_MX, "MX" },
	{ ENMA_DNS_TXT, "TXT" }, { ENMA_DNS_AAAA, "AAAA" },
	{ ENMA_DNS_SPF, "SPF" },
};

#define NTYPES	(sizeof(dns_types) / sizeof(dns_types[0]))

/* enma_dns_type_from_text - "TXT" -> 16; 0 when unknown */
uint16_t
enma_dns_type_from_text(struct enma_span s)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (enma_span_caseeq_cstr(s, dns_types[i].text))
			return dns_types[i].type;
	return 0;
}

const char *
enma_dns_type_to_text(uint16_t type)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (dns_types[i].type == type)
			return dns_types[i].text;
	return "TYPE?";
}

const char *
enma_dns_rcode_to_text(enum enma_dns_rcode rc)
{
	switch (rc) {
	case ENMA_DNS_RECORDS:
		return "records";
	case ENMA_DNS_NODATA:
		return "no data";
	case ENMA_DNS_NXDOMAIN:
		return "NXDOMAIN";
	case ENMA_DNS_TEMPFAIL:
		return "temporary failure";
	case ENMA_DNS_PERMFAIL:
		return "permanent failure";
	case ENMA_DNS_UNSET:
		break;
	}
	return "not looked up";
}
