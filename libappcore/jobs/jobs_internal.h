/* The job store client shared by the jobs module's files: settings, the Redis connection pool
 * (redis.c), key names (keys below), the Lua scripts (scripts.c) and the jobs directory
 * layout (store_dir.c). */
#ifndef APPCORE_JOBS_INTERNAL_H
#define APPCORE_JOBS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "appcore/jobs.h"

/* Redis keys (docs/jobs.md): one stream and one counters hash for the whole store, and per
 * job a state hash, its inline inputs and results and a bitmap of recorded chunks. */
#define AC_JOBS_QUEUE_KEY "appcore:jobs:queue"
#define AC_JOBS_STATS_KEY "appcore:jobs:stats"
#define AC_JOBS_GROUP "appcore-workers"
#define AC_JOBS_KEY_SIZE 96
enum ac_job_key { AC_KEY_JOB, AC_KEY_IN, AC_KEY_OUT, AC_KEY_DONE };
void ac_jobs_key(char key[AC_JOBS_KEY_SIZE], const char *id, enum ac_job_key which);

/* Longest input line accepted: bounds a worker's and the splitter's memory per line. */
#define AC_JOBS_MAX_LINE_BYTES ((size_t)1 << 20)
/* A chunk also ends once it holds this many bytes (long lines, small chunk_rows or not). */
#define AC_JOBS_CHUNK_MAX_BYTES ((size_t)8 << 20)
/* Connect and command timeouts: a blocked read waits at most 5 s for work on top. */
#define AC_JOBS_CONNECT_TIMEOUT_MS 2000
#define AC_JOBS_COMMAND_TIMEOUT_MS 10000
#define AC_JOBS_MAX_WAIT_MS 5000
/* Idle connections kept for reuse. */
#define AC_JOBS_POOL_SIZE 16
/* Where a job keeps its files under the jobs directory: DIR/.appcore-jobs/ID/. */
#define AC_JOBS_DIR_NAME ".appcore-jobs"

struct ac_redis_address {
	char *host;   /* NULL for a Unix socket */
	int port;
	char *socket; /* Unix socket path, or NULL */
	int db;
	char *user;     /* ACL user, or NULL */
	char *password; /* or NULL */
	char *display;  /* host:port or the socket path, for messages */
};

struct appcore_jobs {
	struct ac_redis_address address;
	char *dir; /* canonical, NULL when none */
	/* the caller's options; redis_url and dir (not kept) are NULL */
	appcore_jobs_options settings;

	pthread_mutex_t pool_lock;
	redisContext *pool[AC_JOBS_POOL_SIZE];
	size_t pool_count;
};

/* redis_url.c */
int ac_redis_address_parse(struct ac_redis_address *out, const char *url, appcore_error *err);
void ac_redis_address_dispose(struct ac_redis_address *address);
/* A copy of [s, s + len) with %XX decoded (and '+' as a space when plus_is_space): NULL for
 * a bad escape (or no memory: then *oom is set). An escaped NUL is a bad escape. */
char *ac_jobs_percent_decode(const char *s, size_t len, bool plus_is_space, bool *oom);

/* redis.c: a connection from the pool (connected, authenticated, database selected) or
 * APPCORE_EUNAVAILABLE; give it back with ac_jobs_release, which drops a broken one. */
int ac_jobs_acquire(redisContext **out, appcore_jobs *jobs, appcore_error *err);
void ac_jobs_release(appcore_jobs *jobs, redisContext *c);
void ac_jobs_pool_close(appcore_jobs *jobs);

/* Inside the module err is never NULL: public entry points substitute a local one. */
#define AC_JOBS_ERR(err, local) ((err) != NULL ? (err) : (appcore_error_clear(&(local)), &(local)))

/* Run a command (redisCommand format) into *out (free with freeReplyObject). On failure *out
 * is NULL and err (never NULL inside the module) filled: EUNAVAILABLE when the connection
 * failed (c is then unusable) or Redis is loading / busy, EINTERNAL for another error reply
 * (its text in the message). */
int ac_redis_command(redisReply **out, appcore_jobs *jobs, redisContext *c, appcore_error *err,
		     const char *format, ...);
int ac_redis_argv(redisReply **out, appcore_jobs *jobs, redisContext *c, appcore_error *err,
		  int argc, const char **argv, const size_t *lens);
/* Check a reply read with redisGetReply (pipelines) the same way. */
int ac_redis_check(appcore_jobs *jobs, redisContext *c, redisReply *reply, int status,
		   appcore_error *err);
int ac_redis_unavailable(appcore_jobs *jobs, redisContext *c, appcore_error *err);
/* Create the consumer group (and stream) when missing. */
int ac_jobs_ensure_group(appcore_jobs *jobs, redisContext *c, appcore_error *err);
/* Redis's clock, Unix ms. */
int ac_redis_time_ms(long long *out, appcore_jobs *jobs, redisContext *c, appcore_error *err);

/* scripts.c: the Lua scripts that change a job's state atomically with its counters. */
extern const char ac_script_begin[];
extern const char ac_script_complete[];
extern const char ac_script_finish[];
extern const char ac_script_retire[];
/* The first AC_JOBS_SCRIPT_ARGS arguments of EVAL for the complete and finish scripts:
 * EVAL, the script, its six keys (job, done, out, in, queue, stats) and the group. keys is
 * the caller's storage for the job's key names. */
#define AC_JOBS_SCRIPT_ARGS 10
void ac_jobs_script_args(const char **argv, char keys[4][AC_JOBS_KEY_SIZE], const char *script,
			 const char *id);
/* Remove consumer name from the group if it holds no chunk. */
int ac_jobs_retire(appcore_jobs *jobs, redisContext *c, const char *name, appcore_error *err);

/* status.c */
int ac_jobs_status_from_hash(appcore_job_status *out, const char *id, const redisReply *fields,
			     appcore_error *err);
int ac_jobs_read_status(appcore_job_status *out, appcore_jobs *jobs, redisContext *c,
			const char *id, appcore_error *err);
bool ac_jobs_id_valid(const char *id);
/* Copy a valid job id (else APPCORE_ENOTFOUND naming it), before the caller's output, which
 * it may point into, is cleared. */
int ac_jobs_copy_id(char copy[APPCORE_JOBS_ID_SIZE], const char *id, appcore_error *err);
/* Run the finish script: new_state "failed" (why says why) or "cancelled", acknowledging
 * queue entry entry_id (or none: NULL). *result receives what the script returned: the new
 * state, "already:STATE" for a job that had finished, or "gone"; free it. */
int ac_jobs_finish(char **result, appcore_jobs *jobs, redisContext *c, const char *id,
		   const char *entry_id, const char *new_state, const appcore_error *why,
		   appcore_error *err);
const char *ac_jobs_format_name(appcore_rows_format format);
const char *ac_jobs_output_name(appcore_output_kind output);
/* Resolve a model, mapping "no such model" to APPCORE_EBADREQUEST for callers. */
int ac_jobs_resolve(appcore_model **out, appcore_jobs *jobs, const char *name,
		    const char *version, appcore_error *err);

/* store_dir.c: paths of a job's files, and whole-file writes that readers never see half
 * done (a temporary file renamed into place). */
int ac_jobs_job_dir(char **out, const appcore_jobs *jobs, const char *id, appcore_error *err);
int ac_jobs_result_path(char **out, const appcore_jobs *jobs, const char *id,
			unsigned long long chunk, appcore_error *err);
int ac_jobs_write_file_atomic(const char *path, const char *data, size_t len,
			      const char *tmp_suffix, appcore_error *err);
int ac_jobs_remove_tree(const char *path);
char *ac_jobs_path_join(const char *a, const char *b);
/* An absolute path with "." and ".." resolved and repeated slashes dropped, without touching
 * the file system; NULL for ".." above the root or no memory. Free it. */
char *ac_jobs_lexical_path(const char *path);
/* Whether path is strictly below dir (both absolute and lexically clean). */
bool ac_jobs_path_under(const char *dir, const char *path);

#endif
