/*
 * dkim_adsp.c - DKIM Author Domain Signing Practices (RFC 5617)
 *
 * ADSP is Historic, but the original ENMA checked it (dkimadsp.auth),
 * so this does what RFC 5617 4.3 says, with these readings:
 *
 *	- an Author Domain Signature is a signature with verdict pass whose
 *	  d= equals the author domain (RFC 5617 2.7); one gives pass
 *	  without any lookup (the original ENMA's shortcut: 3.2 says such
 *	  a message already complies with any practice);
 *	- the domain-scope check (4.3 step 1) asks for the author domain's
 *	  A records: only NXDOMAIN matters (NODATA is not NXDOMAIN);
 *	- TXT records at _adsp._domainkey that are not ADSP records (not a
 *	  tag list, no dkim= tag) are ignored, as NODATA (4.2.1); none left
 *	  is none; more than one ADSP record is permerror, since the RFC
 *	  gives no way to choose;
 *	- a dkim= value other than unknown, all and discardable is unknown
 *	  (4.2.1);
 *	- DNS: a temporary failure of either lookup is temperror (4.3 step
 *	  2: SERVFAIL gives no result), a permanent one permerror.
 */
#include <stdio.h>
#include <string.h>

#include <enma/mail.h>

#include "dkim_int.h"

#define ADSP_PREFIX		"_adsp._domainkey."
#define ADSP_MAX_NAME		ENMA_DNS_MAX_NAME

static const char *const adsp_words[] = {
	[ENMA_ADSP_UNSET] = "unset",
	[ENMA_ADSP_NONE] = "none",
	[ENMA_ADSP_PASS] = "pass",
	[ENMA_ADSP_UNKNOWN] = "unknown",
	[ENMA_ADSP_FAIL] = "fail",
	[ENMA_ADSP_DISCARD] = "discard",
	[ENMA_ADSP_NXDOMAIN] = "nxdomain",
	[ENMA_ADSP_TEMPERROR] = "temperror",
	[ENMA_ADSP_PERMERROR] = "permerror",
};

/* enma_adsp_result_to_text - the RFC 5617 5.4 word */
const char *
enma_adsp_result_to_text(enum enma_adsp_result r)
{
	if ((unsigned)r >= sizeof(adsp_words) / sizeof(adsp_words[0]))
		return "unset";
	return adsp_words[r];
}

/* author_signed - a passing signature whose d= is the author domain */
static int
author_signed(const char *domain, const struct enma_dkim_sig *sigs,
    size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (sigs[k].result == ENMA_DKIM_PASS && sigs[k].d != NULL &&
		    enma_span_caseeq_cstr(enma_span_from_cstr(sigs[k].d),
		    domain))
			return 1;
	return 0;
}

/* adsp_word - the practice of one ADSP record; 0 if not one */
static enum enma_adsp_result
adsp_word(struct enma_span rec)
{
	struct dkim_taglist	 tl;
	const struct dkim_tag	*t;
	const char		*why;

	if (dkim_tags_parse(rec, &tl, &why) != ENMA_OK ||
	    (t = dkim_tag_get(&tl, "dkim")) == NULL)
		return ENMA_ADSP_UNSET;
	if (enma_span_caseeq_cstr(t->value, "all"))
		return ENMA_ADSP_FAIL;
	if (enma_span_caseeq_cstr(t->value, "discardable"))
		return ENMA_ADSP_DISCARD;
	return ENMA_ADSP_UNKNOWN;
}

/* dns_trouble - temperror or permerror for a failed lookup, or 0 */
static enum enma_adsp_result
dns_trouble(const struct enma_dns_answer *ans)
{
	if (ans->rcode == ENMA_DNS_TEMPFAIL)
		return ENMA_ADSP_TEMPERROR;
	if (ans->rcode == ENMA_DNS_PERMFAIL)
		return ENMA_ADSP_PERMERROR;
	return ENMA_ADSP_UNSET;
}

/* adsp_record - 4.3 step 2: the practice published for the domain */
static enma_status
adsp_record(struct enma_dns_ctx *dns, const char *domain,
    struct enma_arena *a, enum enma_adsp_result *res, const char **reason)
{
	struct enma_dns_answer	ans;
	char			name[ADSP_MAX_NAME + 2];
	enum enma_adsp_result	w, found = ENMA_ADSP_UNSET;
	size_t			i, nrec = 0;

	if (strlen(ADSP_PREFIX) + strlen(domain) > ADSP_MAX_NAME) {
		*res = ENMA_ADSP_PERMERROR;
		*reason = "ADSP record name longer than 255 octets";
		return ENMA_OK;
	}
	(void)snprintf(name, sizeof(name), "%s%s", ADSP_PREFIX, domain);
	if (enma_dns_lookup(dns, name, ENMA_DNS_TXT, a, &ans) != ENMA_OK)
		return ENMA_ENOMEM;
	if ((*res = dns_trouble(&ans)) != ENMA_ADSP_UNSET) {
		*reason = enma_arena_printf(a, "ADSP lookup for %s failed: "
		    "DNS %s (RFC 5617 4.3)", name, ans.why != NULL ? ans.why :
		    enma_dns_rcode_to_text(ans.rcode));
		return ENMA_OK;
	}
	for (i = 0; ans.rcode == ENMA_DNS_RECORDS && i < ans.count; i++)
		if (ans.rr[i].type == ENMA_DNS_TXT &&
		    (w = adsp_word(enma_span_make(ans.rr[i].txt,
		    ans.rr[i].txtlen))) != ENMA_ADSP_UNSET) {
			found = w;
			nrec++;
		}
	if (nrec > 1) {
		*res = ENMA_ADSP_PERMERROR;
		*reason = "more than one ADSP record (RFC 5617 4.3)";
	} else if (nrec == 0) {
		*res = ENMA_ADSP_NONE;
		*reason = "no ADSP record (RFC 5617 4.3)";
	} else {
		*res = found;
		*reason = found == ENMA_ADSP_FAIL ? "no valid author domain "
		    "signature; ADSP dkim=all (RFC 5617 4.2.1)" :
		    found == ENMA_ADSP_DISCARD ? "no valid author domain "
		    "signature; ADSP dkim=discardable (RFC 5617 4.2.1)" :
		    "no valid author domain signature; ADSP dkim=unknown "
		    "(RFC 5617 4.2.1)";
	}
	return ENMA_OK;
}

/* adsp_check - RFC 5617 4.3 for the author domain */
static enma_status
adsp_check(struct enma_dns_ctx *dns, const char *author_domain,
    const struct enma_dkim_sig *sigs, size_t nsigs, struct enma_arena *a,
    enum enma_adsp_result *res, const char **reason)
{
	struct enma_dns_answer	 ans;
	const char		*domain;

	*res = ENMA_ADSP_PERMERROR;
	*reason = "no author domain";
	if (author_domain == NULL || author_domain[0] == '\0')
		return ENMA_OK;
	if (enma_domain_normalise(enma_span_from_cstr(author_domain), a,
	    &domain) != ENMA_OK || !enma_domain_is_valid(
	    enma_span_from_cstr(domain))) {
		*reason = "author domain is not a domain name";
		return ENMA_OK;
	}
	if (author_signed(domain, sigs, nsigs)) {
		*res = ENMA_ADSP_PASS;
		*reason = NULL;
		return ENMA_OK;
	}
	if (dns == NULL) {
		*res = ENMA_ADSP_TEMPERROR;
		*reason = "no resolver";
		return ENMA_OK;
	}
	if (enma_dns_lookup(dns, domain, ENMA_DNS_A, a, &ans) != ENMA_OK)
		return ENMA_ENOMEM;
	if ((*res = dns_trouble(&ans)) != ENMA_ADSP_UNSET) {
		*reason = enma_arena_printf(a, "author domain lookup failed: "
		    "DNS %s (RFC 5617 4.3)", ans.why != NULL ? ans.why :
		    enma_dns_rcode_to_text(ans.rcode));
		return ENMA_OK;
	}
	if (ans.rcode == ENMA_DNS_NXDOMAIN) {
		*res = ENMA_ADSP_NXDOMAIN;
		*reason = "author domain does not exist (RFC 5617 4.3)";
		return ENMA_OK;
	}
	return adsp_record(dns, domain, a, res, reason);
}

/* enma_adsp_check - RFC 5617 for the author domain; a reason but on pass */
enma_status
enma_adsp_check(struct enma_dns_ctx *dns, const char *author_domain,
    const struct enma_dkim_sig *sigs, size_t nsigs, struct enma_arena *a,
    enum enma_adsp_result *res, const char **reason)
{
	enma_status st;

	st = adsp_check(dns, author_domain, sigs, nsigs, a, res, reason);
	if (st != ENMA_OK) {
		*res = ENMA_ADSP_TEMPERROR;
		*reason = "out of memory";
	} else if (*res != ENMA_ADSP_PASS && *reason == NULL)
		*reason = "out of memory";
	return st;
}
