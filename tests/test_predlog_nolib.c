/* The prediction log and appcore_predlog_key_id() when libpq or libcrypto cannot be used:
 * meson runs this with LD_LIBRARY_PATH at tests/nolib, where libpq.so.5 and libcrypto.so.3
 * are libraries without their functions (tests/nolib/stub.c). libappcore loads them only
 * when a log is opened (libappcore/predlog/dynlib.h); everything else works without them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <appcore.h>

#include "check_main.h"

#define UNUSABLE_LIBPQ                                                                         \
	"the prediction log needs libpq (Debian package libpq5): libpq.so.5 has no "           \
	"PQconninfoParse: "

START_TEST(open_says_libpq_is_unusable)
{
	appcore_predlog_options o = APPCORE_PREDLOG_OPTIONS_INIT;
	appcore_predlog *log = (appcore_predlog *)&o;
	appcore_error err;

	o.conninfo = "postgresql://appcore@127.0.0.1:1/none";
	o.spool_dir = "/nonexistent/appcore-spool";
	ck_assert_int_eq(appcore_predlog_open(&log, &o, &err), APPCORE_EUNAVAILABLE);
	ck_assert_ptr_null(log);
	ck_assert_int_eq(err.code, APPCORE_EUNAVAILABLE);
	/* dlerror()'s wording after the colon is glibc's */
	ck_assert_msg(strncmp(err.message, UNUSABLE_LIBPQ, strlen(UNUSABLE_LIBPQ)) == 0,
		      "message: %s", err.message);
	/* the answer is the same the second time (loaded once per process) */
	ck_assert_int_eq(appcore_predlog_open(&log, &o, &err), APPCORE_EUNAVAILABLE);
}
END_TEST

START_TEST(key_id_is_unavailable_without_libcrypto)
{
	char id[APPCORE_PREDLOG_KEY_ID_SIZE] = "unchanged";

	ck_assert_int_eq(appcore_predlog_key_id(id, "secret", 6), APPCORE_EUNAVAILABLE);
	ck_assert_str_eq(id, "unchanged");
}
END_TEST

START_TEST(prediction_works_without_them)
{
	appcore_model *model = NULL;
	appcore_error err;
	const float row[4] = { 5.1f, 3.5f, 1.4f, 0.2f };
	float out[3];

	ck_assert_int_eq(appcore_model_load_file(&model,
						 TEST_SOURCE_DIR "/examples/models/iris.json", NULL,
						 &err),
			 APPCORE_OK);
	ck_assert_int_eq(appcore_predict(out, model, row, 1, NULL, &err), APPCORE_OK);
	ck_assert(out[0] > 0.5f);
	appcore_model_unref(model);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("predlog_nolib");
	TCase *tc = tcase_create("predlog_nolib");

	tcase_add_test(tc, open_says_libpq_is_unusable);
	tcase_add_test(tc, key_id_is_unavailable_without_libcrypto);
	tcase_add_test(tc, prediction_works_without_them);
	suite_add_tcase(s, tc);
	return s;
}
