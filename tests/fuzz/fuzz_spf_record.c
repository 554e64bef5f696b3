/*
 * fuzz_spf_record.c - the SPF record parser on arbitrary bytes, in each
 * scope (RFC 7208 and the Sender ID scopes of RFC 4406)
 */
#include <stddef.h>
#include <stdint.h>

#include <enma/spf.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum enma_spf_scope scopes[] = {
		ENMA_SPF_SCOPE_SPF1, ENMA_SPF_SCOPE_MFROM, ENMA_SPF_SCOPE_PRA
	};
	struct enma_arena	*a = enma_arena_new(1024 * 1024);
	struct enma_spf_record	*r;
	const char		*why;
	size_t			 i;

	if (a == NULL)
		return 0;
	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		if (enma_spf_record_parse(enma_span_make(data, size),
		    scopes[i], a, &r, &why) == ENMA_OK)
			(void)enma_spf_record_terms(r);
		else if (why != NULL && why[0] == '\0')
			__builtin_trap();	/* a reason is always given */
	}
	enma_arena_free(a);
	return 0;
}
