/*
 * fuzz_mailbox.c - mailbox, address-list, reverse-path and domain parsers
 *
 * Besides not crashing, what is parsed must hold what the API promises:
 * domains in lower case with no trailing dot, a valid host name or
 * literal for a reverse-path, no more than the address limit.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <enma/mail.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - a broken promise is a crash the fuzzer reports */
static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* check_domain - lower case, no trailing dot */
static void
check_domain(const char *d)
{
	size_t	 n;

	check(d != NULL);
	n = strlen(d);
	check(n == 0 || d[n - 1] != '.' || d[0] == '[');
	for (; *d != '\0'; d++)
		check(!(*d >= 'A' && *d <= 'Z'));
}

/* check_mailbox - what a parsed mailbox promises */
static void
check_mailbox(const struct enma_mailbox *mb)
{
	check(mb->local != NULL);
	check_domain(mb->domain);
}

/* LLVMFuzzerTestOneInput - one fuzz input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enma_span	 s = enma_span_make(data, size);
	struct enma_arena	*a;
	struct enma_mailbox	 mb, *v;
	const char		*d;
	size_t			 n, i;

	if ((a = enma_arena_new(0)) == NULL)
		return 0;
	if (enma_mailbox_parse(s, a, &mb) == ENMA_OK)
		check_mailbox(&mb);
	if (enma_addrlist_parse(s, a, &v, &n) == ENMA_OK) {
		check(n <= ENMA_MAIL_MAX_ADDRESSES);
		for (i = 0; i < n; i++)
			check_mailbox(&v[i]);
	}
	if (enma_path_parse(s, a, &mb) == ENMA_OK && mb.domain != NULL) {
		check(mb.local != NULL);
		check(mb.domain[0] == '[' || enma_domain_is_valid(
		    enma_span_from_cstr(mb.domain)));
		check_domain(mb.domain);
	}
	if (enma_domain_is_valid(s))
		check(enma_domain_normalise(s, a, &d) == ENMA_OK);
	if (enma_domain_normalise(s, a, &d) == ENMA_OK)
		check_domain(d);
	enma_arena_free(a);
	return 0;
}
