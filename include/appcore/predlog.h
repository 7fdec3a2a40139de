/**
 * @file appcore/predlog.h
 * @brief The prediction log: every predicted row in PostgreSQL, without slowing a request.
 *
 * A prediction log records one row per predicted instance (request id, row index, model name
 * and version, time received, input features, outputs, latency, client identity) in the
 * PostgreSQL table `appcore_predictions` (docs/prediction-log.md has the schema and queries).
 *
 * How a row travels, and why nothing is lost:
 *
 * 1. appcore_predlog_record() copies one request's rows into a bounded in-memory queue and
 *    returns at once: it never touches the disk or the network.
 * 2. A flusher thread appends the queue to the on-disk spool (`spool_dir`: append-only
 *    segment files, each request a checksummed record) every `sync_interval_ms`, with
 *    fsync(2) when `fsync` is set. A row is durable once its sync has happened: this is the
 *    durability window. A process killed with SIGKILL loses at most the rows answered in the
 *    last `sync_interval_ms` (plus the time one sync takes); with `fsync`, the same holds for a
 *    power cut.
 * 3. A sender thread reads the spool in order and writes it to PostgreSQL with libpq, one
 *    transaction per batch of `batch_rows`: COPY into the table, whose primary key is
 *    (record id, row index); a batch that meets rows already there (resent after a crash) is
 *    sent again through a temporary table with `INSERT ... ON CONFLICT DO NOTHING`. A spool
 *    segment is deleted once every row in it is committed. Replaying a batch is therefore
 *    harmless: a crash between a commit and the deletion of a segment cannot duplicate a row.
 * 4. When PostgreSQL is down, refuses, or does not answer within `write_timeout_ms`, rows
 *    simply stay in the spool; the sender reconnects with backoff and resumes where it was.
 *    An existing spool is replayed when a log is opened.
 *
 * When the spool cannot take more rows (the disk is full, or the spool reached
 * `spool_max_bytes`) or the queue is full, `on_disk_full` decides: refuse new records
 * (appcore_predlog_record() returns APPCORE_EUNAVAILABLE, which a server answers with 503)
 * or drop them; both are counted.
 *
 * Threads: every function may be called from any thread, concurrently, except
 * appcore_predlog_close(), which must be the last call on a log.
 */
#ifndef APPCORE_PREDLOG_H
#define APPCORE_PREDLOG_H

#include <stddef.h>

#include "common.h"
#include "config.h"
#include "error.h"
#include "log.h"
#include "metrics.h"
#include "model.h"

APPCORE_BEGIN_DECLS

/** A prediction log: a queue, a spool and a connection to PostgreSQL. Opaque. */
typedef struct appcore_predlog appcore_predlog;

/** What happens to new records when the spool or the queue is full. */
typedef enum appcore_predlog_full_policy {
	/** appcore_predlog_record() returns APPCORE_EUNAVAILABLE (a server answers 503): no
	 * answered prediction goes unlogged. */
	APPCORE_PREDLOG_FULL_REFUSE = 0,
	/** The rows are dropped and counted (rows_dropped); predictions go on. */
	APPCORE_PREDLOG_FULL_DROP = 1
} appcore_predlog_full_policy;

/** Version of appcore_predlog_options this header describes. */
#define APPCORE_PREDLOG_OPTIONS_VERSION 1

/**
 * How to open a prediction log. Initialise with #APPCORE_PREDLOG_OPTIONS_INIT or
 * appcore_predlog_options_init(), then set at least `conninfo` and `spool_dir`. Strings are
 * copied by appcore_predlog_open().
 */
typedef struct appcore_predlog_options {
	unsigned int version; /**< #APPCORE_PREDLOG_OPTIONS_VERSION */
	/** libpq connection string: a URL (`postgresql://user@host:5432/db`) or `key=value`
	 * pairs. Required. */
	const char *conninfo;
	/** File whose first line is the password (a Docker secret); overrides a password in
	 * @p conninfo. NULL or "": none (libpq's own rules then apply, e.g. ~/.pgpass). */
	const char *password_file;
	/** Directory of the spool, created if missing (its parent must exist). One log per
	 * directory: a second process opening it is refused. Required. */
	const char *spool_dir;
	/** Most rows waiting in memory; default 65536. */
	size_t queue_rows;
	/** Rows per transaction sent to PostgreSQL (a request's rows are never split);
	 * default 1000. */
	size_t batch_rows;
	/** Longest time a recorded row waits in memory before it is written to the spool, in
	 * milliseconds: the durability window. Default 200. */
	unsigned int sync_interval_ms;
	/** Nonzero (the default): fsync the spool at every sync, so the window also holds for a
	 * power cut, not only for a crash of the process. */
	int fsync;
	/** Fraction of requests logged, 0 to 1; default 1 (every request). A request is logged
	 * with all its rows or not at all. */
	double sample_rate;
	/** Nonzero (the default): log the input features; zero: log outputs only (privacy). */
	int include_inputs;
	/** See ::appcore_predlog_full_policy; default APPCORE_PREDLOG_FULL_REFUSE. */
	appcore_predlog_full_policy on_disk_full;
	/** Most bytes the spool may hold; reaching it counts as a full disk. Default 1 GiB. */
	unsigned long long spool_max_bytes;
	/** Time allowed to connect to PostgreSQL, in milliseconds; default 5000. */
	unsigned int connect_timeout_ms;
	/** Time allowed for one batch (or a schema migration), in milliseconds; a database that
	 * takes longer is treated as down. Default 10000. */
	unsigned int write_timeout_ms;
	/** appcore_predlog_close(): time allowed to send the spool to PostgreSQL before closing
	 * (what is not sent stays in the spool for the next start), in ms; default 3000. */
	unsigned int shutdown_timeout_ms;
	/** Registry for the log's metrics (appcore_prediction_log_*); NULL: none. Must outlive
	 * the log. */
	appcore_metrics *metrics;
	/** Logger for state changes (database lost and back, spool full, replay); NULL: none.
	 * Must outlive the log. */
	appcore_logger *logger;
} appcore_predlog_options;

/** Static initialiser: the defaults of every field, no conninfo and no spool_dir. */
#define APPCORE_PREDLOG_OPTIONS_INIT                                                               \
	{                                                                                          \
		APPCORE_PREDLOG_OPTIONS_VERSION, NULL, NULL, NULL, 65536, 1000, 200, 1, 1.0, 1,    \
		    APPCORE_PREDLOG_FULL_REFUSE, 1073741824ULL, 5000, 10000, 3000, NULL, NULL      \
	}

/**
 * Initialise @p options with the defaults of @p version (those of
 * #APPCORE_PREDLOG_OPTIONS_INIT).
 *
 * @return APPCORE_OK; APPCORE_EINVAL when @p options is NULL or @p version unknown.
 *         Thread-safe.
 */
APPCORE_API int appcore_predlog_options_init(appcore_predlog_options *options,
					     unsigned int version);

/**
 * Set prediction-log options from the `prediction_log` section of a configuration (url,
 * password_file, spool_dir, sample_rate, include_inputs, on_disk_full, queue_rows,
 * batch_rows, sync_interval_ms, fsync, spool_max_bytes, connect_timeout_ms,
 * write_timeout_ms, shutdown_timeout_ms; configs/config.yaml documents them), so every
 * program reads them alike. `prediction_log.enabled` is the caller's to check. Strings point
 * into @p config, which must outlive appcore_predlog_open(). `metrics` and `logger` are left
 * as they are: initialise @p options first.
 *
 * @return APPCORE_OK; APPCORE_EINVAL for NULL arguments or an unknown options version.
 *         Thread-safe.
 */
APPCORE_API int appcore_predlog_options_from_config(appcore_predlog_options *options,
						    const appcore_config *config,
						    appcore_error *err);

/**
 * Open a prediction log: check the options, read the password file, create and lock the
 * spool directory, register metrics, and start the flusher and sender threads. The database
 * is not needed to open: the sender connects in the background (a database that is down or
 * refuses the credentials is a logged, counted state, see appcore_predlog_stats()); it
 * creates the table and indexes on first connection (versioned migrations, recorded in
 * `appcore_schema_migrations`). Rows left in the spool by an earlier run are sent first.
 *
 * The threads block every signal, so a program that waits for signals with sigwait() keeps
 * receiving them.
 *
 * libpq (libpq.so.5) is loaded by the first call, not when libappcore is: a process that
 * never opens a log never maps libpq and the libraries it needs (about 5 MB of memory).
 *
 * @param out receives the log; release it with appcore_predlog_close(). NULL on failure.
 * @return APPCORE_OK;
 *         APPCORE_ECONFIG: a missing or unparsable conninfo, an unreadable or empty password
 *         file, a missing spool_dir, out-of-range numbers (the message names the option);
 *         APPCORE_EIO: the spool directory cannot be created, written or locked (another
 *         process uses it);
 *         APPCORE_EEXISTS: a metric name is already registered in @p options->metrics;
 *         APPCORE_EUNAVAILABLE: libpq cannot be loaded (the message says why);
 *         APPCORE_EINVAL (NULL arguments, unknown options version), APPCORE_ENOMEM.
 */
APPCORE_API int appcore_predlog_open(appcore_predlog **out, const appcore_predlog_options *options,
				     appcore_error *err);

/**
 * Close a log: stop accepting records, write every queued row to the spool (and fsync it),
 * give the sender up to `shutdown_timeout_ms` to deliver the spool to PostgreSQL, then stop
 * both threads and release everything. Rows not delivered stay in the spool and are sent by
 * the next appcore_predlog_open() on the same directory. No other call may be running or
 * follow.
 *
 * @param log may be NULL.
 */
APPCORE_API void appcore_predlog_close(appcore_predlog *log);

/** Version of appcore_predlog_entry this header describes. */
#define APPCORE_PREDLOG_ENTRY_VERSION 1

/**
 * One answered request, as appcore_predlog_record() takes it. Initialise with
 * #APPCORE_PREDLOG_ENTRY_INIT; later releases append fields.
 */
typedef struct appcore_predlog_entry {
	unsigned int version; /**< #APPCORE_PREDLOG_ENTRY_VERSION */
	/** The request id (X-Request-ID); not unique: the log gives every recorded request
	 * its own record id. NULL: "". */
	const char *request_id;
	/** The model that answered: its name and version are logged. Required. */
	const appcore_model *model;
	/** Input rows, @p num_rows x appcore_model_num_features(model) floats, NaN = missing
	 * (logged as NULL). May be NULL when the log does not include inputs. */
	const float *inputs;
	/** Rows predicted, at least 1. */
	size_t num_rows;
	/** Predictions, @p num_rows x appcore_model_output_size(model, output_kind) floats, as
	 * the engine computed them. Required. */
	const float *outputs;
	/** What @p outputs are: values or margins. */
	appcore_output_kind output_kind;
	/** When the request arrived, microseconds since the Unix epoch (CLOCK_REALTIME); 0: now. */
	long long received_unix_us;
	/** Seconds from arrival to answer. */
	double latency_seconds;
	/** Who asked, e.g. the id of the API key (appcore_predlog_key_id()); NULL or "": nobody
	 * known. Never pass a secret: it is stored as it is. */
	const char *client;
} appcore_predlog_entry;

/** Static initialiser: no request, value outputs, received now. */
#define APPCORE_PREDLOG_ENTRY_INIT                                                                 \
	{                                                                                          \
		APPCORE_PREDLOG_ENTRY_VERSION, NULL, NULL, NULL, 0, NULL, APPCORE_OUTPUT_VALUE, 0, \
		    0.0, NULL                                                                      \
	}

/**
 * Record one answered request: copy its rows into the queue and return. Never blocks on the
 * disk or the database; takes one short lock. Requests left out by `sample_rate` return
 * APPCORE_OK without being copied.
 *
 * Call it after the prediction succeeded and before sending the answer: with
 * APPCORE_PREDLOG_FULL_REFUSE, APPCORE_EUNAVAILABLE means "answer 503 instead", so no
 * answered prediction goes unlogged.
 *
 * @return APPCORE_OK (queued, sampled out, or dropped under APPCORE_PREDLOG_FULL_DROP);
 *         APPCORE_EUNAVAILABLE: the queue or the spool is full and the policy is to refuse,
 *         or the log is closing;
 *         APPCORE_EINVAL: NULL log, entry, model or outputs, no rows, unknown entry version;
 *         APPCORE_ENOMEM (the rows are counted as dropped). Thread-safe.
 */
APPCORE_API int appcore_predlog_record(appcore_predlog *log, const appcore_predlog_entry *entry,
				       appcore_error *err);

/**
 * Wait until every row recorded before this call is committed in PostgreSQL (or was
 * dropped by the policy). For batch jobs, tests and orderly hand-overs; a server does not
 * need it.
 *
 * @param timeout_ms how long to wait.
 * @return APPCORE_OK; APPCORE_ETIMEOUT when the time ran out (the message says whether the
 *         database is down and why); APPCORE_EINVAL for a NULL log. Thread-safe.
 */
APPCORE_API int appcore_predlog_flush(appcore_predlog *log, unsigned int timeout_ms,
				      appcore_error *err);

/** Size of appcore_predlog_stats::last_error, including the terminating NUL. */
#define APPCORE_PREDLOG_ERROR_SIZE 256

/**
 * A snapshot of a log's counters, filled by the library (fixed size with reserved space,
 * like appcore_error). The same numbers are exported as metrics when the log has a registry.
 */
typedef struct appcore_predlog_stats {
	unsigned long long rows_recorded;     /**< rows accepted into the queue */
	unsigned long long rows_spooled;      /**< rows written to the spool */
	unsigned long long rows_written;      /**< rows committed to PostgreSQL */
	unsigned long long rows_duplicate;    /**< rows replayed that were already there */
	unsigned long long rows_dropped;      /**< rows lost by policy, memory or corruption */
	unsigned long long rows_sampled_out;  /**< rows left out by sample_rate */
	unsigned long long requests_refused;  /**< records refused (APPCORE_EUNAVAILABLE) */
	unsigned long long queue_rows;        /**< rows waiting in memory now */
	unsigned long long spool_bytes;       /**< spool bytes not yet in PostgreSQL now */
	unsigned long long errors;            /**< database and spool errors so far */
	int database_up;                      /**< 1 while connected and the schema is in place */
	int spool_full;                       /**< 1 while the spool cannot take rows */
	double last_error_time;               /**< Unix time of the last error, 0 if none */
	char last_error[APPCORE_PREDLOG_ERROR_SIZE]; /**< its message, "" if none */
	void *reserved[8];                    /**< Reserved; written as NULL. */
} appcore_predlog_stats;

/**
 * Read the counters.
 *
 * @return APPCORE_OK; APPCORE_EINVAL for NULL arguments. Thread-safe.
 */
APPCORE_API int appcore_predlog_stats_get(appcore_predlog_stats *out, appcore_predlog *log);

/** Size of the text appcore_predlog_key_id() writes, including the terminating NUL. */
#define APPCORE_PREDLOG_KEY_ID_SIZE 17

/**
 * A stable, non-secret id of an API key, for the `client` column: the first 16 hex digits of
 * the key's SHA-256. The same key always gives the same id; the id does not reveal the key.
 *
 * The hash is OpenSSL's libcrypto (libcrypto.so.3), which libappcore loads on the first call
 * rather than at start, like libpq for the log itself: processes without a prediction log
 * never load either.
 *
 * @param out receives APPCORE_PREDLOG_KEY_ID_SIZE bytes (16 hex digits and a NUL).
 * @return APPCORE_OK; APPCORE_EINVAL for NULL arguments; APPCORE_EUNAVAILABLE if libcrypto
 *         cannot be loaded; APPCORE_EINTERNAL if the hash fails. Thread-safe.
 */
APPCORE_API int appcore_predlog_key_id(char *out, const char *key, size_t key_len);

APPCORE_END_DECLS

#endif /* APPCORE_PREDLOG_H */
