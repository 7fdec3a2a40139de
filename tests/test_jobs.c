/* The job store client without a Redis: options, addresses, the checks made before anything
 * is sent, status rendering and the single-model resolver. (tests/jobs/ runs jobs against a
 * real redis-server.) */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appcore.h"
#include "check_main.h"

#define IRIS TEST_SOURCE_DIR "/examples/models/iris.json"

static int open_with(appcore_jobs **jobs, const char *url, const char *dir, appcore_error *err)
{
	appcore_jobs_options options = APPCORE_JOBS_OPTIONS_INIT;

	options.redis_url = url;
	options.dir = dir;
	return appcore_jobs_open(jobs, &options, err);
}

START_TEST(options_and_versions)
{
	appcore_jobs_options options;
	appcore_jobs_submit_options submit;
	appcore_config *config = NULL;
	appcore_error err;

	ck_assert_int_eq(appcore_jobs_options_init(&options, APPCORE_JOBS_OPTIONS_VERSION), 0);
	ck_assert_uint_eq(options.chunk_rows, 50000);
	ck_assert_uint_eq(options.visibility_timeout_ms, 30000);
	ck_assert_int_eq(appcore_jobs_options_init(&options, 0), APPCORE_EINVAL);
	ck_assert_int_eq(appcore_jobs_options_init(&options, 2), APPCORE_EINVAL);
	ck_assert_int_eq(appcore_jobs_submit_options_init(&submit, 1), 0);
	ck_assert_int_eq(submit.input_size, -1);
	ck_assert_int_eq(appcore_jobs_submit_options_init(NULL, 1), APPCORE_EINVAL);

	/* the configuration's jobs section, defaults documented in configs/config.yaml */
	ck_assert_int_eq(appcore_config_new(&config, &err), 0);
	ck_assert_int_eq(appcore_config_set(config, "jobs.chunk_rows", "77", APPCORE_CONFIG_FLAG,
					    &err),
			 0);
	ck_assert_int_eq(appcore_config_set(config, "jobs.redis_url", "redis://h:1/2",
					    APPCORE_CONFIG_ENV, &err),
			 0);
	ck_assert_int_eq(appcore_jobs_options_from_config(&options, config, &err), 0);
	ck_assert_uint_eq(options.chunk_rows, 77);
	ck_assert_str_eq(options.redis_url, "redis://h:1/2");
	ck_assert_str_eq(options.dir, "");
	ck_assert_uint_eq(options.inline_max_bytes, 8388608);
	ck_assert_uint_eq(options.max_upload_bytes, 10737418240ULL);
	ck_assert_uint_eq(options.result_ttl_seconds, 86400);
	options.version = 0;
	ck_assert_int_eq(appcore_jobs_options_from_config(&options, config, &err), APPCORE_EINVAL);
	appcore_config_free(config);

	ck_assert_str_eq(appcore_jobs_state_name(APPCORE_JOB_QUEUED), "queued");
	ck_assert_str_eq(appcore_jobs_state_name(APPCORE_JOB_CANCELLED), "cancelled");
	ck_assert_str_eq(appcore_jobs_state_name((appcore_job_state)9), "unknown");
}
END_TEST

START_TEST(redis_urls)
{
	static const struct {
		const char *url;
		const char *message; /* NULL: accepted */
	} cases[] = {
		{ "redis://127.0.0.1:6379/0", NULL },
		{ "redis://cache", NULL },
		{ "redis://:s%40cret@cache:7000/3", NULL },
		{ "redis://user:pw@cache", NULL },
		{ "unix:///run/redis.sock?db=2", NULL },
		{ "", "jobs.redis_url is empty: batch jobs need a Redis address" },
		{ "http://x", "jobs.redis_url: unknown scheme; expected "
			      "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or unix:///PATH[?db=DB], "
			      "got 'http://x'" },
		{ "redis://", "jobs.redis_url: no host; expected" },
		{ "redis://h:0", "jobs.redis_url: the port must be a number from 1 to 65535" },
		{ "redis://h:70000", "jobs.redis_url: the port must be a number from 1 to 65535" },
		{ "redis://h/x", "jobs.redis_url: the database must be a number" },
		{ "redis://pw@h", "jobs.redis_url: credentials must be :PASSWORD or USER:PASSWORD" },
		{ "redis://:%zz@h", "jobs.redis_url: bad %-escape in the password" },
		{ "unix://relative.sock", "jobs.redis_url: the socket path must be absolute" },
		{ "unix:///s.sock?x=1", "jobs.redis_url: the only query parameter is db=NUMBER" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		appcore_jobs *jobs = NULL;
		appcore_error err;
		int rc = open_with(&jobs, cases[i].url, NULL, &err);

		if (cases[i].message == NULL) {
			ck_assert_msg(rc == APPCORE_OK, "%s: %s", cases[i].url, err.message);
			ck_assert_ptr_nonnull(jobs);
		} else {
			ck_assert_int_eq(rc, APPCORE_ECONFIG);
			ck_assert_ptr_null(jobs);
			ck_assert_msg(strncmp(err.message, cases[i].message,
					      strlen(cases[i].message)) == 0,
				      "%s: %s", cases[i].url, err.message);
		}
		appcore_jobs_close(jobs);
	}
}
END_TEST

START_TEST(open_checks_settings_and_directory)
{
	appcore_jobs_options options = APPCORE_JOBS_OPTIONS_INIT;
	appcore_jobs *jobs = NULL;
	appcore_error err;
	char dir[] = "/tmp/appcore-test-jobs-XXXXXX", internal[64];
	struct stat st;

	options.redis_url = "redis://127.0.0.1:1";
	options.chunk_rows = 0;
	ck_assert_int_eq(appcore_jobs_open(&jobs, &options, &err), APPCORE_ECONFIG);
	ck_assert_str_eq(err.message, "jobs.chunk_rows: must be at least 1");
	options.chunk_rows = 1;
	options.visibility_timeout_ms = 99;
	ck_assert_int_eq(appcore_jobs_open(&jobs, &options, &err), APPCORE_ECONFIG);
	options.visibility_timeout_ms = 100;
	options.dir = "/nonexistent/appcore";
	ck_assert_int_eq(appcore_jobs_open(&jobs, &options, &err), APPCORE_ECONFIG);
	ck_assert_str_eq(err.message,
			 "jobs.dir: /nonexistent/appcore: No such file or directory");
	options.version = 7;
	ck_assert_int_eq(appcore_jobs_open(&jobs, &options, &err), APPCORE_EINVAL);
	ck_assert_int_eq(appcore_jobs_open(NULL, &options, &err), APPCORE_EINVAL);

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(open_with(&jobs, "redis://127.0.0.1:1", dir, &err), APPCORE_OK);
	snprintf(internal, sizeof(internal), "%s/.appcore-jobs", dir);
	ck_assert_int_eq(stat(internal, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	appcore_jobs_close(jobs);
	appcore_jobs_close(NULL);
	rmdir(internal);
	rmdir(dir);
}
END_TEST

START_TEST(unreachable_redis_is_unavailable)
{
	appcore_jobs *jobs = NULL;
	appcore_jobs_stats stats;
	appcore_job_status status;
	appcore_error err;

	/* port 1 on loopback: nothing listens there */
	ck_assert_int_eq(open_with(&jobs, "redis://127.0.0.1:1", NULL, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_jobs_ping(jobs, &err), APPCORE_EUNAVAILABLE);
	ck_assert_str_eq(err.message,
			 "job store unavailable: redis at 127.0.0.1:1: Connection refused");
	ck_assert_int_eq(appcore_error_http_status(err.code), 503);
	ck_assert_int_eq(appcore_jobs_ping(jobs, NULL), APPCORE_EUNAVAILABLE);
	ck_assert_int_eq(appcore_jobs_stats_get(&stats, jobs, &err), APPCORE_EUNAVAILABLE);
	ck_assert_int_eq(appcore_jobs_status(&status, jobs, "0123456789abcdef0123456789abcdef",
					     &err),
			 APPCORE_EUNAVAILABLE);
	/* a malformed id is refused before Redis is asked */
	ck_assert_int_eq(appcore_jobs_status(&status, jobs, "../x", &err), APPCORE_ENOTFOUND);
	ck_assert_str_eq(err.message, "no job ../x (job ids are 32 hexadecimal digits)");
	ck_assert_int_eq(appcore_jobs_cancel(NULL, jobs, "ABCDEF0123456789abcdef0123456789", &err),
			 APPCORE_ENOTFOUND);
	appcore_jobs_close(jobs);
}
END_TEST

static int read_nothing(size_t *got, void *ctx, void *buffer, size_t size, appcore_error *err)
{
	(void)ctx;
	(void)buffer;
	(void)size;
	(void)err;
	*got = 0;
	return APPCORE_OK;
}

START_TEST(http_submit_checks_before_the_body)
{
	appcore_jobs_options options = APPCORE_JOBS_OPTIONS_INIT;
	appcore_model *model = NULL;
	appcore_jobs *jobs = NULL;
	appcore_job_status job;
	appcore_error err;

	ck_assert_int_eq(appcore_model_load_file(&model, IRIS, NULL, &err), APPCORE_OK);
	options.redis_url = "redis://127.0.0.1:1";
	options.resolve = appcore_jobs_resolve_single;
	options.resolve_ctx = model;
	ck_assert_int_eq(appcore_jobs_open(&jobs, &options, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_jobs_http_submit(&job, jobs, "model=iris", "text/plain", 3,
						  read_nothing, NULL, &err),
			 APPCORE_EMEDIATYPE);
	ck_assert_int_eq(appcore_error_http_status(err.code), 415);
	ck_assert_int_eq(appcore_jobs_http_submit(&job, jobs, "model=iris&model=x", "text/csv", 3,
						  read_nothing, NULL, &err),
			 APPCORE_EREQUEST);
	ck_assert_str_eq(err.message, "query parameter 'model' given twice");
	ck_assert_int_eq(appcore_jobs_http_submit(&job, jobs, "model=ir%zz", "text/csv", 3,
						  read_nothing, NULL, &err),
			 APPCORE_EREQUEST);
	ck_assert_int_eq(appcore_jobs_http_submit(&job, jobs, "model=other", "TEXT/CSV; header=present",
						  3, read_nothing, NULL, &err),
			 APPCORE_EBADREQUEST);
	ck_assert_str_eq(err.message, "no model 'other' (this service has model 'iris', version '')");
	ck_assert_int_eq(appcore_error_http_status(err.code), 400);
	ck_assert_int_eq(appcore_jobs_http_submit(&job, jobs, "model=iris&version=2",
						  "application/x-ndjson", 3, read_nothing, NULL, &err),
			 APPCORE_EBADREQUEST);
	ck_assert_str_eq(err.message, "no version '2' of model 'iris' (this service has version '')");
	/* past the local checks, Redis is needed: 503 before the body is read */
	ck_assert_int_eq(appcore_jobs_http_submit(&job, jobs, "model=ir%69s", "text/csv", 3,
						  read_nothing, NULL, &err),
			 APPCORE_EUNAVAILABLE);
	/* path jobs need a jobs directory */
	{
		appcore_jobs_submit_options submit = APPCORE_JOBS_SUBMIT_OPTIONS_INIT;

		ck_assert_int_eq(appcore_jobs_submit_path(&job, jobs, &submit, "x.csv", &err),
				 APPCORE_EREQUEST);
		ck_assert_str_eq(err.message, "a job needs a model name");
		submit.model = "iris";
		ck_assert_int_eq(appcore_jobs_submit_path(&job, jobs, &submit, "x.csv", &err),
				 APPCORE_EFORBIDDEN);
		ck_assert_str_eq(err.message, "input_path needs a jobs directory, and jobs.dir is "
					      "not configured");
	}
	appcore_jobs_close(jobs);
	appcore_model_unref(model);
}
END_TEST

START_TEST(status_json)
{
	appcore_job_status s;
	appcore_error err;
	char *text = NULL;
	size_t len = 0;

	memset(&s, 0, sizeof(s));
	strcpy(s.id, "0123456789abcdef0123456789abcdef");
	s.state = APPCORE_JOB_FAILED;
	s.format = APPCORE_ROWS_NDJSON;
	s.output = APPCORE_OUTPUT_MARGIN;
	strcpy(s.model, "m\"1");
	strcpy(s.model_version, "2");
	s.rows_total = 4;
	s.rows_done = 1;
	s.chunks_total = 2;
	s.chunks_done = 1;
	s.input_bytes = 40;
	s.result_bytes = 6;
	s.created_ms = 1700000000123LL;
	s.started_ms = 1700000001123LL;
	s.finished_ms = 1700000003123LL;
	appcore_error_set(&s.error, APPCORE_EREQUEST, "line 3: bad");
	s.error.line = 3;
	ck_assert_int_eq(appcore_jobs_status_json(&text, &len, &s, &err), APPCORE_OK);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert_str_eq(
	    text, "{\"id\":\"0123456789abcdef0123456789abcdef\",\"state\":\"failed\","
		  "\"model\":{\"name\":\"m\\\"1\",\"version\":\"2\"},\"format\":\"ndjson\","
		  "\"output\":\"margin\",\"rows_total\":4,\"rows_done\":1,\"chunks_total\":2,"
		  "\"chunks_done\":1,\"progress\":0.25,\"input_bytes\":40,\"result_bytes\":6,"
		  "\"created_at\":\"2023-11-14T22:13:20.123Z\","
		  "\"started_at\":\"2023-11-14T22:13:21.123Z\","
		  "\"finished_at\":\"2023-11-14T22:13:23.123Z\",\"elapsed_seconds\":3,"
		  "\"rows_per_second\":0,\"error\":{\"code\":\"invalid_request\","
		  "\"message\":\"line 3: bad\",\"line\":3}}");
	appcore_free(text);
	s.state = APPCORE_JOB_QUEUED;
	s.started_ms = s.finished_ms = 0;
	s.error.code = APPCORE_OK;
	ck_assert_int_eq(appcore_jobs_status_json(&text, NULL, &s, &err), APPCORE_OK);
	ck_assert_ptr_nonnull(strstr(text, "\"started_at\":null,\"finished_at\":null,"));
	ck_assert_ptr_nonnull(strstr(text, "\"rows_per_second\":null,\"error\":null}"));
	appcore_free(text);
	ck_assert_int_eq(appcore_jobs_status_json(NULL, NULL, &s, &err), APPCORE_EINVAL);
}
END_TEST

START_TEST(single_model_resolver)
{
	appcore_model *model = NULL, *got = NULL;
	appcore_model_load_options load = APPCORE_MODEL_LOAD_OPTIONS_INIT;
	appcore_error err;

	load.name = "flowers";
	load.model_version = "3";
	ck_assert_int_eq(appcore_model_load_file(&model, IRIS, &load, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_jobs_resolve_single(&got, model, "flowers", "", &err), APPCORE_OK);
	ck_assert_ptr_eq(got, model);
	appcore_model_unref(got);
	ck_assert_int_eq(appcore_jobs_resolve_single(&got, model, "flowers", "3", &err), APPCORE_OK);
	appcore_model_unref(got);
	ck_assert_int_eq(appcore_jobs_resolve_single(&got, model, "trees", "", &err),
			 APPCORE_ENOTFOUND);
	ck_assert_ptr_null(got);
	ck_assert_int_eq(appcore_jobs_resolve_single(&got, model, "flowers", "4", &err),
			 APPCORE_ENOTFOUND);
	ck_assert_int_eq(appcore_jobs_resolve_single(&got, NULL, "flowers", "", &err),
			 APPCORE_EINVAL);
	appcore_model_unref(model);
}
END_TEST

START_TEST(worker_needs_a_resolver)
{
	appcore_jobs *jobs = NULL;
	appcore_jobs_worker *worker = NULL;
	appcore_error err;

	ck_assert_int_eq(open_with(&jobs, "redis://127.0.0.1:1", NULL, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_jobs_worker_new(&worker, jobs, "w", &err), APPCORE_EINVAL);
	ck_assert_ptr_null(worker);
	appcore_jobs_worker_free(NULL);
	ck_assert_ptr_null(appcore_jobs_worker_name(NULL));
	appcore_jobs_close(jobs);
}
END_TEST

Suite *test_suite(void)
{
	Suite *suite = suite_create("jobs");
	TCase *tc = tcase_create("jobs");

	tcase_add_test(tc, options_and_versions);
	tcase_add_test(tc, redis_urls);
	tcase_add_test(tc, open_checks_settings_and_directory);
	tcase_add_test(tc, unreachable_redis_is_unavailable);
	tcase_add_test(tc, http_submit_checks_before_the_body);
	tcase_add_test(tc, status_json);
	tcase_add_test(tc, single_model_resolver);
	tcase_add_test(tc, worker_needs_a_resolver);
	suite_add_tcase(suite, tc);
	return suite;
}
