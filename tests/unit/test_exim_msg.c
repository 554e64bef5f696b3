/*
 * test_exim_msg.c - the Exim adapter's message path, without Exim
 *
 * plugins/exim/exim_msg.c is compiled in here, with the Exim API it
 * uses (local_scan.h, exim4-dev) played by the stubs below, so that the
 * failures a real Exim does not produce on demand can be: a spool data
 * file that cannot be read, no memory for a session.  The rule under
 * test (DESIGN "the session"): the message is accepted all the same,
 * with the engine's temperror header, forged Authentication-Results
 * (RFC 8601 5) removed, never a 451.  The expected header values are
 * written by hand from the RFC 8601 2.2 grammar, folded as authres.h
 * documents; Exim's header_add_at_position takes "Name: value\n".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../plugins/exim/exim_msg.c"

#include <enma/dns.h>

#include "check.h"

#define ID	"mx.example.jp"
#define MAX_HDRS 8

/* Allocation refused on demand (see test_engine_fallback.c). */
#if defined(__SANITIZE_ADDRESS__)
#define NO_ALLOC_HOOK	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_ALLOC_HOOK	1
#endif
#endif

#ifndef NO_ALLOC_HOOK
static int	alloc_refuse;

void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);

void *
malloc(size_t n)
{
	return alloc_refuse ? NULL : __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	return alloc_refuse ? NULL : __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	return alloc_refuse ? NULL : __libc_realloc(p, n);
}
#endif

/* --- Exim, played here: what local_scan.h declares and we use ---------- */

uschar		*sender_host_address;
int		 sender_host_port;
uschar		*sender_host_authenticated;
unsigned char	*sender_address;
header_line	*header_list;

static const char *helo_name = "client.example";
static char	 added[8192];	/* header_add_at_position, all calls */
static unsigned	 nadded;
static char	 logged[8192];	/* exim_log, the last line */

uschar *
expand_string(uschar *var)
{
	if (strcmp((const char *)var, "$sender_helo_name") == 0)
		return (uschar *)(uintptr_t)helo_name;
	if (strcmp((const char *)var, "$authenticated_id") == 0)
		return (uschar *)(uintptr_t)"alice";
	return (uschar *)(uintptr_t)"";
}

/* local_scan.h does not say it: a printf format, as Exim's string_vformat */
void	header_add_at_position(BOOL, uschar *, BOOL, int, const char *, ...)
	    __attribute__((format(printf, 5, 6)));

void
header_add_at_position(BOOL after, uschar *name, BOOL topnot, int type,
    const char *fmt, ...)
{
	va_list	ap;
	size_t	n = strlen(added);

	CHECK(!after && name == NULL && !topnot && type == ' ',
	    "added at the very top");
	va_start(ap, fmt);
	(void)vsnprintf(added + n, sizeof(added) - n, fmt, ap);
	va_end(ap);
	nadded++;
}

void
exim_log(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(logged, sizeof(logged), fmt, ap);
	va_end(ap);
}

/* --- the message ---------------------------------------------------------- */

static header_line	hl[MAX_HDRS];
static char		htext[MAX_HDRS][256];

/* set_headers - Exim's list: its Received: first, LF line ends */
static void
set_headers(void)
{
	static const char *const f[] = {
		"Received: from client.example ([192.0.2.1])\n"
		"\tby mx.example.jp; Thu, 1 Jan 2026 00:00:00 +0000\n",
		"Authentication-Results: MX.Example.JP; spf=pass\n",
		"Authentication-Results: other.example.net; spf=fail\n",
		"From: Alice <alice@pass.example>\n",
		"Authentication-Results: (c) mx.example.jp;\n\tdkim=pass\n",
		"Subject: test\n",
		NULL
	};
	size_t	i;

	header_list = NULL;
	for (i = 0; f[i] != NULL && i < MAX_HDRS; i++) {
		(void)snprintf(htext[i], sizeof(htext[i]), "%s", f[i]);
		hl[i].text = (uschar *)htext[i];
		hl[i].slen = (int)strlen(htext[i]);
		hl[i].type = ' ';
		hl[i].next = f[i + 1] != NULL ? &hl[i + 1] : NULL;
	}
	header_list = &hl[0];
}

/* deleted - which fields are marked '*', as "1 4" */
static const char *
deleted(void)
{
	static char	out[64];
	header_line	*h;
	int		i = 0;

	out[0] = '\0';
	for (h = header_list; h != NULL; h = h->next, i++)
		if (h->type == '*')
			(void)snprintf(out + strlen(out),
			    sizeof(out) - strlen(out), "%s%d",
			    out[0] != '\0' ? " " : "", i);
	return out;
}

/* client - Exim's view of the client */
static void
client(const char *ip, int auth)
{
	sender_host_address = (uschar *)(uintptr_t)ip;
	sender_host_port = ip != NULL ? 49152 : 0;
	sender_host_authenticated = auth ? (uschar *)(uintptr_t)"plain" :
	    NULL;
	sender_address = (unsigned char *)(uintptr_t)"alice@pass.example";
	added[0] = '\0';
	nadded = 0;
	logged[0] = '\0';
	set_headers();
}

/* spool - a data file positioned at the body, as Exim gives it */
static int
spool(const char *body)
{
	char	path[] = "/tmp/test_exim_msg.XXXXXX";
	int	fd = mkstemp(path);

	CHECK(fd >= 0, "mkstemp");
	if (fd < 0)
		return -1;
	(void)unlink(path);
	CHECK(write(fd, "1abcde-000000-00-D\n", 19) == 19 &&
	    write(fd, body, strlen(body)) == (ssize_t)strlen(body), "write");
	(void)lseek(fd, 19, SEEK_SET);
	return fd;
}

/* mkengine - all methods (the defaults), on a zone */
static struct enma_engine *
mkengine(struct enma_zone *z, const char *extra)
{
	struct enma_conf	*c = enma_conf_new();
	struct enma_resolver	*r = NULL;
	struct enma_engine	*e = NULL;
	char			 err[512];
	struct enma_span	 t = ENMA_SPAN_LIT("v=spf1 ip4:192.0.2.1 -all");

	CHECK(enma_zone_add_txt(z, "pass.example", ENMA_DNS_TXT, &t, 1) ==
	    ENMA_OK, "zone");
	CHECK(enma_conf_load_span(c, ENMA_SPAN_LIT("authresult.identifier: "
	    ID "\ncommon.exclusion_addresses: 127.0.0.1\n"), "t", err,
	    sizeof(err)) == ENMA_OK, "conf: %s", err);
	CHECK(enma_conf_load_span(c, enma_span_from_cstr(extra), "x", err,
	    sizeof(err)) == ENMA_OK, "conf: %s", err);
	CHECK(enma_resolver_zone_new(z, &r) == ENMA_OK, "resolver");
	CHECK(enma_engine_new(c, r, NULL, NULL, &e, err, sizeof(err)) ==
	    ENMA_OK, "engine: %s", err);
	enma_conf_free(c);
	return e;
}

#define FALLBACK(why)							\
	"Authentication-Results: " ID ";\n"				\
	"\tspf=temperror (" why ");\n"					\
	"\tsender-id=temperror (" why ");\n"				\
	"\tdkim=temperror (" why ");\n"					\
	"\tdkim-adsp=temperror (" why ")\n"
#define FALLBACK_LOG	"spf=temperror sender-id=temperror dkim=temperror " \
			"dkim-adsp=temperror"

/* test_verified - the ordinary path, for comparison */
static void
test_verified(struct enma_engine *e)
{
	uschar	*rt = NULL;
	int	 fd = spool("hello\n");

	client("192.0.2.1", 0);
	CHECK(exim_scan_message(e, fd, &rt) == LOCAL_SCAN_ACCEPT, "accept");
	CHECK(nadded == 1 && strstr(added, "spf=pass smtp.mailfrom="
	    "alice@pass.example") != NULL, "verified: %s", added);
	/* RFC 8601 5: ours (any case, after CFWS) removed, foreign kept */
	CHECK_STR(deleted(), "1 4", "verified: forged fields");
	CHECK(rt == NULL, "no return text");
	close(fd);
}

/* test_spool - a spool data file that cannot be read: accepted */
static void
test_spool(struct enma_engine *e)
{
	uschar	*rt = NULL;
	int	 dfd;

	/* lseek fails */
	client("192.0.2.1", 0);
	CHECK(exim_scan_message(e, -1, &rt) == LOCAL_SCAN_ACCEPT,
	    "bad descriptor: accepted, not 451");
	CHECK_STR(added, FALLBACK("spool data file: input/output error"),
	    "bad descriptor: header");
	CHECK(nadded == 1, "one header added");
	CHECK_STR(deleted(), "1 4", "bad descriptor: forged fields");
	CHECK_STR(logged, "client=192.0.2.1 " FALLBACK_LOG " deleted-forged=2 "
	    "(spool data file: input/output error)", "bad descriptor: log");
	CHECK(rt == NULL, "no return text");

	/* read fails (EISDIR) */
	dfd = open("/", O_RDONLY | O_DIRECTORY);
	client("192.0.2.1", 0);
	CHECK(exim_scan_message(e, dfd, &rt) == LOCAL_SCAN_ACCEPT,
	    "unreadable: accepted");
	CHECK_STR(added, FALLBACK("spool data file: input/output error"),
	    "unreadable: header");
	close(dfd);

	/* excluded client: no header (the engine skips it), forged gone */
	client("127.0.0.1", 0);
	CHECK(exim_scan_message(e, -1, &rt) == LOCAL_SCAN_ACCEPT,
	    "excluded: accepted");
	CHECK(nadded == 0, "excluded: no header: %s", added);
	CHECK_STR(deleted(), "1 4", "excluded: forged fields");
	CHECK_STR(logged, "client=127.0.0.1 skipped (excluded client) "
	    "deleted-forged=2 (spool data file: input/output error)",
	    "excluded: log");

	/* authenticated client: the same */
	client("192.0.2.1", 1);
	CHECK(exim_scan_message(e, -1, &rt) == LOCAL_SCAN_ACCEPT,
	    "authenticated: accepted");
	CHECK(nadded == 0, "authenticated: no header");
	CHECK_STR(deleted(), "1 4", "authenticated: forged fields");

	/* local submission: verified as none would be, so the header */
	client(NULL, 0);
	CHECK(exim_scan_message(e, -1, &rt) == LOCAL_SCAN_ACCEPT,
	    "local: accepted");
	CHECK_STR(added, FALLBACK("spool data file: input/output error"),
	    "local: header");
}

/* test_no_memory - no memory at all: no session, accepted, the header */
static void
test_no_memory(struct enma_engine *e)
{
#ifndef NO_ALLOC_HOOK
	uschar	*rt = NULL;
	int	 fd = spool("hello\n"), rc;

	client("192.0.2.1", 0);
	alloc_refuse = 1;
	rc = exim_scan_message(e, fd, &rt);
	alloc_refuse = 0;
	CHECK(rc == LOCAL_SCAN_ACCEPT, "no memory: accepted, not 451");
	CHECK_STR(added, FALLBACK("no session: out of memory"),
	    "no memory: header");
	CHECK_STR(deleted(), "1 4", "no memory: forged fields");
	CHECK_STR(logged, "client=192.0.2.1 " FALLBACK_LOG " deleted-forged=2 "
	    "(no session: out of memory)", "no memory: log");
	close(fd);
#else
	(void)e;
	printf("test_no_memory: skipped under a sanitizer's allocator\n");
#endif
}

/* test_helo_check - the fallback follows the configuration */
static void
test_helo_check(struct enma_zone *z)
{
	struct enma_engine	*e;
	uschar			*rt = NULL;

	e = mkengine(z, "spf.helo_check: yes\nsidf.auth: no\n"
	    "dkimadsp.auth: no\n");
	if (e == NULL)
		return;
	client("192.0.2.1", 0);
	CHECK(exim_scan_message(e, -1, &rt) == LOCAL_SCAN_ACCEPT, "accept");
	CHECK_STR(added, "Authentication-Results: " ID ";\n"
	    "\tspf=temperror (spool data file: input/output error);\n"
	    "\tspf=temperror (spool data file: input/output error);\n"
	    "\tdkim=temperror (spool data file: input/output error)\n",
	    "helo check: header");
	enma_engine_free(e);
}

int
main(void)
{
	struct enma_zone	*z = enma_zone_new();
	struct enma_engine	*e = mkengine(z, "");

	if (e != NULL) {
		test_verified(e);
		test_spool(e);
		test_no_memory(e);
		enma_engine_free(e);
	}
	test_helo_check(z);
	enma_zone_free(z);
	return check_done("exim_msg");
}
