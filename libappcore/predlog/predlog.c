/* The prediction log's public API: options, open/close, the request-side record() that only
 * copies into the queue, flush, stats, and the shared helpers of flusher.c and sender.c. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "predlog/dynlib.h"
#include "predlog/pg.h"
#include "predlog/predlog_internal.h"

int64_t pl_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int pl_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int rc;

	if (pthread_condattr_init(&attr) != 0)
		return -1;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
			 pthread_cond_init(cond, &attr) == 0
		     ? 0
		     : -1;
	pthread_condattr_destroy(&attr);
	return rc;
}

void pl_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, int64_t abs_ms)
{
	struct timespec until;

	if (abs_ms <= pl_now_ms())
		return;
	until.tv_sec = (time_t)(abs_ms / 1000);
	until.tv_nsec = (long)(abs_ms % 1000) * 1000000L;
	pthread_cond_timedwait(cond, lock, &until);
}

/* --- counters and metrics ------------------------------------------------------------- */

void pl_count(appcore_predlog *log, enum pl_counter counter, unsigned long long n)
{
	if (n == 0)
		return;
	atomic_fetch_add(&log->counters[counter], n);
	if (log->metrics.counters[counter] != NULL)
		appcore_metrics_counter_add(log->metrics.counters[counter], (double)n);
}

void pl_count_dropped(appcore_predlog *log, enum pl_drop_reason reason, unsigned long long n)
{
	if (n == 0)
		return;
	atomic_fetch_add(&log->dropped[reason], n);
	if (log->metrics.dropped[reason] != NULL)
		appcore_metrics_counter_add(log->metrics.dropped[reason], (double)n);
}

static void gauge(appcore_metrics_series *series, double value)
{
	if (series != NULL)
		appcore_metrics_gauge_set(series, value);
}

void pl_set_queue_rows(appcore_predlog *log, size_t rows)
{
	atomic_store(&log->queue_rows_now, rows);
	gauge(log->metrics.queue_rows, (double)rows);
}

void pl_refresh_spool_bytes(appcore_predlog *log)
{
	const struct pl_spool *spool = &log->spool;
	unsigned long long unsent = spool->total_bytes;

	/* the sender's segment is sent up to log->sent; earlier ones are gone */
	if (spool->count > 0 && spool->segments[0].id == log->sent.segment)
		unsent -= log->sent.offset < spool->segments[0].size ? log->sent.offset
								      : spool->segments[0].size;
	atomic_store(&log->spool_bytes_now, unsent);
	gauge(log->metrics.spool_bytes, (double)unsent);
}

void pl_set_database_up(appcore_predlog *log, int up)
{
	atomic_store(&log->database_up, up);
	gauge(log->metrics.database_up, up);
}

void pl_set_full(appcore_predlog *log, bool full)
{
	atomic_store(&log->full, full);
	gauge(log->metrics.spool_full, full);
}

void pl_note_error(appcore_predlog *log, const char *message)
{
	struct timespec now;
	double when;

	clock_gettime(CLOCK_REALTIME, &now);
	when = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	pthread_mutex_lock(&log->lock);
	snprintf(log->last_error, sizeof(log->last_error), "%s", message);
	log->last_error_time = when;
	pthread_mutex_unlock(&log->lock);
	pl_count(log, PL_ERRORS, 1);
	gauge(log->metrics.last_error_time, when);
}

void pl_log(appcore_predlog *log, appcore_log_level level, const char *msg, const char *error)
{
	appcore_log_field fields[2];
	size_t n = 0;

	if (error != NULL)
		fields[n++] = APPCORE_LOG_STR(level >= APPCORE_LOG_WARN ? "error" : "detail", error);
	fields[n++] = APPCORE_LOG_STR("spool_dir", log->spool.dir);
	appcore_log(log->logger, level, msg, fields, n);
}

static const char *const counter_names[PL_COUNTER_COUNT][2] = {
	[PL_ROWS_RECORDED] = { "appcore_prediction_log_rows_recorded_total",
			       "Rows accepted into the prediction log's queue." },
	[PL_ROWS_SPOOLED] = { "appcore_prediction_log_rows_spooled_total",
			      "Rows written to the prediction log's on-disk spool." },
	[PL_ROWS_WRITTEN] = { "appcore_prediction_log_rows_written_total",
			      "Rows committed to PostgreSQL." },
	[PL_ROWS_DUPLICATE] = { "appcore_prediction_log_rows_duplicate_total",
				"Rows replayed from the spool that PostgreSQL already had." },
	[PL_ROWS_SAMPLED_OUT] = { "appcore_prediction_log_rows_sampled_out_total",
				  "Rows not logged because of prediction_log.sample_rate." },
	[PL_REQUESTS_REFUSED] = { "appcore_prediction_log_requests_refused_total",
				  "Records refused because the spool or queue was full "
				  "(on_disk_full: refuse) or the log was closing." },
	[PL_ERRORS] = { "appcore_prediction_log_errors_total",
			"Database and spool errors of the prediction log." },
};

static const char *const drop_reasons[PL_DROP_COUNT] = {
	[PL_DROP_DISK_FULL] = "disk_full", [PL_DROP_QUEUE_FULL] = "queue_full",
	[PL_DROP_NO_MEMORY] = "no_memory", [PL_DROP_CORRUPT] = "corrupt",
	[PL_DROP_REJECTED] = "rejected",
};

static int register_metrics(appcore_predlog *log, appcore_metrics *m, appcore_error *err)
{
	static const char *const reason_label[] = { "reason" };
	struct pl_metrics *pm = &log->metrics;
	appcore_metrics_family *family;
	int rc;

	for (int i = 0; i < PL_COUNTER_COUNT; i++)
		if ((rc = appcore_metrics_add_counter(&family, m, counter_names[i][0],
						      counter_names[i][1], NULL, 0, err)) != 0 ||
		    (rc = appcore_metrics_get_series(&pm->counters[i], family, NULL, err)) != 0)
			return rc;
	if ((rc = appcore_metrics_add_counter(&family, m, "appcore_prediction_log_rows_dropped_total",
					      "Rows the prediction log lost, by reason: disk_full and "
					      "queue_full (on_disk_full: drop), no_memory, corrupt "
					      "(damaged spool), rejected (refused by PostgreSQL).",
					      reason_label, 1, err)) != 0)
		return rc;
	for (int i = 0; i < PL_DROP_COUNT; i++) {
		const char *value[] = { drop_reasons[i] };
		if ((rc = appcore_metrics_get_series(&pm->dropped[i], family, value, err)) != 0)
			return rc;
	}
	{
		static const struct {
			const char *name, *help;
			size_t offset;
		} gauges[] = {
			{ "appcore_prediction_log_queue_rows",
			  "Rows waiting in memory for the prediction log's spool.",
			  offsetof(struct pl_metrics, queue_rows) },
			{ "appcore_prediction_log_spool_bytes",
			  "Bytes in the prediction log's spool not yet in PostgreSQL.",
			  offsetof(struct pl_metrics, spool_bytes) },
			{ "appcore_prediction_log_database_up",
			  "1 while the prediction log is connected to PostgreSQL.",
			  offsetof(struct pl_metrics, database_up) },
			{ "appcore_prediction_log_spool_full",
			  "1 while the prediction log's spool cannot take rows.",
			  offsetof(struct pl_metrics, spool_full) },
			{ "appcore_prediction_log_last_error_timestamp_seconds",
			  "Unix time of the prediction log's last error (0: none).",
			  offsetof(struct pl_metrics, last_error_time) },
		};
		for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
			appcore_metrics_series **slot =
			    (appcore_metrics_series **)((char *)pm + gauges[i].offset);
			if ((rc = appcore_metrics_add_gauge(&family, m, gauges[i].name,
							    gauges[i].help, NULL, 0, err)) != 0 ||
			    (rc = appcore_metrics_get_series(slot, family, NULL, err)) != 0)
				return rc;
		}
	}
	return APPCORE_OK;
}

/* --- options ---------------------------------------------------------------------------- */

int appcore_predlog_options_init(appcore_predlog_options *options, unsigned int version)
{
	static const appcore_predlog_options defaults = APPCORE_PREDLOG_OPTIONS_INIT;

	if (options == NULL || version == 0 || version > APPCORE_PREDLOG_OPTIONS_VERSION)
		return APPCORE_EINVAL;
	*options = defaults;
	options->version = version;
	return APPCORE_OK;
}

static int check_options(const appcore_predlog_options *o, appcore_error *err)
{
	char problem[APPCORE_PREDLOG_ERROR_SIZE];

	if (o->version == 0 || o->version > APPCORE_PREDLOG_OPTIONS_VERSION)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_predlog_options: unknown version %u (this library "
				    "knows 1..%d)",
				    o->version, APPCORE_PREDLOG_OPTIONS_VERSION);
	if (o->conninfo == NULL || o->conninfo[0] == '\0')
		return ac_error_set(err, APPCORE_ECONFIG,
				    "prediction_log.url: a PostgreSQL connection URL is required "
				    "(or APPCORE_PREDICTION_LOG_URL)");
	/* libpq is loaded here, by the first log a process opens (dynlib.h) */
	if (pl_libpq(problem, sizeof(problem)) == NULL)
		return ac_error_set(err, APPCORE_EUNAVAILABLE,
				    "the prediction log needs libpq (Debian package libpq5): %s",
				    problem);
	if (pl_pg_check_conninfo(o->conninfo, problem, sizeof(problem)) != 0)
		return ac_error_set(err, APPCORE_ECONFIG, "prediction_log.url: %s", problem);
	if (o->spool_dir == NULL || o->spool_dir[0] == '\0')
		return ac_error_set(err, APPCORE_ECONFIG,
				    "prediction_log.spool_dir: a directory is required");
	if (o->queue_rows == 0 || o->batch_rows == 0)
		return ac_error_set(err, APPCORE_ECONFIG, "prediction_log.%s must be at least 1",
				    o->queue_rows == 0 ? "queue_rows" : "batch_rows");
	if (o->sync_interval_ms == 0)
		return ac_error_set(err, APPCORE_ECONFIG,
				    "prediction_log.sync_interval_ms must be at least 1");
	if (!(o->sample_rate >= 0.0 && o->sample_rate <= 1.0))
		return ac_error_set(err, APPCORE_ECONFIG,
				    "prediction_log.sample_rate must be between 0 and 1, got %g",
				    o->sample_rate);
	if (o->on_disk_full != APPCORE_PREDLOG_FULL_REFUSE &&
	    o->on_disk_full != APPCORE_PREDLOG_FULL_DROP)
		return ac_error_set(err, APPCORE_ECONFIG, "prediction_log.on_disk_full: unknown "
				    "policy %d", (int)o->on_disk_full);
	if (o->spool_max_bytes < PL_SPOOL_MIN_BYTES || o->connect_timeout_ms == 0 ||
	    o->write_timeout_ms == 0)
		return ac_error_set(err, APPCORE_ECONFIG,
				    "prediction_log: spool_max_bytes must be at least %llu, "
				    "connect_timeout_ms and write_timeout_ms at least 1",
				    (unsigned long long)PL_SPOOL_MIN_BYTES);
	return APPCORE_OK;
}

/* The first line of the password file, without its line ending. */
static int read_password(char **out, const char *path, appcore_error *err)
{
	char line[1024];
	FILE *file = fopen(path, "r");
	size_t len;

	*out = NULL;
	if (file == NULL)
		return ac_error_set(err, APPCORE_ECONFIG,
				    "prediction_log.password_file %s: cannot read: %s", path,
				    strerror(errno));
	if (fgets(line, sizeof(line), file) == NULL)
		line[0] = '\0';
	fclose(file);
	len = strcspn(line, "\r\n");
	line[len] = '\0';
	if (len == 0)
		return ac_error_set(err, APPCORE_ECONFIG,
				    "prediction_log.password_file %s: no password on its first line",
				    path);
	*out = strdup(line);
	memset(line, 0, sizeof(line));
	return *out != NULL ? APPCORE_OK : ac_error_set(err, APPCORE_ENOMEM, "out of memory");
}

static void free_password(char *password)
{
	if (password == NULL)
		return;
	/* a secret: do not leave it in freed memory */
	for (volatile char *p = password; *p != '\0'; p++)
		*p = '\0';
	free(password);
}

/* --- open, close ------------------------------------------------------------------------ */

/* Threads of the log take no signals: a program that sigwait()s keeps getting them. */
static int start_thread(pthread_t *thread, void *(*main)(void *), appcore_predlog *log)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(thread, NULL, main, log);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void release(appcore_predlog *log)
{
	struct pl_record *r = log->head;

	while (r != NULL) {
		struct pl_record *next = r->next;
		free(r);
		r = next;
	}
	pl_spool_close(&log->spool);
	pthread_mutex_destroy(&log->lock);
	pthread_cond_destroy(&log->flusher_wake);
	pthread_cond_destroy(&log->sender_wake);
	pthread_cond_destroy(&log->progress);
	free(log->conninfo);
	free_password(log->password);
	free(log);
}

int appcore_predlog_open(appcore_predlog **out, const appcore_predlog_options *o,
			 appcore_error *err)
{
	appcore_predlog *log;
	int rc;

	if (out == NULL || o == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_predlog_open: NULL argument");
	*out = NULL;
	if ((rc = check_options(o, err)) != APPCORE_OK)
		return rc;
	log = calloc(1, sizeof(*log));
	if (log == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	if (pthread_mutex_init(&log->lock, NULL) != 0 || pl_cond_init(&log->flusher_wake) != 0 ||
	    pl_cond_init(&log->sender_wake) != 0 || pl_cond_init(&log->progress) != 0) {
		free(log);
		return ac_error_set(err, APPCORE_ENOMEM, "cannot create locks");
	}
	log->spool.dir_fd = log->spool.lock_fd = -1;
	log->queue_capacity = o->queue_rows;
	log->batch_rows = o->batch_rows;
	log->sync_interval_ms = o->sync_interval_ms;
	log->fsync = o->fsync;
	log->sample_rate = o->sample_rate;
	log->include_inputs = o->include_inputs;
	log->on_full = o->on_disk_full;
	log->spool_max_bytes = o->spool_max_bytes;
	log->connect_timeout_ms = o->connect_timeout_ms;
	log->write_timeout_ms = o->write_timeout_ms;
	log->shutdown_timeout_ms = o->shutdown_timeout_ms;
	log->logger = o->logger;
	log->metrics_registry = o->metrics;
	if (getrandom(&log->id_prefix, sizeof(log->id_prefix), 0) != (ssize_t)sizeof(log->id_prefix))
		log->id_prefix = (uint64_t)time(NULL) * 6364136223846793005ULL ^ (uint64_t)getpid();
	if ((log->conninfo = strdup(o->conninfo)) == NULL) {
		rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		goto fail;
	}
	if (o->password_file != NULL && o->password_file[0] != '\0' &&
	    (rc = read_password(&log->password, o->password_file, err)) != APPCORE_OK)
		goto fail;
	if ((rc = pl_spool_open(&log->spool, o->spool_dir, err)) != APPCORE_OK)
		goto fail;
	if (o->metrics != NULL && (rc = register_metrics(log, o->metrics, err)) != APPCORE_OK)
		goto fail;
	pl_refresh_spool_bytes(log);
	if (log->spool.count > 0) {
		char detail[96];
		snprintf(detail, sizeof(detail), "%zu segments, %llu bytes to replay",
			 log->spool.count, (unsigned long long)log->spool.total_bytes);
		pl_log(log, APPCORE_LOG_INFO, "prediction log: spool from an earlier run", detail);
	}
	if (start_thread(&log->flusher, pl_flusher_main, log) != 0) {
		rc = ac_error_set(err, APPCORE_ENOMEM, "cannot start the prediction log's threads");
		goto fail;
	}
	log->flusher_started = true;
	if (start_thread(&log->sender, pl_sender_main, log) != 0) {
		appcore_predlog_close(log);
		return ac_error_set(err, APPCORE_ENOMEM, "cannot start the prediction log's threads");
	}
	log->sender_started = true;
	*out = log;
	return APPCORE_OK;
fail:
	release(log);
	return rc;
}

void appcore_predlog_close(appcore_predlog *log)
{
	if (log == NULL)
		return;
	pthread_mutex_lock(&log->lock);
	log->closing = true;
	pthread_cond_signal(&log->flusher_wake);
	pthread_mutex_unlock(&log->lock);
	if (log->flusher_started)
		pthread_join(log->flusher, NULL);

	/* everything is in the spool now: give the sender its time, then stop it */
	atomic_store(&log->abort_at_ms, pl_now_ms() + (long long)log->shutdown_timeout_ms);
	pthread_mutex_lock(&log->lock);
	log->closing_flushed = true;
	pthread_cond_signal(&log->sender_wake);
	pthread_mutex_unlock(&log->lock);
	if (log->sender_started)
		pthread_join(log->sender, NULL);
	{
		char detail[96];
		snprintf(detail, sizeof(detail), "%llu bytes left in the spool",
			 (unsigned long long)atomic_load(&log->spool_bytes_now));
		pl_log(log, APPCORE_LOG_INFO, "prediction log: closed", detail);
	}
	release(log);
}

/* --- record ----------------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void record_id(uint8_t *id, appcore_predlog *log)
{
	uint64_t counter = atomic_fetch_add(&log->id_counter, 1);

	for (int i = 0; i < 8; i++) {
		id[i] = (uint8_t)(log->id_prefix >> (56 - 8 * i));
		id[8 + i] = (uint8_t)(counter >> (56 - 8 * i));
	}
}

static int refuse(appcore_predlog *log, appcore_error *err, const char *why)
{
	pl_count(log, PL_REQUESTS_REFUSED, 1);
	return ac_error_set(err, APPCORE_EUNAVAILABLE, "prediction log: %s", why);
}

int appcore_predlog_record(appcore_predlog *log, const appcore_predlog_entry *entry,
			   appcore_error *err)
{
	struct pl_record *record;
	uint8_t id[16];
	bool too_large, wake;
	size_t rows;

	if (log == NULL || entry == NULL || entry->model == NULL || entry->outputs == NULL ||
	    entry->num_rows == 0)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_predlog_record: NULL argument or no rows");
	if (entry->version == 0 || entry->version > APPCORE_PREDLOG_ENTRY_VERSION)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_predlog_entry: unknown version %u", entry->version);
	if (entry->output_kind != APPCORE_OUTPUT_VALUE && entry->output_kind != APPCORE_OUTPUT_MARGIN)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_predlog_entry: unknown output kind");
	rows = entry->num_rows;
	if (log->sample_rate < 1.0) {
		static atomic_ullong sample_counter;
		uint64_t draw = splitmix64(log->id_prefix ^ atomic_fetch_add(&sample_counter, 1));
		if ((double)(draw >> 11) * 0x1.0p-53 >= log->sample_rate) {
			pl_count(log, PL_ROWS_SAMPLED_OUT, rows);
			return APPCORE_OK;
		}
	}
	if (log->on_full == APPCORE_PREDLOG_FULL_REFUSE && atomic_load(&log->full))
		return refuse(log, err, "the spool is full (disk full or spool_max_bytes)");
	record_id(id, log);
	record = pl_record_build(entry, id, log->include_inputs, &too_large);
	if (record == NULL) {
		pl_count_dropped(log, PL_DROP_NO_MEMORY, rows);
		if (too_large)
			return ac_error_set(err, APPCORE_EINVAL,
					    "appcore_predlog_record: request too large to log");
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&log->lock);
	if (log->closing || (log->queued_rows > 0 && log->queued_rows + rows > log->queue_capacity)) {
		bool closing = log->closing;

		pthread_mutex_unlock(&log->lock);
		free(record);
		if (closing)
			return refuse(log, err, "closing");
		if (log->on_full == APPCORE_PREDLOG_FULL_REFUSE)
			return refuse(log, err, "the queue is full (prediction_log.queue_rows)");
		pl_count_dropped(log, PL_DROP_QUEUE_FULL, rows);
		return APPCORE_OK;
	}
	record->seq = ++log->seq_accepted;
	if (log->tail != NULL)
		log->tail->next = record;
	else
		log->head = record;
	log->tail = record;
	wake = log->queued_rows < log->batch_rows && log->queued_rows + rows >= log->batch_rows;
	log->queued_rows += rows;
	pl_set_queue_rows(log, log->queued_rows);
	pthread_mutex_unlock(&log->lock);
	if (wake)
		pthread_cond_signal(&log->flusher_wake);
	pl_count(log, PL_ROWS_RECORDED, rows);
	return APPCORE_OK;
}

/* --- flush, stats, key id --------------------------------------------------------------- */

int appcore_predlog_flush(appcore_predlog *log, unsigned int timeout_ms, appcore_error *err)
{
	int64_t deadline = pl_now_ms() + timeout_ms;
	struct pl_position target;
	uint64_t target_seq;
	bool spooled, sent;

	if (log == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_predlog_flush: NULL log");
	pthread_mutex_lock(&log->lock);
	target_seq = log->seq_accepted;
	log->flush_requested = true;
	pthread_cond_signal(&log->flusher_wake);
	while (log->seq_spooled < target_seq && pl_now_ms() < deadline)
		pl_cond_wait_until(&log->progress, &log->lock, deadline);
	spooled = log->seq_spooled >= target_seq;
	target = log->spooled_end;
	while (spooled && pl_position_cmp(log->sent, target) < 0 && pl_now_ms() < deadline)
		pl_cond_wait_until(&log->progress, &log->lock, deadline);
	sent = spooled && pl_position_cmp(log->sent, target) >= 0;
	pthread_mutex_unlock(&log->lock);
	if (sent)
		return APPCORE_OK;
	{
		appcore_predlog_stats stats;
		appcore_predlog_stats_get(&stats, log);
		return ac_error_set(err, APPCORE_ETIMEOUT,
				    "prediction log: rows not %s within %u ms (database %s%s%s)",
				    spooled ? "in PostgreSQL" : "in the spool", timeout_ms,
				    stats.database_up ? "up" : "down",
				    stats.last_error[0] ? "; last error: " : "", stats.last_error);
	}
}

int appcore_predlog_stats_get(appcore_predlog_stats *out, appcore_predlog *log)
{
	if (out == NULL || log == NULL)
		return APPCORE_EINVAL;
	memset(out, 0, sizeof(*out));
	out->rows_recorded = atomic_load(&log->counters[PL_ROWS_RECORDED]);
	out->rows_spooled = atomic_load(&log->counters[PL_ROWS_SPOOLED]);
	out->rows_written = atomic_load(&log->counters[PL_ROWS_WRITTEN]);
	out->rows_duplicate = atomic_load(&log->counters[PL_ROWS_DUPLICATE]);
	out->rows_sampled_out = atomic_load(&log->counters[PL_ROWS_SAMPLED_OUT]);
	out->requests_refused = atomic_load(&log->counters[PL_REQUESTS_REFUSED]);
	out->errors = atomic_load(&log->counters[PL_ERRORS]);
	for (int i = 0; i < PL_DROP_COUNT; i++)
		out->rows_dropped += atomic_load(&log->dropped[i]);
	out->queue_rows = atomic_load(&log->queue_rows_now);
	out->spool_bytes = atomic_load(&log->spool_bytes_now);
	out->database_up = atomic_load(&log->database_up);
	out->spool_full = atomic_load(&log->full);
	pthread_mutex_lock(&log->lock);
	out->last_error_time = log->last_error_time;
	memcpy(out->last_error, log->last_error, sizeof(out->last_error));
	pthread_mutex_unlock(&log->lock);
	return APPCORE_OK;
}

int appcore_predlog_key_id(char *out, const char *key, size_t key_len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	const struct pl_libcrypto *crypto;

	if (out == NULL || (key == NULL && key_len > 0))
		return APPCORE_EINVAL;
	/* libcrypto is loaded on the first call (dynlib.h) */
	if ((crypto = pl_libcrypto(NULL, 0)) == NULL)
		return APPCORE_EUNAVAILABLE;
	if (crypto->EVP_Digest(key ? key : "", key_len, digest, &digest_len, crypto->EVP_sha256(),
			       NULL) != 1 ||
	    digest_len < 8)
		return APPCORE_EINTERNAL;
	for (size_t i = 0; i < 8; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[16] = '\0';
	return APPCORE_OK;
}
