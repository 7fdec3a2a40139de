/* Reading a job back: its state hash into appcore_job_status, the JSON the HTTP API answers,
 * cancelling, the store-wide counters and the result stream. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error_internal.h"
#include "core/log_strbuf.h"
#include "jobs/jobs_internal.h"

static const char *const state_names[] = { "queued", "running", "succeeded", "failed",
					   "cancelled" };

const char *appcore_jobs_state_name(appcore_job_state state)
{
	if ((int)state < 0 || (size_t)state >= sizeof(state_names) / sizeof(state_names[0]))
		return "unknown";
	return state_names[state];
}

static int state_from_name(appcore_job_state *out, const char *name)
{
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strcmp(name, state_names[i]) == 0) {
			*out = (appcore_job_state)i;
			return 0;
		}
	return -1;
}

const char *ac_jobs_format_name(appcore_rows_format format)
{
	return format == APPCORE_ROWS_NDJSON ? "ndjson" : "csv";
}

const char *ac_jobs_output_name(appcore_output_kind output)
{
	return output == APPCORE_OUTPUT_MARGIN ? "margin" : "value";
}

static int error_code_from_name(const char *name)
{
#define AC_X_FIND(n, value, machine, status, text)                                                 \
	if (strcmp(name, machine) == 0)                                                            \
		return value;
	APPCORE_ERROR_LIST(AC_X_FIND)
#undef AC_X_FIND
	return APPCORE_EINTERNAL;
}

static unsigned long long number(const char *text)
{
	return strtoull(text, NULL, 10);
}

int ac_jobs_status_from_hash(appcore_job_status *out, const char *id, const redisReply *fields,
			     appcore_error *err)
{
	bool has_state = false;

	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", id);
	for (size_t i = 0; i + 1 < fields->elements; i += 2) {
		const char *key = fields->element[i]->str, *value = fields->element[i + 1]->str;

		if (fields->element[i]->type != REDIS_REPLY_STRING ||
		    fields->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(key, "state") == 0) {
			if (state_from_name(&out->state, value) != 0)
				return ac_error_set(err, APPCORE_EINTERNAL,
						    "job %s: unknown state '%s' in redis", id, value);
			has_state = true;
		} else if (strcmp(key, "format") == 0) {
			out->format = strcmp(value, "ndjson") == 0 ? APPCORE_ROWS_NDJSON
								   : APPCORE_ROWS_CSV;
		} else if (strcmp(key, "output") == 0) {
			out->output = strcmp(value, "margin") == 0 ? APPCORE_OUTPUT_MARGIN
								   : APPCORE_OUTPUT_VALUE;
		} else if (strcmp(key, "model") == 0) {
			snprintf(out->model, sizeof(out->model), "%s", value);
		} else if (strcmp(key, "model_version") == 0) {
			snprintf(out->model_version, sizeof(out->model_version), "%s", value);
		} else if (strcmp(key, "rows_total") == 0) {
			out->rows_total = number(value);
		} else if (strcmp(key, "rows_done") == 0) {
			out->rows_done = number(value);
		} else if (strcmp(key, "chunks_total") == 0) {
			out->chunks_total = number(value);
		} else if (strcmp(key, "chunks_done") == 0) {
			out->chunks_done = number(value);
		} else if (strcmp(key, "input_bytes") == 0) {
			out->input_bytes = number(value);
		} else if (strcmp(key, "result_bytes") == 0) {
			out->result_bytes = number(value);
		} else if (strcmp(key, "created_ms") == 0) {
			out->created_ms = (long long)number(value);
		} else if (strcmp(key, "started_ms") == 0) {
			out->started_ms = (long long)number(value);
		} else if (strcmp(key, "finished_ms") == 0) {
			out->finished_ms = (long long)number(value);
		} else if (strcmp(key, "error_code") == 0) {
			out->error.code = error_code_from_name(value);
		} else if (strcmp(key, "error_message") == 0) {
			snprintf(out->error.message, sizeof(out->error.message), "%s", value);
		} else if (strcmp(key, "error_line") == 0) {
			unsigned long long line = number(value);
			out->error.line = line > INT_MAX ? INT_MAX : (int)line;
		}
	}
	if (!has_state)
		return ac_error_set(err, APPCORE_ENOTFOUND, "no job %s (it may have expired)", id);
	return APPCORE_OK;
}

int ac_jobs_read_status(appcore_job_status *out, appcore_jobs *jobs, redisContext *c,
			const char *id, appcore_error *err)
{
	char key[AC_JOBS_KEY_SIZE];
	redisReply *reply;
	int rc;

	ac_jobs_key(key, id, AC_KEY_JOB);
	if ((rc = ac_redis_command(&reply, jobs, c, err, "HGETALL %s", key)) != APPCORE_OK)
		return rc;
	if (reply->type != REDIS_REPLY_ARRAY)
		rc = ac_error_set(err, APPCORE_EINTERNAL, "redis at %s: unexpected HGETALL reply",
				  jobs->address.display);
	else
		rc = ac_jobs_status_from_hash(out, id, reply, err);
	freeReplyObject(reply);
	return rc;
}

int ac_jobs_copy_id(char copy[APPCORE_JOBS_ID_SIZE], const char *id, appcore_error *err)
{
	if (!ac_jobs_id_valid(id)) {
		copy[0] = '\0';
		ac_error_set(err, APPCORE_ENOTFOUND,
			     "no job %.64s (job ids are 32 hexadecimal digits)", id);
		return APPCORE_ENOTFOUND;
	}
	memcpy(copy, id, 33);
	return APPCORE_OK;
}

int appcore_jobs_status(appcore_job_status *out, appcore_jobs *jobs, const char *id,
			appcore_error *err)
{
	char copy[APPCORE_JOBS_ID_SIZE];
	appcore_error local;
	redisContext *c;
	int rc;

	if (out == NULL || jobs == NULL || id == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_status: NULL argument");
	err = AC_JOBS_ERR(err, local);
	/* copied first: id may point into *out (a program re-reading a status it holds) */
	rc = ac_jobs_copy_id(copy, id, err);
	memset(out, 0, sizeof(*out));
	if (rc != APPCORE_OK || (rc = ac_jobs_acquire(&c, jobs, err)) != APPCORE_OK)
		return rc;
	rc = ac_jobs_read_status(out, jobs, c, copy, err);
	ac_jobs_release(jobs, c);
	return rc;
}

/* Run the finish script for job id: new_state failed or cancelled. *result receives the
 * state string the script returned (caller frees). */
int ac_jobs_finish(char **result, appcore_jobs *jobs, redisContext *c, const char *id,
		   const char *entry_id, const char *new_state, const appcore_error *why,
		   appcore_error *err)
{
	char keys[4][AC_JOBS_KEY_SIZE], ttl[24], line[24];
	const char *argv[16];
	redisReply *reply;
	int rc;

	*result = NULL;
	ac_jobs_script_args(argv, keys, ac_script_finish, id);
	snprintf(ttl, sizeof(ttl), "%u", jobs->settings.result_ttl_seconds);
	snprintf(line, sizeof(line), "%d", why != NULL ? why->line : 0);
	argv[10] = entry_id != NULL ? entry_id : "";
	argv[11] = ttl;
	argv[12] = new_state;
	argv[13] = why != NULL ? appcore_error_name(why->code) : "";
	argv[14] = why != NULL ? why->message : "";
	argv[15] = line;
	if ((rc = ac_redis_argv(&reply, jobs, c, err, 16, argv, NULL)) != APPCORE_OK)
		return rc;
	if (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS)
		rc = ac_error_set(err, APPCORE_EINTERNAL, "redis at %s: unexpected script reply",
				  jobs->address.display);
	else if ((*result = strdup(reply->str)) == NULL)
		rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	freeReplyObject(reply);
	return rc;
}

int appcore_jobs_cancel(appcore_job_status *out, appcore_jobs *jobs, const char *id,
			appcore_error *err)
{
	appcore_job_status local_status;
	char copy[APPCORE_JOBS_ID_SIZE];
	appcore_error local;
	redisContext *c;
	char *state = NULL;
	int rc;

	if (jobs == NULL || id == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_cancel: NULL argument");
	if (out == NULL)
		out = &local_status;
	err = AC_JOBS_ERR(err, local);
	rc = ac_jobs_copy_id(copy, id, err);
	memset(out, 0, sizeof(*out));
	if (rc != APPCORE_OK || (rc = ac_jobs_acquire(&c, jobs, err)) != APPCORE_OK)
		return rc;
	id = copy;
	rc = ac_jobs_finish(&state, jobs, c, id, NULL, "cancelled", NULL, err);
	if (rc == APPCORE_OK && state != NULL && strcmp(state, "gone") == 0)
		rc = ac_error_set(err, APPCORE_ENOTFOUND, "no job %s (it may have expired)", id);
	else if (rc == APPCORE_OK && state != NULL && strncmp(state, "already:", 8) == 0)
		rc = ac_error_set(err, APPCORE_ECONFLICT,
				  "job %s has already finished (%s): only queued or running jobs "
				  "can be cancelled",
				  id, state + 8);
	if (rc == APPCORE_OK || rc == APPCORE_ECONFLICT) {
		appcore_error ignored;
		/* the answer shows the job as it now is; the cancel itself is what counts */
		if (ac_jobs_read_status(out, jobs, c, id, &ignored) != APPCORE_OK)
			memset(out, 0, sizeof(*out));
	}
	free(state);
	ac_jobs_release(jobs, c);
	return rc;
}

int appcore_jobs_stats_get(appcore_jobs_stats *out, appcore_jobs *jobs, appcore_error *err)
{
	static const char *const names[] = { "queued",	  "running", "submitted",  "succeeded",
					     "failed",	  "cancelled", "rows_scored" };
	unsigned long long *fields[7];
	appcore_error local;
	redisContext *c;
	redisReply *reply;
	int rc;

	if (out == NULL || jobs == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_stats_get: NULL argument");
	memset(out, 0, sizeof(*out));
	fields[0] = &out->queued;
	fields[1] = &out->running;
	fields[2] = &out->submitted;
	fields[3] = &out->succeeded;
	fields[4] = &out->failed;
	fields[5] = &out->cancelled;
	fields[6] = &out->rows_scored;
	err = AC_JOBS_ERR(err, local);
	if ((rc = ac_jobs_acquire(&c, jobs, err)) != APPCORE_OK)
		return rc;
	rc = ac_redis_command(&reply, jobs, c, err, "HMGET %s %s %s %s %s %s %s %s",
			      AC_JOBS_STATS_KEY, names[0], names[1], names[2], names[3], names[4],
			      names[5], names[6]);
	ac_jobs_release(jobs, c);
	if (rc != APPCORE_OK)
		return rc;
	for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements && i < 7; i++)
		if (reply->element[i]->type == REDIS_REPLY_STRING) {
			long long v = strtoll(reply->element[i]->str, NULL, 10);
			/* a gauge cannot go below zero, whatever a lost write did */
			*fields[i] = v > 0 ? (unsigned long long)v : 0;
		}
	freeReplyObject(reply);
	return APPCORE_OK;
}

static void put_time(ac_strbuf *buf, const char *name, long long ms)
{
	struct tm tm;
	time_t seconds = (time_t)(ms / 1000);

	if (ms <= 0 || gmtime_r(&seconds, &tm) == NULL) {
		ac_strbuf_printf(buf, ",\"%s\":null", name);
		return;
	}
	ac_strbuf_printf(buf, ",\"%s\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", name,
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (int)(ms % 1000));
}

static long long now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int appcore_jobs_status_json(char **out, size_t *out_len, const appcore_job_status *s,
			     appcore_error *err)
{
	ac_strbuf buf;
	long long end_ms;
	double progress;

	if (out == NULL || s == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_status_json: NULL argument");
	*out = NULL;
	end_ms = s->finished_ms > 0 ? s->finished_ms : now_ms();
	progress = s->rows_total > 0 ? (double)s->rows_done / (double)s->rows_total : 0.0;
	ac_strbuf_init(&buf, NULL, 0);
	ac_strbuf_printf(&buf, "{\"id\":\"%s\",\"state\":\"%s\",\"model\":{\"name\":", s->id,
			 appcore_jobs_state_name(s->state));
	ac_strbuf_json_string(&buf, s->model, strlen(s->model));
	ac_strbuf_puts(&buf, ",\"version\":");
	ac_strbuf_json_string(&buf, s->model_version, strlen(s->model_version));
	ac_strbuf_printf(&buf,
			 "},\"format\":\"%s\",\"output\":\"%s\",\"rows_total\":%llu,"
			 "\"rows_done\":%llu,\"chunks_total\":%llu,\"chunks_done\":%llu,"
			 "\"progress\":",
			 ac_jobs_format_name(s->format), ac_jobs_output_name(s->output),
			 s->rows_total, s->rows_done, s->chunks_total, s->chunks_done);
	ac_strbuf_double(&buf, floor(progress * 10000.0) / 10000.0);
	ac_strbuf_printf(&buf, ",\"input_bytes\":%llu,\"result_bytes\":%llu", s->input_bytes,
			 s->result_bytes);
	put_time(&buf, "created_at", s->created_ms);
	put_time(&buf, "started_at", s->started_ms);
	put_time(&buf, "finished_at", s->finished_ms);
	ac_strbuf_puts(&buf, ",\"elapsed_seconds\":");
	ac_strbuf_double(&buf, end_ms > s->created_ms && s->created_ms > 0
				   ? (double)(end_ms - s->created_ms) / 1000.0
				   : 0.0);
	ac_strbuf_puts(&buf, ",\"rows_per_second\":");
	if (s->started_ms > 0 && end_ms > s->started_ms)
		ac_strbuf_double(&buf, floor((double)s->rows_done * 1000.0 /
					     (double)(end_ms - s->started_ms)));
	else
		ac_strbuf_puts(&buf, "null");
	ac_strbuf_puts(&buf, ",\"error\":");
	if (s->error.code != APPCORE_OK) {
		ac_strbuf_printf(&buf, "{\"code\":\"%s\",\"message\":",
				 appcore_error_name(s->error.code));
		ac_strbuf_json_string(&buf, s->error.message, strlen(s->error.message));
		if (s->error.line > 0)
			ac_strbuf_printf(&buf, ",\"line\":%d", s->error.line);
		ac_strbuf_putc(&buf, '}');
	} else {
		ac_strbuf_puts(&buf, "null");
	}
	ac_strbuf_putc(&buf, '}');
	if ((*out = ac_strbuf_detach(&buf, out_len)) == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	return APPCORE_OK;
}
