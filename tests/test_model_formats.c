/* XGBoost's file formats and releases (issue 11): every fixture with expectations, read as
 * JSON and UBJSON, from buffers, files, pipes and through tiny windows; iteration ranges and
 * best_iteration; legacy files refused; hostile JSON and UBJSON refused cleanly. */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "appcore.h"
#include "check_main.h"
#include "model/input.h"
#include "model/model_internal.h"
#include "model/reader.h"

/* appcore_predict() over boosting iterations [begin, end) ((0, 0): the model's default). */
static int predict_range(const appcore_model *model, const float *rows, size_t n,
			 appcore_output_kind kind, size_t begin, size_t end, float *out,
			 appcore_error *err)
{
	appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;

	options.output = kind;
	options.iteration_begin = begin;
	options.iteration_end = end;
	return appcore_predict(out, model, rows, n, &options, err);
}

#define FIXTURES TEST_SOURCE_DIR "/tests/fixtures/models/"

static char *read_all(const char *path, size_t *len)
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
	fclose(f);
	buf[size] = '\0';
	*len = (size_t)size;
	return buf;
}

/* Within the tolerances: 1e-6 absolute for probabilities, 1e-5 relative otherwise. */
static void assert_close(const char *what, size_t i, float got, double want, int probability)
{
	double diff = fabs((double)got - want);
	int ok = probability ? diff <= 1e-6 : diff <= 1e-5 * fabs(want);

	ck_assert_msg(ok, "%s[%zu]: appcore %.9g, expected %.9g", what, i, (double)got, want);
}

/* The fixture files that have expectations: NAME.json or NAME.ubj with NAME.cases.json. */
static char **fixture_files(size_t *count)
{
	DIR *dir = opendir(FIXTURES);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	ck_assert_ptr_nonnull(dir);
	while ((e = readdir(dir)) != NULL) {
		const char *dot = strrchr(e->d_name, '.');
		char cases[512];

		if (dot == NULL || strstr(e->d_name, ".cases.json") != NULL ||
		    (strcmp(dot, ".json") != 0 && strcmp(dot, ".ubj") != 0))
			continue;
		snprintf(cases, sizeof(cases), FIXTURES "%.*s.cases.json", (int)(dot - e->d_name),
			 e->d_name);
		if (access(cases, R_OK) != 0)
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n++] = strdup(e->d_name);
	}
	closedir(dir);
	*count = n;
	return names;
}

static json_t *cases_of(const char *file)
{
	char path[512];
	json_error_t jerr;
	json_t *cases;
	const char *dot = strrchr(file, '.');

	snprintf(path, sizeof(path), FIXTURES "%.*s.cases.json", (int)(dot - file), file);
	cases = json_load_file(path, 0, &jerr);
	ck_assert_msg(cases != NULL, "%s: %s", path, jerr.text);
	return cases;
}

static float *rows_of(const json_t *cases, size_t nf, size_t *n)
{
	const json_t *rows = json_object_get(cases, "rows");
	float *input;

	*n = json_array_size(rows);
	input = malloc(*n * nf * sizeof(float));
	for (size_t r = 0; r < *n; r++) {
		const json_t *row = json_array_get(rows, r);

		ck_assert_uint_eq(json_array_size(row), nf);
		for (size_t f = 0; f < nf; f++) {
			const json_t *v = json_array_get(row, f);

			input[r * nf + f] = json_is_null(v) ? NAN : (float)json_number_value(v);
		}
	}
	return input;
}

static void compare_outputs(const char *label, const appcore_model *model, const float *rows,
			    size_t n, const json_t *expected_value, const json_t *expected_margin,
			    size_t begin, size_t end, int probability)
{
	for (int kind = 0; kind < 2; kind++) {
		const json_t *expected = kind == 0 ? expected_value : expected_margin;
		size_t width = appcore_model_output_size(model, (appcore_output_kind)kind);
		float *out = malloc(n * width * sizeof(float));
		appcore_error err = { 0 };
		char what[160];
		int rc;

		snprintf(what, sizeof(what), "%s %s [%zu, %zu)", label, kind ? "margin" : "value",
			 begin, end);
		ck_assert_uint_eq(json_array_size(expected), n * width);
		if (begin == 0 && end == 0)
			rc = predict_range(model, rows, n, (appcore_output_kind)kind, 0, 0, out, &err);
		else
			rc = predict_range(model, rows, n, (appcore_output_kind)kind, begin,
						    end, out, &err);
		ck_assert_msg(rc == APPCORE_OK, "%s: %s", what, err.message);
		for (size_t i = 0; i < n * width; i++)
			assert_close(what, i, out[i], json_number_value(json_array_get(expected, i)),
				     kind == 0 && probability);
		free(out);
	}
}

/* Everything a cases file says about a model. */
static void check_model(const char *label, const appcore_model *model, const json_t *cases)
{
	const size_t nf = appcore_model_num_features(model);
	const int probability = json_is_true(json_object_get(cases, "probability"));
	const json_t *ranges = json_object_get(cases, "ranges");
	const json_t *iterations = json_object_get(cases, "num_iterations");
	const json_t *best = json_object_get(cases, "best_iteration");
	size_t n;
	float *rows = rows_of(cases, nf, &n);

	ck_assert_uint_gt(n, 10);
	ck_assert_uint_eq(appcore_model_num_outputs(model),
			  (size_t)json_integer_value(json_object_get(cases, "num_outputs")));
	compare_outputs(label, model, rows, n, json_object_get(cases, "value"),
			json_object_get(cases, "margin"), 0, 0, probability);
	for (size_t i = 0; i < json_array_size(ranges); i++) {
		const json_t *r = json_array_get(ranges, i);

		compare_outputs(label, model, rows, n, json_object_get(r, "value"),
				json_object_get(r, "margin"),
				(size_t)json_integer_value(json_object_get(r, "begin")),
				(size_t)json_integer_value(json_object_get(r, "end")), probability);
	}
	if (json_is_integer(iterations))
		ck_assert_uint_eq(ac_model_num_iterations(model), (size_t)json_integer_value(iterations));
	if (json_is_integer(best))
		ck_assert_int_eq(ac_model_best_iteration(model), (long)json_integer_value(best));
	free(rows);
}

static char **fixtures;
static size_t num_fixtures;

static void list_fixtures(void)
{
	fixtures = fixture_files(&num_fixtures);
}

/* Each fixture from its file (streamed through the default window) and from a buffer. */
START_TEST(test_fixture_matches_expectations)
{
	char path[512];
	appcore_model *model = NULL;
	appcore_error err = { 0 };
	json_t *cases;
	char *data;
	size_t len;

	/* a test that found nothing to check must fail, not pass */
	ck_assert_uint_ge(num_fixtures, 60);
	for (size_t i = 0; i < num_fixtures; i++) {
		snprintf(path, sizeof(path), FIXTURES "%s", fixtures[i]);
		cases = cases_of(fixtures[i]);
		ck_assert_msg(appcore_model_load_file(&model, path, NULL, &err) == APPCORE_OK, "%s: %s",
			      fixtures[i], err.message);
		check_model(fixtures[i], model, cases);
		appcore_model_unref(model);
		data = read_all(path, &len);
		ck_assert_msg(appcore_model_load_buffer(&model, data, len, NULL, &err) == APPCORE_OK, "%s: %s",
			      fixtures[i], err.message);
		check_model(fixtures[i], model, cases);
		appcore_model_unref(model);
		free(data);
		json_decref(cases);
	}
}
END_TEST

static appcore_model *parse_input(struct ac_input *in, appcore_error *err)
{
	appcore_model *m = calloc(1, sizeof(*m));

	atomic_init(&m->refs, 1);
	if (ac_model_parse(m, in, err) != APPCORE_OK) {
		ac_model_destroy(m);
		return NULL;
	}
	return m;
}

/* Predictions of a and b are bit-identical on the fixture's rows. */
static void assert_same_model(const char *label, const appcore_model *a, const appcore_model *b,
			      const json_t *cases)
{
	size_t n, nf = appcore_model_num_features(a);
	float *rows = rows_of(cases, nf, &n);
	size_t width = appcore_model_output_size(a, APPCORE_OUTPUT_MARGIN);
	float *x = malloc(n * width * sizeof(float)), *y = malloc(n * width * sizeof(float));

	ck_assert_uint_eq(appcore_model_num_features(b), nf);
	ck_assert_uint_eq(appcore_model_num_trees(a), appcore_model_num_trees(b));
	ck_assert_int_eq(predict_range(a, rows, n, APPCORE_OUTPUT_MARGIN, 0, 0, x, NULL), 0);
	ck_assert_int_eq(predict_range(b, rows, n, APPCORE_OUTPUT_MARGIN, 0, 0, y, NULL), 0);
	ck_assert_msg(memcmp(x, y, n * width * sizeof(float)) == 0, "%s differs", label);
	free(rows);
	free(x);
	free(y);
}

/* The sliding window at its smallest: every token straddles a refill somewhere. */
START_TEST(test_tiny_windows_read_the_same_model)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 1000 };

	for (size_t i = 0; i < num_fixtures; i += 3) {
		char path[512];
		appcore_model *whole = NULL;
		appcore_error err = { 0 };
		json_t *cases = cases_of(fixtures[i]);

		snprintf(path, sizeof(path), FIXTURES "%s", fixtures[i]);
		ck_assert_int_eq(appcore_model_load_file(&whole, path, NULL, &err), APPCORE_OK);
		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			struct ac_input in;
			int fd = open(path, O_RDONLY);
			appcore_model *m;
			char label[600];

			ck_assert_int_ge(fd, 0);
			ck_assert_int_eq(ac_input_init_fd(&in, fd, chunks[c], (uint64_t)1 << 31, &err),
					 APPCORE_OK);
			m = parse_input(&in, &err);
			ck_assert_msg(m != NULL, "%s, window %zu: %s", fixtures[i], chunks[c],
				      err.message);
			snprintf(label, sizeof(label), "%s through a %zu-byte window", fixtures[i],
				 chunks[c]);
			assert_same_model(label, whole, m, cases);
			ac_model_destroy(m);
			ac_input_free(&in);
			close(fd);
		}
		appcore_model_unref(whole);
		json_decref(cases);
	}
}
END_TEST

/* A pipe has no size to bound allocations by: the limit does, and reading stops there. */
START_TEST(test_pipe_input)
{
	const char *names[] = { "dart_v34.ubj", "categorical.json" };

	for (size_t i = 0; i < 2; i++) {
		char path[512];
		size_t len;
		char *data;
		int fds[2];
		struct ac_input in;
		appcore_error err = { 0 };
		appcore_model *m, *whole = NULL;
		json_t *cases = cases_of(names[i]);

		snprintf(path, sizeof(path), FIXTURES "%s", names[i]);
		data = read_all(path, &len);
		ck_assert_uint_lt(len, 60000); /* fits in the pipe's buffer */
		ck_assert_int_eq(pipe(fds), 0);
		ck_assert_int_eq(write(fds[1], data, len), (ssize_t)len);
		close(fds[1]);
		ck_assert_int_eq(ac_input_init_fd(&in, fds[0], 4096, (uint64_t)1 << 31, &err), 0);
		m = parse_input(&in, &err);
		ck_assert_msg(m != NULL, "%s: %s", names[i], err.message);
		ck_assert_int_eq(appcore_model_load_file(&whole, path, NULL, &err), APPCORE_OK);
		assert_same_model(names[i], whole, m, cases);
		ac_model_destroy(m);
		ac_input_free(&in);
		close(fds[0]);

		/* the same stream with a limit below its length: refused, not cut short */
		ck_assert_int_eq(pipe(fds), 0);
		ck_assert_int_eq(write(fds[1], data, len), (ssize_t)len);
		close(fds[1]);
		ck_assert_int_eq(ac_input_init_fd(&in, fds[0], 4096, len - 1, &err), 0);
		ck_assert_ptr_null(parse_input(&in, &err));
		ck_assert_int_eq(err.code, APPCORE_EMODEL);
		ck_assert_msg(strstr(err.message, "larger than") != NULL, "%s", err.message);
		ac_input_free(&in);
		close(fds[0]);
		appcore_model_unref(whole);
		json_decref(cases);
		free(data);
	}
}
END_TEST

/* Content decides, never the name: JSON in a .ubj file and UBJSON in a .json file load. */
START_TEST(test_format_by_content)
{
	const char *pairs[][2] = { { "binary_logistic.json", "swapped.ubj" },
				   { "binary_logistic.ubj", "swapped.json" } };
	json_t *cases = cases_of("binary_logistic.json");

	for (size_t i = 0; i < 2; i++) {
		char src[512], dst[512];
		size_t len;
		char *data;
		FILE *f;
		appcore_model *model = NULL;
		appcore_error err = { 0 };
		char tmp[] = "/tmp/appcore-formats-XXXXXX";

		ck_assert_ptr_nonnull(mkdtemp(tmp));
		snprintf(src, sizeof(src), FIXTURES "%s", pairs[i][0]);
		snprintf(dst, sizeof(dst), "%s/%s", tmp, pairs[i][1]);
		data = read_all(src, &len);
		f = fopen(dst, "wb");
		ck_assert_uint_eq(fwrite(data, 1, len, f), len);
		fclose(f);
		ck_assert_msg(appcore_model_load_file(&model, dst, NULL, &err) == APPCORE_OK, "%s",
			      err.message);
		/* the name drops .json and .ubj alike */
		ck_assert_str_eq(appcore_model_name(model), "swapped");
		check_model(dst, model, cases);
		appcore_model_unref(model);
		unlink(dst);
		rmdir(tmp);
		free(data);
	}
	json_decref(cases);
}
END_TEST

START_TEST(test_legacy_files_refused_with_a_hint)
{
	static const char *const files[] = { "legacy_binf.model", "legacy_raw.model" };
	appcore_model *model = NULL;
	appcore_error err = { 0 };
	char path[512], want[1024];

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), FIXTURES "%s", files[i]);
		ck_assert_int_eq(appcore_model_load_file(&model, path, NULL, &err), APPCORE_EUNSUPPORTED);
		ck_assert_ptr_null(model);
		snprintf(want, sizeof(want), "%s: this is a legacy binary XGBoost model (written "
			 "before XGBoost 1.0, or by 1.x for a file name not ending in .json or .ubj); "
			 "appcore reads JSON and UBJSON models: load it with "
			 "xgboost.Booster(model_file=...) and save it with "
			 "booster.save_model(\"model.json\") or (\"model.ubj\")", path);
		ck_assert_str_eq(err.message, want);
	}
	/* a pickle / save_raw() memory snapshot: {"Config": ..., "Model": ...} */
	ck_assert_int_eq(appcore_model_load_file(&model, FIXTURES "snapshot.bin", NULL, &err),
			 APPCORE_EUNSUPPORTED);
	ck_assert_str_eq(err.message, FIXTURES "snapshot.bin: this is an XGBoost memory snapshot "
				      "(pickle or Booster.save_raw()), not a model file: save the model "
				      "with booster.save_model(\"model.json\") or (\"model.ubj\")");
	ck_assert_int_eq(appcore_model_load_buffer(&model, "CONFIG-offset:\0\0\0\0", 18, NULL, &err),
			 APPCORE_EUNSUPPORTED);
	ck_assert_msg(strstr(err.message, "memory snapshot") != NULL, "%s", err.message);
	/* a JSON document that is not an XGBoost model */
	ck_assert_int_eq(appcore_model_load_buffer(&model, "{\"a\":[1,2]}", 11, NULL, &err),
			 APPCORE_EMODEL);
	ck_assert_str_eq(err.message, "model.learner: missing");
	ck_assert_int_eq(appcore_model_load_file(&model, FIXTURES, NULL, &err), APPCORE_EIO);
}
END_TEST

START_TEST(test_iteration_range_arguments)
{
	appcore_model *model = NULL;
	appcore_error err = { 0 };
	float row[30] = { 0 }, out[3];

	ck_assert_int_eq(appcore_model_load_file(&model, FIXTURES "early_stopping.json", NULL, &err), 0);
	ck_assert_uint_gt(ac_model_num_iterations(model), 5);
	ck_assert_int_ge(ac_model_best_iteration(model), 0);
	ck_assert_int_eq(predict_range(model, row, 1, APPCORE_OUTPUT_VALUE, 3, 2, out,
						&err), APPCORE_EREQUEST);
	ck_assert_msg(strstr(err.message, "is not within the model's") != NULL, "%s", err.message);
	ck_assert_int_eq(predict_range(model, row, 1, APPCORE_OUTPUT_VALUE, 0,
						ac_model_num_iterations(model) + 1, out, &err),
			 APPCORE_EREQUEST);
	/* (0, 0) is all trees, like appcore_model_predict; (0, num_iterations) too */
	{
		float all[1], zero[1], full[1];

		ck_assert_int_eq(predict_range(model, row, 1, APPCORE_OUTPUT_MARGIN, 0, 0, all, NULL),
				 0);
		ck_assert_int_eq(predict_range(model, row, 1, APPCORE_OUTPUT_MARGIN, 0, 0,
							zero, NULL), 0);
		ck_assert_int_eq(predict_range(model, row, 1, APPCORE_OUTPUT_MARGIN, 0,
							ac_model_num_iterations(model), full, NULL),
				 0);
		ck_assert_float_eq(all[0], zero[0]);
		ck_assert_float_eq(all[0], full[0]);
	}
	ck_assert_int_eq(predict_range(NULL, row, 1, APPCORE_OUTPUT_VALUE, 0, 0, out, &err),
			 APPCORE_EINVAL);
	appcore_model_unref(model);

	ck_assert_int_eq(appcore_model_load_file(&model, FIXTURES "gblinear.json", NULL, &err), 0);
	ck_assert_uint_eq(ac_model_num_iterations(model), 20);
	ck_assert_int_eq(predict_range(model, row, 1, APPCORE_OUTPUT_VALUE, 1, 3, out, &err),
			 APPCORE_EREQUEST);
	ck_assert_str_eq(err.message, "iteration_range [1, 3): a gblinear model predicts with all "
				      "its weights; the range must start at 0");
	appcore_model_unref(model);

	/* no best_iteration attribute: -1 */
	ck_assert_int_eq(appcore_model_load_file(&model, FIXTURES "mot_v32.json", NULL, &err), 0);
	ck_assert_int_eq(ac_model_best_iteration(model), -1);
	ck_assert_str_eq(appcore_model_xgboost_version(model), "3.2.0");
	appcore_model_unref(model);
}
END_TEST

/* ---- hostile and malformed documents ---------------------------------------------------- */

static int load_text(const char *text, size_t len, appcore_error *err)
{
	appcore_model *model = NULL;
	int rc = appcore_model_load_buffer(&model, text, len, NULL, err);

	if (rc == APPCORE_OK) {
		float row[4] = { 0 }, out[4];

		ck_assert_int_eq(predict_range(model, row, 1, APPCORE_OUTPUT_VALUE, 0, 0, out, NULL),
				 0);
	} else {
		ck_assert_ptr_null(model);
	}
	appcore_model_unref(model);
	return rc;
}

/* A valid two-feature model around one tree, JSON; cases replace one part. */
static const char json_model[] =
	"{\"learner\":{\"attributes\":{},\"feature_names\":[\"a\",\"b\"],\"feature_types\":[],"
	"\"gradient_booster\":{\"model\":{\"gbtree_model_param\":{\"num_parallel_tree\":\"1\"},"
	"\"tree_info\":[0],\"trees\":[{\"left_children\":[1,-1,-1],\"right_children\":[2,-1,-1],"
	"\"split_indices\":[1,0,0],\"split_conditions\":[0.5,-1.0,2.0],\"default_left\":[1,0,0],"
	"\"split_type\":[0,0,0]}]},\"name\":\"gbtree\"},\"learner_model_param\":{\"base_score\":"
	"\"5E-1\",\"num_class\":\"0\",\"num_feature\":\"2\",\"num_target\":\"1\"},\"objective\":"
	"{\"name\":\"reg:squarederror\"}},\"version\":[3,4,1]}";

static int variant(const char *old, const char *new_text, appcore_error *err)
{
	char text[sizeof(json_model) + 512];
	const char *at = strstr(json_model, old);

	ck_assert_msg(at != NULL, "template lacks %s", old);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - json_model), json_model, new_text,
		 at + strlen(old));
	return load_text(text, strlen(text), err);
}

static const struct json_case {
	const char *old, *new_text;
	int code;
	const char *message;
} json_cases[] = {
	{ "", "", APPCORE_OK, NULL },
	/* XGBoost's NaN and subnormals; NaN where a value is used is refused */
	{ "[0.5,-1.0,2.0]", "[1E-45,-1.0,2.0]", APPCORE_OK, NULL },
	{ "[0.5,-1.0,2.0]", "[0.5,NaN,2.0]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].split_conditions[1]: expected a number, got NaN "
	  "or null" },
	{ "[0.5,-1.0,2.0]", "[0.5,-NaN,2.0]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].split_conditions[1]: expected a number, got NaN "
	  "or null" },
	{ "[0.5,-1.0,2.0]", "[0.5,-Infinity,2.0]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].split_conditions[1]: -inf is not a finite "
	  "float32" },
	{ "[0.5,-1.0,2.0]", "[0.5,-1.0,nan]", APPCORE_EMODEL,
	  "not valid JSON at line 1, column 282: invalid number or unexpected 'n'" },
	{ "[0.5,-1.0,2.0]", "[0.5,-1.0,2.0,]", APPCORE_EMODEL,
	  "not valid JSON at line 1, column 286: trailing comma" },
	{ "[0.5,-1.0,2.0]", "[0.5,-1.0,02]", APPCORE_EMODEL,
	  "not valid JSON at line 1, column 282: invalid number or unexpected '0'" },
	{ "[1,-1,-1],\"right", "[1,-1,-1.5],\"right", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].left_children[2]: expected an integer, got "
	  "number" },
	{ "[1,-1,-1],\"right", "[1,-1,3000000000],\"right", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].left_children[2]: 3000000000 is out of range" },
	/* duplicate members of what appcore reads */
	{ "\"tree_info\":[0]", "\"tree_info\":[0],\"tree_info\":[0]", APPCORE_EMODEL,
	  "learner.gradient_booster.model: duplicate key \"tree_info\"" },
	{ "\"split_type\":[0,0,0]", "\"split_type\":[0,0,0],\"left_children\":[1,-1,-1]",
	  APPCORE_EMODEL, "learner.gradient_booster.model: trees[0]: duplicate key \"left_children\"" },
	{ "\"name\":\"gbtree\"", "\"name\":\"gbtree\",\"name\":\"gbtree\"", APPCORE_EMODEL,
	  "learner.gradient_booster: duplicate key \"name\"" },
	/* strings: escapes decoded, UTF-8 checked */
	{ "[\"a\",\"b\"]", "[\"\\u00e9\\ud83d\\ude00\",\"b\\\"\\\\\\/\\n\"]", APPCORE_OK, NULL },
	{ "[\"a\",\"b\"]", "[\"\\ud83d\",\"b\"]", APPCORE_EMODEL,
	  "not valid JSON at line 1, column 47: invalid escape in a string" },
	{ "[\"a\",\"b\"]", "[\"\\u0000\",\"b\"]", APPCORE_EMODEL,
	  "not valid JSON at line 1, column 47: invalid escape in a string" },
	{ "[\"a\",\"b\"]", "[\"\xff\",\"b\"]", APPCORE_EMODEL,
	  "not valid JSON at line 1, column 47: invalid UTF-8 in a string" },
	{ "[\"a\",\"b\"]", "[\"\t\",\"b\"]", APPCORE_EMODEL,
	  "not valid JSON at line 1, column 47: control character 0x09 in a string" },
	/* wrong types where appcore reads */
	{ "\"tree_info\":[0]", "\"tree_info\":{}", APPCORE_EMODEL,
	  "learner.gradient_booster.model.tree_info: expected an array, got object" },
	{ "\"trees\":[{", "\"trees\":[[],{", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0]: expected an object, got array" },
	{ "\"name\":\"reg:squarederror\"", "\"name\":[\"reg:squarederror\"]", APPCORE_EMODEL,
	  "learner.objective.name: expected a string, got array" },
	{ "{\"name\":\"reg:squarederror\"}", "7", APPCORE_EMODEL,
	  "learner.objective: expected an object, got integer" },
	/* XGBoost 3.x releases */
	{ "\"reg:squarederror\"", "\"reg:quantileerror\"", APPCORE_OK, NULL },
	{ "\"reg:squarederror\"", "\"reg:expectileerror\"", APPCORE_OK, NULL },
	{ "\"tree_info\":[0]", "\"tree_info\":[0],\"weight_drop\":[0.5,0.5]", APPCORE_EMODEL,
	  "learner.gradient_booster.model.weight_drop: 2 entries for 1 trees" },
	{ "\"tree_info\":[0]", "\"tree_info\":[0],\"weight_drop\":[]", APPCORE_OK, NULL },
	{ "\"name\":\"gbtree\"}", "\"name\":\"gbtree\",\"weight_drop\":[1e39]}", APPCORE_EMODEL,
	  "learner.gradient_booster.weight_drop[0]: 1e+39 is not a finite float32" },
	{ "\"tree_info\":[0]", "\"tree_info\":[0],\"iteration_indptr\":[0,2]", APPCORE_EMODEL,
	  "learner.gradient_booster.model.iteration_indptr: expected 0 first and the number of "
	  "trees (1) last" },
	{ "\"tree_info\":[0]", "\"tree_info\":[0],\"iteration_indptr\":[0,1]", APPCORE_OK, NULL },
	{ "\"num_parallel_tree\":\"1\"", "\"num_parallel_tree\":\"0\"", APPCORE_EMODEL,
	  "learner.gradient_booster.model.gbtree_model_param.num_parallel_tree: expected an "
	  "integer 1..1048576, got \"0\"" },
	{ "\"attributes\":{}", "\"attributes\":{\"best_iteration\":\"x\"}", APPCORE_EMODEL,
	  "learner.attributes.best_iteration: expected an integer 0..2147483647, got \"x\"" },
	/* vector leaves */
	{ "\"split_type\":[0,0,0]", "\"split_type\":[0,0,0],\"base_weights\":[0,0,1,2,3,4],"
	  "\"tree_param\":{\"size_leaf_vector\":\"2\"}", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees have 2 values per leaf for 1 outputs (num_target)" },
	{ "\"split_type\":[0,0,0]", "\"split_type\":[0,0,0],\"base_weights\":[0,0,1,2,3],"
	  "\"tree_param\":{\"size_leaf_vector\":\"2\"}", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].base_weights: 5 entries for 3 nodes of 2 values" },
	{ "\"split_type\":[0,0,0]", "\"split_type\":[0,0,0],\"leaf_weights\":[1,2],"
	  "\"tree_param\":{\"size_leaf_vector\":\"2\"}", APPCORE_EMODEL,
	  "learner.gradient_booster.model: trees[0].right_children[1]: leaf index -1 is outside "
	  "0..0 (leaf_weights has 1 entries of 2 values)" },
	/* a legacy-looking prefix that is not: still JSON's error */
	{ "{\"learner\"", "binf{\"learner\"", APPCORE_EUNSUPPORTED, NULL },
};

START_TEST(test_hostile_json)
{
	const struct json_case *c = &json_cases[_i];
	appcore_error err = { 0 };
	int rc = variant(c->old, c->new_text, &err);

	ck_assert_msg(rc == c->code, "case %d: got %s: %s", _i, appcore_error_name(rc), err.message);
	if (c->message != NULL)
		ck_assert_str_eq(err.message, c->message);
}
END_TEST

/* Syntax errors name line and column, also on pretty-printed files. */
START_TEST(test_json_positions)
{
	static const char text[] = "{\n  \"learner\": {\n    \"skipped\": [1, 2,, 3]\n  }\n}\n";
	appcore_error err = { 0 };

	ck_assert_int_eq(load_text(text, strlen(text), &err), APPCORE_EMODEL);
	ck_assert_int_eq(err.line, 3);
	ck_assert_int_eq(err.column, 22);
	ck_assert_str_eq(err.message, "not valid JSON at line 3, column 22: expected a value, got ','");
	ck_assert_int_eq(load_text("{\"a\":tru}", 9, &err), APPCORE_EMODEL);
	ck_assert_str_eq(err.message, "not valid JSON at line 1, column 6: unexpected 't'");
	ck_assert_int_eq(load_text("{\"a\" 1}", 7, &err), APPCORE_EMODEL);
	ck_assert_str_eq(err.message, "not valid JSON at line 1, column 6: expected ':', got '1'");
	ck_assert_int_eq(load_text("{\"a\":1 \"b\":2}", 13, &err), APPCORE_EMODEL);
	ck_assert_str_eq(err.message, "not valid JSON at line 1, column 8: expected ',' or '}', got "
				      "'\"'");
	ck_assert_int_eq(load_text("{\"a\":[1 2]}", 11, &err), APPCORE_EMODEL);
	ck_assert_int_eq(load_text("{\"a\":\"x", 7, &err), APPCORE_EMODEL);
	ck_assert_str_eq(err.message, "not valid JSON at line 1, column 6: unterminated string");
	ck_assert_int_eq(load_text("{1:2}", 5, &err), APPCORE_EMODEL);
	ck_assert_str_eq(err.message, "not valid JSON at line 1, column 2: expected a string key, "
				      "got '1'");
	ck_assert_int_eq(load_text("  ", 2, &err), APPCORE_EMODEL);
	ck_assert_str_eq(err.message, "not valid JSON at line 1, column 3: unexpected end of input");
}
END_TEST

/* ---- UBJSON built by hand -------------------------------------------------------------- */

struct ubj {
	char b[4096];
	size_t n;
};

static void put(struct ubj *u, const void *p, size_t n)
{
	ck_assert_uint_le(u->n + n, sizeof(u->b));
	memcpy(u->b + u->n, p, n);
	u->n += n;
}

static void put_c(struct ubj *u, char c)
{
	put(u, &c, 1);
}

static void put_be(struct ubj *u, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		put_c(u, (char)(v >> (8 * i)));
}

/* A key (no marker) with an int8 length. */
static void key(struct ubj *u, const char *k)
{
	put_c(u, 'i');
	put_c(u, (char)strlen(k));
	put(u, k, strlen(k));
}

static void str(struct ubj *u, const char *s)
{
	put_c(u, 'S');
	key(u, s);
}

static void f32s(struct ubj *u, const float *v, int n)
{
	put(u, "[$d#i", 5);
	put_c(u, (char)n);
	for (int i = 0; i < n; i++) {
		uint32_t bits;

		memcpy(&bits, &v[i], 4);
		put_be(u, bits, 4);
	}
}

static void i32s(struct ubj *u, const int32_t *v, int n)
{
	put(u, "[$l#i", 5);
	put_c(u, (char)n);
	for (int i = 0; i < n; i++)
		put_be(u, (uint32_t)v[i], 4);
}

/* The same one-tree model as json_model, in UBJSON; `tree_extra` is written into the tree
 * object, `variant` picks what to break. */
static void ubj_model(struct ubj *u, int variant)
{
	static const int32_t left[] = { 1, -1, -1 }, right[] = { 2, -1, -1 }, split[] = { 1, 0, 0 };
	static const float cond[] = { 0.5f, -1.0f, 2.0f };

	u->n = 0;
	put_c(u, '{');
	key(u, "learner");
	put_c(u, '{');
	key(u, "gradient_booster");
	put_c(u, '{');
	key(u, "model");
	put(u, "{", 1);
	key(u, "gbtree_model_param");
	put_c(u, '{');
	key(u, "num_parallel_tree");
	str(u, "1");
	put_c(u, '}');
	key(u, "tree_info");
	put(u, "[#i\x01i\x00", 6); /* a counted array of one int8 */
	key(u, "trees");
	put_c(u, '[');
	put(u, "N", 1); /* no-op */
	put_c(u, '{');
	key(u, "default_left");
	put(u, "[$U#i\x03\x01\x00\x00", 9);
	key(u, "left_children");
	i32s(u, left, 3);
	key(u, "right_children");
	if (variant == 1) { /* typed array of int64 with one beyond int32 */
		put(u, "[$L#i\x03", 6);
		put_be(u, 2, 8);
		put_be(u, (uint64_t)-1, 8);
		put_be(u, 1ull << 40, 8);
	} else {
		i32s(u, right, 3);
	}
	key(u, "split_conditions");
	if (variant == 2) { /* an unsized array of doubles, an 'H' number and an int */
		put_c(u, '[');
		put_c(u, 'D');
		put_be(u, 0x3FE0000000000000ull, 8); /* 0.5 */
		put(u, "Hi\x04-1e0", 7);
		put(u, "i\x02", 2);
		put_c(u, ']');
	} else {
		f32s(u, cond, 3);
	}
	key(u, "split_indices");
	i32s(u, split, 3);
	put_c(u, '}');
	put_c(u, ']');
	put_c(u, '}');
	key(u, "name");
	str(u, "gbtree");
	put_c(u, '}');
	key(u, "learner_model_param");
	if (variant == 3) { /* a counted object of typed strings */
		put(u, "{$S#i\x03", 6);
		key(u, "base_score");
		key(u, "5E-1");
		key(u, "num_feature");
		key(u, "2");
		key(u, "num_class");
		key(u, "0");
	} else {
		put_c(u, '{');
		key(u, "base_score");
		str(u, "5E-1");
		key(u, "num_feature");
		if (variant == 4) /* a char */
			put(u, "C2", 2);
		else
			str(u, "2");
		put_c(u, '}');
	}
	key(u, "objective");
	put_c(u, '{');
	key(u, "name");
	str(u, "reg:squarederror");
	put_c(u, '}');
	put_c(u, '}');
	put_c(u, '}');
}

START_TEST(test_ubjson_forms)
{
	static const float rows[] = { 0.0f, 0.25f, 0.0f, 0.5f, 0.0f, NAN };
	struct ubj u;

	for (int v = 0; v <= 4; v++) {
		appcore_model *model = NULL;
		appcore_error err = { 0 };
		float out[3];
		int rc;

		ubj_model(&u, v);
		rc = appcore_model_load_buffer(&model, u.b, u.n, NULL, &err);
		if (v == 1) {
			ck_assert_int_eq(rc, APPCORE_EMODEL);
			ck_assert_str_eq(err.message, "learner.gradient_booster.model: trees[0]."
						      "right_children[2]: 1099511627776 is out of "
						      "range");
			continue;
		}
		ck_assert_msg(rc == APPCORE_OK, "variant %d: %s", v, err.message);
		ck_assert_int_eq(predict_range(model, rows, 3, APPCORE_OUTPUT_MARGIN, 0, 0, out, &err),
				 0);
		ck_assert_float_eq(out[0], 0.5f + (v == 2 ? -1.0f : -1.0f));
		ck_assert_float_eq(out[1], 0.5f + 2.0f);
		ck_assert_float_eq(out[2], 0.5f - 1.0f);
		appcore_model_unref(model);
	}
	/* every truncation of a valid document fails cleanly */
	ubj_model(&u, 0);
	for (size_t cut = 0; cut < u.n; cut++) {
		appcore_error err = { 0 };

		ck_assert_msg(load_text(u.b, cut, &err) == APPCORE_EMODEL, "cut %zu: %s", cut,
			      err.message);
	}
}
END_TEST

static const struct ubj_case {
	const char *bytes;
	size_t len;
	const char *message;
} ubj_cases[] = {
#define B(s) s, sizeof(s) - 1
	/* a 10 GB typed array is refused before anything is sized from it */
	{ B("{i\x07learner[$d#L\x00\x00\x00\x02\x80\x00\x00\x00"),
	  "not valid UBJSON at byte 14: count 10737418240 needs more than the 0 bytes left" },
	{ B("{i\x07learner[#L\x7f\xff\xff\xff\xff\xff\xff\xff"),
	  "not valid UBJSON at byte 12: count 9223372036854775807 needs more than the 0 bytes left" },
	{ B("{i\x07learnerSL\x00\x00\x00\x10\x00\x00\x00\x00xyz"),
	  "not valid UBJSON at byte 11: string length 68719476736 is more than the 3 bytes left" },
	{ B("{i\x07learner[#i\xff"), "not valid UBJSON at byte 12: negative count -1" },
	{ B("{i\x07learner[$[#i\x01"),
	  "not valid UBJSON at byte 12: unsupported element type 0x5b in a typed container" },
	{ B("{i\x07learner[$di\x01"),
	  "not valid UBJSON at byte 13: a typed container needs a count ('#')" },
	{ B("{i\x07learnerX"), "not valid UBJSON at byte 10: unknown marker 0x58" },
	{ B("{i\x07learnerSi\x02\xc3\x28"), "not valid UBJSON at byte 13: invalid UTF-8 in a string" },
	{ B("{i\x07learnerSi\x02" "a\0"), "not valid UBJSON at byte 14: NUL byte in a string" },
	{ B("{i\x07learnerC\x80"), "not valid UBJSON at byte 10: char 0x80 is not ASCII" },
	{ B("{i\x07learnerHi\x03" "1x2"),
	  "not valid UBJSON at byte 11: high-precision number \"1x2\" is not a number" },
	{ B("{i\x01" "aZd"), "not valid UBJSON at byte 5: key: expected an integer marker, got "
	  "0x64" },
	{ B("{i\x07learner{}}x"), "not valid UBJSON at byte 13: end of input expected, got marker 0x78" },
	{ B("{i\x07learner{i\x09objective{}i\x09objective{}}}"),
	  "learner: duplicate key \"objective\"" },
	{ B("{i\x07learneri"), "not valid UBJSON at byte 11: unexpected end of input" },
#undef B
};

START_TEST(test_hostile_ubjson)
{
	const struct ubj_case *c = &ubj_cases[_i];
	appcore_error err = { 0 };
	int rc = load_text(c->bytes, c->len, &err);

	ck_assert_msg(rc == APPCORE_EMODEL, "case %d: %s: %s", _i, appcore_error_name(rc),
		      err.message);
	ck_assert_str_eq(err.message, c->message);
	ck_assert_int_eq(err.line, 0);
}
END_TEST

/* 65 levels of UBJSON: refused at the 65th, without recursion. */
START_TEST(test_ubjson_nesting)
{
	char text[200];
	appcore_error err = { 0 };

	memcpy(text, "{i\x01" "a", 4);
	memset(text + 4, '[', 64);
	ck_assert_int_eq(load_text(text, 68, &err), APPCORE_EMODEL);
	ck_assert_str_eq(err.message, "not valid UBJSON at byte 67: nested deeper than 64 levels");
	/* 64 levels are fine (and not a model) */
	memset(text + 4, '[', 63);
	memset(text + 67, ']', 63);
	text[130] = '}';
	ck_assert_int_eq(load_text(text, 131, &err), APPCORE_EMODEL);
	ck_assert_str_eq(err.message, "model.learner: missing");
}
END_TEST

/* Decimal text -> float32 is correctly rounded: the same as strtof on numbers of every
 * shape XGBoost and others write, including the halfway cases of the fast path. */
START_TEST(test_decimal_to_f32)
{
	static const char *const fixed[] = {
		"0", "-0", "1", "5E-1", "-1.2345678E-1", "3.4028235E38", "1.17549435E-38",
		"1E-45", "1.401298464324817e-45", "7.0064923216240854e-46", "16777217",
		"16777217.0", "0.1000000000000000055511151231257827021181583404541015625",
		"123456789012345678901234567890", "9.999999e-1", "1.00000005960464477539062",
		"33554431", "1e22", "1e-22", "4.9e-324", "2.5e-8", "8388609.5", "1.5E0",
	};
	unsigned seed = 7;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		float got, want = strtof(fixed[i], NULL);
		double approx;

		ck_assert(ac_decimal_to_f32(fixed[i], strlen(fixed[i]), &got, &approx));
		ck_assert_msg(memcmp(&got, &want, 4) == 0, "%s: %a, strtof %a", fixed[i],
			      (double)got, (double)want);
	}
	for (int i = 0; i < 200000; i++) {
		char text[64];
		float got, want;
		double approx;
		uint32_t bits;
		float f;

		seed = seed * 1103515245u + 12345u;
		bits = seed ^ (seed << 13);
		memcpy(&f, &bits, 4);
		if (!isfinite(f))
			continue;
		/* shortest-ish, midpoint-ish and long forms */
		switch (i % 3) {
		case 0: snprintf(text, sizeof(text), "%.9g", (double)f); break;
		case 1: snprintf(text, sizeof(text), "%.8e", (double)f); break;
		default:
			snprintf(text, sizeof(text), "%.17g",
				 ((double)f + (double)nextafterf(f, INFINITY)) / 2);
		}
		want = strtof(text, NULL);
		ck_assert(ac_decimal_to_f32(text, strlen(text), &got, &approx));
		ck_assert_msg(memcmp(&got, &want, 4) == 0, "%s: %a, strtof %a", text, (double)got,
			      (double)want);
	}
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("model_formats");
	TCase *tc = tcase_create("formats");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, list_fixtures, NULL);
	tcase_add_test(tc, test_fixture_matches_expectations);
	tcase_add_test(tc, test_tiny_windows_read_the_same_model);
	tcase_add_test(tc, test_pipe_input);
	tcase_add_test(tc, test_format_by_content);
	tcase_add_test(tc, test_legacy_files_refused_with_a_hint);
	tcase_add_test(tc, test_iteration_range_arguments);
	tcase_add_loop_test(tc, test_hostile_json, 0, (int)(sizeof(json_cases) / sizeof(json_cases[0])));
	tcase_add_test(tc, test_json_positions);
	tcase_add_test(tc, test_ubjson_forms);
	tcase_add_loop_test(tc, test_hostile_ubjson, 0, (int)(sizeof(ubj_cases) / sizeof(ubj_cases[0])));
	tcase_add_test(tc, test_ubjson_nesting);
	tcase_add_test(tc, test_decimal_to_f32);
	suite_add_tcase(s, tc);
	return s;
}
