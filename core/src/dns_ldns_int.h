/*
 * dns_ldns_int.h - the ldns backend's answer parser, for its fuzz target
 * and tests
 *
 * The transport (sockets, IDs, retries, TCP after truncation, EDNS
 * fallback) stays inside dns_ldns.c; this is the part that turns the
 * bytes of one DNS message from the network into an enma_dns_answer.
 * No ldns type appears here (STYLE.md 11).
 */
#ifndef ENMA_DNS_LDNS_INT_H
#define ENMA_DNS_LDNS_INT_H

#include <stddef.h>
#include <stdint.h>

#include <enma/dns.h>

/*
 * dns_ldns_answer - msg (len bytes, one DNS message in wire form as
 * received, RFC 1035 4.1) taken as the final answer to a query for name
 * and type, whatever its ID: *ans is what a lookup that got it would
 * give (records following the CNAME chain from name, NODATA, NXDOMAIN,
 * TEMPFAIL for SERVFAIL and the like, PERMFAIL for a malformed message).
 * The TC bit is not looked at: the lookup retries over TCP instead.
 * Records live in the arena.  Returns ENMA_OK; ENMA_EINVAL when msg is
 * not an answer to that question (a lookup would drop it and wait on;
 * ans is then TEMPFAIL); ENMA_ENOMEM when the arena is exhausted.
 */
enma_status dns_ldns_answer(const unsigned char *msg, size_t len,
	    const char *name, uint16_t type, struct enma_arena *,
	    struct enma_dns_answer *);

#endif /* ENMA_DNS_LDNS_INT_H */
