/* Predictions over boosting-round ranges equal XGBoost's predict(iteration_range=...): the
 * cases in tests/fixtures/iteration_range/ranges.json were computed by XGBoost 1.7.4
 * (make_ranges.py) for binary, multi-class, random-forest and DART models. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <appcore.h>

#include "check_main.h"

#define FIXTURES TEST_SOURCE_DIR "/tests/fixtures/"

static json_t *ranges;

/* XGBoost's tolerance as the model tests use it: 1e-6 absolute for probabilities, 1e-5
 * relative otherwise. */
static void expect_close(float got, double want, int probability, const char *what, size_t i)
{
	double tolerance = probability ? 1e-6 : 1e-5 * fabs(want) + 1e-30;

	ck_assert_msg(fabs((double)got - want) <= tolerance, "%s[%zu]: %.9g, XGBoost %.9g", what,
		      i, (double)got, want);
}

START_TEST(ranges_match_xgboost)
{
	const json_t *c = json_array_get(ranges, (size_t)_i);
	const char *name = json_string_value(json_object_get(c, "model"));
	const json_t *rows = json_object_get(c, "rows");
	const size_t n = json_array_size(rows);
	const size_t k = (size_t)json_integer_value(json_object_get(c, "num_outputs"));
	const int probability = json_is_true(json_object_get(c, "probability"));
	appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;
	appcore_model *model = NULL;
	appcore_error err;
	char path[512], what[128];
	float *input, *out;
	size_t nf;

	snprintf(path, sizeof(path), FIXTURES "models/%s.json", name);
	ck_assert_msg(appcore_model_load_file(&model, path, NULL, &err) == APPCORE_OK, "%s",
		      err.message);
	nf = appcore_model_num_features(model);
	input = malloc(n * nf * sizeof(float));
	out = malloc(n * (k + 8) * sizeof(float));
	for (size_t r = 0; r < n; r++)
		for (size_t f = 0; f < nf; f++) {
			const json_t *v = json_array_get(json_array_get(rows, r), f);
			input[r * nf + f] = json_is_null(v) ? NAN : (float)json_number_value(v);
		}
	options.iteration_begin = (size_t)json_integer_value(json_object_get(c, "begin"));
	options.iteration_end = (size_t)json_integer_value(json_object_get(c, "end"));
	for (int kind = 0; kind < 2; kind++) {
		const json_t *expected = json_object_get(c, kind == 0 ? "value" : "margin");

		options.output = kind == 0 ? APPCORE_OUTPUT_VALUE : APPCORE_OUTPUT_MARGIN;
		ck_assert_msg(appcore_predict(out, model, input, n, &options, &err) == APPCORE_OK,
			      "%s", err.message);
		ck_assert_uint_eq(json_array_size(expected),
				  n * appcore_model_output_size(model, options.output));
		snprintf(what, sizeof(what), "%s [%zu, %zu) %s", name, options.iteration_begin,
			 options.iteration_end, kind == 0 ? "value" : "margin");
		for (size_t i = 0; i < json_array_size(expected); i++)
			expect_close(out[i], json_number_value(json_array_get(expected, i)),
				     probability && kind == 0, what, i);
	}
	free(input);
	free(out);
	appcore_model_unref(model);
}
END_TEST

Suite *test_suite(void)
{
	Suite *suite = suite_create("iteration_range");
	TCase *tc = tcase_create("xgboost");
	json_error_t jerr;

	ranges = json_load_file(FIXTURES "iteration_range/ranges.json", 0, &jerr);
	if (ranges == NULL) {
		fprintf(stderr, "ranges.json: %s\n", jerr.text);
		exit(1);
	}
	tcase_add_loop_test(tc, ranges_match_xgboost, 0, (int)json_array_size(ranges));
	suite_add_tcase(suite, tc);
	return suite;
}
