/*
 * dns_ldns.c - the ldns backend: a stub resolver to configured nameservers
 *
 * ldns builds the queries and parses the answers; the transport is ours.
 * ldns 1.8's own transport (ldns_send) opens a socket per query without
 * close-on-exec, sleeps "retrans" seconds between nameservers, marks a
 * nameserver that failed once as unreachable for the life of the
 * resolver object, and does not check that an answer matches its query.
 * Here each try uses a fresh socket (close-on-exec, non-blocking, a new
 * source port) that is closed before the lookup returns; an answer must
 * come from the server asked and match the ID and the question; one
 * deadline caps the whole lookup.  The backend is read-only after
 * creation and a lookup keeps its state on the stack, so any number of
 * threads may query at once without a lock or a pool.
 *
 * ldns is used only in this file (STYLE.md 11).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include <enma/dns.h>

#include "dns_ldns_int.h"

#define LB_MAX_NS	8	/* nameservers kept; resolv.conf(5) MAXNS: 3 */
#define LB_TIMEOUT_MS	5000	/* per try; resolv.conf(5) "timeout" default */
#define LB_TRIES	2	/* rounds; resolv.conf(5) "attempts" default */
#define LB_MAX_CNAME	16	/* CNAME hops followed within one answer */
#define LB_HDRLEN	12	/* RFC 1035 4.1.1 */
#define LB_MSGMAX	65535	/* RFC 1035 4.2.2: two-byte TCP length */
#define LB_PORT		53	/* RFC 1035 4.2 */
#define LB_TOKMAX	64	/* one nameserver address in the list */

struct lb_server {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
};

struct lb_backend {
	struct lb_server	 ns[LB_MAX_NS];
	size_t			 nns;
	unsigned		 timeout_ms;	/* per try */
	unsigned		 tries;		/* rounds over ns[] */
};

/* One lookup in progress; lives on the caller's stack. */
struct lb_lookup {
	const struct lb_backend	*be;
	ldns_pkt		*query;
	const ldns_rdf		*qname;		/* owned by query */
	uint16_t		 qtype;
	uint16_t		 id;
	int			 edns;
	uint8_t			*wire;		/* query in wire form */
	size_t			 wirelen;
	unsigned char		*buf;		/* LB_MSGMAX + 2 bytes */
	uint64_t		 deadline;
	const char		*why;
};

/* Outcome of one exchange with one server. */
enum lb_xfer {
	LB_OK,			/* an answer matching the query */
	LB_IGNORE,		/* a datagram that is not our answer */
	LB_TEMP,		/* timeout, network error; why is set */
	LB_PERM			/* malformed answer; why is set */
};

static enma_status lb_query(void *, const char *, uint16_t, unsigned,
	    struct enma_arena *, struct enma_dns_answer *);
static void lb_free(void *);

static const struct enma_resolver_ops lb_ops = {
	"ldns",
	lb_query,
	lb_free
};

/* lb_socket - a non-blocking socket that is not inherited across exec */
static int
lb_socket(int family, int type)
{
	int fd;

#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
	fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
#else
	fd = socket(family, type, 0);
	if (fd != -1 && (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) == -1)) {
		close(fd);
		fd = -1;
	}
#endif
	return fd;
}

/* lb_wait - 1 when fd is ready for events, 0 at the deadline, -1 on error */
static int
lb_wait(int fd, short events, uint64_t deadline)
{
	struct pollfd	 pfd;
	uint64_t	 now, left;
	int		 n;

	for (;;) {
		now = enma_now_ms();
		if (now >= deadline)
			return 0;
		left = deadline - now;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 1;
		if (n == 0)
			continue;	/* re-check the clock */
		if (errno != EINTR)
			return -1;
	}
}

/* lb_try_deadline - the end of one try: the per-try timeout, capped */
static uint64_t
lb_try_deadline(const struct lb_lookup *lk)
{
	uint64_t t;

	t = enma_now_ms() + lk->be->timeout_ms;
	return t < lk->deadline ? t : lk->deadline;
}

/* lb_question_ok - the answer is about the name, type and class asked */
static int
lb_question_ok(const struct lb_lookup *lk, const ldns_pkt *p)
{
	const ldns_rr_list	*q;
	const ldns_rr		*rr;

	q = ldns_pkt_question(p);
	/* RFC 6891 7: a FORMERR may come without the question */
	if (ldns_pkt_get_rcode(p) == LDNS_RCODE_FORMERR &&
	    (q == NULL || ldns_rr_list_rr_count(q) == 0))
		return 1;
	if (q == NULL || ldns_rr_list_rr_count(q) != 1)
		return 0;
	rr = ldns_rr_list_rr(q, 0);
	return ldns_rr_get_type(rr) == lk->qtype &&
	    ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	    ldns_dname_compare(ldns_rr_owner(rr), lk->qname) == 0;
}

/* lb_parse - buf as an answer to lk's question, whatever its ID */
static enum lb_xfer
lb_parse(struct lb_lookup *lk, const unsigned char *buf, size_t len,
    ldns_pkt **out)
{
	ldns_pkt *p = NULL;

	if (len < LB_HDRLEN || (buf[2] & 0x80) == 0)
		return LB_IGNORE;
	if (ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK) {
		lk->why = "malformed answer";
		return LB_PERM;
	}
	if (ldns_pkt_get_opcode(p) != LDNS_PACKET_QUERY ||
	    !lb_question_ok(lk, p)) {
		ldns_pkt_free(p);
		return LB_IGNORE;
	}
	*out = p;
	return LB_OK;
}

/* lb_check - buf as the answer to lk's query (RFC 5452 9.1) */
static enum lb_xfer
lb_check(struct lb_lookup *lk, const unsigned char *buf, size_t len,
    ldns_pkt **out)
{
	if (len < LB_HDRLEN || (uint16_t)(buf[0] << 8 | buf[1]) != lk->id)
		return LB_IGNORE;
	return lb_parse(lk, buf, len, out);
}

/* lb_udp - one query over UDP to one server, until deadline */
static enum lb_xfer
lb_udp(struct lb_lookup *lk, const struct lb_server *ns, uint64_t deadline,
    ldns_pkt **out)
{
	enum lb_xfer	 r = LB_TEMP;
	ssize_t		 n;
	int		 fd, w;

	lk->why = "network error";
	if ((fd = lb_socket(ns->ss.ss_family, SOCK_DGRAM)) == -1)
		return LB_TEMP;
	/* connected: the kernel drops datagrams from anyone else */
	if (connect(fd, (const struct sockaddr *)&ns->ss, ns->len) == -1 ||
	    send(fd, lk->wire, lk->wirelen, 0) != (ssize_t)lk->wirelen)
		goto done;
	for (;;) {
		if ((w = lb_wait(fd, POLLIN, deadline)) <= 0) {
			if (w == 0)
				lk->why = "timeout";
			break;
		}
		n = recv(fd, lk->buf, LB_MSGMAX, 0);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				continue;
			if (errno == ECONNREFUSED)
				lk->why = "connection refused";
			break;
		}
		if ((r = lb_check(lk, lk->buf, (size_t)n, out)) != LB_IGNORE)
			break;
		r = LB_TEMP;
	}
done:
	close(fd);
	return r;
}

/* lb_tcp_io - read or write exactly len bytes before the deadline */
static int
lb_tcp_io(int fd, unsigned char *p, size_t len, int writing,
    uint64_t deadline)
{
	ssize_t n;

	while (len > 0) {
		if (lb_wait(fd, writing ? POLLOUT : POLLIN, deadline) != 1)
			return -1;
		if (writing)
			n = send(fd, p, len, MSG_NOSIGNAL);
		else
			n = recv(fd, p, len, 0);
		if (n == 0)
			return -1;
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* lb_tcp_connect - a connected TCP socket to ns, or -1 */
static int
lb_tcp_connect(const struct lb_server *ns, uint64_t deadline)
{
	socklen_t	 elen = sizeof(int);
	int		 fd, err = 0;

	if ((fd = lb_socket(ns->ss.ss_family, SOCK_STREAM)) == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)&ns->ss, ns->len) == 0)
		return fd;
	if (errno == EINPROGRESS && lb_wait(fd, POLLOUT, deadline) == 1 &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 &&
	    err == 0)
		return fd;
	close(fd);
	return -1;
}

/* lb_tcp - one query over TCP (RFC 1035 4.2.2, RFC 7766) */
static enum lb_xfer
lb_tcp(struct lb_lookup *lk, const struct lb_server *ns, uint64_t deadline,
    ldns_pkt **out)
{
	enum lb_xfer	 r = LB_TEMP;
	size_t		 len;
	int		 fd;

	lk->why = "truncated and TCP failed";
	if ((fd = lb_tcp_connect(ns, deadline)) == -1)
		return LB_TEMP;
	lk->buf[0] = (unsigned char)(lk->wirelen >> 8);
	lk->buf[1] = (unsigned char)(lk->wirelen & 0xff);
	memcpy(lk->buf + 2, lk->wire, lk->wirelen);
	if (lb_tcp_io(fd, lk->buf, lk->wirelen + 2, 1, deadline) == -1 ||
	    lb_tcp_io(fd, lk->buf, 2, 0, deadline) == -1)
		goto done;
	len = (size_t)lk->buf[0] << 8 | lk->buf[1];
	if (lb_tcp_io(fd, lk->buf, len, 0, deadline) == -1)
		goto done;
	r = lb_check(lk, lk->buf, len, out);
	if (r == LB_IGNORE) {
		lk->why = "TCP answer does not match the query";
		r = LB_TEMP;
	}
done:
	close(fd);
	return r;
}

/* lb_wire - (re)build the query's wire form, with or without EDNS0 */
static int
lb_wire(struct lb_lookup *lk, int edns)
{
	free(lk->wire);
	lk->wire = NULL;
	lk->edns = edns;
	/* RFC 6891 6.1: OPT with our buffer size; RFC 3225 3: DO */
	ldns_pkt_set_edns_udp_size(lk->query,
	    edns ? ENMA_DNS_EDNS_BUFSIZE : 0);
	ldns_pkt_set_edns_do(lk->query, edns ? true : false);
	if (ldns_pkt2wire(&lk->wire, lk->query, &lk->wirelen) !=
	    LDNS_STATUS_OK || lk->wirelen > LB_MSGMAX) {
		lk->why = "out of memory";
		return -1;
	}
	return 0;
}

/* lb_ask - one server: UDP, then TCP when truncated, then without EDNS */
static enum lb_xfer
lb_ask(struct lb_lookup *lk, const struct lb_server *ns, ldns_pkt **out)
{
	enum lb_xfer r;

	r = lb_udp(lk, ns, lb_try_deadline(lk), out);
	if (r == LB_OK && ldns_pkt_tc(*out)) {
		ldns_pkt_free(*out);
		*out = NULL;
		r = lb_tcp(lk, ns, lb_try_deadline(lk), out);
	}
	/* RFC 6891 7: FORMERR without OPT: the server predates EDNS */
	if (r == LB_OK && lk->edns &&
	    ldns_pkt_get_rcode(*out) == LDNS_RCODE_FORMERR &&
	    !ldns_pkt_edns(*out)) {
		ldns_pkt_free(*out);
		*out = NULL;
		if (lb_wire(lk, 0) == -1)
			return LB_TEMP;
		r = lb_ask(lk, ns, out);
	}
	return r;
}

/* lb_rcode_final - the rcode ends the lookup; else why says what it was */
static int
lb_rcode_final(struct lb_lookup *lk, const ldns_pkt *p)
{
	switch (ldns_pkt_get_rcode(p)) {
	case LDNS_RCODE_NOERROR:
	case LDNS_RCODE_NXDOMAIN:
	case LDNS_RCODE_FORMERR:
		return 1;
	case LDNS_RCODE_SERVFAIL:
		lk->why = "SERVFAIL";
		return 0;
	case LDNS_RCODE_REFUSED:
		lk->why = "REFUSED";
		return 0;
	case LDNS_RCODE_NOTIMPL:
		lk->why = "NOTIMP";
		return 0;
	default:
		lk->why = "unexpected rcode";
		return 0;
	}
}

/* lb_exchange - ask the servers in turn until one gives a final answer */
static enum lb_xfer
lb_exchange(struct lb_lookup *lk, ldns_pkt **out)
{
	const struct lb_backend	*be = lk->be;
	unsigned		 round, done = 0, all;
	size_t			 i;
	enum lb_xfer		 r;

	all = (1u << be->nns) - 1;
	lk->why = "timeout";
	for (round = 0; round < be->tries && done != all; round++) {
		for (i = 0; i < be->nns; i++) {
			if (done & (1u << i))
				continue;
			if (enma_now_ms() >= lk->deadline) {
				lk->why = "timeout";
				return LB_TEMP;
			}
			r = lb_ask(lk, &be->ns[i], out);
			if (r == LB_PERM)
				return LB_PERM;
			if (r != LB_OK)
				continue;
			if (lb_rcode_final(lk, *out))
				return LB_OK;
			/* SERVFAIL, REFUSED: this lookup asks the others */
			ldns_pkt_free(*out);
			*out = NULL;
			done |= 1u << i;
		}
	}
	return LB_TEMP;
}

/* lb_qname - the query name in wire form; labels verbatim, no escapes */
static ldns_rdf *
lb_qname(const char *name)
{
	uint8_t	 w[ENMA_DNS_MAX_NAME];
	size_t	 len = 0, lab = 0, i;

	for (i = 0; name[i] != '\0'; i++) {
		if (name[i] != '.') {
			/* RFC 1035 2.3.4: 63-byte labels, 255-byte names */
			if (i - lab >= ENMA_DNS_MAX_LABEL ||
			    len + 1 + (i - lab) >= sizeof(w) - 1)
				return NULL;
			continue;
		}
		if (i == lab)
			return NULL;		/* empty label */
		w[len++] = (uint8_t)(i - lab);
		memcpy(w + len, name + lab, i - lab);
		len += i - lab;
		lab = i + 1;
	}
	if (i > lab) {
		w[len++] = (uint8_t)(i - lab);
		memcpy(w + len, name + lab, i - lab);
		len += i - lab;
	}
	if (len == 0)
		return NULL;			/* "" or "." */
	w[len++] = 0;
	return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, len, w);
}

/* lb_name_text - presentation form of a wire name, lower case, no final
 * dot ("." for the root); returns its length, writes it when out is set */
static size_t
lb_name_text(const uint8_t *w, size_t len, char *out)
{
	size_t	 i = 0, n = 0, end;
	int	 c;

	while (i < len && w[i] != 0) {
		end = i + 1 + w[i];
		if (n > 0 && out != NULL)
			out[n] = '.';
		n += n > 0;
		for (i++; i < end; i++) {
			c = enma_tolower(w[i]);
			if (c == '.' || c == '\\') {
				if (out != NULL)
					snprintf(out + n, 3, "\\%c", c);
				n += 2;
			} else if (c <= 0x20 || c >= 0x7f) {
				if (out != NULL)
					snprintf(out + n, 5, "\\%03u",
					    (unsigned)c);
				n += 4;
			} else {
				if (out != NULL)
					out[n] = (char)c;
				n++;
			}
		}
	}
	if (n == 0) {
		if (out != NULL)
			out[0] = '.';
		n = 1;
	}
	return n;
}

/* lb_name - an rdata name into the arena; ENMA_ESYNTAX if not a name */
static enma_status
lb_name(struct enma_arena *a, const ldns_rdf *f, const char **out)
{
	const uint8_t	*w;
	size_t		 len, i, n;
	char		*s;

	if (f == NULL || ldns_rdf_get_type(f) != LDNS_RDF_TYPE_DNAME)
		return ENMA_ESYNTAX;
	w = ldns_rdf_data(f);
	len = ldns_rdf_size(f);
	/* ldns gives it uncompressed: labels, then the root label */
	for (i = 0; i < len && w[i] != 0; i += 1 + w[i])
		if (w[i] > ENMA_DNS_MAX_LABEL)
			return ENMA_ESYNTAX;
	if (i != len - 1 || len > ENMA_DNS_MAX_NAME)
		return ENMA_ESYNTAX;
	n = lb_name_text(w, len, NULL);
	if ((s = enma_arena_alloc(a, n + 1)) == NULL)
		return ENMA_ENOMEM;
	lb_name_text(w, len, s);
	s[n] = '\0';
	*out = s;
	return ENMA_OK;
}

/* lb_txt - join a TXT RR's character-strings (RFC 7208 3.3) */
static enma_status
lb_txt(struct enma_arena *a, const ldns_rr *rr, struct enma_dns_rr *out)
{
	const ldns_rdf	*f;
	const uint8_t	*d;
	unsigned char	*p;
	size_t		 i, n, total = 0, at = 0;

	n = ldns_rr_rd_count(rr);
	for (i = 0; i < n; i++) {
		f = ldns_rr_rdf(rr, i);
		if (ldns_rdf_get_type(f) != LDNS_RDF_TYPE_STR ||
		    ldns_rdf_size(f) < 1 ||
		    ldns_rdf_data(f)[0] != ldns_rdf_size(f) - 1)
			return ENMA_ESYNTAX;
		total += ldns_rdf_size(f) - 1;
	}
	if ((p = enma_arena_alloc(a, total + 1)) == NULL)
		return ENMA_ENOMEM;
	for (i = 0; i < n; i++) {
		f = ldns_rr_rdf(rr, i);
		d = ldns_rdf_data(f);
		memcpy(p + at, d + 1, d[0]);
		at += d[0];
	}
	p[total] = '\0';
	out->txt = p;
	out->txtlen = total;
	out->nstrings = (unsigned)n;
	return ENMA_OK;
}

/* lb_addr - an A or AAAA rdata field into out->addr */
static enma_status
lb_addr(const ldns_rdf *f, size_t len, struct enma_dns_rr *out)
{
	if (f == NULL || ldns_rdf_size(f) != len)
		return ENMA_ESYNTAX;
	out->addr.family = len == 4 ? 4 : 6;
	memcpy(out->addr.addr, ldns_rdf_data(f), len);
	return ENMA_OK;
}

/* lb_rr - one record into out; ENMA_ESYNTAX when its rdata is malformed */
static enma_status
lb_rr(struct enma_arena *a, const ldns_rr *rr, struct enma_dns_rr *out)
{
	const ldns_rdf *f;

	out->type = (uint16_t)ldns_rr_get_type(rr);
	out->ttl = ldns_rr_ttl(rr);
	f = ldns_rr_rd_count(rr) > 0 ? ldns_rr_rdf(rr, 0) : NULL;
	switch (out->type) {
	case ENMA_DNS_A:
		return lb_addr(f, 4, out);
	case ENMA_DNS_AAAA:
		return lb_addr(f, 16, out);
	case ENMA_DNS_MX:
		if (ldns_rr_rd_count(rr) != 2 || ldns_rdf_size(f) != 2)
			return ENMA_ESYNTAX;
		out->pref = ldns_rdf2native_int16(f);
		return lb_name(a, ldns_rr_rdf(rr, 1), &out->name);
	case ENMA_DNS_CNAME:
	case ENMA_DNS_PTR:
	case ENMA_DNS_NS:
	case ENMA_DNS_SOA:		/* name: the primary server */
		return lb_name(a, f, &out->name);
	case ENMA_DNS_TXT:
	case ENMA_DNS_SPF:
		return lb_txt(a, rr, out);
	default:
		return ENMA_OK;		/* type and TTL only */
	}
}

/* lb_owned - rr is of the type and class asked and owned by owner */
static int
lb_owned(const ldns_rr *rr, const ldns_rdf *owner, uint16_t type)
{
	return ldns_rr_get_type(rr) == type &&
	    ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0;
}

/* lb_follow - the owner of the answer: the end of the CNAME chain that
 * starts at the query name (RFC 1034 3.6.2, 4.3.2); NULL on a loop */
static const ldns_rdf *
lb_follow(const struct lb_lookup *lk, const ldns_rr_list *an)
{
	const ldns_rdf	*owner = lk->qname;
	const ldns_rr	*rr;
	size_t		 i, n, hops;

	if (lk->qtype == ENMA_DNS_CNAME)
		return owner;
	n = an != NULL ? ldns_rr_list_rr_count(an) : 0;
	for (hops = 0; hops <= LB_MAX_CNAME; hops++) {
		for (i = 0; i < n; i++) {
			rr = ldns_rr_list_rr(an, i);
			if (lb_owned(rr, owner, ENMA_DNS_CNAME) &&
			    ldns_rr_rd_count(rr) == 1)
				break;
		}
		if (i == n)
			return owner;
		owner = ldns_rr_rdf(ldns_rr_list_rr(an, i), 0);
	}
	return NULL;
}

/* lb_fail - a failed lookup */
static void
lb_fail(struct enma_dns_answer *ans, enum enma_dns_rcode rcode,
    const char *why)
{
	ans->rcode = rcode;
	ans->count = 0;
	ans->rr = NULL;
	ans->why = why;
}

/* lb_collect - the records of a NOERROR answer, or NODATA */
static enma_status
lb_collect(const struct lb_lookup *lk, const ldns_pkt *p,
    struct enma_arena *a, struct enma_dns_answer *ans)
{
	const ldns_rr_list	*an = ldns_pkt_answer(p);
	const ldns_rdf		*owner;
	size_t			 i, n, k = 0;
	enma_status		 st;

	if ((owner = lb_follow(lk, an)) == NULL) {
		lb_fail(ans, ENMA_DNS_PERMFAIL, "CNAME chain too long");
		return ENMA_OK;
	}
	n = an != NULL ? ldns_rr_list_rr_count(an) : 0;
	for (i = 0; i < n; i++)
		k += lb_owned(ldns_rr_list_rr(an, i), owner, lk->qtype);
	if (k == 0) {
		ans->rcode = ENMA_DNS_NODATA;
		return ENMA_OK;
	}
	if (k > ENMA_DNS_MAX_RR) {
		lb_fail(ans, ENMA_DNS_PERMFAIL, "too many records");
		return ENMA_OK;
	}
	if ((ans->rr = enma_arena_calloc(a, k, sizeof(*ans->rr))) == NULL)
		goto nomem;
	for (i = 0, k = 0; i < n; i++) {
		if (!lb_owned(ldns_rr_list_rr(an, i), owner, lk->qtype))
			continue;
		st = lb_rr(a, ldns_rr_list_rr(an, i), &ans->rr[k++]);
		if (st == ENMA_ENOMEM)
			goto nomem;
		if (st != ENMA_OK) {
			lb_fail(ans, ENMA_DNS_PERMFAIL, "malformed rdata");
			return ENMA_OK;
		}
	}
	ans->count = k;
	ans->rcode = ENMA_DNS_RECORDS;
	return ENMA_OK;
nomem:
	lb_fail(ans, ENMA_DNS_TEMPFAIL, "out of memory");
	return ENMA_ENOMEM;
}

/* lb_map - a final answer into *ans */
static enma_status
lb_map(const struct lb_lookup *lk, const ldns_pkt *p, struct enma_arena *a,
    struct enma_dns_answer *ans)
{
	/* RFC 4035 3.2.3, RFC 6840 5.8: AD from the (trusted) upstream */
	ans->sec = ldns_pkt_ad(p) ? ENMA_DNS_SEC_SECURE : ENMA_DNS_SEC_UNKNOWN;
	switch (ldns_pkt_get_rcode(p)) {
	case LDNS_RCODE_NOERROR:
		return lb_collect(lk, p, a, ans);
	case LDNS_RCODE_NXDOMAIN:
		/* RFC 6604 3: after a CNAME, it is about the last name */
		ans->rcode = ENMA_DNS_NXDOMAIN;
		return ENMA_OK;
	case LDNS_RCODE_FORMERR:
		lb_fail(ans, ENMA_DNS_PERMFAIL, "FORMERR");
		return ENMA_OK;
	default:
		lb_fail(ans, ENMA_DNS_TEMPFAIL, "unexpected rcode");
		return ENMA_OK;
	}
}

/* lb_start - the query packet, its wire form and the answer buffer;
 * ENMA_DNS_UNSET when ready, else the failure's rcode with why set */
static enum enma_dns_rcode
lb_start(struct lb_lookup *lk, const char *name, uint16_t type)
{
	ldns_rdf *qname;

	lk->qtype = type;
	if (name == NULL || (qname = lb_qname(name)) == NULL) {
		lk->why = "bad query name";
		return ENMA_DNS_PERMFAIL;
	}
	lk->why = "out of memory";
	lk->query = ldns_pkt_query_new(qname, (ldns_rr_type)type,
	    LDNS_RR_CLASS_IN, LDNS_RD);
	if (lk->query == NULL) {
		ldns_rdf_deep_free(qname);
		return ENMA_DNS_TEMPFAIL;
	}
	lk->qname = qname;
	/* RFC 5452 4.1: an unpredictable ID (ldns: RAND_bytes); the
	 * packet comes with ID 0 */
	ldns_pkt_set_random_id(lk->query);
	lk->id = ldns_pkt_id(lk->query);
	if ((lk->buf = malloc(LB_MSGMAX + 2)) == NULL || lb_wire(lk, 1) == -1)
		return ENMA_DNS_TEMPFAIL;
	return ENMA_DNS_UNSET;
}

/* lb_query - the query function of the ops table */
static enma_status
lb_query(void *ctx, const char *name, uint16_t type, unsigned timeout_ms,
    struct enma_arena *a, struct enma_dns_answer *ans)
{
	struct lb_lookup	 lk;
	const struct lb_backend	*be = ctx;
	ldns_pkt		*reply = NULL;
	enum enma_dns_rcode	 fail;
	uint64_t		 budget;
	enma_status		 st = ENMA_OK;
	enum lb_xfer		 r;

	memset(ans, 0, sizeof(*ans));
	memset(&lk, 0, sizeof(lk));
	lk.be = be;
	budget = (uint64_t)be->timeout_ms * be->tries * be->nns;
	if (timeout_ms != 0 && timeout_ms < budget)
		budget = timeout_ms;
	lk.deadline = enma_now_ms() + budget;
	if ((fail = lb_start(&lk, name, type)) != ENMA_DNS_UNSET)
		lb_fail(ans, fail, lk.why);
	else if ((r = lb_exchange(&lk, &reply)) == LB_OK)
		st = lb_map(&lk, reply, a, ans);
	else
		lb_fail(ans, r == LB_PERM ? ENMA_DNS_PERMFAIL :
		    ENMA_DNS_TEMPFAIL, lk.why);
	ldns_pkt_free(reply);
	ldns_pkt_free(lk.query);
	free(lk.wire);
	free(lk.buf);
	return st;
}

/* dns_ldns_answer - msg as the final answer to a query, see dns_ldns_int.h */
enma_status
dns_ldns_answer(const unsigned char *msg, size_t len, const char *name,
    uint16_t type, struct enma_arena *a, struct enma_dns_answer *ans)
{
	struct lb_lookup	 lk;
	ldns_rdf		*qname;
	ldns_pkt		*p = NULL;
	enma_status		 st = ENMA_OK;

	memset(ans, 0, sizeof(*ans));
	memset(&lk, 0, sizeof(lk));
	lk.qtype = type;
	if (name == NULL || (qname = lb_qname(name)) == NULL) {
		lb_fail(ans, ENMA_DNS_PERMFAIL, "bad query name");
		return ENMA_OK;
	}
	lk.qname = qname;
	switch (lb_parse(&lk, msg, len, &p)) {
	case LB_OK:
		if (lb_rcode_final(&lk, p))
			st = lb_map(&lk, p, a, ans);
		else
			lb_fail(ans, ENMA_DNS_TEMPFAIL, lk.why);
		break;
	case LB_PERM:
		lb_fail(ans, ENMA_DNS_PERMFAIL, lk.why);
		break;
	default:
		lb_fail(ans, ENMA_DNS_TEMPFAIL, "not an answer to the query");
		st = ENMA_EINVAL;
		break;
	}
	ldns_pkt_free(p);
	ldns_rdf_deep_free(qname);
	return st;
}

/* lb_free - the free function of the ops table */
static void
lb_free(void *ctx)
{
	free(ctx);
}

/* lb_add - one nameserver address with the port for all */
static int
lb_add(struct lb_backend *be, const struct enma_ip *ip, unsigned port)
{
	struct lb_server	*s;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;

	if (be->nns >= LB_MAX_NS)
		return -1;
	s = &be->ns[be->nns++];
	memset(s, 0, sizeof(*s));
	if (ip->family == 4) {
		sin = (struct sockaddr_in *)&s->ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, ip->addr, 4);
		s->len = sizeof(*sin);
	} else {
		sin6 = (struct sockaddr_in6 *)&s->ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		memcpy(&sin6->sin6_addr, ip->addr, 16);
		s->len = sizeof(*sin6);
	}
	return 0;
}

/* lb_parse_list - "addr, addr addr" into be; -1 with errbuf set */
static int
lb_parse_list(struct lb_backend *be, const char *list, unsigned port,
    char *errbuf, size_t errlen)
{
	struct enma_ip	 ip;
	size_t		 i = 0, start;

	for (;;) {
		while (list[i] == ',' || list[i] == ' ' || list[i] == '\t')
			i++;
		if (list[i] == '\0')
			break;
		start = i;
		while (list[i] != '\0' && list[i] != ',' && list[i] != ' ' &&
		    list[i] != '\t')
			i++;
		if (enma_ip_from_text(enma_span_make(list + start, i - start),
		    &ip) != ENMA_OK) {
			snprintf(errbuf, errlen, "bad nameserver address "
			    "\"%.*s\"", (int)(i - start < LB_TOKMAX ?
			    i - start : LB_TOKMAX), list + start);
			return -1;
		}
		enma_ip_unmap(&ip);
		if (lb_add(be, &ip, port) == -1) {
			snprintf(errbuf, errlen, "more than %d nameservers",
			    LB_MAX_NS);
			return -1;
		}
	}
	return 0;
}

/* lb_resolv_conf - the nameservers of /etc/resolv.conf, via ldns */
static int
lb_resolv_conf(struct lb_backend *be, unsigned port, char *errbuf,
    size_t errlen)
{
	ldns_resolver	*res = NULL;
	ldns_rdf	**v;
	struct enma_ip	 ip;
	ldns_status	 s;
	size_t		 i, n;

	s = ldns_resolver_new_frm_file(&res, NULL);
	if (s == LDNS_STATUS_FILE_ERR)
		return 0;	/* resolv.conf(5): no file, this host */
	if (s != LDNS_STATUS_OK) {
		snprintf(errbuf, errlen, "/etc/resolv.conf: %s",
		    ldns_get_errorstr_by_id(s));
		return -1;
	}
	v = ldns_resolver_nameservers(res);
	n = ldns_resolver_nameserver_count(res);
	for (i = 0; i < n && be->nns < LB_MAX_NS; i++) {
		memset(&ip, 0, sizeof(ip));
		if (ldns_rdf_get_type(v[i]) == LDNS_RDF_TYPE_A &&
		    ldns_rdf_size(v[i]) == 4)
			ip.family = 4;
		else if (ldns_rdf_get_type(v[i]) == LDNS_RDF_TYPE_AAAA &&
		    ldns_rdf_size(v[i]) == 16)
			ip.family = 6;
		else
			continue;
		memcpy(ip.addr, ldns_rdf_data(v[i]), ldns_rdf_size(v[i]));
		(void)lb_add(be, &ip, port);
	}
	ldns_resolver_deep_free(res);
	return 0;
}

/* lb_setup - fill be from params; -1 with errbuf set */
static int
lb_setup(struct lb_backend *be, const struct enma_ldns_params *pa,
    char *errbuf, size_t errlen)
{
	struct enma_ip	 lo;
	unsigned	 port;

	if (pa->port > 65535) {
		snprintf(errbuf, errlen, "bad port %u", pa->port);
		return -1;
	}
	port = pa->port != 0 ? pa->port : LB_PORT;
	be->timeout_ms = pa->timeout_ms != 0 ? pa->timeout_ms : LB_TIMEOUT_MS;
	be->tries = pa->retries != 0 ? pa->retries : LB_TRIES;
	if (pa->nameservers != NULL) {
		if (lb_parse_list(be, pa->nameservers, port, errbuf,
		    errlen) == -1)
			return -1;
		if (be->nns == 0) {
			snprintf(errbuf, errlen, "no nameserver given");
			return -1;
		}
		return 0;
	}
	if (lb_resolv_conf(be, port, errbuf, errlen) == -1)
		return -1;
	if (be->nns == 0) {
		/* resolv.conf(5): no nameserver (or no file): this host */
		memset(&lo, 0, sizeof(lo));
		lo.family = 4;
		lo.addr[0] = 127;
		lo.addr[3] = 1;
		(void)lb_add(be, &lo, port);
	}
	return 0;
}

/* enma_resolver_ldns_new - the ldns backend, see dns.h */
enma_status
enma_resolver_ldns_new(const struct enma_ldns_params *pa,
    struct enma_resolver **out, char *errbuf, size_t errlen)
{
	struct lb_backend	*be;
	struct enma_resolver	*r;
	char			 dummy[1];

	if (errbuf == NULL || errlen == 0) {
		errbuf = dummy;
		errlen = sizeof(dummy);
	}
	errbuf[0] = '\0';
	if (pa == NULL || out == NULL) {
		snprintf(errbuf, errlen, "no parameters");
		return ENMA_EINVAL;
	}
	*out = NULL;
	if ((be = calloc(1, sizeof(*be))) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL) {
		free(be);
		snprintf(errbuf, errlen, "out of memory");
		return ENMA_ENOMEM;
	}
	if (lb_setup(be, pa, errbuf, errlen) == -1) {
		free(be);
		free(r);
		return ENMA_EINVAL;
	}
	r->ops = &lb_ops;
	r->ctx = be;
	*out = r;
	return ENMA_OK;
}
