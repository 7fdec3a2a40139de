/* /v1/jobs handlers: thin shells over appcore/jobs.h (docs/jobs.md). The library decides what
 * a request means and which status each error gets; here the body is read from the
 * connection and the answer written to it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civetweb.h>

#include "app.h"
#include "handlers_jobs.h"
#include "http.h"
#include "jobs_service.h"

#define JOBS_PREFIX "/v1/jobs/"

static appcore_jobs *store(struct request *req)
{
	return req->app->jobs != NULL ? jobs_service_store(req->app->jobs) : NULL;
}

static int send_jobs_off(struct request *req)
{
	http_skip_body(req, req->app->max_body_bytes);
	return http_send_error(req, NULL, APPCORE_EUNAVAILABLE,
			       "batch jobs are off: jobs.redis_url is not configured");
}

/* An error answer; Redis being down is worth a retry, a 5xx of ours worth a log line. */
static int send_failure(struct request *req, const appcore_error *err)
{
	int status = appcore_error_http_status(err->code);

	if (err->code == APPCORE_EUNAVAILABLE)
		return http_send_appcore_error(req, 0, "Retry-After: 1\r\n", err);
	if (status >= 500) {
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("request_id", req->id),
			APPCORE_LOG_STR("code", appcore_error_name(err->code)),
			APPCORE_LOG_STR("error", err->message),
		};
		appcore_log(req->app->log, APPCORE_LOG_ERROR, "job request failed", fields, 3);
	}
	return http_send_appcore_error(req, 0, NULL, err);
}

static int send_status(struct request *req, int status, const char *extra_headers,
		       const appcore_job_status *job)
{
	appcore_error err;
	char *body = NULL;
	size_t len = 0;

	if (appcore_jobs_status_json(&body, &len, job, &err) != APPCORE_OK)
		return send_failure(req, &err);
	status = http_send(req, status, "application/json", extra_headers, body, len);
	appcore_free(body);
	return status;
}

/* The request body, read as the library asks for it. */
struct body_reader {
	struct request *req;
	long long declared; /* Content-Length, -1 for chunked or none */
	int chunked;
	unsigned long long seen;
	int started, finished;
};

static int read_body(size_t *got, void *ctx, void *buffer, size_t size, appcore_error *err)
{
	struct body_reader *r = ctx;
	int n;

	*got = 0;
	if (!r->started) {
		http_answer_expect_continue(r->req);
		r->started = 1;
	}
	if (r->finished || (r->declared < 0 && !r->chunked) ||
	    (r->declared >= 0 && r->seen >= (unsigned long long)r->declared)) {
		r->finished = 1;
		return APPCORE_OK;
	}
	if (r->declared >= 0 && size > (unsigned long long)r->declared - r->seen)
		size = (size_t)((unsigned long long)r->declared - r->seen);
	if (size > 1 << 20)
		size = 1 << 20;
	n = mg_read(r->req->conn, buffer, size);
	if (n < 0)
		return appcore_error_set(err, APPCORE_EINCOMPLETE,
					 "the request body broke off (bad chunked encoding)");
	/* mg_read returns 0 at the end and on timeout: the declared length tells them apart */
	if (n == 0 && r->declared >= 0)
		return appcore_error_set(err, APPCORE_EINCOMPLETE,
					 "request body is shorter than its Content-Length");
	if (n == 0)
		r->finished = 1;
	r->seen += (unsigned long long)n;
	r->req->bytes_in = (size_t)r->seen;
	*got = (size_t)n;
	return APPCORE_OK;
}

int handle_jobs_submit(struct request *req)
{
	appcore_jobs *jobs = store(req);
	struct body_reader reader = { req, req->info->content_length, 0, 0, 0, 0 };
	appcore_job_status job;
	appcore_error err;
	char location[128];

	if (jobs == NULL)
		return send_jobs_off(req);
	reader.chunked = http_header_has_token(http_header(req, "Transfer-Encoding"), "chunked");
	if (appcore_jobs_http_submit(&job, jobs, req->info->query_string,
				     http_header(req, "Content-Type"), reader.declared, read_body,
				     &reader, &err) != APPCORE_OK) {
		/* answered before the whole body was read: the rest must not be parsed as the
		 * next request, nor read in full */
		if (!reader.finished)
			req->must_close = 1;
		return send_failure(req, &err);
	}
	snprintf(location, sizeof(location), "Location: " JOBS_PREFIX "%s\r\n", job.id);
	return send_status(req, 202, location, &job);
}

/* The store and the {id} of /v1/jobs/{id}[/result] (at most 64 bytes: the library refuses
 * anything that is not 32 hex digits); NULL after answering 503 when jobs are off. */
static appcore_jobs *job_request(struct request *req, char *id, size_t size)
{
	appcore_jobs *jobs = store(req);
	const char *start = req->info->local_uri + strlen(JOBS_PREFIX);
	size_t len = strcspn(start, "/");

	if (jobs == NULL) {
		send_jobs_off(req);
		return NULL;
	}
	snprintf(id, size, "%.*s", (int)(len < size ? len : size - 1), start);
	http_skip_body(req, req->app->max_body_bytes);
	return jobs;
}

int handle_job(struct request *req)
{
	appcore_job_status job;
	appcore_error err;
	char id[65];
	appcore_jobs *jobs = job_request(req, id, sizeof(id));
	int rc;

	if (jobs == NULL)
		return req->status;
	if (strcmp(req->info->request_method, "DELETE") == 0)
		rc = appcore_jobs_cancel(&job, jobs, id, &err);
	else
		rc = appcore_jobs_status(&job, jobs, id, &err);
	if (rc != APPCORE_OK)
		return send_failure(req, &err);
	return send_status(req, 200, NULL, &job);
}

struct result_writer {
	struct request *req;
	const appcore_job_status *job;
	int head_sent;
};

static int write_result(void *ctx, const char *data, size_t len)
{
	struct result_writer *w = ctx;

	if (!w->head_sent) {
		if (http_send_head(w->req, 200, appcore_rows_media_type(w->job->format), NULL,
				   w->job->result_bytes) != 0)
			return -1;
		w->head_sent = 1;
	}
	return http_write_body(w->req, data, len);
}

int handle_job_result(struct request *req)
{
	appcore_job_status job;
	struct result_writer writer = { req, &job, 0 };
	appcore_error err;
	char id[65];
	appcore_jobs *jobs = job_request(req, id, sizeof(id));
	int rc;

	if (jobs == NULL)
		return req->status;
	if (req->head_only) {
		/* the headers of the answer, without reading the result */
		if (appcore_jobs_status(&job, jobs, id, &err) != APPCORE_OK)
			return send_failure(req, &err);
		if (job.state == APPCORE_JOB_SUCCEEDED) {
			http_send_head(req, 200, appcore_rows_media_type(job.format), NULL,
				       job.result_bytes);
			return 200;
		}
	}
	rc = appcore_jobs_result(&job, jobs, id, write_result, &writer, &err);
	if (rc == APPCORE_OK && !writer.head_sent)
		http_send_head(req, 200, appcore_rows_media_type(job.format), NULL, 0);
	if (rc == APPCORE_OK)
		return 200;
	if (writer.head_sent) {
		/* the answer is under way and cannot change: cut it short, so the client sees a
		 * body shorter than its Content-Length, and say why in the log */
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("request_id", req->id),
			APPCORE_LOG_STR("job", id),
			APPCORE_LOG_STR("error", err.message),
		};
		appcore_log(req->app->log, APPCORE_LOG_ERROR, "job result cut short", fields, 3);
		req->must_close = 1;
		mg_disable_connection_keep_alive(req->conn);
		return 200;
	}
	if (rc == APPCORE_ECONFLICT &&
	    (job.state == APPCORE_JOB_QUEUED || job.state == APPCORE_JOB_RUNNING))
		return http_send_appcore_error(req, 0, "Retry-After: 2\r\n", &err);
	return send_failure(req, &err);
}
