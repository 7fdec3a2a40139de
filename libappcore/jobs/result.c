/* A succeeded job's predictions, chunk after chunk in input order, from Redis (inline jobs)
 * or from the result files in the jobs directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "jobs/jobs_internal.h"

#define READ_BLOCK ((size_t)1 << 20)

static int not_ready(const appcore_job_status *s, appcore_error *err)
{
	switch (s->state) {
	case APPCORE_JOB_QUEUED:
		return ac_error_set(err, APPCORE_ECONFLICT,
				    "job %s is queued: its result is ready when its state is "
				    "succeeded",
				    s->id);
	case APPCORE_JOB_RUNNING:
		return ac_error_set(err, APPCORE_ECONFLICT,
				    "job %s is running (%llu of %llu rows done): its result is "
				    "ready when its state is succeeded",
				    s->id, s->rows_done, s->rows_total);
	case APPCORE_JOB_FAILED:
		return ac_error_set(err, APPCORE_ECONFLICT, "job %s failed, it has no result: %s",
				    s->id, s->error.message);
	case APPCORE_JOB_CANCELLED:
	default:
		return ac_error_set(err, APPCORE_ECONFLICT,
				    "job %s was cancelled, it has no result", s->id);
	}
}

struct sink {
	appcore_jobs_write_fn write;
	void *ctx;
	unsigned long long written, expected;
	const char *id;
};

static int put(struct sink *sink, const char *data, size_t len, unsigned long long chunk,
	       appcore_error *err)
{
	/* the length was announced (Content-Length): never write past it */
	if (sink->written + len > sink->expected)
		return ac_error_set(err, APPCORE_EIO,
				    "job %s: chunk %llu's result is longer than recorded", sink->id,
				    chunk);
	if (len > 0 && sink->write(sink->ctx, data, len) != 0)
		return ac_error_set(err, APPCORE_EIO, "cannot write the result of job %s", sink->id);
	sink->written += len;
	return APPCORE_OK;
}

static int inline_chunk(struct sink *sink, appcore_jobs *jobs, redisContext *c,
			unsigned long long chunk, appcore_error *err)
{
	char key[AC_JOBS_KEY_SIZE];
	redisReply *reply;
	int rc;

	ac_jobs_key(key, sink->id, AC_KEY_OUT);
	if ((rc = ac_redis_command(&reply, jobs, c, err, "HGET %s %llu", key, chunk)) != APPCORE_OK)
		return rc;
	if (reply->type != REDIS_REPLY_STRING)
		rc = ac_error_set(err, APPCORE_EIO, "job %s: the result of chunk %llu is missing",
				  sink->id, chunk);
	else
		rc = put(sink, reply->str, reply->len, chunk, err);
	freeReplyObject(reply);
	return rc;
}

static int file_chunk(struct sink *sink, appcore_jobs *jobs, unsigned long long chunk,
		      char *buffer, appcore_error *err)
{
	char *path;
	int fd, rc;
	ssize_t n;

	if ((rc = ac_jobs_result_path(&path, jobs, sink->id, chunk, err)) != APPCORE_OK)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = ac_error_set(err, APPCORE_EIO, "job %s: the result of chunk %llu is missing: %s: %s",
				  sink->id, chunk, path, strerror(errno));
		free(path);
		return rc;
	}
	while ((n = read(fd, buffer, READ_BLOCK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ac_error_set(err, APPCORE_EIO, "%s: %s", path, strerror(errno));
			break;
		}
		if ((rc = put(sink, buffer, (size_t)n, chunk, err)) != APPCORE_OK)
			break;
	}
	close(fd);
	free(path);
	return rc;
}

int appcore_jobs_result(appcore_job_status *out, appcore_jobs *jobs, const char *id,
			appcore_jobs_write_fn write, void *write_ctx, appcore_error *err)
{
	appcore_job_status local_status;
	char copy[APPCORE_JOBS_ID_SIZE];
	appcore_error local;
	char key[AC_JOBS_KEY_SIZE];
	redisContext *c = NULL;
	redisReply *reply = NULL;
	struct sink sink;
	char *buffer = NULL;
	bool in_redis;
	int rc;

	if (jobs == NULL || id == NULL || write == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_result: NULL argument");
	if (out == NULL)
		out = &local_status;
	err = AC_JOBS_ERR(err, local);
	rc = ac_jobs_copy_id(copy, id, err);
	memset(out, 0, sizeof(*out));
	if (rc != APPCORE_OK || (rc = ac_jobs_acquire(&c, jobs, err)) != APPCORE_OK)
		return rc;
	id = copy;
	if ((rc = ac_jobs_read_status(out, jobs, c, id, err)) != APPCORE_OK)
		goto done;
	if (out->state != APPCORE_JOB_SUCCEEDED) {
		rc = not_ready(out, err);
		goto done;
	}
	ac_jobs_key(key, id, AC_KEY_JOB);
	if ((rc = ac_redis_command(&reply, jobs, c, err, "HGET %s storage", key)) != APPCORE_OK)
		goto done;
	in_redis = reply->type == REDIS_REPLY_STRING && strcmp(reply->str, "redis") == 0;
	if (!in_redis && jobs->dir == NULL) {
		rc = ac_error_set(err, APPCORE_EIO,
				  "job %s keeps its result in the jobs directory, and jobs.dir is not "
				  "configured here",
				  id);
		goto done;
	}
	if (!in_redis && (buffer = malloc(READ_BLOCK)) == NULL) {
		rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		goto done;
	}
	sink = (struct sink){ write, write_ctx, 0, out->result_bytes, out->id };
	for (unsigned long long chunk = 0; chunk < out->chunks_total && rc == APPCORE_OK; chunk++)
		rc = in_redis ? inline_chunk(&sink, jobs, c, chunk, err)
			      : file_chunk(&sink, jobs, chunk, buffer, err);
	if (rc == APPCORE_OK && sink.written != sink.expected)
		rc = ac_error_set(err, APPCORE_EIO,
				  "job %s: the result has %llu bytes, %llu were recorded", id,
				  sink.written, sink.expected);
done:
	freeReplyObject(reply);
	free(buffer);
	ac_jobs_release(jobs, c);
	return rc;
}
