/*
 * test_util.c - spans, buffers, arena, addresses, base64
 *
 * Expected values: RFC 4648 10 (base64), RFC 5952 4 (IPv6 text), RFC
 * 7208 7.4 (reverse nibbles), RFC 4291 2.5.5.2 (mapped addresses).
 */
#include <stdlib.h>
#include <string.h>

#include <enma/util.h>

#include "check.h"

static void
test_base64(void)
{
	static const struct {
		const char *in, *out;
	} v[] = {			/* RFC 4648 10 */
		{ "", "" }, { "Zg==", "f" }, { "Zm8=", "fo" },
		{ "Zm9v", "foo" }, { "Zm9vYg==", "foob" },
		{ "Zm9vYmE=", "fooba" }, { "Zm9vYmFy", "foobar" },
		{ "Zm9v\r\n YmFy", "foobar" },	/* RFC 6376 3.5 FWS */
	};
	static const char *bad[] = { "Zm9v=Ym", "Z", "Zm9v!", "Zg===" };
	unsigned char	out[64];
	size_t		i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		enma_status st = enma_base64_decode(enma_span_from_cstr(
		    v[i].in), out, sizeof(out), &n);

		CHECK(st == ENMA_OK && n == strlen(v[i].out) &&
		    memcmp(out, v[i].out, n) == 0, "base64 %s", v[i].in);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(enma_base64_decode(enma_span_from_cstr(bad[i]), out,
		    sizeof(out), &n) == ENMA_ESYNTAX, "base64 bad %s", bad[i]);
	CHECK(enma_base64_decode(ENMA_SPAN_LIT("Zm9vYmFy"), out, 5, &n) ==
	    ENMA_ELIMIT, "base64 output bound");
}

static void
test_ip(void)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "192.0.2.1", "192.0.2.1" },
		{ "[192.0.2.1]", "192.0.2.1" },
		/* RFC 5952 4.2.3 */
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
		{ "2001:0db8::0001", "2001:db8::1" },		/* 5952 4.1 */
		{ "IPv6:0:0:0:0:0:0:0:1", "::1" },		/* Sendmail */
		{ "[IPv6:2001:DB8::1]", "2001:db8::1" },	/* 5952 4.3 */
		{ "::ffff:192.0.2.1", "::ffff:192.0.2.1" },
	};
	static const char *bad[] = {
		"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", "::g",
		"IPv6:1.2.3.4", "[1.2.3.4", "1:2:3:4:5:6:7:8:9",
	};
	struct enma_ip	ip, ip2;
	char		buf[ENMA_IP_TEXT_MAX];
	size_t		i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK(enma_ip_from_text(enma_span_from_cstr(v[i].in), &ip) ==
		    ENMA_OK, "parse %s", v[i].in);
		CHECK_STR(enma_ip_to_text(&ip, buf, sizeof(buf)), v[i].out,
		    v[i].in);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(enma_ip_from_text(enma_span_from_cstr(bad[i]), &ip) ==
		    ENMA_ESYNTAX, "bad address \"%s\"", bad[i]);
	CHECK(enma_ip_from_text(enma_span_make("1.2.3.4\0", 8), &ip) ==
	    ENMA_ESYNTAX, "embedded NUL refused");

	(void)enma_ip_from_text(ENMA_SPAN_LIT("::ffff:192.0.2.1"), &ip);
	enma_ip_unmap(&ip);
	(void)enma_ip_from_text(ENMA_SPAN_LIT("192.0.2.1"), &ip2);
	CHECK(ip.family == 4 && enma_ip_eq(&ip, &ip2), "unmap");

	/* RFC 7208 7.4: %{ir} of 2001:db8::cb01 */
	(void)enma_ip_from_text(ENMA_SPAN_LIT("2001:db8::cb01"), &ip);
	CHECK_STR(enma_ip_to_arpa(&ip, buf, sizeof(buf)), "",
	    "arpa name does not fit 64 bytes");
	{
		char big[128];

		CHECK_STR(enma_ip_to_arpa(&ip, big, sizeof(big)),
		    "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0."
		    "1.0.0.2.ip6.arpa", "ip6.arpa");
	}
	(void)enma_ip_from_text(ENMA_SPAN_LIT("192.0.2.3"), &ip);
	CHECK_STR(enma_ip_to_arpa(&ip, buf, sizeof(buf)),
	    "3.2.0.192.in-addr.arpa", "in-addr.arpa");
}

static void
test_cidr(void)
{
	struct enma_cidr_list	l;
	struct enma_ip		ip;
	size_t			pos = 0;

	CHECK(enma_cidr_list_parse(ENMA_SPAN_LIT("127.0.0.1, ::1,10.0.0.0/8"),
	    &l, &pos) == ENMA_OK && l.n == 3, "list of three");
	(void)enma_ip_from_text(ENMA_SPAN_LIT("10.200.1.1"), &ip);
	CHECK(enma_cidr_list_match(&l, &ip), "10/8 matches");
	(void)enma_ip_from_text(ENMA_SPAN_LIT("::ffff:127.0.0.1"), &ip);
	CHECK(enma_cidr_list_match(&l, &ip), "mapped loopback matches");
	(void)enma_ip_from_text(ENMA_SPAN_LIT("127.0.0.2"), &ip);
	CHECK(!enma_cidr_list_match(&l, &ip), "127.0.0.2 does not");
	(void)enma_ip_from_text(ENMA_SPAN_LIT("::2"), &ip);
	CHECK(!enma_cidr_list_match(&l, &ip), "::2 does not");
	enma_cidr_list_free(&l);
	CHECK(enma_cidr_list_parse(ENMA_SPAN_LIT("127.0.0.1,10.0.0.0/33"),
	    &l, &pos) != ENMA_OK && pos == 10, "bad length at offset 10");
	CHECK(enma_cidr_list_parse(ENMA_SPAN_LIT("1.2.3.4/"), &l, &pos) !=
	    ENMA_OK, "empty length");
}

static void
test_buf_arena(void)
{
	struct enma_buf		 b;
	struct enma_arena	*a;
	char			*p;
	size_t			 i;
	uint64_t		 u;

	enma_buf_init(&b, 8);
	CHECK(enma_buf_puts(&b, "12345678") == ENMA_OK, "fits max");
	CHECK(enma_buf_putc(&b, '9') == ENMA_ELIMIT && b.len == 8 &&
	    strcmp(b.p, "12345678") == 0, "over max leaves content");
	CHECK(enma_buf_puts(&b, "") == ENMA_ELIMIT, "failure is sticky");
	enma_buf_free(&b);

	a = enma_arena_new(100000);
	CHECK(a != NULL, "arena");
	for (i = 0; i < 1000; i++)
		if ((p = enma_arena_printf(a, "%zu", i)) == NULL)
			break;
	CHECK(i == 1000, "many small allocations");
	CHECK(enma_arena_alloc(a, 200000) == NULL, "limit refused");
	enma_arena_reset(a);
	CHECK(enma_arena_used(a) == 0, "reset");
	CHECK(((uintptr_t)enma_arena_alloc(a, 3) % 16) == 0, "aligned");
	CHECK(enma_arena_calloc(a, SIZE_MAX / 2, 4) == NULL, "overflow");
	enma_arena_free(a);
	enma_arena_free(NULL);

	CHECK(enma_span_to_uint(ENMA_SPAN_LIT("18446744073709551615"),
	    UINT64_MAX, &u) == ENMA_OK && u == UINT64_MAX, "u64 max");
	CHECK(enma_span_to_uint(ENMA_SPAN_LIT("18446744073709551616"),
	    UINT64_MAX, &u) == ENMA_ELIMIT, "u64 overflow");
	CHECK(enma_span_to_uint(ENMA_SPAN_LIT("-1"), 10, &u) == ENMA_ESYNTAX,
	    "sign refused");
	CHECK(enma_span_caseeq_cstr(ENMA_SPAN_LIT("V=SPF1"), "v=spf1"),
	    "caseeq");
}

int
main(void)
{
	test_base64();
	test_ip();
	test_cidr();
	test_buf_arena();
	return check_done("util");
}
