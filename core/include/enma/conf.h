/*
 * conf.h - enma.conf: the original ENMA's "key: value" format
 *
 * Every key is declared once in a table (conf.c) with its type, default
 * and help text; enma -h prints that table.  Unknown keys and bad values
 * are refused with "file:line: reason".  Later settings override earlier
 * ones: defaults, then the file, then -o key=value.
 */
#ifndef ENMA_CONF_H
#define ENMA_CONF_H

#include <stdio.h>
#include <enma/util.h>

enum enma_conf_type {
	ENMA_CONF_STRING = 1,
	ENMA_CONF_BOOL,		/* true/false, yes/no, on/off, 1/0 */
	ENMA_CONF_UINT,		/* decimal */
	ENMA_CONF_CIDRLIST,	/* addresses and networks, comma separated */
	ENMA_CONF_SOCKET,	/* inet:port@host, inet6:port@host, unix:path */
	ENMA_CONF_LOGLEVEL,	/* syslog level name: debug .. emerg */
	ENMA_CONF_FACILITY,	/* syslog facility name: mail, local0 .. */
	ENMA_CONF_OCTAL,	/* permission bits in octal: 0660 */
	ENMA_CONF_ADDRLIST	/* IP addresses (no networks), comma list */
};

struct enma_conf_key {
	const char		*name;
	enum enma_conf_type	 type;
	const char		*def;	/* default as text; NULL = unset */
	const char		*help;
	unsigned		 min, max;	/* UINT, OCTAL: allowed range */
	const char		*choices;	/* STRING: "a|b|c", or NULL */
};

struct enma_conf;

#define ENMA_CONF_MAX_LINE	4096
#define ENMA_CONF_MAX_UINT	4294967295u

/* enma_conf_new - all keys at their defaults */
struct enma_conf *enma_conf_new(void);
void	 enma_conf_free(struct enma_conf *);

/*
 * enma_conf_load - read a file.  On error, errbuf gets "path:line:
 * reason" and the conf is left as it was before the call.
 */
enma_status enma_conf_load(struct enma_conf *, const char *path,
	    char *errbuf, size_t errlen);
/* enma_conf_load_span - same, from memory (fuzzing, tests); name for errors */
enma_status enma_conf_load_span(struct enma_conf *, struct enma_span,
	    const char *name, char *errbuf, size_t errlen);
/* enma_conf_set_option - "key=value" from -o */
enma_status enma_conf_set_option(struct enma_conf *, const char *kv,
	    char *errbuf, size_t errlen);
enma_status enma_conf_set(struct enma_conf *, const char *key,
	    const char *value, char *errbuf, size_t errlen);

/*
 * Typed getters.  Asking for an undeclared key or the wrong type is a
 * programming error: they return the zero value and, in debug builds,
 * assert.
 */
const char *enma_conf_str(const struct enma_conf *, const char *key);
int	 enma_conf_bool(const struct enma_conf *, const char *key);
unsigned enma_conf_uint(const struct enma_conf *, const char *key);
const struct enma_cidr_list *enma_conf_cidrs(const struct enma_conf *,
	    const char *key);
/* enma_conf_level - syslog priority number (LOG_INFO ...) */
int	 enma_conf_level(const struct enma_conf *, const char *key);
/* enma_conf_facility - syslog facility number (LOG_MAIL ...) */
int	 enma_conf_facility(const struct enma_conf *, const char *key);

/* enma_conf_keys - the table, terminated by a NULL name */
const struct enma_conf_key *enma_conf_keys(void);
/* enma_conf_usage - every key, its default and help, for -h */
void	 enma_conf_usage(FILE *);
/* enma_conf_dump - every key with its current value (enma -v) */
void	 enma_conf_dump(const struct enma_conf *, FILE *);

#endif /* ENMA_CONF_H */
