/*
 * exim.h - enma_exim.so, the Exim local_scan adapter: shared declarations
 *
 * Debian's exim4-daemon-heavy loads the object named by its main option
 * local_scan_path and calls local_scan() once per message, after the
 * DATA ACL, in the process that received the message (one per SMTP
 * connection, forked by the daemon; it runs as the Exim user).
 *
 *	exim_scan.c	the entry points, the configuration, the engine
 *	exim_msg.c	one message: envelope, headers, body, header edits
 *
 * local_scan.h (exim4-dev, local_scan ABI 6) is included here only; its
 * old-style prototypes need -isystem.  Every API symbol it declares
 * resolves from the exim4 executable when Exim loads us.
 */
#ifndef ENMA_EXIM_H
#define ENMA_EXIM_H

#define LOCAL_SCAN
#include <local_scan.h>

#include <enma/util.h>
#include <enma/conf.h>
#include <enma/engine.h>

/* Everything else in the object is hidden (-fvisibility=hidden). */
#define ENMA_EXIM_EXPORT	__attribute__((visibility("default")))

/* The file read when the Exim configuration names none. */
#define ENMA_EXIM_CONF_DEFAULT	"/etc/enma/enma.conf"
/*
 * The ACL variable that names another file (Debian's Exim refuses a
 * local_scan options section): set it in the DATA ACL (acl_smtp_data)
 * and, for local submissions, in acl_not_smtp.  Unset or empty: the
 * default above.
 */
#define ENMA_EXIM_CONF_VAR	"$acl_m_enma_conf"
/*
 * Exim gives local_scan() local_scan_timeout (5m unless configured)
 * and then closes the connection with 421.  The DNS budget of one
 * message (dns.message_timeout) is lowered to this if it is above it,
 * so that a slow DNS gives temperror verdicts and never the 421.
 */
#define ENMA_EXIM_MAX_DNS_S	240
/* Bytes read from the spool file at a time; the CRLF copy is twice that. */
#define ENMA_EXIM_BODY_CHUNK	(64u * 1024)
/*
 * One header field rebuilt with CRLF line ends: the engine's own limit,
 * doubled for the LFs that become CRLF.  Exim's header_maxsize (1 MB by
 * default) keeps fields far below it.
 */
#define ENMA_EXIM_MAX_FIELD	(2u * ENMA_SESSION_MAX_HEADER_BYTES)
/* Reason given to the client with the 451 of a configuration error. */
#define ENMA_EXIM_TEMP_TEXT	"Temporary local problem - please try later"

/* The three symbols Exim looks up (RECIPES.md section 5). */
ENMA_EXIM_EXPORT int local_scan_version_major(void);
ENMA_EXIM_EXPORT int local_scan_version_minor(void);
ENMA_EXIM_EXPORT int local_scan(int, uschar **);

/*
 * exim_scan_message - verify the message Exim is receiving and edit its
 * header list; fd is the spool data file, positioned at the body.
 * Returns LOCAL_SCAN_ACCEPT, always: a message that could not be
 * verified (no session, the spool file unreadable, no header from the
 * engine) gets the engine's temperror header instead (return_text is
 * left alone).  The only 451 is local_scan's, for a configuration that
 * cannot be used.
 */
int	 exim_scan_message(struct enma_engine *, int fd,
	    uschar **return_text);

/* exim_log - one line in Exim's main log, "enma: " first */
void	 exim_log(const char *, ...) __attribute__((format(printf, 1, 2)));
/* exim_log_engine - the engine's log callback, filtered by syslog.logmask */
void	 exim_log_engine(void *arg, int priority, const char *msg);

#endif /* ENMA_EXIM_H */
