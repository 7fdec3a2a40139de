#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <appcore.h>

#include "check_main.h"

static char tmpdir[64];

/* Typed getters that must succeed: the value, or the test fails with the library's message. */
static const char *get_string(const appcore_config *config, const char *key)
{
	const char *value = NULL;
	appcore_error err;

	if (appcore_config_get_string(&value, config, key, &err) != APPCORE_OK)
		ck_abort_msg("%s", err.message);
	return value;
}

static long long get_int(const appcore_config *config, const char *key)
{
	long long value = 0;
	appcore_error err;

	if (appcore_config_get_int(&value, config, key, &err) != APPCORE_OK)
		ck_abort_msg("%s", err.message);
	return value;
}

static double get_double(const appcore_config *config, const char *key)
{
	double value = 0;
	appcore_error err;

	if (appcore_config_get_double(&value, config, key, &err) != APPCORE_OK)
		ck_abort_msg("%s", err.message);
	return value;
}

static int get_bool(const appcore_config *config, const char *key)
{
	int value = -1;
	appcore_error err;

	if (appcore_config_get_bool(&value, config, key, &err) != APPCORE_OK)
		ck_abort_msg("%s", err.message);
	return value;
}

static size_t get_list(const appcore_config *config, const char *key, const double **values)
{
	size_t count = 0;
	appcore_error err;

	if (appcore_config_get_list(values, &count, config, key, &err) != APPCORE_OK)
		ck_abort_msg("%s", err.message);
	return count;
}

static appcore_config_source get_source(const appcore_config *config, const char *key)
{
	appcore_config_source source = (appcore_config_source)-1;
	appcore_error err;

	if (appcore_config_get_source(&source, config, key, &err) != APPCORE_OK)
		ck_abort_msg("%s", err.message);
	return source;
}

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/appcore-config-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Write text to tmpdir/name; returns the path (static storage per call site). */
static const char *write_file(char *path, size_t size, const char *name, const char *text)
{
	FILE *f;
	snprintf(path, size, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Load text as a config file and return the error (code must be ECONFIG). */
static void expect_file_error(const char *text, int line, int column, const char *message)
{
	appcore_config *config = NULL;
	appcore_error err = { 0 };
	char path[256];
	char expected[768];

	write_file(path, sizeof(path), "c.yaml", text);
	ck_assert_int_eq(appcore_config_new(&config, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_config_load_file(config, path, &err), APPCORE_ECONFIG);
	snprintf(expected, sizeof(expected), "%s:%d:%d: %s", path, line, column, message);
	ck_assert_str_eq(err.message, expected);
	ck_assert_int_eq(err.code, APPCORE_ECONFIG);
	ck_assert_int_eq(err.line, line);
	ck_assert_int_eq(err.column, column);
	/* a failed file changes nothing */
	ck_assert_int_eq(get_int(config, "server.port"), 8000);
	ck_assert_int_eq(get_source(config, "server.port"), APPCORE_CONFIG_DEFAULT);
	appcore_config_free(config);
}

static void expect_env_error(const char *assignment, const char *message)
{
	appcore_config *config = NULL;
	appcore_error err = { 0 };
	char threads[] = "APPCORE_SERVER_THREADS=8";
	char variable[256];
	char *envp[] = { threads, variable, NULL };

	snprintf(variable, sizeof(variable), "%s", assignment);

	ck_assert_int_eq(appcore_config_new(&config, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_config_apply_env(config, envp, &err), APPCORE_ECONFIG);
	ck_assert_str_eq(err.message, message);
	/* all or nothing: the valid variable before it was not applied either */
	ck_assert_int_eq(get_int(config, "server.threads"), 64);
	appcore_config_free(config);
}

static void expect_set_error(const char *key, const char *value, appcore_config_source source,
			     const char *message)
{
	appcore_config *config = NULL;
	appcore_error err = { 0 };

	ck_assert_int_eq(appcore_config_new(&config, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_config_set(config, key, value, source, &err), APPCORE_ECONFIG);
	ck_assert_str_eq(err.message, message);
	appcore_config_free(config);
}

START_TEST(defaults_match_documented_schema)
{
	appcore_config *config = NULL;
	appcore_error err = { 0 };
	const double *buckets = NULL;

	ck_assert_int_eq(appcore_config_new(&config, &err), APPCORE_OK);
	ck_assert_str_eq(get_string(config, "server.host"), "127.0.0.1");
	ck_assert_int_eq(get_int(config, "server.port"), 8000);
	ck_assert_int_eq(get_int(config, "server.threads"), 64);
	ck_assert_int_eq(get_int(config, "server.request_timeout_ms"), 10000);
	ck_assert_int_eq(get_int(config, "server.keep_alive_timeout_ms"), 5000);
	ck_assert_int_eq(get_int(config, "server.max_body_bytes"), 1048576);
	ck_assert_int_eq(get_int(config, "server.shutdown_grace_ms"), 5000);
	ck_assert_str_eq(get_string(config, "server.api_keys_file"), "");
	ck_assert_str_eq(get_string(config, "model.path"), "examples/models/iris.json");
	ck_assert_str_eq(get_string(config, "model.name"), "iris");
	ck_assert_str_eq(get_string(config, "model.version"), "1");
	ck_assert_int_eq(get_int(config, "model.max_batch_rows"), 10000);
	ck_assert_int_eq(get_int(config, "model.predict_threads"), 0);
	ck_assert_str_eq(get_string(config, "logging.level"), "info");
	ck_assert_str_eq(get_string(config, "logging.format"), "json");
	ck_assert_int_eq(get_bool(config, "logging.access_log"), 1);
	ck_assert_int_eq(get_bool(config, "metrics.enabled"), 1);
	ck_assert_int_eq(get_bool(config, "metrics.require_api_key"), 0);
	ck_assert_uint_eq(get_list(config, "metrics.latency_buckets_seconds", &buckets), 12);
	ck_assert_double_eq(buckets[0], 0.0001);
	ck_assert_double_eq(buckets[1], 0.00025);
	ck_assert_double_eq(buckets[11], 1.0);
	ck_assert_int_eq(get_source(config, "model.path"), APPCORE_CONFIG_DEFAULT);
	ck_assert_double_eq(get_double(config, "server.port"), 8000.0);
	appcore_config_free(config);
	appcore_config_free(NULL);
}
END_TEST

START_TEST(getters_reject_unknown_keys_and_wrong_types)
{
	appcore_config *config = NULL;
	const char *text = "unchanged";
	long long number = 42;
	double real = 4.5;
	int flag = 7;
	const double *values = NULL;
	size_t count = 3;
	appcore_config_source source = APPCORE_CONFIG_FLAG;
	appcore_error err;

	ck_assert_int_eq(appcore_config_new(&config, NULL), APPCORE_OK);
	/* a misspelled key fails loudly, with a suggestion, and leaves the out-parameter alone */
	ck_assert_int_eq(appcore_config_get_string(&text, config, "server.prot", &err),
			 APPCORE_ENOTFOUND);
	ck_assert_str_eq(err.message, "server.prot: no such key (did you mean server.port?)");
	ck_assert_str_eq(text, "unchanged");
	ck_assert_int_eq(appcore_config_get_int(&number, config, "nope", &err), APPCORE_ENOTFOUND);
	ck_assert_str_eq(err.message, "nope: no such key");
	ck_assert_int_eq(number, 42);
	ck_assert_int_eq(appcore_config_get_source(&source, config, "nope", &err),
			 APPCORE_ENOTFOUND);
	ck_assert_int_eq(source, APPCORE_CONFIG_FLAG);
	/* the wrong type is a different error */
	ck_assert_int_eq(appcore_config_get_string(&text, config, "server.port", &err),
			 APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "server.port is an integer, not a string");
	ck_assert_int_eq(appcore_config_get_int(&number, config, "server.host", &err),
			 APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "server.host is a string, not an integer");
	ck_assert_int_eq(appcore_config_get_double(&real, config, "server.host", &err),
			 APPCORE_EINVAL);
	ck_assert_double_eq(real, 4.5);
	ck_assert_int_eq(appcore_config_get_bool(&flag, config, "server.port", &err),
			 APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "server.port is an integer, not a boolean");
	ck_assert_int_eq(flag, 7);
	ck_assert_int_eq(appcore_config_get_list(&values, &count, config, "server.port", &err),
			 APPCORE_EINVAL);
	ck_assert_ptr_null(values);
	ck_assert_uint_eq(count, 3);
	/* NULL arguments */
	ck_assert_int_eq(appcore_config_get_int(NULL, config, "server.port", &err), APPCORE_EINVAL);
	ck_assert_int_eq(appcore_config_get_int(&number, NULL, "server.port", &err),
			 APPCORE_EINVAL);
	ck_assert_int_eq(appcore_config_get_int(&number, config, NULL, NULL), APPCORE_EINVAL);
	ck_assert_int_eq(
	    appcore_config_get_list(&values, NULL, config, "metrics.latency_buckets_seconds", &err),
	    APPCORE_EINVAL);
	ck_assert_str_eq(appcore_config_source_name(APPCORE_CONFIG_ENV), "env");
	ck_assert_str_eq(appcore_config_source_name((appcore_config_source)42), "unknown");
	appcore_config_free(config);
}
END_TEST

START_TEST(repository_config_yaml_loads_and_resolves_model_path)
{
	appcore_config *config = NULL;
	appcore_error err = { 0 };
	const char *path = TEST_SOURCE_DIR "/configs/config.yaml";
	const double *buckets = NULL;

	ck_assert_int_eq(appcore_config_new(&config, &err), APPCORE_OK);
	if (appcore_config_load_file(config, path, &err) != APPCORE_OK)
		ck_abort_msg("%s", err.message);
	ck_assert_str_eq(get_string(config, "model.path"),
			 TEST_SOURCE_DIR "/configs/../examples/models/iris.json");
	ck_assert_int_eq(access(get_string(config, "model.path"), R_OK), 0);
	ck_assert_int_eq(get_source(config, "model.path"), APPCORE_CONFIG_FILE);
	ck_assert_int_eq(get_source(config, "server.port"), APPCORE_CONFIG_FILE);
	ck_assert_int_eq(get_int(config, "server.port"), 8000);
	ck_assert_str_eq(get_string(config, "model.version"), "1");
	ck_assert_str_eq(get_string(config, "server.api_keys_file"), "");
	ck_assert_int_eq(get_bool(config, "metrics.require_api_key"), 0);
	ck_assert_uint_eq(get_list(config, "metrics.latency_buckets_seconds", &buckets), 12);
	appcore_config_free(config);
}
END_TEST

START_TEST(file_values_override_defaults_and_only_those)
{
	appcore_config *config = NULL;
	appcore_error err = { 0 };
	char path[256];
	const double *buckets = NULL;

	make_tmpdir();
	write_file(path, sizeof(path), "c.yaml",
		   "server:\n  port: 9001\n  api_keys_file: keys.txt\n"
		   "model:\n  path: /abs/model.json\n  version: 2\n"
		   "logging:\n  access_log: false\n  level: debug\n"
		   "metrics:\n  latency_buckets_seconds: [0.5, 1, 2.5]\n  require_api_key: true\n");
	ck_assert_int_eq(appcore_config_new(&config, &err), APPCORE_OK);
	if (appcore_config_load_file(config, path, &err) != APPCORE_OK)
		ck_abort_msg("%s", err.message);
	ck_assert_int_eq(get_int(config, "server.port"), 9001);
	ck_assert_int_eq(get_source(config, "server.port"), APPCORE_CONFIG_FILE);
	ck_assert_int_eq(get_int(config, "server.threads"), 64);
	ck_assert_int_eq(get_source(config, "server.threads"), APPCORE_CONFIG_DEFAULT);
	/* relative paths resolve against the file's directory, absolute ones stay */
	char expected[300];
	snprintf(expected, sizeof(expected), "%s/keys.txt", tmpdir);
	ck_assert_str_eq(get_string(config, "server.api_keys_file"), expected);
	ck_assert_str_eq(get_string(config, "model.path"), "/abs/model.json");
	ck_assert_str_eq(get_string(config, "model.version"), "2");
	ck_assert_int_eq(get_bool(config, "logging.access_log"), 0);
	ck_assert_str_eq(get_string(config, "logging.level"), "debug");
	ck_assert_int_eq(get_bool(config, "metrics.require_api_key"), 1);
	ck_assert_uint_eq(get_list(config, "metrics.latency_buckets_seconds", &buckets), 3);
	ck_assert_double_eq(buckets[0], 0.5);
	ck_assert_double_eq(buckets[2], 2.5);
	appcore_config_free(config);

	/* an empty file and an empty section change nothing */
	write_file(path, sizeof(path), "empty.yaml", "");
	ck_assert_int_eq(appcore_config_new(&config, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_config_load_file(config, path, &err), APPCORE_OK);
	write_file(path, sizeof(path), "section.yaml", "# nothing\nmodel:\n");
	ck_assert_int_eq(appcore_config_load_file(config, path, &err), APPCORE_OK);
	ck_assert_int_eq(get_source(config, "model.path"), APPCORE_CONFIG_DEFAULT);
	appcore_config_free(config);
	remove_tmpdir();
}
END_TEST

START_TEST(file_errors_point_at_line_and_column)
{
	appcore_config *config = NULL;
	appcore_error err = { 0 };

	make_tmpdir();
	/* unknown keys, with and without a close match */
	expect_file_error("server:\n  prot: 8000\n", 2, 3,
			  "server.prot: unknown key (did you mean server.port?)");
	expect_file_error("server:\n  port: 1\n  thread: 4\n", 3, 3,
			  "server.thread: unknown key (did you mean server.threads?)");
	expect_file_error("model:\n  colour: blue\n", 2, 3, "model.colour: unknown key");
	expect_file_error("sever:\n  port: 1\n", 1, 1, "sever: unknown key (did you mean server?)");
	expect_file_error("database:\n  url: x\n", 1, 1, "database: unknown key");
	/* wrong types */
	expect_file_error("server:\n  port: eighty\n", 2, 9,
			  "server.port: expected an integer, got 'eighty'");
	expect_file_error("server:\n  port: \"8000\"\n", 2, 9,
			  "server.port: expected an integer, got the string \"8000\"");
	expect_file_error("server:\n  port: 80.5\n", 2, 9,
			  "server.port: expected an integer, got '80.5'");
	expect_file_error("server:\n  port: 99999999999999999999\n", 2, 9,
			  "server.port: integer out of range, got '99999999999999999999'");
	expect_file_error("server:\n  port: [1, 2]\n", 2, 3,
			  "server.port: expected an integer, got a list");
	expect_file_error("server:\n  host:\n", 2, 3, "server.host: missing value");
	expect_file_error("server:\n  host: {a: 1}\n", 2, 3,
			  "server.host: expected a string, got a mapping");
	expect_file_error("logging:\n  access_log: maybe\n", 2, 15,
			  "logging.access_log: expected true or false, got 'maybe'");
	expect_file_error("logging:\n  level: verbose\n", 2, 10,
			  "logging.level: expected one of debug, info, warn, error, got 'verbose'");
	expect_file_error("logging:\n  format: xml\n", 2, 11,
			  "logging.format: expected one of json, text, got 'xml'");
	expect_file_error("model:\n  name: \"\"\n", 2, 9, "model.name: must not be empty");
	expect_file_error("server: 8000\n", 1, 1,
			  "server: expected a mapping of keys, got a scalar");
	expect_file_error("metrics:\n  latency_buckets_seconds: 0.5\n", 2, 28,
			  "metrics.latency_buckets_seconds: expected a list of numbers, got a scalar");
	expect_file_error("metrics:\n  latency_buckets_seconds: [0.1, fast]\n", 2, 34,
			  "metrics.latency_buckets_seconds: [1]: expected a number, got 'fast'");
	/* out of range */
	expect_file_error("server:\n  port: 0\n", 2, 9,
			  "server.port: must be between 1 and 65535, got 0");
	expect_file_error("server:\n  port: 65536\n", 2, 9,
			  "server.port: must be between 1 and 65535, got 65536");
	expect_file_error("server:\n  threads: 0\n", 2, 12,
			  "server.threads: must be between 1 and 4096, got 0");
	expect_file_error("server:\n  max_body_bytes: -1\n", 2, 19,
			  "server.max_body_bytes: must be at least 1, got -1");
	expect_file_error("server:\n  shutdown_grace_ms: -5\n", 2, 22,
			  "server.shutdown_grace_ms: must be between 0 and 2147483647, got -5");
	expect_file_error("model:\n  max_batch_rows: -1\n", 2, 19,
			  "model.max_batch_rows: must be between 0 and 2147483647, got -1");
	expect_file_error("metrics:\n  latency_buckets_seconds: [0.1, 1, 0.5]\n", 2, 3,
			  "metrics.latency_buckets_seconds: must be strictly ascending, got 0.5 after 1");
	expect_file_error("metrics:\n  latency_buckets_seconds: [0.1, 0.1]\n", 2, 3,
			  "metrics.latency_buckets_seconds: must be strictly ascending, got 0.1 after 0.1");
	expect_file_error("metrics:\n  latency_buckets_seconds: [0, 1]\n", 2, 3,
			  "metrics.latency_buckets_seconds: [0]: must be greater than 0, got 0");
	expect_file_error("metrics:\n  latency_buckets_seconds: []\n", 2, 3,
			  "metrics.latency_buckets_seconds: must not be empty");
	/* document shape and YAML syntax */
	expect_file_error("- server\n- model\n", 1, 1,
			  "expected a mapping of sections (server, model, model_repository, logging, "
			  "metrics), got a list");
	expect_file_error("server:\n  port: 1\n  port: 2\n", 3, 3, "duplicate key");
	expect_file_error("server:\n  port: [1, 2\n", 3, 1,
			  "flow sequence without a closing bracket");
	expect_file_error("server:\n\thost: x\n", 2, 1, "tab character may not be used as indentation");

	/* bytes that are not UTF-8 never reach libfyaml (0.7.12 hangs on some) */
	expect_file_error("%a \xce" "0.1\n", 1, 4, "invalid UTF-8 (byte 0xCE)");
	expect_file_error("server:\n  host: caf\xc3\xa9\xff\n", 2, 13,
			  "invalid UTF-8 (byte 0xFF)");
	/* libfyaml's nesting limit stays on: small thread stacks */
	expect_file_error("server:\n  port: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
			  "[[[[[[[[[[[[[[[\n",
			  2, 70, "Max depth (64) exceeded");

	/* a second document would be ignored: it is refused */
	char path[256], expected[300];
	write_file(path, sizeof(path), "two.yaml", "server:\n  port: 1\n---\nmodel:\n  name: x\n");
	ck_assert_int_eq(appcore_config_new(&config, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_config_load_file(config, path, &err), APPCORE_ECONFIG);
	snprintf(expected, sizeof(expected), "%s: only one YAML document is allowed", path);
	ck_assert_str_eq(err.message, expected);
	ck_assert_int_eq(get_int(config, "server.port"), 8000);

	/* a file that cannot be read */
	ck_assert_int_eq(appcore_config_load_file(config, "/nonexistent/appcore.yaml", &err),
			 APPCORE_EIO);
	ck_assert_str_eq(err.message, "/nonexistent/appcore.yaml: cannot open: No such file or directory");
	ck_assert_int_eq(appcore_config_load_file(config, tmpdir, &err), APPCORE_EIO);
	snprintf(expected, sizeof(expected), "%s: cannot read: Is a directory", tmpdir);
	ck_assert_str_eq(err.message, expected);
	ck_assert_int_eq(appcore_config_load_file(config, NULL, &err), APPCORE_EINVAL);

	/* a configuration is a page of text, not a megabyte */
	{
		char *big = malloc(1024 * 1024 + 2);
		ck_assert_ptr_nonnull(big);
		memset(big, '#', 1024 * 1024 + 1);
		big[1024 * 1024 + 1] = '\0';
		write_file(path, sizeof(path), "big.yaml", big);
		free(big);
	}
	ck_assert_int_eq(appcore_config_load_file(config, path, &err), APPCORE_ECONFIG);
	snprintf(expected, sizeof(expected), "%s: larger than 1048576 bytes", path);
	ck_assert_str_eq(err.message, expected);
	ck_assert_int_eq(get_int(config, "server.port"), 8000);
	appcore_config_free(config);
	remove_tmpdir();
}
END_TEST

START_TEST(environment_overrides_file)
{
	appcore_config *config = NULL;
	appcore_error err = { 0 };
	const double *buckets = NULL;
	char *envp[] = {
		(char *)"PATH=/usr/bin",
		(char *)"APPCORE_CONFIG=/somewhere.yaml", /* not a key: left alone */
		(char *)"APPCORE_SERVER=/usr/bin/appcore-server", /* no key part: not a key */
		(char *)"APPCORE_SOURCE_DIR=/src",
		(char *)"APPCORE_SERVER_PORT=9000",
		(char *)"APPCORE_SERVER_HOST=0.0.0.0",
		(char *)"APPCORE_MODEL_PATH=relative/model.json",
		(char *)"APPCORE_LOGGING_ACCESS_LOG=off",
		(char *)"APPCORE_METRICS_LATENCY_BUCKETS_SECONDS=[0.01, 0.1,1]",
		(char *)"APPCORE_SERVER_REQUEST_TIMEOUT_MS=250",
		NULL,
	};

	ck_assert_int_eq(appcore_config_new(&config, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_config_set(config, "server.port", "7000", APPCORE_CONFIG_FILE, &err),
			 APPCORE_OK);
	ck_assert_msg(appcore_config_apply_env(config, envp, &err) == APPCORE_OK, "%s", err.message);
	ck_assert_int_eq(get_int(config, "server.port"), 9000);
	ck_assert_int_eq(get_source(config, "server.port"), APPCORE_CONFIG_ENV);
	ck_assert_str_eq(get_string(config, "server.host"), "0.0.0.0");
	/* environment paths are relative to the working directory, unchanged */
	ck_assert_str_eq(get_string(config, "model.path"), "relative/model.json");
	ck_assert_int_eq(get_bool(config, "logging.access_log"), 0);
	ck_assert_int_eq(get_int(config, "server.request_timeout_ms"), 250);
	ck_assert_uint_eq(get_list(config, "metrics.latency_buckets_seconds", &buckets), 3);
	ck_assert_double_eq(buckets[0], 0.01);
	ck_assert_double_eq(buckets[2], 1.0);
	ck_assert_int_eq(get_source(config, "server.threads"), APPCORE_CONFIG_DEFAULT);

	/* flags win over everything */
	ck_assert_int_eq(appcore_config_set(config, "server.port", "9100", APPCORE_CONFIG_FLAG, &err),
			 APPCORE_OK);
	ck_assert_int_eq(get_int(config, "server.port"), 9100);
	ck_assert_int_eq(get_source(config, "server.port"), APPCORE_CONFIG_FLAG);
	/* --port 0 asks the kernel for a port; only a flag may say so */
	ck_assert_int_eq(appcore_config_set(config, "server.port", "0", APPCORE_CONFIG_FLAG, &err),
			 APPCORE_OK);
	ck_assert_int_eq(get_int(config, "server.port"), 0);
	appcore_config_free(config);
}
END_TEST

START_TEST(environment_errors_name_the_variable)
{
	expect_env_error("APPCORE_SERVER_PORT=abc",
			 "APPCORE_SERVER_PORT: expected an integer, got 'abc'");
	expect_env_error("APPCORE_SERVER_PORT= 80", "APPCORE_SERVER_PORT: expected an integer, got ' 80'");
	expect_env_error("APPCORE_SERVER_PORT=0",
			 "APPCORE_SERVER_PORT: must be between 1 and 65535, got 0");
	expect_env_error("APPCORE_SERVER_THREADS=0",
			 "APPCORE_SERVER_THREADS: must be between 1 and 4096, got 0");
	expect_env_error("APPCORE_LOGGING_ACCESS_LOG=sometimes",
			 "APPCORE_LOGGING_ACCESS_LOG: expected true or false, got 'sometimes'");
	expect_env_error("APPCORE_LOGGING_LEVEL=INFO",
			 "APPCORE_LOGGING_LEVEL: expected one of debug, info, warn, error, got 'INFO'");
	expect_env_error("APPCORE_MODEL_NAME=", "APPCORE_MODEL_NAME: must not be empty");
	expect_env_error("APPCORE_MODEL_NAME=\xff", "APPCORE_MODEL_NAME: must be valid UTF-8");
	expect_env_error("APPCORE_METRICS_LATENCY_BUCKETS_SECONDS=1,0.5",
			 "APPCORE_METRICS_LATENCY_BUCKETS_SECONDS: must be strictly ascending, got 0.5 after 1");
	expect_env_error("APPCORE_METRICS_LATENCY_BUCKETS_SECONDS=0.1,,1",
			 "APPCORE_METRICS_LATENCY_BUCKETS_SECONDS: [1]: expected a number, got ''");
	expect_env_error("APPCORE_METRICS_LATENCY_BUCKETS_SECONDS=",
			 "APPCORE_METRICS_LATENCY_BUCKETS_SECONDS: must not be empty");
	expect_env_error("APPCORE_SERVER_PROT=1",
			 "APPCORE_SERVER_PROT: unknown configuration variable "
			 "(did you mean APPCORE_SERVER_PORT?)");
	expect_env_error("APPCORE_METRICS_FOO=1", "APPCORE_METRICS_FOO: unknown configuration variable");
}
END_TEST

START_TEST(set_validates_like_the_file)
{
	expect_set_error("server.prot", "1", APPCORE_CONFIG_FLAG,
			 "server.prot: unknown key (did you mean server.port?)");
	expect_set_error("port", "1", APPCORE_CONFIG_FLAG, "port: unknown key");
	expect_set_error("server.port", "65536", APPCORE_CONFIG_FLAG,
			 "server.port: must be between 0 and 65535, got 65536");
	expect_set_error("server.port", "0", APPCORE_CONFIG_FILE,
			 "server.port: must be between 1 and 65535, got 0");
	expect_set_error("server.port", "0x50", APPCORE_CONFIG_FLAG,
			 "server.port: expected an integer, got '0x50'");
	expect_set_error("server.threads", "-3", APPCORE_CONFIG_FLAG,
			 "server.threads: must be between 1 and 4096, got -3");
	expect_set_error("server.host", "", APPCORE_CONFIG_FLAG, "server.host: must not be empty");

	appcore_config *config = NULL;
	appcore_error err = { 0 };
	ck_assert_int_eq(appcore_config_new(&config, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_config_set(config, "server.threads", "8", APPCORE_CONFIG_FLAG, &err),
			 APPCORE_OK);
	ck_assert_int_eq(appcore_config_set(config, "server.threads", "x", APPCORE_CONFIG_FLAG, &err),
			 APPCORE_ECONFIG);
	/* a rejected value leaves the previous one */
	ck_assert_int_eq(get_int(config, "server.threads"), 8);
	ck_assert_int_eq(appcore_config_set(config, NULL, "1", APPCORE_CONFIG_FLAG, &err),
			 APPCORE_EINVAL);
	ck_assert_int_eq(appcore_config_set(config, "server.port", "1", (appcore_config_source)9, &err),
			 APPCORE_EINVAL);
	appcore_config_free(config);
}
END_TEST

START_TEST(load_uses_path_then_appcore_config_then_env)
{
	appcore_config *config = NULL;
	appcore_error err = { 0 };
	char path[256];

	make_tmpdir();
	write_file(path, sizeof(path), "a.yaml", "server:\n  port: 1111\n  threads: 3\n");
	unsetenv("APPCORE_CONFIG");
	setenv("APPCORE_SERVER_THREADS", "5", 1);
	ck_assert_int_eq(appcore_config_load(&config, path, &err), APPCORE_OK);
	ck_assert_int_eq(get_int(config, "server.port"), 1111);
	ck_assert_int_eq(get_int(config, "server.threads"), 5);
	ck_assert_int_eq(get_source(config, "server.threads"), APPCORE_CONFIG_ENV);
	appcore_config_free(config);

	/* no path: APPCORE_CONFIG names the file */
	setenv("APPCORE_CONFIG", path, 1);
	ck_assert_int_eq(appcore_config_load(&config, NULL, &err), APPCORE_OK);
	ck_assert_int_eq(get_int(config, "server.port"), 1111);
	appcore_config_free(config);

	/* neither: defaults and environment */
	setenv("APPCORE_CONFIG", "", 1);
	ck_assert_int_eq(appcore_config_load(&config, NULL, &err), APPCORE_OK);
	ck_assert_int_eq(get_int(config, "server.port"), 8000);
	appcore_config_free(config);

	setenv("APPCORE_SERVER_THREADS", "many", 1);
	config = (appcore_config *)&err;
	ck_assert_int_eq(appcore_config_load(&config, path, &err), APPCORE_ECONFIG);
	ck_assert_ptr_null(config);
	ck_assert_str_eq(err.message, "APPCORE_SERVER_THREADS: expected an integer, got 'many'");
	unsetenv("APPCORE_SERVER_THREADS");
	unsetenv("APPCORE_CONFIG");
	remove_tmpdir();
}
END_TEST

START_TEST(render_yaml_and_json_with_sources)
{
	appcore_config *config = NULL;
	appcore_config *again = NULL;
	appcore_error err = { 0 };
	char *text = NULL;
	size_t len = 0;
	char path[256];

	ck_assert_int_eq(appcore_config_new(&config, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_config_set(config, "server.port", "9000", APPCORE_CONFIG_ENV, &err), 0);
	ck_assert_int_eq(appcore_config_set(config, "model.name", "a \"quoted\"\tname", APPCORE_CONFIG_FILE, &err), 0);
	ck_assert_int_eq(appcore_config_set(config, "server.threads", "2", APPCORE_CONFIG_FLAG, &err), 0);
	ck_assert_int_eq(appcore_config_render(&text, &len, config, APPCORE_CONFIG_YAML, &err), 0);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert_str_eq(text, "# appcore effective configuration; after each value, its source\n"
			       "# (default, file, env or flag)\n"
			       "server:\n"
			       "  host: \"127.0.0.1\"                   # default\n"
			       "  port: 9000                          # env\n"
			       "  threads: 2                          # flag\n"
			       "  request_timeout_ms: 10000           # default\n"
			       "  keep_alive_timeout_ms: 5000         # default\n"
			       "  max_body_bytes: 1048576             # default\n"
			       "  shutdown_grace_ms: 5000             # default\n"
			       "  api_keys_file: \"\"                   # default\n"
			       "  ops_port: 0                         # default\n"
			       "  queue_timeout_ms: 500               # default\n"
			       "model:\n"
			       "  path: \"examples/models/iris.json\"   # default\n"
			       "  name: \"a \\\"quoted\\\"\\tname\"          # file\n"
			       "  version: \"1\"                        # default\n"
			       "  max_batch_rows: 10000               # default\n"
			       "  use_best_iteration: false           # default\n"
			       "  predict_threads: 0                  # default\n"
			       "model_repository:\n"
			       "  path: \"\"                            # default\n"
			       "  poll_seconds: 0                     # default\n"
			       "  default_model: \"\"                   # default\n"
			       "logging:\n"
			       "  level: \"info\"                       # default\n"
			       "  format: \"json\"                      # default\n"
			       "  access_log: true                    # default\n"
			       "metrics:\n"
			       "  enabled: true                       # default\n"
			       "  require_api_key: false              # default\n"
			       "  latency_buckets_seconds: [0.0001, 0.00025, 0.0005, 0.001, "
			       "0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]  # default\n"
			       "prediction_log:\n"
			       "  enabled: false                      # default\n"
			       "  url: \"\"                             # default\n"
			       "  password_file: \"\"                   # default\n"
			       "  spool_dir: \"/var/lib/appcore/prediction-log\"  # default\n"
			       "  sample_rate: 1                      # default\n"
			       "  include_inputs: true                # default\n"
			       "  on_disk_full: \"refuse\"              # default\n"
			       "  queue_rows: 65536                   # default\n"
			       "  batch_rows: 1000                    # default\n"
			       "  sync_interval_ms: 200               # default\n"
			       "  fsync: true                         # default\n"
			       "  spool_max_bytes: 1073741824         # default\n"
			       "  connect_timeout_ms: 5000            # default\n"
			       "  write_timeout_ms: 10000             # default\n"
			       "  shutdown_timeout_ms: 3000           # default\n"
			       "jobs:\n"
			       "  redis_url: \"\"                       # default\n"
			       "  dir: \"\"                             # default\n"
			       "  chunk_rows: 50000                   # default\n"
			       "  visibility_timeout_ms: 30000        # default\n"
			       "  max_body_bytes: 10737418240         # default\n"
			       "  inline_max_bytes: 8388608           # default\n"
			       "  result_ttl_seconds: 86400           # default\n"
			       "  worker_threads: 1                   # default\n");

	/* the YAML reads back to the same values */
	make_tmpdir();
	write_file(path, sizeof(path), "effective.yaml", text);
	appcore_free(text);
	ck_assert_int_eq(appcore_config_new(&again, &err), APPCORE_OK);
	ck_assert_msg(appcore_config_load_file(again, path, &err) == APPCORE_OK, "%s", err.message);
	ck_assert_str_eq(get_string(again, "model.name"), "a \"quoted\"\tname");
	ck_assert_int_eq(get_int(again, "server.port"), 9000);
	ck_assert_int_eq(get_int(again, "server.threads"), 2);
	appcore_config_free(again);
	remove_tmpdir();

	ck_assert_int_eq(appcore_config_render(&text, NULL, config, APPCORE_CONFIG_JSON, &err), 0);
	ck_assert_ptr_nonnull(strstr(text, "{\n  \"server\": {\n"
					   "    \"host\": {\"value\": \"127.0.0.1\", \"source\": \"default\"},\n"
					   "    \"port\": {\"value\": 9000, \"source\": \"env\"},\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n  },\n  \"metrics\": {\n"
					   "    \"enabled\": {\"value\": true, \"source\": \"default\"},\n"));
	ck_assert_ptr_nonnull(strstr(text, "\"latency_buckets_seconds\": {\"value\": [0.0001, 0.00025, "
					   "0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], "
					   "\"source\": \"default\"}\n  },\n  \"prediction_log\": {\n"));
	ck_assert_ptr_nonnull(strstr(text, "    \"sample_rate\": {\"value\": 1, \"source\": \"default\"},\n"));
	ck_assert_ptr_nonnull(strstr(text, "\"shutdown_timeout_ms\": {\"value\": 3000, \"source\": "
					   "\"default\"}\n  },\n  \"jobs\": {\n"));
	ck_assert_ptr_nonnull(strstr(text, "\"worker_threads\": {\"value\": 1, \"source\": "
					   "\"default\"}\n  }\n}\n"));
	appcore_free(text);
	ck_assert_int_eq(appcore_config_render(&text, NULL, config, (appcore_config_format)7, &err),
			 APPCORE_EINVAL);
	ck_assert_int_eq(appcore_config_render(NULL, NULL, config, APPCORE_CONFIG_JSON, &err),
			 APPCORE_EINVAL);
	appcore_config_free(config);
}
END_TEST

Suite *test_suite(void)
{
	Suite *suite = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, defaults_match_documented_schema);
	tcase_add_test(tc, getters_reject_unknown_keys_and_wrong_types);
	tcase_add_test(tc, repository_config_yaml_loads_and_resolves_model_path);
	tcase_add_test(tc, file_values_override_defaults_and_only_those);
	tcase_add_test(tc, file_errors_point_at_line_and_column);
	tcase_add_test(tc, environment_overrides_file);
	tcase_add_test(tc, environment_errors_name_the_variable);
	tcase_add_test(tc, set_validates_like_the_file);
	tcase_add_test(tc, load_uses_path_then_appcore_config_then_env);
	tcase_add_test(tc, render_yaml_and_json_with_sources);
	suite_add_tcase(suite, tc);
	return suite;
}
