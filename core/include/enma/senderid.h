/*
 * senderid.h - the Purported Responsible Address (RFC 4407)
 *
 * Sender ID checks the PRA with the SPF evaluator in the pra scope
 * (enma/spf.h); this module only selects the PRA from the header.
 */
#ifndef ENMA_SENDERID_H
#define ENMA_SENDERID_H

#include <enma/util.h>
#include <enma/mail.h>

/*
 * enma_senderid_pra - RFC 4407 2: the first non-empty Resent-Sender
 * field, unless a Resent-From precedes it with a Received or
 * Return-Path between them ... (the rules of 2, steps 1-4), then
 * Resent-From, Sender, From.  A field that is chosen but holds no
 * single valid mailbox, or appears more than once where the RFC allows
 * one, makes the PRA undeterminable: ENMA_ENOTFOUND, and RFC 4406 then
 * gives permerror.  *which receives the chosen field's name (static).
 */
enma_status enma_senderid_pra(const struct enma_header *, size_t n,
	    struct enma_arena *, struct enma_mailbox *, const char **which);

#endif /* ENMA_SENDERID_H */
