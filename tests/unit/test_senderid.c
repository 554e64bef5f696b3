/*
 * test_senderid.c - PRA selection, RFC 4407 2 steps 1-6
 *
 * Each case is a header (topmost field first) and the mailbox and field
 * the steps of RFC 4407 2 choose, or none (step 6).
 */
#include <string.h>

#include <enma/senderid.h>

#include "check.h"

#define MAX_FIELDS	8

struct pra_case {
	const char	*name;
	const char	*fields[MAX_FIELDS];	/* raw fields, NULL-ended */
	const char	*which;			/* NULL: no PRA */
	const char	*local;
	const char	*domain;
};

static const struct pra_case cases[] = {
	{ "step 4: one From", {
	    "From: Joe <joe@example.com>", NULL },
	    "From", "joe", "example.com" },
	{ "step 3: Sender before From", {
	    "From: joe@example.com", "Sender: list@lists.example.org", NULL },
	    "Sender", "list", "lists.example.org" },
	{ "step 3: two Senders", {
	    "Sender: a@example.com", "Sender: b@example.com",
	    "From: joe@example.com", NULL }, NULL, NULL, NULL },
	{ "step 4: two From fields", {
	    "From: a@example.com", "From: b@example.net", NULL },
	    NULL, NULL, NULL },
	{ "step 4: no From", {
	    "Subject: hi", "To: x@example.com", NULL }, NULL, NULL, NULL },
	{ "step 2: Resent-From wins", {
	    "Resent-From: fwd@example.net", "Received: from x by y",
	    "Sender: s@example.com", "From: f@example.com", NULL },
	    "Resent-From", "fwd", "example.net" },
	{ "step 1: Resent-Sender of the same block", {
	    "Resent-From: a@example.net", "Resent-Sender: b@example.org",
	    "Received: from x by y", "From: f@example.com", NULL },
	    "Resent-Sender", "b", "example.org" },
	{ "step 1: Resent-Sender of an older block", {
	    "Resent-From: new@example.net", "Received: from x by y",
	    "Resent-Sender: old@example.org", "Resent-From: o@example.org",
	    "From: f@example.com", NULL },
	    "Resent-From", "new", "example.net" },
	{ "step 1: Return-Path also separates blocks", {
	    "Resent-From: new@example.net", "Return-Path: <r@example.com>",
	    "Resent-Sender: old@example.org", NULL },
	    "Resent-From", "new", "example.net" },
	{ "step 1: Resent-Sender above the Resent-From", {
	    "Resent-Sender: b@example.org", "Received: from x by y",
	    "Resent-From: a@example.net", NULL },
	    "Resent-Sender", "b", "example.org" },
	{ "step 5: two mailboxes in From", {
	    "From: a@example.com, b@example.net", NULL }, NULL, NULL, NULL },
	{ "step 5: chosen Sender malformed, no fallback to From", {
	    "Sender: not an address", "From: f@example.com", NULL },
	    NULL, NULL, NULL },
	{ "step 5: group without members", {
	    "From: undisclosed-recipients:;", NULL }, NULL, NULL, NULL },
	{ "empty Sender is skipped", {
	    "Sender:  ", "From: f@example.com", NULL },
	    "From", "f", "example.com" },
	{ "empty Resent-From is skipped", {
	    "Resent-From:", "From: f@example.com", NULL },
	    "From", "f", "example.com" },
	{ "field names without case", {
	    "FROM: f@example.com", "sender: s@Example.COM", NULL },
	    "Sender", "s", "example.com" },
	{ "folded value", {
	    "From: \"Joe Q.\"\r\n <joe@example.com>", NULL },
	    "From", "joe", "example.com" },
};

static size_t
load_fields(const struct pra_case *c, struct enma_header *h)
{
	size_t n;

	for (n = 0; n < MAX_FIELDS && c->fields[n] != NULL; n++)
		CHECK(enma_header_parse(enma_span_from_cstr(c->fields[n]),
		    &h[n]) == ENMA_OK, "%s: field %zu parses", c->name, n);
	return n;
}

static void
run_case(const struct pra_case *c)
{
	struct enma_header	 h[MAX_FIELDS];
	struct enma_mailbox	 mb;
	struct enma_arena	*a = enma_arena_new(0);
	const char		*which = NULL;
	size_t			 n = load_fields(c, h);
	enma_status		 st;

	st = enma_senderid_pra(h, n, a, &mb, &which);
	if (c->which == NULL) {
		CHECK(st == ENMA_ENOTFOUND, "%s: status %d, want no PRA",
		    c->name, st);
	} else {
		CHECK(st == ENMA_OK, "%s: status %d", c->name, st);
		CHECK_STR(which, c->which, c->name);
		CHECK_STR(st == ENMA_OK ? mb.local : NULL, c->local, c->name);
		CHECK_STR(st == ENMA_OK ? mb.domain : NULL, c->domain,
		    c->name);
	}
	enma_arena_free(a);
}

int
main(void)
{
	struct enma_mailbox	 mb;
	struct enma_arena	*a = enma_arena_new(0);
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	CHECK(enma_senderid_pra(NULL, 0, a, &mb, NULL) == ENMA_ENOTFOUND,
	    "no header at all");
	CHECK(enma_senderid_pra(NULL, 1, a, &mb, NULL) == ENMA_EINVAL,
	    "NULL fields");
	enma_arena_free(a);
	return check_done("test_senderid");
}
