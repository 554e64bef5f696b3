/*
 * fuzz_conf.c - enma.conf parsing from arbitrary bytes
 *
 * Checks beyond "does not crash": a refused input leaves the conf as it
 * was (its dump is unchanged) and gives a "name:line: reason" message; an
 * accepted one dumps to text that loads back to the same dump.  The
 * first line of the input is also tried as a -o option.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enma/conf.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* dump - the conf as text, malloc'd */
static char *
dump(const struct enma_conf *c)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&buf, &len);

	if (fp == NULL)
		abort();
	enma_conf_dump(c, fp);
	fclose(fp);
	return buf;
}

/* option - the first line of the input as "-o key=value" */
static void
option(struct enma_conf *c, const uint8_t *data, size_t size)
{
	char	 err[256], *kv;
	size_t	 n = 0;

	while (n < size && data[n] != '\n' && data[n] != '\0')
		n++;
	if ((kv = malloc(n + 1)) == NULL)
		return;
	memcpy(kv, data, n);
	kv[n] = '\0';
	(void)enma_conf_set_option(c, kv, err, sizeof(err));
	free(kv);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enma_conf	*c = enma_conf_new(), *d;
	char			 err[512], *before, *after, *again;

	if (c == NULL)
		return 0;
	before = dump(c);
	if (enma_conf_load_span(c, enma_span_make(data, size), "fuzz", err,
	    sizeof(err)) != ENMA_OK) {
		after = dump(c);
		if (strcmp(before, after) != 0 || strncmp(err, "fuzz:", 5) != 0)
			abort();
		free(after);
	} else {
		after = dump(c);
		if ((d = enma_conf_new()) == NULL)
			abort();
		if (enma_conf_load_span(d, enma_span_from_cstr(after), "dump",
		    err, sizeof(err)) != ENMA_OK)
			abort();
		again = dump(d);
		if (strcmp(after, again) != 0)
			abort();
		free(again);
		free(after);
		enma_conf_free(d);
	}
	option(c, data, size);
	(void)enma_conf_bool(c, "spf.auth");
	(void)enma_conf_uint(c, "dns.port");
	(void)enma_conf_cidrs(c, "common.exclusion_addresses");
	free(before);
	enma_conf_free(c);
	return 0;
}
