/*
 * spf_int.h - private declarations shared by spf_parse.c, spf_macro.c and
 * spf_eval.c
 *
 * A record is parsed once per evaluation into an array of terms that
 * point into the TXT rdata (no copies); the terms and everything the
 * evaluation needs live in the caller's arena.
 */
#ifndef ENMA_SPF_INT_H
#define ENMA_SPF_INT_H

#include <stdint.h>

#include <enma/spf.h>

/* Term kinds, RFC 7208 5 (mechanisms) and 6 (modifiers). */
enum spf_kind {
	SPF_M_ALL = 1,
	SPF_M_INCLUDE,
	SPF_M_A,
	SPF_M_MX,
	SPF_M_PTR,
	SPF_M_IP4,
	SPF_M_IP6,
	SPF_M_EXISTS,
	SPF_MOD_REDIRECT,
	SPF_MOD_EXP,
	SPF_MOD_UNKNOWN
};

/* Record versions (RFC 7208 4.5, RFC 4406 3.1). */
#define SPF_VERSION_1		1
#define SPF_VERSION_2		2
#define SPF_SCOPE_BIT_MFROM	0x1
#define SPF_SCOPE_BIT_PRA	0x2

#define SPF_CIDR4_MAX		32	/* RFC 7208 5.6 */
#define SPF_CIDR6_MAX		128	/* RFC 7208 5.6 */
#define SPF_MACRO_OUT_MAX	8192	/* bytes one expansion may produce */
#define SPF_MAX_MACRO_DIGITS	255	/* larger transformer counts saturate */
#define SPF_IP_NIBBLES_MAX	72	/* 32 nibbles, 31 dots, NUL */
/* domains on the current include/redirect path: each step is a counted
 * DNS term, so the path is never longer than the term limit allows */
#define SPF_CHAIN_MAX		(ENMA_SPF_MAX_DNS_MECH + 2)

struct spf_term {
	struct enma_span	 text;	/* the term as written */
	struct enma_span	 arg;	/* domain-spec, or modifier value */
	struct enma_ip		 net;	/* ip4, ip6 */
	uint8_t			 kind;	/* enum spf_kind */
	uint8_t			 qual;	/* enum enma_spf_result */
	uint8_t			 cidr4;
	uint8_t			 cidr6;
};

struct enma_spf_record {
	struct enma_span	 text;
	struct spf_term		*term;
	size_t			 nterm;
	int			 version;	/* SPF_VERSION_* */
	unsigned		 scopes;	/* SPF_SCOPE_BIT_* */
	int			 redirect;	/* index in term, or -1 */
	int			 exp;		/* index in term, or -1 */
};

/*
 * The state of one check_host() evaluation with all its recursions:
 * the counters of RFC 7208 4.6.4 are global to it.
 */
struct spf_ctx {
	const struct enma_spf_request *req;
	struct enma_arena	*arena;
	struct enma_ip		 ip;		/* the client, IPv4 if mapped */
	const char		*local;		/* "postmaster" when empty */
	const char		*sender_domain;
	unsigned		 dns_terms;
	unsigned		 voids;
	unsigned		 depth;
	const char		*chain[SPF_CHAIN_MAX];	/* loop guard */
	unsigned		 nchain;
	enum enma_spf_result	 result;	/* verdict of an error exit */
	const char		*reason;
	const char		*mechanism;
	enma_status		 err;		/* ENMA_ENOMEM, sticky */
	/* %{p}: validated names, computed on first use */
	int			 p_done;
	const char		**p_names;
	size_t			 p_count;
	/* %{i} and %{c}, computed on first use */
	int			 ip_text_done;
	char			 i_lower[SPF_IP_NIBBLES_MAX];
	char			 i_upper[SPF_IP_NIBBLES_MAX];
	char			 c_text[ENMA_IP_TEXT_MAX];
};

/* spf_parse.c */
int	 spf_record_version(struct enma_span, unsigned *scopes, size_t *end);
int	 spf_scope_accepts(enum enma_spf_scope, int version, unsigned scopes);
enma_status spf_macro_validate(struct enma_span, int explain,
	    size_t *last_expand_end, const char **why);
const char *spf_printable(struct enma_arena *, struct enma_span, size_t max);

/* spf_macro.c */
void	 spf_ctx_init(struct spf_ctx *, const struct enma_spf_request *,
	    struct enma_arena *);
enma_status spf_expand(struct spf_ctx *, struct enma_span, const char *domain,
	    int explain, const char **out);
int	 spf_name_is_valid(const char *);
int	 spf_name_has_suffix(const char *name, const char *suffix);
int	 spf_name_eq(const char *, const char *);

/* spf_eval.c */
void	 spf_trace(struct spf_ctx *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
enma_status spf_ptr_validated(struct spf_ctx *, const char *suffix,
	    size_t max, const char ***names, size_t *count, int *is_void);

#endif /* ENMA_SPF_INT_H */
