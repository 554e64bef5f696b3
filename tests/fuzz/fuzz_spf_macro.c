/*
 * fuzz_spf_macro.c - SPF macro expansion (RFC 7208 7) on arbitrary
 * macro-strings.  The first byte picks explain-string rules and the
 * client's address family; %{p} is answered from a small zone.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <enma/dns.h>
#include <enma/spf.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct enma_resolver *
resolver(void)
{
	static struct enma_resolver	*r;
	struct enma_zone		*z;

	if (r != NULL)
		return r;
	z = enma_zone_new();
	enma_zone_add(z, "3.2.0.192.in-addr.arpa", ENMA_DNS_PTR,
	    "mx.example.org");
	enma_zone_add(z, "mx.example.org", ENMA_DNS_A, "192.0.2.3");
	enma_zone_add(z, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8."
	    "b.d.0.1.0.0.2.ip6.arpa", ENMA_DNS_PTR, "v6.example.org");
	enma_zone_add(z, "v6.example.org", ENMA_DNS_AAAA, "2001:db8::cb01");
	enma_resolver_zone_new(z, &r);	/* the zone lives as long */
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enma_spf_request	 req;
	struct enma_dns_ctx	 dns;
	struct enma_arena	*a;
	const char		*out;

	if (size < 1 || (a = enma_arena_new(1024 * 1024)) == NULL)
		return 0;
	memset(&req, 0, sizeof(req));
	req.scope = ENMA_SPF_SCOPE_SPF1;
	enma_ip_from_text(enma_span_from_cstr((data[0] & 2) ?
	    "2001:db8::cb01" : "192.0.2.3"), &req.ip);
	req.sender_local = (data[0] & 4) ? "" : "strong-bad";
	req.sender_domain = "email.example.com";
	req.helo = (data[0] & 8) ? NULL : "mx.example.org";
	enma_dns_ctx_init(&dns, resolver(), 0, 50);
	req.dns = &dns;
	if (enma_spf_macro_expand(enma_span_make(data + 1, size - 1), &req,
	    "email.example.com", data[0] & 1, a, &out) == ENMA_OK &&
	    !(data[0] & 1) && strlen(out) > ENMA_SPF_MAX_EXPANSION &&
	    memchr(out, '.', strlen(out)) != NULL)
		__builtin_trap();	/* RFC 7208 7.3 fitting failed */
	enma_arena_free(a);
	return 0;
}
