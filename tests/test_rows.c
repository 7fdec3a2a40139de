/* The row stream scorer (appcore/rows.h) shared by appcore-cli predict and the job workers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appcore.h"
#include "check_main.h"

#define IRIS TEST_SOURCE_DIR "/examples/models/iris.json"

/* One tree: feature 1 < 0.5 -> -1.0 else 2.0 (missing goes left), base_score 0.5: predictions
 * are -0.5 or 2.5. */
static const char small_model[] =
	"{\"learner\":{\"gradient_booster\":{\"model\":{\"gbtree_model_param\":{"
	"\"num_parallel_tree\":\"1\"},\"tree_info\":[0],\"trees\":[{\"left_children\":[1,-1,-1],"
	"\"right_children\":[2,-1,-1],\"split_indices\":[1,0,0],\"split_conditions\":[0.5,-1.0,2.0],"
	"\"default_left\":[1,0,0]}]},\"name\":\"gbtree\"},\"learner_model_param\":{\"base_score\":"
	"\"5E-1\",\"num_feature\":\"2\"},\"objective\":{\"name\":\"reg:squarederror\"}}}";

struct output {
	char text[8192];
	size_t len;
	int writes;
	int fail;
};

static int collect(void *ctx, const char *data, size_t len)
{
	struct output *o = ctx;

	if (o->fail)
		return -1;
	ck_assert_uint_lt(o->len + len, sizeof(o->text));
	memcpy(o->text + o->len, data, len);
	o->len += len;
	o->text[o->len] = '\0';
	o->writes++;
	return 0;
}

static appcore_model *small(void)
{
	appcore_model *model = NULL;
	appcore_error err;

	ck_assert_int_eq(
	    appcore_model_load_buffer(&model, small_model, strlen(small_model), NULL, &err),
	    APPCORE_OK);
	return model;
}

static appcore_model *iris(void)
{
	appcore_model *model = NULL;
	appcore_error err;

	ck_assert_msg(appcore_model_load_file(&model, IRIS, NULL, &err) == APPCORE_OK, "%s",
		      err.message);
	return model;
}

static appcore_rows_scorer *scorer_for(appcore_model *model, appcore_rows_format format,
				       struct output *out)
{
	appcore_rows_scorer *scorer = NULL;
	appcore_error err;

	memset(out, 0, sizeof(*out));
	ck_assert_int_eq(appcore_rows_scorer_new(&scorer, model, format, NULL, collect, out, &err),
			 APPCORE_OK);
	/* the scorer holds its own reference */
	appcore_model_unref(model);
	return scorer;
}

START_TEST(csv_lines_blank_lines_and_missing_values)
{
	struct output out;
	appcore_rows_scorer *s = scorer_for(small(), APPCORE_ROWS_CSV, &out);
	appcore_error err;
	static const char text[] = "1,0\r\n\n1,1\n,NA\n\n0,nan\n1,0.75";

	ck_assert_int_eq(appcore_rows_scorer_text(s, text, strlen(text), 1, &err), APPCORE_OK);
	ck_assert_int_eq(out.writes, 0); /* a batch is written when full or flushed */
	ck_assert_int_eq(appcore_rows_scorer_flush(s, &err), APPCORE_OK);
	ck_assert_str_eq(out.text, "-0.5\n2.5\n-0.5\n-0.5\n2.5\n");
	ck_assert_int_eq(out.writes, 1);
	ck_assert_uint_eq(appcore_rows_scorer_rows(s), 5);
	ck_assert_str_eq(appcore_rows_media_type(APPCORE_ROWS_CSV), "text/csv");
	ck_assert_str_eq(appcore_rows_media_type(APPCORE_ROWS_NDJSON), "application/x-ndjson");
	ck_assert_ptr_null(appcore_rows_media_type((appcore_rows_format)9));
	appcore_rows_scorer_free(s);
}
END_TEST

START_TEST(csv_bad_lines_name_their_line)
{
	struct output out;
	appcore_rows_scorer *s = scorer_for(small(), APPCORE_ROWS_CSV, &out);
	appcore_error err;

	ck_assert_int_eq(appcore_rows_scorer_line(s, "1,0", 3, 1, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_rows_scorer_line(s, "1,x", 3, 2, &err), APPCORE_EREQUEST);
	ck_assert_int_eq(err.line, 2);
	ck_assert_str_eq(err.message,
			 "line 2: column 2: expected a finite number or an empty field, got 'x'");
	ck_assert_int_eq(appcore_rows_scorer_line(s, "1,2,3", 5, 3, &err), APPCORE_EREQUEST);
	ck_assert_str_eq(err.message, "line 3: expected 2 fields, got 3");
	ck_assert_int_eq(appcore_rows_scorer_line(s, "1,1e40", 6, 4, &err), APPCORE_EREQUEST);
	ck_assert_int_eq(appcore_rows_scorer_line(s, "1\0,1", 4, 5, &err), APPCORE_EREQUEST);
	ck_assert_str_eq(err.message, "line 5: contains a NUL byte");
	/* the rows before the bad lines are still answered */
	ck_assert_int_eq(appcore_rows_scorer_flush(s, &err), APPCORE_OK);
	ck_assert_str_eq(out.text, "-0.5\n");
	appcore_rows_scorer_free(s);
}
END_TEST

START_TEST(csv_header_maps_columns_for_later_lines)
{
	struct output first, later;
	appcore_rows_scorer *a = scorer_for(iris(), APPCORE_ROWS_CSV, &first);
	appcore_rows_scorer *b = scorer_for(iris(), APPCORE_ROWS_CSV, &later);
	static const char header[] = "petal_width,\"sepal_length\",sepal_width,petal_length";
	appcore_error err;

	/* the whole file in one scorer ... */
	ck_assert_int_eq(appcore_rows_scorer_line(a, header, strlen(header), 1, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_rows_scorer_line(a, "0.2,5.1,3.5,1.4", 15, 2, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_rows_scorer_line(a, "2.3,7.7,3.0,6.1", 15, 3, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_rows_scorer_flush(a, &err), APPCORE_OK);
	/* ... and its second half alone, with the header given as line 1 first */
	ck_assert_int_eq(appcore_rows_scorer_line(b, header, strlen(header), 1, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_rows_scorer_line(b, "2.3,7.7,3.0,6.1", 15, 3, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_rows_scorer_flush(b, &err), APPCORE_OK);
	ck_assert_ptr_nonnull(strstr(first.text, later.text));
	ck_assert_str_eq(first.text + strlen(first.text) - strlen(later.text), later.text);
	ck_assert_str_eq(first.text,
			 "0.991851151,0.00543696666,0.00271187117\n"
			 "0.00272538466,0.00491855387,0.992356062\n");
	appcore_rows_scorer_free(a);
	appcore_rows_scorer_free(b);
}
END_TEST

START_TEST(csv_header_errors)
{
	struct output out;
	appcore_rows_scorer *s = scorer_for(iris(), APPCORE_ROWS_CSV, &out);
	appcore_rows_scorer *t = scorer_for(small(), APPCORE_ROWS_CSV, &out);
	appcore_error err;

	ck_assert_int_eq(appcore_rows_scorer_line(s, "sepal,petal", 11, 1, &err), APPCORE_EREQUEST);
	ck_assert_str_eq(err.message, "line 1: column 1: unknown feature \"sepal\"");
	ck_assert_int_eq(appcore_rows_scorer_line(t, "a,b", 3, 1, &err), APPCORE_EREQUEST);
	ck_assert_str_eq(err.message, "line 1: a header row, but the model has no feature names to "
				      "match it; remove the header");
	/* only line 1 can be a header */
	ck_assert_int_eq(appcore_rows_scorer_line(t, "a,b", 3, 2, &err), APPCORE_EREQUEST);
	ck_assert_str_eq(err.message,
			 "line 2: column 1: expected a finite number or an empty field, got 'a'");
	appcore_rows_scorer_free(s);
	appcore_rows_scorer_free(t);
}
END_TEST

START_TEST(ndjson_rows_and_errors)
{
	struct output out;
	appcore_rows_scorer *s = scorer_for(iris(), APPCORE_ROWS_NDJSON, &out);
	appcore_error err;
	static const char text[] = "[5.1,3.5,1.4,0.2]\n{\"petal_width\":2.3,\"sepal_length\":7.7,"
				   "\"sepal_width\":3.0,\"petal_length\":6.1}\n[1,2,\"x\",4]\n";

	ck_assert_int_eq(appcore_rows_scorer_text(s, text, strlen(text), 10, &err), APPCORE_EREQUEST);
	ck_assert_int_eq(err.line, 12);
	ck_assert_str_eq(err.message, "line 12: row[2]: expected a number or null, got string");
	ck_assert_int_eq(appcore_rows_scorer_line(s, "[1,", 3, 13, &err), APPCORE_EPARSE);
	ck_assert_int_eq(err.line, 13);
	ck_assert_int_eq(appcore_rows_scorer_flush(s, &err), APPCORE_OK);
	ck_assert_str_eq(out.text, "[0.991851151,0.00543696666,0.00271187117]\n"
				   "[0.00272538466,0.00491855387,0.992356062]\n");
	appcore_rows_scorer_free(s);
}
END_TEST

START_TEST(batches_are_written_whole_and_margin_output)
{
	struct output out;
	appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;
	appcore_rows_scorer *s = NULL;
	appcore_model *model = small();
	appcore_error err;

	memset(&out, 0, sizeof(out));
	options.output = APPCORE_OUTPUT_MARGIN;
	ck_assert_int_eq(appcore_rows_scorer_new(&s, model, APPCORE_ROWS_CSV, &options, collect,
						 &out, &err),
			 APPCORE_OK);
	for (size_t i = 1; i <= 1025; i++)
		ck_assert_int_eq(appcore_rows_scorer_line(s, "0,1", 3, i, &err), APPCORE_OK);
	/* 1024 rows make a batch, written in one call */
	ck_assert_int_eq(out.writes, 1);
	ck_assert_uint_eq(appcore_rows_scorer_rows(s), 1024);
	ck_assert_uint_eq(out.len, 1024 * 4);
	ck_assert_int_eq(appcore_rows_scorer_flush(s, &err), APPCORE_OK);
	ck_assert_uint_eq(appcore_rows_scorer_rows(s), 1025);
	appcore_rows_scorer_free(s);

	/* a failing writer stops the scorer */
	ck_assert_int_eq(appcore_rows_scorer_new(&s, model, APPCORE_ROWS_CSV, NULL, collect, &out,
						 &err),
			 APPCORE_OK);
	out.fail = 1;
	ck_assert_int_eq(appcore_rows_scorer_line(s, "0,1", 3, 1, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_rows_scorer_flush(s, &err), APPCORE_EIO);
	appcore_rows_scorer_free(s);
	appcore_model_unref(model);
}
END_TEST

struct seen {
	size_t batches, first[4], rows[4];
	float input, output; /* of the first row of the last batch */
	int refuse;
};

static int observe(void *ctx, size_t first_row, const float *inputs, size_t num_rows,
		   const float *outputs, appcore_error *err)
{
	struct seen *seen = ctx;

	if (seen->refuse)
		return appcore_error_set(err, APPCORE_EUNAVAILABLE, "log full");
	ck_assert_uint_lt(seen->batches, 4);
	seen->first[seen->batches] = first_row;
	seen->rows[seen->batches++] = num_rows;
	seen->input = inputs[1];
	seen->output = outputs[0];
	return APPCORE_OK;
}

START_TEST(batch_callback_sees_rows_and_can_stop_the_output)
{
	struct output out;
	struct seen seen = { 0 };
	appcore_rows_scorer *s = scorer_for(small(), APPCORE_ROWS_CSV, &out);
	appcore_error err;
	char line[16];

	ck_assert_int_eq(appcore_rows_scorer_on_batch(s, observe, &seen), APPCORE_OK);
	/* an empty line is not a row */
	ck_assert_int_eq(appcore_rows_scorer_line(s, "", 0, 1, &err), APPCORE_OK);
	for (size_t i = 0; i < 1030; i++) {
		int len = snprintf(line, sizeof(line), "0,%d", i < 1024 ? 0 : 1);

		ck_assert_int_eq(appcore_rows_scorer_line(s, line, (size_t)len, i + 2, &err),
				 APPCORE_OK);
	}
	ck_assert_int_eq(appcore_rows_scorer_flush(s, &err), APPCORE_OK);
	ck_assert_uint_eq(seen.batches, 2);
	ck_assert_uint_eq(seen.first[0], 0);
	ck_assert_uint_eq(seen.rows[0], 1024);
	ck_assert_uint_eq(seen.first[1], 1024);
	ck_assert_uint_eq(seen.rows[1], 6);
	ck_assert(seen.input == 1.0f && seen.output == 2.5f);
	ck_assert_uint_eq(out.len, 1024 * 5 + 6 * 4); /* "-0.5\n", "2.5\n" */

	/* a refusal stops the scorer with its code and message; the batch is not written */
	seen.refuse = 1;
	ck_assert_int_eq(appcore_rows_scorer_line(s, "0,0", 3, 2000, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_rows_scorer_flush(s, &err), APPCORE_EUNAVAILABLE);
	ck_assert_str_eq(err.message, "log full");
	ck_assert_uint_eq(out.len, 1024 * 5 + 6 * 4); /* "-0.5\n", "2.5\n" */
	ck_assert_uint_eq(appcore_rows_scorer_rows(s), 1030);
	/* cleared, the held row goes out */
	ck_assert_int_eq(appcore_rows_scorer_on_batch(s, NULL, NULL), APPCORE_OK);
	ck_assert_int_eq(appcore_rows_scorer_flush(s, &err), APPCORE_OK);
	ck_assert_uint_eq(appcore_rows_scorer_rows(s), 1031);
	ck_assert_int_eq(appcore_rows_scorer_on_batch(NULL, observe, &seen), APPCORE_EINVAL);
	appcore_rows_scorer_free(s);
}
END_TEST

START_TEST(bad_arguments)
{
	appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;
	appcore_rows_scorer *s = NULL;
	appcore_model *model = small();
	struct output out;
	appcore_error err;

	ck_assert_int_eq(appcore_rows_scorer_new(&s, NULL, APPCORE_ROWS_CSV, NULL, collect, &out,
						 &err),
			 APPCORE_EINVAL);
	ck_assert_int_eq(appcore_rows_scorer_new(&s, model, APPCORE_ROWS_CSV, NULL, NULL, &out,
						 &err),
			 APPCORE_EINVAL);
	ck_assert_int_eq(appcore_rows_scorer_new(&s, model, (appcore_rows_format)5, NULL, collect,
						 &out, &err),
			 APPCORE_EINVAL);
	options.version = 99;
	ck_assert_int_eq(appcore_rows_scorer_new(&s, model, APPCORE_ROWS_CSV, &options, collect,
						 &out, &err),
			 APPCORE_EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(appcore_rows_scorer_line(NULL, "1", 1, 1, &err), APPCORE_EINVAL);
	ck_assert_int_eq(appcore_rows_scorer_flush(NULL, &err), APPCORE_EINVAL);
	ck_assert_uint_eq(appcore_rows_scorer_rows(NULL), 0);
	appcore_rows_scorer_free(NULL);
	appcore_model_unref(model);
}
END_TEST

Suite *test_suite(void)
{
	Suite *suite = suite_create("rows");
	TCase *tc = tcase_create("rows");

	tcase_add_test(tc, csv_lines_blank_lines_and_missing_values);
	tcase_add_test(tc, csv_bad_lines_name_their_line);
	tcase_add_test(tc, csv_header_maps_columns_for_later_lines);
	tcase_add_test(tc, csv_header_errors);
	tcase_add_test(tc, ndjson_rows_and_errors);
	tcase_add_test(tc, batches_are_written_whole_and_margin_output);
	tcase_add_test(tc, batch_callback_sees_rows_and_can_stop_the_output);
	tcase_add_test(tc, bad_arguments);
	suite_add_tcase(suite, tc);
	return suite;
}
