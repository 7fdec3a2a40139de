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

/* What the build should have recorded: git's abbreviated HEAD when the sources are a git
 * checkout git can read, else "unknown" (a release tarball). Either way the test checks
 * something exact; it never passes on "unknown" alone. */
static void expected_revision(char *out, size_t size)
{
	FILE *git = popen("git -C '" TEST_SOURCE_DIR "' rev-parse --short=12 HEAD 2>/dev/null", "r");
	size_t len = 0;

	out[0] = '\0';
	if (git != NULL) {
		if (fgets(out, (int)size, git) == NULL)
			out[0] = '\0';
		if (pclose(git) != 0)
			out[0] = '\0';
	}
	len = strcspn(out, "\n");
	out[len] = '\0';
	if (len == 0)
		snprintf(out, size, "unknown");
}

START_TEST(revision_is_the_checkout_head)
{
	char expected[64];

	expected_revision(expected, sizeof(expected));
	ck_assert_str_eq(appcore_build_revision(), expected);
}
END_TEST

Suite *test_suite(void)
{
	Suite *suite = suite_create("version");
	TCase *tc = tcase_create("version");

	tcase_add_test(tc, runtime_version_matches_headers);
	tcase_add_test(tc, version_number_and_check_macro);
	tcase_add_test(tc, revision_is_the_checkout_head);
	suite_add_tcase(suite, tc);
	return suite;
}
