/*
 * log.c - the milter's log: syslog, or stderr in the foreground
 *
 * In the foreground (-f: systemd, tests) there may be no syslog daemon,
 * so lines go to stderr with the time, the pid and the level.  The mask
 * (syslog.logmask) drops anything less important than its level.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "milter.h"

/* Set once before any thread starts; read-only afterwards. */
static int log_foreground;
static int log_mask = LOG_INFO;
static char log_ident[64] = ENMA_MILTER_NAME;

static const char *const level_name[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"
};

/* mlog_open - choose the destination; call before threads start */
void
mlog_open(const char *ident, int facility, int mask, int foreground)
{
	if (ident != NULL && *ident != '\0')
		snprintf(log_ident, sizeof(log_ident), "%s", ident);
	log_mask = mask;
	log_foreground = foreground;
	if (!foreground) {
		openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
		setlogmask(LOG_UPTO(mask));
	}
}

/* mlog_close - close syslog */
void
mlog_close(void)
{
	if (!log_foreground)
		closelog();
}

/* mlog - one line at priority; stderr writes are one fprintf each */
void
mlog(int priority, const char *fmt, ...)
{
	va_list ap;
	char line[2048], stamp[32];
	struct tm tm;
	time_t now;

	if (priority > log_mask)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!log_foreground) {
		syslog(priority, "%s", line);
		return;
	}
	now = time(NULL);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		stamp[0] = '\0';
	fprintf(stderr, "%s %s[%ld]: %s: %s\n", stamp, log_ident,
	    (long)getpid(),
	    priority >= 0 && priority <= LOG_DEBUG ? level_name[priority] :
	    "log", line);
}

/* mlog_engine - the engine's log callback */
void
mlog_engine(void *arg, int priority, const char *msg)
{
	(void)arg;
	mlog(priority, "%s", msg);
}

/* mlog_clean - copy text from the MTA, made printable, into buf */
const char *
mlog_clean(const char *s, char *buf, size_t cap)
{
	struct enma_buf b;
	size_t n;

	if (cap == 0)
		return "";
	buf[0] = '\0';
	if (s == NULL)
		return buf;
	enma_buf_init(&b, 0);
	if (enma_printable(enma_span_from_cstr(s), &b, 1) == ENMA_OK &&
	    b.p != NULL) {
		n = b.len < cap - 1 ? b.len : cap - 1;
		memcpy(buf, b.p, n);
		buf[n] = '\0';
	}
	enma_buf_free(&b);
	return buf;
}
