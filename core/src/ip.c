/*
 * ip.c - IP addresses, CIDR networks and base64
 *
 * Address text comes from MTAs in several dialects: Postfix gives plain
 * text, Sendmail "IPv6:" literals in uncompressed form, RFC 5321 address
 * literals add brackets.  All of them end up as struct enma_ip.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <enma/util.h>

#define IP_TEXT_IN_MAX	64	/* longest address text we accept */

/* strip_literal - drop [brackets] and an "IPv6:" tag */
static struct enma_span
strip_literal(struct enma_span s, int *tagged)
{
	*tagged = 0;
	if (s.len >= 2 && s.p[0] == '[' && s.p[s.len - 1] == ']') {
		s.p++;
		s.len -= 2;
	}
	if (enma_span_has_caseprefix(s, "IPv6:")) {
		s.p += 5;
		s.len -= 5;
		*tagged = 1;
	}
	return s;
}

/* enma_ip_from_text - IPv4 or IPv6 text in the forms MTAs use */
enma_status
enma_ip_from_text(struct enma_span s, struct enma_ip *ip)
{
	char	buf[IP_TEXT_IN_MAX];
	int	tagged;

	memset(ip, 0, sizeof(*ip));
	s = strip_literal(s, &tagged);
	if (s.len == 0 || s.len >= sizeof(buf) ||
	    enma_span_chr(s, '\0') < s.len)
		return ENMA_ESYNTAX;
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	if (!tagged && enma_span_chr(s, ':') == s.len) {
		if (inet_pton(AF_INET, buf, ip->addr) != 1)
			return ENMA_ESYNTAX;
		ip->family = 4;
		return ENMA_OK;
	}
	if (inet_pton(AF_INET6, buf, ip->addr) != 1) {
		memset(ip, 0, sizeof(*ip));
		return ENMA_ESYNTAX;
	}
	ip->family = 6;
	return ENMA_OK;
}

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* enma_ip_unmap - ::ffff:a.b.c.d becomes a.b.c.d */
void
enma_ip_unmap(struct enma_ip *ip)
{
	if (ip->family != 6 || memcmp(ip->addr, v4mapped, 12) != 0)
		return;
	memmove(ip->addr, ip->addr + 12, 4);
	memset(ip->addr + 4, 0, 12);
	ip->family = 4;
}

/* enma_ip_to_text - canonical text (RFC 5952 for IPv6) */
const char *
enma_ip_to_text(const struct enma_ip *ip, char *buf, size_t len)
{
	int af = ip->family == 4 ? AF_INET : AF_INET6;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (ip->family != 4 && ip->family != 6)
		return buf;
	if (inet_ntop(af, ip->addr, buf, (socklen_t)len) == NULL)
		buf[0] = '\0';
	return buf;
}

/* enma_ip_to_arpa - reverse name: in-addr.arpa or ip6.arpa nibbles */
const char *
enma_ip_to_arpa(const struct enma_ip *ip, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	struct enma_buf b;
	int i;

	enma_buf_init(&b, 128);
	if (ip->family == 4) {
		(void)enma_buf_printf(&b, "%u.%u.%u.%u.in-addr.arpa",
		    ip->addr[3], ip->addr[2], ip->addr[1], ip->addr[0]);
	} else if (ip->family == 6) {
		for (i = 15; i >= 0; i--) {
			(void)enma_buf_putc(&b, hex[ip->addr[i] & 0xf]);
			(void)enma_buf_putc(&b, '.');
			(void)enma_buf_putc(&b, hex[ip->addr[i] >> 4]);
			(void)enma_buf_putc(&b, '.');
		}
		(void)enma_buf_puts(&b, "ip6.arpa");
	}
	if (len > 0) {
		buf[0] = '\0';
		if (b.status == ENMA_OK && b.p != NULL && b.len < len)
			memcpy(buf, b.p, b.len + 1);
	}
	enma_buf_free(&b);
	return buf;
}

int
enma_ip_eq(const struct enma_ip *a, const struct enma_ip *b)
{
	return a->family == b->family && a->family != 0 &&
	    memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

/* enma_ip_prefix_eq - the first bits bits are equal */
int
enma_ip_prefix_eq(const struct enma_ip *a, const struct enma_ip *b,
    unsigned bits)
{
	unsigned	max = a->family == 4 ? 32 : 128, full, rest;
	unsigned char	mask;

	if (a->family != b->family || a->family == 0 || bits > max)
		return 0;
	full = bits / 8;
	rest = bits % 8;
	if (memcmp(a->addr, b->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a->addr[full] & mask) == (b->addr[full] & mask);
}

/* enma_cidr_from_text - "addr" or "addr/len" */
enma_status
enma_cidr_from_text(struct enma_span s, struct enma_cidr *c)
{
	size_t		slash = enma_span_chr(s, '/');
	uint64_t	bits;
	unsigned	max;
	enma_status	st;

	memset(c, 0, sizeof(*c));
	if ((st = enma_ip_from_text(enma_span_make(s.p, slash), &c->ip)) != 0)
		return st;
	max = c->ip.family == 4 ? 32 : 128;
	if (slash == s.len) {
		c->bits = max;
		return ENMA_OK;
	}
	st = enma_span_to_uint(enma_span_make(s.p + slash + 1,
	    s.len - slash - 1), max, &bits);
	if (st != ENMA_OK)
		return ENMA_ESYNTAX;
	c->bits = (unsigned)bits;
	return ENMA_OK;
}

/* enma_cidr_match - mapped IPv4 clients match IPv4 networks */
int
enma_cidr_match(const struct enma_cidr *c, const struct enma_ip *ip)
{
	struct enma_ip u = *ip;

	if (c->ip.family == 4)
		enma_ip_unmap(&u);
	return enma_ip_prefix_eq(&c->ip, &u, c->bits);
}

static int
is_list_sep(int c)
{
	return c == ',' || c == ' ' || c == '\t';
}

/* enma_cidr_list_parse - comma/space separated networks */
enma_status
enma_cidr_list_parse(struct enma_span s, struct enma_cidr_list *l,
    size_t *errpos)
{
	struct enma_cidr	*v = NULL, *nv;
	size_t			 n = 0, i = 0, start;
	enma_status		 st;

	while (i < s.len) {
		while (i < s.len && is_list_sep(s.p[i]))
			i++;
		if (i == s.len)
			break;
		start = i;
		while (i < s.len && !is_list_sep(s.p[i]))
			i++;
		if ((nv = realloc(v, (n + 1) * sizeof(*v))) == NULL) {
			free(v);
			return ENMA_ENOMEM;
		}
		v = nv;
		st = enma_cidr_from_text(enma_span_make(s.p + start,
		    i - start), &v[n]);
		if (st != ENMA_OK) {
			free(v);
			if (errpos != NULL)
				*errpos = start;
			return st;
		}
		n++;
	}
	l->v = v;
	l->n = n;
	return ENMA_OK;
}

void
enma_cidr_list_free(struct enma_cidr_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
enma_cidr_list_match(const struct enma_cidr_list *l, const struct enma_ip *ip)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (enma_cidr_match(&l->v[i], ip))
			return 1;
	return 0;
}

/* enma_base64_decoded_max - an upper bound on the decoded size */
size_t
enma_base64_decoded_max(size_t len)
{
	return len / 4 * 3 + 3;
}

static int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* enma_base64_decode - RFC 4648 base64, folding whitespace skipped */
enma_status
enma_base64_decode(struct enma_span s, unsigned char *out, size_t outlen,
    size_t *written)
{
	uint32_t	acc = 0;
	size_t		i, o = 0, nch = 0, pad = 0;
	int		v;

	for (i = 0; i < s.len; i++) {
		int c = s.p[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(c)) < 0)
			return ENMA_ESYNTAX;
		acc = (acc << 6) | (uint32_t)v;
		if (++nch % 4 == 0) {
			if (outlen - o < 3)
				return ENMA_ELIMIT;
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	switch (nch % 4) {
	case 0:
		if (pad != 0)
			return ENMA_ESYNTAX;
		break;
	case 2:
		if (pad > 2 || outlen - o < 1)
			return pad > 2 ? ENMA_ESYNTAX : ENMA_ELIMIT;
		out[o++] = (unsigned char)(acc >> 4);
		break;
	case 3:
		if (pad > 1 || outlen - o < 2)
			return pad > 1 ? ENMA_ESYNTAX : ENMA_ELIMIT;
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
		break;
	default:
		return ENMA_ESYNTAX;
	}
	*written = o;
	return ENMA_OK;
}
