/* Submitting a job: the input is read once, as a stream, and split into chunks at line ends
 * (chunk_rows rows, or 8 MiB, whichever comes first). Small inputs keep each chunk's bytes in
 * Redis (the job's :in hash); large ones are written to DIR/.appcore-jobs/ID/input, and a
 * file named by path is used where it is. Only line 1 is read as text (a CSV header); rows
 * are the workers' business. The job becomes visible in one MULTI/EXEC with its queue
 * entries, so a job is either queued whole or not at all. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "core/log_strbuf.h"
#include "jobs/jobs_internal.h"
#include "rows/rows_internal.h"

#define READ_BLOCK ((size_t)1 << 20)

struct chunk_desc {
	unsigned long long line, rows, offset, length;
};

struct splitter {
	appcore_jobs *jobs;
	redisContext *c;
	char id[APPCORE_JOBS_ID_SIZE];
	char in_key[AC_JOBS_KEY_SIZE];
	const appcore_jobs_submit_options *options;
	appcore_model *model;
	struct ac_rows_reader reader;
	bool reader_ready;
	bool in_redis;
	unsigned long long limit; /* bytes accepted (inline jobs: inline_max_bytes) */
	const char *limit_name;

	/* an upload to the jobs directory */
	int fd;
	char *job_dir;
	char *write_buf;
	size_t write_len;
	/* where workers find the input, relative to the jobs directory */
	char *input_rel;

	/* inline: the bytes of the chunk being built */
	ac_strbuf chunk;

	unsigned long long pos;  /* bytes read */
	unsigned long long line; /* current line, 1-based */
	size_t line_len;
	bool line_nonblank;
	char *line1; /* CSV: line 1, the header candidate */
	size_t line1_len;
	bool has_header;

	unsigned long long chunk_start, chunk_line, chunk_rows;
	unsigned long long rows_total;
	struct chunk_desc *chunks;
	size_t num_chunks, chunks_cap;
};

static int make_id(char id[APPCORE_JOBS_ID_SIZE], appcore_error *err)
{
	unsigned char bytes[16];
	size_t got = 0;

	while (got < sizeof(bytes)) {
		ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ac_error_set(err, APPCORE_EINTERNAL, "getrandom: %s", strerror(errno));
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(id + 2 * i, 3, "%02x", bytes[i]);
	return APPCORE_OK;
}

static int flush_upload(struct splitter *s, appcore_error *err)
{
	size_t done = 0;

	while (done < s->write_len) {
		ssize_t n = write(s->fd, s->write_buf + done, s->write_len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ac_error_set(err, APPCORE_EIO, "%s/input: %s", s->job_dir,
					    strerror(errno));
		done += (size_t)n;
	}
	s->write_len = 0;
	return APPCORE_OK;
}

/* Keep [data, data + len) where the workers will read it. */
static int store_bytes(struct splitter *s, const char *data, size_t len, appcore_error *err)
{
	if (s->in_redis) {
		ac_strbuf_append(&s->chunk, data, len);
		return s->chunk.failed ? ac_error_set(err, APPCORE_ENOMEM, "out of memory")
				       : APPCORE_OK;
	}
	if (s->fd < 0) /* a file named by path: already where it belongs */
		return APPCORE_OK;
	while (len > 0) {
		size_t n = READ_BLOCK - s->write_len < len ? READ_BLOCK - s->write_len : len;

		memcpy(s->write_buf + s->write_len, data, n);
		s->write_len += n;
		data += n;
		len -= n;
		if (s->write_len == READ_BLOCK && flush_upload(s, err) != APPCORE_OK)
			return APPCORE_EIO;
	}
	return APPCORE_OK;
}

static int emit_chunk(struct splitter *s, appcore_error *err)
{
	struct chunk_desc *d;

	if (s->num_chunks == s->chunks_cap) {
		size_t cap = s->chunks_cap ? s->chunks_cap * 2 : 64;
		struct chunk_desc *bigger = realloc(s->chunks, cap * sizeof(*bigger));

		if (bigger == NULL)
			return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		s->chunks = bigger;
		s->chunks_cap = cap;
	}
	if (s->in_redis) {
		redisReply *reply;
		int rc;

		/* until the job is queued the inputs expire, so a submission that dies half-way
		 * leaves nothing behind for long */
		rc = ac_redis_command(&reply, s->jobs, s->c, err, "HSET %s %llu %b", s->in_key,
				      (unsigned long long)s->num_chunks, s->chunk.len > 0 ? s->chunk.data : "",
				      s->chunk.len);
		freeReplyObject(reply);
		if (rc == APPCORE_OK && s->num_chunks == 0) {
			rc = ac_redis_command(&reply, s->jobs, s->c, err, "EXPIRE %s %u", s->in_key,
					      s->jobs->settings.result_ttl_seconds);
			freeReplyObject(reply);
		}
		if (rc != APPCORE_OK)
			return rc;
		s->chunk.len = 0;
	}
	d = &s->chunks[s->num_chunks++];
	d->line = s->chunk_line;
	d->rows = s->chunk_rows;
	d->offset = s->chunk_start;
	d->length = s->pos - s->chunk_start;
	s->chunk_start = s->pos;
	s->chunk_line = s->line;
	s->chunk_rows = 0;
	return APPCORE_OK;
}

static int end_line(struct splitter *s, appcore_error *err)
{
	bool row = s->line_nonblank;

	if (s->line == 1 && s->options->format == APPCORE_ROWS_CSV && s->line_nonblank) {
		int rc = ac_rows_reader_header(&s->has_header, &s->reader, s->line1, s->line1_len,
					       err);
		if (rc != APPCORE_OK)
			return rc;
		row = !s->has_header;
	}
	if (row) {
		s->rows_total++;
		s->chunk_rows++;
	}
	s->line++;
	s->line_len = 0;
	s->line_nonblank = false;
	if (s->chunk_rows > 0 && (s->chunk_rows >= s->jobs->settings.chunk_rows ||
				  s->pos - s->chunk_start >= AC_JOBS_CHUNK_MAX_BYTES))
		return emit_chunk(s, err);
	return APPCORE_OK;
}

/* The bytes [data, data + len) of the current line (no newline among them). */
static int line_bytes(struct splitter *s, const char *data, size_t len, appcore_error *err)
{
	if (len > AC_JOBS_MAX_LINE_BYTES - s->line_len)
		return ac_error_set_at(err, APPCORE_ELIMIT, ac_rows_line_int((size_t)s->line), 0,
				       "line %llu: longer than %zu bytes, the longest line a job "
				       "accepts",
				       s->line, AC_JOBS_MAX_LINE_BYTES);
	for (size_t i = 0; i < len && !s->line_nonblank; i++)
		s->line_nonblank = data[i] != '\r';
	if (s->line == 1 && s->options->format == APPCORE_ROWS_CSV) {
		if (s->line1 == NULL && (s->line1 = malloc(AC_JOBS_MAX_LINE_BYTES)) == NULL) {
			ac_error_set(err, APPCORE_ENOMEM, "out of memory");
			return APPCORE_ENOMEM;
		}
		memcpy(s->line1 + s->line1_len, data, len);
		s->line1_len += len;
	}
	s->line_len += len;
	return APPCORE_OK;
}

static int consume(struct splitter *s, const char *data, size_t len, appcore_error *err)
{
	int rc;

	if (s->pos > s->limit || len > s->limit - s->pos)
		return ac_error_set(err, APPCORE_ETOOLARGE, "the input is larger than %s (%llu bytes)",
				    s->limit_name, s->limit);
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t seg = nl != NULL ? (size_t)(nl - data) : len;
		size_t stored = seg + (nl != NULL);

		if ((rc = line_bytes(s, data, seg, err)) != APPCORE_OK ||
		    (rc = store_bytes(s, data, stored, err)) != APPCORE_OK)
			return rc;
		s->pos += stored;
		if (nl == NULL)
			break;
		if ((rc = end_line(s, err)) != APPCORE_OK)
			return rc;
		data += stored;
		len -= stored;
	}
	return APPCORE_OK;
}

static int finish_input(struct splitter *s, appcore_error *err)
{
	int rc;

	if (s->line_len > 0 && (rc = end_line(s, err)) != APPCORE_OK)
		return rc;
	/* blank lines after the last row make no chunk of their own */
	if (s->chunk_rows > 0 && (rc = emit_chunk(s, err)) != APPCORE_OK)
		return rc;
	if (s->fd >= 0) {
		if ((rc = flush_upload(s, err)) != APPCORE_OK)
			return rc;
		/* a worker on another machine reads it next: make it durable first */
		if (fsync(s->fd) != 0)
			return ac_error_set(err, APPCORE_EIO, "%s/input: %s", s->job_dir,
					    strerror(errno));
	}
	if (s->rows_total == 0 && s->has_header)
		return ac_error_set(err, APPCORE_EREQUEST, "the input has a header but no rows");
	if (s->rows_total == 0)
		return ac_error_set(err, APPCORE_EREQUEST, "the input has no rows (%llu bytes)",
				    s->pos);
	return APPCORE_OK;
}

static int append(struct splitter *s, int argc, const char **argv, const size_t *lens,
		  appcore_error *err)
{
	if (redisAppendCommandArgv(s->c, argc, argv, lens) != REDIS_OK)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	return APPCORE_OK;
}

/* Queue the job: its state hash, the counters and one queue entry per chunk, atomically. */
static int queue_job(struct splitter *s, long long created_ms, appcore_error *err)
{
	char job_key[AC_JOBS_KEY_SIZE], rows[24], chunks[24], bytes[24], created[24];
	char n[24], line[24], nrows[24], offset[24], length[24];
	const char *argv[40];
	int argc = 0, rc;
	redisReply *reply = NULL;
	size_t replies;

	ac_jobs_key(job_key, s->id, AC_KEY_JOB);
	snprintf(rows, sizeof(rows), "%llu", s->rows_total);
	snprintf(chunks, sizeof(chunks), "%zu", s->num_chunks);
	snprintf(bytes, sizeof(bytes), "%llu", s->pos);
	snprintf(created, sizeof(created), "%lld", created_ms);
	argv[argc++] = "HSET";
	argv[argc++] = job_key;
#define FIELD(name, value) (argv[argc++] = (name), argv[argc++] = (value))
	FIELD("state", "queued");
	FIELD("model", s->options->model);
	FIELD("model_version", appcore_model_version(s->model));
	FIELD("format", ac_jobs_format_name(s->options->format));
	FIELD("output", ac_jobs_output_name(s->options->output));
	FIELD("storage", s->in_redis ? "redis" : "dir");
	FIELD("input", s->input_rel != NULL ? s->input_rel : "");
	FIELD("rows_total", rows);
	FIELD("chunks_total", chunks);
	FIELD("rows_done", "0");
	FIELD("chunks_done", "0");
	FIELD("result_bytes", "0");
	FIELD("input_bytes", bytes);
	FIELD("created_ms", created);
	if (s->has_header) {
		argv[argc++] = "header";
		argv[argc++] = s->line1;
	}
#undef FIELD
	{
		/* the header is binary-safe text; everything else is a C string */
		size_t lens[40];
		int text_args = s->has_header ? argc - 1 : argc;

		for (int i = 0; i < text_args; i++)
			lens[i] = strlen(argv[i]);
		if (s->has_header)
			lens[argc - 1] = ac_rows_trimmed_length(s->line1, s->line1_len);
		if ((rc = append(s, 1, (const char *[]){ "MULTI" }, NULL, err)) != APPCORE_OK ||
		    (rc = append(s, argc, argv, lens, err)) != APPCORE_OK)
			return rc;
	}
	if (redisAppendCommand(s->c, "HINCRBY %s queued 1", AC_JOBS_STATS_KEY) != REDIS_OK ||
	    redisAppendCommand(s->c, "HINCRBY %s submitted 1", AC_JOBS_STATS_KEY) != REDIS_OK ||
	    (s->in_redis && redisAppendCommand(s->c, "PERSIST %s", s->in_key) != REDIS_OK))
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	for (size_t i = 0; i < s->num_chunks; i++) {
		const struct chunk_desc *d = &s->chunks[i];
		const char *x[16] = { "XADD", AC_JOBS_QUEUE_KEY, "*", "job", s->id, "chunk", n,
				      "line", line, "rows", nrows, "offset", offset, "length",
				      length };

		snprintf(n, sizeof(n), "%zu", i);
		snprintf(line, sizeof(line), "%llu", d->line);
		snprintf(nrows, sizeof(nrows), "%llu", d->rows);
		snprintf(offset, sizeof(offset), "%llu", d->offset);
		snprintf(length, sizeof(length), "%llu", d->length);
		/* hiredis copies the arguments into its output buffer here */
		if ((rc = append(s, s->in_redis ? 11 : 15, x, NULL, err)) != APPCORE_OK)
			return rc;
	}
	if ((rc = append(s, 1, (const char *[]){ "EXEC" }, NULL, err)) != APPCORE_OK)
		return rc;
	/* MULTI, the queued commands, EXEC */
	replies = 1 + 3 + (s->in_redis ? 1 : 0) + s->num_chunks + 1;
	for (size_t i = 0; i < replies; i++) {
		int status = redisGetReply(s->c, (void **)&reply);

		rc = ac_redis_check(s->jobs, s->c, reply, status, err);
		if (rc == APPCORE_OK && i == replies - 1) {
			if (reply->type != REDIS_REPLY_ARRAY)
				rc = ac_error_set(err, APPCORE_EINTERNAL,
						  "redis at %s: the job's transaction was not applied",
						  s->jobs->address.display);
			for (size_t e = 0; rc == APPCORE_OK && e < reply->elements; e++)
				rc = ac_redis_check(s->jobs, s->c, reply->element[e], REDIS_OK, err);
		}
		freeReplyObject(reply);
		reply = NULL;
		if (rc != APPCORE_OK)
			return rc;
	}
	return APPCORE_OK;
}

static void fill_status(appcore_job_status *out, const struct splitter *s, long long created_ms)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", s->id);
	out->state = APPCORE_JOB_QUEUED;
	out->format = s->options->format;
	out->output = s->options->output;
	snprintf(out->model, sizeof(out->model), "%s", s->options->model);
	snprintf(out->model_version, sizeof(out->model_version), "%s",
		 appcore_model_version(s->model));
	out->rows_total = s->rows_total;
	out->chunks_total = s->num_chunks;
	out->input_bytes = s->pos;
	out->created_ms = created_ms;
}

/* Undo what a failed submission wrote. */
static void discard(struct splitter *s)
{
	if (s->in_redis && s->c != NULL && s->c->err == 0) {
		redisReply *reply = redisCommand(s->c, "DEL %s", s->in_key);
		freeReplyObject(reply);
	}
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	if (s->job_dir != NULL)
		ac_jobs_remove_tree(s->job_dir);
}

static void dispose(struct splitter *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->reader_ready)
		ac_rows_reader_dispose(&s->reader);
	appcore_model_unref(s->model);
	ac_jobs_release(s->jobs, s->c);
	free(s->job_dir);
	free(s->write_buf);
	free(s->input_rel);
	ac_strbuf_release(&s->chunk);
	free(s->line1);
	free(s->chunks);
}

static int check_options(const appcore_jobs_submit_options *o, appcore_error *err)
{
	if (o->version == 0 || o->version > APPCORE_JOBS_SUBMIT_OPTIONS_VERSION)
		return ac_error_set(err, APPCORE_EINVAL, "unknown submit options version %u",
				    o->version);
	if (o->format != APPCORE_ROWS_CSV && o->format != APPCORE_ROWS_NDJSON)
		return ac_error_set(err, APPCORE_EINVAL, "unknown input format %d", (int)o->format);
	if (o->output != APPCORE_OUTPUT_VALUE && o->output != APPCORE_OUTPUT_MARGIN)
		return ac_error_set(err, APPCORE_EINVAL, "unknown output kind %d", (int)o->output);
	if (o->model == NULL || o->model[0] == '\0')
		return ac_error_set(err, APPCORE_EREQUEST, "a job needs a model name");
	if (strlen(o->model) >= APPCORE_JOBS_NAME_SIZE ||
	    (o->model_version != NULL && strlen(o->model_version) >= APPCORE_JOBS_NAME_SIZE))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "model names and versions are at most %d bytes",
				    APPCORE_JOBS_NAME_SIZE - 1);
	return APPCORE_OK;
}

/* Everything before the first byte of input: the model, a connection, where the input goes.
 * path_rel: a file already under the jobs directory (relative path), or NULL for an upload. */
static int prepare(struct splitter *s, appcore_jobs *jobs,
		   const appcore_jobs_submit_options *options, const char *path_rel,
		   appcore_error *err)
{
	unsigned long long size = options->input_size >= 0
				      ? (unsigned long long)options->input_size
				      : ULLONG_MAX;
	char *input;
	int rc;

	memset(s, 0, sizeof(*s));
	ac_strbuf_init(&s->chunk, NULL, 0);
	s->fd = -1;
	s->jobs = jobs;
	s->options = options;
	s->line = 1;
	s->chunk_line = 1;
	s->limit = ULLONG_MAX;
	if ((rc = check_options(options, err)) != APPCORE_OK ||
	    (rc = ac_jobs_resolve(&s->model, jobs, options->model, options->model_version,
				  err)) != APPCORE_OK)
		return rc;
	if ((rc = ac_rows_reader_init(&s->reader, s->model, options->format, err)) != APPCORE_OK)
		return rc;
	s->reader_ready = true;
	if ((rc = make_id(s->id, err)) != APPCORE_OK)
		return rc;
	ac_jobs_key(s->in_key, s->id, AC_KEY_IN);
	if ((rc = ac_jobs_acquire(&s->c, jobs, err)) != APPCORE_OK)
		return rc;
	if (path_rel != NULL) {
		s->input_rel = strdup(path_rel);
		return s->input_rel != NULL ? APPCORE_OK
					    : ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	if (jobs->dir == NULL && size != ULLONG_MAX && size > jobs->settings.inline_max_bytes)
		return ac_error_set(err, APPCORE_ETOOLARGE,
				    "the input (%llu bytes) is larger than jobs.inline_max_bytes "
				    "(%llu), and jobs.dir is not configured for larger inputs",
				    size, jobs->settings.inline_max_bytes);
	s->in_redis = jobs->dir == NULL || size <= jobs->settings.inline_max_bytes;
	if (s->in_redis) {
		s->limit = jobs->settings.inline_max_bytes;
		s->limit_name = "jobs.inline_max_bytes without jobs.dir";
		return APPCORE_OK;
	}
	if ((rc = ac_jobs_job_dir(&s->job_dir, jobs, s->id, err)) != APPCORE_OK)
		return rc;
	if (mkdir(s->job_dir, 0775) != 0)
		return ac_error_set(err, APPCORE_EIO, "%s: %s", s->job_dir, strerror(errno));
	s->input_rel = malloc(strlen(AC_JOBS_DIR_NAME) + strlen(s->id) + 8);
	s->write_buf = malloc(READ_BLOCK);
	input = ac_jobs_path_join(s->job_dir, "input");
	if (s->input_rel == NULL || s->write_buf == NULL || input == NULL) {
		free(input);
		ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		return APPCORE_ENOMEM;
	}
	sprintf(s->input_rel, "%s/%s/input", AC_JOBS_DIR_NAME, s->id);
	/* s owns write_buf and input_rel until dispose() */
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
	s->fd = open(input, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0664);
	free(input);
	if (s->fd < 0)
		return ac_error_set(err, APPCORE_EIO, "%s/input: %s", s->job_dir, strerror(errno));
	return APPCORE_OK;
}

static int run(appcore_job_status *out, struct splitter *s, appcore_jobs_read_fn read,
	       void *read_ctx, appcore_error *err)
{
	char *buffer = malloc(READ_BLOCK);
	long long created_ms = 0;
	int rc = APPCORE_OK;

	if (buffer == NULL) {
		ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		rc = APPCORE_ENOMEM;
	}

	while (rc == APPCORE_OK) {
		size_t got = 0;

		rc = read(&got, read_ctx, buffer, READ_BLOCK, err);
		if (rc != APPCORE_OK || got == 0)
			break;
		rc = consume(s, buffer, got, err);
	}
	free(buffer);
	if (rc == APPCORE_OK)
		rc = finish_input(s, err);
	if (rc == APPCORE_OK)
		rc = ac_redis_time_ms(&created_ms, s->jobs, s->c, err);
	if (rc == APPCORE_OK)
		rc = ac_jobs_ensure_group(s->jobs, s->c, err);
	if (rc == APPCORE_OK)
		rc = queue_job(s, created_ms, err);
	if (rc != APPCORE_OK) {
		discard(s);
		return rc;
	}
	fill_status(out, s, created_ms);
	return APPCORE_OK;
}

int appcore_jobs_submit(appcore_job_status *out, appcore_jobs *jobs,
			const appcore_jobs_submit_options *options, appcore_jobs_read_fn read,
			void *read_ctx, appcore_error *err)
{
	appcore_error local;
	struct splitter s;
	int rc;

	if (out == NULL || jobs == NULL || options == NULL || read == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_submit: NULL argument");
	memset(out, 0, sizeof(*out));
	err = AC_JOBS_ERR(err, local);
	rc = prepare(&s, jobs, options, NULL, err);
	if (rc == APPCORE_OK)
		rc = run(out, &s, read, read_ctx, err);
	else
		discard(&s);
	dispose(&s);
	return rc;
}

struct fd_reader {
	int fd;
	const char *what;
};

static int read_fd(size_t *got, void *ctx, void *buffer, size_t size, appcore_error *err)
{
	const struct fd_reader *r = ctx;

	for (;;) {
		ssize_t n = read(r->fd, buffer, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ac_error_set(err, APPCORE_EIO, "%s: %s", r->what, strerror(errno));
		*got = (size_t)n;
		return APPCORE_OK;
	}
}

int appcore_jobs_submit_fd(appcore_job_status *out, appcore_jobs *jobs,
			   const appcore_jobs_submit_options *options, int fd, appcore_error *err)
{
	appcore_jobs_submit_options sized;
	struct fd_reader reader = { fd, "input" };
	struct stat st;

	if (options == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_submit_fd: NULL argument");
	sized = *options;
	if (sized.input_size < 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		sized.input_size = (long long)st.st_size;
	return appcore_jobs_submit(out, jobs, &sized, read_fd, &reader, err);
}

/* A path inside the jobs directory that is not one of the jobs' own files. */
static bool usable(const char *dir, const char *internal, const char *path)
{
	return path != NULL && ac_jobs_path_under(dir, path) && !ac_jobs_path_under(internal, path) &&
	       strcmp(internal, path) != 0;
}

/* The checks on a path job's file: inside the jobs directory (before and after resolving
 * links), not one of the jobs' own files, a regular file. *real receives its real path. */
static int check_input_path(char **real, const appcore_jobs *jobs, const char *path,
			    appcore_error *err)
{
	char *joined = path[0] == '/' ? strdup(path) : ac_jobs_path_join(jobs->dir, path);
	char *lexical = joined != NULL ? ac_jobs_lexical_path(joined) : NULL;
	char *internal = ac_jobs_path_join(jobs->dir, AC_JOBS_DIR_NAME);
	struct stat st;
	int rc = APPCORE_OK;

	*real = NULL;
	if (joined == NULL || internal == NULL)
		rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	/* lexically first, so that a path outside is refused whether it exists or not */
	else if (usable(jobs->dir, internal, lexical) &&
		 (*real = realpath(lexical, NULL)) == NULL)
		rc = ac_error_set(err, APPCORE_EREQUEST, "input_path '%s': %s", path,
				  strerror(errno));
	/* then with symbolic links resolved */
	else if (!usable(jobs->dir, internal, lexical) || !usable(jobs->dir, internal, *real))
		rc = ac_error_set(err, APPCORE_EFORBIDDEN,
				  "input_path '%s' is outside the jobs directory", path);
	else if (stat(*real, &st) != 0 || !S_ISREG(st.st_mode))
		rc = ac_error_set(err, APPCORE_EREQUEST, "input_path '%s': not a regular file",
				  path);
	if (rc != APPCORE_OK) {
		free(*real);
		*real = NULL;
	}
	free(joined);
	free(lexical);
	free(internal);
	return rc;
}

int appcore_jobs_submit_path(appcore_job_status *out, appcore_jobs *jobs,
			     const appcore_jobs_submit_options *options, const char *path,
			     appcore_error *err)
{
	appcore_jobs_submit_options sized;
	appcore_model *model = NULL;
	appcore_error local;
	struct splitter s;
	struct fd_reader reader;
	struct stat st;
	char *real = NULL;
	int rc, fd = -1;

	if (out == NULL || jobs == NULL || options == NULL || path == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_jobs_submit_path: NULL argument");
	memset(out, 0, sizeof(*out));
	err = AC_JOBS_ERR(err, local);
	/* an unknown model is the first thing to say, as for uploads */
	if ((rc = check_options(options, err)) != APPCORE_OK ||
	    (rc = ac_jobs_resolve(&model, jobs, options->model, options->model_version, err)) !=
		APPCORE_OK)
		return rc;
	appcore_model_unref(model);
	if (jobs->dir == NULL)
		return ac_error_set(err, APPCORE_EFORBIDDEN,
				    "input_path needs a jobs directory, and jobs.dir is not "
				    "configured");
	if ((rc = check_input_path(&real, jobs, path, err)) != APPCORE_OK || real == NULL)
		return rc != APPCORE_OK ? rc : APPCORE_EINTERNAL;
	fd = open(real, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = ac_error_set(err, APPCORE_EREQUEST, "input_path '%s': %s", path,
				  strerror(errno));
		goto out;
	}
	sized = *options;
	sized.input_size = (long long)st.st_size;
	reader.fd = fd;
	reader.what = path;
	rc = prepare(&s, jobs, &sized, real + strlen(jobs->dir) + 1, err);
	if (rc == APPCORE_OK)
		rc = run(out, &s, read_fd, &reader, err);
	else
		discard(&s);
	dispose(&s);
out:
	if (fd >= 0)
		close(fd);
	free(real);
	return rc;
}
