/*
 * test_engine.c - the session state machine, end to end on a zone
 *
 * Every expected verdict follows from the zone data below by RFC 7208
 * (SPF), RFC 4406/4407 (Sender ID, PRA); every expected header value is
 * written by hand from the RFC 8601 2.2 grammar, folded as authres.h
 * documents ("\n\t" after each ";" and before a word that would pass
 * column 78, the first line starting after "Authentication-Results: ").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <enma/engine.h>
#include <enma/dns.h>

#include "check.h"

#define ID	"mx.example.jp"

struct logs {
	unsigned	n;
	char		last[1024];
	char		all[8192];
};

static struct logs logs;

static void
logfn(void *arg, int prio, const char *msg)
{
	struct logs *l = arg;

	(void)prio;
	l->n++;
	(void)snprintf(l->last, sizeof(l->last), "%s", msg);
	if (strlen(l->all) + strlen(msg) + 2 < sizeof(l->all)) {
		strcat(l->all, msg);
		strcat(l->all, "\n");
	}
}

/* txt - one TXT record of one string */
static void
txt(struct enma_zone *z, const char *name, const char *text)
{
	struct enma_span s = enma_span_from_cstr(text);

	CHECK(enma_zone_add_txt(z, name, ENMA_DNS_TXT, &s, 1) == ENMA_OK,
	    "zone txt %s", name);
}

/* mkzone - the test domains; results per RFC 7208 in the comments */
static struct enma_zone *
mkzone(void)
{
	struct enma_zone *z = enma_zone_new();

	/* 5.6 ip4/ip6: pass for 192.0.2.1 and 2001:db8::1, else -all */
	txt(z, "pass.example", "v=spf1 ip4:192.0.2.1 ip6:2001:db8::1 -all");
	txt(z, "fail.example", "v=spf1 -all");		/* 2.6.4 */
	txt(z, "soft.example", "v=spf1 ~all");		/* 2.6.5 */
	txt(z, "neutral.example", "v=spf1 ?all");	/* 2.6.2 */
	/* 4.5: no SPF record: none */
	CHECK(enma_zone_add(z, "none.example", ENMA_DNS_A, "192.0.2.99") ==
	    ENMA_OK, "zone a");
	/* 4.5: two records: permerror */
	txt(z, "perm.example", "v=spf1 -all");
	txt(z, "perm.example", "v=spf1 +all");
	/* 4.4: a timeout: temperror */
	CHECK(enma_zone_add_timeout(z, "temp.example") == ENMA_OK, "timeout");
	/* 5.3 a: the HELO name's own address */
	txt(z, "helo.example", "v=spf1 a -all");
	CHECK(enma_zone_add(z, "helo.example", ENMA_DNS_A, "192.0.2.1") ==
	    ENMA_OK, "zone a");
	/* RFC 4406 3.3: spf2.0/pra is used for the PRA, v=spf1 for mfrom */
	txt(z, "sid.example", "spf2.0/pra ip4:192.0.2.1 -all");
	txt(z, "sid.example", "v=spf1 -all");
	/* 7.3: %{v} is "in-addr" for an IPv4 client, mapped ones too */
	txt(z, "mapv.example", "v=spf1 exists:%{v}.mapv.example -all");
	CHECK(enma_zone_add(z, "in-addr.mapv.example", ENMA_DNS_A,
	    "127.0.0.2") == ENMA_OK, "zone a");
	/* 6.2 exp= with %{s} */
	txt(z, "exp.example", "v=spf1 -all exp=why.exp.example");
	txt(z, "why.exp.example", "go away %{s}");
	return z;
}

/* mkengine - an engine on the zone, with extra configuration lines */
static struct enma_engine *
mkengine(struct enma_zone *z, const char *extra)
{
	struct enma_conf	*c = enma_conf_new();
	struct enma_resolver	*r = NULL;
	struct enma_engine	*e = NULL;
	char			 err[512];

	/* DKIM and ADSP have their own tests: test_engine_dkim.c */
	CHECK(enma_conf_load_span(c, ENMA_SPAN_LIT("authresult.identifier: "
	    ID "\ndkim.auth: false\ndkimadsp.auth: false\n"), "base", err,
	    sizeof(err)) == ENMA_OK, "base: %s", err);
	CHECK(enma_conf_load_span(c, enma_span_from_cstr(extra), "extra", err,
	    sizeof(err)) == ENMA_OK, "extra: %s", err);
	CHECK(enma_resolver_zone_new(z, &r) == ENMA_OK, "zone resolver");
	CHECK(enma_engine_new(c, r, logfn, &logs, &e, err, sizeof(err)) ==
	    ENMA_OK, "engine: %s", err);
	enma_conf_free(c);
	return e;
}

/* conn - connect from text, "" for no client address, NULL for none */
static void
conn(struct enma_session *s, const char *ip)
{
	struct enma_ip	a;

	if (ip == NULL)
		return;
	if (ip[0] == '\0') {
		CHECK(enma_session_connect(s, NULL, 0) == ENMA_OK, "connect");
		return;
	}
	CHECK(enma_ip_from_text(enma_span_from_cstr(ip), &a) == ENMA_OK,
	    "ip %s", ip);
	CHECK(enma_session_connect(s, &a, 25) == ENMA_OK, "connect %s", ip);
}

static void
hdr(struct enma_session *s, const char *field)
{
	(void)enma_session_header(s, enma_span_from_cstr(field));
}

/* safe - no CR, every LF starts a continuation, nothing but ASCII */
static int
safe(const char *v)
{
	for (; v != NULL && *v != '\0'; v++) {
		if (*v == '\r' || (*v == '\n' && v[1] != '\t'))
			return 0;
		if (*v != '\n' && *v != '\t' && (*v < 0x20 || *v > 0x7e))
			return 0;
	}
	return 1;
}

struct vcase {
	const char	*name;
	const char	*ip;	/* "" no address, NULL no connect */
	const char	*helo;	/* NULL: no HELO */
	const char	*mail;	/* NULL: no MAIL FROM */
	const char	*header;
	const char	*logline;
};

/* SPF only (sidf.auth: false). */
static const struct vcase spf_cases[] = {
	{ "pass", "192.0.2.1", "helo.example", "<user@pass.example>",
	    ID ";\n\tspf=pass smtp.mailfrom=user@pass.example", "spf=pass" },
	{ "no brackets", "192.0.2.1", "helo.example", "user@pass.example",
	    ID ";\n\tspf=pass smtp.mailfrom=user@pass.example", "spf=pass" },
	{ "other ip", "192.0.2.9", "helo.example", "<user@pass.example>",
	    ID ";\n\tspf=fail smtp.mailfrom=user@pass.example", "spf=fail" },
	{ "fail", "192.0.2.1", "helo.example", "<user@fail.example>",
	    ID ";\n\tspf=fail smtp.mailfrom=user@fail.example", "spf=fail" },
	{ "softfail", "192.0.2.1", "helo.example", "<user@soft.example>",
	    ID ";\n\tspf=softfail smtp.mailfrom=user@soft.example",
	    "spf=softfail" },
	{ "neutral", "192.0.2.1", "helo.example", "<user@neutral.example>",
	    ID ";\n\tspf=neutral smtp.mailfrom=user@neutral.example",
	    "spf=neutral" },
	{ "none", "192.0.2.1", "helo.example", "<user@none.example>",
	    ID ";\n\tspf=none smtp.mailfrom=user@none.example", "spf=none" },
	{ "nxdomain", "192.0.2.1", "helo.example", "<user@nx.example>",
	    ID ";\n\tspf=none smtp.mailfrom=user@nx.example", "spf=none" },
	{ "permerror", "192.0.2.1", "helo.example", "<user@perm.example>",
	    ID ";\n\tspf=permerror smtp.mailfrom=user@perm.example",
	    "spf=permerror" },
	{ "temperror", "192.0.2.1", "helo.example", "<user@temp.example>",
	    ID ";\n\tspf=temperror smtp.mailfrom=user@temp.example",
	    "spf=temperror" },
	{ "ipv6", "2001:db8::1", "helo.example", "<user@pass.example>",
	    ID ";\n\tspf=pass smtp.mailfrom=user@pass.example", "spf=pass" },
	{ "ipv6 other", "2001:db8::2", "helo.example", "<user@pass.example>",
	    ID ";\n\tspf=fail smtp.mailfrom=user@pass.example", "spf=fail" },
	{ "ipv4-mapped", "::ffff:192.0.2.1", "helo.example",
	    "<user@pass.example>",
	    ID ";\n\tspf=pass smtp.mailfrom=user@pass.example", "spf=pass" },
	{ "ipv4-mapped %{v}", "::ffff:192.0.2.1", "helo.example",
	    "<user@mapv.example>",
	    ID ";\n\tspf=pass smtp.mailfrom=user@mapv.example", "spf=pass" },
	{ "ipv6 %{v}", "2001:db8::1", "helo.example", "<user@mapv.example>",
	    ID ";\n\tspf=fail smtp.mailfrom=user@mapv.example", "spf=fail" },
	{ "sendmail ipv6", "IPv6:2001:db8::1", "helo.example",
	    "<user@pass.example>",
	    ID ";\n\tspf=pass smtp.mailfrom=user@pass.example", "spf=pass" },
	{ "case", "192.0.2.1", "helo.example", "<User@PASS.Example>",
	    ID ";\n\tspf=pass smtp.mailfrom=User@pass.example", "spf=pass" },
	/* RFC 7208 2.4: the null sender is postmaster@HELO */
	{ "null sender", "192.0.2.1", "helo.example", "<>",
	    ID ";\n\tspf=pass smtp.mailfrom=postmaster@helo.example",
	    "spf=pass" },
	{ "null sender fail", "192.0.2.9", "helo.example", "<>",
	    ID ";\n\tspf=fail smtp.mailfrom=postmaster@helo.example",
	    "spf=fail" },
	{ "null sender, HELO case and dot", "192.0.2.1", "HELO.Example.",
	    "<>", ID ";\n\tspf=pass smtp.mailfrom=postmaster@helo.example",
	    "spf=pass" },
	/* RFC 7208 4.3: not a multi-label domain name: none */
	{ "null sender, literal HELO", "192.0.2.1", "[192.0.2.1]", "<>",
	    ID ";\n\tspf=none (HELO is not a domain name)", "spf=none" },
	{ "null sender, one label", "192.0.2.1", "localhost", "<>",
	    ID ";\n\tspf=none (HELO is not a domain name)", "spf=none" },
	{ "null sender, no HELO", "192.0.2.1", NULL, "<>",
	    ID ";\n\tspf=none (no HELO)", "spf=none" },
	/* CR LF in MAIL FROM: not a reverse-path; nothing of it written */
	{ "crlf injection", "192.0.2.1", "helo.example",
	    "<user@pass.example>\r\nX-Injected: yes",
	    ID ";\n\tspf=none (MAIL FROM is not a valid reverse-path)",
	    "spf=none" },
	{ "no mail from", "192.0.2.1", "helo.example", NULL,
	    ID ";\n\tspf=temperror (no MAIL FROM given)", "spf=temperror" },
	{ "no client address", "", "helo.example", "<user@pass.example>",
	    ID ";\n\tspf=none (no client address) "
	    "smtp.mailfrom=user@pass.example", "spf=none" },
	/* column 8 + 39 + 1 + 31 = 79 > 78: folds before the property */
	{ "no connect", NULL, "helo.example", "<user@pass.example>",
	    ID ";\n\tspf=temperror (no client address given)\n\t"
	    "smtp.mailfrom=user@pass.example", "spf=temperror" },
};

/* run - one message through a new session; the session is returned */
static struct enma_session *
run(struct enma_engine *e, const struct vcase *c, const char *const *hdrs,
    struct enma_result *r)
{
	struct enma_session *s = enma_session_new(e);

	CHECK(s != NULL, "session");
	conn(s, c->ip);
	if (c->helo != NULL)
		(void)enma_session_helo(s, enma_span_from_cstr(c->helo));
	if (c->mail != NULL)
		(void)enma_session_mail_from(s, enma_span_from_cstr(c->mail));
	for (; hdrs != NULL && *hdrs != NULL; hdrs++)
		hdr(s, *hdrs);
	(void)enma_session_body(s, ENMA_SPAN_LIT("body\r\n"));
	(void)enma_session_eom(s, r);
	return s;
}

static void
test_spf_verdicts(struct enma_zone *z)
{
	struct enma_engine	*e = mkengine(z, "sidf.auth: false\n");
	struct enma_session	*s;
	struct enma_result	 r;
	size_t			 i;

	for (i = 0; i < sizeof(spf_cases) / sizeof(spf_cases[0]); i++) {
		s = run(e, &spf_cases[i], NULL, &r);
		CHECK_STR(r.header_value, spf_cases[i].header,
		    spf_cases[i].name);
		CHECK_STR(r.logline, spf_cases[i].logline, spf_cases[i].name);
		CHECK_STR(r.header_name, "Authentication-Results", "name");
		CHECK(r.skipped == 0 && r.ndelete == 0 && r.nverdicts == 1,
		    "%s: counts", spf_cases[i].name);
		CHECK(safe(r.header_value), "%s: unsafe header",
		    spf_cases[i].name);
		enma_session_free(s);
	}
	enma_engine_free(e);
}

static void
test_both(struct enma_zone *z)
{
	static const struct vcase c = { "both", "192.0.2.1", "helo.example",
	    "<user@pass.example>", NULL, NULL };
	static const struct vcase sid = { "sid", "192.0.2.1", "helo.example",
	    "<user@sid.example>", NULL, NULL };
	static const char *const h1[] = { "Received: from x by y",
	    "From: User <user@pass.example>", "Subject: hi", NULL };
	static const char *const h2[] = { "From: user@sid.example", NULL };
	struct enma_engine	*e = mkengine(z, "");
	struct enma_session	*s;
	struct enma_result	 r;

	s = run(e, &c, h1, &r);
	CHECK_STR(r.header_value, ID ";\n\tspf=pass smtp.mailfrom="
	    "user@pass.example;\n\tsender-id=pass header.from="
	    "user@pass.example", "spf and sender-id");
	CHECK_STR(r.logline, "spf=pass sender-id=pass", "logline");
	CHECK(r.nverdicts == 2, "two verdicts");
	if (r.nverdicts == 2) {
		CHECK_STR(r.verdicts[0].method, "spf", "method 0");
		CHECK_STR(r.verdicts[0].result, "pass", "result 0");
		CHECK_STR(r.verdicts[0].identity,
		    "smtp.mailfrom=user@pass.example", "identity 0");
		CHECK_STR(r.verdicts[1].method, "sender-id", "method 1");
		CHECK_STR(r.verdicts[1].identity,
		    "header.from=user@pass.example", "identity 1");
	}
	enma_session_free(s);
	/* the PRA scope takes spf2.0/pra, the MAIL FROM v=spf1 */
	s = run(e, &sid, h2, &r);
	CHECK_STR(r.header_value, ID ";\n\tspf=fail smtp.mailfrom="
	    "user@sid.example;\n\tsender-id=pass header.from=user@sid.example",
	    "pra scope");
	enma_session_free(s);
	enma_engine_free(e);
}

struct scase {
	const char		*name;
	const char *const	*hdrs;
	const char		*header;
};

static const char *const sh_from[] = { "From: a@fail.example", NULL };
static const char *const sh_sender[] = { "From: a@fail.example",
	"Sender: Secretary <x@pass.example>", NULL };
static const char *const sh_resent[] = { "Resent-From: r@pass.example",
	"Received: from a by b", "From: a@fail.example", NULL };
static const char *const sh_none[] = { "Subject: no from", NULL };
static const char *const sh_two[] = { "From: a@pass.example",
	"From: b@pass.example", NULL };
static const char *const sh_temp[] = { "From: a@temp.example", NULL };

/* Sender ID only (spf.auth: false): RFC 4407 2 picks the field. */
static const struct scase sidf_cases[] = {
	{ "from", sh_from,
	    ID ";\n\tsender-id=fail header.from=a@fail.example" },
	{ "sender", sh_sender,
	    ID ";\n\tsender-id=pass header.sender=x@pass.example" },
	{ "resent-from", sh_resent,
	    ID ";\n\tsender-id=pass header.resent-from=r@pass.example" },
	{ "no from", sh_none,
	    ID ";\n\tsender-id=permerror (no purported responsible address)" },
	{ "two from", sh_two,
	    ID ";\n\tsender-id=permerror (no purported responsible address)" },
	{ "temperror", sh_temp,
	    ID ";\n\tsender-id=temperror header.from=a@temp.example" },
};

static void
test_sidf(struct enma_zone *z)
{
	static const struct vcase c = { "sidf", "192.0.2.1", "helo.example",
	    "<user@pass.example>", NULL, NULL };
	struct enma_engine	*e = mkengine(z, "spf.auth: false\n");
	struct enma_session	*s;
	struct enma_result	 r;
	size_t			 i;

	for (i = 0; i < sizeof(sidf_cases) / sizeof(sidf_cases[0]); i++) {
		s = run(e, &c, sidf_cases[i].hdrs, &r);
		CHECK_STR(r.header_value, sidf_cases[i].header,
		    sidf_cases[i].name);
		enma_session_free(s);
	}
	enma_engine_free(e);
}

static void
test_helo_check(struct enma_zone *z)
{
	static const struct vcase c = { "helo", "192.0.2.1", "helo.example",
	    "<user@fail.example>", NULL, NULL };
	static const struct vcase n = { "helo null", "192.0.2.9",
	    "helo.example", "<>", NULL, NULL };
	struct enma_engine	*e = mkengine(z, "sidf.auth: false\n"
	    "spf.helo_check: true\n");
	struct enma_session	*s;
	struct enma_result	 r;

	s = run(e, &c, NULL, &r);
	CHECK_STR(r.header_value, ID ";\n\tspf=fail smtp.mailfrom="
	    "user@fail.example;\n\tspf=pass smtp.helo=helo.example",
	    "helo check");
	CHECK_STR(r.logline, "spf=fail spf-helo=pass", "helo logline");
	enma_session_free(s);
	s = run(e, &n, NULL, &r);
	CHECK_STR(r.header_value, ID ";\n\tspf=fail smtp.mailfrom="
	    "postmaster@helo.example;\n\tspf=fail smtp.helo=helo.example",
	    "helo check, null sender");
	enma_session_free(s);
	enma_engine_free(e);
}

static const char *const forged[] = {
	"Authentication-Results: other.example; spf=pass",	/* 1 foreign */
	"Received: from a by b",
	"Authentication-Results: MX.Example.JP; spf=pass",	/* 2 ours */
	"authentication-results: " ID "; sender-id=pass",	/* 3 ours */
	"ARC-Authentication-Results: i=1; " ID "; spf=pass",	/* not A-R */
	"Authentication-Results:\r\n (forged) " ID " ; none",	/* 4 ours */
	"Authentication-Results: " ID ".evil; spf=pass",	/* 5 foreign */
	"From: user@pass.example",
	NULL
};

static void
test_forged(struct enma_zone *z)
{
	static const struct vcase c = { "forged", "192.0.2.1", "helo.example",
	    "<user@pass.example>", NULL, NULL };
	static const struct vcase ex = { "excluded", "127.0.0.1",
	    "helo.example", "<user@pass.example>", NULL, NULL };
	static const struct vcase mapped = { "mapped", "::ffff:127.0.0.1",
	    "helo.example", "<user@pass.example>", NULL, NULL };
	struct enma_engine	*e = mkengine(z, "");
	struct enma_session	*s;
	struct enma_result	 r;

	s = run(e, &c, forged, &r);
	CHECK(r.ndelete == 3, "three forged, got %zu", r.ndelete);
	if (r.ndelete == 3)
		CHECK(r.delete_idx[0] == 4 && r.delete_idx[1] == 3 &&
		    r.delete_idx[2] == 2, "highest first: %u %u %u",
		    r.delete_idx[0], r.delete_idx[1], r.delete_idx[2]);
	CHECK(r.header_value != NULL, "header still added");
	enma_session_free(s);
	/* an excluded client: no verdicts, no header, forged still listed */
	s = run(e, &ex, forged, &r);
	CHECK(r.skipped == 1 && r.header_value == NULL && r.nverdicts == 0,
	    "excluded");
	CHECK(r.ndelete == 3 && r.delete_idx[0] == 4, "excluded: deletions");
	CHECK_STR(r.logline, "skipped (excluded client)", "excluded logline");
	enma_session_free(s);
	s = run(e, &mapped, forged, &r);
	CHECK(r.skipped == 1 && r.ndelete == 3, "mapped 127.0.0.1 excluded");
	enma_session_free(s);
	/* an authenticated client: likewise */
	s = enma_session_new(e);
	conn(s, "192.0.2.1");
	(void)enma_session_auth(s, ENMA_SPAN_LIT("alice"));
	(void)enma_session_mail_from(s, ENMA_SPAN_LIT("<user@fail.example>"));
	hdr(s, forged[2]);
	(void)enma_session_eom(s, &r);
	CHECK(r.skipped == 2 && r.header_value == NULL && r.nverdicts == 0,
	    "authenticated");
	CHECK(r.ndelete == 1 && r.delete_idx[0] == 1, "auth: deletion");
	CHECK_STR(r.logline, "skipped (authenticated)", "auth logline");
	/* the next transaction on the same connection stays authenticated */
	enma_session_reset(s);
	(void)enma_session_mail_from(s, ENMA_SPAN_LIT("<user@fail.example>"));
	(void)enma_session_eom(s, &r);
	CHECK(r.skipped == 2 && r.ndelete == 0, "auth after reset");
	enma_session_free(s);
	enma_engine_free(e);
}

static void
test_transactions(struct enma_zone *z)
{
	struct enma_engine	*e = mkengine(z, "sidf.auth: false\n");
	struct enma_session	*s = enma_session_new(e);
	struct enma_result	 r;

	conn(s, "192.0.2.1");
	(void)enma_session_helo(s, ENMA_SPAN_LIT("helo.example"));
	(void)enma_session_mail_from(s, ENMA_SPAN_LIT("<a@fail.example>"));
	hdr(s, forged[2]);
	(void)enma_session_eom(s, &r);
	CHECK_STR(r.header_value, ID ";\n\tspf=fail smtp.mailfrom="
	    "a@fail.example", "first message");
	CHECK(r.ndelete == 1, "first: one forged");
	enma_session_reset(s);
	/* second message: HELO kept, nothing of the first one left */
	(void)enma_session_mail_from(s, ENMA_SPAN_LIT("<>"));
	hdr(s, "Subject: second");
	(void)enma_session_eom(s, &r);
	CHECK_STR(r.header_value, ID ";\n\tspf=pass smtp.mailfrom="
	    "postmaster@helo.example", "second message");
	CHECK(r.ndelete == 0, "second: no forged");
	/* no reset: a header after _eom starts a new transaction */
	hdr(s, forged[0]);
	hdr(s, forged[2]);
	(void)enma_session_eom(s, &r);
	CHECK_STR(r.header_value, ID ";\n\tspf=temperror (no MAIL FROM given)",
	    "implicit reset");
	CHECK(r.ndelete == 1 && r.delete_idx[0] == 2, "renumbered");
	/* _eom twice: the same answer */
	(void)enma_session_eom(s, &r);
	CHECK(r.ndelete == 1 && r.delete_idx[0] == 2, "eom twice");
	/* MAIL FROM twice: the second replaces the first */
	enma_session_reset(s);
	(void)enma_session_mail_from(s, ENMA_SPAN_LIT("<a@fail.example>"));
	(void)enma_session_mail_from(s, ENMA_SPAN_LIT("<a@pass.example>"));
	(void)enma_session_eom(s, &r);
	CHECK_STR(r.header_value, ID ";\n\tspf=pass smtp.mailfrom="
	    "a@pass.example", "second MAIL FROM");
	/* a new _connect forgets the HELO */
	conn(s, "192.0.2.1");
	(void)enma_session_mail_from(s, ENMA_SPAN_LIT("<>"));
	(void)enma_session_eom(s, &r);
	CHECK_STR(r.header_value, ID ";\n\tspf=none (no HELO)", "reconnect");
	enma_session_free(s);
	/* _eom on a fresh session: everything temperror, still a header */
	s = enma_session_new(e);
	(void)enma_session_eom(s, &r);
	CHECK_STR(r.header_value, ID ";\n\tspf=temperror (no MAIL FROM given)",
	    "bare eom");
	enma_session_reset(s);
	enma_session_reset(s);
	CHECK(enma_session_eom(NULL, &r) == ENMA_EINVAL, "NULL session");
	{
		struct enma_span bad = { NULL, 3 };

		CHECK(enma_session_header(s, bad) == ENMA_EINVAL,
		    "NULL bytes");
	}
	enma_session_free(s);
	enma_session_free(NULL);
	enma_engine_free(e);
}

static void
test_limits(struct enma_zone *z)
{
	static const struct vcase c = { "limits", "192.0.2.1", "helo.example",
	    "<user@pass.example>", NULL, NULL };
	struct enma_engine	*e = mkengine(z, "spf.auth: false\n");
	struct enma_session	*s = enma_session_new(e);
	struct enma_result	 r;
	unsigned		 i;
	char			 f[64];

	conn(s, c.ip);
	hdr(s, "From: user@pass.example");
	for (i = 0; i < ENMA_SESSION_MAX_HEADERS; i++) {
		(void)snprintf(f, sizeof(f), "X-Filler-%u: %u", i, i);
		hdr(s, f);
	}
	/* past the limit: not kept, still numbered */
	hdr(s, "Authentication-Results: other.example; none");
	hdr(s, "Authentication-Results: " ID "; spf=pass");
	(void)enma_session_eom(s, &r);
	CHECK_STR(r.header_value, ID ";\n\tsender-id=temperror (header limit "
	    "reached)", "header limit");
	CHECK(r.ndelete == 1 && r.delete_idx[0] == 2, "numbered past limit");
	enma_session_free(s);
	/* one field too big for the byte budget */
	s = enma_session_new(e);
	conn(s, c.ip);
	{
		size_t	 n = ENMA_SESSION_MAX_HEADER_BYTES + 10;
		char	*big = malloc(n);

		memset(big, 'a', n);
		memcpy(big, "X-Big: ", 7);
		(void)enma_session_header(s, enma_span_make(big, n));
		free(big);
	}
	hdr(s, "From: user@pass.example");
	(void)enma_session_eom(s, &r);
	CHECK_STR(r.header_value, ID ";\n\tsender-id=temperror (header limit "
	    "reached)", "byte limit");
	enma_session_free(s);
	enma_engine_free(e);
}

static void
test_injection(struct enma_zone *z)
{
	static const struct vcase c = { "inject", "192.0.2.1",
	    "helo.example\r\nX-Injected: 1", "<user@pass.example>", NULL,
	    NULL };
	static const char *const h[] = {
	    "From: \"x\r\nX-Injected: 1\" <user@pass.example>",
	    "Sender: user@pass.example\nX-Injected: 2", NULL };
	struct enma_engine	*e = mkengine(z, "spf.helo_check: true\n");
	struct enma_session	*s;
	struct enma_result	 r;

	s = run(e, &c, h, &r);
	CHECK(r.header_value != NULL && safe(r.header_value) &&
	    strstr(r.header_value, "smtp.helo") == NULL &&
	    strstr(r.header_value, "Injected") == NULL, "injection: %s",
	    r.header_value ? r.header_value : "(null)");
	enma_session_free(s);
	/* a NUL byte in the HELO: not the name before it */
	s = enma_session_new(e);
	conn(s, "192.0.2.1");
	(void)enma_session_helo(s, enma_span_make("helo.example\0x", 14));
	(void)enma_session_mail_from(s, ENMA_SPAN_LIT("<>"));
	(void)enma_session_eom(s, &r);
	CHECK_STR(r.header_value, ID ";\n\tspf=none (HELO is not a domain "
	    "name);\n\tspf=none (HELO is not a domain name);\n\t"
	    "sender-id=permerror (no purported responsible address)",
	    "NUL in HELO");
	enma_session_free(s);
	enma_engine_free(e);
}

static void
test_explog(struct enma_zone *z)
{
	static const struct vcase c = { "exp", "192.0.2.1", "helo.example",
	    "<user@exp.example>", NULL, NULL };
	struct enma_engine	*e = mkengine(z, "sidf.auth: false\n");
	struct enma_session	*s;
	struct enma_result	 r;

	logs.all[0] = '\0';
	s = run(e, &c, NULL, &r);
	CHECK_STR(r.header_value, ID ";\n\tspf=fail smtp.mailfrom="
	    "user@exp.example", "exp fail");
	CHECK(strstr(logs.all, "go away user@exp.example") != NULL,
	    "explanation logged: %s", logs.all);
	enma_session_free(s);
	enma_engine_free(e);
	e = mkengine(z, "sidf.auth: false\nspf.explog: false\n");
	logs.all[0] = '\0';
	s = run(e, &c, NULL, &r);
	CHECK(strstr(logs.all, "go away") == NULL, "explog off: %s", logs.all);
	enma_session_free(s);
	enma_engine_free(e);
}

static void
test_engine_conf(void)
{
	struct enma_conf	*c = enma_conf_new();
	struct enma_engine	*e = NULL;
	char			 err[512], path[] = "/tmp/test_engine.XXXXXX";
	char			 line[128];
	struct enma_session	*s;
	struct enma_result	 r;
	FILE			*fp;
	int			 fd;

	/* zone without a file */
	(void)enma_conf_set(c, "dns.resolver", "zone", err, sizeof(err));
	CHECK(enma_engine_new(c, NULL, NULL, NULL, &e, err, sizeof(err)) ==
	    ENMA_EINVAL && e == NULL, "zone without file");
	CHECK_STR(err, "dns.resolver is zone but dns.zonefile is empty",
	    "zone error");
	/* zone from a file, no resolver given */
	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp");
	fp = fdopen(fd, "w");
	fputs("$ORIGIN example.\nzf 300 IN TXT \"v=spf1 ip4:192.0.2.7 -all\"\n",
	    fp);
	fclose(fp);
	(void)enma_conf_set(c, "dns.zonefile", path, err, sizeof(err));
	(void)enma_conf_set(c, "authresult.identifier", ID, err, sizeof(err));
	(void)enma_conf_set(c, "sidf.auth", "off", err, sizeof(err));
	(void)enma_conf_set(c, "dkim.auth", "off", err, sizeof(err));
	(void)enma_conf_set(c, "dkimadsp.auth", "off", err, sizeof(err));
	CHECK(enma_engine_new(c, NULL, NULL, NULL, &e, err, sizeof(err)) ==
	    ENMA_OK, "zone file: %s", err);
	enma_conf_free(c);	/* the engine keeps what it needs */
	if (e != NULL) {
		CHECK_STR(enma_engine_authserv_id(e), ID, "authserv-id");
		s = enma_session_new(e);
		conn(s, "192.0.2.7");
		(void)enma_session_mail_from(s,
		    ENMA_SPAN_LIT("<a@zf.example>"));
		(void)enma_session_eom(s, &r);
		CHECK_STR(r.header_value, ID ";\n\tspf=pass smtp.mailfrom="
		    "a@zf.example", "zone file verdict");
		enma_session_free(s);
		enma_engine_free(e);
	}
	unlink(path);
	/* ldns with explicit nameservers; the default authserv-id */
	c = enma_conf_new();
	(void)enma_conf_set(c, "dns.nameservers", "192.0.2.53", err,
	    sizeof(err));
	e = NULL;
	CHECK(enma_engine_new(c, NULL, NULL, NULL, &e, err, sizeof(err)) ==
	    ENMA_OK, "ldns engine: %s", err);
	if (e != NULL) {
		CHECK(gethostname(line, sizeof(line)) == 0, "gethostname");
		CHECK(enma_engine_authserv_id(e) != NULL &&
		    strncmp(enma_engine_authserv_id(e), line,
		    strlen(line)) == 0, "authserv-id %s from host name %s",
		    enma_engine_authserv_id(e), line);
	}
	enma_engine_free(e);
	enma_conf_free(c);
	CHECK(enma_engine_new(NULL, NULL, NULL, NULL, &e, NULL, 0) ==
	    ENMA_EINVAL, "NULL conf");
	enma_engine_free(NULL);
}

static void
test_no_methods(struct enma_zone *z)
{
	static const struct vcase c = { "none", "192.0.2.1", "helo.example",
	    "<user@pass.example>", NULL, NULL };
	struct enma_engine	*e;
	struct enma_session	*s;
	struct enma_result	 r;

	e = mkengine(z, "spf.auth: no\nsidf.auth: no\n");
	s = run(e, &c, NULL, &r);
	/* RFC 8601 2.2: no-result */
	CHECK_STR(r.header_value, ID "; none", "no methods");
	CHECK_STR(r.logline, "none", "no methods logline");
	enma_session_free(s);
	enma_engine_free(e);
}

int
main(void)
{
	struct enma_zone *z = mkzone();

	test_spf_verdicts(z);
	test_both(z);
	test_sidf(z);
	test_helo_check(z);
	test_forged(z);
	test_transactions(z);
	test_limits(z);
	test_injection(z);
	test_explog(z);
	test_no_methods(z);
	test_engine_conf();
	enma_zone_free(z);
	return check_done("engine");
}
