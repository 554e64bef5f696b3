/*
 * mail_int.h - declarations shared by the mail module's files
 */
#ifndef ENMA_MAIL_INT_H
#define ENMA_MAIL_INT_H

#include <string.h>

/*
 * mail_is_atext - RFC 5322 3.2.3 atext, with the UTF-8 bytes that
 * RFC 6531 3.3 and RFC 6532 3.2 allow in internationalised addresses
 */
static inline int
mail_is_atext(int c)
{
	static const char other[] = "!#$%&'*+-/=?^_`{|}~";

	if (enma_isalnum(c) || c >= 0x80)
		return 1;
	return c != 0 && memchr(other, c, sizeof(other) - 1) != NULL;
}

#endif /* ENMA_MAIL_INT_H */
