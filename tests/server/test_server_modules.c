/* Unit tests of appcore-server's modules, linked from its internal static library: API keys,
 * request ids, command-line options, configured settings and HTTP header helpers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "check_main.h"
#include "http.h"
#include "options.h"
#include "request_id.h"
#include "settings.h"

static char keys_path[64];

static const char *write_keys(const char *text)
{
	int fd;

	snprintf(keys_path, sizeof(keys_path), "/tmp/appcore-keys-XXXXXX");
	fd = mkstemp(keys_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return keys_path;
}

START_TEST(keys_load_and_check)
{
	struct auth_keys keys;
	appcore_error err;

	ck_assert_int_eq(auth_keys_load(&keys, write_keys("# team keys\n\n  alpha-key \nbeta\n"),
					&err),
			 APPCORE_OK);
	unlink(keys_path);
	ck_assert_uint_eq(keys.count, 2);
	ck_assert_str_eq(keys.keys[0], "alpha-key");
	ck_assert_int_eq(auth_check(&keys, "Bearer alpha-key"), AUTH_OK);
	ck_assert_int_eq(auth_check(&keys, "bearer  beta "), AUTH_OK);
	ck_assert_int_eq(auth_check(&keys, "Bearer alpha-ke"), AUTH_WRONG);
	ck_assert_int_eq(auth_check(&keys, "Bearer alpha-keyy"), AUTH_WRONG);
	ck_assert_int_eq(auth_check(&keys, "Basic YWxwaGE="), AUTH_MISSING);
	ck_assert_int_eq(auth_check(&keys, "Bearer "), AUTH_MISSING);
	ck_assert_int_eq(auth_check(&keys, NULL), AUTH_MISSING);
	auth_keys_free(&keys);
	ck_assert_uint_eq(keys.count, 0);
}
END_TEST

START_TEST(keys_file_errors)
{
	struct auth_keys keys;
	appcore_error err;
	char long_key[400], expected[512];

	ck_assert_int_eq(auth_keys_load(&keys, "/nonexistent/keys", &err), APPCORE_EIO);
	ck_assert_str_eq(err.message,
			 "/nonexistent/keys: cannot open API keys file: No such file or directory");
	ck_assert_int_eq(auth_keys_load(&keys, write_keys("# only a comment\n\n"), &err),
			 APPCORE_ECONFIG);
	snprintf(expected, sizeof(expected), "%s: API keys file has no keys", keys_path);
	ck_assert_str_eq(err.message, expected);
	unlink(keys_path);
	memset(long_key, 'k', sizeof(long_key) - 2);
	long_key[sizeof(long_key) - 2] = '\n';
	long_key[sizeof(long_key) - 1] = '\0';
	ck_assert_int_eq(auth_keys_load(&keys, write_keys(long_key), &err), APPCORE_ECONFIG);
	snprintf(expected, sizeof(expected), "%s:1: API key longer than 256 characters", keys_path);
	ck_assert_str_eq(err.message, expected);
	unlink(keys_path);
}
END_TEST

START_TEST(request_ids)
{
	char a[REQUEST_ID_MAX + 1], b[REQUEST_ID_MAX + 1];
	char longest[REQUEST_ID_MAX + 2];

	ck_assert(request_id_is_sane("abc-DEF_1.2"));
	ck_assert(!request_id_is_sane(""));
	ck_assert(!request_id_is_sane(NULL));
	ck_assert(!request_id_is_sane("with space"));
	ck_assert(!request_id_is_sane("quote\""));
	memset(longest, 'x', REQUEST_ID_MAX);
	longest[REQUEST_ID_MAX] = '\0';
	ck_assert(request_id_is_sane(longest));
	longest[REQUEST_ID_MAX] = 'x';
	longest[REQUEST_ID_MAX + 1] = '\0';
	ck_assert(!request_id_is_sane(longest));

	request_id_seed();
	request_id_generate(a, sizeof(a));
	ck_assert_uint_eq(strlen(a), 32);
	ck_assert_uint_eq(strspn(a, "0123456789abcdef"), 32);
	for (int i = 0; i < 10000; i++) {
		request_id_generate(b, sizeof(b));
		ck_assert_str_ne(a, b);
	}
}
END_TEST

/* Parse a NULL-terminated argv. */
static enum options_result parse(struct server_options *options, char **argv)
{
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	return server_options_parse(options, argc, argv);
}

START_TEST(command_line_options)
{
	struct server_options options;
	char *ok[] = { "appcore-server", "-c", "c.yaml", "--port", "9000", "-t", "8",
		       "--model=m.json", "--print-config=json", NULL };
	char *any_port[] = { "appcore-server", "-p", "0", NULL };
	char *unknown[] = { "appcore-server", "--prot", "1", NULL };
	char *missing[] = { "appcore-server", "--model", NULL };
	char *extra[] = { "appcore-server", "serve", NULL };
	char *bad_format[] = { "appcore-server", "--print-config=xml", NULL };

	ck_assert_int_eq(parse(&options, ok), OPTIONS_RUN);
	ck_assert_str_eq(options.config_path, "c.yaml");
	ck_assert_str_eq(options.flags[FLAG_PORT].value, "9000");
	ck_assert_str_eq(options.flags[FLAG_THREADS].value, "8");
	ck_assert_str_eq(options.flags[FLAG_MODEL].value, "m.json");
	ck_assert_str_eq(options.flags[FLAG_MODEL].key, "model.path");
	ck_assert_ptr_null(options.flags[FLAG_HOST].value);
	ck_assert_str_eq(options.print_config, "json");
	ck_assert_int_eq(options.any_port, 0);
	ck_assert_int_eq(parse(&options, any_port), OPTIONS_RUN);
	ck_assert_int_eq(options.any_port, 1);
	ck_assert_ptr_null(options.flags[FLAG_PORT].value);
	ck_assert_int_eq(parse(&options, unknown), OPTIONS_EXIT_USAGE);
	ck_assert_int_eq(parse(&options, missing), OPTIONS_EXIT_USAGE);
	ck_assert_int_eq(parse(&options, extra), OPTIONS_EXIT_USAGE);
	ck_assert_int_eq(parse(&options, bad_format), OPTIONS_EXIT_USAGE);
}
END_TEST

START_TEST(settings_follow_the_configuration)
{
	struct server_settings settings;
	appcore_config *config = NULL;
	appcore_error err;

	ck_assert_int_eq(appcore_config_new(&config, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_config_set(config, "server.threads", "7", APPCORE_CONFIG_FLAG, &err),
			 APPCORE_OK);
	ck_assert_int_eq(server_settings_read(&settings, config, &err), APPCORE_OK);
	ck_assert_str_eq(settings.host, "127.0.0.1");
	ck_assert_int_eq(settings.port, 8000);
	ck_assert_int_eq(settings.threads, 7);
	ck_assert_uint_eq(settings.max_body_bytes, 1048576);
	ck_assert_int_eq(settings.metrics_enabled, 1);
	ck_assert_uint_eq(settings.num_latency_buckets, 12);
	ck_assert_str_eq(settings.api_keys_file, "");
	appcore_config_free(config);
}
END_TEST

START_TEST(header_tokens)
{
	ck_assert(http_header_has_token("keep-alive", "keep-alive"));
	ck_assert(http_header_has_token("Upgrade, Keep-Alive", "keep-alive"));
	ck_assert(http_header_has_token("gzip ,\tchunked ", "chunked"));
	ck_assert(!http_header_has_token("chunkedx", "chunked"));
	ck_assert(!http_header_has_token("", "chunked"));
	ck_assert(!http_header_has_token(NULL, "chunked"));
}
END_TEST

Suite *test_suite(void)
{
	Suite *suite = suite_create("server_modules");
	TCase *tc = tcase_create("modules");

	tcase_add_test(tc, keys_load_and_check);
	tcase_add_test(tc, keys_file_errors);
	tcase_add_test(tc, request_ids);
	tcase_add_test(tc, command_line_options);
	tcase_add_test(tc, settings_follow_the_configuration);
	tcase_add_test(tc, header_tokens);
	suite_add_tcase(suite, tc);
	return suite;
}
