/*
 * exim_scan.c - local_scan(): the configuration and the engine
 *
 * Exim's daemon forks one process per connection, and that process
 * calls local_scan() once per message.  The engine is built there, on
 * the first message, from enma.conf, and kept for the next messages of
 * the connection; nothing is built in the daemon before the fork (a
 * process that finds an engine made by another pid drops it and builds
 * its own).  The engine starts no thread and opens its sockets
 * close-on-exec, since Exim forks and executes its delivery processes.
 *
 * A configuration that cannot be read or is wrong makes every message
 * a temporary rejection (451) with the reason in the main and panic
 * logs: the sender retries, nothing is lost, and no message passes
 * without its forged Authentication-Results removed.  The file is read
 * again by each new connection, so a fixed file takes effect at once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "exim.h"

#define EXIM_ERR_MAX	512	/* bytes of a configuration error */

/*
 * The one engine of this process.  Exim calls local_scan() from one
 * thread only, so no lock.
 */
struct exim_state {
	struct enma_engine	*engine;
	char			*conf_path;	/* read from */
	pid_t			 pid;		/* built by */
	int			 logmask;	/* syslog.logmask */
};

static struct exim_state exim_st = { .logmask = LOG_INFO };

/* local_scan_version_major - the ABI we were compiled for */
int
local_scan_version_major(void)
{
	return LOCAL_SCAN_ABI_VERSION_MAJOR;
}

/* local_scan_version_minor - must not exceed Exim's */
int
local_scan_version_minor(void)
{
	return LOCAL_SCAN_ABI_VERSION_MINOR;
}

/* exim_log - one line in Exim's main log (Exim adds the message id) */
void
exim_log(const char *fmt, ...)
{
	va_list	ap;
	char	line[2048];

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_write(0, LOG_MAIN, "enma: %s", line);
}

/* exim_log_engine - the engine's callback; arg is the mask */
void
exim_log_engine(void *arg, int priority, const char *msg)
{
	const int	*mask = arg;

	if (mask != NULL && priority > *mask)
		return;
	exim_log("%s", msg);
}

/*
 * exim_conf_path - the file to read: the ACL variable, or the default.
 * The result lives in Exim's per-message store.
 */
static const char *
exim_conf_path(void)
{
	const uschar	*v;

	v = expand_string(US ENMA_EXIM_CONF_VAR);
	if (v == NULL || v[0] == '\0')
		return ENMA_EXIM_CONF_DEFAULT;
	return (const char *)v;
}

/*
 * exim_conf_limits - keep the DNS budget below local_scan_timeout:
 * lower dns.message_timeout to ENMA_EXIM_MAX_DNS_S, with a log line
 */
static enma_status
exim_conf_limits(struct enma_conf *conf, const char *path, char *err,
    size_t errlen)
{
	unsigned	t = enma_conf_uint(conf, "dns.message_timeout");
	char		v[16];

	if (t <= ENMA_EXIM_MAX_DNS_S)
		return ENMA_OK;
	(void)snprintf(v, sizeof(v), "%u", ENMA_EXIM_MAX_DNS_S);
	exim_log("%s: dns.message_timeout %u s lowered to %u s, below "
	    "Exim's local_scan_timeout (5m by default)", path, t,
	    ENMA_EXIM_MAX_DNS_S);
	return enma_conf_set(conf, "dns.message_timeout", v, err, errlen);
}

/* exim_engine_build - read path and build an engine from it */
static struct enma_engine *
exim_engine_build(const char *path, char *err, size_t errlen)
{
	struct enma_conf	*conf;
	struct enma_engine	*eng = NULL;
	enma_status		 st;

	if ((conf = enma_conf_new()) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st = enma_conf_load(conf, path, err, errlen);
	if (st == ENMA_OK)
		st = exim_conf_limits(conf, path, err, errlen);
	if (st == ENMA_OK) {
		exim_st.logmask = enma_conf_level(conf, "syslog.logmask");
		st = enma_engine_new(conf, NULL, exim_log_engine,
		    &exim_st.logmask, &eng, err, errlen);
	}
	enma_conf_free(conf);
	if (st != ENMA_OK)
		return NULL;
	/* an authserv-id without a dot is the host's bare name: say so */
	if (strchr(enma_engine_authserv_id(eng), '.') == NULL)
		exim_log("authserv-id \"%s\" is not a fully qualified name; "
		    "set authresult.identifier in %s",
		    enma_engine_authserv_id(eng), path);
	return eng;
}

/* exim_engine_drop - forget the engine (and free it if it is ours) */
static void
exim_engine_drop(int ours)
{
	if (ours)
		enma_engine_free(exim_st.engine);
	exim_st.engine = NULL;
	free(exim_st.conf_path);
	exim_st.conf_path = NULL;
}

/*
 * exim_engine_get - this process's engine for path: the one it has, or
 * a new one.  NULL with the reason in err when path cannot be used.
 */
static struct enma_engine *
exim_engine_get(const char *path, char *err, size_t errlen)
{
	struct enma_engine	*eng;
	pid_t			 me = getpid();

	/*
	 * Made by another process before a fork (never with Exim, which
	 * calls us only in the process it forked for the connection):
	 * dropped unused and unfreed, since its sockets and state may be
	 * in use in the process that made it.
	 */
	if (exim_st.engine != NULL && exim_st.pid != me)
		exim_engine_drop(0);
	if (exim_st.engine != NULL && strcmp(exim_st.conf_path, path) == 0)
		return exim_st.engine;
	exim_engine_drop(1);
	if ((eng = exim_engine_build(path, err, errlen)) == NULL)
		return NULL;
	if ((exim_st.conf_path = strdup(path)) == NULL) {
		enma_engine_free(eng);
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	exim_st.engine = eng;
	exim_st.pid = me;
	return eng;
}

/*
 * exim_conf_error - why the configuration cannot be used, in the main
 * and panic logs; the text may quote the file, so made printable
 */
static void
exim_conf_error(const char *why)
{
	struct enma_buf	b;

	enma_buf_init(&b, EXIM_ERR_MAX * 4);
	if (enma_printable(enma_span_from_cstr(why), &b, 1) != ENMA_OK ||
	    b.p == NULL)
		enma_buf_free(&b);
	log_write(0, LOG_MAIN | LOG_PANIC, "enma: configuration error: %s"
	    " - message temporarily rejected", b.p != NULL ? b.p : "?");
	enma_buf_free(&b);
}

/*
 * local_scan - Exim's entry point, once per message.  fd is the spool
 * data file, positioned after its "<message-id>-D" line.
 */
int
local_scan(int fd, uschar **return_text)
{
	struct enma_engine	*eng;
	const char		*path;
	char			 err[EXIM_ERR_MAX];

	path = exim_conf_path();
	err[0] = '\0';
	if ((eng = exim_engine_get(path, err, sizeof(err))) == NULL) {
		exim_conf_error(err[0] != '\0' ? err : path);
		*return_text = US ENMA_EXIM_TEMP_TEXT;
		return LOCAL_SCAN_TEMPREJECT;
	}
	return exim_scan_message(eng, fd, return_text);
}
