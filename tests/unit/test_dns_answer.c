/*
 * test_dns_answer.c - the ldns backend's answer parser (dns_ldns_int.h)
 * on DNS messages built here byte by byte
 *
 * Each message is written out in RFC 1035 4.1 wire form by the helpers
 * below; the expected outcome follows from the RFC named at each case.
 * The same parser runs behind real servers in tests/dnsprobe/ (the
 * integration stage); this one needs no network, so it also runs under
 * ASan and valgrind.
 */
#include <stdio.h>
#include <string.h>

#include "dns_ldns_int.h"

#include "check.h"

#define PKT_MAX		1024
#define QR		0x8000	/* RFC 1035 4.1.1 */
#define RD		0x0100
#define RA		0x0080
#define TC		0x0200

struct pkt {
	unsigned char	b[PKT_MAX];
	size_t		len;
};

static void
put8(struct pkt *p, unsigned v)
{
	if (p->len < PKT_MAX)
		p->b[p->len++] = (unsigned char)v;
}

static void
put16(struct pkt *p, unsigned v)
{
	put8(p, v >> 8);
	put8(p, v & 0xff);
}

static void
put32(struct pkt *p, unsigned long v)
{
	put16(p, (unsigned)(v >> 16));
	put16(p, (unsigned)(v & 0xffff));
}

/* name - "a.b" as labels, with the root label; "\x.." bytes verbatim */
static void
name(struct pkt *p, const char *s)
{
	const char *dot;

	while (*s != '\0') {
		dot = strchr(s, '.');
		if (dot == NULL)
			dot = s + strlen(s);
		put8(p, (unsigned)(dot - s));
		while (s < dot)
			put8(p, (unsigned char)*s++);
		if (*s == '.')
			s++;
	}
	put8(p, 0);
}

/* head - header and one question (RFC 1035 4.1.1, 4.1.2) */
static void
head(struct pkt *p, unsigned flags, unsigned an, const char *q,
    unsigned qtype)
{
	p->len = 0;
	put16(p, 0x1234);
	put16(p, flags);
	put16(p, 1);
	put16(p, an);
	put16(p, 0);
	put16(p, 0);
	name(p, q);
	put16(p, qtype);
	put16(p, 1);		/* IN */
}

/* rr - owner (0xc00c: the question's name), type, class IN, TTL 300,
 * then rdlen bytes of rdata */
static void
rr(struct pkt *p, const char *owner, unsigned type, const void *rd,
    size_t rdlen)
{
	size_t i;

	if (owner == NULL)
		put16(p, 0xc00c);	/* RFC 1035 4.1.4 */
	else
		name(p, owner);
	put16(p, type);
	put16(p, 1);
	put32(p, 300);
	put16(p, (unsigned)rdlen);
	for (i = 0; i < rdlen; i++)
		put8(p, ((const unsigned char *)rd)[i]);
}

/* parse - the message as the answer to q/type */
static enma_status
parse(const struct pkt *p, const char *q, unsigned type,
    struct enma_arena *a, struct enma_dns_answer *ans)
{
	return dns_ldns_answer(p->b, p->len, q, (uint16_t)type, a, ans);
}

/* test_records - A, TXT, MX, PTR */
static void
test_records(struct enma_arena *a)
{
	static const unsigned char a1[] = { 192, 0, 2, 1 };
	static const unsigned char a2[] = { 192, 0, 2, 2 };
	/* RFC 1035 3.3.14: two character-strings; RFC 7208 3.3: joined */
	static const unsigned char txt[] = "\007v=spf1 \004-all";
	/* RFC 1035 3.3.9: preference, then a name (here compressed) */
	static const unsigned char mx[] = { 0, 10, 4, 'm', 'a', 'i', 'l',
	    0xc0, 0x0c };
	/* a label holding a dot and a blank, in upper case */
	static const unsigned char ptr[] = { 6, 'W', 'e', '.', 'I', 'r',
	    ' ', 3, 'O', 'R', 'G', 0 };
	struct enma_dns_answer	ans;
	struct pkt		p;

	head(&p, QR | RD | RA, 2, "example.org", 1);
	rr(&p, NULL, 1, a1, 4);
	rr(&p, "EXAMPLE.org", 1, a2, 4);	/* RFC 4343: any case */
	CHECK(parse(&p, "example.org", 1, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_RECORDS && ans.count == 2 &&
	    ans.rr[0].addr.family == 4 && ans.rr[0].addr.addr[3] == 1 &&
	    ans.rr[1].addr.addr[3] == 2 && ans.rr[0].ttl == 300,
	    "two A records");
	head(&p, QR | RD | RA, 1, "example.org", 16);
	rr(&p, NULL, 16, txt, sizeof(txt) - 1);
	CHECK(parse(&p, "example.org", 16, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_RECORDS && ans.count == 1 &&
	    ans.rr[0].txtlen == 11 && ans.rr[0].nstrings == 2 &&
	    memcmp(ans.rr[0].txt, "v=spf1 -all", 12) == 0,
	    "TXT strings joined with nothing between");
	head(&p, QR | RD | RA, 1, "example.org", 15);
	rr(&p, NULL, 15, mx, sizeof(mx));
	CHECK(parse(&p, "example.org", 15, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_RECORDS && ans.rr[0].pref == 10 &&
	    strcmp(ans.rr[0].name, "mail.example.org") == 0,
	    "MX with a compressed exchange");
	head(&p, QR | RD | RA, 1, "1.2.0.192.in-addr.arpa", 12);
	rr(&p, NULL, 12, ptr, sizeof(ptr));
	/* RFC 1035 5.1: "\." and "\DDD" in presentation form */
	CHECK(parse(&p, "1.2.0.192.in-addr.arpa", 12, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_RECORDS &&
	    strcmp(ans.rr[0].name, "we\\.ir\\032.org") == 0,
	    "PTR name escaped: %s", ans.count ? ans.rr[0].name : "-");
}

/* test_cname - RFC 1034 3.6.2, 4.3.2: the chain from the query name */
static void
test_cname(struct enma_arena *a)
{
	static const unsigned char to_d[] = { 1, 'd', 0xc0, 0x0e };
	static const unsigned char other[] = { 192, 0, 2, 9 };
	static const unsigned char seven[] = { 192, 0, 2, 7 };
	static const unsigned char to_c[] = { 0xc0, 0x0c };
	struct enma_dns_answer	ans;
	struct pkt		p;

	/* c.example.org -> d.example.org, with another name's A between */
	head(&p, QR | RD | RA, 3, "c.example.org", 1);
	rr(&p, NULL, 5, to_d, sizeof(to_d));
	rr(&p, "other.example.org", 1, other, 4);
	rr(&p, "D.Example.Org", 1, seven, 4);
	CHECK(parse(&p, "c.example.org", 1, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_RECORDS && ans.count == 1 &&
	    ans.rr[0].addr.addr[3] == 7, "CNAME chain, other owner left");
	/* a CNAME to a name with no A in the answer: no data */
	head(&p, QR | RD | RA, 1, "c.example.org", 1);
	rr(&p, NULL, 5, to_d, sizeof(to_d));
	CHECK(parse(&p, "c.example.org", 1, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_NODATA, "CNAME to nothing");
	/* a CNAME to itself: a loop */
	head(&p, QR | RD | RA, 1, "c.example.org", 1);
	rr(&p, NULL, 5, to_c, sizeof(to_c));
	CHECK(parse(&p, "c.example.org", 1, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_PERMFAIL, "CNAME loop");
}

/* test_rcodes - RFC 1035 4.1.1 RCODE, RFC 2308 2.2 NODATA */
static void
test_rcodes(struct enma_arena *a)
{
	struct enma_dns_answer	ans;
	struct pkt		p;

	head(&p, QR | RD | RA | 3, 0, "nx.example.org", 1);
	CHECK(parse(&p, "nx.example.org", 1, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_NXDOMAIN, "NXDOMAIN");
	head(&p, QR | RD | RA, 0, "example.org", 28);
	CHECK(parse(&p, "example.org", 28, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_NODATA, "NOERROR, no answer: no data");
	head(&p, QR | RD | RA | 2, 0, "example.org", 1);
	CHECK(parse(&p, "example.org", 1, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_TEMPFAIL && ans.why != NULL &&
	    strcmp(ans.why, "SERVFAIL") == 0, "SERVFAIL");
	head(&p, QR | RD | RA | 5, 0, "example.org", 1);
	CHECK(parse(&p, "example.org", 1, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_TEMPFAIL, "REFUSED");
	head(&p, QR | RD | RA | 1, 0, "example.org", 1);
	CHECK(parse(&p, "example.org", 1, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_PERMFAIL, "FORMERR");
}

/* test_not_ours - RFC 5452 9.1: not an answer to this question */
static void
test_not_ours(struct enma_arena *a)
{
	static const unsigned char a1[] = { 192, 0, 2, 1 };
	struct enma_dns_answer	ans;
	struct pkt		p;

	head(&p, RD, 0, "example.org", 1);		/* a query, QR 0 */
	CHECK(parse(&p, "example.org", 1, a, &ans) == ENMA_EINVAL &&
	    ans.rcode == ENMA_DNS_TEMPFAIL, "QR not set");
	head(&p, QR | RD | RA, 1, "example.org", 1);
	rr(&p, NULL, 1, a1, 4);
	CHECK(parse(&p, "example.com", 1, a, &ans) == ENMA_EINVAL,
	    "other name");
	CHECK(parse(&p, "example.org", 28, a, &ans) == ENMA_EINVAL,
	    "other type");
	CHECK(dns_ldns_answer(p.b, 11, "example.org", 1, a, &ans) ==
	    ENMA_EINVAL && ans.rcode == ENMA_DNS_TEMPFAIL,
	    "shorter than a header");
	CHECK(parse(&p, "bad..name", 1, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_PERMFAIL, "bad query name");
}

/* test_malformed - RFC 1035 4.1.3, 4.1.4: lengths and pointers */
static void
test_malformed(struct enma_arena *a)
{
	static const unsigned char a1[] = { 192, 0, 2, 1 };
	static const unsigned char aaaa[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct enma_dns_answer	ans;
	struct pkt		p;

	head(&p, QR | RD | RA, 1, "example.org", 1);
	rr(&p, NULL, 1, a1, 4);
	p.len -= 2;				/* rdata cut */
	CHECK(parse(&p, "example.org", 1, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_PERMFAIL, "rdata cut short");
	/* RFC 3596 2.2: an AAAA is 16 bytes; this one's 4 are followed
	 * by another record, which must not be read as the rest of it.
	 * (Surplus bytes are not caught: ldns 1.8 takes an A of RDLENGTH
	 * 6 as its first 4 bytes.) */
	head(&p, QR | RD | RA, 2, "example.org", 28);
	rr(&p, NULL, 28, a1, 4);
	rr(&p, NULL, 28, aaaa, sizeof(aaaa));
	CHECK(parse(&p, "example.org", 28, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_PERMFAIL, "AAAA rdata of 4 bytes");
	head(&p, QR | RD | RA, 1, "example.org", 1);
	put16(&p, 0xc000 | (unsigned)p.len);	/* a pointer to itself */
	put16(&p, 1);
	put16(&p, 1);
	put32(&p, 300);
	put16(&p, 4);
	put32(&p, 0xc0000201);
	CHECK(parse(&p, "example.org", 1, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_PERMFAIL, "compression loop");
	/* RFC 2181 9: TC set, records kept: the TCP retry is the
	 * transport's business, not the parser's */
	head(&p, QR | TC | RD | RA, 1, "example.org", 1);
	rr(&p, NULL, 1, a1, 4);
	CHECK(parse(&p, "example.org", 1, a, &ans) == ENMA_OK &&
	    ans.rcode == ENMA_DNS_RECORDS && ans.count == 1, "TC");
}

int
main(void)
{
	struct enma_arena *a = enma_arena_new(0);

	CHECK(a != NULL, "arena");
	test_records(a);
	test_cname(a);
	test_rcodes(a);
	test_not_ours(a);
	test_malformed(a);
	enma_arena_free(a);
	return check_done("test_dns_answer");
}
