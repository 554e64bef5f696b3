/*
 * fuzz_dkim_tag.c - RFC 6376 3.2 tag lists, colon lists and
 * dkim-quoted-printable on arbitrary bytes
 *
 * Properties: a parsed list's names and values lie inside the input,
 * names are unique and start with a letter, values hold no ';' and do
 * not start or end with whitespace; a failure always has a reason;
 * list walking and quoted-printable decoding stay inside their value.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dkim_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		__builtin_trap();
}

static int
inside(struct enma_span s, const uint8_t *p, size_t n)
{
	return s.len == 0 || (s.p >= p && s.p + s.len <= p + n);
}

/* check_value - one value: its bytes, its list elements, its qp */
static void
check_value(struct enma_span v, struct enma_arena *a)
{
	struct enma_span	e;
	size_t			pos = 0, k = 0;
	char			*out;
	size_t			n;
	int			r;

	check(enma_span_chr(v, ';') == v.len);
	check(v.len == 0 || (v.p[0] != ' ' && v.p[v.len - 1] != ' ' &&
	    v.p[v.len - 1] != '\n'));
	while ((r = dkim_list_next(v, &pos, &e)) != 0) {
		check(++k <= v.len + 1);	/* it ends */
		check(r < 0 || (inside(e, v.p, v.len) && e.len > 0 &&
		    enma_span_chr(e, ':') == e.len));
	}
	if (dkim_qp_decode(v, a, &out, &n) == ENMA_OK)
		check(n <= v.len && out[n] == '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_taglist	 tl;
	struct enma_arena	*a = enma_arena_new(1024 * 1024);
	const char		*why = NULL;
	size_t			 i, j;

	if (a == NULL)
		return 0;
	if (dkim_tags_parse(enma_span_make(data, size), &tl, &why) !=
	    ENMA_OK) {
		check(why != NULL && why[0] != '\0');
		enma_arena_free(a);
		return 0;
	}
	for (i = 0; i < tl.n; i++) {
		check(inside(tl.tag[i].name, data, size) &&
		    inside(tl.tag[i].value, data, size));
		check(tl.tag[i].name.len > 0 &&
		    enma_isalpha(tl.tag[i].name.p[0]));
		for (j = 0; j < i; j++)
			check(!enma_span_eq(tl.tag[i].name, tl.tag[j].name));
		check_value(tl.tag[i].value, a);
	}
	enma_arena_free(a);
	return 0;
}
