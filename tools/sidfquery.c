/*
 * sidfquery - evaluate SPF or Sender ID for a sender and client addresses
 *
 * Compatible with IIJ ENMA's sidfquery: "sidfquery [-46mnpsv] mailbox
 * address-or-host ..." prints "mailbox address result" for each address.
 * A host name argument is resolved through libenma's own resolver (A and
 * AAAA) and each of its addresses is evaluated.  Beyond the original:
 * nameserver and port selection, an offline zone file, a DNS time limit
 * per check, a trace of every lookup and SPF step, and JSON output.
 *
 * Exit status (see sidfquery(1)): 0 when every argument was evaluated,
 * whatever the verdicts (temperror included); 64 usage; 65/66 zone file;
 * 68 a host name had no address; 70 internal error; 71 resolver set-up;
 * 75 a host-name lookup failed temporarily.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <enma/util.h>
#include <enma/dns.h>
#include <enma/mail.h>
#include <enma/spf.h>

#include "lib/cli.h"

#define SQ_DEFAULT_TIMEOUT	20	/* seconds of DNS per check */
#define SQ_MAX_TIMEOUT		3600	/* seconds; -t upper bound */
#define SQ_TRY_MS		5000	/* one ldns try at most */
#define SQ_RETRIES		2	/* ldns tries per lookup */
#define SQ_ARENA_LIMIT		(16u * 1024 * 1024) /* bytes per check */
#define SQ_PORT_MAX		65535
#define SQ_SYNOPSIS \
	"usage: sidfquery [-46Hhjmnpsv] [-e helo] [-P port] [-r receiver]\n" \
	"                 [-S nameserver[,...]] [-t seconds] [-z zonefile]\n" \
	"                 mailbox address-or-host ...\n"

struct sq_options {
	enum enma_spf_scope	 scope;
	int			 family;	/* 0 both, 4 or 6: host names */
	int			 numeric;	/* -n */
	int			 verbose;	/* -v */
	int			 json;		/* -j */
	int			 hardfail;	/* -H */
	const char		*zonefile;	/* -z */
	const char		*helo;		/* -e */
	const char		*receiver;	/* -r */
	struct enma_buf		 ns;		/* -S, comma separated */
	unsigned		 port;		/* -P */
	unsigned		 timeout_s;	/* -t */
};

struct sq_run {
	const struct sq_options	*opt;
	struct enma_resolver	*resolver;
	struct enma_zone	*zone;
	struct enma_arena	*arena;		/* one check; reset each time */
	struct enma_arena	*harena;	/* one host-name resolution */
	struct enma_arena	*perm;		/* the whole run: the sender */
	const char		*mailbox;	/* argument as given */
	const char		*local;		/* sender local part */
	const char		*domain;	/* sender domain */
	struct enma_buf		 tmp;		/* printable copies */
	int			 status;	/* exit status so far */
};

static void	 usage(FILE *);
static int	 parse_options(int, char **, struct sq_options *);
static const char *addr_spec(struct sq_run *, const struct enma_mailbox *);
static void	 parse_sender(struct sq_run *, const char *);
static void	 check_targets(struct sq_run *, int, char **);
static int	 open_resolver(struct sq_run *);
static void	 dns_trace(void *, const char *, uint16_t,
		    const struct enma_dns_answer *);
static void	 spf_trace(void *, unsigned, const char *);
static const char *result_word(const struct sq_run *,
		    enum enma_spf_result);
static const char *scope_word(enum enma_spf_scope);
static void	 print_plain(struct sq_run *, const char *,
		    const struct enma_spf_response *);
static void	 print_json(struct sq_run *, const char *,
		    const struct enma_spf_response *);
static void	 print_verdict(struct sq_run *,
		    const struct enma_spf_response *);
static void	 evaluate(struct sq_run *, const struct enma_ip *);
static void	 no_address(struct sq_run *, const char *, const uint16_t *,
		    const struct enma_dns_answer *, int);
static void	 resolve_host(struct sq_run *, const char *);
static void	 evaluate_arg(struct sq_run *, const char *);
static void	 set_status(struct sq_run *, int);

/* usage - the synopsis and the options, on fp */
static void
usage(FILE *fp)
{
	fprintf(fp, SQ_SYNOPSIS
	    "scope:\n"
	    "  -s          SPF, RFC 7208 (default)\n"
	    "  -m          Sender ID, mfrom scope (RFC 4406)\n"
	    "  -p          Sender ID, pra scope; mailbox is the PRA (shown "
	    "as addr-spec)\n"
	    "addresses:\n"
	    "  -n          numeric addresses only, no host-name lookup\n"
	    "  -4, -6      resolve host names to IPv4 (A) or IPv6 (AAAA) "
	    "only\n"
	    "DNS:\n"
	    "  -S list     nameservers (repeatable; comma separated)\n"
	    "  -P port     nameserver port (default 53)\n"
	    "  -t seconds  DNS time limit per check (default %d)\n"
	    "  -z file     offline: answer from this zone file\n"
	    "identity:\n"
	    "  -e helo     HELO/EHLO name (%%{h}; default: mailbox "
	    "domain)\n"
	    "  -r host     receiving host (%%{r} in explanations)\n"
	    "output:\n"
	    "  -H          print \"hardfail\" for fail, as ENMA 1.x did\n"
	    "  -j          one JSON object per address\n"
	    "  -v          trace DNS lookups and SPF steps on stderr\n"
	    "  -h          this help\n", SQ_DEFAULT_TIMEOUT);
}

/* parse_options - fill opt from the command line; returns optind */
static int
parse_options(int argc, char **argv, struct sq_options *opt)
{
	int c;

	opterr = 0;	/* our own message, without argv[0] */
	while ((c = getopt(argc, argv, ":46e:HhjmnP:pr:S:st:vz:")) != -1) {
		switch (c) {
		case '4':
		case '6':
			opt->family = c - '0';
			break;
		case 'e':
			opt->helo = optarg;
			break;
		case 'H':
			opt->hardfail = 1;
			break;
		case 'h':
			usage(stdout);
			exit(EX_OK);
		case 'j':
			opt->json = 1;
			break;
		case 'm':
			opt->scope = ENMA_SPF_SCOPE_MFROM;
			break;
		case 'n':
			opt->numeric = 1;
			break;
		case 'P':
			opt->port = cli_parse_number(optarg, "-P port", 1,
			    SQ_PORT_MAX);
			break;
		case 'p':
			opt->scope = ENMA_SPF_SCOPE_PRA;
			break;
		case 'r':
			opt->receiver = optarg;
			break;
		case 'S':
			cli_add_nameservers(&opt->ns, optarg);
			break;
		case 's':
			opt->scope = ENMA_SPF_SCOPE_SPF1;
			break;
		case 't':
			opt->timeout_s = cli_parse_number(optarg, "-t seconds",
			    1, SQ_MAX_TIMEOUT);
			break;
		case 'v':
			opt->verbose = 1;
			break;
		case 'z':
			opt->zonefile = optarg;
			break;
		case ':':
			cli_usage_error("-%c needs a value", optopt);
		default:
			if (enma_isvchar(optopt))
				cli_usage_error("unknown option -%c", optopt);
			cli_usage_error("unknown option");
		}
	}
	if (opt->zonefile != NULL && (opt->ns.len > 0 || opt->port != 0))
		cli_usage_error("-z cannot be combined with -S or -P");
	if (argc - optind < 2)
		cli_usage_error("a mailbox and at least one address are "
		    "needed");
	return optind;
}

/*
 * addr_spec - "local@domain" of a parsed PRA, for the three-field line:
 * the local part quoted (RFC 5322 3.4.1) when it holds anything but
 * atext and dots, so that no blank splits the line
 */
static const char *
addr_spec(struct sq_run *run, const struct enma_mailbox *mb)
{
	static const char special[] = " \t\"\\(),:;<>@[]";
	struct enma_buf b;
	const char *p, *out;
	int quote = mb->local[0] == '\0';

	for (p = mb->local; *p != '\0' && !quote; p++)
		quote = strchr(special, *p) != NULL ||
		    !enma_isvchar((unsigned char)*p);
	enma_buf_init(&b, 0);
	if (quote)
		enma_buf_putc(&b, '"');
	for (p = mb->local; *p != '\0'; p++) {
		if (quote && (*p == '"' || *p == '\\'))
			enma_buf_putc(&b, '\\');
		enma_buf_putc(&b, *p);
	}
	if (quote)
		enma_buf_putc(&b, '"');
	enma_buf_printf(&b, "@%s", mb->domain);
	out = enma_buf_status(&b) == ENMA_OK ?
	    enma_arena_strdup(run->perm, b.p) : NULL;
	enma_buf_free(&b);
	if (out == NULL)
		cli_usage_error("out of memory");
	return out;
}

/*
 * parse_sender - the mailbox argument: an RFC 5321 path for -s and -m
 * ("<>" is the null sender, RFC 7208 2.4: postmaster at the HELO name),
 * an RFC 5322 mailbox for -p, or a bare domain (a HELO check: RFC 7208
 * 2.3 and 4.3 make the sender postmaster@domain).
 */
static void
parse_sender(struct sq_run *run, const char *arg)
{
	struct enma_span s = enma_span_from_cstr(arg);
	struct enma_mailbox mb;
	enma_status st;

	run->mailbox = arg;
	memset(&mb, 0, sizeof(mb));
	if (s.len > 0 && enma_span_chr(s, '@') == s.len &&
	    enma_span_chr(s, '<') == s.len) {
		st = enma_domain_normalise(s, run->perm, &mb.domain);
		mb.local = "";
	} else if (run->opt->scope == ENMA_SPF_SCOPE_PRA)
		st = enma_mailbox_parse(s, run->perm, &mb);
	else
		st = enma_path_parse(s, run->perm, &mb);
	if (st != ENMA_OK)
		cli_usage_error("not a valid mailbox: %s (%s)", arg,
		    enma_strerror(st));
	if (mb.domain == NULL) {
		if (run->opt->helo == NULL ||
		    run->opt->scope == ENMA_SPF_SCOPE_PRA)
			cli_usage_error("the null sender needs -e helo (and is "
			    "not a PRA)");
		st = enma_domain_normalise(enma_span_from_cstr(run->opt->helo),
		    run->perm, &mb.domain);
		if (st != ENMA_OK)
			cli_usage_error("-e: not a valid host name: %s",
			    run->opt->helo);
		mb.local = "";
	}
	/* -p: the PRA may carry a display name; print its addr-spec */
	if (run->opt->scope == ENMA_SPF_SCOPE_PRA && mb.local != NULL &&
	    mb.local[0] != '\0')
		run->mailbox = addr_spec(run, &mb);
	/* RFC 7208 4.3: an empty local part is replaced by "postmaster" */
	run->local = (mb.local == NULL || mb.local[0] == '\0') ?
	    "postmaster" : mb.local;
	run->domain = mb.domain;
}

/*
 * check_targets - every address argument must be an IP address or, unless
 * -n, a host name; refuse the command line before any output otherwise.
 */
static void
check_targets(struct sq_run *run, int n, char **argv)
{
	struct enma_ip ip;
	const char *name;
	int i;

	for (i = 0; i < n; i++) {
		if (enma_ip_from_text(enma_span_from_cstr(argv[i]), &ip) ==
		    ENMA_OK)
			continue;
		if (run->opt->numeric)
			cli_usage_error("-n: not a numeric address: %s",
			    argv[i]);
		if (enma_domain_normalise(enma_span_from_cstr(argv[i]),
		    run->arena, &name) != ENMA_OK)
			cli_usage_error("neither an IP address nor a host "
			    "name: %s", argv[i]);
	}
}

/* open_resolver - the zone backend for -z, else ldns */
static int
open_resolver(struct sq_run *run)
{
	const struct sq_options *opt = run->opt;
	struct enma_ldns_params p;
	char err[512];
	enma_status st;

	if (opt->zonefile != NULL) {
		if ((run->zone = enma_zone_new()) == NULL)
			return EX_OSERR;
		err[0] = '\0';
		st = enma_zone_load_file(run->zone, opt->zonefile, err,
		    sizeof(err));
		if (st != ENMA_OK) {
			/* the loader's reason starts with the file name */
			if (err[0] != '\0')
				fprintf(stderr, "sidfquery: %s\n", err);
			else
				fprintf(stderr, "sidfquery: %s: %s\n",
				    opt->zonefile, enma_strerror(st));
			return st == ENMA_EIO || st == ENMA_ENOTFOUND ?
			    EX_NOINPUT : EX_DATAERR;
		}
		st = enma_resolver_zone_new(run->zone, &run->resolver);
		return st == ENMA_OK ? EX_OK : EX_OSERR;
	}
	memset(&p, 0, sizeof(p));
	p.nameservers = opt->ns.len > 0 ? opt->ns.p : NULL;
	p.port = opt->port;
	p.timeout_ms = opt->timeout_s * 1000 < SQ_TRY_MS ?
	    opt->timeout_s * 1000 : SQ_TRY_MS;
	p.retries = SQ_RETRIES;
	err[0] = '\0';
	st = enma_resolver_ldns_new(&p, &run->resolver, err, sizeof(err));
	if (st != ENMA_OK) {
		fprintf(stderr, "sidfquery: resolver: %s\n",
		    err[0] != '\0' ? err : enma_strerror(st));
		return EX_OSERR;
	}
	return EX_OK;
}

/* dns_trace - the dns ctx callback: every lookup, outcome and records */
static void
dns_trace(void *arg, const char *name, uint16_t type,
    const struct enma_dns_answer *ans)
{
	struct sq_run *run = arg;

	cli_print_answer(&run->tmp, name, type, ENMA_OK, ans);
}

/* spf_trace - the SPF request callback: one step, indented by depth */
static void
spf_trace(void *arg, unsigned depth, const char *msg)
{
	struct sq_run *run = arg;

	fprintf(stderr, "  spf[%u] %*s", depth, (int)(depth * 2), "");
	cli_put_printable(&run->tmp, stderr, msg, strlen(msg));
	fputc('\n', stderr);
}

/* result_word - RFC 7208 2.6 word, or ENMA 1.x's "hardfail" with -H */
static const char *
result_word(const struct sq_run *run, enum enma_spf_result r)
{
	if (r == ENMA_SPF_FAIL && run->opt->hardfail)
		return "hardfail";
	return enma_spf_result_to_text(r);
}

/* scope_word - the scope as written in the JSON output */
static const char *
scope_word(enum enma_spf_scope scope)
{
	switch (scope) {
	case ENMA_SPF_SCOPE_MFROM:
		return "mfrom";
	case ENMA_SPF_SCOPE_PRA:
		return "pra";
	default:
		return "spf";
	}
}

/* print_plain - "mailbox address result", the original's line */
static void
print_plain(struct sq_run *run, const char *addr,
    const struct enma_spf_response *res)
{
	printf("%s %s %s\n", run->mailbox, addr,
	    result_word(run, res->result));
}

/* print_json - one object on one line per evaluated address */
static void
print_json(struct sq_run *run, const char *addr,
    const struct enma_spf_response *res)
{
	fputs("{\"mailbox\":", stdout);
	cli_json_string(stdout, run->mailbox);
	fputs(",\"address\":", stdout);
	cli_json_string(stdout, addr);
	fputs(",\"scope\":", stdout);
	cli_json_string(stdout, scope_word(run->opt->scope));
	fputs(",\"result\":", stdout);
	cli_json_string(stdout, result_word(run, res->result));
	fputs(",\"reason\":", stdout);
	cli_json_string(stdout, res->reason);
	fputs(",\"explanation\":", stdout);
	cli_json_string(stdout, res->explanation);
	fputs(",\"mechanism\":", stdout);
	cli_json_string(stdout, res->mechanism);
	printf(",\"dns_terms\":%u,\"void_lookups\":%u}\n", res->dns_terms,
	    res->void_lookups);
}

/* print_verdict - -v: why the verdict came out, and the limits used */
static void
print_verdict(struct sq_run *run, const struct enma_spf_response *res)
{
	fprintf(stderr, "  result %s\n", result_word(run, res->result));
	if (res->reason != NULL) {
		fputs("  reason: ", stderr);
		cli_put_printable(&run->tmp, stderr, res->reason,
		    strlen(res->reason));
		fputc('\n', stderr);
	}
	if (res->mechanism != NULL) {
		fputs("  matched: ", stderr);
		cli_put_printable(&run->tmp, stderr, res->mechanism,
		    strlen(res->mechanism));
		fputc('\n', stderr);
	}
	if (res->explanation != NULL) {
		fputs("  explanation: ", stderr);
		cli_put_printable(&run->tmp, stderr, res->explanation,
		    strlen(res->explanation));
		fputc('\n', stderr);
	}
	fprintf(stderr, "  limits: %u of %u DNS-querying terms, %u of %u "
	    "void lookups (RFC 7208 4.6.4)\n", res->dns_terms,
	    ENMA_SPF_MAX_DNS_MECH, res->void_lookups, ENMA_SPF_MAX_VOID);
}

/* set_status - keep the most serious exit status seen (larger wins) */
static void
set_status(struct sq_run *run, int status)
{
	if (status > run->status)
		run->status = status;
}

/* evaluate - one check_host() for the sender and ip, and its output */
static void
evaluate(struct sq_run *run, const struct enma_ip *ip)
{
	const struct sq_options *opt = run->opt;
	struct enma_spf_request req;
	struct enma_spf_response res;
	struct enma_dns_ctx dns;
	char addr[ENMA_IP_TEXT_MAX];
	enma_status st;

	enma_arena_reset(run->arena);
	enma_ip_to_text(ip, addr, sizeof(addr));
	enma_dns_ctx_init(&dns, run->resolver, opt->timeout_s * 1000,
	    ENMA_DNS_MESSAGE_MAX_QUERIES);
	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	req.scope = opt->scope;
	req.ip = *ip;
	req.sender_local = run->local;
	req.sender_domain = run->domain;
	req.helo = opt->helo != NULL ? opt->helo : run->domain;
	req.receiver = opt->receiver;
	req.want_explanation = opt->verbose || opt->json;
	req.dns = &dns;
	if (opt->verbose) {
		dns.trace = dns_trace;
		dns.trace_arg = run;
		req.trace = spf_trace;
		req.trace_arg = run;
		fprintf(stderr, "sidfquery: %s check of %s@%s from %s\n",
		    scope_word(opt->scope), run->local, run->domain, addr);
	}
	st = enma_spf_check(&req, run->arena, &res);
	if (st != ENMA_OK) {
		/* DESIGN: an internal failure is a temperror verdict */
		res.result = ENMA_SPF_TEMPERROR;
		res.reason = enma_strerror(st);
		set_status(run, EX_SOFTWARE);
	}
	if (opt->verbose)
		print_verdict(run, &res);
	if (opt->json)
		print_json(run, addr, &res);
	else
		print_plain(run, addr, &res);
	fflush(stdout);
}

/* no_address - a host name gave no address: say why, set the status */
static void
no_address(struct sq_run *run, const char *arg, const uint16_t *types,
    const struct enma_dns_answer *ans, int tempfail)
{
	const char *sep = " (";
	size_t i;

	fprintf(stderr, "sidfquery: %s: %s", arg, tempfail ?
	    "host-name lookup failed temporarily" : "no address");
	for (i = 0; i < 2; i++)
		if (ans[i].rcode != ENMA_DNS_UNSET) {
			fprintf(stderr, "%s%s %s", sep,
			    enma_dns_type_to_text(types[i]),
			    enma_dns_rcode_to_text(ans[i].rcode));
			sep = ", ";
		}
	fputs(sep[0] == ',' ? ")\n" : "\n", stderr);
	set_status(run, tempfail ? EX_TEMPFAIL : EX_NOHOST);
}

/*
 * resolve_host - A and AAAA (or one of them with -4/-6) through our own
 * resolver, then evaluate each address in answer order, IPv4 first.
 */
static void
resolve_host(struct sq_run *run, const char *arg)
{
	static const uint16_t types[2] = { ENMA_DNS_A, ENMA_DNS_AAAA };
	struct enma_dns_answer ans[2];
	struct enma_dns_ctx dns;
	const char *name;
	size_t i, j, found = 0;
	int tempfail = 0;

	enma_arena_reset(run->harena);
	if (enma_domain_normalise(enma_span_from_cstr(arg), run->harena,
	    &name) != ENMA_OK)
		return;		/* refused by check_targets already */
	enma_dns_ctx_init(&dns, run->resolver, run->opt->timeout_s * 1000,
	    ENMA_DNS_MESSAGE_MAX_QUERIES);
	if (run->opt->verbose) {
		dns.trace = dns_trace;
		dns.trace_arg = run;
		fprintf(stderr, "sidfquery: resolving %s\n", name);
	}
	memset(ans, 0, sizeof(ans));
	for (i = 0; i < 2; i++) {
		if (run->opt->family != 0 &&
		    run->opt->family != (types[i] == ENMA_DNS_A ? 4 : 6))
			continue;
		if (enma_dns_lookup(&dns, name, types[i], run->harena,
		    &ans[i]) != ENMA_OK) {
			set_status(run, EX_SOFTWARE);
			continue;
		}
		if (ans[i].rcode == ENMA_DNS_TEMPFAIL)
			tempfail = 1;
	}
	for (i = 0; i < 2; i++)
		for (j = 0; j < ans[i].count && ans[i].rr != NULL; j++)
			if (ans[i].rr[j].type == types[i]) {
				evaluate(run, &ans[i].rr[j].addr);
				found++;
			}
	if (found == 0)
		no_address(run, arg, types, ans, tempfail);
}

/* evaluate_arg - an address argument as it is, or a host name resolved */
static void
evaluate_arg(struct sq_run *run, const char *arg)
{
	struct enma_ip ip;

	if (enma_ip_from_text(enma_span_from_cstr(arg), &ip) == ENMA_OK) {
		/* a mapped IPv4 client is an IPv4 client */
		enma_ip_unmap(&ip);
		evaluate(run, &ip);
	} else
		resolve_host(run, arg);
}

/* main - parse, set up the resolver, evaluate each argument in order */
int
main(int argc, char **argv)
{
	struct sq_options opt;
	struct sq_run run;
	int i, first;

	cli_init("sidfquery", SQ_SYNOPSIS);
	memset(&opt, 0, sizeof(opt));
	opt.scope = ENMA_SPF_SCOPE_SPF1;
	opt.timeout_s = SQ_DEFAULT_TIMEOUT;
	enma_buf_init(&opt.ns, CLI_NS_TEXT_MAX);
	first = parse_options(argc, argv, &opt);

	memset(&run, 0, sizeof(run));
	run.opt = &opt;
	enma_buf_init(&run.tmp, 0);
	run.arena = enma_arena_new(SQ_ARENA_LIMIT);
	run.harena = enma_arena_new(SQ_ARENA_LIMIT);
	run.perm = enma_arena_new(SQ_ARENA_LIMIT);
	if (run.arena == NULL || run.harena == NULL || run.perm == NULL) {
		fputs("sidfquery: out of memory\n", stderr);
		run.status = EX_OSERR;
	} else {
		parse_sender(&run, argv[first]);
		check_targets(&run, argc - first - 1, argv + first + 1);
		run.status = open_resolver(&run);
	}
	/* past set-up, run.status only records what went wrong per argument */
	for (i = first + 1; run.resolver != NULL && i < argc; i++)
		evaluate_arg(&run, argv[i]);
	/* the resolver before the zone it reads */
	enma_resolver_free(run.resolver);
	enma_zone_free(run.zone);
	enma_arena_free(run.arena);
	enma_arena_free(run.harena);
	enma_arena_free(run.perm);
	enma_buf_free(&run.tmp);
	enma_buf_free(&opt.ns);
	return run.status;
}
