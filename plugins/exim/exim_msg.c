/*
 * exim_msg.c - one message: Exim's view of it into an enma session
 *
 * What Exim shows local_scan() (RECIPES.md section 5): the client in
 * sender_host_address (NULL for a local submission), the envelope
 * sender in sender_address (no angle brackets; empty for the null
 * sender), AUTH in sender_host_authenticated (the authenticator's name)
 * and $authenticated_id, the HELO name through $sender_helo_name; the
 * header list with Exim's own Received: first, each field's text with
 * its LF line ends, '*' as the type of a deleted field; the body in the
 * spool data file, LF line ends, read here in chunks and handed to the
 * engine with CRLF.
 *
 * Forged Authentication-Results are deleted by marking them '*' (no
 * renumbering, so the order does not matter); ours goes at the very
 * top, above Exim's Received: (PITFALLS 9).  One log line per message.
 *
 * Our own failures never reject the message: with no session, a spool
 * file that cannot be read or an end of message that gives no header,
 * the forged fields are found here, the engine's fallback header
 * (temperror for every method, the reason as a comment) is added, and
 * the message is accepted.  That path allocates nothing of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <enma/authres.h>
#include <enma/mail.h>

#include "exim.h"

/* The client as Exim shows it: for the session, the log and the fallback. */
struct msg_client {
	char		 text[ENMA_IP_TEXT_MAX];
	struct enma_ip	 ip;
	int		 has_ip;	/* else local, or not understood */
	int		 bad_ip;	/* not understood: no _connect */
	int		 auth;		/* SMTP AUTH */
};

/* msg_client_read - the client address, or none for a local submission */
static void
msg_client_read(struct msg_client *c)
{
	memset(c, 0, sizeof(*c));
	c->auth = sender_host_authenticated != NULL;
	if (sender_host_address == NULL) {
		(void)snprintf(c->text, sizeof(c->text), "local");
		return;
	}
	if (enma_ip_from_text(enma_span_from_cstr(
	    (const char *)sender_host_address), &c->ip) != ENMA_OK) {
		/* never from Exim; the engine then gives temperror */
		exim_log("client address not understood");
		(void)snprintf(c->text, sizeof(c->text), "unknown");
		c->bad_ip = 1;
		return;
	}
	c->has_ip = 1;
	(void)enma_ip_to_text(&c->ip, c->text, sizeof(c->text));
}

/* msg_connect - the client into the session */
static void
msg_connect(struct enma_session *s, const struct msg_client *c)
{
	if (c->bad_ip)
		return;
	(void)enma_session_connect(s, c->has_ip ? &c->ip : NULL,
	    c->has_ip && sender_host_port > 0 ? (unsigned)sender_host_port :
	    0);
}

/* msg_expand - a variable's value, or NULL when empty or unknown */
static const char *
msg_expand(uschar *var)
{
	const uschar	*v;

	v = expand_string(var);
	return v != NULL && v[0] != '\0' ? (const char *)v : NULL;
}

/* msg_envelope - client, HELO, AUTH and MAIL FROM into the session */
static enma_status
msg_envelope(struct enma_session *s, const struct msg_client *c)
{
	struct enma_buf	 path;
	const char	*helo, *user;
	enma_status	 st;

	msg_connect(s, c);
	if ((helo = msg_expand(US"$sender_helo_name")) != NULL)
		(void)enma_session_helo(s, enma_span_from_cstr(helo));
	if (sender_host_authenticated != NULL) {
		/* the id the authenticator set, else its name: never empty */
		if ((user = msg_expand(US"$authenticated_id")) == NULL)
			user = (const char *)sender_host_authenticated;
		(void)enma_session_auth(s, user[0] != '\0' ?
		    enma_span_from_cstr(user) : ENMA_SPAN_LIT("unknown"));
	}
	/* the reverse-path as the client gave it: <a@b>, or <> */
	enma_buf_init(&path, 0);
	(void)enma_buf_putc(&path, '<');
	if (sender_address != NULL)
		(void)enma_buf_puts(&path, (const char *)sender_address);
	(void)enma_buf_putc(&path, '>');
	if ((st = enma_buf_status(&path)) == ENMA_OK)
		st = enma_session_mail_from(s, enma_buf_span(&path));
	enma_buf_free(&path);
	return st;
}

/*
 * msg_headers - every field not deleted, top to bottom, with CRLF line
 * ends.  A field the engine refuses (no name) is one the MTA counts
 * under no name either; one too long to rebuild goes as it is.
 */
static void
msg_headers(struct enma_session *s)
{
	struct enma_buf	 fixed;
	struct enma_span raw;
	header_line	*h;

	enma_buf_init(&fixed, ENMA_EXIM_MAX_FIELD);
	for (h = header_list; h != NULL; h = h->next) {
		if (h->type == '*' || h->text == NULL || h->slen <= 0)
			continue;
		raw = enma_span_make(h->text, (size_t)h->slen);
		enma_buf_reset(&fixed);
		if (enma_header_fix_eol(raw, &fixed) == ENMA_OK)
			raw = enma_buf_span(&fixed);
		(void)enma_session_header(s, raw);
	}
	enma_buf_free(&fixed);
}

/*
 * msg_crlf - copy n bytes of LF-ended body into out with CRLF line
 * ends; *cr says whether the byte before in[0] was a CR (a CRLF already
 * there stays as it is).  out holds 2 * n bytes.  Returns its length.
 */
static size_t
msg_crlf(const unsigned char *in, size_t n, unsigned char *out, int *cr)
{
	const unsigned char	*lf;
	size_t			 i = 0, o = 0, run;

	while (i < n) {
		lf = memchr(in + i, '\n', n - i);
		run = (lf != NULL ? (size_t)(lf - in) : n) - i;
		memcpy(out + o, in + i, run);
		o += run;
		if (run > 0)
			*cr = in[i + run - 1] == '\r';
		i += run;
		if (lf == NULL)
			break;
		if (!*cr)
			out[o++] = '\r';
		out[o++] = '\n';
		*cr = 0;
		i++;
	}
	return o;
}

/*
 * msg_body - the spool data file from where it stands to its end, in
 * chunks, then put back where it was.  ENMA_EIO when it cannot be read.
 */
static enma_status
msg_body(struct enma_session *s, int fd)
{
	unsigned char	*in, *out;
	off_t		 start;
	ssize_t		 n;
	int		 cr = 0;
	enma_status	 st = ENMA_OK;

	if ((start = lseek(fd, 0, SEEK_CUR)) == -1)
		return ENMA_EIO;
	in = malloc(ENMA_EXIM_BODY_CHUNK);
	out = malloc(2 * ENMA_EXIM_BODY_CHUNK);
	if (in == NULL || out == NULL)
		st = ENMA_ENOMEM;
	/* ends at the end of the file: a spool file does not grow */
	while (st == ENMA_OK) {
		n = read(fd, in, ENMA_EXIM_BODY_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			st = n == 0 ? ENMA_OK : ENMA_EIO;
			break;
		}
		(void)enma_session_body(s, enma_span_make(out,
		    msg_crlf(in, (size_t)n, out, &cr)));
	}
	free(in);
	free(out);
	if (lseek(fd, start, SEEK_SET) == -1 && st == ENMA_OK)
		st = ENMA_EIO;
	return st;
}

/*
 * msg_authres - is this header line an Authentication-Results?  Its
 * value in *value when it is.
 */
static int
msg_authres(const header_line *h, struct enma_span *value)
{
	struct enma_header	hdr;

	if (h->type == '*' || h->text == NULL || h->slen <= 0 ||
	    enma_header_parse(enma_span_make(h->text, (size_t)h->slen),
	    &hdr) != ENMA_OK ||
	    !enma_span_caseeq_cstr(hdr.name, ENMA_AUTHRES_NAME))
		return 0;
	*value = hdr.value;
	return 1;
}

/*
 * msg_delete - mark '*' the Authentication-Results fields whose
 * occurrence numbers (1-based, among the fields not deleted before,
 * counted as msg_headers fed them) the engine listed, highest first.
 * Returns how many were marked.
 */
static unsigned
msg_delete(const struct enma_result *r)
{
	header_line	*h;
	struct enma_span value;
	size_t		 j = r->ndelete;	/* walked lowest first */
	unsigned	 nth = 0, done = 0;

	for (h = header_list; h != NULL && j > 0; h = h->next) {
		if (!msg_authres(h, &value))
			continue;
		nth++;
		while (j > 0 && r->delete_idx[j - 1] < nth)
			j--;		/* a duplicate, or 0 */
		if (j > 0 && r->delete_idx[j - 1] == nth) {
			h->type = '*';
			done++;
			j--;
		}
	}
	if (done != r->ndelete)
		exim_log("%u of %zu forged %s fields found to delete", done,
		    r->ndelete, ENMA_AUTHRES_NAME);
	return done;
}

/*
 * msg_delete_ours - without the engine's list: mark '*' every
 * Authentication-Results field that carries our authserv-id (RFC 8601
 * 5), as the engine would have listed them.  Returns how many.
 */
static unsigned
msg_delete_ours(const char *authserv_id)
{
	header_line	*h;
	struct enma_span value;
	unsigned	 done = 0;

	for (h = header_list; h != NULL; h = h->next)
		if (msg_authres(h, &value) &&
		    enma_authres_is_ours(value, authserv_id)) {
			h->type = '*';
			done++;
		}
	return done;
}

/* msg_add - our header at the very top, above Exim's Received: */
static void
msg_add(const char *name, const char *value)
{
	header_add_at_position(FALSE, NULL, FALSE, ' ', "%s: %s\n", name,
	    value);
}

/* msg_apply - deletions, our header at the top, the log line */
static void
msg_apply(const struct enma_result *r, const struct msg_client *c)
{
	unsigned	deleted;

	deleted = msg_delete(r);
	if (r->header_value != NULL)
		msg_add(r->header_name != NULL ? r->header_name :
		    ENMA_AUTHRES_NAME, r->header_value);
	exim_log("client=%s %s deleted-forged=%u", c->text,
	    r->logline != NULL ? r->logline : "", deleted);
}

/*
 * msg_fallback - the message could not be verified (what failed, and
 * st): forged fields removed, the engine's temperror header unless the
 * engine skips this client, the message accepted all the same.  Fixed
 * buffers only: memory may be what ran out.
 */
static int
msg_fallback(const struct enma_engine *eng, const struct msg_client *c,
    const char *what, enma_status st)
{
	char		 vmem[ENMA_ENGINE_FALLBACK_MAX];
	char		 lmem[ENMA_ENGINE_FALLBACK_LOG_MAX];
	char		 why[ENMA_ENGINE_FALLBACK_REASON_MAX + 1];
	struct enma_buf	 hv, lv;
	const char	*logline = "no header";
	unsigned	 deleted;
	int		 skip;

	(void)snprintf(why, sizeof(why), "%s: %s", what, enma_strerror(st));
	deleted = msg_delete_ours(enma_engine_authserv_id(eng));
	enma_buf_init_fixed(&hv, vmem, sizeof(vmem));
	enma_buf_init_fixed(&lv, lmem, sizeof(lmem));
	skip = enma_engine_skip(eng, c->has_ip ? &c->ip : NULL, c->auth);
	if (skip)
		logline = skip == 1 ? "skipped (excluded client)" :
		    "skipped (authenticated)";
	else if (enma_engine_fallback(eng, why, &hv, &lv) == ENMA_OK) {
		msg_add(ENMA_AUTHRES_NAME, hv.p);
		logline = lv.p;
	}
	exim_log("client=%s %s deleted-forged=%u (%s)", c->text, logline,
	    deleted, why);
	return LOCAL_SCAN_ACCEPT;
}

/* exim_scan_message - one message through a session of its own */
int
exim_scan_message(struct enma_engine *eng, int fd, uschar **return_text)
{
	struct enma_session	*s;
	struct enma_result	 r;
	struct msg_client	 c;
	enma_status		 st;

	(void)return_text;	/* never rejected for our sake */
	msg_client_read(&c);
	if ((s = enma_session_new(eng)) == NULL)
		return msg_fallback(eng, &c, "no session", ENMA_ENOMEM);
	if ((st = msg_envelope(s, &c)) == ENMA_ENOMEM) {
		enma_session_free(s);
		return msg_fallback(eng, &c, "envelope", st);
	}
	msg_headers(s);
	if ((st = msg_body(s, fd)) != ENMA_OK) {
		enma_session_free(s);
		return msg_fallback(eng, &c, "spool data file", st);
	}
	st = enma_session_eom(s, &r);
	if (st != ENMA_OK && r.header_value == NULL && r.skipped == 0) {
		enma_session_free(s);
		return msg_fallback(eng, &c, "verification", st);
	}
	msg_apply(&r, &c);
	enma_session_free(s);
	return LOCAL_SCAN_ACCEPT;
}
