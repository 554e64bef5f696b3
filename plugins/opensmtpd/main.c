/*
 * main.c - filter-enma: ENMA's verifier as an OpenSMTPD filter
 *
 *	filter-enma [-htv] [-c file] [-o key=value ...]
 *
 * smtpd.conf:	filter "enma" proc-exec "/usr/libexec/enma/filter-enma"
 *
 * The configuration is MAIN_CONF_DEFAULT if it exists, or -c FILE.
 *
 * smtpd starts the filter once, as user opensmtpd, and talks to it on
 * stdin and stdout; stderr goes to smtpd's log.  Start-up: the
 * configuration is read and an engine built once to check it (errors on
 * stderr, exit 78: smtpd then refuses to start, as for an error in its
 * own file); then the config lines from smtpd up to config|ready; then
 * the real engine, with the DNS budget kept below smtpd's session timeout
 * and, when authresult.identifier is empty, smtpd's admd as the
 * authserv-id; then the registration, and the main loop until smtpd
 * closes stdin.  A protocol whose major version is not 0 is refused:
 * message on stderr, exit 76.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <unistd.h>

#include "filter.h"

/* read when there is no -c and it exists, as the Exim plugin does */
#define MAIN_CONF_DEFAULT	"/etc/enma/enma.conf"
#define MAIN_MAX_OPTIONS	256	/* -o options on one command line */
#define MAIN_ERRLEN		1024
#define MAIN_MAX_TIMEOUT_S	86400	/* longest timeout taken */

struct filter filter_g;

struct main_opts {
	const char	*conffile;
	const char	*ovr[MAIN_MAX_OPTIONS];
	size_t		 novr;
	int		 test;
	int		 verbose;
};

/* usage - the flags, then every configuration key with its default */
static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: " FILTER_NAME " [-htv] [-c file] [-o key=value ...]\n"
	    "  -c file\tread the configuration file (default: "
	    MAIN_CONF_DEFAULT ", if it exists)\n"
	    "  -o key=value\tset one key (after the file; repeatable)\n"
	    "  -t\t\tcheck the configuration and exit\n"
	    "  -v\t\tverbose: print the configuration in use\n"
	    "  -h\t\tthis help\n"
	    "Run by smtpd as a proc-exec filter: see " FILTER_NAME "(8).\n"
	    "\nkeys [default]:\n");
	enma_conf_usage(fp);
}

/* parse_args - the command line; an exit status, or -1 to go on */
static int
parse_args(int argc, char **argv, struct main_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt(argc, argv, "c:o:thv")) != -1) {
		switch (c) {
		case 'c':
			o->conffile = optarg;
			break;
		case 'o':
			if (o->novr == MAIN_MAX_OPTIONS) {
				fprintf(stderr, FILTER_NAME ": too many -o "
				    "options\n");
				return EX_USAGE;
			}
			o->ovr[o->novr++] = optarg;
			break;
		case 't':
			o->test = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:	/* getopt has said what was wrong */
			fprintf(stderr, "usage: " FILTER_NAME " [-htv] "
			    "[-c file] [-o key=value ...]  (" FILTER_NAME
			    " -h lists every key)\n");
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, FILTER_NAME ": unexpected argument: %s\n",
		    argv[optind]);
		return EX_USAGE;
	}
	return -1;
}

/*
 * load_conf - defaults, the file, then each -o; NULL after an error,
 * with *rc EX_CONFIG for the file and EX_USAGE for the command line
 */
static struct enma_conf *
load_conf(const struct main_opts *o, int *rc)
{
	struct enma_conf *conf;
	const char *file;
	char err[MAIN_ERRLEN];
	size_t i;

	if ((conf = enma_conf_new()) == NULL) {
		fprintf(stderr, FILTER_NAME ": out of memory\n");
		return NULL;
	}
	*rc = EX_CONFIG;
	file = o->conffile;
	if (file == NULL && access(MAIN_CONF_DEFAULT, F_OK) == 0)
		file = MAIN_CONF_DEFAULT;
	if (file != NULL &&
	    enma_conf_load(conf, file, err, sizeof(err)) != ENMA_OK)
		goto fail;
	*rc = EX_USAGE;
	for (i = 0; i < o->novr; i++)
		if (enma_conf_set_option(conf, o->ovr[i], err, sizeof(err)) !=
		    ENMA_OK)
			goto fail;
	return conf;
fail:
	fprintf(stderr, FILTER_NAME ": %s\n", err);
	enma_conf_free(conf);
	return NULL;
}

/* build_engine - an engine from the configuration; -1 after a message */
static int
build_engine(struct filter *f, struct enma_engine **e)
{
	char err[MAIN_ERRLEN];

	err[0] = '\0';
	if (enma_engine_new(f->conf, NULL, flog_engine, NULL, e, err,
	    sizeof(err)) != ENMA_OK) {
		flog(LOG_ERR, "%s", err[0] != '\0' ? err :
		    "cannot set up the verification engine");
		return -1;
	}
	return 0;
}

/* check_tmpdir - the spill directory must take a file now */
static int
check_tmpdir(const char *dir)
{
	char	path[4096];
	int	fd, n;

	n = snprintf(path, sizeof(path), "%s/filter-enma.XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(path) || (fd = mkstemp(path)) == -1) {
		flog(LOG_ERR, "opensmtpd.tmpdir: %s: %s", dir,
		    n < 0 || (size_t)n >= sizeof(path) ? "path too long" :
		    strerror(errno));
		return -1;
	}
	(void)unlink(path);
	close(fd);
	return 0;
}

/* prepare - configuration checks that can still fail with a message */
static int
prepare(const struct main_opts *o, struct filter *f)
{
	struct enma_engine *e = NULL;
	const char *id;
	int rc;

	if ((f->conf = load_conf(o, &rc)) == NULL)
		return rc;
	flog_init(enma_conf_level(f->conf, "syslog.logmask"));
	if (o->verbose)
		enma_conf_dump(f->conf, stderr);
	f->spill_size = enma_conf_uint(f->conf, "opensmtpd.spill_size");
	f->tmpdir = enma_conf_str(f->conf, "opensmtpd.tmpdir");
	f->session_timeout_s = FILTER_DEFAULT_SESSION_TIMEOUT_S;
	f->vminor = SMTPD_PROTO_MINOR_MIN;
	if (build_engine(f, &e) == -1)
		return EX_CONFIG;
	/* an authserv-id without a dot is the host's bare name: say so */
	id = enma_engine_authserv_id(e);
	if (id != NULL && strchr(id, '.') == NULL)
		flog(LOG_WARNING, "authserv-id \"%s\" is not a fully "
		    "qualified name; set authresult.identifier", id);
	enma_engine_free(e);
	if (!o->test && check_tmpdir(f->tmpdir) == -1)
		return EX_CANTCREAT;
	if (o->test)
		fprintf(stderr, FILTER_NAME ": configuration OK\n");
	return 0;
}

/* refuse_version - a protocol this code cannot read: say why; the exit */
static int
refuse_version(struct enma_span v)
{
	char q[64];

	flog(LOG_ERR, "smtpd speaks filter protocol %s; this filter reads "
	    "%u.%u to %u.%u only: refusing to run",
	    flog_clean(v, q, sizeof(q)), SMTPD_PROTO_MAJOR,
	    SMTPD_PROTO_MINOR_MIN, SMTPD_PROTO_MAJOR, SMTPD_PROTO_MINOR_MAX);
	return EX_PROTOCOL;
}

/* note_version - every event's version: refuse, or remember the minor */
static int
note_version(struct filter *f, const struct smtpd_event *ev)
{
	if (!smtpd_version_ok(ev->vmajor))
		return refuse_version(ev->version);
	if (ev->vminor != f->vminor && !f->warned_version &&
	    (ev->vminor < SMTPD_PROTO_MINOR_MIN ||
	    ev->vminor > SMTPD_PROTO_MINOR_MAX)) {
		flog(LOG_WARNING, "filter protocol %u.%u: read as %u.%u",
		    ev->vmajor, ev->vminor, SMTPD_PROTO_MAJOR,
		    ev->vminor > SMTPD_PROTO_MINOR_MAX ?
		    SMTPD_PROTO_MINOR_MAX : ev->vminor);
		f->warned_version = 1;
	}
	f->vminor = ev->vminor;
	return -1;
}

/* config_timeout - config|smtp-session-timeout */
static void
config_timeout(struct filter *f, struct enma_span v)
{
	uint64_t n;

	if (enma_span_to_uint(v, MAIN_MAX_TIMEOUT_S, &n) != ENMA_OK ||
	    n == 0) {
		flog(LOG_WARNING, "config|smtp-session-timeout: not a number "
		    "of seconds: assuming %u",
		    FILTER_DEFAULT_SESSION_TIMEOUT_S);
		return;
	}
	f->session_timeout_s = (unsigned)n;
}

/* config_line - one config|KEY|VALUE before config|ready; -1 or exit */
static int
config_line(struct filter *f, const struct smtpd_event *ev)
{
	unsigned	vmajor, vminor;
	char		q[256];

	if (enma_span_eq(ev->name, ENMA_SPAN_LIT("smtp-session-timeout")))
		config_timeout(f, ev->params);
	else if (enma_span_eq(ev->name, ENMA_SPAN_LIT("admd")))
		flog_clean(ev->params, f->admd, sizeof(f->admd));
	else if (enma_span_eq(ev->name, ENMA_SPAN_LIT("protocol"))) {
		if (smtpd_version_parse(ev->params, &vmajor, &vminor) !=
		    ENMA_OK || !smtpd_version_ok(vmajor))
			return refuse_version(ev->params);
		f->vminor = vminor;
	} else if (enma_span_eq(ev->name, ENMA_SPAN_LIT("smtpd-version")))
		flog(LOG_INFO, "smtpd %s", flog_clean(ev->params, q,
		    sizeof(q)));
	return -1;
}

/*
 * budget - dns.message_timeout, kept FILTER_TIMEOUT_MARGIN_S below
 * smtpd's session timeout (at least 1 s); set in the configuration.
 */
static void
budget(struct filter *f)
{
	unsigned	want = enma_conf_uint(f->conf, "dns.message_timeout");
	unsigned	max = 1;
	char		v[32], err[MAIN_ERRLEN];

	if (f->session_timeout_s > FILTER_TIMEOUT_MARGIN_S + 1)
		max = f->session_timeout_s - FILTER_TIMEOUT_MARGIN_S;
	if (want > max) {
		flog(LOG_WARNING, "dns.message_timeout %u s lowered to %u s: "
		    "smtpd's session timeout is %u s", want, max,
		    f->session_timeout_s);
		snprintf(v, sizeof(v), "%u", max);
		if (enma_conf_set(f->conf, "dns.message_timeout", v, err,
		    sizeof(err)) != ENMA_OK)
			flog(LOG_ERR, "dns.message_timeout: %s", err);
		want = max;
	}
	f->budget_ms = want * 1000;
}

/* admd_id - smtpd's admd as the authserv-id when ours is not set */
static void
admd_id(struct filter *f)
{
	const char	*id = enma_conf_str(f->conf, "authresult.identifier");
	char		 err[MAIN_ERRLEN];

	if ((id != NULL && *id != '\0') || f->admd[0] == '\0')
		return;
	if (enma_conf_set(f->conf, "authresult.identifier", f->admd, err,
	    sizeof(err)) != ENMA_OK)
		flog(LOG_WARNING, "admd %s not used as the authserv-id: %s",
		    f->admd, err);
}

/* start - config|ready: engine, sessions, workers, registration */
static int
start(struct filter *f)
{
	budget(f);
	admd_id(f);
	if (build_engine(f, &f->engine) == -1)
		return EX_CONFIG;
	f->authserv_id = enma_engine_authserv_id(f->engine);
	if ((f->sessions = sess_table_new()) == NULL ||
	    (f->pool = pool_new(f, enma_conf_uint(f->conf,
	    "opensmtpd.workers"), enma_conf_uint(f->conf,
	    "opensmtpd.queue"))) == NULL) {
		flog(LOG_ERR, "cannot start: out of memory or threads");
		return EX_OSERR;
	}
	if (events_register(&f->out) == -1)
		return EX_IOERR;
	f->ready = 1;
	flog(LOG_INFO, "ready: authserv-id %s, protocol 0.%u, %u workers, "
	    "DNS budget %u s, session timeout %u s", f->authserv_id, f->vminor,
	    enma_conf_uint(f->conf, "opensmtpd.workers"), f->budget_ms / 1000,
	    f->session_timeout_s);
	return 0;
}

/* line - one line from smtpd; an exit status, or -1 to go on */
static int
line(struct filter *f, struct enma_span l, uint64_t cut)
{
	struct smtpd_event	ev;
	char			q[128];
	int			rc;

	if (cut > 0)
		flog(LOG_ERR, "a line from smtpd over %u bytes: %llu bytes "
		    "cut", SMTPD_PROTO_MAX_LINE, (unsigned long long)cut);
	if (smtpd_event_parse(l, &ev) != ENMA_OK) {
		flog(LOG_WARNING, "line not understood: %s",
		    flog_clean(l, q, sizeof(q)));
		return -1;
	}
	if (ev.kind == SMTPD_CONFIG) {
		if (f->ready)
			return -1;
		if (!enma_span_eq(ev.name, ENMA_SPAN_LIT("ready")))
			return config_line(f, &ev);
		return (rc = start(f)) != 0 ? rc : -1;
	}
	if ((rc = note_version(f, &ev)) >= 0)
		return rc;
	if (!f->ready) {
		flog(LOG_WARNING, "event before config|ready: ignored");
		return -1;
	}
	events_dispatch(f, &ev, cut);
	return -1;
}

/* loop - read smtpd's lines until it closes stdin */
static int
loop(struct filter *f)
{
	struct smtpd_reader	r;
	struct enma_span	l;
	unsigned char		*p;
	size_t			 n;
	ssize_t			 got;
	uint64_t		 cut;
	int			 rc = 0;

	smtpd_reader_init(&r, SMTPD_PROTO_MAX_LINE);
	for (;;) {
		if (smtpd_reader_space(&r, &p, &n) != ENMA_OK) {
			flog(LOG_ERR, "reading from smtpd: out of memory");
			rc = EX_OSERR;
			break;
		}
		if ((got = read(STDIN_FILENO, p, n)) == -1 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == -1)
				flog(LOG_ERR, "reading from smtpd: %s",
				    strerror(errno));
			break;
		}
		smtpd_reader_commit(&r, (size_t)got);
		while (smtpd_reader_line(&r, &l, &cut))
			if ((rc = line(f, l, cut)) >= 0)
				goto out;
		rc = 0;
	}
	if (smtpd_reader_pending(&r) > 0)
		flog(LOG_WARNING, "smtpd closed the pipe in the middle of a "
		    "line (%llu bytes dropped)",
		    (unsigned long long)smtpd_reader_pending(&r));
out:
	smtpd_reader_free(&r);
	return rc;
}

/* finish - stop the workers; free everything if they all stopped */
static void
finish(struct filter *f)
{
	flog(LOG_INFO, "stopping: %llu messages, %llu answered at once "
	    "(queue full), %llu lines cut", (unsigned long long)f->messages,
	    (unsigned long long)f->queue_full,
	    (unsigned long long)f->cut_lines);
	if (f->pool != NULL && !pool_stop(f->pool))
		return;	/* workers still in the DNS: exit leaves them */
	pool_free(f->pool);
	sess_table_free(f->sessions);
	enma_engine_free(f->engine);
	enma_conf_free(f->conf);
}

/* main - check, wait for smtpd's configuration, serve until stdin ends */
int
main(int argc, char **argv)
{
	struct main_opts	 opts;
	struct filter		*f = &filter_g;
	int			 rc;

	if ((rc = parse_args(argc, argv, &opts)) >= 0)
		return rc;
	memset(f, 0, sizeof(*f));
	out_init(&f->out, STDOUT_FILENO);
	(void)signal(SIGPIPE, SIG_IGN);
	if ((rc = prepare(&opts, f)) != 0 || opts.test) {
		enma_conf_free(f->conf);
		return rc;
	}
	rc = loop(f);
	finish(f);
	return rc;
}
