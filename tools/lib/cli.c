/*
 * cli.c - what sidfquery and enma-check share (see cli.h)
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"

/* Set once by cli_init before any option is read. */
static const char *cli_name = "enma";
static const char *cli_synopsis = "";

void
cli_init(const char *name, const char *synopsis)
{
	cli_name = name;
	cli_synopsis = synopsis;
}

/* cli_usage_error - the reason and the synopsis; exit 64 */
void
cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(cli_synopsis, stderr);
	exit(EX_USAGE);
}

/* cli_parse_number - a decimal option value in [min, max] */
unsigned
cli_parse_number(const char *arg, const char *what, unsigned min,
    unsigned max)
{
	uint64_t v;

	if (enma_span_to_uint(enma_span_from_cstr(arg), max, &v) != ENMA_OK ||
	    v < min)
		cli_usage_error("%s must be a number from %u to %u", what, min,
		    max);
	return (unsigned)v;
}

/* cli_add_nameservers - check each address of a -S list and append it */
void
cli_add_nameservers(struct enma_buf *ns, const char *arg)
{
	struct enma_span s = enma_span_from_cstr(arg), one;
	struct enma_ip ip;
	size_t i, start;

	for (start = i = 0; i <= s.len; i++) {
		if (i < s.len && s.p[i] != ',' && !enma_iswsp(s.p[i]))
			continue;
		one = enma_span_make(s.p + start, i - start);
		start = i + 1;
		if (one.len == 0)
			continue;
		if (enma_ip_from_text(one, &ip) != ENMA_OK)
			cli_usage_error("-S: not an IP address: %.*s",
			    (int)one.len, (const char *)one.p);
		if (ns->len > 0)
			enma_buf_putc(ns, ',');
		enma_buf_append_span(ns, one);
	}
	if (enma_buf_status(ns) != ENMA_OK)
		cli_usage_error("-S: nameserver list too long");
}

/*
 * utf8_len - length of the valid UTF-8 sequence at s (RFC 3629 4), or 0
 */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
	size_t n, i;
	unsigned c = s[0];

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong three- and four-byte forms, surrogates, past U+10FFFF */
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/* cli_json_string - escaped per RFC 8259 7; bad UTF-8 becomes U+FFFD */
void
cli_json_string(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i, n;

	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	len = strlen(s);		/* core strings, NUL-terminated */
	fputc('"', fp);
	for (i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\')
			fprintf(fp, "\\%c", p[i]);
		else if (p[i] == '\n')
			fputs("\\n", fp);
		else if (p[i] == '\t')
			fputs("\\t", fp);
		else if (p[i] < 0x20 || p[i] == 0x7f)
			fprintf(fp, "\\u%04x", p[i]);
		else if (p[i] < 0x80)
			fputc(p[i], fp);
		else if ((n = utf8_len(p + i, len - i)) == 0)
			fputs("\\ufffd", fp);
		else {
			fwrite(p + i, 1, n, fp);
			i += n - 1;
		}
	}
	fputc('"', fp);
}

/* cli_put_printable - outside bytes, controls and 8-bit as \xHH */
void
cli_put_printable(struct enma_buf *tmp, FILE *fp, const void *p, size_t len)
{
	enma_buf_reset(tmp);
	if (enma_printable(enma_span_make(p, len), tmp, 1) == ENMA_OK)
		fwrite(tmp->p, 1, tmp->len, fp);
	else
		fputs("(unprintable)", fp);
}

/* print_rr - one record of a traced answer */
static void
print_rr(struct enma_buf *tmp, const struct enma_dns_rr *rr)
{
	char text[ENMA_IP_TEXT_MAX];

	fprintf(stderr, "      %s ", enma_dns_type_to_text(rr->type));
	switch (rr->type) {
	case ENMA_DNS_A:
	case ENMA_DNS_AAAA:
		fputs(enma_ip_to_text(&rr->addr, text, sizeof(text)), stderr);
		break;
	case ENMA_DNS_MX:
	case ENMA_DNS_PTR:
	case ENMA_DNS_CNAME:
		if (rr->type == ENMA_DNS_MX)
			fprintf(stderr, "%u ", (unsigned)rr->pref);
		if (rr->name != NULL)
			cli_put_printable(tmp, stderr, rr->name,
			    strlen(rr->name));
		break;
	case ENMA_DNS_TXT:
	case ENMA_DNS_SPF:
		fputc('"', stderr);
		if (rr->txt != NULL)
			cli_put_printable(tmp, stderr, rr->txt, rr->txtlen);
		fprintf(stderr, "\" (%u string%s)", rr->nstrings,
		    rr->nstrings == 1 ? "" : "s");
		break;
	default:
		break;
	}
	fprintf(stderr, " ttl %lu\n", (unsigned long)rr->ttl);
}

/* cli_print_answer - question, outcome and records of one lookup */
void
cli_print_answer(struct enma_buf *tmp, const char *name, uint16_t type,
    enma_status st, const struct enma_dns_answer *ans)
{
	size_t i;

	fprintf(stderr, "  dns %s ", enma_dns_type_to_text(type));
	cli_put_printable(tmp, stderr, name, strlen(name));
	if (st != ENMA_OK) {
		fprintf(stderr, ": %s\n", enma_strerror(st));
		return;
	}
	fprintf(stderr, ": %s", enma_dns_rcode_to_text(ans->rcode));
	if (ans->rcode == ENMA_DNS_RECORDS)
		fprintf(stderr, ", %zu record%s", ans->count,
		    ans->count == 1 ? "" : "s");
	if (ans->sec == ENMA_DNS_SEC_SECURE)
		fputs(", dnssec secure", stderr);
	else if (ans->sec == ENMA_DNS_SEC_BOGUS)
		fputs(", dnssec bogus", stderr);
	if (ans->why != NULL)
		fprintf(stderr, " (%s)", ans->why);
	fputc('\n', stderr);
	for (i = 0; i < ans->count && ans->rr != NULL; i++)
		print_rr(tmp, &ans->rr[i]);
}
