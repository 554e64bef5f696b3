/*
 * fuzz_dns_answer.c - the ldns backend's answer parser on arbitrary DNS
 * messages: the bytes a nameserver (or anyone who can spoof one) sends
 *
 * The input is one DNS message in wire form.  The question asked is
 * taken from the message's own question section when it reads as one
 * (so that most inputs get past the question check to the records),
 * else a fixed one.  Seeds: real answers of unbound and ldns-testns,
 * see seeds_dns_answer.sh.
 *
 * Properties: every outcome is one of the five, with a reason when it
 * is a failure; a message that is not an answer is TEMPFAIL; records
 * are of the type asked, at most ENMA_DNS_MAX_RR of them; A and AAAA
 * carry an address of their family; names are lower case, printable
 * and without blanks (escapes for the rest); TXT bytes come from the
 * message and have a NUL after them; the same bytes give the same
 * answer twice.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns_ldns_int.h"

#define FUZZ_HDRLEN	12		/* RFC 1035 4.1.1 */
#define FUZZ_NAMEBUF	(ENMA_DNS_MAX_NAME + 1)
#define FUZZ_ESCAPED	(4 * ENMA_DNS_MAX_NAME)	/* every byte \DDD */
#define FUZZ_ARENA	(16u * 1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - a broken promise is a crash the fuzzer reports */
static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* question - the first question's name (labels joined with dots) and
 * type; 0 when it does not read as one that a query could have asked */
static int
question(const uint8_t *m, size_t len, char *name, uint16_t *type)
{
	size_t	i = FUZZ_HDRLEN, n = 0, j;

	if (len < FUZZ_HDRLEN || (m[4] == 0 && m[5] == 0))
		return 0;
	while (i < len && m[i] != 0) {
		if (m[i] > ENMA_DNS_MAX_LABEL || i + 1 + m[i] > len ||
		    n + m[i] + 1 >= FUZZ_NAMEBUF)
			return 0;
		for (j = i + 1; j < i + 1 + m[i]; j++) {
			if (m[j] == 0 || m[j] == '.')
				return 0;	/* no text form for it */
			name[n++] = (char)m[j];
		}
		i += 1 + m[i];
		name[n++] = '.';
	}
	if (n == 0 || i + 3 > len)
		return 0;
	name[n - 1] = '\0';
	*type = (uint16_t)(m[i + 1] << 8 | m[i + 2]);
	return 1;
}

/* name_ok - a name as the backend gives it */
static void
name_ok(const char *s)
{
	size_t i;

	check(s != NULL);
	for (i = 0; s[i] != '\0'; i++) {
		check(i < FUZZ_ESCAPED);
		check(s[i] > 0x20 && s[i] < 0x7f);
		check(s[i] < 'A' || s[i] > 'Z');
	}
	check(i > 0);
}

/* rr_ok - one record of the answer */
static void
rr_ok(const struct enma_dns_rr *rr, uint16_t type, size_t len)
{
	check(rr->type == type);
	switch (type) {
	case ENMA_DNS_A:
		check(rr->addr.family == 4);
		break;
	case ENMA_DNS_AAAA:
		check(rr->addr.family == 6);
		break;
	case ENMA_DNS_MX:
	case ENMA_DNS_CNAME:
	case ENMA_DNS_PTR:
	case ENMA_DNS_NS:
	case ENMA_DNS_SOA:
		name_ok(rr->name);
		break;
	case ENMA_DNS_TXT:
	case ENMA_DNS_SPF:
		check(rr->txt != NULL && rr->txtlen < len &&
		    rr->txt[rr->txtlen] == '\0');
		break;
	default:
		break;
	}
}

/* answer_ok - the promises of dns_ldns_int.h about one answer */
static void
answer_ok(enma_status st, const struct enma_dns_answer *ans, uint16_t type,
    size_t len)
{
	size_t i;

	check(st == ENMA_OK || st == ENMA_EINVAL);
	check(ans->rcode >= ENMA_DNS_RECORDS &&
	    ans->rcode <= ENMA_DNS_PERMFAIL);
	if (st == ENMA_EINVAL)
		check(ans->rcode == ENMA_DNS_TEMPFAIL);
	if (ans->rcode == ENMA_DNS_TEMPFAIL ||
	    ans->rcode == ENMA_DNS_PERMFAIL)
		check(ans->why != NULL && ans->why[0] != '\0');
	if (ans->rcode != ENMA_DNS_RECORDS) {
		check(ans->count == 0);
		return;
	}
	check(ans->count >= 1 && ans->count <= ENMA_DNS_MAX_RR &&
	    ans->rr != NULL);
	for (i = 0; i < ans->count; i++)
		rr_ok(&ans->rr[i], type, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enma_arena	*a = enma_arena_new(FUZZ_ARENA);
	struct enma_dns_answer	 ans, again;
	char			 name[FUZZ_NAMEBUF];
	uint16_t		 type;
	enma_status		 st, st2;

	if (a == NULL)
		return 0;
	if (!question(data, size, name, &type)) {
		memcpy(name, "example.org", sizeof("example.org"));
		type = ENMA_DNS_TXT;
	}
	st = dns_ldns_answer(data, size, name, type, a, &ans);
	answer_ok(st, &ans, type, size);
	st2 = dns_ldns_answer(data, size, name, type, a, &again);
	check(st2 == st && again.rcode == ans.rcode &&
	    again.count == ans.count);
	enma_arena_free(a);
	return 0;
}
