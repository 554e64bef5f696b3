/*
 * senderid.c - the Purported Responsible Address (RFC 4407 2)
 *
 * The PRA is chosen from the header fields in the order the message
 * carries them (index 0 is the topmost field).  Only the selection
 * lives here; Sender ID itself is the SPF evaluator in the pra scope.
 */
#include <string.h>

#include <enma/senderid.h>

/* is_field - the field's name, without regard to case */
static int
is_field(const struct enma_header *h, const char *name)
{
	return enma_span_caseeq_cstr(h->name, name);
}

/* is_empty - RFC 4407 2 speaks of "non-empty" fields: anything but
 * whitespace and line breaks */
static int
is_empty(const struct enma_header *h)
{
	size_t i;

	for (i = 0; i < h->value.len; i++)
		if (!enma_iswsp(h->value.p[i]) && h->value.p[i] != '\r' &&
		    h->value.p[i] != '\n')
			return 0;
	return 1;
}

/* first_of - index of the first non-empty field of that name, or n */
static size_t
first_of(const struct enma_header *h, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (is_field(&h[i], name) && !is_empty(&h[i]))
			return i;
	return n;
}

/* count_of - the number of non-empty fields of that name; *first gets
 * the index of the first */
static size_t
count_of(const struct enma_header *h, size_t n, const char *name,
    size_t *first)
{
	size_t i, c = 0;

	*first = n;
	for (i = 0; i < n; i++) {
		if (!is_field(&h[i], name) || is_empty(&h[i]))
			continue;
		if (c++ == 0)
			*first = i;
	}
	return c;
}

/* trace_between - RFC 4407 2 step 1: a Received or Return-Path field
 * between from and to (exclusive) */
static int
trace_between(const struct enma_header *h, size_t from, size_t to)
{
	size_t i;

	for (i = from + 1; i < to; i++)
		if (is_field(&h[i], "Received") ||
		    is_field(&h[i], "Return-Path"))
			return 1;
	return 0;
}

/*
 * pick - RFC 4407 2 step 5: the chosen field must hold exactly one
 * mailbox with a domain; otherwise there is no PRA (step 6)
 */
static enma_status
pick(const struct enma_header *h, struct enma_arena *a,
    struct enma_mailbox *mb)
{
	struct enma_buf		 b;
	struct enma_mailbox	*list;
	size_t			 count, len;
	char			*copy;
	enma_status		 st;

	enma_buf_init(&b, 0);
	if ((st = enma_header_unfold(h->value, &b)) != ENMA_OK) {
		enma_buf_free(&b);
		return st == ENMA_ENOMEM ? st : ENMA_ENOTFOUND;
	}
	len = b.len;
	copy = enma_arena_strndup(a, len > 0 ? b.p : "", len);
	enma_buf_free(&b);
	if (copy == NULL)
		return ENMA_ENOMEM;
	st = enma_addrlist_parse(enma_span_make(copy, len), a, &list, &count);
	if (st == ENMA_ENOMEM)
		return st;
	if (st != ENMA_OK || count != 1 || list[0].domain == NULL ||
	    list[0].domain[0] == '\0')
		return ENMA_ENOTFOUND;
	*mb = list[0];
	return ENMA_OK;
}

/* enma_senderid_pra - RFC 4407 2, steps 1 to 6 */
enma_status
enma_senderid_pra(const struct enma_header *h, size_t n,
    struct enma_arena *a, struct enma_mailbox *mb, const char **which)
{
	size_t	rs, rf, i;

	if ((h == NULL && n > 0) || a == NULL || mb == NULL)
		return ENMA_EINVAL;
	memset(mb, 0, sizeof(*mb));
	if (which != NULL)
		*which = NULL;
	rs = first_of(h, n, "Resent-Sender");
	rf = first_of(h, n, "Resent-From");
	/* step 1: a Resent-Sender, unless it belongs to an older resent
	 * block than a Resent-From above it */
	if (rs < n && !(rf < rs && trace_between(h, rf, rs)))
		i = rs;
	else if (rf < n)		/* step 2 */
		i = rf;
	else if (count_of(h, n, "Sender", &i) > 1)	/* step 3 */
		return ENMA_ENOTFOUND;
	else if (i == n && count_of(h, n, "From", &i) != 1)	/* step 4 */
		return ENMA_ENOTFOUND;
	if (which != NULL)
		*which = i == rs ? "Resent-Sender" : i == rf ? "Resent-From" :
		    is_field(&h[i], "Sender") ? "Sender" : "From";
	return pick(&h[i], a, mb);
}
