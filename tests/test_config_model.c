#include <check.h>
#include <string.h>

#include <appcore.h>

#include "check_main.h"

#define REPO_CONFIG TEST_SOURCE_DIR "/configs/config.yaml"
#define FIXTURE TEST_SOURCE_DIR "/tests/fixtures/models/binary_logistic.json"

static appcore_config *config_from(const char *path)
{
	appcore_config *config = NULL;
	appcore_error err = { 0 };

	ck_assert_int_eq(appcore_config_new(&config, &err), APPCORE_OK);
	if (path != NULL && appcore_config_load_file(config, path, &err) != APPCORE_OK)
		ck_abort_msg("%s", err.message);
	return config;
}

START_TEST(configured_identity_is_applied)
{
	appcore_config *config = config_from(REPO_CONFIG);
	appcore_model *model = NULL;
	appcore_error err = { 0 };

	ck_assert_int_eq(appcore_config_load_model(&model, config, NULL, &err), APPCORE_OK);
	ck_assert_str_eq(appcore_model_name(model), "iris");
	ck_assert_str_eq(appcore_model_version(model), "1");
	ck_assert_str_eq(appcore_model_objective(model), "multi:softprob");
	appcore_model_unref(model);

	/* a path override keeps the configured identity */
	ck_assert_int_eq(appcore_config_set(config, "model.name", "renamed", APPCORE_CONFIG_ENV, &err),
			 APPCORE_OK);
	ck_assert_int_eq(appcore_config_load_model(&model, config, FIXTURE, &err), APPCORE_OK);
	ck_assert_str_eq(appcore_model_name(model), "renamed");
	ck_assert_str_eq(appcore_model_version(model), "1");
	ck_assert_str_eq(appcore_model_objective(model), "binary:logistic");
	appcore_model_unref(model);
	appcore_config_free(config);
}
END_TEST

START_TEST(default_identity_is_the_models_own)
{
	appcore_config *config = config_from(NULL);
	appcore_model *model = NULL;
	appcore_error err = { 0 };

	/* the built-in default name "iris" must not label another model */
	ck_assert_int_eq(appcore_config_load_model(&model, config, FIXTURE, &err), APPCORE_OK);
	ck_assert_str_eq(appcore_model_name(model), "binary_logistic");
	ck_assert_str_eq(appcore_model_version(model), "");
	appcore_model_unref(model);
	appcore_config_free(config);
}
END_TEST

START_TEST(load_errors)
{
	appcore_config *config = config_from(NULL);
	appcore_model *model = (appcore_model *)&model;
	appcore_error err = { 0 };

	ck_assert_int_eq(appcore_config_load_model(&model, config, "/nonexistent/m.json", &err),
			 APPCORE_EIO);
	ck_assert_ptr_null(model);
	ck_assert_str_eq(err.message, "/nonexistent/m.json: cannot open: No such file or directory");
	ck_assert_int_eq(appcore_config_load_model(NULL, config, NULL, &err), APPCORE_EINVAL);
	ck_assert_int_eq(appcore_config_load_model(&model, NULL, NULL, &err), APPCORE_EINVAL);
	appcore_config_free(config);
}
END_TEST

START_TEST(predict_options_follow_the_configuration)
{
	appcore_config *config = config_from(NULL);
	appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;
	appcore_predict_options unversioned;
	appcore_error err = { 0 };

	options.output = APPCORE_OUTPUT_MARGIN;
	ck_assert_int_eq(appcore_config_predict_options(&options, config, &err), APPCORE_OK);
	ck_assert_uint_eq(options.max_batch_rows, 10000);
	/* fields the configuration does not name are left alone */
	ck_assert_int_eq(options.output, APPCORE_OUTPUT_MARGIN);
	ck_assert_int_eq(appcore_config_set(config, "model.max_batch_rows", "5", APPCORE_CONFIG_FLAG,
					    &err),
			 APPCORE_OK);
	ck_assert_int_eq(appcore_config_predict_options(&options, config, &err), APPCORE_OK);
	ck_assert_uint_eq(options.max_batch_rows, 5);
	/* 0 is "no limit", in the configuration as in C */
	ck_assert_int_eq(
	    appcore_config_set(config, "model.max_batch_rows", "0", APPCORE_CONFIG_FLAG, &err),
	    APPCORE_OK);
	ck_assert_int_eq(appcore_config_predict_options(&options, config, &err), APPCORE_OK);
	ck_assert_uint_eq(options.max_batch_rows, 0);
	ck_assert_int_eq(appcore_config_predict_options(NULL, config, &err), APPCORE_EINVAL);
	memset(&unversioned, 0, sizeof(unversioned));
	ck_assert_int_eq(appcore_config_predict_options(&unversioned, config, &err),
			 APPCORE_EINVAL);
	ck_assert_str_eq(err.message,
			 "appcore_predict_options: unknown version 0 (this library knows 1..2)");
	appcore_config_free(config);
}
END_TEST

START_TEST(use_best_iteration_is_applied)
{
	appcore_config *config = config_from(NULL);
	appcore_model *model = NULL;
	appcore_error err = { 0 };
	size_t best = 0;

	/* xgb.train recorded best_iteration 9 of 10 rounds: the setting loads and keeps them all */
	ck_assert_int_eq(appcore_config_set(config, "model.use_best_iteration", "true",
					    APPCORE_CONFIG_FLAG, &err),
			 APPCORE_OK);
	ck_assert_int_eq(appcore_config_load_model(&model, config, FIXTURE, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_model_best_iteration(&best, model), APPCORE_OK);
	ck_assert_uint_eq(best, 9);
	ck_assert_uint_eq(appcore_model_num_iterations(model), 10);
	appcore_model_unref(model);
	appcore_config_free(config);
}
END_TEST

Suite *test_suite(void)
{
	Suite *suite = suite_create("config_model");
	TCase *tc = tcase_create("config_model");

	tcase_add_test(tc, configured_identity_is_applied);
	tcase_add_test(tc, default_identity_is_the_models_own);
	tcase_add_test(tc, load_errors);
	tcase_add_test(tc, predict_options_follow_the_configuration);
	tcase_add_test(tc, use_best_iteration_is_applied);
	suite_add_tcase(suite, tc);
	return suite;
}
