#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "protocol/predict_fast.h"

static bool parse(const char *body, size_t features, size_t max_rows, float **rows, size_t *n,
		  appcore_output_kind *kind)
{
	return ac_predict_fast_parse(body, strlen(body), features, 3, max_rows, APPCORE_OUTPUT_VALUE,
				     rows, n, kind);
}

START_TEST(accepts_the_common_shape)
{
	float *rows;
	size_t n;
	appcore_output_kind kind;

	ck_assert(parse(" {\"instances\" : [[1, -0, 2.5e-3, null],\n[-7.25E+1,0,1e-50,3]] }\n", 4,
			10, &rows, &n, &kind));
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(kind, APPCORE_OUTPUT_VALUE);
	ck_assert(rows[0] == 1.0f && rows[1] == 0.0f && !signbit(rows[1]));
	ck_assert(rows[2] == (float)2.5e-3);
	ck_assert(isnan(rows[3]));
	ck_assert(rows[4] == -72.5f && rows[5] == 0.0f && rows[6] == 0.0f && rows[7] == 3.0f);
	free(rows);

	/* NaN, as Python's json.dumps writes a missing numpy value, is missing */
	ck_assert(parse("{\"instances\":[[NaN, 1, NaN]]}", 3, 0, &rows, &n, &kind));
	ck_assert(isnan(rows[0]) && rows[1] == 1.0f && isnan(rows[2]));
	free(rows);

	ck_assert(parse("{\"output\":\"margin\",\"instances\":[[1]]}", 1, 0, &rows, &n, &kind));
	ck_assert_int_eq(kind, APPCORE_OUTPUT_MARGIN);
	ck_assert_uint_eq(n, 1);
	free(rows);
}
END_TEST

START_TEST(hands_everything_else_to_the_general_path)
{
	static const char *const general[] = {
		"{\"instances\": []}",
		"{\"instances\": [[1, 2]]}",      /* wrong width */
		"{\"instances\": [[1, 2, 3]]} x", /* trailing garbage */
		"{\"instances\": [[1, 2, 3]], \"instances\": [[1, 2, 3]]}",
		"{\"instanc\\u0065s\": [[1, 2, 3]]}",             /* escaped key */
		"{\"instances\": [[1e999, 2, 3]]}",               /* double overflow */
		"{\"instances\": [[1e39, 2, 3]]}",                /* float32 overflow */
		"{\"instances\": [[1234567890123456789, 2, 3]]}", /* 19-digit integer */
		"{\"instances\": [[01, 2, 3]]}",
		"{\"instances\": [[-, 2, 3]]}",
		"{\"instances\": [[1., 2, 3]]}",
		"{\"instances\": [[.5, 2, 3]]}",
		"{\"instances\": [[-NaN, 2, 3]]}",
		"{\"instances\": [[Infinity, 2, 3]]}",
		"{\"instances\": [[1, 2, 3]], \"iteration_range\": [0, 1]}",
		"{\"instances\": [[true, 2, 3]]}",
		"{\"instances\": [{\"a\": 1}]}",
		"{\"instances\": [[1, 2, 3]], \"output\": \"probability\"}",
		"{\"instances\": [[1, 2, 3]], \"extra\": 1}",
		"{\"instances\": [[1, 2, 3],]}",
		"{\"instances\": [[1, 2, 3]]",
		"\xef\xbb\xbf{\"instances\": [[1, 2, 3]]}",
		"{\"instances\": [[1, 2, 3]], \"output\": \"value\", \"output\": \"margin\"}",
		"{\"instances\": [[1, 2, 3], [1, 2, 3], [1, 2, 3]]}", /* over max_rows (2) */
		"[[1, 2, 3]]",
		"{}",
		"",
	};
	for (size_t i = 0; i < sizeof(general) / sizeof(general[0]); i++) {
		float *rows = (float *)&rows;
		size_t n = 99;
		appcore_output_kind kind;

		ck_assert_msg(!parse(general[i], 3, 2, &rows, &n, &kind), "accepted: %s", general[i]);
		ck_assert_ptr_null(rows);
		ck_assert_uint_eq(n, 0);
	}
}
END_TEST

START_TEST(numbers_convert_exactly_as_jansson_does)
{
	static const char *const numbers[] = {
		"0", "-0", "1", "-1", "0.1", "3.14159265358979", "1e-45", "1.401298464324817e-45",
		"3.4028234663852886e38", "123456789012345678", "-999999999999999999",
		"9007199254740993", "0.30000000000000004", "5e-324", "2.5E+10", "16777217",
		"1.00000005960464477539062", "7.0e-1",
	};
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		char body[128];
		json_error_t jerr;
		json_t *doc;
		float *rows;
		size_t n;
		appcore_output_kind kind;
		float expected;

		snprintf(body, sizeof(body), "{\"instances\":[[%s]]}", numbers[i]);
		doc = json_loads(body, 0, &jerr);
		ck_assert_ptr_nonnull(doc);
		expected = (float)json_number_value(json_array_get(
			json_array_get(json_object_get(doc, "instances"), 0), 0));
		json_decref(doc);
		ck_assert_msg(parse(body, 1, 0, &rows, &n, &kind), "rejected %s", numbers[i]);
		ck_assert_msg(memcmp(&rows[0], &expected, sizeof(float)) == 0, "%s: %a != %a",
			      numbers[i], (double)rows[0], (double)expected);
		free(rows);
	}
}
END_TEST

Suite *test_suite(void)
{
	Suite *suite = suite_create("predict_fast");
	TCase *tc = tcase_create("predict_fast");

	tcase_add_test(tc, accepts_the_common_shape);
	tcase_add_test(tc, hands_everything_else_to_the_general_path);
	tcase_add_test(tc, numbers_convert_exactly_as_jansson_does);
	suite_add_tcase(suite, tc);
	return suite;
}
