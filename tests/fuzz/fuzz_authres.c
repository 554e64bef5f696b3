/*
 * fuzz_authres.c - the Authentication-Results parser and builder
 *
 * The input is fed to enma_authres_is_ours() as a received value, and
 * also, cut at NULs, as a value, a comment and an authserv-id to the
 * builder.  Properties: nothing crashes; the built field has no line
 * break but the "\n\t" folds and no control or non-ASCII byte, so input
 * can never inject a header line; and the field is recognised as ours.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <enma/authres.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - a broken promise is a crash the fuzzer reports */
static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* check_safe - only folds, no controls, ASCII */
static void
check_safe(const struct enma_buf *b)
{
	size_t	 i;

	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->p[i];

		if (c == '\n')
			check(i + 1 < b->len && b->p[i + 1] == '\t');
		else if (c == '\t')
			check(i > 0 && b->p[i - 1] == '\n');
		else
			check(c >= 0x20 && c < 0x7f);
	}
}

/* build - build a field from hostile id and text */
static void
build(const char *id, const char *text)
{
	struct enma_authres_prop p = { "smtp", "mailfrom", text };
	struct enma_authres	 ar;
	struct enma_buf		 out;

	enma_authres_init(&ar);
	enma_buf_init(&out, 0);
	if (enma_authres_begin(&ar, id) == ENMA_OK &&
	    enma_authres_add(&ar, "spf", "pass", text, &p, 1) == ENMA_OK &&
	    enma_authres_add(&ar, "dkim", "fail", NULL, &p, 1) == ENMA_OK &&
	    enma_authres_finish(&ar, sizeof(ENMA_AUTHRES_NAME) - 1, &out) ==
	    ENMA_OK) {
		check_safe(&out);
		/* an id with bytes we replace is not ours any more */
		if (enma_authres_is_token(id))
			check(enma_authres_is_ours(enma_buf_span(&out), id));
	}
	enma_buf_free(&out);
	enma_authres_free(&ar);
}

/* LLVMFuzzerTestOneInput - one fuzz input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*text;
	size_t	 n;

	(void)enma_authres_is_ours(enma_span_make(data, size),
	    "mx.example.org");
	if (size > 0)
		(void)enma_authres_is_ours(enma_span_make(data + 1, size - 1),
		    (const char *)(data[0] % 2 ? "example.com" : "a"));
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	n = strlen(text);
	build("mx.example.org", text);
	if (n > 0)
		build(text, n + 1 < size ? text + n + 1 : "x");
	free(text);
	return 0;
}
