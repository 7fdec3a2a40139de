#include <check.h>
#include <stdio.h>
#include <string.h>

#include <appcore.h>

#include "check_main.h"

START_TEST(runtime_version_matches_headers)
{
	char expected[32];

	snprintf(expected, sizeof(expected), "%d.%d.%d", APPCORE_VERSION_MAJOR, APPCORE_VERSION_MINOR,
		 APPCORE_VERSION_PATCH);
	ck_assert_str_eq(appcore_version(), APPCORE_VERSION_STRING);
	ck_assert_str_eq(appcore_version(), expected);
	ck_assert_str_eq(appcore_version(), TEST_VERSION_FILE_CONTENTS);
	ck_assert_uint_eq(appcore_version_number(), APPCORE_VERSION_NUMBER);
}
END_TEST

START_TEST(version_number_and_check_macro)
{
	ck_assert_uint_eq(APPCORE_VERSION_NUMBER,
			  ((unsigned)APPCORE_VERSION_MAJOR << 16) | (APPCORE_VERSION_MINOR << 8) |
				  APPCORE_VERSION_PATCH);
	ck_assert(APPCORE_VERSION_CHECK(0, 0, 0));
	ck_assert(APPCORE_VERSION_CHECK(APPCORE_VERSION_MAJOR, APPCORE_VERSION_MINOR,
					APPCORE_VERSION_PATCH));
	ck_assert(!APPCORE_VERSION_CHECK(APPCORE_VERSION_MAJOR, APPCORE_VERSION_MINOR,
					 APPCORE_VERSION_PATCH + 1));
	ck_assert(!APPCORE_VERSION_CHECK(APPCORE_VERSION_MAJOR + 1, 0, 0));
}
END_TEST

START_TEST(revision_is_hash_or_unknown)
{
	const char *revision = appcore_build_revision();

	ck_assert_ptr_nonnull(revision);
	if (strcmp(revision, "unknown") != 0) {
		ck_assert_uint_ge(strlen(revision), 7);
		ck_assert_uint_eq(strspn(revision, "0123456789abcdef"), strlen(revision));
	}
}
END_TEST

Suite *test_suite(void)
{
	Suite *suite = suite_create("version");
	TCase *tc = tcase_create("version");

	tcase_add_test(tc, runtime_version_matches_headers);
	tcase_add_test(tc, version_number_and_check_macro);
	tcase_add_test(tc, revision_is_hash_or_unknown);
	suite_add_tcase(suite, tc);
	return suite;
}
