/* A worker: takes chunks from the queue's consumer group (first chunks abandoned by silent
 * workers, XAUTOCLAIM; then new ones, XREADGROUP), scores them with the row scorer the CLI
 * uses, and records each result with the complete script, which acknowledges the queue entry
 * in the same step. Between steps a worker holds nothing, so stopping it loses nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "appcore/rows.h"
#include "core/error_internal.h"
#include "core/log_strbuf.h"
#include "jobs/jobs_internal.h"

/* A chunk delivered this many times without being recorded fails its job instead of taking
 * workers down one after another. */
#define MAX_DELIVERIES 10
/* Lines scored between two checks of the chunk's visibility deadline. */
#define TOUCH_EVERY_LINES 4096

struct appcore_jobs_worker {
	appcore_jobs *jobs;
	char *name;
	redisContext *c;
	bool group_ready;
	char cursor[64];     /* XAUTOCLAIM position in the pending entries */
	long long next_scan; /* monotonic ms of the next look for abandoned chunks */
	ac_strbuf out;       /* the chunk's predictions */
	char *in;            /* a chunk read from the jobs directory */
	size_t in_cap;
};

/* One queue entry, as XADD wrote it (submit.c). */
struct entry {
	const char *id;
	const char *job;
	unsigned long long chunk, line, rows, offset, length;
	bool has_range;
	bool reclaimed;
};

/* A job's fields, as the begin script returns them. */
struct job_fields {
	const char *state, *model, *model_version, *format, *output, *storage, *input, *header;
	size_t header_len;
};

static long long monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static atomic_uint worker_counter;

int appcore_jobs_worker_new(appcore_jobs_worker **out, appcore_jobs *jobs, const char *name,
			    appcore_error *err)
{
	appcore_jobs_worker *w;
	char generated[128], host[64] = "host";

	if (out == NULL || jobs == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_worker_new: NULL argument");
	*out = NULL;
	if (jobs->settings.resolve == NULL)
		return ac_error_set(err, APPCORE_EINVAL,
				    "a worker needs a model resolver (appcore_jobs_options.resolve)");
	if (name == NULL) {
		gethostname(host, sizeof(host) - 1);
		host[sizeof(host) - 1] = '\0';
		snprintf(generated, sizeof(generated), "%s-%ld-%u", host, (long)getpid(),
			 atomic_fetch_add(&worker_counter, 1) + 1);
		name = generated;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL || (w->name = strdup(name)) == NULL) {
		free(w);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	w->jobs = jobs;
	ac_strbuf_init(&w->out, NULL, 0);
	snprintf(w->cursor, sizeof(w->cursor), "0-0");
	*out = w;
	return APPCORE_OK;
}

const char *appcore_jobs_worker_name(const appcore_jobs_worker *w)
{
	return w != NULL ? w->name : NULL;
}

void appcore_jobs_worker_free(appcore_jobs_worker *w)
{
	if (w == NULL)
		return;
	if (w->c != NULL && w->c->err == 0) {
		/* leave the group tidy: a consumer holding nothing is forgotten */
		appcore_error ignored;
		ac_jobs_retire(w->jobs, w->c, w->name, &ignored);
	}
	ac_jobs_release(w->jobs, w->c);
	free(w->name);
	ac_strbuf_release(&w->out);
	free(w->in);
	free(w);
}

static const char *field(const redisReply *fields, const char *name)
{
	for (size_t i = 0; i + 1 < fields->elements; i += 2)
		if (fields->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(fields->element[i]->str, name) == 0 &&
		    fields->element[i + 1]->type == REDIS_REPLY_STRING)
			return fields->element[i + 1]->str;
	return NULL;
}

static bool number_field(unsigned long long *out, const redisReply *fields, const char *name)
{
	const char *text = field(fields, name);
	char *end;

	if (text == NULL || text[0] < '0' || text[0] > '9')
		return false;
	*out = strtoull(text, &end, 10);
	return *end == '\0';
}

/* Read [id, [field, value, ...]] into e; false when it is not a well-formed entry. */
static bool parse_entry(struct entry *e, const redisReply *r)
{
	const redisReply *fields;

	memset(e, 0, sizeof(*e));
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return false;
	e->id = r->element[0]->str;
	fields = r->element[1];
	if (fields->type != REDIS_REPLY_ARRAY)
		return false;
	e->job = field(fields, "job");
	e->has_range = field(fields, "offset") != NULL;
	return e->job != NULL && ac_jobs_id_valid(e->job) && number_field(&e->chunk, fields, "chunk") &&
	       number_field(&e->line, fields, "line") && number_field(&e->rows, fields, "rows") &&
	       e->line > 0 && e->rows > 0 &&
	       (!e->has_range || (number_field(&e->offset, fields, "offset") &&
				  number_field(&e->length, fields, "length")));
}

/* A reply, or an error code with *reply NULL (c broken when EUNAVAILABLE). */
static int checked_reply(redisReply **reply, appcore_jobs_worker *w, redisReply *got,
			 appcore_error *err)
{
	int rc = ac_redis_check(w->jobs, w->c, got, got != NULL ? REDIS_OK : REDIS_ERR, err);

	*reply = NULL;
	if (rc == APPCORE_OK && got != NULL) {
		*reply = got;
		return APPCORE_OK;
	}
	freeReplyObject(got);
	/* the consumer group vanished with Redis's data: make it again next step */
	if (rc == APPCORE_EINTERNAL && strstr(err->message, "NOGROUP") != NULL)
		w->group_ready = false;
	return rc != APPCORE_OK ? rc : APPCORE_EINTERNAL;
}

static int command(redisReply **reply, appcore_jobs_worker *w, appcore_error *err,
		   const char *format, ...)
{
	redisReply *got;
	va_list ap;

	va_start(ap, format);
	got = redisvCommand(w->c, format, ap);
	va_end(ap);
	return checked_reply(reply, w, got, err);
}

/* Drop an entry without a result (its job is gone, or it is malformed). */
static int drop_entry(appcore_jobs_worker *w, const char *entry_id, appcore_error *err)
{
	redisReply *reply;
	int rc = command(&reply, w, err, "XACK %s %s %s", AC_JOBS_QUEUE_KEY, AC_JOBS_GROUP,
			 entry_id);

	freeReplyObject(reply);
	if (rc == APPCORE_OK)
		rc = command(&reply, w, err, "XDEL %s %s", AC_JOBS_QUEUE_KEY, entry_id);
	freeReplyObject(reply);
	return rc;
}

/* Take over one chunk idle for the visibility timeout, scanning the pending entries a
 * little at each step; *reply holds it (NULL when none). */
static int claim_abandoned(redisReply **reply, const redisReply **entry, appcore_jobs_worker *w,
			   appcore_error *err)
{
	long long now = monotonic_ms();
	int rc;

	*reply = NULL;
	*entry = NULL;
	if (now < w->next_scan)
		return APPCORE_OK;
	rc = command(reply, w, err, "XAUTOCLAIM %s %s %s %u %s COUNT 1", AC_JOBS_QUEUE_KEY,
		     AC_JOBS_GROUP, w->name, w->jobs->settings.visibility_timeout_ms, w->cursor);
	if (rc != APPCORE_OK)
		return rc;
	if ((*reply)->type != REDIS_REPLY_ARRAY || (*reply)->elements < 2 ||
	    (*reply)->element[0]->type != REDIS_REPLY_STRING ||
	    (*reply)->element[1]->type != REDIS_REPLY_ARRAY)
		return ac_error_set(err, APPCORE_EINTERNAL, "redis at %s: unexpected XAUTOCLAIM reply",
				    w->jobs->address.display);
	snprintf(w->cursor, sizeof(w->cursor), "%s", (*reply)->element[0]->str);
	if ((*reply)->element[1]->elements > 0)
		*entry = (*reply)->element[1]->element[0];
	/* a full pass found nothing: look again after a fraction of the timeout */
	if (*entry == NULL && strcmp(w->cursor, "0-0") == 0)
		w->next_scan = now + (w->jobs->settings.visibility_timeout_ms / 4 > 50
					  ? w->jobs->settings.visibility_timeout_ms / 4
					  : 50);
	return APPCORE_OK;
}

static int read_new(redisReply **reply, const redisReply **entry, appcore_jobs_worker *w,
		    unsigned int wait_ms, appcore_error *err)
{
	const redisReply *streams, *entries;
	int rc;

	*entry = NULL;
	rc = wait_ms > 0 ? command(reply, w, err,
				   "XREADGROUP GROUP %s %s COUNT 1 BLOCK %u STREAMS %s >",
				   AC_JOBS_GROUP, w->name, wait_ms, AC_JOBS_QUEUE_KEY)
			 : command(reply, w, err, "XREADGROUP GROUP %s %s COUNT 1 STREAMS %s >",
				   AC_JOBS_GROUP, w->name, AC_JOBS_QUEUE_KEY);
	if (rc != APPCORE_OK || (*reply)->type == REDIS_REPLY_NIL)
		return rc;
	streams = *reply;
	if (streams->type != REDIS_REPLY_ARRAY || streams->elements < 1 ||
	    streams->element[0]->type != REDIS_REPLY_ARRAY || streams->element[0]->elements < 2)
		return ac_error_set(err, APPCORE_EINTERNAL, "redis at %s: unexpected XREADGROUP reply",
				    w->jobs->address.display);
	entries = streams->element[0]->element[1];
	if (entries->type == REDIS_REPLY_ARRAY && entries->elements > 0)
		*entry = entries->element[0];
	return APPCORE_OK;
}

/* Times the entry was delivered (XPENDING), to stop retrying a chunk that kills workers. */
static int deliveries(long long *out, appcore_jobs_worker *w, const char *entry_id,
		      appcore_error *err)
{
	redisReply *reply;
	int rc = command(&reply, w, err, "XPENDING %s %s %s %s 1", AC_JOBS_QUEUE_KEY,
			 AC_JOBS_GROUP, entry_id, entry_id);

	*out = 0;
	if (rc != APPCORE_OK)
		return rc;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
	    reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements == 4 &&
	    reply->element[0]->element[3]->type == REDIS_REPLY_INTEGER)
		*out = reply->element[0]->element[3]->integer;
	freeReplyObject(reply);
	return APPCORE_OK;
}

static int run_script(redisReply **reply, appcore_jobs_worker *w, int argc, const char **argv,
		      const size_t *lens, appcore_error *err)
{
	return checked_reply(reply, w, redisCommandArgv(w->c, argc, argv, lens), err);
}

static int begin_job(redisReply **reply, struct job_fields *f, appcore_jobs_worker *w,
		     const char *job, appcore_error *err)
{
	char job_key[AC_JOBS_KEY_SIZE];
	const char *argv[] = { "EVAL", ac_script_begin, "2", job_key, AC_JOBS_STATS_KEY };
	const char **slots[] = { &f->state,  &f->model,	  &f->model_version, &f->format,
				 &f->output, &f->storage, &f->input,	     &f->header };
	int rc;

	memset(f, 0, sizeof(*f));
	ac_jobs_key(job_key, job, AC_KEY_JOB);
	if ((rc = run_script(reply, w, 5, argv, NULL, err)) != APPCORE_OK)
		return rc;
	if ((*reply)->type != REDIS_REPLY_ARRAY || (*reply)->elements != 8)
		return ac_error_set(err, APPCORE_EINTERNAL, "redis at %s: unexpected script reply",
				    w->jobs->address.display);
	for (size_t i = 0; i < 8; i++)
		if ((*reply)->element[i]->type == REDIS_REPLY_STRING)
			*slots[i] = (*reply)->element[i]->str;
	if (f->header != NULL)
		f->header_len = (*reply)->element[7]->len;
	return APPCORE_OK;
}

static appcore_job_state state_of(const char *name)
{
	if (name == NULL)
		return APPCORE_JOB_CANCELLED;
	if (strcmp(name, "queued") == 0)
		return APPCORE_JOB_QUEUED;
	if (strcmp(name, "running") == 0 || strcmp(name, "duplicate") == 0)
		return APPCORE_JOB_RUNNING;
	if (strcmp(name, "succeeded") == 0)
		return APPCORE_JOB_SUCCEEDED;
	if (strcmp(name, "failed") == 0)
		return APPCORE_JOB_FAILED;
	return APPCORE_JOB_CANCELLED;
}

/* Fail the chunk's job with why (a bad line, an unavailable model). */
static int fail_job(appcore_jobs_step *out, appcore_jobs_worker *w, const struct entry *e,
		    const appcore_error *why, appcore_error *err)
{
	char *state = NULL;
	int rc = ac_jobs_finish(&state, w->jobs, w->c, e->job, e->id, "failed", why, err);

	if (rc != APPCORE_OK)
		return rc;
	out->event = strcmp(state, "failed") == 0 ? APPCORE_JOBS_JOB_FAILED
						  : APPCORE_JOBS_CHUNK_SKIPPED;
	out->job_state = state_of(strncmp(state, "already:", 8) == 0 ? state + 8 : state);
	if (out->event == APPCORE_JOBS_JOB_FAILED)
		out->error = *why;
	free(state);
	return APPCORE_OK;
}

static int collect(void *ctx, const char *data, size_t len)
{
	ac_strbuf *out = ctx;

	ac_strbuf_append(out, data, len);
	return out->failed ? -1 : 0;
}

/* Reset the entry's idle time so nobody takes it over while this worker is still at it. */
static void touch(appcore_jobs_worker *w, const struct entry *e)
{
	freeReplyObject(redisCommand(w->c, "XCLAIM %s %s %s 0 %s JUSTID", AC_JOBS_QUEUE_KEY,
				     AC_JOBS_GROUP, w->name, e->id));
}

/* Score the chunk's text into w->out. */
static int score(appcore_jobs_worker *w, const struct entry *e, const struct job_fields *f,
		 appcore_model *model, const char *text, size_t len, appcore_error *err)
{
	appcore_predict_options options = APPCORE_PREDICT_OPTIONS_INIT;
	appcore_rows_format format = strcmp(f->format, "ndjson") == 0 ? APPCORE_ROWS_NDJSON
								      : APPCORE_ROWS_CSV;
	appcore_rows_scorer *scorer = NULL;
	long long last_touch = monotonic_ms();
	unsigned long long number = e->line, lines = 0;
	int rc;

	options.output = strcmp(f->output, "margin") == 0 ? APPCORE_OUTPUT_MARGIN
							  : APPCORE_OUTPUT_VALUE;
	w->out.len = 0;
	w->out.failed = 0;
	if ((rc = appcore_rows_scorer_new(&scorer, model, format, &options, collect, &w->out, err)) !=
	    APPCORE_OK)
		return rc;
	/* a chunk after the first reads the file's header first, as line 1 */
	if (f->header != NULL && f->header_len > 0 && e->line > 1)
		rc = appcore_rows_scorer_line(scorer, f->header, f->header_len, 1, err);
	while (rc == APPCORE_OK && len > 0) {
		const char *end = memchr(text, '\n', len);
		size_t line_len = end != NULL ? (size_t)(end - text) : len;

		rc = appcore_rows_scorer_line(scorer, text, line_len, (size_t)number++, err);
		text += line_len + (end != NULL);
		len -= line_len + (end != NULL);
		if (++lines % TOUCH_EVERY_LINES == 0 &&
		    monotonic_ms() - last_touch > w->jobs->settings.visibility_timeout_ms / 3) {
			touch(w, e);
			last_touch = monotonic_ms();
		}
	}
	if (rc == APPCORE_OK)
		rc = appcore_rows_scorer_flush(scorer, err);
	if (rc == APPCORE_OK && appcore_rows_scorer_rows(scorer) != e->rows)
		rc = ac_error_set(err, APPCORE_EIO,
				  "chunk %llu (from line %llu) has %zu rows, %llu when the job was "
				  "submitted: the input changed",
				  e->chunk, e->line, appcore_rows_scorer_rows(scorer), e->rows);
	appcore_rows_scorer_free(scorer);
	return rc;
}

static int read_range(appcore_jobs_worker *w, const struct entry *e, const struct job_fields *f,
		      appcore_error *err)
{
	const char *problem = NULL;
	char *joined, *path;
	size_t done = 0;
	int fd;

	if (w->jobs->dir == NULL)
		return ac_error_set(err, APPCORE_EIO,
				    "the job's input is in the jobs directory, and this worker has "
				    "no jobs.dir");
	if (e->length > w->in_cap) {
		char *bigger = realloc(w->in, (size_t)e->length);
		if (bigger == NULL)
			return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		w->in = bigger;
		w->in_cap = (size_t)e->length;
	}
	if ((joined = ac_jobs_path_join(w->jobs->dir, f->input)) == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	/* the job names its input relative to the directory: never anything outside it, not
	 * even through a link made since the job was submitted */
	path = realpath(joined, NULL);
	free(joined);
	if (path == NULL && errno == ENOMEM)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	if (path == NULL) {
		problem = strerror(errno);
		return ac_error_set(err, APPCORE_EIO, "%s: %s", f->input, problem);
	}
	if (!ac_jobs_path_under(w->jobs->dir, path)) {
		free(path);
		return ac_error_set(err, APPCORE_EIO, "the job's input '%.200s' is not in the jobs "
						      "directory",
				    f->input);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		problem = strerror(errno);
	while (fd >= 0 && done < e->length) {
		ssize_t n = pread(fd, w->in + done, (size_t)e->length - done,
				  (off_t)(e->offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			problem = n < 0 ? strerror(errno) : "shorter than when the job was submitted";
			break;
		}
		done += (size_t)n;
	}
	if (problem != NULL) {
		int rc = ac_error_set(err, APPCORE_EIO, "%s: %s", f->input, problem);
		if (fd >= 0)
			close(fd);
		free(path);
		return rc;
	}
	close(fd);
	free(path);
	return APPCORE_OK;
}

/* Record the chunk's result (w->out): the file first for directory jobs, then the script. */
static int complete(char **state, appcore_jobs_worker *w, const struct entry *e, bool in_redis,
		    appcore_error *err)
{
	char keys[4][AC_JOBS_KEY_SIZE], chunk[24], rows[24], bytes[24], ttl[24];
	const char *argv[17];
	size_t lens[17];
	redisReply *reply;
	int rc;

	*state = NULL;
	if (!in_redis) {
		char *path;
		if ((rc = ac_jobs_result_path(&path, w->jobs, e->job, e->chunk, err)) != APPCORE_OK)
			return rc;
		rc = ac_jobs_write_file_atomic(path, w->out.len > 0 ? w->out.data : "", w->out.len,
					       w->name, err);
		free(path);
		if (rc != APPCORE_OK)
			return rc;
	}
	ac_jobs_script_args(argv, keys, ac_script_complete, e->job);
	snprintf(chunk, sizeof(chunk), "%llu", e->chunk);
	snprintf(rows, sizeof(rows), "%llu", e->rows);
	snprintf(bytes, sizeof(bytes), "%zu", w->out.len);
	snprintf(ttl, sizeof(ttl), "%u", w->jobs->settings.result_ttl_seconds);
	argv[10] = e->id;
	argv[11] = chunk;
	argv[12] = rows;
	argv[13] = bytes;
	argv[14] = ttl;
	argv[15] = in_redis ? "1" : "0";
	argv[16] = in_redis && w->out.len > 0 ? w->out.data : "";
	for (int i = 0; i < 16; i++)
		lens[i] = strlen(argv[i]);
	lens[16] = in_redis ? w->out.len : 0;
	if ((rc = run_script(&reply, w, 17, argv, lens, err)) != APPCORE_OK)
		return rc;
	if (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS)
		rc = ac_error_set(err, APPCORE_EINTERNAL, "redis at %s: unexpected script reply",
				  w->jobs->address.display);
	else if ((*state = strdup(reply->str)) == NULL)
		rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	freeReplyObject(reply);
	return rc;
}

/* The chunk's input from Redis (into *reply) or the jobs directory (into w->in). */
static int load_input(const char **text, size_t *len, redisReply **reply, appcore_jobs_worker *w,
		      const struct entry *e, const struct job_fields *f, bool in_redis,
		      appcore_error *err)
{
	char key[AC_JOBS_KEY_SIZE];
	int rc;

	*reply = NULL;
	if (!in_redis) {
		if ((rc = read_range(w, e, f, err)) != APPCORE_OK)
			return rc;
		*text = w->in;
		*len = (size_t)e->length;
		return APPCORE_OK;
	}
	ac_jobs_key(key, e->job, AC_KEY_IN);
	if ((rc = command(reply, w, err, "HGET %s %llu", key, e->chunk)) != APPCORE_OK)
		return rc;
	if ((*reply)->type != REDIS_REPLY_STRING) {
		/* recorded by another worker meanwhile (its input is deleted with it), or lost */
		freeReplyObject(*reply);
		*reply = NULL;
		ac_jobs_key(key, e->job, AC_KEY_DONE);
		if ((rc = command(reply, w, err, "GETBIT %s %llu", key, e->chunk)) != APPCORE_OK)
			return rc;
		rc = (*reply)->type == REDIS_REPLY_INTEGER && (*reply)->integer == 1
			 ? APPCORE_ENOTFOUND
			 : ac_error_set(err, APPCORE_EIO, "the input of chunk %llu is missing",
					e->chunk);
		freeReplyObject(*reply);
		*reply = NULL;
		return rc;
	}
	*text = (*reply)->str;
	*len = (*reply)->len;
	return APPCORE_OK;
}

static int process(appcore_jobs_step *out, appcore_jobs_worker *w, struct entry *e,
		   appcore_error *err)
{
	redisReply *job_reply = NULL, *input_reply = NULL;
	struct job_fields f;
	appcore_model *model = NULL;
	appcore_error why;
	const char *text = NULL;
	char *state = NULL;
	size_t len = 0;
	long long started = monotonic_ms(), delivered = 0;
	bool in_redis;
	int rc;

	snprintf(out->job_id, sizeof(out->job_id), "%s", e->job);
	out->chunk = e->chunk;
	out->rows = e->rows;
	out->reclaimed = e->reclaimed;
	out->event = APPCORE_JOBS_CHUNK_SKIPPED;
	if ((rc = begin_job(&job_reply, &f, w, e->job, err)) != APPCORE_OK)
		goto done;
	out->job_state = state_of(f.state);
	if (f.state == NULL || strcmp(f.state, "running") != 0 || f.model == NULL ||
	    f.format == NULL || f.output == NULL || f.storage == NULL) {
		rc = drop_entry(w, e->id, err);
		goto done;
	}
	in_redis = strcmp(f.storage, "redis") == 0;
	appcore_error_clear(&why);
	if (e->reclaimed && (rc = deliveries(&delivered, w, e->id, err)) != APPCORE_OK)
		goto done;
	if (delivered > MAX_DELIVERIES) {
		appcore_error_set(&why, APPCORE_EINTERNAL,
				  "chunk %llu (from line %llu) was taken %lld times without being "
				  "recorded: its workers died or stalled on it",
				  e->chunk, e->line, delivered);
		rc = fail_job(out, w, e, &why, err);
		goto done;
	}
	rc = w->jobs->settings.resolve(&model, w->jobs->settings.resolve_ctx, f.model,
			      f.model_version != NULL ? f.model_version : "", &why);
	if (rc == APPCORE_ENOMEM)
		goto done;
	if (rc != APPCORE_OK || model == NULL) {
		char detail[APPCORE_ERROR_MESSAGE_SIZE];

		snprintf(detail, sizeof(detail), "%s", why.message);
		appcore_error_set(&why, APPCORE_ENOTFOUND,
				  "worker %s cannot load model '%s' version '%s': %s", w->name,
				  f.model, f.model_version != NULL ? f.model_version : "", detail);
		rc = fail_job(out, w, e, &why, err);
		goto done;
	}
	rc = load_input(&text, &len, &input_reply, w, e, &f, in_redis, &why);
	if (rc == APPCORE_ENOTFOUND) {
		/* another worker recorded this chunk: nothing left to do */
		out->job_state = APPCORE_JOB_RUNNING;
		rc = drop_entry(w, e->id, err);
		goto done;
	}
	if (rc == APPCORE_EUNAVAILABLE || rc == APPCORE_EINTERNAL || rc == APPCORE_ENOMEM) {
		*err = why;
		goto done;
	}
	if (rc == APPCORE_OK)
		rc = score(w, e, &f, model, text, len, &why);
	if (rc == APPCORE_ENOMEM) {
		*err = why;
		goto done;
	}
	if (rc != APPCORE_OK) {
		/* the input's fault (a bad line, a changed file): the job fails with it */
		rc = fail_job(out, w, e, &why, err);
		goto done;
	}
	if ((rc = complete(&state, w, e, in_redis, err)) != APPCORE_OK)
		goto done;
	out->job_state = state_of(state);
	out->event = strcmp(state, "running") == 0 || strcmp(state, "succeeded") == 0
			 ? APPCORE_JOBS_CHUNK_DONE
			 : APPCORE_JOBS_CHUNK_SKIPPED;
done:
	out->seconds = (double)(monotonic_ms() - started) / 1000.0;
	free(state);
	appcore_model_unref(model);
	freeReplyObject(input_reply);
	freeReplyObject(job_reply);
	return rc;
}

int appcore_jobs_worker_step(appcore_jobs_step *out, appcore_jobs_worker *w, unsigned int wait_ms,
			     appcore_error *err)
{
	appcore_error local;
	redisReply *reply = NULL;
	const redisReply *raw = NULL;
	struct entry e;
	bool reclaimed;
	int rc;

	if (out == NULL || w == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_worker_step: NULL argument");
	memset(out, 0, sizeof(*out));
	err = AC_JOBS_ERR(err, local);
	if (wait_ms > AC_JOBS_MAX_WAIT_MS)
		wait_ms = AC_JOBS_MAX_WAIT_MS;
	if (w->c == NULL && (rc = ac_jobs_acquire(&w->c, w->jobs, err)) != APPCORE_OK)
		return rc;
	if (!w->group_ready) {
		if ((rc = ac_jobs_ensure_group(w->jobs, w->c, err)) != APPCORE_OK)
			goto out;
		w->group_ready = true;
	}
	rc = claim_abandoned(&reply, &raw, w, err);
	reclaimed = rc == APPCORE_OK && raw != NULL;
	if (rc == APPCORE_OK && raw == NULL) {
		freeReplyObject(reply);
		reply = NULL;
		rc = read_new(&reply, &raw, w, wait_ms, err);
	}
	if (rc != APPCORE_OK || raw == NULL)
		goto out;
	if (!parse_entry(&e, raw)) {
		/* not one of ours: drop it rather than trip over it forever */
		if (raw->type == REDIS_REPLY_ARRAY && raw->elements >= 1 &&
		    raw->element[0]->type == REDIS_REPLY_STRING)
			rc = drop_entry(w, raw->element[0]->str, err);
		out->event = APPCORE_JOBS_CHUNK_SKIPPED;
		goto out;
	}
	e.reclaimed = reclaimed;
	rc = process(out, w, &e, err);
out:
	freeReplyObject(reply);
	if (w->c != NULL && w->c->err != 0) {
		/* the connection broke: the next step makes a new one */
		ac_jobs_release(w->jobs, w->c);
		w->c = NULL;
	}
	return rc;
}
