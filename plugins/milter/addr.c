/*
 * addr.c - the SMTP client's address, as the MTAs hand it over
 *
 * Both MTAs give the connect callback a sockaddr (AF_INET, AF_INET6; an
 * IPv4 client on an IPv6 socket arrives IPv4-mapped).  Without one
 * (local submission, or an MTA that sent family "unknown") Sendmail's
 * {client_addr} macro may still hold the address, in its "IPv6:" form
 * for IPv6 (PITFALLS 16; RECIPES 7).
 */
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "milter.h"

/*
 * milter_addr_from_sockaddr - AF_INET / AF_INET6 to an enma_ip, mapped
 * IPv4 unmapped; 1 when an address was found, 0 otherwise.
 */
int
milter_addr_from_sockaddr(const struct sockaddr *sa, struct enma_ip *ip,
    unsigned *port)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(ip, 0, sizeof(*ip));
	*port = 0;
	if (sa == NULL)
		return 0;
	switch (sa->sa_family) {
	case AF_INET:
		memcpy(&sin, sa, sizeof(sin));
		ip->family = 4;
		memcpy(ip->addr, &sin.sin_addr, 4);
		*port = ntohs(sin.sin_port);
		return 1;
	case AF_INET6:
		memcpy(&sin6, sa, sizeof(sin6));
		ip->family = 6;
		memcpy(ip->addr, &sin6.sin6_addr, 16);
		*port = ntohs(sin6.sin6_port);
		enma_ip_unmap(ip);
		return 1;
	default:
		return 0;
	}
}

/*
 * milter_addr_from_macro - {client_addr}: "192.0.2.1", "IPv6:::1",
 * "IPv6:0:0:0:0:0:0:0:1", bracketed or not; 1 when parsed.
 */
int
milter_addr_from_macro(const char *text, struct enma_ip *ip)
{
	struct enma_span s;

	memset(ip, 0, sizeof(*ip));
	if (text == NULL)
		return 0;
	s = enma_span_trim_wsp(enma_span_from_cstr(text));
	if (s.len == 0 || enma_ip_from_text(s, ip) != ENMA_OK) {
		memset(ip, 0, sizeof(*ip));
		return 0;
	}
	enma_ip_unmap(ip);
	return 1;
}
