#include <check.h>
#include <string.h>

#include <appcore.h>

#include "check_main.h"

#include "core/error_internal.h"

START_TEST(strerror_names_every_code)
{
	ck_assert_str_eq(appcore_strerror(APPCORE_OK), "success");
	ck_assert_str_eq(appcore_strerror(APPCORE_ENOMEM), "out of memory");
	ck_assert_str_eq(appcore_strerror(APPCORE_EPARSE), "input could not be parsed");
	ck_assert_str_eq(appcore_strerror(APPCORE_EINTERNAL), "internal error");
	ck_assert_str_eq(appcore_strerror(12345), "unknown error");
	ck_assert_str_eq(appcore_strerror(-999), "unknown error");
}
END_TEST

START_TEST(error_names_are_stable_machine_strings)
{
	ck_assert_str_eq(appcore_error_name(APPCORE_OK), "ok");
	ck_assert_str_eq(appcore_error_name(APPCORE_EPARSE), "parse_error");
	ck_assert_str_eq(appcore_error_name(APPCORE_EREQUEST), "invalid_request");
	ck_assert_str_eq(appcore_error_name(APPCORE_EMODEL), "invalid_model");
	ck_assert_str_eq(appcore_error_name(APPCORE_ELIMIT), "limit_exceeded");
	ck_assert_str_eq(appcore_error_name(7), "unknown");
}
END_TEST

START_TEST(codes_are_ok_zero_and_distinct_negatives)
{
	static const int codes[] = {
#define X_CODE(name, value, machine, status, text) APPCORE_##name,
		APPCORE_ERROR_LIST(X_CODE)
#undef X_CODE
	};
	size_t n = sizeof(codes) / sizeof(codes[0]);

	ck_assert_int_eq(APPCORE_OK, 0);
	for (size_t i = 1; i < n; i++) {
		ck_assert_int_lt(codes[i], 0);
		for (size_t j = 0; j < i; j++)
			ck_assert_int_ne(codes[i], codes[j]);
	}
}
END_TEST

START_TEST(http_status_of_every_code)
{
	/* the table every shell answers with (README and docs/protocol.md list it) */
	static const struct {
		int code;
		int status;
		const char *name;
	} table[] = {
		{ APPCORE_OK, 200, "ok" },
		{ APPCORE_EINVAL, 422, "invalid_argument" },
		{ APPCORE_ENOMEM, 500, "out_of_memory" },
		{ APPCORE_EIO, 500, "io_error" },
		{ APPCORE_EPARSE, 400, "parse_error" },
		{ APPCORE_EREQUEST, 422, "invalid_request" },
		{ APPCORE_ECONFIG, 500, "invalid_config" },
		{ APPCORE_EMODEL, 500, "invalid_model" },
		{ APPCORE_EUNSUPPORTED, 400, "unsupported" },
		{ APPCORE_ELIMIT, 422, "limit_exceeded" },
		{ APPCORE_EEXISTS, 409, "already_exists" },
		{ APPCORE_ENOTFOUND, 404, "not_found" },
		{ APPCORE_EINTERNAL, 500, "internal_error" },
		{ APPCORE_EBADREQUEST, 400, "bad_request" },
		{ APPCORE_EINCOMPLETE, 400, "incomplete_body" },
		{ APPCORE_EUNAUTHORIZED, 401, "unauthorized" },
		{ APPCORE_EFORBIDDEN, 403, "forbidden" },
		{ APPCORE_EMETHOD, 405, "method_not_allowed" },
		{ APPCORE_ETIMEOUT, 408, "request_timeout" },
		{ APPCORE_ECONFLICT, 409, "conflict" },
		{ APPCORE_ETOOLARGE, 413, "payload_too_large" },
		{ APPCORE_EMEDIATYPE, 415, "unsupported_media_type" },
		{ APPCORE_EUNAVAILABLE, 503, "not_ready" },
	};
	static const int listed[] = {
#define X_CODE(name, value, machine, status, text) APPCORE_##name,
		APPCORE_ERROR_LIST(X_CODE)
#undef X_CODE
	};

	ck_assert_uint_eq(sizeof(table) / sizeof(table[0]), sizeof(listed) / sizeof(listed[0]));
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		ck_assert_int_eq(appcore_error_http_status(table[i].code), table[i].status);
		ck_assert_str_eq(appcore_error_name(table[i].code), table[i].name);
	}
	ck_assert_int_eq(appcore_error_http_status(-999), 500);
}
END_TEST

START_TEST(public_set_formats_and_clears_the_rest)
{
	appcore_error err;

	memset(&err, 0x55, sizeof(err));
	ck_assert_int_eq(appcore_error_set(&err, APPCORE_EMETHOD, "method %s not allowed", "PUT"),
			 APPCORE_EMETHOD);
	ck_assert_int_eq(err.code, APPCORE_EMETHOD);
	ck_assert_int_eq(err.line, 0);
	ck_assert_int_eq(err.column, 0);
	ck_assert_int_eq(err.reserved_int, 0);
	for (size_t i = 0; i < sizeof(err.reserved) / sizeof(err.reserved[0]); i++)
		ck_assert_ptr_null(err.reserved[i]);
	ck_assert_str_eq(err.message, "method PUT not allowed");
	ck_assert_int_eq(appcore_error_set(NULL, APPCORE_EIO, "ignored"), APPCORE_EIO);
}
END_TEST

START_TEST(set_fills_code_message_and_returns_code)
{
	appcore_error err;
	int rc;

	memset(&err, 0x55, sizeof(err));
	rc = ac_error_set(&err, APPCORE_EREQUEST, "instances[%d]: expected %d features, got %d", 2, 30,
			  29);
	ck_assert_int_eq(rc, APPCORE_EREQUEST);
	ck_assert_int_eq(err.code, APPCORE_EREQUEST);
	ck_assert_int_eq(err.line, 0);
	ck_assert_int_eq(err.column, 0);
	ck_assert_str_eq(err.message, "instances[2]: expected 30 features, got 29");

	rc = ac_error_set_at(&err, APPCORE_EPARSE, 3, 14, "unexpected '%c'", '}');
	ck_assert_int_eq(rc, APPCORE_EPARSE);
	ck_assert_int_eq(err.line, 3);
	ck_assert_int_eq(err.column, 14);
	ck_assert_str_eq(err.message, "unexpected '}'");

	ac_error_prefix(&err, "config.yaml:3:14");
	ck_assert_str_eq(err.message, "config.yaml:3:14: unexpected '}'");
}
END_TEST

START_TEST(set_accepts_null_and_truncates)
{
	appcore_error err;
	char long_text[2000];

	ck_assert_int_eq(ac_error_set(NULL, APPCORE_EIO, "ignored"), APPCORE_EIO);
	appcore_error_clear(NULL);

	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	ac_error_set(&err, APPCORE_EINVAL, "%s", long_text);
	ck_assert_uint_eq(strlen(err.message), APPCORE_ERROR_MESSAGE_SIZE - 1);

	appcore_error_clear(&err);
	ck_assert_int_eq(err.code, APPCORE_OK);
	ck_assert_str_eq(err.message, "");
}
END_TEST

START_TEST(error_json_renders_code_message_and_position)
{
	appcore_error err;
	char *json = NULL;
	size_t len = 0;

	ac_error_set(&err, APPCORE_EREQUEST, "instances[3][7]: expected a number or null, got string");
	ck_assert_int_eq(appcore_error_json(&json, &len, &err), APPCORE_OK);
	ck_assert_str_eq(json, "{\"error\":{\"code\":\"invalid_request\",\"message\":"
			       "\"instances[3][7]: expected a number or null, got string\"}}");
	ck_assert_uint_eq(len, strlen(json));
	appcore_free(json);

	ac_error_set_at(&err, APPCORE_EPARSE, 2, 5, "unexpected \"\x01\xff\" near '\\'");
	ck_assert_int_eq(appcore_error_json(&json, NULL, &err), APPCORE_OK);
	ck_assert_str_eq(json, "{\"error\":{\"code\":\"parse_error\",\"message\":"
			       "\"unexpected \\\"\\u0001\\uFFFD\\\" near '\\\\'\",\"line\":2,\"column\":5}}");
	appcore_free(json);

	ck_assert_int_eq(appcore_error_json(NULL, NULL, &err), APPCORE_EINVAL);
	ck_assert_int_eq(appcore_error_json(&json, NULL, NULL), APPCORE_EINVAL);
}
END_TEST

Suite *test_suite(void)
{
	Suite *suite = suite_create("error");
	TCase *tc = tcase_create("error");

	tcase_add_test(tc, strerror_names_every_code);
	tcase_add_test(tc, error_names_are_stable_machine_strings);
	tcase_add_test(tc, codes_are_ok_zero_and_distinct_negatives);
	tcase_add_test(tc, http_status_of_every_code);
	tcase_add_test(tc, public_set_formats_and_clears_the_rest);
	tcase_add_test(tc, set_fills_code_message_and_returns_code);
	tcase_add_test(tc, set_accepts_null_and_truncates);
	tcase_add_test(tc, error_json_renders_code_message_and_position);
	suite_add_tcase(suite, tc);
	return suite;
}
