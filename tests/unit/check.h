/*
 * check.h - the smallest table-driven test harness that does the job
 *
 * CHECK(cond, fmt, ...) counts a pass or prints the failure with its
 * location; check_done() prints "N passed, N failed" and gives the exit
 * status.  Header-only so that each test file is one program.
 */
#ifndef ENMA_TEST_CHECK_H
#define ENMA_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static unsigned check_passed, check_failed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		check_passed++;						\
	} else {							\
		check_failed++;						\
		printf("FAIL %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

#define CHECK_STR(got, want, name) do {					\
	const char *check_g_ = (got), *check_w_ = (want);		\
	CHECK(check_g_ != NULL && check_w_ != NULL &&			\
	    strcmp(check_g_, check_w_) == 0,				\
	    "%s: got \"%s\", want \"%s\"", (name),			\
	    check_g_ ? check_g_ : "(null)", check_w_ ? check_w_ : "(null)"); \
} while (0)

static inline int
check_done(const char *suite)
{
	printf("%s: %u passed, %u failed\n", suite, check_passed,
	    check_failed);
	return check_failed == 0 ? 0 : 1;
}

#endif /* ENMA_TEST_CHECK_H */
