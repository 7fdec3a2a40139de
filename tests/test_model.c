/* Model loading and prediction: XGBoost fixtures, metadata, and every kind of bad model. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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

#define FIXTURES TEST_SOURCE_DIR "/tests/fixtures/models/"

static appcore_model *load_fixture(const char *name)
{
	char path[512];
	appcore_error err = { 0 };
	appcore_model *model = NULL;

	snprintf(path, sizeof(path), FIXTURES "%s.json", name);
	ck_assert_msg(appcore_model_load_file(&model, path, NULL, &err) == APPCORE_OK, "%s: %s",
		      name, err.message);
	return model;
}

static char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)size + 1);
	ck_assert(fread(buf, 1, (size_t)size, f) == (size_t)size);
	buf[size] = '\0';
	fclose(f);
	*len = (size_t)size;
	return buf;
}

/* Within the tolerances: 1e-6 absolute for probabilities, 1e-5 relative otherwise. */
static void assert_close(const char *what, size_t i, float got, double want, int probability)
{
	double diff = fabs((double)got - want);
	int ok = probability ? diff <= 1e-6 : diff <= 1e-5 * fabs(want);

	ck_assert_msg(ok, "%s[%zu]: appcore %.9g, xgboost %.9g", what, i, (double)got, want);
}

static void compare_with_xgboost(const char *model_name, const char *cases_name)
{
	char path[512];
	json_error_t jerr;
	appcore_model *model = load_fixture(model_name);
	json_t *cases;
	const json_t *rows, *expected;
	size_t n, nf, k;
	float *input, *out;
	int probability;

	snprintf(path, sizeof(path), FIXTURES "%s.cases.json", cases_name);
	cases = json_load_file(path, 0, &jerr);
	ck_assert_msg(cases != NULL, "%s: %s", path, jerr.text);
	rows = json_object_get(cases, "rows");
	n = json_array_size(rows);
	nf = appcore_model_num_features(model);
	k = (size_t)json_integer_value(json_object_get(cases, "num_outputs"));
	probability = json_is_true(json_object_get(cases, "probability"));
	ck_assert_uint_gt(n, 10);
	ck_assert_uint_eq(appcore_model_num_outputs(model), k);
	input = malloc(n * nf * sizeof(float));
	for (size_t r = 0; r < n; r++) {
		const json_t *row = json_array_get(rows, r);

		ck_assert_uint_eq(json_array_size(row), nf);
		for (size_t f = 0; f < nf; f++) {
			const json_t *v = json_array_get(row, f);
			input[r * nf + f] = json_is_null(v) ? NAN : (float)json_number_value(v);
		}
	}
	for (int kind = 0; kind < 2; kind++) {
		size_t width = appcore_model_output_size(model, (appcore_output_kind)kind);
		appcore_error err = { 0 };

		expected = json_object_get(cases, kind == 0 ? "value" : "margin");
		ck_assert_uint_eq(json_array_size(expected), n * width);
		out = malloc(n * width * sizeof(float));
		ck_assert_int_eq(
		    predict_kind(model, input, n, (appcore_output_kind)kind, out, &err),
		    APPCORE_OK);
		for (size_t i = 0; i < n * width; i++) {
			char what[96];

			snprintf(what, sizeof(what), "%s %s", model_name, kind == 0 ? "value" : "margin");
			assert_close(what, i, out[i], json_number_value(json_array_get(expected, i)),
				     kind == 0 && probability);
		}
		/* one row at a time gives the same numbers as the batch */
		for (size_t r = 0; r < n; r += 7) {
			float single[16];

			ck_assert_uint_le(width, 16);
			ck_assert_int_eq(predict_kind(model, input + r * nf, 1,
						      (appcore_output_kind)kind, single, &err),
					 APPCORE_OK);
			ck_assert_mem_eq(single, out + r * width, width * sizeof(float));
		}
		free(out);
	}
	free(input);
	json_decref(cases);
	appcore_model_unref(model);
}

static const char *const fixtures[] = {
	"binary_logistic", "binary_missing", "reg_logistic", "binary_logitraw", "binary_hinge",
	"reg_squarederror", "reg_squaredlogerror", "reg_pseudohubererror", "reg_absoluteerror",
	"count_poisson", "reg_gamma", "reg_tweedie", "multi_softprob", "multi_softmax",
	"rank_pairwise", "rank_ndcg", "rank_map", "survival_cox", "survival_aft", "dart",
	"gblinear", "gblinear_softprob", "random_forest", "categorical",
};

START_TEST(test_fixture_matches_xgboost)
{
	compare_with_xgboost(fixtures[_i], fixtures[_i]);
}
END_TEST

/* Copies hand-edited to XGBoost 3.1's "[...]" base_score form predict the same. */
START_TEST(test_base_score_vector_form)
{
	compare_with_xgboost("binary_logistic_bs31", "binary_logistic");
	compare_with_xgboost("multi_softprob_bs31", "multi_softprob");
}
END_TEST


/* A small valid model; tests break one thing at a time. */
static const char good_model[] =
	"{\"learner\":{\"feature_names\":[],\"feature_types\":[],\"gradient_booster\":{\"model\":{"
	"\"gbtree_model_param\":{\"num_parallel_tree\":\"1\",\"size_leaf_vector\":\"0\"},"
	"\"tree_info\":[0],\"trees\":[{\"left_children\":[1,-1,-1],\"right_children\":[2,-1,-1],"
	"\"split_indices\":[1,0,0],\"split_conditions\":[0.5,-1.0,2.0],\"default_left\":[1,0,0],"
	"\"split_type\":[0,0,0]}]},\"name\":\"gbtree\"},\"learner_model_param\":{\"base_score\":"
	"\"5E-1\",\"num_class\":\"0\",\"num_feature\":\"2\",\"num_target\":\"1\"},\"objective\":"
	"{\"name\":\"reg:squarederror\"}},\"version\":[1,7,4]}";

static int load_variant_with(appcore_model **model, const char *old, const char *new_text,
			     const appcore_model_load_options *options, appcore_error *err)
{
	char text[sizeof(good_model) + 256];
	const char *at = strstr(good_model, old);
	int rc;

	ck_assert_msg(at != NULL, "template lacks %s", old);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - good_model), good_model, new_text,
		 at + strlen(old));
	*model = NULL;
	rc = appcore_model_load_buffer(model, text, strlen(text), options, err);
	if (rc != APPCORE_OK)
		ck_assert_ptr_null(*model);
	return rc;
}

static int load_variant(appcore_model **model, const char *old, const char *new_text,
			appcore_error *err)
{
	return load_variant_with(model, old, new_text, NULL, err);
}

START_TEST(test_good_model_predicts)
{
	appcore_model *model = NULL;
	appcore_error err = { 0 };
	const float rows[] = { 0.0f, 0.25f, 0.0f, 0.5f, 0.0f, NAN };
	float out[3];

	ck_assert_int_eq(load_variant(&model, "", "", &err), APPCORE_OK);
	ck_assert_int_eq(predict_kind(model, rows, 3, APPCORE_OUTPUT_VALUE, out, &err), APPCORE_OK);
	/* x < split goes left; equal goes right; missing follows default_left */
	ck_assert_float_eq(out[0], 0.5f - 1.0f);
	ck_assert_float_eq(out[1], 0.5f + 2.0f);
	ck_assert_float_eq(out[2], 0.5f - 1.0f);
	appcore_model_unref(model);
}
END_TEST

static const struct bad_model {
	const char *old, *new_text;
	int code;
	const char *message;
} bad_models[] = {
	{ "{\"learner\":{", "{\"learner\":7,\"x\":{", APPCORE_EMODEL,
	  "model.learner: expected an object, got integer" },
	{ "{\"learner\"", "{\"lerner\"", APPCORE_EMODEL, "model.learner: missing" },
	{ "reg:squarederror", "reg:foo", APPCORE_EUNSUPPORTED,
	  "learner.objective.name: unsupported objective \"reg:foo\"" },
	{ "\"name\":\"gbtree\"", "\"name\":\"gbforest\"", APPCORE_EUNSUPPORTED,
	  "learner.gradient_booster.name: unsupported booster \"gbforest\"" },
	{ "\"num_feature\":\"2\"", "\"num_feature\":2", APPCORE_EMODEL,
	  "learner.learner_model_param.num_feature: expected a string, got integer" },
	{ "\"num_feature\":\"2\"", "\"num_feature\":\"2x\"", APPCORE_EMODEL,
	  "learner.learner_model_param.num_feature: expected an integer 0..536870911, got \"2x\"" },
	{ "\"num_feature\":\"2\"", "\"num_feature\":\"0\"", APPCORE_EMODEL,
	  "learner.learner_model_param.num_feature: the model has no features" },
	{ "\"5E-1\"", "\"[5E-1\"", APPCORE_EMODEL,
	  "learner.learner_model_param.base_score: expected a number or a [list] of numbers, got "
	  "\"[5E-1\"" },
	{ "\"5E-1\"", "\"half\"", APPCORE_EMODEL,
	  "learner.learner_model_param.base_score: expected a number or a [list] of numbers, got "
	  "\"half\"" },
	{ "\"5E-1\"", "\"[1,2]\"", APPCORE_EMODEL,
	  "learner.learner_model_param.base_score: \"[1,2]\" has more than 1 values" },
	{ "\"base_score\":\"5E-1\"", "\"base_score\":5E-1", APPCORE_EMODEL,
	  "learner.learner_model_param.base_score: expected a string, got number" },
	{ "reg:squarederror\"}", "binary:logistic\"}", APPCORE_OK, NULL },
	{ "\"5E-1\",\"num_class\":\"0\",\"num_feature\":\"2\",\"num_target\":\"1\"},\"objective\":"
	  "{\"name\":\"reg:squarederror\"}",
	  "\"1.5\",\"num_class\":\"0\",\"num_feature\":\"2\",\"num_target\":\"1\"},\"objective\":"
	  "{\"name\":\"binary:logistic\"}", APPCORE_EMODEL,
	  "learner.learner_model_param.base_score: 1.5 is outside the range of binary:logistic" },
	{ "reg:squarederror", "multi:softprob", APPCORE_EMODEL,
	  "learner.learner_model_param.num_class: multi:softprob needs num_class >= 1" },
	{ "\"left_children\":[1,-1,-1]", "\"left_children\":[7,-1,-1]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0]: node 0 has children 7 and 2; expected both -1 "
	  "or both in 0..2" },
	{ "\"left_children\":[1,-1,-1]", "\"left_children\":[1,-1,5]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0]: node 2 has children 5 and -1; expected both -1 "
	  "or both in 0..2" },
	{ "\"left_children\":[1,-1,-1],\"right_children\":[2,-1,-1]",
	  "\"left_children\":[1,0,-1],\"right_children\":[2,2,-1]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0]: node 0 is reached twice (cycle or shared "
	  "subtree)" },
	{ "\"left_children\":[1,-1,-1],\"right_children\":[2,-1,-1]",
	  "\"left_children\":[1,-1,-1],\"right_children\":[1,-1,-1]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0]: node 1 is reached twice (cycle or shared "
	  "subtree)" },
	{ "\"split_indices\":[1,0,0]", "\"split_indices\":[2,0,0]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].split_indices[0]: feature 2 is outside 0..1 "
	  "(num_feature 2)" },
	{ "\"split_indices\":[1,0,0]", "\"split_indices\":[-1,0,0]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].split_indices[0]: feature -1 is negative" },
	{ "[0.5,-1.0,2.0]", "[0.5,-1.0]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].split_conditions: 2 entries for 3 nodes" },
	{ "[0.5,-1.0,2.0]", "[0.5,\"x\",2.0]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].split_conditions[1]: expected a number, got "
	  "string" },
	{ "[0.5,-1.0,2.0]", "[NaN,-1.0,2.0]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].split_conditions[0]: expected a number, got NaN "
	  "or null" },
	{ "[0.5,-1.0,2.0]", "[0.5,-1.0,1e39]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].split_conditions[2]: 1e+39 is not a finite "
	  "float32" },
	{ "\"default_left\":[1,0,0]", "\"default_left\":[\"yes\",0,0]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].default_left[0]: expected an integer, got string" },
	{ "\"default_left\":[1,0,0]", "\"default_left\":[true,false,false]", APPCORE_OK, NULL },
	{ "\"left_children\":[1,-1,-1],", "", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].left_children: missing" },
	{ "\"left_children\":[1,-1,-1]", "\"left_children\":[]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].left_children: empty tree" },
	{ "\"split_type\":[0,0,0]", "\"split_type\":[1,0,0]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0]: node 0 is a categorical split but the tree has "
	  "no categories arrays" },
	{ "\"split_type\":[0,0,0]",
	  "\"split_type\":[1,0,0],\"categories\":[3],\"categories_nodes\":[1],"
	  "\"categories_segments\":[0],\"categories_sizes\":[1]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0]: node 0 is a categorical split missing from "
	  "categories_nodes" },
	{ "\"split_type\":[0,0,0]",
	  "\"split_type\":[1,0,0],\"categories\":[3],\"categories_nodes\":[0],"
	  "\"categories_segments\":[0],\"categories_sizes\":[2]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0]: categories segment 0+2 of node 0 is outside "
	  "categories (1 entries)" },
	{ "\"split_type\":[0,0,0]",
	  "\"split_type\":[1,0,0],\"categories\":[-3],\"categories_nodes\":[0],"
	  "\"categories_segments\":[0],\"categories_sizes\":[1]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].categories[0]: category -3 is outside "
	  "0..16777215" },
	{ "\"split_type\":[0,0,0]", "\"split_type\":[2,0,0]", APPCORE_EUNSUPPORTED,
	  "learner.gradient_booster.model: trees[0].split_type[0]: unknown split type 2" },
	{ "\"tree_info\":[0]", "\"tree_info\":[1]", APPCORE_EMODEL,
	  "learner.gradient_booster.model.tree_info[0]: expected an output group 0..0" },
	{ "\"tree_info\":[0]", "\"tree_info\":[0,0]", APPCORE_EMODEL,
	  "learner.gradient_booster.model.tree_info: 2 entries for 1 trees" },
	/* XGBoost 1.x's gbtree_model_param.size_leaf_vector was never used: vector leaves are
	 * per tree (tree_param) */
	{ "\"size_leaf_vector\":\"0\"", "\"size_leaf_vector\":\"3\"", APPCORE_OK, NULL },
	{ "\"split_type\":[0,0,0]", "\"split_type\":[0,0,0],\"tree_param\":{\"size_leaf_vector\":\"3\"}",
	  APPCORE_EMODEL, "learner.gradient_booster.model: trees[0].base_weights: missing" },
	{ "\"trees\":[{", "\"trees\":[7,{", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0]: expected an object, got integer" },
	{ "\"tree_info\":[0],\"trees\":[{", "\"tree_info\":[0,0],\"trees\":[7,{", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0]: expected an object, got integer" },
	{ "\"feature_names\":[]", "\"feature_names\":[\"a\"]", APPCORE_EMODEL,
	  "learner.feature_names: 1 entries for 2 features" },
	{ "\"feature_names\":[]", "\"feature_names\":[\"a\",\"a\"]", APPCORE_EMODEL,
	  "learner.feature_names: \"a\" appears twice" },
	{ "\"feature_names\":[]", "\"feature_names\":[\"a\",1]", APPCORE_EMODEL,
	  "learner.feature_names[1]: expected a string, got integer" },
	/* newer XGBoost versions add keys; they are ignored */
	{ "\"feature_names\":[]", "\"future\":{\"x\":[1,2]},\"feature_names\":[]", APPCORE_OK, NULL },
	{ "\"version\":[1,7,4]", "\"version\":\"1.7\"", APPCORE_OK, NULL },
};

START_TEST(test_bad_model)
{
	const struct bad_model *bad = &bad_models[_i];
	appcore_model *model = NULL;
	appcore_error err = { 0 };
	int rc = load_variant(&model, bad->old, bad->new_text, &err);

	ck_assert_msg(rc == bad->code, "case %d: got %s: %s", _i, appcore_error_name(rc), err.message);
	if (bad->message != NULL)
		ck_assert_str_eq(err.message, bad->message);
	appcore_model_unref(model);
}
END_TEST

START_TEST(test_gblinear_weights_checked)
{
	static const char text[] =
		"{\"learner\":{\"gradient_booster\":{\"model\":{\"weights\":[1,2,3,4]},\"name\":"
		"\"gblinear\"},\"learner_model_param\":{\"base_score\":\"5E-1\",\"num_class\":\"0\","
		"\"num_feature\":\"2\",\"num_target\":\"1\"},\"objective\":{\"name\":"
		"\"reg:squarederror\"}}}";
	appcore_model *model = NULL;
	appcore_error err = { 0 };

	ck_assert_int_eq(appcore_model_load_buffer(&model, text, strlen(text), NULL, &err),
			 APPCORE_EMODEL);
	ck_assert_str_eq(err.message, "learner.gradient_booster.model.weights: 4 entries, expected "
				      "(num_feature + 1) * 1 = 3");
}
END_TEST

START_TEST(test_not_json)
{
	appcore_model *model = NULL;
	appcore_error err = { 0 };

	ck_assert_int_eq(appcore_model_load_buffer(&model, good_model, 40, NULL, &err),
			 APPCORE_EMODEL);
	ck_assert_ptr_null(model);
	ck_assert_int_eq(err.line, 1);
	ck_assert_int_eq(err.column, 32);
	ck_assert_str_eq(err.message, "not valid JSON at line 1, column 32: unterminated string");
	ck_assert_int_eq(appcore_model_load_buffer(&model, "[1]", 3, NULL, &err), APPCORE_EMODEL);
	ck_assert_str_eq(err.message, "expected a JSON object at the top, got array");
	ck_assert_int_eq(appcore_model_load_buffer(&model, "", 0, NULL, &err), APPCORE_EMODEL);
	ck_assert_int_eq(appcore_model_load_buffer(&model, "{\"learner\":{}} x", 16, NULL, &err),
			 APPCORE_EMODEL);
	ck_assert_str_eq(err.message, "not valid JSON at line 1, column 16: end of input expected, "
				      "got 'x'");
}
END_TEST

START_TEST(test_deep_nesting_refused_before_parsing)
{
	appcore_model *model = NULL;
	appcore_error err = { 0 };
	char text[200];

	/* 65 levels: refused at the 65th */
	memcpy(text, "{\"a\":", 5);
	memset(text + 5, '[', 64);
	ck_assert_int_eq(appcore_model_load_buffer(&model, text, 69, NULL, &err), APPCORE_EMODEL);
	ck_assert_ptr_null(model);
	ck_assert_int_eq(err.line, 1);
	ck_assert_int_eq(err.column, 69);
	ck_assert_str_eq(err.message, "not valid JSON at line 1, column 69: nested deeper than 64 "
				      "levels");
	/* 64 levels are parsed (and found not to be a model); brackets in strings do not count */
	memcpy(text, "{\"a\\\"[{\":", 9);
	memset(text + 9, '[', 63);
	memset(text + 72, ']', 63);
	memcpy(text + 135, "}", 2);
	ck_assert_int_eq(appcore_model_load_buffer(&model, text, strlen(text), NULL, &err),
			 APPCORE_EMODEL);
	ck_assert_str_eq(err.message, "model.learner: missing");
}
END_TEST

/* Told apart by content: '{' then a length marker is UBJSON (tests/test_model_formats.c has
 * the rest). */
START_TEST(test_ubjson_detected)
{
	static const char ubj[] = "{L\0\0\0\0\0\0\0\x07learner{";
	appcore_model *model = NULL;
	appcore_error err = { 0 };

	ck_assert_int_eq(appcore_model_load_buffer(&model, ubj, sizeof(ubj) - 1, NULL, &err),
			 APPCORE_EMODEL);
	ck_assert_str_eq(err.message, "not valid UBJSON at byte 18: unexpected end of input");
	ck_assert_int_eq(err.line, 0);
}
END_TEST

START_TEST(test_missing_file)
{
	appcore_model *model = NULL;
	appcore_error err = { 0 };

	ck_assert_int_eq(appcore_model_load_file(&model, "/nonexistent/model.json", NULL, &err),
			 APPCORE_EIO);
	ck_assert_str_eq(err.message, "/nonexistent/model.json: cannot open: No such file or directory");
	ck_assert_int_eq(appcore_model_load_file(&model, FIXTURES "make_fixtures.py", NULL, &err),
			 APPCORE_EMODEL);
	ck_assert_str_eq(err.message, FIXTURES "make_fixtures.py: not valid JSON at line 1, column 1: "
					      "expected a value, got '#'");
}
END_TEST

/* Every truncation of a real model fails cleanly (the sanitizer build checks for overreads). */
START_TEST(test_truncated_models_fail_cleanly)
{
	size_t len;
	char *text = read_text(FIXTURES "categorical.json", &len);

	for (size_t cut = 0; cut < len; cut += 13) {
		appcore_model *model = NULL;
		appcore_error err = { 0 };
		int rc = appcore_model_load_buffer(&model, text, cut, NULL, &err);

		ck_assert_msg(rc == APPCORE_EMODEL, "cut at %zu: %s", cut, err.message);
		ck_assert_ptr_null(model);
	}
	free(text);
}
END_TEST

/* Digits flipped all over a real model: loads or fails, never crashes or reads out of bounds. */
START_TEST(test_mutated_models_never_crash)
{
	size_t len;
	char *text = read_text(FIXTURES "multi_softprob.json", &len);
	unsigned seed = 12345;

	for (int round = 0; round < 400; round++) {
		char *copy = malloc(len);
		appcore_model *model = NULL;

		memcpy(copy, text, len);
		for (int flips = 0; flips < 3; flips++) {
			size_t at;

			seed = seed * 1103515245u + 12345u;
			at = (seed >> 8) % len;
			if (copy[at] >= '0' && copy[at] <= '9')
				copy[at] = (char)('0' + (seed >> 4) % 10);
			else if (copy[at] == ',')
				copy[at] = '-';
		}
		if (appcore_model_load_buffer(&model, copy, len, NULL, NULL) == APPCORE_OK) {
			/* a mutation may change num_feature: size the buffers from the model */
			float *row = calloc(appcore_model_num_features(model), sizeof(float));
			float *out = calloc(appcore_model_num_outputs(model), sizeof(float));

			ck_assert_int_eq(
			    predict_kind(model, row, 1, APPCORE_OUTPUT_VALUE, out, NULL),
			    APPCORE_OK);
			free(row);
			free(out);
			appcore_model_unref(model);
		}
		free(copy);
	}
	free(text);
}
END_TEST

START_TEST(test_metadata)
{
	appcore_model *model = load_fixture("binary_missing");
	appcore_model_load_options options = APPCORE_MODEL_LOAD_OPTIONS_INIT;
	appcore_error err = { 0 };
	size_t index = 0;

	options.name = "cancer";
	options.model_version = "2024-06";
	ck_assert_str_eq(appcore_model_name(model), "binary_missing");
	ck_assert_str_eq(appcore_model_version(model), "");
	ck_assert_uint_eq(appcore_model_num_features(model), 30);
	ck_assert_uint_eq(appcore_model_num_outputs(model), 1);
	ck_assert_str_eq(appcore_model_feature_name(model, 0), "mean_radius");
	ck_assert_str_eq(appcore_model_feature_name(model, 29), "worst_fractal_dimension");
	ck_assert_ptr_null(appcore_model_feature_name(model, 30));
	ck_assert_ptr_null(appcore_model_feature_type(model, 0));
	ck_assert_str_eq(appcore_model_objective(model), "binary:logistic");
	ck_assert_str_eq(appcore_model_booster(model), "gbtree");
	ck_assert_uint_eq(appcore_model_num_trees(model), 15);
	ck_assert_str_eq(appcore_model_xgboost_version(model), "1.7.4");
	ck_assert_uint_eq(appcore_model_num_iterations(model), 15);
	ck_assert_int_eq(appcore_model_feature_index(&index, model, "worst_fractal_dimension"),
			 APPCORE_OK);
	ck_assert_uint_eq(index, 29);
	ck_assert_int_eq(appcore_model_feature_index(&index, model, "mean_radius"), APPCORE_OK);
	ck_assert_uint_eq(index, 0);
	ck_assert_int_eq(appcore_model_feature_index(&index, model, "mean radius"),
			 APPCORE_ENOTFOUND);
	ck_assert_uint_eq(index, 0);
	ck_assert_int_eq(appcore_model_feature_index(NULL, model, "mean_radius"), APPCORE_EINVAL);
	/* xgb.train records the last round of its evaluation as best_iteration */
	ck_assert_int_eq(appcore_model_best_iteration(&index, model), APPCORE_OK);
	ck_assert_uint_eq(index, 14);
	appcore_model_unref(model);

	/* the identity is fixed at load, from the options */
	ck_assert_int_eq(
	    appcore_model_load_file(&model, FIXTURES "binary_missing.json", &options, &err),
	    APPCORE_OK);
	ck_assert_str_eq(appcore_model_name(model), "cancer");
	ck_assert_str_eq(appcore_model_version(model), "2024-06");
	appcore_model_unref(model);
	options.name = "";
	ck_assert_int_eq(
	    appcore_model_load_file(&model, FIXTURES "binary_missing.json", &options, &err),
	    APPCORE_EINVAL);
	ck_assert_ptr_null(model);
	ck_assert_str_eq(err.message, "appcore_model_load_options: empty name");
	options.name = "bad\xff";
	ck_assert_int_eq(
	    appcore_model_load_file(&model, FIXTURES "binary_missing.json", &options, &err),
	    APPCORE_EINVAL);
	ck_assert_str_eq(err.message,
			 FIXTURES "binary_missing.json: model name and version must be "
				  "UTF-8 text");
	options.name = "cancer";
	options.version = 2;
	ck_assert_int_eq(
	    appcore_model_load_file(&model, FIXTURES "binary_missing.json", &options, &err),
	    APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "appcore_model_load_options: unknown version 2 (this library "
				      "knows 1..1)");
	ck_assert_int_eq(appcore_model_load_options_init(&options, 2), APPCORE_EINVAL);
	ck_assert_int_eq(appcore_model_load_options_init(&options, 1), APPCORE_OK);
	ck_assert_ptr_null(options.name);
	ck_assert_int_eq(options.use_best_iteration, 0);

	model = load_fixture("categorical");
	ck_assert_str_eq(appcore_model_feature_type(model, 1), "c");
	ck_assert_ptr_null(appcore_model_feature_name(model, 1));
	appcore_model_unref(model);

	model = load_fixture("multi_softmax");
	ck_assert_uint_eq(appcore_model_num_outputs(model), 1);
	ck_assert_uint_eq(appcore_model_output_size(model, APPCORE_OUTPUT_MARGIN), 3);
	ck_assert_uint_eq(appcore_model_num_trees(model), 30);
	appcore_model_unref(model);

	model = load_fixture("gblinear");
	ck_assert_str_eq(appcore_model_booster(model), "gblinear");
	ck_assert_uint_eq(appcore_model_num_trees(model), 0);
	appcore_model_unref(model);
}
END_TEST

START_TEST(test_info_json)
{
	appcore_model_load_options options = APPCORE_MODEL_LOAD_OPTIONS_INIT;
	appcore_model *model = NULL;
	appcore_error err = { 0 };
	char *text = NULL;
	size_t len = 0;

	options.name = "demo";
	options.model_version = "3";
	ck_assert_int_eq(load_variant_with(&model, "\"feature_names\":[]",
					   "\"feature_names\":[\"a\",\"b\\u00e9\"]", &options,
					   &err),
			 APPCORE_OK);
	ck_assert_int_eq(appcore_model_info_json(&text, &len, model, APPCORE_MODEL_INFO_FULL, &err),
			 APPCORE_OK);
	ck_assert_str_eq(text,
			 "{\"name\":\"demo\",\"version\":\"3\",\"xgboost_version\":\"1.7.4\","
			 "\"booster\":\"gbtree\",\"objective\":\"reg:squarederror\","
			 "\"num_features\":2,\"num_outputs\":1,\"num_class\":0,\"num_trees\":1,"
			 "\"num_parallel_tree\":1,\"num_iterations\":1,\"best_iteration\":null,"
			 "\"base_score\":[0.5],\"feature_names\":[\"a\",\"b\\u00E9\"],"
			 "\"feature_types\":null}");
	ck_assert_uint_eq(len, strlen(text));
	appcore_free(text);
	ck_assert_int_eq(
	    appcore_model_info_json(&text, &len, model, APPCORE_MODEL_INFO_SUMMARY, &err),
	    APPCORE_OK);
	ck_assert_str_eq(text, "{\"name\":\"demo\",\"version\":\"3\",\"objective\":"
			       "\"reg:squarederror\",\"num_features\":2,\"num_outputs\":1}");
	appcore_free(text);
	ck_assert_int_eq(
	    appcore_model_info_json(&text, NULL, model, APPCORE_MODEL_INFO_IDENTITY, &err),
	    APPCORE_OK);
	ck_assert_str_eq(text, "{\"name\":\"demo\",\"version\":\"3\"}");
	appcore_free(text);
	ck_assert_int_eq(appcore_model_info_json(&text, NULL, model, (appcore_model_info)9, &err),
			 APPCORE_EINVAL);
	ck_assert_ptr_null(text);
	appcore_model_unref(model);
}
END_TEST

/* src with its first `old` replaced by `new_text`, into out. */
static void substitute(char *out, size_t size, const char *src, const char *old,
		       const char *new_text)
{
	const char *at = strstr(src, old);

	ck_assert_msg(at != NULL, "template lacks %s", old);
	snprintf(out, size, "%.*s%s%s", (int)(at - src), src, new_text, at + strlen(old));
}

START_TEST(test_best_iteration)
{
	/* good_model with a first round added: a leaf of 10 before its one tree */
	static const char two_rounds[] =
	    "\"tree_info\":[0,0],\"trees\":[{\"left_children\":[-1],\"right_children\":[-1],"
	    "\"split_indices\":[0],\"split_conditions\":[10.0],\"default_left\":[0]},{";
	appcore_model_load_options options = APPCORE_MODEL_LOAD_OPTIONS_INIT;
	appcore_predict_options predict = APPCORE_PREDICT_OPTIONS_INIT;
	appcore_model *model = NULL;
	appcore_error err = { 0 };
	const float row[2] = { 0.0f, 1.0f };
	char text[sizeof(good_model) + 512], stopped[sizeof(text) + 64];
	float out[1] = { 0 };
	size_t best = 9;

	substitute(text, sizeof(text), good_model, "\"tree_info\":[0],\"trees\":[{", two_rounds);
	ck_assert_int_eq(appcore_model_load_buffer(&model, text, strlen(text), NULL, &err),
			 APPCORE_OK);
	ck_assert_uint_eq(appcore_model_num_iterations(model), 2);
	ck_assert_int_eq(appcore_predict(out, model, row, 1, NULL, &err), APPCORE_OK);
	/* base 0.5 + round 0 (10) + round 1 (x1 = 1 >= 0.5 goes right: 2) */
	ck_assert_float_eq(out[0], 12.5f);
	predict.iteration_end = 1;
	ck_assert_int_eq(appcore_predict(out, model, row, 1, &predict, &err), APPCORE_OK);
	ck_assert_float_eq(out[0], 10.5f);
	predict.iteration_begin = 1;
	predict.iteration_end = 2;
	ck_assert_int_eq(appcore_predict(out, model, row, 1, &predict, &err), APPCORE_OK);
	ck_assert_float_eq(out[0], 2.5f);
	predict.iteration_end = 3;
	ck_assert_int_eq(appcore_predict(out, model, row, 1, &predict, &err), APPCORE_EREQUEST);
	ck_assert_str_eq(err.message,
			 "iteration_range [1, 3) is not within the model's 2 iterations");
	predict.iteration_end = 1;
	ck_assert_int_eq(appcore_predict(out, model, row, 1, &predict, &err), APPCORE_EREQUEST);
	ck_assert_str_eq(err.message,
			 "iteration_range [1, 1) is not within the model's 2 iterations");
	ck_assert_int_eq(appcore_model_best_iteration(&best, model), APPCORE_ENOTFOUND);
	ck_assert_uint_eq(best, 9);
	appcore_model_unref(model);

	/* early stopping chose round 0: every round by default, as Booster.predict() ... */
	substitute(stopped, sizeof(stopped), text, "{\"learner\":{",
		   "{\"learner\":{\"attributes\":{\"best_iteration\":\"0\"},");
	ck_assert_int_eq(appcore_model_load_buffer(&model, stopped, strlen(stopped), NULL, &err),
			 APPCORE_OK);
	ck_assert_int_eq(appcore_model_best_iteration(&best, model), APPCORE_OK);
	ck_assert_uint_eq(best, 0);
	ck_assert_int_eq(appcore_predict(out, model, row, 1, NULL, &err), APPCORE_OK);
	ck_assert_float_eq(out[0], 12.5f);
	appcore_model_unref(model);
	/* ... and [0, best_iteration + 1) when asked to, as the scikit-learn wrapper */
	options.use_best_iteration = 1;
	ck_assert_int_eq(
	    appcore_model_load_buffer(&model, stopped, strlen(stopped), &options, &err),
	    APPCORE_OK);
	ck_assert_int_eq(appcore_predict(out, model, row, 1, NULL, &err), APPCORE_OK);
	ck_assert_float_eq(out[0], 10.5f);
	/* a caller's own range still wins */
	predict.iteration_begin = 0;
	predict.iteration_end = 2;
	ck_assert_int_eq(appcore_predict(out, model, row, 1, &predict, &err), APPCORE_OK);
	ck_assert_float_eq(out[0], 12.5f);
	appcore_model_unref(model);

	/* a best_iteration beyond the trees is refused when it would be used */
	substitute(stopped, sizeof(stopped), text, "{\"learner\":{",
		   "{\"learner\":{\"attributes\":{\"best_iteration\":\"2\"},");
	ck_assert_int_eq(
	    appcore_model_load_buffer(&model, stopped, strlen(stopped), &options, &err),
	    APPCORE_EMODEL);
	ck_assert_str_eq(err.message,
			 "learner.attributes.best_iteration: 2 is beyond the model's 2 "
			 "iterations");
}
END_TEST

START_TEST(test_refcount)
{
	appcore_model *model = load_fixture("binary_logistic");

	ck_assert_ptr_eq(appcore_model_ref(model), model);
	appcore_model_unref(model);
	ck_assert_uint_eq(appcore_model_num_features(model), 30);
	appcore_model_unref(model);
	appcore_model_unref(NULL);
	ck_assert_ptr_null(appcore_model_ref(NULL));
}
END_TEST

START_TEST(test_predict_arguments)
{
	appcore_model *model = load_fixture("binary_logistic");
	appcore_predict_options options;
	appcore_error err = { 0 };
	float out[1];

	ck_assert_int_eq(appcore_predict(out, model, NULL, 0, NULL, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_predict(out, model, NULL, 1, NULL, &err), APPCORE_EINVAL);
	ck_assert_int_eq(appcore_predict(out, NULL, out, 1, NULL, &err), APPCORE_EINVAL);
	ck_assert_int_eq(appcore_predict(NULL, model, out, 1, NULL, &err), APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "appcore_predict: NULL argument");
	ck_assert_int_eq(predict_kind(model, out, 1, (appcore_output_kind)7, out, &err),
			 APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "appcore_predict_options: unknown output kind 7");
	/* options from a newer header, or never initialised, are refused */
	ck_assert_int_eq(
	    appcore_predict_options_init(&options, APPCORE_PREDICT_OPTIONS_VERSION + 1),
	    APPCORE_EINVAL);
	memset(&options, 0, sizeof(options));
	ck_assert_int_eq(appcore_predict(out, model, out, 1, &options, &err), APPCORE_EINVAL);
	ck_assert_str_eq(err.message,
			 "appcore_predict_options: unknown version 0 (this library knows 1..2)");
	ck_assert_int_eq(appcore_predict_options_init(&options, APPCORE_PREDICT_OPTIONS_VERSION),
			 APPCORE_OK);
	ck_assert_int_eq(options.output, APPCORE_OUTPUT_VALUE);
	ck_assert_uint_eq(options.max_batch_rows, APPCORE_PREDICT_DEFAULT_MAX_BATCH_ROWS);
	ck_assert_int_eq(appcore_predict_options_init(NULL, 1), APPCORE_EINVAL);
	appcore_model_unref(model);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("xgboost");

	tcase_add_loop_test(tc, test_fixture_matches_xgboost, 0,
			    (int)(sizeof(fixtures) / sizeof(fixtures[0])));
	tcase_add_test(tc, test_base_score_vector_form);
	suite_add_tcase(s, tc);
	tc = tcase_create("load");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_good_model_predicts);
	tcase_add_loop_test(tc, test_bad_model, 0, (int)(sizeof(bad_models) / sizeof(bad_models[0])));
	tcase_add_test(tc, test_gblinear_weights_checked);
	tcase_add_test(tc, test_not_json);
	tcase_add_test(tc, test_deep_nesting_refused_before_parsing);
	tcase_add_test(tc, test_ubjson_detected);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_truncated_models_fail_cleanly);
	tcase_add_test(tc, test_mutated_models_never_crash);
	suite_add_tcase(s, tc);
	tc = tcase_create("api");
	tcase_add_test(tc, test_metadata);
	tcase_add_test(tc, test_info_json);
	tcase_add_test(tc, test_best_iteration);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_predict_arguments);
	suite_add_tcase(s, tc);
	return s;
}
