/*
 * log.c - filter-enma's log: standard error, which smtpd copies into its
 * own log, each line prefixed with the filter's name
 *
 * One write(2) per line, so lines from different threads never mix.
 * The mask (syslog.logmask) drops anything less important than its level.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "filter.h"

#define LOG_LINE_MAX	2048

/* Set once before any thread starts; read-only afterwards. */
static int log_mask = LOG_INFO;

static const char *const level_name[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"
};

/* flog_init - the least important level written */
void
flog_init(int mask)
{
	log_mask = mask;
}

/* flog - one line at priority */
void
flog(int priority, const char *fmt, ...)
{
	char	line[LOG_LINE_MAX];
	va_list	ap;
	int	n, m;

	if (priority > log_mask)
		return;
	n = snprintf(line, sizeof(line), "%s: ",
	    priority >= 0 && priority <= LOG_DEBUG ? level_name[priority] :
	    "log");
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

/* flog_engine - the engine's log callback */
void
flog_engine(void *arg, int priority, const char *msg)
{
	(void)arg;
	flog(priority, "%s", msg);
}

/* flog_clean - bytes from smtpd, made printable, for a log line */
const char *
flog_clean(struct enma_span s, char *buf, size_t cap)
{
	struct enma_buf	b;
	size_t		n;

	if (cap == 0)
		return "";
	buf[0] = '\0';
	enma_buf_init(&b, 0);
	if (s.len > cap)
		s.len = cap;	/* up to 4 bytes out per byte in */
	if (enma_printable(s, &b, 1) == ENMA_OK && b.p != NULL) {
		n = b.len < cap - 1 ? b.len : cap - 1;
		memcpy(buf, b.p, n);
		buf[n] = '\0';
	}
	enma_buf_free(&b);
	return buf;
}
