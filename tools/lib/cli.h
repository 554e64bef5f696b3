/*
 * cli.h - what sidfquery and enma-check share: usage errors, option
 * values, JSON strings, printable text and the -v DNS trace
 *
 * Command-line programs only: these print and exit, which the core
 * never does.
 */
#ifndef ENMA_TOOLS_CLI_H
#define ENMA_TOOLS_CLI_H

#include <stdio.h>

#include <enma/util.h>
#include <enma/dns.h>

#define CLI_NS_TEXT_MAX		4096	/* bytes of -S arguments together */

/* cli_init - the program's name and synopsis, for usage errors */
void	 cli_init(const char *name, const char *synopsis);
/* cli_usage_error - "name: reason", the synopsis, exit 64 (EX_USAGE) */
void	 cli_usage_error(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* cli_parse_number - a decimal value in [min, max], or a usage error */
unsigned cli_parse_number(const char *arg, const char *what, unsigned min,
	    unsigned max);
/* cli_add_nameservers - check each address of a -S list, append to ns */
void	 cli_add_nameservers(struct enma_buf *ns, const char *arg);
/* cli_json_string - s as a JSON string (RFC 8259 7), or null */
void	 cli_json_string(FILE *, const char *s);
/* cli_put_printable - outside bytes made printable (\xHH), via tmp */
void	 cli_put_printable(struct enma_buf *tmp, FILE *, const void *,
	    size_t);
/*
 * cli_print_answer - one traced lookup on stderr: the question, the
 * outcome (or st when the backend failed) and each record
 */
void	 cli_print_answer(struct enma_buf *tmp, const char *name,
	    uint16_t type, enma_status st, const struct enma_dns_answer *);

#endif /* ENMA_TOOLS_CLI_H */
