/*
 * spf_suite.c - the OpenSPF conformance suites (RFC 7208, RFC 4408) and
 * the Sender ID suites (RFC 4406) against libenma's SPF evaluator
 *
 *	spf-suite [-v] [-d SHARED] [-t TEST] [FILE.yml ...]
 *
 * Without files it reads, in place, under SHARED/testsuites/spf/ (SHARED
 * is -d, else $ENMA_SHARED, else ../shared): rfc7208-tests.yml,
 * rfc4408-tests.yml, mail-spf/rfc4406-tests.yml and
 * mail-spf-iterator/misc.yml.  Each scenario's zonedata becomes an
 * in-memory zone, with the driver conventions of SOURCES.md: SPF
 * records are also served as TXT when the name has no TXT entry, and
 * TIMEOUT answers the types listed before it and times out the rest.
 * A test passes when the result is one of those listed and, where an
 * explanation is given, it matches exactly (the receiver's default
 * explanation is the literal "DEFAULT").
 *
 * Scenarios whose records are spf2.0 ones run in the Sender ID mfrom
 * scope, except tests whose description says they pick the SPF record;
 * all others run in the RFC 7208 scope.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include <enma/dns.h>
#include <enma/spf.h>

#define SUITE_ARENA_LIMIT	(4u * 1024 * 1024)
#define SUITE_DNS_BUDGET_MS	20000	/* RFC 7208 4.6.4: at least 20 s */
#define SUITE_MAX_STRINGS	64	/* character-strings in one TXT item */

static const char *const default_files[] = {
	"rfc7208-tests.yml",
	"rfc4408-tests.yml",
	"mail-spf/rfc4406-tests.yml",
	"mail-spf-iterator/misc.yml",
};

struct suite {
	int		 verbose;
	const char	*only;		/* -t */
	unsigned	 passed;
	unsigned	 failed;
};

struct scenario {
	yaml_document_t		*doc;
	struct enma_zone	*zone;
	struct enma_resolver	*res;
	enum enma_spf_scope	 scope;
	const char		*file;
};

/* node - a node by index, or NULL */
static yaml_node_t *
node(yaml_document_t *d, int i)
{
	return i == 0 ? NULL : yaml_document_get_node(d, i);
}

/* scalar - the text of a scalar node ("" for anything else) */
static const char *
scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return "";
	return (const char *)n->data.scalar.value;
}

/* map_get - the value of key in a mapping node */
static yaml_node_t *
map_get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	yaml_node_pair_t *p;

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	    p++)
		if (strcmp(scalar(node(d, p->key)), key) == 0)
			return node(d, p->value);
	return NULL;
}

/*
 * latin1_bytes - the suites write bytes as YAML "\xNN" escapes, which
 * YAML reads as code points; turn U+0080..U+00FF back into one byte
 */
static size_t
latin1_bytes(const unsigned char *in, size_t len, unsigned char *out)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if ((in[i] == 0xc2 || in[i] == 0xc3) && i + 1 < len &&
		    (in[i + 1] & 0xc0) == 0x80) {
			out[n++] = (unsigned char)(((in[i] & 0x1f) << 6) |
			    (in[i + 1] & 0x3f));
			i++;
		} else
			out[n++] = in[i];
	}
	return n;
}

/* add_txt - a TXT/SPF value: one string or a list of strings */
static int
add_txt(struct scenario *sc, const char *name, uint16_t type, yaml_node_t *v)
{
	struct enma_span	 s[SUITE_MAX_STRINGS];
	unsigned char		*buf[SUITE_MAX_STRINGS];
	yaml_node_t		*n[SUITE_MAX_STRINGS];
	yaml_node_item_t	*it;
	size_t			 k = 0, i;
	enma_status		 st;

	memset(s, 0, sizeof(s));
	if (v->type == YAML_SEQUENCE_NODE) {
		for (it = v->data.sequence.items.start;
		    it < v->data.sequence.items.top; it++)
			if (k < SUITE_MAX_STRINGS)
				n[k++] = node(sc->doc, *it);
	} else
		n[k++] = v;
	for (i = 0; i < k; i++) {
		if (n[i] == NULL || n[i]->type != YAML_SCALAR_NODE ||
		    (buf[i] = malloc(n[i]->data.scalar.length + 1)) == NULL)
			abort();
		s[i].len = latin1_bytes(n[i]->data.scalar.value,
		    n[i]->data.scalar.length, buf[i]);
		s[i].p = buf[i];
	}
	st = enma_zone_add_txt(sc->zone, name, type, s, k);
	for (i = 0; i < k; i++)
		free(buf[i]);
	return st == ENMA_OK;
}

/* add_mx - [preference, host]; an empty host is the null MX */
static int
add_mx(struct scenario *sc, const char *name, yaml_node_t *v)
{
	char		 rdata[600];
	yaml_node_item_t *it;
	const char	*pref, *host;

	if (v->type != YAML_SEQUENCE_NODE ||
	    v->data.sequence.items.top - v->data.sequence.items.start != 2)
		return 0;
	it = v->data.sequence.items.start;
	pref = scalar(node(sc->doc, it[0]));
	host = scalar(node(sc->doc, it[1]));
	snprintf(rdata, sizeof(rdata), "%s %s", pref, host[0] ? host : ".");
	return enma_zone_add(sc->zone, name, ENMA_DNS_MX, rdata) == ENMA_OK;
}

/* add_rr - one "TYPE: value" item */
static int
add_rr(struct scenario *sc, const char *name, const char *type,
    yaml_node_t *v)
{
	uint16_t t = enma_dns_type_from_text(enma_span_from_cstr(type));

	if (t == ENMA_DNS_TXT || t == ENMA_DNS_SPF) {
		if (v->type == YAML_SCALAR_NODE &&
		    strcmp(scalar(v), "NONE") == 0)
			return 1;	/* "no TXT records here" */
		return add_txt(sc, name, t, v);
	}
	if (t == ENMA_DNS_MX)
		return add_mx(sc, name, v);
	if (t == 0 || v->type != YAML_SCALAR_NODE)
		return 0;
	return enma_zone_add(sc->zone, name, t, scalar(v)) == ENMA_OK;
}

/* item_kv - the single key and value of a list item mapping */
static const char *
item_kv(yaml_document_t *d, yaml_node_t *item, yaml_node_t **v)
{
	yaml_node_pair_t *p;

	if (item->type != YAML_MAPPING_NODE ||
	    item->data.mapping.pairs.top == item->data.mapping.pairs.start)
		return NULL;
	p = item->data.mapping.pairs.start;
	*v = node(d, p->value);
	return scalar(node(d, p->key));
}

/* has_type - does the list hold an item of this type */
static int
has_type(yaml_document_t *d, yaml_node_t *list, const char *type)
{
	yaml_node_item_t	*it;
	yaml_node_t		*v;
	const char		*k;

	for (it = list->data.sequence.items.start;
	    it < list->data.sequence.items.top; it++)
		if ((k = item_kv(d, node(d, *it), &v)) != NULL &&
		    strcmp(k, type) == 0)
			return 1;
	return 0;
}

/*
 * add_name - the records of one owner.  Items after TIMEOUT are never
 * reached by the reference driver; SPF items are served as TXT too
 * when the name has no TXT item (and no TIMEOUT hides them).
 */
static int
add_name(struct scenario *sc, const char *name, yaml_node_t *list)
{
	yaml_node_item_t	*it;
	yaml_node_t		*item, *v;
	const char		*k;
	int			 timeout = 0, pass;
	int			 gen = !has_type(sc->doc, list, "TXT");

	for (pass = 0; pass < 2; pass++) {
		for (it = list->data.sequence.items.start;
		    it < list->data.sequence.items.top && !timeout; it++) {
			item = node(sc->doc, *it);
			if (strcmp(scalar(item), "TIMEOUT") == 0) {
				timeout = 1;
				if (enma_zone_add_timeout(sc->zone, name) !=
				    ENMA_OK)
					return 0;
				continue;
			}
			if ((k = item_kv(sc->doc, item, &v)) == NULL)
				return 0;
			if (pass == 0 && !add_rr(sc, name, k, v))
				return 0;
			if (pass == 1 && strcmp(k, "SPF") == 0 &&
			    !add_rr(sc, name, "TXT", v))
				return 0;
		}
		if (!gen || timeout)
			break;
	}
	return 1;
}

/* scenario_zone - the zone of a scenario; sets the Sender ID scope when
 * any record is an spf2.0 one */
static int
scenario_zone(struct scenario *sc, yaml_node_t *zd)
{
	yaml_node_pair_t *p;

	sc->zone = enma_zone_new();
	if (sc->zone == NULL ||
	    enma_resolver_zone_new(sc->zone, &sc->res) != ENMA_OK)
		return 0;
	if (zd == NULL || zd->type != YAML_MAPPING_NODE)
		return 1;
	for (p = zd->data.mapping.pairs.start; p < zd->data.mapping.pairs.top;
	    p++) {
		yaml_node_t *list = node(sc->doc, p->value);

		if (list == NULL || list->type != YAML_SEQUENCE_NODE ||
		    !add_name(sc, scalar(node(sc->doc, p->key)), list)) {
			fprintf(stderr, "%s: bad zonedata for %s\n", sc->file,
			    scalar(node(sc->doc, p->key)));
			return 0;
		}
	}
	return 1;
}

/* uses_spf2 - a crude look for "spf2.0" anywhere in the zone data */
static int
uses_spf2(yaml_document_t *d)
{
	yaml_node_t	*n;
	int		 i;

	for (i = 1; (n = yaml_document_get_node(d, i)) != NULL; i++)
		if (n->type == YAML_SCALAR_NODE &&
		    strncasecmp(scalar(n), "spf2.0/", 7) == 0)
			return 1;
	return 0;
}

static void
print_trace(void *arg, unsigned depth, const char *msg)
{
	(void)arg;
	printf("    %*s%s\n", (int)depth * 2, "", msg);
}

/* split_sender - "local@domain" at the last "@"; an empty MAIL FROM is
 * postmaster@helo (RFC 7208 2.4) */
static void
split_sender(char *mailfrom, const char *helo, struct enma_spf_request *req)
{
	char *at = strrchr(mailfrom, '@');

	if (mailfrom[0] == '\0') {
		req->sender_local = "postmaster";
		req->sender_domain = helo;
	} else if (at == NULL) {
		req->sender_local = "postmaster";
		req->sender_domain = mailfrom;
	} else {
		*at = '\0';
		req->sender_local = mailfrom;
		req->sender_domain = at + 1;
	}
}

/* result_ok - the result is the expected one or one of the list */
static int
result_ok(yaml_document_t *d, yaml_node_t *want, enum enma_spf_result got)
{
	yaml_node_item_t *it;

	if (want == NULL)
		return 0;
	if (want->type == YAML_SCALAR_NODE)
		return enma_spf_result_from_text(enma_span_from_cstr(
		    scalar(want))) == got;
	if (want->type != YAML_SEQUENCE_NODE)
		return 0;
	for (it = want->data.sequence.items.start;
	    it < want->data.sequence.items.top; it++)
		if (enma_spf_result_from_text(enma_span_from_cstr(
		    scalar(node(d, *it)))) == got)
			return 1;
	return 0;
}

/* want_text - the expected result(s) as text, for messages */
static const char *
want_text(yaml_document_t *d, yaml_node_t *want, char *buf, size_t len)
{
	yaml_node_item_t *it;

	if (want == NULL || want->type == YAML_SCALAR_NODE)
		return scalar(want);
	buf[0] = '\0';
	for (it = want->data.sequence.items.start;
	    it < want->data.sequence.items.top; it++) {
		strncat(buf, it == want->data.sequence.items.start ? "[" : ",",
		    len - strlen(buf) - 1);
		strncat(buf, scalar(node(d, *it)), len - strlen(buf) - 1);
	}
	strncat(buf, "]", len - strlen(buf) - 1);
	return buf;
}

/* test_scope - the scope for one test of the scenario */
static enum enma_spf_scope
test_scope(struct scenario *sc, yaml_node_t *t)
{
	if (sc->scope != ENMA_SPF_SCOPE_SPF1 &&
	    strstr(scalar(map_get(sc->doc, t, "description")), "pick SPF"))
		return ENMA_SPF_SCOPE_SPF1;
	return sc->scope;
}

/* report - compare the response with the test; print a failure */
static int
report(struct suite *s, struct scenario *sc, const char *name,
    yaml_node_t *t, const struct enma_spf_response *resp)
{
	yaml_node_t	*want = map_get(sc->doc, t, "result");
	yaml_node_t	*wexp = map_get(sc->doc, t, "explanation");
	const char	*gexp = resp->explanation ? resp->explanation :
			    "DEFAULT";
	char		 wbuf[128];

	if (result_ok(sc->doc, want, resp->result) &&
	    (wexp == NULL || strcmp(scalar(wexp), gexp) == 0)) {
		if (s->verbose && want->type == YAML_SEQUENCE_NODE &&
		    !result_ok(sc->doc, node(sc->doc,
		    want->data.sequence.items.start[0]), resp->result))
			printf("note %s: %s: %s accepted, %s preferred\n",
			    sc->file, name,
			    enma_spf_result_to_text(resp->result),
			    scalar(node(sc->doc,
			    want->data.sequence.items.start[0])));
		return 1;
	}
	printf("FAIL %s: %s (%s): got %s", sc->file, name,
	    scalar(map_get(sc->doc, t, "spec")),
	    enma_spf_result_to_text(resp->result));
	if (wexp != NULL)
		printf(" \"%s\"", gexp);
	printf(", want %s", want_text(sc->doc, want, wbuf, sizeof(wbuf)));
	if (wexp != NULL)
		printf(" \"%s\"", scalar(wexp));
	printf(" -- %s\n", resp->reason ? resp->reason : "");
	return 0;
}

/* run_one - one test; 1 when it passed */
static int
run_one(struct suite *s, struct scenario *sc, const char *name,
    yaml_node_t *t, struct enma_spf_response *resp)
{
	struct enma_spf_request	 req;
	struct enma_dns_ctx	 dns;
	struct enma_arena	*a;
	char			*mf;
	const char		*helo = scalar(map_get(sc->doc, t, "helo"));
	int			 ok;

	memset(&req, 0, sizeof(req));
	if (enma_ip_from_text(enma_span_from_cstr(scalar(map_get(sc->doc, t,
	    "host"))), &req.ip) != ENMA_OK) {
		printf("FAIL %s: %s: bad host\n", sc->file, name);
		return 0;
	}
	mf = strdup(scalar(map_get(sc->doc, t, "mailfrom")));
	a = enma_arena_new(SUITE_ARENA_LIMIT);
	if (mf == NULL || a == NULL)
		abort();
	split_sender(mf, helo, &req);
	req.scope = test_scope(sc, t);
	req.helo = helo;
	req.want_explanation = 1;
	enma_dns_ctx_init(&dns, sc->res, SUITE_DNS_BUDGET_MS,
	    ENMA_DNS_MESSAGE_MAX_QUERIES);
	req.dns = &dns;
	if (s->verbose) {
		printf("  %s (%s)\n", name, sc->file);
		req.trace = print_trace;
	}
	ok = enma_spf_check(&req, a, resp) == ENMA_OK;
	ok = ok && report(s, sc, name, t, resp);
	enma_arena_free(a);
	free(mf);
	return ok;
}

/* run_scenario - every test of one YAML document */
static void
run_scenario(struct suite *s, struct scenario *sc, unsigned *pass,
    unsigned *fail)
{
	yaml_node_t			*root, *tests;
	yaml_node_pair_t		*p;
	struct enma_spf_response	 resp;
	const char			*name;

	root = yaml_document_get_root_node(sc->doc);
	tests = map_get(sc->doc, root, "tests");
	sc->scope = uses_spf2(sc->doc) ? ENMA_SPF_SCOPE_MFROM :
	    ENMA_SPF_SCOPE_SPF1;
	if (!scenario_zone(sc, map_get(sc->doc, root, "zonedata"))) {
		(*fail)++;
		return;
	}
	if (tests == NULL || tests->type != YAML_MAPPING_NODE)
		return;
	for (p = tests->data.mapping.pairs.start;
	    p < tests->data.mapping.pairs.top; p++) {
		name = scalar(node(sc->doc, p->key));
		if (s->only != NULL && strcmp(s->only, name) != 0)
			continue;
		if (run_one(s, sc, name, node(sc->doc, p->value), &resp))
			(*pass)++;
		else
			(*fail)++;
	}
}

/* run_file - every scenario of one suite file */
static int
run_file(struct suite *s, const char *path)
{
	FILE		*fp;
	yaml_parser_t	 parser;
	yaml_document_t	 doc;
	struct scenario	 sc;
	unsigned	 pass = 0, fail = 0;
	const char	*base = strrchr(path, '/') ? strrchr(path, '/') + 1 :
			    path;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		s->failed++;
		return -1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	while (yaml_parser_load(&parser, &doc)) {
		if (yaml_document_get_root_node(&doc) == NULL) {
			yaml_document_delete(&doc);
			break;
		}
		memset(&sc, 0, sizeof(sc));
		sc.doc = &doc;
		sc.file = base;
		run_scenario(s, &sc, &pass, &fail);
		enma_resolver_free(sc.res);
		enma_zone_free(sc.zone);
		yaml_document_delete(&doc);
	}
	if (parser.error != YAML_NO_ERROR) {
		printf("FAIL %s: YAML error at line %lu: %s\n", base,
		    (unsigned long)parser.problem_mark.line + 1,
		    parser.problem ? parser.problem : "?");
		fail++;
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	printf("%s: %u passed, %u failed\n", base, pass, fail);
	s->passed += pass;
	s->failed += fail;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: spf-suite [-v] [-d shared-dir] [-t test] "
	    "[suite.yml ...]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct suite	 s;
	const char	*dir = getenv("ENMA_SHARED");
	char		 path[4096];
	size_t		 i;
	int		 c;

	memset(&s, 0, sizeof(s));
	while ((c = getopt(argc, argv, "d:t:v")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 't': s.only = optarg; break;
		case 'v': s.verbose = 1; break;
		default: usage();
		}
	}
	if (dir == NULL)
		dir = "../shared";
	if (optind < argc) {
		for (; optind < argc; optind++)
			run_file(&s, argv[optind]);
	} else {
		for (i = 0; i < sizeof(default_files) /
		    sizeof(default_files[0]); i++) {
			snprintf(path, sizeof(path), "%s/testsuites/spf/%s",
			    dir, default_files[i]);
			run_file(&s, path);
		}
	}
	printf("spf-suite: %u passed, %u failed\n", s.passed, s.failed);
	return s.failed == 0 ? 0 : 1;
}
