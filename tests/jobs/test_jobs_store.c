/* The job store's C API against a real redis-server this program starts (and stops): submit,
 * worker steps, results, cancelling, take-over of abandoned chunks, Redis going away and the
 * sweep, as a program embedding the library sees them. Exit 77 (skip) without redis-server. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "appcore.h"

#define IRIS TEST_SOURCE_DIR "/examples/models/iris.json"

static char tmp[] = "/tmp/appcore-jobs-store-XXXXXX";
static char jobs_dir[128], redis_dir[128], url[64];
static int redis_port;
static pid_t redis_pid;
static appcore_model *iris;

static const char rows_csv[] = "sepal_length,sepal_width,petal_length,petal_width\n"
			       "5.1,3.5,1.4,0.2\n6.2,2.9,4.3,1.3\n\n7.7,3.0,6.1,2.3\n"
			       "5.0,3.6,1.4,0.2\n6.0,2.2,5.0,1.5\n";

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void pause_briefly(void)
{
	const struct timespec pause = { 0, 20 * 1000 * 1000 };
	nanosleep(&pause, NULL);
}

static int free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		abort();
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void redis_start(void)
{
	char port[16];
	appcore_jobs_options options = APPCORE_JOBS_OPTIONS_INIT;
	appcore_jobs *probe = NULL;
	double deadline;

	snprintf(port, sizeof(port), "%d", redis_port);
	redis_pid = fork();
	if (redis_pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		/* never outlive this test program, whatever happens to it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 1);
		dup2(null, 2);
		execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save",
		       "", "--appendonly", "yes", "--dir", redis_dir, "--daemonize", "no", (char *)NULL);
		_exit(127);
	}
	options.redis_url = url;
	if (appcore_jobs_open(&probe, &options, NULL) != APPCORE_OK)
		abort();
	for (deadline = now() + 20; appcore_jobs_ping(probe, NULL) != APPCORE_OK;) {
		if (now() > deadline)
			abort();
		pause_briefly();
	}
	appcore_jobs_close(probe);
}

static void redis_stop(void)
{
	int status;

	if (redis_pid > 0) {
		kill(redis_pid, SIGTERM);
		waitpid(redis_pid, &status, 0);
		redis_pid = 0;
	}
}

static void setup(void)
{
	appcore_error err;

	if (mkdtemp(tmp) == NULL)
		abort();
	snprintf(jobs_dir, sizeof(jobs_dir), "%s/jobs", tmp);
	snprintf(redis_dir, sizeof(redis_dir), "%s/redis", tmp);
	mkdir(jobs_dir, 0775);
	mkdir(redis_dir, 0775);
	redis_port = free_port();
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", redis_port);
	redis_start();
	if (appcore_model_load_file(&iris, IRIS, NULL, &err) != APPCORE_OK)
		abort();
}

static void teardown(void)
{
	char command[256];

	redis_stop();
	appcore_model_unref(iris);
	snprintf(command, sizeof(command), "rm -rf '%s'", tmp);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
}

/* A client on the test Redis: chunk_rows 2, a short visibility timeout. */
static appcore_jobs *open_store(const char *dir, unsigned long long inline_max)
{
	appcore_jobs_options options = APPCORE_JOBS_OPTIONS_INIT;
	appcore_jobs *jobs = NULL;
	appcore_error err;

	options.redis_url = url;
	options.dir = dir;
	options.chunk_rows = 2;
	options.visibility_timeout_ms = 200;
	options.inline_max_bytes = inline_max;
	options.result_ttl_seconds = 60;
	options.resolve = appcore_jobs_resolve_single;
	options.resolve_ctx = iris;
	ck_assert_msg(appcore_jobs_open(&jobs, &options, &err) == APPCORE_OK, "%s", err.message);
	return jobs;
}

static redisContext *raw(void)
{
	redisContext *c = redisConnect("127.0.0.1", redis_port);

	ck_assert(c != NULL && c->err == 0);
	return c;
}

static void raw_command(const char *format, const char *arg)
{
	redisContext *c = raw();
	freeReplyObject(redisCommand(c, format, arg));
	redisFree(c);
}

/* Step a worker until the job reaches a final state (or fail after a deadline). */
static appcore_job_state run_until_done(appcore_jobs *jobs, appcore_jobs_worker *w,
					const char *id, appcore_jobs_step *last_failure)
{
	appcore_job_status status;
	appcore_jobs_step step;
	appcore_error err;
	double deadline = now() + 30;

	for (;;) {
		ck_assert_int_eq(appcore_jobs_status(&status, jobs, id, &err), APPCORE_OK);
		if (status.state >= APPCORE_JOB_SUCCEEDED)
			return status.state;
		ck_assert_msg(now() < deadline, "job %s did not finish", id);
		ck_assert_msg(appcore_jobs_worker_step(&step, w, 100, &err) == APPCORE_OK, "%s",
			      err.message);
		if (step.event == APPCORE_JOBS_JOB_FAILED && last_failure != NULL)
			*last_failure = step;
	}
}

/* Step a new worker until the queue is empty: what earlier tests left (chunks of failed or
 * unfinished jobs) must not be taken for this test's chunks. */
static appcore_jobs_worker *fresh_worker(appcore_jobs *jobs, const char *name)
{
	appcore_jobs_worker *w = NULL;
	appcore_jobs_step step;
	appcore_error err;
	double deadline = now() + 30;

	ck_assert_int_eq(appcore_jobs_worker_new(&w, jobs, name, &err), APPCORE_OK);
	do {
		ck_assert_msg(now() < deadline, "the queue never emptied");
		ck_assert_msg(appcore_jobs_worker_step(&step, w, 0, &err) == APPCORE_OK, "%s",
			      err.message);
	} while (step.event != APPCORE_JOBS_IDLE);
	return w;
}

struct text {
	char data[4096];
	size_t len;
};

static int append_text(void *ctx, const char *data, size_t len)
{
	struct text *t = ctx;

	if (t->len + len >= sizeof(t->data))
		return -1;
	memcpy(t->data + t->len, data, len);
	t->len += len;
	t->data[t->len] = '\0';
	return 0;
}

/* What appcore-cli predict writes for rows_csv. */
static void expected_output(struct text *out)
{
	appcore_rows_scorer *s = NULL;
	appcore_error err;

	memset(out, 0, sizeof(*out));
	ck_assert_int_eq(appcore_rows_scorer_new(&s, iris, APPCORE_ROWS_CSV, NULL, append_text, out,
						 &err),
			 APPCORE_OK);
	ck_assert_int_eq(appcore_rows_scorer_text(s, rows_csv, strlen(rows_csv), 1, &err), 0);
	ck_assert_int_eq(appcore_rows_scorer_flush(s, &err), APPCORE_OK);
	appcore_rows_scorer_free(s);
}

static int submit_text(appcore_job_status *job, appcore_jobs *jobs, const char *text)
{
	appcore_jobs_submit_options options = APPCORE_JOBS_SUBMIT_OPTIONS_INIT;
	appcore_error err;
	int fds[2], rc;

	options.model = "iris";
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
	close(fds[1]);
	rc = appcore_jobs_submit_fd(job, jobs, &options, fds[0], &err);
	close(fds[0]);
	return rc;
}

START_TEST(inline_job_end_to_end)
{
	appcore_jobs *jobs = open_store(NULL, 1 << 20);
	appcore_jobs_worker *w = NULL;
	appcore_jobs_stats before, after;
	appcore_job_status job, done;
	struct text got, want;
	appcore_error err;

	w = fresh_worker(jobs, "test-worker");
	ck_assert_int_eq(appcore_jobs_stats_get(&before, jobs, &err), APPCORE_OK);
	ck_assert_int_eq(submit_text(&job, jobs, rows_csv), APPCORE_OK);
	ck_assert_int_eq(job.state, APPCORE_JOB_QUEUED);
	ck_assert_uint_eq(job.rows_total, 5);
	ck_assert_uint_eq(job.chunks_total, 3);
	ck_assert_str_eq(job.model, "iris");
	ck_assert_str_eq(appcore_jobs_worker_name(w), "test-worker");
	ck_assert_int_eq(run_until_done(jobs, w, job.id, NULL), APPCORE_JOB_SUCCEEDED);
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(appcore_jobs_result(&done, jobs, job.id, append_text, &got, &err),
			 APPCORE_OK);
	expected_output(&want);
	ck_assert_str_eq(got.data, want.data);
	ck_assert_uint_eq(done.result_bytes, want.len);
	ck_assert_uint_eq(done.rows_done, 5);
	ck_assert_int_ge(done.finished_ms, done.started_ms);
	ck_assert_int_ge(done.started_ms, done.created_ms);
	ck_assert_int_eq(appcore_jobs_stats_get(&after, jobs, &err), APPCORE_OK);
	ck_assert_uint_eq(after.submitted, before.submitted + 1);
	ck_assert_uint_eq(after.succeeded, before.succeeded + 1);
	ck_assert_uint_eq(after.rows_scored, before.rows_scored + 5);
	/* a cancel after the end is a conflict, and changes nothing */
	ck_assert_int_eq(appcore_jobs_cancel(&done, jobs, job.id, &err), APPCORE_ECONFLICT);
	ck_assert_int_eq(done.state, APPCORE_JOB_SUCCEEDED);
	appcore_jobs_worker_free(w);
	appcore_jobs_close(jobs);
}
END_TEST

START_TEST(directory_job_then_sweep)
{
	appcore_jobs *jobs = open_store(jobs_dir, 0);
	appcore_jobs_worker *w = NULL;
	appcore_job_status job;
	struct text got, want;
	appcore_error err;
	char path[512], key[128];
	struct stat st;
	size_t removed = 99;
	FILE *f;

	snprintf(path, sizeof(path), "%s/rows.csv", jobs_dir);
	f = fopen(path, "w");
	fputs(rows_csv, f);
	fclose(f);
	/* a path job: the file is read where it is */
	{
		appcore_jobs_submit_options options = APPCORE_JOBS_SUBMIT_OPTIONS_INIT;
		options.model = "iris";
		ck_assert_int_eq(appcore_jobs_submit_path(&job, jobs, &options, "rows.csv", &err),
				 APPCORE_OK);
	}
	w = fresh_worker(jobs, NULL);
	ck_assert_int_eq(run_until_done(jobs, w, job.id, NULL), APPCORE_JOB_SUCCEEDED);
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(appcore_jobs_result(NULL, jobs, job.id, append_text, &got, &err), 0);
	expected_output(&want);
	ck_assert_str_eq(got.data, want.data);

	/* an upload bigger than inline_max_bytes (0 here) goes to the directory */
	ck_assert_int_eq(submit_text(&job, jobs, rows_csv), APPCORE_OK);
	ck_assert_int_eq(run_until_done(jobs, w, job.id, NULL), APPCORE_JOB_SUCCEEDED);
	snprintf(path, sizeof(path), "%s/.appcore-jobs/%s/out/2", jobs_dir, job.id);
	ck_assert_int_eq(stat(path, &st), 0);
	/* a writer that fails stops the result */
	ck_assert_int_eq(appcore_jobs_result(NULL, jobs, job.id, append_text,
					     &(struct text){ .len = sizeof(got.data) }, &err),
			 APPCORE_EIO);

	/* the job is still known: its files stay */
	ck_assert_int_eq(appcore_jobs_sweep(&removed, jobs, 0, &err), APPCORE_OK);
	ck_assert_uint_eq(removed, 0);
	/* forgotten by Redis (expired): its files go */
	snprintf(key, sizeof(key), "appcore:job:%s", job.id);
	raw_command("DEL %s", key);
	ck_assert_int_eq(appcore_jobs_status(&job, jobs, job.id, &err), APPCORE_ENOTFOUND);
	ck_assert_int_eq(appcore_jobs_sweep(&removed, jobs, 0, &err), APPCORE_OK);
	ck_assert_uint_eq(removed, 1);
	snprintf(path, sizeof(path), "%s/.appcore-jobs/%s", jobs_dir, key + strlen("appcore:job:"));
	ck_assert_int_ne(stat(path, &st), 0);
	appcore_jobs_worker_free(w);
	appcore_jobs_close(jobs);
}
END_TEST

START_TEST(bad_line_fails_the_job)
{
	appcore_jobs *jobs = open_store(NULL, 1 << 20);
	appcore_jobs_worker *w = NULL;
	appcore_jobs_step failure;
	appcore_job_status job;
	appcore_error err;

	w = fresh_worker(jobs, NULL);
	ck_assert_int_eq(submit_text(&job, jobs, "5.1,3.5,1.4,0.2\n5.1,3.5,1.4,0.2\n6,x,1,1\n"),
			 APPCORE_OK);
	memset(&failure, 0, sizeof(failure));
	ck_assert_int_eq(run_until_done(jobs, w, job.id, &failure), APPCORE_JOB_FAILED);
	ck_assert_int_eq(failure.event, APPCORE_JOBS_JOB_FAILED);
	ck_assert_int_eq(failure.error.line, 3);
	ck_assert_int_eq(appcore_jobs_status(&job, jobs, job.id, &err), APPCORE_OK);
	ck_assert_int_eq(job.error.code, APPCORE_EREQUEST);
	ck_assert_int_eq(job.error.line, 3);
	ck_assert_str_eq(job.error.message,
			 "line 3: column 2: expected a finite number or an empty field, got 'x'");
	ck_assert_int_eq(appcore_jobs_result(NULL, jobs, job.id, append_text, NULL, &err),
			 APPCORE_ECONFLICT);
	appcore_jobs_worker_free(w);
	appcore_jobs_close(jobs);
}
END_TEST

START_TEST(cancelled_chunks_are_dropped)
{
	appcore_jobs *jobs = open_store(NULL, 1 << 20);
	appcore_jobs_worker *w = NULL;
	appcore_job_status job, cancelled;
	appcore_jobs_step step;
	appcore_error err;
	int skipped = 0;

	w = fresh_worker(jobs, NULL);
	ck_assert_int_eq(submit_text(&job, jobs, rows_csv), APPCORE_OK);
	ck_assert_int_eq(appcore_jobs_cancel(&cancelled, jobs, job.id, &err), APPCORE_OK);
	ck_assert_int_eq(cancelled.state, APPCORE_JOB_CANCELLED);
	ck_assert_int_eq(appcore_jobs_cancel(NULL, jobs, job.id, &err), APPCORE_ECONFLICT);
	/* the three chunks are taken and dropped, then the queue is empty */
	do {
		ck_assert_int_eq(appcore_jobs_worker_step(&step, w, 100, &err), APPCORE_OK);
		skipped += step.event == APPCORE_JOBS_CHUNK_SKIPPED;
		ck_assert_int_ne(step.event, APPCORE_JOBS_CHUNK_DONE);
	} while (step.event != APPCORE_JOBS_IDLE);
	ck_assert_int_ge(skipped, 3);
	ck_assert_int_eq(appcore_jobs_cancel(NULL, jobs, "0123456789abcdef0123456789abcdef", &err),
			 APPCORE_ENOTFOUND);
	appcore_jobs_worker_free(w);
	appcore_jobs_close(jobs);
}
END_TEST

/* Take one queue entry as a consumer that then vanishes. */
static void take_and_vanish(const char *consumer)
{
	redisContext *c = raw();
	redisReply *reply = redisCommand(c, "XREADGROUP GROUP appcore-workers %s COUNT 1 STREAMS "
					    "appcore:jobs:queue >",
					 consumer);

	ck_assert_ptr_nonnull(reply);
	ck_assert_int_eq(reply->type, REDIS_REPLY_ARRAY);
	freeReplyObject(reply);
	redisFree(c);
}

START_TEST(abandoned_chunks_are_taken_over)
{
	appcore_jobs *jobs = open_store(NULL, 1 << 20);
	appcore_jobs_worker *w = NULL;
	appcore_job_status job;
	appcore_jobs_step step;
	appcore_error err;
	double deadline = now() + 20;
	int reclaimed = 0;

	w = fresh_worker(jobs, NULL);
	ck_assert_int_eq(submit_text(&job, jobs, "5.1,3.5,1.4,0.2\n"), APPCORE_OK);
	take_and_vanish("ghost");
	/* after the visibility timeout (200 ms) the ghost's chunk comes back */
	while (!reclaimed) {
		ck_assert_msg(now() < deadline, "the chunk was never taken over");
		ck_assert_int_eq(appcore_jobs_worker_step(&step, w, 50, &err), APPCORE_OK);
		reclaimed = step.event == APPCORE_JOBS_CHUNK_DONE && step.reclaimed;
	}
	ck_assert_int_eq(step.job_state, APPCORE_JOB_SUCCEEDED);
	ck_assert_str_eq(step.job_id, job.id);

	/* a chunk that keeps killing its workers fails its job instead */
	ck_assert_int_eq(submit_text(&job, jobs, "5.1,3.5,1.4,0.2\n"), APPCORE_OK);
	take_and_vanish("ghost");
	{
		redisContext *c = raw();
		redisReply *pending = redisCommand(c, "XPENDING appcore:jobs:queue appcore-workers - "
						      "+ 1 ghost");
		ck_assert(pending != NULL && pending->elements == 1);
		freeReplyObject(redisCommand(c, "XCLAIM appcore:jobs:queue appcore-workers ghost 0 %s "
						"RETRYCOUNT 20",
					     pending->element[0]->element[0]->str));
		freeReplyObject(pending);
		redisFree(c);
	}
	ck_assert_int_eq(run_until_done(jobs, w, job.id, &step), APPCORE_JOB_FAILED);
	ck_assert_ptr_nonnull(strstr(step.error.message, "times without being recorded"));
	/* the ghost holds nothing now: the sweep forgets it */
	ck_assert_int_eq(appcore_jobs_sweep(NULL, jobs, 0, &err), APPCORE_OK);
	{
		redisContext *c = raw();
		redisReply *consumers = redisCommand(c, "XINFO CONSUMERS appcore:jobs:queue "
							"appcore-workers");
		for (size_t i = 0; consumers != NULL && i < consumers->elements; i++)
			ck_assert_ptr_null(strstr(consumers->element[i]->element[1]->str, "ghost"));
		freeReplyObject(consumers);
		redisFree(c);
	}
	appcore_jobs_worker_free(w);
	appcore_jobs_close(jobs);
}
END_TEST

static int no_such_model(appcore_model **out, void *ctx, const char *name, const char *version,
			 appcore_error *err)
{
	(void)ctx;
	*out = NULL;
	return appcore_error_set(err, APPCORE_ENOTFOUND, "no %s %s here", name, version);
}

START_TEST(worker_without_the_model_fails_the_job)
{
	appcore_jobs_options options = APPCORE_JOBS_OPTIONS_INIT;
	appcore_jobs *jobs = open_store(NULL, 1 << 20), *other = NULL;
	appcore_jobs_worker *w = NULL;
	appcore_jobs_step step;
	appcore_job_status job;
	appcore_error err;

	options.redis_url = url;
	options.resolve = no_such_model;
	ck_assert_int_eq(appcore_jobs_open(&other, &options, &err), APPCORE_OK);
	w = fresh_worker(jobs, NULL);
	appcore_jobs_worker_free(w);
	ck_assert_int_eq(submit_text(&job, jobs, "5.1,3.5,1.4,0.2\n"), APPCORE_OK);
	ck_assert_int_eq(appcore_jobs_worker_new(&w, other, "lost", &err), APPCORE_OK);
	ck_assert_int_eq(run_until_done(jobs, w, job.id, &step), APPCORE_JOB_FAILED);
	ck_assert_str_eq(step.error.message,
			 "worker lost cannot load model 'iris' version '': no iris  here");
	appcore_jobs_worker_free(w);
	appcore_jobs_close(other);
	appcore_jobs_close(jobs);
}
END_TEST

struct memory_body {
	const char *data;
	size_t len, pos;
};

static int read_memory(size_t *got, void *ctx, void *buffer, size_t size, appcore_error *err)
{
	struct memory_body *b = ctx;

	(void)err;
	*got = b->len - b->pos < size ? b->len - b->pos : size;
	memcpy(buffer, b->data + b->pos, *got);
	b->pos += *got;
	return APPCORE_OK;
}

START_TEST(http_forms)
{
	appcore_jobs *jobs = open_store(jobs_dir, 100);
	appcore_job_status job;
	appcore_error err;
	struct memory_body body = { rows_csv, strlen(rows_csv), 0 };
	static const char json[] = "{\"model\":\"iris\",\"input_path\":\"rows.csv\",\"output\":\"margin\"}";
	FILE *f;
	char path[256];

	ck_assert_int_eq(appcore_jobs_http_submit(&job, jobs, "model=iris&output=margin",
						  "text/csv; charset=utf-8", -1, read_memory, &body,
						  &err),
			 APPCORE_OK);
	ck_assert_int_eq(job.output, APPCORE_OUTPUT_MARGIN);
	ck_assert_uint_eq(job.rows_total, 5);
	snprintf(path, sizeof(path), "%s/rows.csv", jobs_dir);
	f = fopen(path, "w");
	fputs(rows_csv, f);
	fclose(f);
	body = (struct memory_body){ json, strlen(json), 0 };
	ck_assert_int_eq(appcore_jobs_http_submit(&job, jobs, NULL, "application/json", -1,
						  read_memory, &body, &err),
			 APPCORE_OK);
	ck_assert_int_eq(job.format, APPCORE_ROWS_CSV);
	body = (struct memory_body){ json, strlen(json), 0 };
	ck_assert_int_eq(appcore_jobs_http_submit(&job, jobs, "model=other", "application/json", -1,
						  read_memory, &body, &err),
			 APPCORE_EREQUEST);
	ck_assert_str_eq(err.message, "\"model\" differs between the query and the body");
	appcore_jobs_close(jobs);
}
END_TEST

START_TEST(redis_going_away_and_back)
{
	appcore_jobs *jobs = open_store(NULL, 1 << 20);
	appcore_jobs_worker *w = fresh_worker(jobs, NULL);
	appcore_jobs_step step;
	appcore_job_status job, again;
	appcore_error err;

	ck_assert_int_eq(submit_text(&job, jobs, rows_csv), APPCORE_OK);
	ck_assert_int_eq(appcore_jobs_worker_step(&step, w, 100, &err), APPCORE_OK);
	ck_assert_int_eq(step.event, APPCORE_JOBS_CHUNK_DONE);
	redis_stop();
	ck_assert_int_eq(appcore_jobs_worker_step(&step, w, 100, &err), APPCORE_EUNAVAILABLE);
	ck_assert_int_eq(submit_text(&again, jobs, rows_csv), APPCORE_EUNAVAILABLE);
	ck_assert_int_eq(appcore_jobs_status(&again, jobs, job.id, &err), APPCORE_EUNAVAILABLE);
	ck_assert_int_eq(appcore_jobs_ping(jobs, &err), APPCORE_EUNAVAILABLE);
	redis_start();
	/* the append-only file brought the job back, one chunk done; it finishes */
	ck_assert_int_eq(appcore_jobs_status(&again, jobs, job.id, &err), APPCORE_OK);
	ck_assert_uint_eq(again.chunks_done, 1);
	ck_assert_int_eq(run_until_done(jobs, w, job.id, NULL), APPCORE_JOB_SUCCEEDED);
	appcore_jobs_worker_free(w);
	appcore_jobs_close(jobs);
}
END_TEST

static Suite *jobs_store_suite(void)
{
	Suite *suite = suite_create("jobs_store");
	TCase *tc = tcase_create("jobs_store");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, inline_job_end_to_end);
	tcase_add_test(tc, directory_job_then_sweep);
	tcase_add_test(tc, bad_line_fails_the_job);
	tcase_add_test(tc, cancelled_chunks_are_dropped);
	tcase_add_test(tc, abandoned_chunks_are_taken_over);
	tcase_add_test(tc, worker_without_the_model_fails_the_job);
	tcase_add_test(tc, http_forms);
	tcase_add_test(tc, redis_going_away_and_back);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner;
	int failed;

	if (system("command -v redis-server >/dev/null 2>&1") != 0) {
		printf("SKIP: redis-server is not installed (apt-get install redis-server)\n");
		return 77;
	}
	runner = srunner_create(jobs_store_suite());
	/* one process: the tests share the Redis it starts, and stop and restart it */
	srunner_set_fork_status(runner, CK_NOFORK);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
