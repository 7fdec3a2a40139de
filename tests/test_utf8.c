#include <check.h>
#include <string.h>

#include "check_main.h"
#include "core/utf8.h"

START_TEST(sequence_lengths)
{
	ck_assert_uint_eq(ac_utf8_sequence_length((const unsigned char *)"a", 1), 1);
	ck_assert_uint_eq(ac_utf8_sequence_length((const unsigned char *)"\xC3\xA9", 2), 2);
	ck_assert_uint_eq(ac_utf8_sequence_length((const unsigned char *)"\xE2\x82\xAC", 3), 3);
	ck_assert_uint_eq(ac_utf8_sequence_length((const unsigned char *)"\xF0\x9F\x98\x80", 4), 4);
	/* truncated, bad continuation, overlong, surrogate, beyond U+10FFFF, stray bytes */
	ck_assert_uint_eq(ac_utf8_sequence_length((const unsigned char *)"\xE2\x82", 2), 0);
	ck_assert_uint_eq(ac_utf8_sequence_length((const unsigned char *)"\xC3\x41", 2), 0);
	ck_assert_uint_eq(ac_utf8_sequence_length((const unsigned char *)"\xC0\xAF", 2), 0);
	ck_assert_uint_eq(ac_utf8_sequence_length((const unsigned char *)"\xE0\x80\xAF", 3), 0);
	ck_assert_uint_eq(ac_utf8_sequence_length((const unsigned char *)"\xED\xA0\x80", 3), 0);
	ck_assert_uint_eq(ac_utf8_sequence_length((const unsigned char *)"\xF4\x90\x80\x80", 4), 0);
	ck_assert_uint_eq(ac_utf8_sequence_length((const unsigned char *)"\x80", 1), 0);
	ck_assert_uint_eq(ac_utf8_sequence_length((const unsigned char *)"\xFF", 1), 0);
}
END_TEST

START_TEST(sanitize_replaces_invalid_bytes)
{
	char out[64];

	ck_assert_str_eq(ac_utf8_sanitize(out, sizeof(out), "caf\xC3\xA9"), "caf\xC3\xA9");
	ck_assert_str_eq(ac_utf8_sanitize(out, sizeof(out), "a\xFFz"), "a\xEF\xBF\xBDz");
	ck_assert_str_eq(ac_utf8_sanitize(out, sizeof(out), "\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}
END_TEST

START_TEST(sanitize_truncates_on_sequence_boundary)
{
	char out[4];

	/* "a" + 3-byte euro sign does not fit in 3 bytes + NUL: keep "a" only */
	ck_assert_str_eq(ac_utf8_sanitize(out, sizeof(out), "ab\xE2\x82\xAC"), "ab");
	ck_assert_str_eq(ac_utf8_sanitize(out, sizeof(out), "abcdef"), "abc");
	ck_assert_str_eq(ac_utf8_sanitize(out, 1, "abc"), "");
}
END_TEST

Suite *test_suite(void)
{
	Suite *suite = suite_create("utf8");
	TCase *tc = tcase_create("utf8");

	tcase_add_test(tc, sequence_lengths);
	tcase_add_test(tc, sanitize_replaces_invalid_bytes);
	tcase_add_test(tc, sanitize_truncates_on_sequence_boundary);
	suite_add_tcase(suite, tc);
	return suite;
}
