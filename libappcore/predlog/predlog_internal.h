/* The prediction log's shared state: the queue the request threads fill, the spool the
 * flusher thread writes and the sender thread reads, and the counters. Private to
 * libappcore/predlog/. One mutex guards the queue and the spool's bookkeeping; file and
 * database I/O happen outside it. */
#ifndef APPCORE_PREDLOG_INTERNAL_H
#define APPCORE_PREDLOG_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "appcore/predlog.h"
#include "predlog/record.h"
#include "predlog/spool.h"

/* Counters, each also a metric. */
enum pl_counter {
	PL_ROWS_RECORDED,
	PL_ROWS_SPOOLED,
	PL_ROWS_WRITTEN,
	PL_ROWS_DUPLICATE,
	PL_ROWS_SAMPLED_OUT,
	PL_REQUESTS_REFUSED,
	PL_ERRORS,
	PL_COUNTER_COUNT
};

/* Reasons rows are dropped (the `reason` label of rows_dropped_total). */
enum pl_drop_reason {
	PL_DROP_DISK_FULL,
	PL_DROP_QUEUE_FULL,
	PL_DROP_NO_MEMORY,
	PL_DROP_CORRUPT,
	PL_DROP_REJECTED,
	PL_DROP_COUNT
};

struct pl_metrics {
	appcore_metrics_series *counters[PL_COUNTER_COUNT];
	appcore_metrics_series *dropped[PL_DROP_COUNT];
	appcore_metrics_series *queue_rows;
	appcore_metrics_series *spool_bytes;
	appcore_metrics_series *database_up;
	appcore_metrics_series *spool_full;
	appcore_metrics_series *last_error_time;
};

struct appcore_predlog {
	/* options, strings owned */
	char *conninfo;
	char *password;
	size_t queue_capacity;
	size_t batch_rows;
	unsigned int sync_interval_ms;
	int fsync;
	double sample_rate;
	int include_inputs;
	appcore_predlog_full_policy on_full;
	unsigned long long spool_max_bytes;
	unsigned int connect_timeout_ms;
	unsigned int write_timeout_ms;
	unsigned int shutdown_timeout_ms;
	appcore_logger *logger;
	appcore_metrics *metrics_registry;
	struct pl_metrics metrics;

	/* record ids: a random prefix per open, then a counter */
	uint64_t id_prefix;
	atomic_ullong id_counter;

	pthread_mutex_t lock;
	pthread_cond_t flusher_wake; /* rows queued past batch_rows, a flush, or closing */
	pthread_cond_t sender_wake;  /* new spool data, or closing */
	pthread_cond_t progress;     /* the flusher or the sender moved on (flush() waits) */

	/* --- under lock --- */
	struct pl_record *head, *tail; /* FIFO of records waiting for the flusher */
	size_t queued_rows;
	uint64_t seq_accepted; /* records accepted (or dropped) so far, numbered from 1 */
	uint64_t seq_spooled;  /* records up to this one are in the spool or dropped */
	struct pl_position spooled_end; /* spool position after the last spooled record */
	struct pl_position sent;        /* sender's position: everything before is in PG */
	bool flush_requested;           /* flush() asks the flusher to sync now */
	bool closing;                   /* no more records; threads finish up */
	bool sender_abort;              /* the sender stops even with data left */
	bool closing_flushed;           /* closing, and the flusher has spooled everything */
	struct pl_spool spool;
	char last_error[APPCORE_PREDLOG_ERROR_SIZE];
	double last_error_time;

	/* --- lock-free reads --- */
	atomic_bool full; /* spool cannot take rows: records are refused or dropped */
	atomic_int database_up;
	atomic_ullong counters[PL_COUNTER_COUNT];
	atomic_ullong dropped[PL_DROP_COUNT];
	atomic_ullong queue_rows_now;
	atomic_ullong spool_bytes_now;
	atomic_llong abort_at_ms; /* close(): database work stops at this time (0: not yet) */

	pthread_t flusher;
	pthread_t sender;
	bool flusher_started, sender_started;
};

/* Counters and gauges: atomics plus the metric, when there is a registry. */
void pl_count(appcore_predlog *log, enum pl_counter counter, unsigned long long n);
void pl_count_dropped(appcore_predlog *log, enum pl_drop_reason reason, unsigned long long n);
void pl_set_queue_rows(appcore_predlog *log, size_t rows);
/* Recompute the spool bytes not yet in PostgreSQL (lock held): what spool_max_bytes limits. */
void pl_refresh_spool_bytes(appcore_predlog *log);
void pl_set_database_up(appcore_predlog *log, int up);
void pl_set_full(appcore_predlog *log, bool full);

/* Remember an error (stats, metrics) and count it; call with the lock NOT held. */
void pl_note_error(appcore_predlog *log, const char *message);

/* Log a state change with one "error" field (may be NULL). */
void pl_log(appcore_predlog *log, appcore_log_level level, const char *msg, const char *error);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t pl_now_ms(void);
/* Wait on cond until woken or abs_ms (CLOCK_MONOTONIC) passes; the lock is held. */
void pl_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, int64_t abs_ms);
/* Initialise a condition variable that waits on CLOCK_MONOTONIC. */
int pl_cond_init(pthread_cond_t *cond);

/* The threads (flusher.c, sender.c). */
void *pl_flusher_main(void *arg);
void *pl_sender_main(void *arg);

#endif
