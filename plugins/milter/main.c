/*
 * main.c - enma: the milter daemon for Sendmail and Postfix
 *
 *	enma [-fhv] [-c file] [-o key=value ...]
 *
 * The file is -c's, or /etc/enma/enma.conf when it exists; -o overrides
 * it.  Start-up order matters: the configuration is read and checked in
 * full (an engine is built once and thrown away, so that any error is
 * printed as "file:line: reason" and the exit is 78, or 64 for a bad -o,
 * while stderr is still the terminal); the socket is opened as root; the
 * process daemonises unless -f; the pid file is written (its directory
 * made if missing, owned by milter.user); then the user is switched
 * (milter.user) and the real engine is built, never carried across a
 * fork (STYLE 10).  libmilter's own signal thread turns SIGTERM into
 * smfi_stop; messages in flight are then given time to finish.
 */
#define _DEFAULT_SOURCE		/* initgroups() */

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "milter.h"

#define MAIN_MAX_OPTIONS	256	/* -o options on one command line */
#define MAIN_ERRLEN		1024
#define MAIN_CONF_DEFAULT	"/etc/enma/enma.conf"	/* if it exists */
#define MAIN_PIDDIR_MODE	0755	/* a pid file directory we make */
#define MAIN_SYNOPSIS	"usage: enma [-fhv] [-c file] [-o key=value ...]"

struct main_opts {
	const char	*conffile;
	const char	*ovr[MAIN_MAX_OPTIONS];
	size_t		 novr;
	int		 foreground;
	int		 verbose;
};

/* What start-up keeps for the end. */
struct main_state {
	struct enma_conf *conf;
	int		 pidfd;		/* open pid file, or -1 */
	const char	*pidfile;
	int		 pid_owned;	/* created by us: removed at exit */
};

/* usage - the flags, then every configuration key with its default */
static void
usage(FILE *fp)
{
	fprintf(fp, MAIN_SYNOPSIS "\n"
	    "  -c file\tread the configuration file (default "
	    MAIN_CONF_DEFAULT ",\n\t\tif it exists)\n"
	    "  -o key=value\tset one key (after the file; repeatable)\n"
	    "  -f\t\tstay in the foreground, log to standard error\n"
	    "  -v\t\tverbose: print the configuration in use\n"
	    "  -h\t\tthis help\n"
	    "\nkeys [default]:\n");
	enma_conf_usage(fp);
}

/* usage_error - one line of reason, one of synopsis; EX_USAGE */
static int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("enma: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n" MAIN_SYNOPSIS "  (enma -h lists every key)\n", stderr);
	return EX_USAGE;
}

/*
 * conffile_option - "-o milter.conffile=PATH" is "-c PATH", as in the
 * original ENMA; an empty PATH means the default
 */
static void
conffile_option(struct main_opts *o, const char *kv)
{
	struct enma_span s = enma_span_from_cstr(kv);
	size_t eq = enma_span_chr(s, '=');

	if (eq == s.len || !enma_span_eq(enma_span_trim_wsp(
	    enma_span_make(s.p, eq)), ENMA_SPAN_LIT("milter.conffile")))
		return;
	for (kv += eq + 1; enma_iswsp(*kv); kv++)
		;
	o->conffile = *kv != '\0' ? kv : NULL;
}

/* parse_args - the command line; an exit status, or -1 to go on */
static int
parse_args(int argc, char **argv, struct main_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((c = getopt(argc, argv, ":c:o:fvh")) != -1) {
		switch (c) {
		case 'c':
			o->conffile = optarg;
			break;
		case 'o':
			if (o->novr == MAIN_MAX_OPTIONS)
				return usage_error("too many -o options");
			o->ovr[o->novr++] = optarg;
			conffile_option(o, optarg);
			break;
		case 'f':
			o->foreground = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return usage_error("-%c needs a value", optopt);
		default:
			if (enma_isvchar(optopt))
				return usage_error("unknown option -%c",
				    optopt);
			return usage_error("unknown option");
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument: %s", argv[optind]);
	return -1;
}

/* conf_path - the file to read: -c's, or the default if it exists */
static const char *
conf_path(const struct main_opts *o)
{
	struct stat st;

	if (o->conffile != NULL)
		return o->conffile;
	if (stat(MAIN_CONF_DEFAULT, &st) == -1 && errno == ENOENT)
		return NULL;
	return MAIN_CONF_DEFAULT;
}

/*
 * load_conf - defaults, the file, then each -o; then milter.conffile
 * says which file was read.  An exit status: 78 for the file, 64 for -o.
 */
static int
load_conf(const struct main_opts *o, struct enma_conf **out)
{
	struct enma_conf *conf;
	const char *path = conf_path(o), *named;
	char err[MAIN_ERRLEN];
	size_t i;

	if ((*out = conf = enma_conf_new()) == NULL) {
		fprintf(stderr, "enma: out of memory\n");
		return EX_OSERR;
	}
	if (path != NULL &&
	    enma_conf_load(conf, path, err, sizeof(err)) != ENMA_OK) {
		fprintf(stderr, "enma: %s\n", err);
		return EX_CONFIG;
	}
	named = enma_conf_str(conf, "milter.conffile");
	if (path != NULL && *named != '\0' && strcmp(named, path) != 0)
		fprintf(stderr, "enma: %s: milter.conffile has no effect in a "
		    "file (use -c)\n", path);
	for (i = 0; i < o->novr; i++)
		if (enma_conf_set_option(conf, o->ovr[i], err, sizeof(err)) !=
		    ENMA_OK)
			return usage_error("%s", err);
	if (enma_conf_set(conf, "milter.conffile", path != NULL ? path : "",
	    err, sizeof(err)) != ENMA_OK ||
	    (o->foreground && enma_conf_set(conf, "milter.foreground",
	    "true", err, sizeof(err)) != ENMA_OK) ||
	    (o->verbose && enma_conf_set(conf, "milter.verbose", "true",
	    err, sizeof(err)) != ENMA_OK))
		return usage_error("%s", err);
	return 0;
}

/* check_user - milter.user must exist, and be switchable to */
static int
check_user(const struct enma_conf *conf)
{
	const char *user = enma_conf_str(conf, "milter.user");
	struct passwd *pw;

	if (user == NULL || *user == '\0')
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		fprintf(stderr, "enma: milter.user: no such user: %s\n", user);
		return -1;
	}
	if (geteuid() != 0 && geteuid() != pw->pw_uid) {
		fprintf(stderr, "enma: milter.user: cannot switch to %s: "
		    "not running as root\n", user);
		return -1;
	}
	return 0;
}

/* check_engine - build an engine once to see every error now */
static int
check_engine(const struct enma_conf *conf)
{
	struct enma_engine *e = NULL;
	char err[MAIN_ERRLEN];

	err[0] = '\0';
	if (enma_engine_new(conf, NULL, NULL, NULL, &e, err, sizeof(err)) !=
	    ENMA_OK) {
		fprintf(stderr, "enma: %s\n", err[0] != '\0' ? err :
		    "cannot set up the verification engine");
		return -1;
	}
	enma_engine_free(e);
	return 0;
}

/* unix_path - the path of a unix: or local: socket, or NULL */
static const char *
unix_path(const char *sock)
{
	if (strncmp(sock, "unix:", 5) == 0)
		return sock + 5;
	if (strncmp(sock, "local:", 6) == 0)
		return sock + 6;
	return NULL;
}

/* socket_perms - mode and owner of a unix socket, as configured */
static int
socket_perms(const struct enma_conf *conf, const char *path)
{
	const char *user = enma_conf_str(conf, "milter.user");
	mode_t mode = (mode_t)enma_conf_uint(conf, "milter.socket_mode");
	struct passwd *pw;

	if (chmod(path, mode) == -1) {
		fprintf(stderr, "enma: chmod %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (user != NULL && *user != '\0' && geteuid() == 0 &&
	    (pw = getpwnam(user)) != NULL &&
	    chown(path, pw->pw_uid, pw->pw_gid) == -1) {
		fprintf(stderr, "enma: chown %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* open_socket - register with libmilter and bind, still as root */
static int
open_socket(const struct enma_conf *conf)
{
	char sock[ENMA_CONF_MAX_LINE];
	const char *path;

	snprintf(sock, sizeof(sock), "%s",
	    enma_conf_str(conf, "milter.socket"));
	milter_desc_setup(milter_g.sendmail813);
	if (smfi_register(milter_desc) != MI_SUCCESS) {
		fprintf(stderr, "enma: smfi_register failed\n");
		return -1;
	}
	(void)smfi_settimeout((int)enma_conf_uint(conf, "milter.timeout"));
	(void)smfi_setdbg((int)enma_conf_uint(conf, "milter.loglevel"));
	if (smfi_setconn(sock) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "enma: cannot listen on %s\n", sock);
		return -1;
	}
	if ((path = unix_path(sock)) != NULL)
		return socket_perms(conf, path);
	return 0;
}

/*
 * make_piddir - the pid file's directory, when it is missing (as /run/enma
 * is at each boot): made owned by milter.user, who removes the file at
 * exit.  Only the last component is made.  -1 with errno on failure.
 */
static int
make_piddir(const struct enma_conf *conf, const char *pidfile)
{
	const char *user = enma_conf_str(conf, "milter.user");
	char dir[ENMA_CONF_MAX_LINE], *slash;
	struct passwd *pw;
	int n;

	n = snprintf(dir, sizeof(dir), "%s", pidfile);
	if (n < 0 || (size_t)n >= sizeof(dir) ||
	    (slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, MAIN_PIDDIR_MODE) == -1)
		return errno == EEXIST ? 0 : -1;
	if (user != NULL && *user != '\0' && geteuid() == 0 &&
	    (pw = getpwnam(user)) != NULL &&
	    chown(dir, pw->pw_uid, pw->pw_gid) == -1)
		return -1;
	return 0;
}

/* open_pidfile - create it now, while errors can still be printed */
static int
open_pidfile(struct main_state *ms)
{
	ms->pidfd = -1;
	ms->pidfile = enma_conf_str(ms->conf, "milter.pidfile");
	if (ms->pidfile == NULL || *ms->pidfile == '\0')
		return 0;
	if (make_piddir(ms->conf, ms->pidfile) == -1) {
		fprintf(stderr, "enma: milter.pidfile: cannot make the "
		    "directory of %s: %s\n", ms->pidfile, strerror(errno));
		return -1;
	}
	ms->pidfd = open(ms->pidfile, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0644);
	if (ms->pidfd == -1) {
		fprintf(stderr, "enma: milter.pidfile: %s: %s\n", ms->pidfile,
		    strerror(errno));
		return -1;
	}
	ms->pid_owned = 1;
	return 0;
}

/* write_pidfile - the final process's pid */
static void
write_pidfile(struct main_state *ms)
{
	char buf[32];
	int n;

	if (ms->pidfd == -1)
		return;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(ms->pidfd, buf, (size_t)n) != n)
		mlog(LOG_ERR, "%s: %s", ms->pidfile, strerror(errno));
	close(ms->pidfd);
	ms->pidfd = -1;
}

/* daemonise - double fork, new session, stdio on /dev/null */
static int
daemonise(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid != 0)
		_exit(0);
	if (setsid() == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid != 0)
		_exit(0);
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		return -1;
	(void)dup2(fd, STDIN_FILENO);
	(void)dup2(fd, STDOUT_FILENO);
	(void)dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

/* drop_privileges - become milter.user (after the socket is bound) */
static int
drop_privileges(const struct enma_conf *conf)
{
	const char *user = enma_conf_str(conf, "milter.user");
	struct passwd *pw;

	if (user == NULL || *user == '\0')
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		mlog(LOG_ERR, "milter.user: no such user: %s", user);
		return -1;
	}
	if (geteuid() == pw->pw_uid)
		return 0;
	if (setgid(pw->pw_gid) == -1 || initgroups(user, pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		mlog(LOG_ERR, "cannot switch to user %s: %s", user,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) != -1) {
		mlog(LOG_ERR, "could regain root after switching to %s", user);
		return -1;
	}
	return 0;
}

/* drain - after smfi_main: let the messages in flight finish; 1 if so */
static int
drain(void)
{
	struct timespec ts;
	int idle;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ENMA_MILTER_DRAIN_MAX_MS / 1000;
	pthread_mutex_lock(&milter_g.lock);
	while (milter_g.inflight > 0)
		if (pthread_cond_timedwait(&milter_g.idle, &milter_g.lock,
		    &ts) == ETIMEDOUT)
			break;
	idle = milter_g.inflight == 0;
	if (!idle)
		mlog(LOG_WARNING, "stopping with %u messages in flight",
		    milter_g.inflight);
	pthread_mutex_unlock(&milter_g.lock);
	return idle;
}

/* prepare - everything that can fail with a message on stderr */
static int
prepare(const struct main_opts *o, struct main_state *ms)
{
	int rc;

	if ((rc = load_conf(o, &ms->conf)) != 0)
		return rc;
	milter_g.conf = ms->conf;
	milter_g.sendmail813 = enma_conf_bool(ms->conf, "milter.sendmail813");
	milter_g.postfix = enma_conf_bool(ms->conf, "milter.postfix");
	milter_g.verify_ms = enma_conf_uint(ms->conf,
	    "milter.verify_timeout") * ENMA_MILTER_MS;
	if (enma_conf_bool(ms->conf, "milter.verbose"))
		enma_conf_dump(ms->conf, stderr);
	if (check_user(ms->conf) == -1 || check_engine(ms->conf) == -1)
		return EX_CONFIG;
	if (open_socket(ms->conf) == -1)
		return EX_UNAVAILABLE;
	if (chdir(enma_conf_str(ms->conf, "milter.chdir")) == -1) {
		fprintf(stderr, "enma: milter.chdir: %s: %s\n",
		    enma_conf_str(ms->conf, "milter.chdir"), strerror(errno));
		return EX_CONFIG;
	}
	if (open_pidfile(ms) == -1)
		return EX_CANTCREAT;
	return 0;
}

/* start - daemon, pid, user, engine; an exit status or 0 */
static int
start(struct main_state *ms)
{
	const struct enma_conf *conf = ms->conf;
	char err[MAIN_ERRLEN];
	int fg = enma_conf_bool(conf, "milter.foreground");

	mlog_open(enma_conf_str(conf, "syslog.ident"),
	    enma_conf_facility(conf, "syslog.facility"),
	    enma_conf_level(conf, "syslog.logmask"), fg);
	if (!fg && daemonise() == -1) {
		mlog(LOG_ERR, "cannot daemonise: %s", strerror(errno));
		return EX_OSERR;
	}
	write_pidfile(ms);
	if (drop_privileges(conf) == -1)
		return EX_NOPERM;
	err[0] = '\0';
	if (enma_engine_new(conf, NULL, mlog_engine, NULL, &milter_g.engine,
	    err, sizeof(err)) != ENMA_OK) {
		mlog(LOG_ERR, "engine: %s", err);
		return EX_CONFIG;
	}
	milter_g.authserv_id = enma_engine_authserv_id(milter_g.engine);
	if (strchr(milter_g.authserv_id, '.') == NULL)
		mlog(LOG_WARNING, "authserv-id \"%s\" is not a fully "
		    "qualified name (RFC 8601 2.5): set authresult.identifier",
		    milter_g.authserv_id);
	if (milter_g.verify_ms / ENMA_MILTER_MS <
	    enma_conf_uint(conf, "dns.message_timeout"))
		mlog(LOG_WARNING, "milter.verify_timeout %u s is below "
		    "dns.message_timeout %u s: a message whose DNS is slow "
		    "gets temperror after %u s", milter_g.verify_ms /
		    ENMA_MILTER_MS, enma_conf_uint(conf, "dns.message_timeout"),
		    milter_g.verify_ms / ENMA_MILTER_MS);
	mlog(LOG_INFO, "starting: socket %s, authserv-id %s%s",
	    enma_conf_str(conf, "milter.socket"), milter_g.authserv_id,
	    milter_g.sendmail813 ? ", sendmail 8.13 mode" : "");
	return 0;
}

/* main - start, serve until SIGTERM, finish the messages in flight */
int
main(int argc, char **argv)
{
	struct main_opts opts;
	struct main_state ms;
	int rc;

	if ((rc = parse_args(argc, argv, &opts)) >= 0)
		return rc;
	memset(&ms, 0, sizeof(ms));
	ms.pidfd = -1;
	if ((rc = prepare(&opts, &ms)) != 0 || (rc = start(&ms)) != 0)
		goto out;
	if (smfi_main() != MI_SUCCESS) {
		mlog(LOG_ERR, "smfi_main failed");
		rc = EX_UNAVAILABLE;
	}
	mlog(LOG_INFO, "stopping");
	if (drain()) {
		enma_engine_free(milter_g.engine);
		milter_g.engine = NULL;
	}
out:
	if (ms.pid_owned && unlink(ms.pidfile) == -1)
		mlog(LOG_WARNING, "%s: %s", ms.pidfile, strerror(errno));
	if (ms.pidfd != -1)
		close(ms.pidfd);
	mlog_close();
	if (milter_g.engine == NULL)
		enma_conf_free(ms.conf);
	return rc;
}
