/*
 * enma-check - verify a saved message as the adapters would
 *
 *	enma-check [-hjv] [-a address] [-e helo] [-f mail-from] [-u user]
 *	    [-i authserv-id] [-c file] [-o key=value ...]
 *	    [-S nameserver[,...]] [-P port] [-t seconds] [-z zonefile] [file]
 *
 * The message (file, or standard input) goes through the same engine
 * session as in the milter, the Exim and the OpenSMTPD adapters: the
 * envelope comes from the options, the header fields and the body from
 * the message reader (enma_mail_reader_*, mail.h), which does to a file
 * what an MTA does to SMTP data.  Prints the Authentication-Results field
 * the adapters would insert, folded as the engine gives it, or with -j
 * one JSON object with every verdict and its reason.
 *
 * Exit status (enma-check(1)): 0 the message was verified, whatever the
 * verdicts; 64 usage; 65 the message or a zone file cannot be read as
 * such (a header line or field over the limit, zone syntax); 66 a file
 * cannot be opened or read; 70 internal error; 71 resolver or memory;
 * 78 the configuration file is wrong.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <unistd.h>

#include <enma/util.h>
#include <enma/dns.h>
#include <enma/conf.h>
#include <enma/mail.h>
#include <enma/engine.h>

#include "lib/cli.h"

#define EC_DEFAULT_TIMEOUT	20	/* seconds of DNS per message */
#define EC_MAX_TIMEOUT		3600	/* -t upper bound, as the conf's */
#define EC_TRY_MS		5000	/* one ldns try at most */
#define EC_RETRIES		2	/* ldns tries per lookup */
#define EC_PORT_MAX		65535
#define EC_MAX_OPTIONS		256	/* -o options on one command line */
#define EC_READ_BLOCK		(64 * 1024)
#define EC_ERRLEN		1024
#define EC_TIMEOUT_TEXT		16
#define EC_SYNOPSIS \
	"usage: enma-check [-hjv] [-a address] [-e helo] [-f mail-from] " \
	"[-u user]\n" \
	"                  [-i authserv-id] [-c file] [-o key=value ...]\n" \
	"                  [-S nameserver[,...]] [-P port] [-t seconds] " \
	"[-z zonefile]\n" \
	"                  [file]\n"

struct ec_options {
	const char	*address;	/* -a */
	const char	*helo;		/* -e */
	const char	*mail_from;	/* -f */
	const char	*user;		/* -u */
	const char	*authserv_id;	/* -i */
	const char	*conffile;	/* -c */
	const char	*ovr[EC_MAX_OPTIONS];	/* -o */
	size_t		 novr;
	struct enma_buf	 ns;		/* -S, comma separated */
	unsigned	 port;		/* -P */
	unsigned	 timeout_s;	/* -t, 0 = from the configuration */
	const char	*zonefile;	/* -z */
	int		 json;		/* -j */
	int		 verbose;	/* -v */
	const char	*file;		/* operand; NULL or "-" = stdin */
	struct enma_ip	 ip;
};

/* What one run holds, freed at the end. */
struct ec_run {
	const struct ec_options	*opt;
	struct enma_conf	*conf;
	struct enma_zone	*zone;		/* -z or dns.resolver: zone */
	struct enma_resolver	*resolver;	/* until the engine has it */
	struct enma_engine	*engine;
	struct enma_session	*session;
	FILE			*in;
	const char		*inname;
	struct enma_buf		 tmp;		/* printable copies */
	struct enma_mail_reader_stats stats;
};

/* The -v trace: a resolver that asks another and prints the answer. */
struct ec_trace {
	struct enma_resolver	*inner;
	struct ec_run		*run;
};

static void	 usage(FILE *);

/* usage - the synopsis and the options, on fp */
static void
usage(FILE *fp)
{
	fprintf(fp, EC_SYNOPSIS
	    "envelope, as the MTA saw it (a saved message does not carry "
	    "it):\n"
	    "  -a address  client IP address; without it: spf=none (local "
	    "submission)\n"
	    "  -e helo     HELO/EHLO name\n"
	    "  -f path     MAIL FROM reverse-path (\"<>\" for the null "
	    "sender);\n"
	    "              without it: spf=temperror (no MAIL FROM given)\n"
	    "  -u user     SMTP AUTH user: authenticated, not verified\n"
	    "engine:\n"
	    "  -i id       authserv-id (authresult.identifier)\n"
	    "  -c file     read this enma.conf\n"
	    "  -o key=val  set one configuration key (repeatable)\n"
	    "DNS:\n"
	    "  -S list     nameservers (repeatable; comma separated)\n"
	    "  -P port     nameserver port (default 53)\n"
	    "  -t seconds  DNS time limit for the message (default %d)\n"
	    "  -z file     offline: answer from this zone file\n"
	    "output:\n"
	    "  -j          one JSON object with every verdict and reason\n"
	    "  -v          trace DNS lookups and engine log on stderr\n"
	    "  -h          this help\n"
	    "file: the message; standard input when absent or \"-\"\n",
	    EC_DEFAULT_TIMEOUT);
}

/* add_override - one -o key=value, checked when the conf is built */
static void
add_override(struct ec_options *opt, const char *arg)
{
	if (opt->novr == EC_MAX_OPTIONS)
		cli_usage_error("more than %d -o options", EC_MAX_OPTIONS);
	opt->ovr[opt->novr++] = arg;
}

/* parse_flag - one option letter; 0 when c is not ours */
static int
parse_flag(struct ec_options *opt, int c)
{
	switch (c) {
	case 'a':
		opt->address = optarg;
		break;
	case 'c':
		opt->conffile = optarg;
		break;
	case 'e':
		opt->helo = optarg;
		break;
	case 'f':
		opt->mail_from = optarg;
		break;
	case 'i':
		opt->authserv_id = optarg;
		break;
	case 'j':
		opt->json = 1;
		break;
	case 'o':
		add_override(opt, optarg);
		break;
	case 'P':
		opt->port = cli_parse_number(optarg, "-P port", 1, EC_PORT_MAX);
		break;
	case 'S':
		cli_add_nameservers(&opt->ns, optarg);
		break;
	case 't':
		opt->timeout_s = cli_parse_number(optarg, "-t seconds", 1,
		    EC_MAX_TIMEOUT);
		break;
	case 'u':
		opt->user = optarg;
		break;
	case 'v':
		opt->verbose = 1;
		break;
	case 'z':
		opt->zonefile = optarg;
		break;
	default:
		return 0;
	}
	return 1;
}

/* parse_options - fill opt from the command line */
static void
parse_options(int argc, char **argv, struct ec_options *opt)
{
	int c;

	opterr = 0;	/* our own message, without argv[0] */
	while ((c = getopt(argc, argv, ":a:c:e:f:hi:jo:P:S:t:u:vz:")) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(EX_OK);
		}
		if (c == ':')
			cli_usage_error("-%c needs a value", optopt);
		if (!parse_flag(opt, c)) {
			if (enma_isvchar(optopt))
				cli_usage_error("unknown option -%c", optopt);
			cli_usage_error("unknown option");
		}
	}
	if (opt->zonefile != NULL && (opt->ns.len > 0 || opt->port != 0))
		cli_usage_error("-z cannot be combined with -S or -P");
	if (argc - optind > 1)
		cli_usage_error("one message at a time");
	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0)
		opt->file = argv[optind];
	if (opt->address != NULL &&
	    enma_ip_from_text(enma_span_from_cstr(opt->address), &opt->ip) !=
	    ENMA_OK)
		cli_usage_error("-a: not an IP address: %s", opt->address);
	if (opt->mail_from != NULL && strlen(opt->mail_from) == 0)
		cli_usage_error("-f: empty; the null sender is \"<>\"");
}

/* set_key - one key set by a command-line option; a usage error if bad */
static void
set_key(struct ec_run *run, const char *opt, const char *key,
    const char *value)
{
	char err[EC_ERRLEN];

	if (enma_conf_set(run->conf, key, value, err, sizeof(err)) != ENMA_OK)
		cli_usage_error("%s: %s", opt, err);
}

/*
 * load_conf - defaults, the -c file, each -o, then the options that
 * stand for keys (-i, -t); an exit status
 */
static int
load_conf(struct ec_run *run)
{
	const struct ec_options *opt = run->opt;
	char err[EC_ERRLEN], num[EC_TIMEOUT_TEXT];
	enma_status st;
	size_t i;

	if ((run->conf = enma_conf_new()) == NULL) {
		fputs("enma-check: out of memory\n", stderr);
		return EX_OSERR;
	}
	err[0] = '\0';
	if (opt->conffile != NULL && (st = enma_conf_load(run->conf,
	    opt->conffile, err, sizeof(err))) != ENMA_OK) {
		fprintf(stderr, "enma-check: %s\n", err[0] != '\0' ? err :
		    enma_strerror(st));
		return st == ENMA_EIO ? EX_NOINPUT : EX_CONFIG;
	}
	for (i = 0; i < opt->novr; i++)
		if (enma_conf_set_option(run->conf, opt->ovr[i], err,
		    sizeof(err)) != ENMA_OK)
			cli_usage_error("%s", err);
	if (opt->authserv_id != NULL)
		set_key(run, "-i", "authresult.identifier", opt->authserv_id);
	if (opt->timeout_s != 0) {
		(void)snprintf(num, sizeof(num), "%u", opt->timeout_s);
		set_key(run, "-t", "dns.message_timeout", num);
	}
	return EX_OK;
}

/* trace_query - ask the real backend, then print question and answer */
static enma_status
trace_query(void *ctx, const char *name, uint16_t type, unsigned timeout_ms,
    struct enma_arena *arena, struct enma_dns_answer *ans)
{
	struct ec_trace *t = ctx;
	enma_status st;

	st = t->inner->ops->query(t->inner->ctx, name, type, timeout_ms,
	    arena, ans);
	cli_print_answer(&t->run->tmp, name, type, st, ans);
	return st;
}

/* trace_free - the real backend with the wrapper */
static void
trace_free(void *ctx)
{
	struct ec_trace *t = ctx;

	enma_resolver_free(t->inner);
	free(t);
}

static const struct enma_resolver_ops trace_ops = {
	"trace", trace_query, trace_free
};

/* wrap_trace - put the -v trace around run->resolver; an exit status */
static int
wrap_trace(struct ec_run *run)
{
	struct enma_resolver *r;
	struct ec_trace *t;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL) {
		free(t);
		fputs("enma-check: out of memory\n", stderr);
		return EX_OSERR;
	}
	t->inner = run->resolver;
	t->run = run;
	r->ops = &trace_ops;
	r->ctx = t;
	run->resolver = r;
	return EX_OK;
}

/* open_zone - the zone backend from path; an exit status */
static int
open_zone(struct ec_run *run, const char *path)
{
	char err[EC_ERRLEN];
	enma_status st;

	if ((run->zone = enma_zone_new()) == NULL) {
		fputs("enma-check: out of memory\n", stderr);
		return EX_OSERR;
	}
	err[0] = '\0';
	if ((st = enma_zone_load_file(run->zone, path, err, sizeof(err))) !=
	    ENMA_OK) {
		/* the loader's reason starts with the file name */
		if (err[0] != '\0')
			fprintf(stderr, "enma-check: %s\n", err);
		else
			fprintf(stderr, "enma-check: %s: %s\n", path,
			    enma_strerror(st));
		return st == ENMA_EIO || st == ENMA_ENOTFOUND ? EX_NOINPUT :
		    EX_DATAERR;
	}
	if (enma_resolver_zone_new(run->zone, &run->resolver) != ENMA_OK) {
		fputs("enma-check: zone resolver: out of memory\n", stderr);
		return EX_OSERR;
	}
	return EX_OK;
}

/* open_ldns - -S/-P, else the dns.* keys; an exit status */
static int
open_ldns(struct ec_run *run)
{
	const struct ec_options *opt = run->opt;
	struct enma_ldns_params p;
	const char *ns = enma_conf_str(run->conf, "dns.nameservers");
	char err[EC_ERRLEN];
	unsigned budget;

	memset(&p, 0, sizeof(p));
	if (opt->ns.len > 0)
		p.nameservers = opt->ns.p;
	else if (ns != NULL && ns[0] != '\0')
		p.nameservers = ns;
	p.port = opt->port != 0 ? opt->port :
	    enma_conf_uint(run->conf, "dns.port");
	p.timeout_ms = enma_conf_uint(run->conf, "dns.timeout") * 1000;
	p.retries = enma_conf_uint(run->conf, "dns.retries");
	if (opt->timeout_s != 0) {
		/* -t bounds the message; one try gets at most EC_TRY_MS */
		budget = opt->timeout_s * 1000;
		p.timeout_ms = budget < EC_TRY_MS ? budget : EC_TRY_MS;
		p.retries = EC_RETRIES;
	}
	err[0] = '\0';
	if (enma_resolver_ldns_new(&p, &run->resolver, err, sizeof(err)) !=
	    ENMA_OK) {
		fprintf(stderr, "enma-check: resolver: %s\n", err[0] != '\0' ?
		    err : "cannot be set up");
		return EX_OSERR;
	}
	return EX_OK;
}

/*
 * open_resolver - -z, else -S, else what the configuration names; the
 * engine is given the resolver so that -v can trace it
 */
static int
open_resolver(struct ec_run *run)
{
	const char *kind = enma_conf_str(run->conf, "dns.resolver");
	const char *zf = enma_conf_str(run->conf, "dns.zonefile");
	int status;

	if (run->opt->zonefile != NULL)
		status = open_zone(run, run->opt->zonefile);
	else if (run->opt->ns.len == 0 && kind != NULL &&
	    strcmp(kind, "zone") == 0) {
		if (zf == NULL || zf[0] == '\0') {
			fputs("enma-check: dns.resolver is zone but "
			    "dns.zonefile is empty\n", stderr);
			return EX_CONFIG;
		}
		status = open_zone(run, zf);
	} else
		status = open_ldns(run);
	if (status == EX_OK && run->opt->verbose)
		status = wrap_trace(run);
	return status;
}

/* engine_log - the engine's log: warnings always, the rest with -v */
static void
engine_log(void *arg, int priority, const char *msg)
{
	const struct ec_run *run = arg;

	if (priority <= LOG_WARNING || run->opt->verbose)
		fprintf(stderr, "enma-check: engine: %s\n", msg);
}

/* open_engine - the engine and one session; an exit status */
static int
open_engine(struct ec_run *run)
{
	char err[EC_ERRLEN];
	enma_status st;

	err[0] = '\0';
	st = enma_engine_new(run->conf, run->resolver, engine_log, run,
	    &run->engine, err, sizeof(err));
	run->resolver = NULL;		/* the engine's, even on failure */
	if (st != ENMA_OK) {
		fprintf(stderr, "enma-check: %s\n", err[0] != '\0' ? err :
		    enma_strerror(st));
		return st == ENMA_ENOMEM ? EX_OSERR : EX_CONFIG;
	}
	if ((run->session = enma_session_new(run->engine)) == NULL) {
		fputs("enma-check: out of memory\n", stderr);
		return EX_OSERR;
	}
	return EX_OK;
}

/* open_input - the message file, or standard input; an exit status */
static int
open_input(struct ec_run *run)
{
	if (run->opt->file == NULL) {
		run->in = stdin;
		run->inname = "(standard input)";
		return EX_OK;
	}
	run->inname = run->opt->file;
	if ((run->in = fopen(run->opt->file, "rb")) == NULL) {
		fprintf(stderr, "enma-check: %s: %s\n", run->opt->file,
		    strerror(errno));
		return EX_NOINPUT;
	}
	return EX_OK;
}

/* session_envelope - connect, HELO, AUTH, MAIL FROM; an exit status */
static int
session_envelope(struct ec_run *run)
{
	const struct ec_options *opt = run->opt;
	enma_status st;

	st = enma_session_connect(run->session, opt->address != NULL ?
	    &opt->ip : NULL, 0);
	if (st == ENMA_OK && opt->helo != NULL)
		st = enma_session_helo(run->session,
		    enma_span_from_cstr(opt->helo));
	if (st == ENMA_OK && opt->user != NULL)
		st = enma_session_auth(run->session,
		    enma_span_from_cstr(opt->user));
	if (st == ENMA_OK && opt->mail_from != NULL)
		st = enma_session_mail_from(run->session,
		    enma_span_from_cstr(opt->mail_from));
	if (st != ENMA_OK) {
		fprintf(stderr, "enma-check: envelope: %s\n",
		    enma_strerror(st));
		return st == ENMA_ENOMEM ? EX_OSERR : EX_SOFTWARE;
	}
	return EX_OK;
}

/*
 * on_header, on_body - the reader's fields and body to the session.  A
 * failure there (a limit, memory) is the engine's to report as a
 * temperror verdict, as in an adapter: the reading goes on.
 */
static enma_status
on_header(void *arg, struct enma_span field)
{
	struct ec_run *run = arg;

	(void)enma_session_header(run->session, field);
	return ENMA_OK;
}

static enma_status
on_body(void *arg, struct enma_span chunk)
{
	struct ec_run *run = arg;

	(void)enma_session_body(run->session, chunk);
	return ENMA_OK;
}

/* read_error - why the reader stopped, as an exit status */
static int
read_error(struct ec_run *run, enma_status st)
{
	if (st == ENMA_ELIMIT) {
		fprintf(stderr, "enma-check: %s: a header line or field is "
		    "longer than %u bytes\n", run->inname,
		    (unsigned)ENMA_MAIL_READER_MAX_FIELD);
		return EX_DATAERR;
	}
	fprintf(stderr, "enma-check: %s: %s\n", run->inname,
	    enma_strerror(st));
	return st == ENMA_ENOMEM ? EX_OSERR : EX_SOFTWARE;
}

/* read_message - the whole input through the reader; an exit status */
static int
read_message(struct ec_run *run)
{
	struct enma_mail_reader_cb cb = { on_header, NULL, on_body, run };
	struct enma_mail_reader *r;
	unsigned char *block;
	enma_status st;
	size_t n;

	if ((block = malloc(EC_READ_BLOCK)) == NULL ||
	    enma_mail_reader_new(&cb, 0, &r) != ENMA_OK) {
		free(block);
		fputs("enma-check: out of memory\n", stderr);
		return EX_OSERR;
	}
	st = ENMA_OK;
	while (st == ENMA_OK &&
	    (n = fread(block, 1, EC_READ_BLOCK, run->in)) > 0)
		st = enma_mail_reader_feed(r, enma_span_make(block, n));
	if (st == ENMA_OK && ferror(run->in)) {
		fprintf(stderr, "enma-check: %s: read error: %s\n",
		    run->inname, strerror(errno));
		enma_mail_reader_free(r);
		free(block);
		return EX_NOINPUT;
	}
	if (st == ENMA_OK)
		st = enma_mail_reader_finish(r);
	enma_mail_reader_stats(r, &run->stats);
	enma_mail_reader_free(r);
	free(block);
	return st == ENMA_OK ? EX_OK : read_error(run, st);
}

/* skipped_word - why no verdicts were computed, or NULL */
static const char *
skipped_word(const struct enma_result *res)
{
	switch (res->skipped) {
	case 1:
		return "excluded";
	case 2:
		return "authenticated";
	default:
		return NULL;
	}
}

/* print_json_verdicts - "verdicts": every method's verdict and reason */
static void
print_json_verdicts(const struct enma_result *res)
{
	const struct enma_verdict *v;
	size_t i;

	fputs(",\"verdicts\":[", stdout);
	for (i = 0; i < res->nverdicts; i++) {
		v = &res->verdicts[i];
		fputs(i > 0 ? ",{\"method\":" : "{\"method\":", stdout);
		cli_json_string(stdout, v->method);
		fputs(",\"result\":", stdout);
		cli_json_string(stdout, v->result);
		fputs(",\"identity\":", stdout);
		cli_json_string(stdout, v->identity);
		fputs(",\"reason\":", stdout);
		cli_json_string(stdout, v->reason);
		fputc('}', stdout);
	}
	fputc(']', stdout);
}

/* print_json - one object: header, verdicts, deletions, the message */
static void
print_json(struct ec_run *run, const struct enma_result *res)
{
	const struct enma_mail_reader_stats *st = &run->stats;
	size_t i;

	fputs("{\"authserv_id\":", stdout);
	cli_json_string(stdout, enma_engine_authserv_id(run->engine));
	fputs(",\"skipped\":", stdout);
	cli_json_string(stdout, skipped_word(res));
	fputs(",\"header_name\":", stdout);
	cli_json_string(stdout, res->header_name);
	fputs(",\"header_value\":", stdout);
	cli_json_string(stdout, res->header_value);
	print_json_verdicts(res);
	fputs(",\"delete\":[", stdout);
	for (i = 0; i < res->ndelete; i++)
		printf("%s%u", i > 0 ? "," : "", res->delete_idx[i]);
	fputs("],\"logline\":", stdout);
	cli_json_string(stdout, res->logline);
	printf(",\"message\":{\"header_fields\":%zu,\"body_bytes\":%llu,"
	    "\"separator\":%s,\"nonheader_line\":%s,\"mbox_from\":%s,"
	    "\"bare_lf\":%s}}\n", st->fields,
	    (unsigned long long)st->body_bytes,
	    st->separator ? "true" : "false", st->nonheader ? "true" : "false",
	    st->mbox_from ? "true" : "false", st->bare_lf ? "true" : "false");
}

/* print_plain - the field as the adapters would insert it */
static void
print_plain(struct ec_run *run, const struct enma_result *res)
{
	size_t i;

	if (res->skipped != 0)
		fprintf(stderr, "enma-check: not verified: the client is %s "
		    "(no header is added)\n", res->skipped == 1 ?
		    "in common.exclusion_addresses" : "authenticated");
	else if (res->header_value != NULL)
		printf("%s: %s\n", res->header_name, res->header_value);
	if (run->opt->verbose) {
		fprintf(stderr, "enma-check: %s\n", res->logline != NULL ?
		    res->logline : "");
		for (i = 0; i < res->ndelete; i++)
			fprintf(stderr, "enma-check: would delete "
			    "Authentication-Results #%u\n", res->delete_idx[i]);
	}
}

/* verify - envelope, message, end of message, output; an exit status */
static int
verify(struct ec_run *run)
{
	struct enma_result res;
	enma_status st;
	int status;

	if ((status = session_envelope(run)) != EX_OK ||
	    (status = read_message(run)) != EX_OK)
		return status;
	memset(&res, 0, sizeof(res));
	st = enma_session_eom(run->session, &res);
	if (st != ENMA_OK && res.header_value == NULL && res.skipped == 0) {
		fprintf(stderr, "enma-check: end of message: %s\n",
		    enma_strerror(st));
		status = EX_SOFTWARE;
	}
	if (run->opt->json)
		print_json(run, &res);
	else
		print_plain(run, &res);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "enma-check: standard output: %s\n",
		    strerror(errno));
		return EX_IOERR;
	}
	return status;
}

/* run_all - set-up in order, each step only if the last one worked */
static int
run_all(struct ec_run *run)
{
	int status;

	if ((status = load_conf(run)) != EX_OK ||
	    (status = open_input(run)) != EX_OK ||
	    (status = open_resolver(run)) != EX_OK ||
	    (status = open_engine(run)) != EX_OK)
		return status;
	return verify(run);
}

/* main - parse, set up, verify, clean up */
int
main(int argc, char **argv)
{
	struct ec_options opt;
	struct ec_run run;
	int status;

	cli_init("enma-check", EC_SYNOPSIS);
	memset(&opt, 0, sizeof(opt));
	enma_buf_init(&opt.ns, CLI_NS_TEXT_MAX);
	parse_options(argc, argv, &opt);
	memset(&run, 0, sizeof(run));
	run.opt = &opt;
	enma_buf_init(&run.tmp, 0);
	status = run_all(&run);
	enma_session_free(run.session);
	/* the engine (and its resolver) before the zone they read */
	enma_engine_free(run.engine);
	enma_resolver_free(run.resolver);
	enma_zone_free(run.zone);
	enma_conf_free(run.conf);
	if (run.in != NULL && run.in != stdin)
		fclose(run.in);
	enma_buf_free(&run.tmp);
	enma_buf_free(&opt.ns);
	return status;
}
