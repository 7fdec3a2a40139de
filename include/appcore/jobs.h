/**
 * @file appcore/jobs.h
 * @brief Batch scoring jobs over Redis: submit a file, score it with any number of workers,
 *        read the predictions back in input order.
 *
 * A job is a CSV or NDJSON input (appcore/rows.h) split into chunks of `chunk_rows` rows.
 * The chunks go into one Redis Stream read through a consumer group, so every worker on every
 * machine shares the work; a chunk whose worker dies is taken over by another after the
 * visibility timeout (XAUTOCLAIM). Each chunk's result is recorded once, atomically with its
 * acknowledgement (a Lua script), so a chunk scored twice never duplicates or reorders output.
 * Inputs up to `inline_max_bytes` keep their chunks and results in Redis; larger ones (and
 * files named by path) live in the shared jobs directory. docs/jobs.md describes the data
 * model, the HTTP API and the limits.
 *
 * appcore-server answers `/v1/jobs` with these calls and `appcore-cli worker` runs
 * appcore_jobs_worker_step() in a loop; a program embedding the library can do either.
 *
 * Errors common to every call that talks to Redis: APPCORE_EUNAVAILABLE when Redis cannot be
 * reached or is loading its data (the message names the address and the cause; retry later),
 * APPCORE_EINTERNAL when Redis answers something unexpected.
 */
#ifndef APPCORE_JOBS_H
#define APPCORE_JOBS_H

#include <stddef.h>

#include "common.h"
#include "config.h"
#include "error.h"
#include "model.h"
#include "rows.h"

APPCORE_BEGIN_DECLS

/** Size of a job id buffer: 32 lower-case hex digits and the NUL, padded. */
#define APPCORE_JOBS_ID_SIZE 40
/** Size of the model name and version buffers of ::appcore_job_status, NUL included. */
#define APPCORE_JOBS_NAME_SIZE 256

/** A job store client: a Redis address, the shared directory and settings. Opaque. */
typedef struct appcore_jobs appcore_jobs;

/** Where a job is. */
typedef enum appcore_job_state {
	APPCORE_JOB_QUEUED = 0,    /**< accepted, no chunk started yet */
	APPCORE_JOB_RUNNING = 1,   /**< at least one chunk taken by a worker */
	APPCORE_JOB_SUCCEEDED = 2, /**< every chunk scored; the result is ready */
	APPCORE_JOB_FAILED = 3,    /**< stopped by an error (a malformed line, ...) */
	APPCORE_JOB_CANCELLED = 4  /**< cancelled before it finished */
} appcore_job_state;

/**
 * Find the model a job names. The server and the workers provide it (today: the configured
 * model; with a model repository: a repository lookup).
 *
 * @param out     receives a new reference the library releases with appcore_model_unref().
 * @param name    the model name from the request.
 * @param version the version asked for; "" for the model's current version. A job records
 *                the version resolved at submission, and workers ask for exactly that one.
 * @return APPCORE_OK, or APPCORE_ENOTFOUND (with a message) when there is no such model or
 *         version. Called from any thread: must be thread-safe.
 */
typedef int (*appcore_jobs_resolve_fn)(appcore_model **out, void *ctx, const char *name,
				       const char *version, appcore_error *err);

/**
 * A resolver for a program that serves one model: pass it as appcore_jobs_options::resolve
 * with the model (appcore_model *) as resolve_ctx. @p name must be appcore_model_name() of
 * it and @p version "" or appcore_model_version(); otherwise APPCORE_ENOTFOUND, whose message
 * names the model served. Thread-safe.
 */
APPCORE_API int appcore_jobs_resolve_single(appcore_model **out, void *ctx, const char *name,
					    const char *version, appcore_error *err);

/**
 * Where a submission reads its input from.
 *
 * @param got receives the number of bytes written to @p buffer; 0 means the end.
 * @return APPCORE_OK, or an error code (with @p err filled) that stops the submission and is
 *         returned by it: e.g. APPCORE_ETOOLARGE for an upload over a limit.
 */
typedef int (*appcore_jobs_read_fn)(size_t *got, void *ctx, void *buffer, size_t size,
				    appcore_error *err);

/**
 * Where appcore_jobs_result() writes the predictions.
 *
 * @return 0 when written; anything else stops appcore_jobs_result() with APPCORE_EIO.
 */
typedef int (*appcore_jobs_write_fn)(void *ctx, const char *data, size_t len);

/** Version of appcore_jobs_options this header describes. */
#define APPCORE_JOBS_OPTIONS_VERSION 1

/**
 * How to reach the job store and how to split jobs. Initialise with
 * #APPCORE_JOBS_OPTIONS_INIT or appcore_jobs_options_init(), or from a configuration with
 * appcore_jobs_options_from_config(); later releases append fields.
 */
typedef struct appcore_jobs_options {
	unsigned int version; /**< #APPCORE_JOBS_OPTIONS_VERSION */
	/** `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]` or `unix:///PATH[?db=DB]`. Required. */
	const char *redis_url;
	/** Directory shared by every server and worker, or NULL/"" for none (then only inputs
	 * up to inline_max_bytes are accepted). */
	const char *dir;
	/** Rows per chunk (>= 1). */
	size_t chunk_rows;
	/** A chunk unacknowledged for this long is given to another worker (>= 100). */
	unsigned int visibility_timeout_ms;
	/** Inputs up to this many bytes keep chunks and results in Redis. */
	unsigned long long inline_max_bytes;
	/** Seconds a finished job and its result are kept (>= 1). */
	unsigned int result_ttl_seconds;
	/** Largest upload appcore_jobs_http_submit() accepts, in bytes. */
	unsigned long long max_upload_bytes;
	/** Model lookup; required for submitting and for workers. */
	appcore_jobs_resolve_fn resolve;
	/** Passed to resolve. */
	void *resolve_ctx;
} appcore_jobs_options;

/** Static initialiser: the defaults of configs/config.yaml's jobs section, no URL, no
 * resolver. */
#define APPCORE_JOBS_OPTIONS_INIT                                                                  \
	{                                                                                          \
		APPCORE_JOBS_OPTIONS_VERSION, NULL, NULL, 50000, 30000, 8388608ULL, 86400,         \
		    10737418240ULL, NULL, NULL                                                     \
	}

/**
 * Initialise @p options with the defaults of @p version (those of #APPCORE_JOBS_OPTIONS_INIT).
 * @return APPCORE_OK; APPCORE_EINVAL for NULL or an unknown version. Thread-safe.
 */
APPCORE_API int appcore_jobs_options_init(appcore_jobs_options *options, unsigned int version);

/**
 * Set the options from a configuration's `jobs` section (redis_url, dir, chunk_rows,
 * visibility_timeout_ms, inline_max_bytes, result_ttl_seconds, max_body_bytes). The resolver
 * is left as it is. Strings point into @p config, which must outlive the use of @p options.
 *
 * @return APPCORE_OK; APPCORE_EINVAL (NULL arguments, unknown options version).
 */
APPCORE_API int appcore_jobs_options_from_config(appcore_jobs_options *options,
						 const appcore_config *config, appcore_error *err);

/**
 * Create a job store client. Nothing is sent to Redis yet: connections are made when needed
 * and re-made after Redis restarts, so a client can be created while Redis is down.
 *
 * @param out receives the client; release it with appcore_jobs_close().
 * @return APPCORE_OK; APPCORE_ECONFIG (an empty or malformed redis_url, out-of-range values;
 *         the message names the option); APPCORE_EINVAL (NULL arguments, unknown options
 *         version); APPCORE_ENOMEM. The client is thread-safe: any number of threads may use
 *         it at once (it keeps a small pool of Redis connections).
 */
APPCORE_API int appcore_jobs_open(appcore_jobs **out, const appcore_jobs_options *options,
				  appcore_error *err);

/** Close every connection and free the client. @p jobs may be NULL. No call may be running. */
APPCORE_API void appcore_jobs_close(appcore_jobs *jobs);

/**
 * Check that Redis answers.
 * @return APPCORE_OK, APPCORE_EUNAVAILABLE. Thread-safe.
 */
APPCORE_API int appcore_jobs_ping(appcore_jobs *jobs, appcore_error *err);

/** The lower-case name of a state ("queued", ...); "unknown" otherwise. Thread-safe. */
APPCORE_API const char *appcore_jobs_state_name(appcore_job_state state);

/**
 * A job as the store knows it, filled by the library. Fixed size with reserved space: the
 * caller need not initialise it.
 */
typedef struct appcore_job_status {
	char id[APPCORE_JOBS_ID_SIZE];                /**< 32 hex digits */
	appcore_job_state state;                      /**< where it is */
	appcore_rows_format format;                   /**< input and result format */
	appcore_output_kind output;                   /**< value or margin */
	char model[APPCORE_JOBS_NAME_SIZE];           /**< model name */
	char model_version[APPCORE_JOBS_NAME_SIZE];   /**< the version resolved at submission */
	unsigned long long rows_total;                /**< rows in the input */
	unsigned long long rows_done;                 /**< rows scored and recorded */
	unsigned long long chunks_total;              /**< chunks the input was split into */
	unsigned long long chunks_done;               /**< chunks scored and recorded */
	unsigned long long input_bytes;               /**< size of the input */
	unsigned long long result_bytes;              /**< size of the result so far */
	long long created_ms;                         /**< Unix time of submission, ms */
	long long started_ms;                         /**< first chunk taken; 0 before */
	long long finished_ms;                        /**< end of the job; 0 before */
	/** Why the job failed (code APPCORE_OK otherwise): the message of the first bad line,
	 * `line N: ...`, with line set. */
	appcore_error error;
	void *reserved[8]; /**< Reserved; written as NULL. */
} appcore_job_status;

/** Version of appcore_jobs_submit_options this header describes. */
#define APPCORE_JOBS_SUBMIT_OPTIONS_VERSION 1

/** What to submit. Initialise with #APPCORE_JOBS_SUBMIT_OPTIONS_INIT or
 * appcore_jobs_submit_options_init(). */
typedef struct appcore_jobs_submit_options {
	unsigned int version;          /**< #APPCORE_JOBS_SUBMIT_OPTIONS_VERSION */
	const char *model;             /**< model name, required */
	const char *model_version;     /**< NULL or "": the model's current version */
	appcore_rows_format format;    /**< the input's format */
	appcore_output_kind output;    /**< what to predict */
	/** Size of the input when known in advance (a Content-Length), -1 when not: it decides
	 * whether the input is kept in Redis or in the jobs directory. */
	long long input_size;
} appcore_jobs_submit_options;

/** Static initialiser: no model, CSV, value output, size unknown. */
#define APPCORE_JOBS_SUBMIT_OPTIONS_INIT                                                           \
	{                                                                                          \
		APPCORE_JOBS_SUBMIT_OPTIONS_VERSION, NULL, NULL, APPCORE_ROWS_CSV,                 \
		    APPCORE_OUTPUT_VALUE, -1                                                       \
	}

/** Initialise @p options as #APPCORE_JOBS_SUBMIT_OPTIONS_INIT. @return APPCORE_OK or
 * APPCORE_EINVAL. Thread-safe. */
APPCORE_API int appcore_jobs_submit_options_init(appcore_jobs_submit_options *options,
						 unsigned int version);

/**
 * Submit a job whose input is read from @p read until it reports the end. The input is
 * streamed: split into chunks as it arrives and written to Redis (inputs up to
 * inline_max_bytes) or to the jobs directory, never held in memory whole. Lines are checked
 * for length (at most 1 MiB each) and a CSV header (line 1) against the model's feature
 * names; rows themselves are read by the workers.
 *
 * @param out receives the new job (state queued); on failure it is zeroed.
 * @return APPCORE_OK; APPCORE_EBADREQUEST (no such model or version); APPCORE_EREQUEST (an
 *         input without rows, a bad CSV header, missing model name); APPCORE_ELIMIT (a line
 *         over 1 MiB); APPCORE_ETOOLARGE (over inline_max_bytes without a jobs directory);
 *         APPCORE_EIO (the jobs directory); APPCORE_EUNAVAILABLE; APPCORE_EINVAL;
 *         APPCORE_ENOMEM; whatever @p read returns. Nothing is left behind on failure.
 *         Thread-safe.
 */
APPCORE_API int appcore_jobs_submit(appcore_job_status *out, appcore_jobs *jobs,
				    const appcore_jobs_submit_options *options,
				    appcore_jobs_read_fn read, void *read_ctx, appcore_error *err);

/** Submit the input read from the file descriptor @p fd (to its end; not closed). A regular
 * file's size is used as input_size when the options give none. Errors as
 * appcore_jobs_submit(). */
APPCORE_API int appcore_jobs_submit_fd(appcore_job_status *out, appcore_jobs *jobs,
				       const appcore_jobs_submit_options *options, int fd,
				       appcore_error *err);

/**
 * Submit a file that already is in the jobs directory, without copying it: workers read
 * their chunks from it, so it must not change until the job has finished.
 *
 * @param path relative to the jobs directory, or absolute; after resolving `..` and symbolic
 *             links it must name a regular file under the directory.
 * @return as appcore_jobs_submit(), and APPCORE_EFORBIDDEN for a path outside the directory
 *         (or no directory configured), APPCORE_EREQUEST for a missing or unreadable file.
 */
APPCORE_API int appcore_jobs_submit_path(appcore_job_status *out, appcore_jobs *jobs,
					 const appcore_jobs_submit_options *options,
					 const char *path, appcore_error *err);

/**
 * Submit a job from an HTTP request to `POST /v1/jobs`, as appcore-server does (docs/jobs.md):
 * the query (`model`, `version`, `output`) and the media type decide what the body is —
 * `text/csv` or `application/x-ndjson`: the input itself; `application/json`: an object
 * `{"model": ..., "version": ..., "input_path": ..., "format": "csv"|"ndjson", "output": ...}`
 * naming a file under the jobs directory.
 *
 * @param query          the query string without '?', or NULL.
 * @param content_type   the Content-Type header, or NULL.
 * @param content_length the Content-Length, or -1 (chunked).
 * @param read           reads the body.
 * @return as appcore_jobs_submit() and appcore_jobs_submit_path(), and APPCORE_EMEDIATYPE (any
 *         other media type), APPCORE_EREQUEST (unknown query parameters, a bad JSON body),
 *         APPCORE_EPARSE (a JSON body that is not JSON), APPCORE_ETOOLARGE (over
 *         max_upload_bytes). appcore_error_http_status() gives the status to answer with.
 *         Checks that need no body (media type, query, model, Redis) come first, so a
 *         request refused early need not be read.
 */
APPCORE_API int appcore_jobs_http_submit(appcore_job_status *out, appcore_jobs *jobs,
					 const char *query, const char *content_type,
					 long long content_length, appcore_jobs_read_fn read,
					 void *read_ctx, appcore_error *err);

/**
 * The state of job @p id.
 * @return APPCORE_OK; APPCORE_ENOTFOUND (no such job, or it expired after
 *         result_ttl_seconds); the Redis errors. Thread-safe.
 */
APPCORE_API int appcore_jobs_status(appcore_job_status *out, appcore_jobs *jobs, const char *id,
				    appcore_error *err);

/**
 * Cancel a queued or running job: chunks not yet recorded are dropped by the workers that
 * take them.
 *
 * @param out receives the job after the call (state cancelled); may be NULL.
 * @return APPCORE_OK; APPCORE_ECONFLICT when the job has already finished (the message says
 *         how); APPCORE_ENOTFOUND; the Redis errors. Thread-safe.
 */
APPCORE_API int appcore_jobs_cancel(appcore_job_status *out, appcore_jobs *jobs, const char *id,
				    appcore_error *err);

/**
 * Write a succeeded job's predictions to @p write in input order, one line per input row,
 * exactly as `appcore-cli predict` writes them for the same input. @p out is filled with the
 * job's status (result_bytes is the total length) before the first write.
 *
 * @return APPCORE_OK; APPCORE_ECONFLICT when the job has not succeeded (the message says
 *         where it is; nothing is written); APPCORE_ENOTFOUND; APPCORE_EIO (@p write failed,
 *         or a chunk's result has gone missing); the Redis errors. Thread-safe.
 */
APPCORE_API int appcore_jobs_result(appcore_job_status *out, appcore_jobs *jobs, const char *id,
				    appcore_jobs_write_fn write, void *write_ctx,
				    appcore_error *err);

/**
 * A job as the JSON document the HTTP API answers:
 * `{"id":...,"state":"running","model":{"name":...,"version":...},"format":"csv",
 * "output":"value","rows_total":N,"rows_done":N,"chunks_total":N,"chunks_done":N,
 * "progress":0.25,"input_bytes":N,"result_bytes":N,"created_at":"2026-01-02T03:04:05.678Z",
 * "started_at":...|null,"finished_at":...|null,"elapsed_seconds":1.5,"rows_per_second":N|null,
 * "error":null|{"code":...,"message":...,"line":N}}`.
 *
 * @param out receives NUL-terminated UTF-8 (bytes of names that are not UTF-8 become U+FFFD);
 *            release it with appcore_free().
 * @return APPCORE_OK, APPCORE_EINVAL, APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_jobs_status_json(char **out, size_t *out_len,
					 const appcore_job_status *status, appcore_error *err);

/** Job counts and totals kept in Redis for every server and worker; filled by the library. */
typedef struct appcore_jobs_stats {
	unsigned long long queued;      /**< jobs queued now */
	unsigned long long running;     /**< jobs running now */
	unsigned long long submitted;   /**< jobs ever submitted */
	unsigned long long succeeded;   /**< jobs ever succeeded */
	unsigned long long failed;      /**< jobs ever failed */
	unsigned long long cancelled;   /**< jobs ever cancelled */
	unsigned long long rows_scored; /**< rows ever scored and recorded (each row once) */
	unsigned long long reserved[8]; /**< Reserved; written as 0. */
} appcore_jobs_stats;

/** Read the counts. @return APPCORE_OK, the Redis errors. Thread-safe. */
APPCORE_API int appcore_jobs_stats_get(appcore_jobs_stats *out, appcore_jobs *jobs,
				       appcore_error *err);

/** A worker: one Redis consumer scoring one chunk at a time. Opaque; one thread at a time. */
typedef struct appcore_jobs_worker appcore_jobs_worker;

/**
 * Create a worker.
 *
 * @param out  receives the worker; release it with appcore_jobs_worker_free().
 * @param name its consumer name in Redis, unique among live workers; NULL for
 *             `HOSTNAME-PID-N`.
 * @return APPCORE_OK, APPCORE_EINVAL (NULL arguments, no resolver), APPCORE_ENOMEM. Needs no
 *         connection yet.
 */
APPCORE_API int appcore_jobs_worker_new(appcore_jobs_worker **out, appcore_jobs *jobs,
					const char *name, appcore_error *err);

/** Release a worker (after its last step, so it holds no chunk). @p worker may be NULL. */
APPCORE_API void appcore_jobs_worker_free(appcore_jobs_worker *worker);

/** The consumer name of @p worker. */
APPCORE_API const char *appcore_jobs_worker_name(const appcore_jobs_worker *worker);

/** What one worker step did. */
typedef enum appcore_jobs_event {
	APPCORE_JOBS_IDLE = 0,          /**< no chunk within the wait */
	APPCORE_JOBS_CHUNK_DONE = 1,    /**< a chunk was scored and its result recorded */
	APPCORE_JOBS_CHUNK_SKIPPED = 2, /**< a chunk of a job that is no longer running
					     (cancelled, failed, expired), or one another worker
					     had already recorded: dropped */
	APPCORE_JOBS_JOB_FAILED = 3     /**< the chunk failed the job (a bad line, a model this
					     worker cannot load): see error */
} appcore_jobs_event;

/** The report of one worker step, filled by the library; fixed size with reserved space. */
typedef struct appcore_jobs_step {
	appcore_jobs_event event;          /**< what the step did */
	char job_id[APPCORE_JOBS_ID_SIZE]; /**< the chunk's job ("" when idle) */
	unsigned long long chunk;          /**< 0-based chunk number */
	unsigned long long rows;           /**< rows in the chunk */
	appcore_job_state job_state;       /**< the job's state after the step */
	int reclaimed;   /**< the chunk was taken over from a worker that stopped answering */
	double seconds;  /**< time spent on the chunk */
	appcore_error error; /**< APPCORE_JOBS_JOB_FAILED: why */
	void *reserved[8];   /**< Reserved; written as NULL. */
} appcore_jobs_step;

/**
 * Do one unit of work: take over a chunk whose worker has been silent for the visibility
 * timeout, or else wait up to @p wait_ms for a new chunk; score it; record the result.
 *
 * A worker that stops between steps (SIGTERM) holds no chunk. A chunk's result is recorded
 * at most once whatever happens: a worker killed before recording leaves the chunk to be
 * taken over; one killed after has recorded it.
 *
 * @param wait_ms longest wait for work, at most 5000.
 * @return APPCORE_OK (see out->event); APPCORE_EUNAVAILABLE (Redis down: retry with
 *         backoff; the chunk in hand, if any, is taken over later); APPCORE_EIO (writing a
 *         result to the jobs directory failed: the chunk is left to be retried);
 *         APPCORE_EINTERNAL; APPCORE_ENOMEM.
 */
APPCORE_API int appcore_jobs_worker_step(appcore_jobs_step *out, appcore_jobs_worker *worker,
					 unsigned int wait_ms, appcore_error *err);

/**
 * Remove what expired jobs left in the jobs directory (their results and uploaded inputs,
 * once Redis has forgotten the job) when untouched for @p min_age_seconds. Workers call it
 * now and then.
 *
 * @param removed receives the number of job directories removed; may be NULL.
 * @return APPCORE_OK (also without a jobs directory), the Redis errors, APPCORE_EIO.
 */
APPCORE_API int appcore_jobs_sweep(size_t *removed, appcore_jobs *jobs,
				   unsigned int min_age_seconds, appcore_error *err);

APPCORE_END_DECLS

#endif /* APPCORE_JOBS_H */
