/* The JSON prediction protocol shared by appcore-server and appcore-cli. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appcore.h"
#include "check_main.h"

/* appcore_predict() with an output kind, as most tests want it. */
static int predict_kind(const appcore_model *model, const float *rows, size_t n,
			appcore_output_kind kind, float *out, appcore_error *err)
{
	appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;

	options.output = kind;
	return appcore_predict(out, model, rows, n, &options, err);
}

#define IRIS TEST_SOURCE_DIR "/examples/models/iris.json"
#define FIXTURES TEST_SOURCE_DIR "/tests/fixtures/models/"

/* One tree: feature 1 < 0.5 -> -1.0 else 2.0 (missing goes left), base_score 0.5. */
static const char small_model[] =
	"{\"learner\":{\"gradient_booster\":{\"model\":{\"gbtree_model_param\":{"
	"\"num_parallel_tree\":\"1\"},\"tree_info\":[0],\"trees\":[{\"left_children\":[1,-1,-1],"
	"\"right_children\":[2,-1,-1],\"split_indices\":[1,0,0],\"split_conditions\":[0.5,-1.0,2.0],"
	"\"default_left\":[1,0,0]}]},\"name\":\"gbtree\"},\"learner_model_param\":{\"base_score\":"
	"\"5E-1\",\"num_feature\":\"2\"},\"objective\":{\"name\":\"reg:squarederror\"}}}";

static appcore_model *load(const char *path)
{
	appcore_model *model = NULL;
	appcore_error err = { 0 };

	ck_assert_msg(appcore_model_load_file(&model, path, NULL, &err) == APPCORE_OK, "%s",
		      err.message);
	return model;
}

static appcore_model *load_small(void)
{
	appcore_model *model = NULL;
	appcore_error err = { 0 };

	ck_assert_int_eq(
	    appcore_model_load_buffer(&model, small_model, strlen(small_model), NULL, &err),
	    APPCORE_OK);
	return model;
}

/* The response body for body, which must succeed. Caller frees. */
static char *answer(const appcore_model *model, const char *body,
		    const appcore_predict_options *options)
{
	appcore_response response;
	appcore_error err = { 0 };

	ck_assert_msg(appcore_predict_json(&response, model, body, strlen(body), options, &err) ==
			      APPCORE_OK, "%s: %s", body, err.message);
	ck_assert_uint_eq(response.body_len, strlen(response.body));
	return response.body;
}

static void assert_answer(const appcore_model *model, const char *body, const char *expected)
{
	char *got = answer(model, body, NULL);

	ck_assert_str_eq(got, expected);
	appcore_free(got);
}

static void assert_error(const appcore_model *model, const char *body,
			 const appcore_predict_options *options, int code, const char *message)
{
	appcore_response response = { (char *)"x", 1, 1, NULL, NULL, 0, APPCORE_OUTPUT_VALUE, { NULL } };
	appcore_error err = { 0 };

	ck_assert_int_eq(appcore_predict_json(&response, model, body, strlen(body), options, &err),
			 code);
	ck_assert_int_eq(err.code, code);
	ck_assert_str_eq(err.message, message);
	ck_assert_ptr_null(response.body);
	ck_assert_uint_eq(response.rows, 0);
}

START_TEST(test_exact_body)
{
	appcore_model *model = load_small();
	appcore_response response;
	appcore_error err = { 0 };
	const char *body = "{\"instances\": [[0, 0.25], [0, 0.5], [1, null]]}";

	ck_assert_int_eq(appcore_predict_json(&response, model, body, strlen(body), NULL, &err),
			 APPCORE_OK);
	ck_assert_str_eq(response.body,
			 "{\"predictions\":[-0.5,2.5,-0.5],\"model\":{\"name\":\"model\",\"version\":\"\"}}");
	ck_assert_uint_eq(response.rows, 3);
	appcore_response_dispose(&response);
	ck_assert_ptr_null(response.body);
	appcore_response_dispose(NULL);

	appcore_model_unref(model);
	{
		appcore_model_load_options options = APPCORE_MODEL_LOAD_OPTIONS_INIT;

		options.name = "small \"one\"";
		options.model_version = "v\xc3\xa9";
		ck_assert_int_eq(appcore_model_load_buffer(&model, small_model, strlen(small_model),
							   &options, &err),
				 APPCORE_OK);
	}
	assert_answer(model, "{\"instances\":[[0,1]],\"output\":\"margin\"}",
		      "{\"predictions\":[2.5],\"model\":{\"name\":\"small \\\"one\\\"\","
		      "\"version\":\"v\\u00E9\"}}");
	appcore_model_unref(model);
}
END_TEST

/* Numbers print with %.9g: a float32 survives the round trip exactly. */
START_TEST(test_numbers_round_trip)
{
	appcore_model *model = load(FIXTURES "binary_logistic.json");
	const size_t nf = appcore_model_num_features(model);
	char body[4096];
	size_t used = 0;
	float rows[2 * 30], expected[2];
	char *got, *p;

	ck_assert_uint_eq(nf, 30);
	used += (size_t)snprintf(body + used, sizeof(body) - used, "{\"instances\":[");
	for (size_t r = 0; r < 2; r++)
		for (size_t f = 0; f < nf; f++) {
			rows[r * nf + f] = (float)(r * 7 + f) * 1.37f;
			used += (size_t)snprintf(body + used, sizeof(body) - used, "%s%.9g",
						 f == 0 ? (r ? ",[" : "[") : ",",
						 (double)rows[r * nf + f]);
			if (f == nf - 1)
				used += (size_t)snprintf(body + used, sizeof(body) - used, "]");
		}
	snprintf(body + used, sizeof(body) - used, "]}");
	ck_assert_int_eq(predict_kind(model, rows, 2, APPCORE_OUTPUT_VALUE, expected, NULL),
			 APPCORE_OK);
	got = answer(model, body, NULL);
	ck_assert_msg(strncmp(got, "{\"predictions\":[", 16) == 0, "%s", got);
	p = got + 16;
	for (size_t r = 0; r < 2; r++) {
		char *end;
		float value = strtof(p, &end);

		ck_assert_float_eq(value, expected[r]);
		p = end + 1;
	}
	ck_assert_str_eq(p - 1, "],\"model\":{\"name\":\"binary_logistic\",\"version\":\"\"}}");
	appcore_free(got);
	appcore_model_unref(model);
}
END_TEST

START_TEST(test_object_rows_match_array_rows)
{
	appcore_model *model = load(IRIS);
	char *by_array = answer(model, "{\"instances\":[[5.1,3.5,1.4,0.2],[6.2,null,4.8,1.8]]}", NULL);
	char *by_name = answer(model,
			       "{\"instances\":[{\"petal_width\":0.2,\"sepal_length\":5.1,"
			       "\"sepal_width\":3.5,\"petal_length\":1.4},{\"sepal_length\":6.2,"
			       "\"petal_length\":4.8,\"petal_width\":1.8,\"sepal_width\":null}]}",
			       NULL);

	ck_assert_str_eq(by_array, by_name);
	/* softprob: an array of num_class probabilities per row */
	ck_assert_msg(strncmp(by_array, "{\"predictions\":[[0.9", 20) == 0, "%s", by_array);
	ck_assert_msg(strstr(by_array, "]],\"model\":{\"name\":\"iris\",\"version\":\"\"}}") != NULL,
		      "%s", by_array);
	appcore_free(by_array);
	appcore_free(by_name);
	appcore_model_unref(model);
}
END_TEST

START_TEST(test_output_kinds)
{
	appcore_model *model = load(FIXTURES "multi_softmax.json");
	appcore_predict_options options;
	char *value, *margin, *by_option;
	float row[4] = { 5.1f, 3.5f, 1.4f, 0.2f }, margins[3];
	char expected[256];

	appcore_predict_options_init(&options, APPCORE_PREDICT_OPTIONS_VERSION);
	ck_assert_uint_eq(options.max_batch_rows, 10000);
	ck_assert_int_eq(options.output, APPCORE_OUTPUT_VALUE);
	value = answer(model, "{\"instances\":[[5.1,3.5,1.4,0.2],[6.9,3.1,5.4,2.1]]}", NULL);
	ck_assert_str_eq(value, "{\"predictions\":[0,2],\"model\":{\"name\":\"multi_softmax\","
				"\"version\":\"\"}}");
	margin = answer(model, "{\"output\":\"margin\",\"instances\":[[5.1,3.5,1.4,0.2]]}", NULL);
	ck_assert_int_eq(predict_kind(model, row, 1, APPCORE_OUTPUT_MARGIN, margins, NULL),
			 APPCORE_OK);
	snprintf(expected, sizeof(expected),
		 "{\"predictions\":[[%.9g,%.9g,%.9g]],\"model\":{\"name\":\"multi_softmax\","
		 "\"version\":\"\"}}", (double)margins[0], (double)margins[1], (double)margins[2]);
	ck_assert_str_eq(margin, expected);
	options.output = APPCORE_OUTPUT_MARGIN;
	by_option = answer(model, "{\"instances\":[[5.1,3.5,1.4,0.2]]}", &options);
	ck_assert_str_eq(by_option, margin);
	appcore_free(by_option);
	/* the request's "output" wins over the default */
	by_option = answer(model, "{\"instances\":[[5.1,3.5,1.4,0.2]],\"output\":\"value\"}",
			   &options);
	ck_assert_str_eq(by_option, "{\"predictions\":[0],\"model\":{\"name\":\"multi_softmax\","
				    "\"version\":\"\"}}");
	appcore_free(by_option);
	appcore_free(value);
	appcore_free(margin);
	appcore_model_unref(model);
}
END_TEST

START_TEST(test_parse_errors)
{
	appcore_model *model = load_small();
	appcore_response response;
	appcore_error err = { 0 };

	ck_assert_int_eq(appcore_predict_json(&response, model, "{\"instances\": [[1,]]}", 20, NULL,
					      &err), APPCORE_EPARSE);
	ck_assert_int_eq(err.line, 1);
	ck_assert_int_eq(err.column, 19);
	ck_assert_str_eq(err.message, "invalid JSON at line 1, column 19: unexpected token near ']'");
	assert_error(model, "{\"instances\":\n  [[1, 2]],\n  oops}", NULL, APPCORE_EPARSE,
		     "invalid JSON at line 3, column 6: string or '}' expected near 'oops'");
	assert_error(model, "", NULL, APPCORE_EPARSE,
		     "invalid JSON at line 1, column 0: unexpected token near end of file");
	assert_error(model, "{\"instances\":[[1,2]]} trailing", NULL, APPCORE_EPARSE,
		     "invalid JSON at line 1, column 30: end of file expected near 'trailing'");
	assert_error(model, "{\"instances\":[[1,2]],\"instances\":[[1,2]]}", NULL, APPCORE_EPARSE,
		     "invalid JSON at line 1, column 32: duplicate object key near '\"instances\"'");
	assert_error(model, "{\"instances\":[[1e999,2]]}", NULL, APPCORE_EPARSE,
		     "invalid JSON at line 1, column 20: real number overflow near '1e999'");
	assert_error(model, "{\"instances\":[[Infinity,2]]}", NULL, APPCORE_EPARSE,
		     "invalid JSON at line 1, column 23: invalid token near 'Infinity'");
	{
		/* deep nesting is refused before the recursive parser runs; brackets
		 * inside strings do not count */
		char deep[200];
		memset(deep, '[', sizeof(deep) - 1);
		deep[sizeof(deep) - 1] = '\0';
		assert_error(model, deep, NULL, APPCORE_EPARSE,
			     "invalid JSON at line 1, column 33: nested deeper than 32 levels");
		assert_error(model, "{\"x\": \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"\",\n [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
			     NULL, APPCORE_EPARSE,
			     "invalid JSON at line 2, column 33: nested deeper than 32 levels");
	}
	appcore_model_unref(model);
}
END_TEST

START_TEST(test_request_errors)
{
	appcore_model *model = load_small();
	appcore_model *iris = load(IRIS);
	appcore_predict_options options;

	appcore_predict_options_init(&options, APPCORE_PREDICT_OPTIONS_VERSION);
	options.max_batch_rows = 2;
	assert_error(model, "[[1,2]]", NULL, APPCORE_EREQUEST,
		     "expected a JSON object with \"instances\", got array");
	assert_error(model, "\"instances\"", NULL, APPCORE_EREQUEST,
		     "expected a JSON object with \"instances\", got string");
	assert_error(model, "{}", NULL, APPCORE_EREQUEST, "missing \"instances\"");
	assert_error(model, "{\"instances\":{}}", NULL, APPCORE_EREQUEST,
		     "\"instances\": expected an array of rows, got object");
	assert_error(model, "{\"instances\":[]}", NULL, APPCORE_EREQUEST, "\"instances\" is empty");
	assert_error(
	    model, "{\"instances\":[[1,2]],\"rows\":1}", NULL, APPCORE_EREQUEST,
	    "unknown member \"rows\"; expected \"instances\" and optionally \"output\", "
	    "\"iteration_range\", \"model\" and \"version\"");
	assert_error(model, "{\"instances\":[[1,2]],\"iteration_range\":[0]}", NULL,
		     APPCORE_EREQUEST,
		     "\"iteration_range\": expected [begin, end] with integers >= 0");
	assert_error(model, "{\"instances\":[[1,2]],\"iteration_range\":[0,-1]}", NULL,
		     APPCORE_EREQUEST,
		     "\"iteration_range\": expected [begin, end] with integers >= 0");
	assert_error(model, "{\"instances\":[[1,2]],\"iteration_range\":\"0:1\"}", NULL,
		     APPCORE_EREQUEST,
		     "\"iteration_range\": expected [begin, end] with integers >= 0");
	assert_error(model, "{\"instances\":[[1,2]],\"iteration_range\":[0,2]}", NULL,
		     APPCORE_EREQUEST,
		     "iteration_range [0, 2) is not within the model's 1 iterations");
	assert_error(model, "{\"instances\":[[1,2],[1,2],[1,2]]}", &options, APPCORE_ELIMIT,
		     "too many instances: 3 (limit 2)");
	assert_error(model, "{\"instances\":[[1,2],[1,2,3]]}", NULL, APPCORE_EREQUEST,
		     "instances[1]: expected 2 features, got 3");
	assert_error(model, "{\"instances\":[[1,2],[1,2],[1,2],[1,\"7\"]]}", NULL, APPCORE_EREQUEST,
		     "instances[3][1]: expected a number or null, got string");
	assert_error(model, "{\"instances\":[[true,2]]}", NULL, APPCORE_EREQUEST,
		     "instances[0][0]: expected a number or null, got boolean");
	assert_error(model, "{\"instances\":[[1,1e300]]}", NULL, APPCORE_EREQUEST,
		     "instances[0][1]: 1e+300 is not a finite float32");
	assert_error(model, "{\"instances\":[\"1,2\"]}", NULL, APPCORE_EREQUEST,
		     "instances[0]: expected an array or an object, got string");
	assert_error(model, "{\"instances\":[{\"a\":1}]}", NULL, APPCORE_EREQUEST,
		     "instances[0]: this model has no feature names; send an array of 2 numbers");
	assert_error(model, "{\"instances\":[[1,2]],\"output\":\"probability\"}", NULL,
		     APPCORE_EREQUEST, "\"output\": expected \"value\" or \"margin\", got \"probability\"");
	assert_error(model, "{\"instances\":[[1,2]],\"output\":1}", NULL, APPCORE_EREQUEST,
		     "\"output\": expected \"value\" or \"margin\", got number");
	assert_error(iris, "{\"instances\":[{\"sepal_length\":1},{\"sepal\":1}]}", NULL,
		     APPCORE_EREQUEST, "instances[1]: unknown feature \"sepal\"");
	assert_error(iris, "{\"instances\":[{\"sepal_length\":\"1\"}]}", NULL, APPCORE_EREQUEST,
		     "instances[0].sepal_length: expected a number or null, got string");
	appcore_model_unref(iris);
	appcore_model_unref(model);
}
END_TEST

START_TEST(test_error_json_body)
{
	appcore_model *model = load_small();
	appcore_response response;
	appcore_error err = { 0 };
	char *text = NULL;

	ck_assert_int_eq(appcore_predict_json(&response, model, "{\"instances\":[[1]]}", 19, NULL,
					      &err), APPCORE_EREQUEST);
	ck_assert_int_eq(appcore_error_json(&text, NULL, &err), APPCORE_OK);
	ck_assert_str_eq(text, "{\"error\":{\"code\":\"invalid_request\",\"message\":\"instances[0]: "
			       "expected 2 features, got 1\"}}");
	appcore_free(text);
	appcore_model_unref(model);
}
END_TEST

START_TEST(test_parse_row)
{
	appcore_model *iris = load(IRIS);
	appcore_error err = { 0 };
	float row[4];

	ck_assert_int_eq(appcore_predict_parse_row(row, iris, "[5.1, null, 1.4, 0.2]", 21, &err),
			 APPCORE_OK);
	ck_assert_float_eq(row[0], 5.1f);
	ck_assert(isnan(row[1]));
	ck_assert_int_eq(appcore_predict_parse_row(row, iris, "{\"petal_width\": 3}", 18, &err),
			 APPCORE_OK);
	ck_assert(isnan(row[0]) && isnan(row[1]) && isnan(row[2]));
	ck_assert_float_eq(row[3], 3.0f);
	ck_assert_int_eq(appcore_predict_parse_row(row, iris, "[1,2,3]", 7, &err), APPCORE_EREQUEST);
	ck_assert_str_eq(err.message, "row: expected 4 features, got 3");
	ck_assert_int_eq(appcore_predict_parse_row(row, iris, "[1,2,{},4]", 10, &err),
			 APPCORE_EREQUEST);
	ck_assert_str_eq(err.message, "row[2]: expected a number or null, got object");
	ck_assert_int_eq(appcore_predict_parse_row(row, iris, "[1,2", 4, &err), APPCORE_EPARSE);
	ck_assert_str_eq(err.message, "invalid JSON at line 1, column 4: ']' expected near end of file");
	appcore_model_unref(iris);
}
END_TEST

struct worker {
	appcore_model *model;
	const char *body;
	const char *expected;
	int mismatches;
};

static void *predict_many(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 300; i++) {
		appcore_response response;

		if (appcore_predict_json(&response, w->model, w->body, strlen(w->body), NULL, NULL) !=
			    APPCORE_OK ||
		    strcmp(response.body, w->expected) != 0)
			w->mismatches++;
		appcore_response_dispose(&response);
	}
	return NULL;
}

/* One handle, many threads, no locks: every answer equals the single-threaded one. */
START_TEST(test_concurrent_predictions)
{
	appcore_model *model = load(FIXTURES "random_forest.json");
	const char *body = "{\"instances\":[[13.2,1.78,2.14,11.2,100,2.65,2.76,0.26,1.28,4.38,1.05,"
			   "3.4,1050],[12.37,0.94,1.36,10.6,88,1.98,0.57,0.28,0.42,1.95,1.05,1.82,"
			   "520]]}";
	char *expected = answer(model, body, NULL);
	struct worker workers[4];
	pthread_t threads[4];

	for (int i = 0; i < 4; i++) {
		workers[i] = (struct worker){ appcore_model_ref(model), body, expected, 0 };
		ck_assert_int_eq(pthread_create(&threads[i], NULL, predict_many, &workers[i]), 0);
	}
	appcore_model_unref(model); /* the workers' references keep it alive */
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
		ck_assert_int_eq(workers[i].mismatches, 0);
	}
	for (int i = 0; i < 4; i++)
		appcore_model_unref(workers[i].model);
	appcore_free(expected);
}
END_TEST

START_TEST(test_nan_is_missing)
{
	appcore_model *model = load(IRIS);
	char *with_null = answer(model, "{\"instances\":[[6.2,null,4.8,null]]}", NULL);
	/* Python's json.dumps writes NaN for a missing numpy value: fast path ... */
	char *with_nan = answer(model, "{\"instances\":[[6.2,NaN,4.8,-NaN]]}", NULL);
	/* ... and the general path (object rows) */
	char *by_name = answer(model,
			       "{\"instances\":[{\"sepal_length\":6.2,\"sepal_width\":NaN,"
			       "\"petal_length\":4.8}]}",
			       NULL);
	float row[4] = { 0 };
	appcore_error err;

	ck_assert_str_eq(with_nan, with_null);
	ck_assert_str_eq(by_name, with_null);
	/* NaN inside a string stays a string */
	assert_error(model, "{\"instances\":[{\"NaN\":1}]}", NULL, APPCORE_EREQUEST,
		     "instances[0]: unknown feature \"NaN\"");
	ck_assert_int_eq(appcore_predict_parse_row(row, model, "[1, NaN, 2, NaN]", 16, &err),
			 APPCORE_OK);
	ck_assert(row[0] == 1.0f && isnan(row[1]) && row[2] == 2.0f && isnan(row[3]));
	appcore_free(with_null);
	appcore_free(with_nan);
	appcore_free(by_name);
	appcore_model_unref(model);
}
END_TEST

START_TEST(test_non_finite_predictions_are_null)
{
	/* count:poisson: exp() of a margin of 200 overflows float32 */
	static const char poisson[] =
	    "{\"learner\":{\"gradient_booster\":{\"model\":{\"gbtree_model_param\":{"
	    "\"num_parallel_tree\":\"1\"},\"tree_info\":[0],\"trees\":[{\"left_children\":[1,-1,-1]"
	    ","
	    "\"right_children\":[2,-1,-1],\"split_indices\":[0,0,0],\"split_conditions\":[0.5,"
	    "200.0,1.0],\"default_left\":[1,0,0]}]},\"name\":\"gbtree\"},\"learner_model_param\":{"
	    "\"base_score\":\"1E0\",\"num_feature\":\"1\"},\"objective\":{\"name\":\"count:"
	    "poisson\"}}}";
	appcore_model *model = NULL;
	appcore_error err;
	char text[32];

	ck_assert_int_eq(appcore_model_load_buffer(&model, poisson, strlen(poisson), NULL, &err),
			 APPCORE_OK);
	assert_answer(model, "{\"instances\":[[0],[1]]}",
		      "{\"predictions\":[null,2.71828175],\"model\":{\"name\":\"model\","
		      "\"version\":\"\"}}");
	assert_answer(model, "{\"instances\":[[0],[1]],\"output\":\"margin\"}",
		      "{\"predictions\":[200,1],\"model\":{\"name\":\"model\",\"version\":\"\"}}");
	ck_assert_int_eq(appcore_format_value(text, sizeof(text), INFINITY), 4);
	ck_assert_str_eq(text, "null");
	ck_assert_int_eq(appcore_format_value(text, sizeof(text), -NAN), 4);
	ck_assert_str_eq(text, "null");
	ck_assert_int_eq(appcore_format_value(text, sizeof(text), -1.17549435e-38f), 15);
	ck_assert_str_eq(text, "-1.17549435e-38");
	appcore_model_unref(model);
}
END_TEST

START_TEST(test_iteration_range_in_requests)
{
	appcore_model *model = load(FIXTURES "binary_logistic.json");
	appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;
	const char *row =
	    "[17.99,10.38,122.8,1001,0.1184,0.2776,0.3001,0.1471,0.2419,0.07871,1.095,"
	    "0.9053,8.589,153.4,0.006399,0.04904,0.05373,0.01587,0.03003,0.006193,"
	    "25.38,17.33,184.6,2019,0.1622,0.6656,0.7119,0.2654,0.4601,0.1189]";
	char body[1024], *all, *first, *by_option, *tail;
	float margin_all[1], margin_first[1], values[30];
	appcore_error err;

	ck_assert_int_eq(appcore_predict_parse_row(values, model, row, strlen(row), &err),
			 APPCORE_OK);
	snprintf(body, sizeof(body), "{\"instances\":[%s],\"output\":\"margin\"}", row);
	all = answer(model, body, NULL);
	snprintf(body, sizeof(body),
		 "{\"instances\":[%s],\"output\":\"margin\",\"iteration_range\":[0,3]}", row);
	first = answer(model, body, NULL);
	ck_assert_str_ne(all, first);
	/* the same numbers as the C API with the same range */
	options.output = APPCORE_OUTPUT_MARGIN;
	ck_assert_int_eq(appcore_predict(margin_all, model, values, 1, &options, &err), APPCORE_OK);
	options.iteration_end = 3;
	ck_assert_int_eq(appcore_predict(margin_first, model, values, 1, &options, &err),
			 APPCORE_OK);
	snprintf(body, sizeof(body), "{\"predictions\":[%.9g],", (double)margin_first[0]);
	ck_assert_msg(strncmp(first, body, strlen(body)) == 0, "%s vs %s", first, body);
	snprintf(body, sizeof(body), "{\"predictions\":[%.9g],", (double)margin_all[0]);
	ck_assert_msg(strncmp(all, body, strlen(body)) == 0, "%s vs %s", all, body);
	/* a default range in the options applies when the request names none */
	snprintf(body, sizeof(body), "{\"instances\":[%s]}", row);
	by_option = answer(model, body, &options);
	ck_assert_str_eq(by_option, first);
	/* the last rounds alone */
	snprintf(body, sizeof(body),
		 "{\"instances\":[%s],\"output\":\"margin\",\"iteration_range\":[3,10]}", row);
	tail = answer(model, body, NULL);
	ck_assert_str_ne(tail, all);
	appcore_free(all);
	appcore_free(first);
	appcore_free(by_option);
	appcore_free(tail);
	appcore_model_unref(model);
}
END_TEST

/* body of n iris rows; the last written as an object when `object_last` (which sends the
 * whole request down the general path, block by block). */
static size_t many_rows(char *body, size_t n, int object_last)
{
	size_t len = (size_t)sprintf(body, "{\"instances\":[");

	for (size_t i = 0; i < n; i++) {
		if (object_last && i == n - 1)
			len += (size_t)sprintf(body + len,
					       ",{\"sepal_length\":%zu,\"sepal_width\":1,"
					       "\"petal_length\":2.5,\"petal_width\":null}",
					       i % 7);
		else
			len +=
			    (size_t)sprintf(body + len, "%s[%zu,1,2.5,null]", i ? "," : "", i % 7);
	}
	return len + (size_t)sprintf(body + len, "]}");
}

START_TEST(test_many_rows_in_blocks)
{
	/* more rows than one block of the general path: its answer is the fast path's */
	appcore_model *model = load(IRIS);
	appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;
	appcore_response fast, general;
	appcore_error err;
	const size_t n = 70000;
	char *body = malloc(n * 80);
	size_t len;

	options.max_batch_rows = 0;
	len = many_rows(body, n, 0);
	ck_assert_int_eq(appcore_predict_json(&fast, model, body, len, &options, &err), APPCORE_OK);
	len = many_rows(body, n, 1);
	ck_assert_int_eq(appcore_predict_json(&general, model, body, len, &options, &err),
			 APPCORE_OK);
	ck_assert_uint_eq(fast.rows, n);
	ck_assert_uint_eq(general.rows, n);
	ck_assert_str_eq(general.body, fast.body);
	appcore_response_dispose(&fast);
	appcore_response_dispose(&general);
	free(body);
	appcore_model_unref(model);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("predict");
	TCase *tc = tcase_create("protocol");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_exact_body);
	tcase_add_test(tc, test_numbers_round_trip);
	tcase_add_test(tc, test_object_rows_match_array_rows);
	tcase_add_test(tc, test_output_kinds);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_request_errors);
	tcase_add_test(tc, test_error_json_body);
	tcase_add_test(tc, test_parse_row);
	tcase_add_test(tc, test_concurrent_predictions);
	tcase_add_test(tc, test_nan_is_missing);
	tcase_add_test(tc, test_non_finite_predictions_are_null);
	tcase_add_test(tc, test_iteration_range_in_requests);
	tcase_add_test(tc, test_many_rows_in_blocks);
	suite_add_tcase(s, tc);
	return s;
}
