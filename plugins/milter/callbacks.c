/*
 * callbacks.c - libmilter callbacks: MTA events to enma_session calls
 *
 * One struct milter_conn per MTA connection (smfi_setpriv), holding the
 * session and what is needed to re-create it (client address, HELO,
 * AUTH) should an end of message have to leave its session behind.
 * No callback ever answers TEMPFAIL or REJECT because of our own
 * failure: the message goes on and gets temperror (DESIGN "the
 * session"); every callback returns SMFIS_CONTINUE.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <enma/authres.h>
#include <enma/mail.h>

#include "milter.h"

struct milter_global milter_g = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
};

static char desc_name[] = ENMA_MILTER_NAME;

/* milter_dupstr - strdup that logs; NULL stays NULL */
static char *
milter_dupstr(const char *s)
{
	char *d;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	if ((d = malloc(n)) == NULL) {
		mlog(LOG_ERR, "out of memory");
		return NULL;
	}
	memcpy(d, s, n);
	return d;
}

/* milter_conn_get - the connection's state, created on first use */
struct milter_conn *
milter_conn_get(SMFICTX *ctx)
{
	struct milter_conn *mc;

	if ((mc = smfi_getpriv(ctx)) != NULL)
		return mc;
	if ((mc = calloc(1, sizeof(*mc))) == NULL) {
		mlog(LOG_ERR, "out of memory for a connection");
		return NULL;
	}
	/*
	 * A connection reused by the MTA (SMFIC_QUIT_NC) starts again at
	 * connect without a new negotiation: assume what the last one gave.
	 */
	if (!milter_g.sendmail813) {
		pthread_mutex_lock(&milter_g.lock);
		mc->leadspc = milter_g.leadspc_seen;
		pthread_mutex_unlock(&milter_g.lock);
	}
	if (smfi_setpriv(ctx, mc) != MI_SUCCESS) {
		free(mc);
		return NULL;
	}
	return mc;
}

/* milter_conn_free - everything the connection holds */
static void
milter_conn_free(struct milter_conn *mc)
{
	if (mc == NULL)
		return;
	enma_session_free(mc->session);
	free(mc->helo);
	free(mc->auth);
	free(mc->qid);
	free(mc);
}

/*
 * milter_conn_session - make sure there is a session: create one and
 * replay connect, HELO and AUTH when it is missing.  A failure marks the
 * connection broken (its messages get the fallback temperror header).
 */
enma_status
milter_conn_session(struct milter_conn *mc)
{
	enma_status st;

	if (mc->session != NULL)
		return ENMA_OK;
	if ((mc->session = enma_session_new(milter_g.engine)) == NULL) {
		mc->broken = 1;
		mc->broken_why = "no session: out of memory";
		mlog(LOG_ERR, "cannot create a session: out of memory");
		return ENMA_ENOMEM;
	}
	st = enma_session_connect(mc->session, mc->has_ip ? &mc->ip : NULL,
	    mc->port);
	if (st == ENMA_OK && mc->helo != NULL)
		st = enma_session_helo(mc->session,
		    enma_span_from_cstr(mc->helo));
	if (st == ENMA_OK && mc->auth != NULL)
		st = enma_session_auth(mc->session,
		    enma_span_from_cstr(mc->auth));
	if (st != ENMA_OK)
		mlog(LOG_DEBUG, "session setup: %s", enma_strerror(st));
	return ENMA_OK;
}

/* milter_txn_end - the transaction is over: forget it, count it out */
void
milter_txn_end(struct milter_conn *mc)
{
	if (mc->session != NULL)
		enma_session_reset(mc->session);
	free(mc->qid);
	mc->qid = NULL;
	mc->ar_count = 0;
	mc->nforged = 0;
	mc->broken = 0;
	mc->broken_why = NULL;
	if (!mc->in_txn)
		return;
	mc->in_txn = 0;
	pthread_mutex_lock(&milter_g.lock);
	if (milter_g.inflight > 0 && --milter_g.inflight == 0)
		pthread_cond_broadcast(&milter_g.idle);
	pthread_mutex_unlock(&milter_g.lock);
}

/*
 * mlfi_negotiate - ask for header changes, and for header values with
 * their leading whitespace (SMFIP_HDR_LEADSPC) where the MTA offers it,
 * so that each field is rebuilt byte for byte (DKIM simple needs it).
 * Events without a callback here are declined where the MTA allows it.
 */
static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct milter_conn *mc;
	int leadspc;

	(void)f2;
	(void)f3;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS);
	*pf1 = f1 & (SMFIP_HDR_LEADSPC | SMFIP_NORCPT | SMFIP_NOEOH |
	    SMFIP_NOUNKNOWN | SMFIP_NODATA);
	*pf2 = 0;
	*pf3 = 0;
	if ((*pf0 & SMFIF_ADDHDRS) == 0)
		mlog(LOG_WARNING, "MTA does not allow adding headers");
	leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	pthread_mutex_lock(&milter_g.lock);
	milter_g.leadspc_seen = leadspc;
	pthread_mutex_unlock(&milter_g.lock);
	if ((mc = milter_conn_get(ctx)) != NULL)
		mc->leadspc = leadspc;
	return SMFIS_CONTINUE;
}

/* mlfi_connect - the client address: sockaddr first, then {client_addr} */
static sfsistat
mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct milter_conn *mc;
	enma_status st;

	(void)hostname;
	if ((mc = milter_conn_get(ctx)) == NULL)
		return SMFIS_CONTINUE;
	enma_session_free(mc->session);
	mc->session = NULL;
	mc->broken = 0;
	mc->broken_why = NULL;
	mc->has_ip = milter_addr_from_sockaddr(hostaddr, &mc->ip, &mc->port);
	if (!mc->has_ip)
		mc->has_ip = milter_addr_from_macro(
		    smfi_getsymval(ctx, "{client_addr}"), &mc->ip);
	if (mc->has_ip)
		enma_ip_to_text(&mc->ip, mc->ipbuf, sizeof(mc->ipbuf));
	else
		snprintf(mc->ipbuf, sizeof(mc->ipbuf), "local");
	if ((st = milter_conn_session(mc)) != ENMA_OK)
		mlog(LOG_ERR, "connect from %s: %s", mc->ipbuf,
		    enma_strerror(st));
	return SMFIS_CONTINUE;
}

/* mlfi_helo - HELO/EHLO name, kept for a re-created session */
static sfsistat
mlfi_helo(SMFICTX *ctx, char *helohost)
{
	struct milter_conn *mc;

	if ((mc = milter_conn_get(ctx)) == NULL || helohost == NULL)
		return SMFIS_CONTINUE;
	free(mc->helo);
	mc->helo = milter_dupstr(helohost);
	if (milter_conn_session(mc) == ENMA_OK)
		(void)enma_session_helo(mc->session,
		    enma_span_from_cstr(helohost));
	return SMFIS_CONTINUE;
}

/* mlfi_auth - {auth_authen}: an authenticated client is not checked */
static void
mlfi_auth(SMFICTX *ctx, struct milter_conn *mc)
{
	const char *user;

	user = smfi_getsymval(ctx, "{auth_authen}");
	if (user == NULL || *user == '\0')
		return;
	free(mc->auth);
	mc->auth = milter_dupstr(user);
	(void)enma_session_auth(mc->session, enma_span_from_cstr(user));
}

/* mlfi_envfrom - a new transaction; argv[0] is the reverse-path */
static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct milter_conn *mc;
	const char *qid;

	if ((mc = milter_conn_get(ctx)) == NULL)
		return SMFIS_CONTINUE;
	milter_txn_end(mc);
	mc->in_txn = 1;
	pthread_mutex_lock(&milter_g.lock);
	milter_g.inflight++;
	pthread_mutex_unlock(&milter_g.lock);
	/* Sendmail has the queue id now; Postfix only later (RECIPES 7) */
	if (!milter_g.postfix && (qid = smfi_getsymval(ctx, "i")) != NULL)
		mc->qid = milter_dupstr(qid);
	if (milter_conn_session(mc) != ENMA_OK)
		return SMFIS_CONTINUE;
	mlfi_auth(ctx, mc);
	if (argv != NULL && argv[0] != NULL)
		(void)enma_session_mail_from(mc->session,
		    enma_span_from_cstr(argv[0]));
	return SMFIS_CONTINUE;
}

/*
 * mlfi_forged_note - remember our own Authentication-Results fields, for
 * the fallback when the session cannot say which to delete.
 */
static void
mlfi_forged_note(struct milter_conn *mc, const char *name, const char *value)
{
	if (!enma_span_caseeq_cstr(enma_span_from_cstr(name),
	    ENMA_AUTHRES_NAME))
		return;
	mc->ar_count++;
	if (mc->nforged < ENMA_MILTER_MAX_FORGED &&
	    enma_authres_is_ours(enma_span_from_cstr(value),
	    milter_g.authserv_id))
		mc->forged[mc->nforged++] = mc->ar_count;
}

/*
 * mlfi_field - rebuild "Name: value" as received: with LEADSPC the value
 * keeps its leading whitespace; without it the MTA stripped one space,
 * put back unless the value is empty.  Bare-LF folds become CRLF.
 */
static enma_status
mlfi_field(const struct milter_conn *mc, const char *name, const char *value,
    struct enma_buf *out)
{
	struct enma_buf raw;
	enma_status st;

	enma_buf_init(&raw, ENMA_MILTER_MAX_FIELD);
	enma_buf_puts(&raw, name);
	enma_buf_putc(&raw, ':');
	if (!mc->leadspc && *value != '\0')
		enma_buf_putc(&raw, ' ');
	enma_buf_puts(&raw, value);
	if ((st = enma_buf_status(&raw)) == ENMA_OK)
		st = enma_header_fix_eol(enma_buf_span(&raw), out);
	enma_buf_free(&raw);
	return st;
}

/* mlfi_header - one header field */
static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct milter_conn *mc;
	struct enma_buf field;
	enma_status st;

	if ((mc = milter_conn_get(ctx)) == NULL || name == NULL)
		return SMFIS_CONTINUE;
	if (value == NULL)
		value = "";
	mlfi_forged_note(mc, name, value);
	if (milter_conn_session(mc) != ENMA_OK)
		return SMFIS_CONTINUE;
	enma_buf_init(&field, ENMA_MILTER_MAX_FIELD);
	st = mlfi_field(mc, name, value, &field);
	if (st == ENMA_OK)
		(void)enma_session_header(mc->session, enma_buf_span(&field));
	else {
		mlog(LOG_ERR, "header field: %s", enma_strerror(st));
		mc->broken = 1;
		mc->broken_why = st == ENMA_ELIMIT ? "header field too long" :
		    "header field not kept: out of memory";
	}
	enma_buf_free(&field);
	return SMFIS_CONTINUE;
}

/* mlfi_body - a body chunk, CRLF line ends as the MTA sends them */
static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct milter_conn *mc;

	if ((mc = milter_conn_get(ctx)) == NULL)
		return SMFIS_CONTINUE;
	if (milter_conn_session(mc) == ENMA_OK)
		(void)enma_session_body(mc->session,
		    enma_span_make(chunk, len));
	return SMFIS_CONTINUE;
}

/* mlfi_abort - the transaction ends without a message */
static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct milter_conn *mc;

	if ((mc = smfi_getpriv(ctx)) != NULL)
		milter_txn_end(mc);
	return SMFIS_CONTINUE;
}

/* mlfi_close - the connection ends: free it all */
static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct milter_conn *mc;

	if ((mc = smfi_getpriv(ctx)) != NULL) {
		milter_txn_end(mc);
		milter_conn_free(mc);
		(void)smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc milter_desc = {
	.xxfi_name = desc_name,
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_connect = mlfi_connect,
	.xxfi_helo = mlfi_helo,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_header = mlfi_header,
	.xxfi_body = mlfi_body,
	.xxfi_eom = milter_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_negotiate = mlfi_negotiate,
};

/*
 * milter_desc_setup - Sendmail 8.13 and older know no negotiation
 * callback: register as a version 2 filter without one; header values
 * then always come without their first space.
 */
void
milter_desc_setup(int sendmail813)
{
	if (sendmail813) {
		milter_desc.xxfi_version = 2;
		milter_desc.xxfi_negotiate = NULL;
	}
}
