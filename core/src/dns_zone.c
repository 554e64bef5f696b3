/*
 * dns_zone.c - the in-memory zone backend: tests, benchmarks and the
 * offline CLI; never a daemon's resolver
 *
 * Owner names hash into a table of nodes, each with its records.  The
 * zone is filled first and only read afterwards, so queries from many
 * threads need no lock.  Answers point into the zone's own memory (the
 * zone must outlive every arena that holds an answer); only the record
 * array is allocated in the caller's arena.
 *
 * The special cases follow the OpenSPF test-suite drivers: a name marked
 * TIMEOUT answers the types it has records for and times out for every
 * other type (../shared/testsuites/SOURCES.md, "spf/").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enma/dns.h>

#define ZONE_NAME_BUF		(ENMA_DNS_MAX_NAME + 2)
#define ZONE_MAX_CNAME_CHAIN	8	/* hops followed, as resolvers do */
#define ZONE_DEFAULT_TTL	3600
#define ZONE_MAX_RDATA		65535	/* RFC 1035 3.2.1: 16-bit RDLENGTH */
#define ZONE_MAX_FILE		(64u * 1024 * 1024)
#define ZONE_FIRST_BUCKETS	64
#define ZONE_MAX_LABELS		128	/* RFC 1035 2.3.4: 255 bytes */

struct zone_rr {
	uint16_t	 type;
	uint32_t	 ttl;
	struct enma_ip	 addr;
	uint16_t	 pref;
	char		*name;
	unsigned char	*txt;
	size_t		 txtlen;
	unsigned	 nstrings;
};

struct zone_node {
	struct zone_node	*next;
	uint32_t		 hash;
	char			*owner;
	struct zone_rr		*rr;
	size_t			 nrr;
	size_t			 cap;
	int			 timeout;
	int			 servfail;
};

struct enma_zone {
	struct zone_node	**bucket;
	size_t			  nbucket;
	size_t			  nnode;
	uint32_t		  ttl;		/* for records added next */
};

/* name_key - lower case, no trailing dot; ENMA_EINVAL when too long */
static enma_status
name_key(const char *name, char *key)
{
	size_t	n = strlen(name), i;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n > ENMA_DNS_MAX_NAME)
		return ENMA_EINVAL;
	for (i = 0; i < n; i++)
		key[i] = (char)enma_tolower((unsigned char)name[i]);
	key[n] = '\0';
	return ENMA_OK;
}

/* hash_name - FNV-1a */
static uint32_t
hash_name(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h;
}

static struct zone_node *
zone_find(const struct enma_zone *z, const char *key)
{
	uint32_t		 h = hash_name(key);
	struct zone_node	*n;

	for (n = z->bucket[h & (z->nbucket - 1)]; n != NULL; n = n->next)
		if (n->hash == h && strcmp(n->owner, key) == 0)
			return n;
	return NULL;
}

/* zone_grow - double the table when it is full */
static enma_status
zone_grow(struct enma_zone *z)
{
	struct zone_node	**nb, *n, *next;
	size_t			  nn = z->nbucket * 2, i;

	if ((nb = calloc(nn, sizeof(*nb))) == NULL)
		return ENMA_ENOMEM;
	for (i = 0; i < z->nbucket; i++) {
		for (n = z->bucket[i]; n != NULL; n = next) {
			next = n->next;
			n->next = nb[n->hash & (nn - 1)];
			nb[n->hash & (nn - 1)] = n;
		}
	}
	free(z->bucket);
	z->bucket = nb;
	z->nbucket = nn;
	return ENMA_OK;
}

/* zone_node_new - a node for key, which is not in the table yet */
static struct zone_node *
zone_node_new(struct enma_zone *z, const char *key)
{
	struct zone_node *n;

	if (z->nnode >= z->nbucket && zone_grow(z) != ENMA_OK)
		return NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->owner = strdup(key)) == NULL) {
		free(n);
		return NULL;
	}
	n->hash = hash_name(key);
	n->next = z->bucket[n->hash & (z->nbucket - 1)];
	z->bucket[n->hash & (z->nbucket - 1)] = n;
	z->nnode++;
	return n;
}

/*
 * zone_node_parents - a node without records for every name between key
 * and its top label: RFC 1034 3.1 and RFC 4592 2.2.2, a name exists when
 * a name below it does (an empty non-terminal answers "no data", RFC 8020
 * 2).  Made here, once, so that a query stays one hash lookup.  Made from
 * the top down: a node in the table always has all its parents.
 */
static enma_status
zone_node_parents(struct enma_zone *z, const char *key)
{
	size_t	dot[ZONE_MAX_LABELS], ndot = 0, i;

	for (i = 0; key[i] != '\0'; i++) {
		if (key[i] == '\\' && key[i + 1] != '\0')
			i++;		/* RFC 1035 5.1: "\." is no dot */
		else if (key[i] == '.' && key[i + 1] != '\0' &&
		    ndot < ZONE_MAX_LABELS)
			dot[ndot++] = i + 1;
	}
	while (ndot-- > 0) {
		if (zone_find(z, key + dot[ndot]) == NULL &&
		    zone_node_new(z, key + dot[ndot]) == NULL)
			return ENMA_ENOMEM;
	}
	return ENMA_OK;
}

/* zone_node_get - the node for name, created (with its parents) when
 * absent */
static enma_status
zone_node_get(struct enma_zone *z, const char *name, struct zone_node **out)
{
	char	key[ZONE_NAME_BUF];

	if (name == NULL || name_key(name, key) != ENMA_OK)
		return ENMA_EINVAL;
	if ((*out = zone_find(z, key)) != NULL)
		return ENMA_OK;
	if (zone_node_parents(z, key) != ENMA_OK ||
	    (*out = zone_node_new(z, key)) == NULL)
		return ENMA_ENOMEM;
	return ENMA_OK;
}

/* node_add - append a copy of rr (taking its allocations) */
static enma_status
node_add(struct zone_node *n, struct zone_rr *rr)
{
	struct zone_rr	*nv;
	size_t		 cap;

	if (n->nrr == n->cap) {
		cap = n->cap ? n->cap * 2 : 2;
		if ((nv = realloc(n->rr, cap * sizeof(*nv))) == NULL)
			return ENMA_ENOMEM;
		n->rr = nv;
		n->cap = cap;
	}
	n->rr[n->nrr++] = *rr;
	return ENMA_OK;
}

static void
rr_free(struct zone_rr *rr)
{
	free(rr->name);
	free(rr->txt);
}

/* zone_add_rr - add rr under name; rr's allocations pass to the zone */
static enma_status
zone_add_rr(struct enma_zone *z, const char *name, struct zone_rr *rr)
{
	struct zone_node	*n;
	enma_status		 st;

	if (rr->ttl == 0)
		rr->ttl = z->ttl;
	if ((st = zone_node_get(z, name, &n)) == ENMA_OK)
		st = node_add(n, rr);
	if (st != ENMA_OK)
		rr_free(rr);
	return st;
}

/* enma_zone_new - an empty zone */
struct enma_zone *
enma_zone_new(void)
{
	struct enma_zone *z;

	if ((z = calloc(1, sizeof(*z))) == NULL)
		return NULL;
	z->nbucket = ZONE_FIRST_BUCKETS;
	z->ttl = ZONE_DEFAULT_TTL;
	if ((z->bucket = calloc(z->nbucket, sizeof(*z->bucket))) == NULL) {
		free(z);
		return NULL;
	}
	return z;
}

/* enma_zone_free - the zone and every record; NULL is a no-op */
void
enma_zone_free(struct enma_zone *z)
{
	struct zone_node	*n, *next;
	size_t			 i, j;

	if (z == NULL)
		return;
	for (i = 0; i < z->nbucket; i++) {
		for (n = z->bucket[i]; n != NULL; n = next) {
			next = n->next;
			for (j = 0; j < n->nrr; j++)
				rr_free(&n->rr[j]);
			free(n->rr);
			free(n->owner);
			free(n);
		}
	}
	free(z->bucket);
	free(z);
}

/* host_copy - a host name without its trailing dot ("." is the root) */
static char *
host_copy(struct enma_span s)
{
	char *p;

	if (s.len > 0 && s.p[s.len - 1] == '.')
		s.len--;
	if (s.len > ENMA_DNS_MAX_NAME || (p = malloc(s.len + 1)) == NULL)
		return NULL;
	memcpy(p, s.p, s.len);
	p[s.len] = '\0';
	return p;
}

/* parse_mx - "preference host" */
static enma_status
parse_mx(struct enma_span s, struct zone_rr *rr)
{
	size_t		i = 0, j;
	uint64_t	pref;

	s = enma_span_trim_wsp(s);
	while (i < s.len && enma_isdigit(s.p[i]))
		i++;
	if (enma_span_to_uint(enma_span_make(s.p, i), 65535, &pref) != ENMA_OK)
		return ENMA_ESYNTAX;
	for (j = i; j < s.len && enma_iswsp(s.p[j]); j++)
		continue;
	if (j == i && j < s.len)
		return ENMA_ESYNTAX;
	rr->pref = (uint16_t)pref;
	rr->name = host_copy(enma_span_make(s.p + j, s.len - j));
	return rr->name != NULL ? ENMA_OK : ENMA_ESYNTAX;
}

/* txt_escape - RFC 1035 5.1: \DDD is a byte in decimal, \X is X */
static size_t
txt_escape(struct enma_span s, size_t i, struct enma_buf *b)
{
	unsigned v;

	if (i + 3 < s.len && enma_isdigit(s.p[i + 1]) &&
	    enma_isdigit(s.p[i + 2]) && enma_isdigit(s.p[i + 3])) {
		v = (unsigned)(s.p[i + 1] - '0') * 100 +
		    (unsigned)(s.p[i + 2] - '0') * 10 +
		    (unsigned)(s.p[i + 3] - '0');
		if (v > 255) {
			b->status = ENMA_ESYNTAX;
			return s.len;
		}
		(void)enma_buf_putc(b, (int)v);
		return i + 4;
	}
	if (i + 1 >= s.len) {
		b->status = ENMA_ESYNTAX;
		return s.len;
	}
	(void)enma_buf_putc(b, s.p[i + 1]);
	return i + 2;
}

/* txt_strings - RFC 1035 5.1 character-strings, quoted or bare,
 * separated by whitespace; the bytes are joined into b */
static enma_status
txt_strings(struct enma_span s, struct enma_buf *b, unsigned *n)
{
	size_t	i = 0;
	int	quoted;

	*n = 0;
	while (i < s.len && b->status == ENMA_OK) {
		if (enma_iswsp(s.p[i]) || s.p[i] == '\r' || s.p[i] == '\n') {
			i++;
			continue;
		}
		quoted = s.p[i] == '"';
		i += quoted;
		(*n)++;
		while (i < s.len && b->status == ENMA_OK) {
			if (quoted ? s.p[i] == '"' : enma_iswsp(s.p[i]))
				break;
			if (s.p[i] == '\\')
				i = txt_escape(s, i, b);
			else
				(void)enma_buf_putc(b, s.p[i++]);
		}
		if (quoted && (i >= s.len || s.p[i++] != '"'))
			return ENMA_ESYNTAX;
	}
	return b->status;
}

/* parse_txt - presentation-form TXT rdata into rr */
static enma_status
parse_txt(struct enma_span s, struct zone_rr *rr)
{
	struct enma_buf	b;
	enma_status	st;

	enma_buf_init(&b, ZONE_MAX_RDATA);
	(void)enma_buf_append(&b, "", 0);	/* a NUL even when empty */
	if ((st = txt_strings(s, &b, &rr->nstrings)) != ENMA_OK) {
		enma_buf_free(&b);
		return st;
	}
	rr->txt = (unsigned char *)b.p;	/* NUL after len */
	rr->txtlen = b.len;
	return ENMA_OK;
}

/* parse_rdata - presentation-form rdata of type into rr */
static enma_status
parse_rdata(uint16_t type, struct enma_span s, struct zone_rr *rr)
{
	memset(rr, 0, sizeof(*rr));
	rr->type = type;
	s = enma_span_trim_wsp(s);
	switch (type) {
	case ENMA_DNS_A:
	case ENMA_DNS_AAAA:
		if (enma_ip_from_text(s, &rr->addr) != ENMA_OK ||
		    rr->addr.family != (type == ENMA_DNS_A ? 4 : 6))
			return ENMA_ESYNTAX;
		return ENMA_OK;
	case ENMA_DNS_MX:
		return parse_mx(s, rr);
	case ENMA_DNS_PTR:
	case ENMA_DNS_CNAME:
	case ENMA_DNS_NS:
		if (s.len == 0)
			return ENMA_ESYNTAX;
		rr->name = host_copy(s);
		return rr->name != NULL ? ENMA_OK : ENMA_ESYNTAX;
	case ENMA_DNS_TXT:
	case ENMA_DNS_SPF:
		return parse_txt(s, rr);
	}
	return ENMA_EINVAL;
}

/* enma_zone_add - one record in presentation form */
enma_status
enma_zone_add(struct enma_zone *z, const char *name, uint16_t type,
    const char *rdata)
{
	struct zone_rr	rr;
	enma_status	st;

	if (z == NULL || name == NULL || rdata == NULL)
		return ENMA_EINVAL;
	if ((st = parse_rdata(type, enma_span_from_cstr(rdata), &rr)) !=
	    ENMA_OK) {
		rr_free(&rr);
		return st;
	}
	return zone_add_rr(z, name, &rr);
}

/* enma_zone_add_txt - TXT or SPF from separate character-strings */
enma_status
enma_zone_add_txt(struct enma_zone *z, const char *name, uint16_t type,
    const struct enma_span *strings, size_t nstrings)
{
	struct zone_rr	rr;
	size_t		i, len = 0;

	if (z == NULL || name == NULL ||
	    (type != ENMA_DNS_TXT && type != ENMA_DNS_SPF) ||
	    (nstrings > 0 && strings == NULL))
		return ENMA_EINVAL;
	for (i = 0; i < nstrings; i++) {
		if (strings[i].len > ZONE_MAX_RDATA - len)
			return ENMA_ELIMIT;
		len += strings[i].len;
	}
	memset(&rr, 0, sizeof(rr));
	rr.type = type;
	rr.nstrings = (unsigned)nstrings;
	rr.txtlen = len;
	if ((rr.txt = malloc(len + 1)) == NULL)
		return ENMA_ENOMEM;
	for (len = 0, i = 0; i < nstrings; i++) {
		if (strings[i].len > 0)
			memcpy(rr.txt + len, strings[i].p, strings[i].len);
		len += strings[i].len;
	}
	rr.txt[len] = '\0';
	return zone_add_rr(z, name, &rr);
}

/* enma_zone_add_timeout - the name times out for types it has no
 * records of */
enma_status
enma_zone_add_timeout(struct enma_zone *z, const char *name)
{
	struct zone_node	*n;
	enma_status		 st;

	if (z == NULL)
		return ENMA_EINVAL;
	if ((st = zone_node_get(z, name, &n)) == ENMA_OK)
		n->timeout = 1;
	return st;
}

/* enma_zone_add_servfail - likewise, answering SERVFAIL */
enma_status
enma_zone_add_servfail(struct enma_zone *z, const char *name)
{
	struct zone_node	*n;
	enma_status		 st;

	if (z == NULL)
		return ENMA_EINVAL;
	if ((st = zone_node_get(z, name, &n)) == ENMA_OK)
		n->servfail = 1;
	return st;
}

/*
 * Zone files (RFC 1035 5.1, the subset tests need): $ORIGIN, $TTL, "@",
 * relative names, an optional TTL and class before the type, ";"
 * comments, one record per line.  As an extension for test zones, the
 * type TIMEOUT or SERVFAIL (no rdata) marks the owner like
 * enma_zone_add_timeout() / enma_zone_add_servfail().
 */
struct zone_file {
	struct enma_zone	*z;
	const char		*path;
	unsigned		 line;
	char			 origin[ZONE_NAME_BUF];
	char			 owner[ZONE_NAME_BUF];
	int			 have_owner;
	char			*err;
	size_t			 errlen;
};

static enma_status
zf_error(struct zone_file *f, const char *why)
{
	if (f->err != NULL && f->errlen > 0)
		(void)snprintf(f->err, f->errlen, "%s:%u: %s", f->path,
		    f->line, why);
	return ENMA_ESYNTAX;
}

/* zf_name - a name token made absolute (no trailing dot) in out */
static enma_status
zf_name(const struct zone_file *f, struct enma_span t, char *out)
{
	size_t olen = strlen(f->origin);

	if (t.len == 1 && t.p[0] == '@') {
		memcpy(out, f->origin, olen + 1);
		return ENMA_OK;
	}
	if (t.len > 0 && t.p[t.len - 1] == '.') {
		if (t.len - 1 > ENMA_DNS_MAX_NAME)
			return ENMA_ESYNTAX;
		memcpy(out, t.p, t.len - 1);
		out[t.len - 1] = '\0';
		return ENMA_OK;
	}
	if (t.len + 1 + olen > ENMA_DNS_MAX_NAME)
		return ENMA_ESYNTAX;
	memcpy(out, t.p, t.len);
	out[t.len] = '\0';
	if (olen > 0) {
		out[t.len] = '.';
		memcpy(out + t.len + 1, f->origin, olen + 1);
	}
	return ENMA_OK;
}

/* zf_token - the next run of non-blank bytes from *i */
static struct enma_span
zf_token(struct enma_span s, size_t *i)
{
	size_t start;

	while (*i < s.len && enma_iswsp(s.p[*i]))
		(*i)++;
	for (start = *i; *i < s.len && !enma_iswsp(s.p[*i]); (*i)++)
		continue;
	return enma_span_make(s.p + start, *i - start);
}

/* zf_strip - the line without its comment (";" outside quotes) and
 * trailing blanks */
static struct enma_span
zf_strip(struct enma_span s)
{
	size_t	i;
	int	q = 0;

	for (i = 0; i < s.len; i++) {
		if (s.p[i] == '\\' && i + 1 < s.len)
			i++;
		else if (s.p[i] == '"')
			q = !q;
		else if (s.p[i] == ';' && !q)
			break;
	}
	while (i > 0 && (enma_iswsp(s.p[i - 1]) || s.p[i - 1] == '\r'))
		i--;
	return enma_span_make(s.p, i);
}

/* zf_directive - $ORIGIN and $TTL */
static enma_status
zf_directive(struct zone_file *f, struct enma_span s)
{
	size_t		 i = 0;
	struct enma_span d = zf_token(s, &i), v = zf_token(s, &i);
	char		 name[ZONE_NAME_BUF];
	uint64_t	 ttl;

	if (enma_span_caseeq_cstr(d, "$ORIGIN")) {
		if (v.len == 0 || zf_name(f, v, name) != ENMA_OK)
			return zf_error(f, "bad $ORIGIN");
		memcpy(f->origin, name, sizeof(name));
		return ENMA_OK;
	}
	if (enma_span_caseeq_cstr(d, "$TTL")) {
		if (enma_span_to_uint(v, UINT32_MAX, &ttl) != ENMA_OK ||
		    ttl == 0)
			return zf_error(f, "bad $TTL");
		f->z->ttl = (uint32_t)ttl;
		return ENMA_OK;
	}
	return zf_error(f, "unknown directive");
}

/* zf_host_rdata - rdata whose last token is a host name, made absolute */
static enma_status
zf_host_rdata(const struct zone_file *f, uint16_t type, struct enma_span s,
    char *out, size_t outlen)
{
	char		 host[ZONE_NAME_BUF];
	size_t		 i = 0;
	struct enma_span pref = { NULL, 0 }, h;
	int		 n;

	if (type == ENMA_DNS_MX)
		pref = zf_token(s, &i);
	h = zf_token(s, &i);
	if (h.len == 0 || zf_token(s, &i).len != 0 ||
	    zf_name(f, h, host) != ENMA_OK)
		return ENMA_ESYNTAX;
	/* a preference too long for out is refused, never cut */
	n = snprintf(out, outlen, "%.*s %s.", (int)pref.len,
	    pref.p != NULL ? (const char *)pref.p : "", host);
	return n >= 0 && (size_t)n < outlen ? ENMA_OK : ENMA_ESYNTAX;
}

/* zf_record - "[ttl] [IN] type rdata" for owner */
static enma_status
zf_record(struct zone_file *f, struct enma_span s, size_t i)
{
	struct enma_span t;
	struct zone_rr	 rr;
	uint64_t	 ttl = 0;
	uint16_t	 type;
	char		 host[ZONE_NAME_BUF + 8];
	struct enma_span rd;

	for (;;) {
		t = zf_token(s, &i);
		if (t.len > 0 && enma_isdigit(t.p[0])) {
			if (enma_span_to_uint(t, UINT32_MAX, &ttl) != ENMA_OK)
				return zf_error(f, "bad TTL");
		} else if (!enma_span_caseeq_cstr(t, "IN"))
			break;
	}
	rd = enma_span_trim_wsp(enma_span_make(s.p + i, s.len - i));
	if (enma_span_caseeq_cstr(t, "TIMEOUT"))
		return enma_zone_add_timeout(f->z, f->owner);
	if (enma_span_caseeq_cstr(t, "SERVFAIL"))
		return enma_zone_add_servfail(f->z, f->owner);
	if ((type = enma_dns_type_from_text(t)) == 0)
		return zf_error(f, "unknown record type");
	if (type == ENMA_DNS_MX || type == ENMA_DNS_PTR ||
	    type == ENMA_DNS_CNAME || type == ENMA_DNS_NS) {
		if (zf_host_rdata(f, type, rd, host, sizeof(host)) != ENMA_OK)
			return zf_error(f, "bad host name");
		rd = enma_span_from_cstr(host);
	}
	if (parse_rdata(type, rd, &rr) != ENMA_OK) {
		rr_free(&rr);
		return zf_error(f, "bad record data");
	}
	rr.ttl = (uint32_t)ttl;
	return zone_add_rr(f->z, f->owner, &rr);
}

/* zf_line - one line of a zone file */
static enma_status
zf_line(struct zone_file *f, struct enma_span s)
{
	size_t		 i = 0;
	struct enma_span o;

	s = zf_strip(s);
	if (enma_span_trim_wsp(s).len == 0)
		return ENMA_OK;
	if (s.p[0] == '$')
		return zf_directive(f, s);
	if (!enma_iswsp(s.p[0])) {
		o = zf_token(s, &i);
		if (zf_name(f, o, f->owner) != ENMA_OK)
			return zf_error(f, "bad owner name");
		f->have_owner = 1;
	} else if (!f->have_owner)	/* RFC 1035 5.1: the previous owner */
		return zf_error(f, "record without an owner");
	return zf_record(f, s, i);
}

/* zf_read - the whole file into b */
static enma_status
zf_read(const char *path, struct enma_buf *b)
{
	FILE	*fp;
	char	 chunk[8192];
	size_t	 n;

	if ((fp = fopen(path, "r")) == NULL)
		return ENMA_EIO;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (enma_buf_append(b, chunk, n) != ENMA_OK)
			break;
	if (ferror(fp) && b->status == ENMA_OK)
		b->status = ENMA_EIO;
	fclose(fp);
	return b->status;
}

/* enma_zone_load_span - add every record of zone-file text */
enma_status
enma_zone_load_span(struct enma_zone *z, struct enma_span text,
    const char *name, char *errbuf, size_t errlen)
{
	struct zone_file	f;
	size_t			i = 0, j;
	enma_status		st = ENMA_OK;

	if (z == NULL || (text.p == NULL && text.len > 0))
		return ENMA_EINVAL;
	memset(&f, 0, sizeof(f));
	f.z = z;
	f.path = name != NULL ? name : "(zone)";
	f.err = errbuf;
	f.errlen = errlen;
	while (i < text.len && st == ENMA_OK) {
		for (j = i; j < text.len && text.p[j] != '\n'; j++)
			continue;
		f.line++;
		st = zf_line(&f, enma_span_make(text.p + i, j - i));
		i = j + 1;
	}
	return st;
}

/* enma_zone_load_file - add every record of a zone file */
enma_status
enma_zone_load_file(struct enma_zone *z, const char *path, char *errbuf,
    size_t errlen)
{
	struct enma_buf		b;
	enma_status		st;

	if (z == NULL || path == NULL)
		return ENMA_EINVAL;
	enma_buf_init(&b, ZONE_MAX_FILE);
	if ((st = zf_read(path, &b)) != ENMA_OK) {
		if (errbuf != NULL && errlen > 0)
			(void)snprintf(errbuf, errlen, "%s: %s", path,
			    st == ENMA_EIO ? strerror(errno) :
			    enma_strerror(st));
		enma_buf_free(&b);
		return st;
	}
	st = enma_zone_load_span(z, enma_buf_span(&b), path, errbuf, errlen);
	enma_buf_free(&b);
	return st;
}

static size_t
count_type(const struct zone_node *n, uint16_t type)
{
	size_t i, c = 0;

	for (i = 0; i < n->nrr; i++)
		c += n->rr[i].type == type;
	return c;
}

/* answer_records - the node's records of type, into the arena */
static enma_status
answer_records(const struct zone_node *n, uint16_t type, size_t count,
    struct enma_arena *a, struct enma_dns_answer *ans)
{
	const struct zone_rr	*src;
	size_t			 i, k = 0;

	if (count > ENMA_DNS_MAX_RR)
		count = ENMA_DNS_MAX_RR;
	if ((ans->rr = enma_arena_calloc(a, count, sizeof(*ans->rr))) == NULL)
		return ENMA_ENOMEM;
	for (i = 0; i < n->nrr && k < count; i++) {
		src = &n->rr[i];
		if (src->type != type)
			continue;
		ans->rr[k].type = src->type;
		ans->rr[k].ttl = src->ttl;
		ans->rr[k].addr = src->addr;
		ans->rr[k].pref = src->pref;
		ans->rr[k].name = src->name;
		ans->rr[k].txt = src->txt;
		ans->rr[k].txtlen = src->txtlen;
		ans->rr[k].nstrings = src->nstrings;
		k++;
	}
	ans->count = k;
	ans->rcode = ENMA_DNS_RECORDS;
	return ENMA_OK;
}

static enma_status
answer_code(struct enma_dns_answer *ans, enum enma_dns_rcode rc,
    const char *why)
{
	ans->rcode = rc;
	ans->why = why;
	return ENMA_OK;
}

/*
 * zone_query - records of the name, following CNAMEs; a marked name
 * fails for the types it has no records of, before its CNAME is
 * followed (as the OpenSPF drivers do)
 */
static enma_status
zone_query(void *ctx, const char *name, uint16_t type, unsigned timeout_ms,
    struct enma_arena *a, struct enma_dns_answer *ans)
{
	const struct enma_zone	*z = ctx;
	const struct zone_node	*n;
	char			 key[ZONE_NAME_BUF];
	size_t			 c, i;
	unsigned		 hops;

	(void)timeout_ms;
	memset(ans, 0, sizeof(*ans));
	if (name == NULL || name_key(name, key) != ENMA_OK)
		return answer_code(ans, ENMA_DNS_PERMFAIL, "bad query name");
	for (hops = 0; ; hops++) {
		if ((n = zone_find(z, key)) == NULL)
			return answer_code(ans, ENMA_DNS_NXDOMAIN, NULL);
		if ((c = count_type(n, type)) > 0)
			return answer_records(n, type, c, a, ans);
		if (n->timeout)
			return answer_code(ans, ENMA_DNS_TEMPFAIL, "timeout");
		if (n->servfail)
			return answer_code(ans, ENMA_DNS_TEMPFAIL, "SERVFAIL");
		for (i = 0; i < n->nrr && n->rr[i].type != ENMA_DNS_CNAME; i++)
			continue;
		if (i == n->nrr || type == ENMA_DNS_CNAME)
			return answer_code(ans, ENMA_DNS_NODATA, NULL);
		if (hops >= ZONE_MAX_CNAME_CHAIN)
			return answer_code(ans, ENMA_DNS_TEMPFAIL,
			    "CNAME chain too long or looping");
		if (name_key(n->rr[i].name, key) != ENMA_OK)
			return answer_code(ans, ENMA_DNS_PERMFAIL,
			    "bad CNAME target");
	}
}

/* zone_resolver_free - the zone belongs to the caller */
static void
zone_resolver_free(void *ctx)
{
	(void)ctx;
}

static const struct enma_resolver_ops zone_ops = {
	"zone", zone_query, zone_resolver_free
};

/* enma_resolver_zone_new - a resolver view of the zone */
enma_status
enma_resolver_zone_new(struct enma_zone *z, struct enma_resolver **out)
{
	struct enma_resolver *r;

	*out = NULL;
	if (z == NULL)
		return ENMA_EINVAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return ENMA_ENOMEM;
	r->ops = &zone_ops;
	r->ctx = z;
	*out = r;
	return ENMA_OK;
}
