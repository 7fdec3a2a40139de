#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <appcore.h>

#include "check_main.h"

/* A log destination we can read back: an O_APPEND temporary file. */
struct capture {
	char path[64];
	int fd;
};

static void capture_open(struct capture *c)
{
	snprintf(c->path, sizeof(c->path), "/tmp/appcore-log-XXXXXX");
	c->fd = mkstemp(c->path);
	ck_assert_int_ge(c->fd, 0);
	close(c->fd);
	c->fd = open(c->path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(c->fd, 0);
}

/* Everything written so far; caller frees. */
static char *capture_read(struct capture *c, size_t *len)
{
	FILE *f = fopen(c->path, "rb");
	char *text;
	long size;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = malloc((size_t)size + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
	text[size] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)size;
	return text;
}

static void capture_close(struct capture *c)
{
	close(c->fd);
	unlink(c->path);
}

/* Check the timestamp prefix of a JSON line and return what follows it. */
static const char *after_json_ts(const char *line)
{
	struct timespec now;
	struct tm tm = { 0 };
	const char *ts = line + strlen("{\"ts\":\"");

	ck_assert_int_eq(strncmp(line, "{\"ts\":\"", 7), 0);
	/* 2024-05-01T12:00:00.123456Z */
	for (int i = 0; i < 27; i++) {
		const char *shape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
		if (shape[i] == 'd')
			ck_assert_msg(ts[i] >= '0' && ts[i] <= '9', "ts %.27s", ts);
		else
			ck_assert_int_eq(ts[i], shape[i]);
	}
	ck_assert_int_eq(sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
				&tm.tm_hour, &tm.tm_min, &tm.tm_sec),
			 6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	clock_gettime(CLOCK_REALTIME, &now);
	time_t logged = timegm(&tm);
	ck_assert_msg(logged <= now.tv_sec && logged >= now.tv_sec - 5, "ts %.27s", ts);
	return ts + 27;
}

START_TEST(json_access_record)
{
	struct capture c;
	appcore_logger *logger = NULL;
	appcore_error err = { 0 };
	char *text;

	capture_open(&c);
	ck_assert_int_eq(appcore_logger_new(&logger, c.fd, APPCORE_LOG_INFO, APPCORE_LOG_JSON, &err),
			 APPCORE_OK);
	appcore_log_field fields[] = {
		APPCORE_LOG_STR("request_id", "3f1c2a9d"), APPCORE_LOG_STR("method", "POST"),
		APPCORE_LOG_STR("path", "/predict"),       APPCORE_LOG_INT("status", 200),
		APPCORE_LOG_FLOAT("duration_ms", 0.143),   APPCORE_LOG_INT("bytes_in", 123),
		APPCORE_LOG_INT("bytes_out", 45),          APPCORE_LOG_STR("remote", "127.0.0.1"),
	};
	appcore_log(logger, APPCORE_LOG_INFO, "request", fields, sizeof(fields) / sizeof(fields[0]));
	text = capture_read(&c, NULL);
	ck_assert_str_eq(after_json_ts(text),
			 "\",\"level\":\"info\",\"msg\":\"request\",\"request_id\":\"3f1c2a9d\","
			 "\"method\":\"POST\",\"path\":\"/predict\",\"status\":200,"
			 "\"duration_ms\":0.143,\"bytes_in\":123,\"bytes_out\":45,"
			 "\"remote\":\"127.0.0.1\"}\n");
	free(text);
	appcore_logger_free(logger);
	capture_close(&c);
}
END_TEST

START_TEST(json_escapes_any_bytes_and_types)
{
	struct capture c;
	appcore_logger *logger = NULL;
	char *text;
	json_t *doc;
	json_error_t jerr;

	capture_open(&c);
	ck_assert_int_eq(appcore_logger_new(&logger, c.fd, APPCORE_LOG_DEBUG, APPCORE_LOG_JSON, NULL),
			 APPCORE_OK);
	appcore_log_field fields[] = {
		APPCORE_LOG_STR("s", "q\"b\\n\n\t\r\x01\x1f\x7f é \xff\xc3"),
		APPCORE_LOG_STR("null", NULL),
		APPCORE_LOG_INT("min", LLONG_MIN),
		APPCORE_LOG_INT("max", LLONG_MAX),
		APPCORE_LOG_FLOAT("third", 1.0 / 3),
		APPCORE_LOG_FLOAT("whole", 2),
		APPCORE_LOG_FLOAT("nan", NAN),
		APPCORE_LOG_FLOAT("inf", -INFINITY),
		APPCORE_LOG_BOOL("yes", 7),
		APPCORE_LOG_BOOL("no", 0),
		APPCORE_LOG_STR("k\"ey", "v"),
	};
	appcore_log(logger, APPCORE_LOG_ERROR, "m\n\"sg\"", fields, sizeof(fields) / sizeof(fields[0]));
	text = capture_read(&c, NULL);
	ck_assert_str_eq(after_json_ts(text),
			 "\",\"level\":\"error\",\"msg\":\"m\\n\\\"sg\\\"\","
			 "\"s\":\"q\\\"b\\\\n\\n\\t\\r\\u0001\\u001f\x7f é \\ufffd\\ufffd\","
			 "\"null\":null,\"min\":-9223372036854775808,\"max\":9223372036854775807,"
			 "\"third\":0.3333333333333333,\"whole\":2,\"nan\":null,\"inf\":null,"
			 "\"yes\":true,\"no\":false,\"k\\\"ey\":\"v\"}\n");
	/* and a JSON parser agrees */
	doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	ck_assert_msg(doc != NULL, "%s", jerr.text);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "msg")), "m\n\"sg\"");
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "min")), LLONG_MIN);
	json_decref(doc);
	free(text);
	appcore_logger_free(logger);
	capture_close(&c);
}
END_TEST

START_TEST(levels_filter_and_parse)
{
	struct capture c;
	appcore_logger *logger = NULL;
	appcore_log_level level = APPCORE_LOG_DEBUG;
	appcore_error err = { 0 };
	char *text;

	ck_assert_int_eq(appcore_log_level_parse(&level, "warn"), APPCORE_OK);
	ck_assert_int_eq(level, APPCORE_LOG_WARN);
	ck_assert_int_eq(appcore_log_level_parse(&level, "error"), APPCORE_OK);
	ck_assert_int_eq(level, APPCORE_LOG_ERROR);
	ck_assert_int_eq(appcore_log_level_parse(&level, "WARN"), APPCORE_EINVAL);
	ck_assert_int_eq(appcore_log_level_parse(&level, "warning"), APPCORE_EINVAL);
	ck_assert_int_eq(level, APPCORE_LOG_ERROR);
	ck_assert_int_eq(appcore_log_level_parse(&level, NULL), APPCORE_EINVAL);

	capture_open(&c);
	ck_assert_int_eq(appcore_logger_new(&logger, c.fd, APPCORE_LOG_WARN, APPCORE_LOG_JSON, &err), 0);
	ck_assert_int_eq(appcore_log_enabled(logger, APPCORE_LOG_INFO), 0);
	ck_assert_int_eq(appcore_log_enabled(logger, APPCORE_LOG_WARN), 1);
	ck_assert_int_eq(appcore_log_enabled(logger, APPCORE_LOG_ERROR), 1);
	ck_assert_int_eq(appcore_log_enabled(NULL, APPCORE_LOG_ERROR), 0);
	appcore_log(logger, APPCORE_LOG_DEBUG, "dropped", NULL, 0);
	appcore_log(logger, APPCORE_LOG_INFO, "dropped", NULL, 0);
	appcore_log(logger, APPCORE_LOG_WARN, "kept", NULL, 0);
	appcore_log(NULL, APPCORE_LOG_ERROR, "nowhere", NULL, 0);
	text = capture_read(&c, NULL);
	ck_assert_str_eq(after_json_ts(text), "\",\"level\":\"warn\",\"msg\":\"kept\"}\n");
	free(text);
	appcore_logger_free(logger);
	appcore_logger_free(NULL);
	capture_close(&c);

	ck_assert_int_eq(appcore_logger_new(&logger, -1, APPCORE_LOG_INFO, APPCORE_LOG_JSON, &err),
			 APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "appcore_logger_new: bad fd -1");
	ck_assert_int_eq(appcore_logger_new(&logger, 2, (appcore_log_level)9, APPCORE_LOG_JSON, &err),
			 APPCORE_EINVAL);
	ck_assert_int_eq(appcore_logger_new(&logger, 2, APPCORE_LOG_INFO, (appcore_log_format)9, &err),
			 APPCORE_EINVAL);
}
END_TEST

START_TEST(text_format_for_humans)
{
	struct capture c;
	appcore_logger *logger = NULL;
	char *text;

	capture_open(&c);
	ck_assert_int_eq(appcore_logger_new(&logger, c.fd, APPCORE_LOG_DEBUG, APPCORE_LOG_TEXT, NULL), 0);
	appcore_log_field fields[] = {
		APPCORE_LOG_STR("path", "/predict"), APPCORE_LOG_INT("status", 200),
		APPCORE_LOG_FLOAT("duration_ms", 0.5), APPCORE_LOG_BOOL("ok", 1),
		APPCORE_LOG_STR("agent", "curl/8 \"x\""), APPCORE_LOG_STR("empty", ""),
		APPCORE_LOG_STR("none", NULL),
	};
	appcore_log(logger, APPCORE_LOG_WARN, "slow\trequest", fields, 7);
	appcore_log(logger, APPCORE_LOG_DEBUG, "plain", NULL, 0);
	text = capture_read(&c, NULL);
	char *second = strchr(text, '\n');
	ck_assert_ptr_nonnull(second);
	*second++ = '\0';
	ck_assert_int_eq(text[26], 'Z');
	ck_assert_str_eq(text + 27,
			 " WARN  slow\\x09request path=/predict status=200 duration_ms=0.5 ok=true "
			 "agent=\"curl/8 \\\"x\\\"\" empty=\"\" none=null");
	ck_assert_int_eq(second[26], 'Z');
	ck_assert_str_eq(second + 27, " DEBUG plain\n");
	free(text);
	appcore_logger_free(logger);
	capture_close(&c);
}
END_TEST

#define WRITERS 8
#define LINES_EACH 2000

struct writer {
	appcore_logger *logger;
	int index;
	const char *payload;
};

static void *write_lines(void *arg)
{
	struct writer *w = arg;
	for (int i = 0; i < LINES_EACH; i++) {
		appcore_log_field fields[] = {
			APPCORE_LOG_INT("writer", w->index),
			APPCORE_LOG_INT("seq", i),
			APPCORE_LOG_STR("payload", w->payload),
		};
		appcore_log(w->logger, APPCORE_LOG_INFO, "line", fields, 3);
	}
	return NULL;
}

START_TEST(concurrent_writers_never_interleave)
{
	struct capture c;
	appcore_logger *logger = NULL;
	struct writer writers[WRITERS];
	pthread_t threads[WRITERS];
	int next_seq[WRITERS] = { 0 };
	char payload[3000]; /* larger than the stack buffer: the heap path too */
	char *text, *line, *save = NULL;
	size_t count = 0;

	memset(payload, 'x', sizeof(payload) - 1);
	payload[sizeof(payload) - 1] = '\0';
	capture_open(&c);
	ck_assert_int_eq(appcore_logger_new(&logger, c.fd, APPCORE_LOG_INFO, APPCORE_LOG_JSON, NULL), 0);
	for (int i = 0; i < WRITERS; i++) {
		writers[i] = (struct writer){ logger, i, i % 2 ? payload : "short" };
		ck_assert_int_eq(pthread_create(&threads[i], NULL, write_lines, &writers[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(threads[i], NULL);
	text = capture_read(&c, NULL);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *doc = json_loads(line, 0, &jerr);
		ck_assert_msg(doc != NULL, "line %zu is not JSON: %s", count, jerr.text);
		int writer = (int)json_integer_value(json_object_get(doc, "writer"));
		ck_assert(writer >= 0 && writer < WRITERS);
		/* each writer's lines arrive whole and in its own order */
		ck_assert_int_eq(json_integer_value(json_object_get(doc, "seq")), next_seq[writer]);
		next_seq[writer]++;
		json_decref(doc);
		count++;
	}
	ck_assert_uint_eq(count, WRITERS * LINES_EACH);
	free(text);
	appcore_logger_free(logger);
	capture_close(&c);
}
END_TEST

Suite *test_suite(void)
{
	Suite *suite = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, json_access_record);
	tcase_add_test(tc, json_escapes_any_bytes_and_types);
	tcase_add_test(tc, levels_filter_and_parse);
	tcase_add_test(tc, text_format_for_humans);
	tcase_add_test(tc, concurrent_writers_never_interleave);
	suite_add_tcase(suite, tc);
	return suite;
}
