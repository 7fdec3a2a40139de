/* The flusher thread: every sync_interval_ms (sooner when batch_rows are waiting, a flush is
 * asked for, or the log closes) it moves the queue to the spool with one writev per batch
 * and, with `fsync`, one fdatasync. That sync is the durability point of every row it wrote.
 *
 * When the spool cannot take the rows (a write fails: ENOSPC, EDQUOT, EIO; or the spool would
 * pass spool_max_bytes) the policy decides: refuse keeps the rows queued, in order, and sets
 * `full` so appcore_predlog_record() refuses new ones until a write succeeds again; drop
 * counts and frees them. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "predlog/predlog_internal.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

struct active {
	int fd;
	uint64_t id;
	uint64_t size;
};

/* Write all of iov[0..n) (retrying short writes); 0 or an errno. */
static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t written = writev(fd, iov, n);

		if (written < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		while (n > 0 && (size_t)written >= iov->iov_len) {
			written -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + written;
			iov->iov_len -= (size_t)written;
		}
	}
	return 0;
}

/* Close the active segment (it becomes readable to the end and deletable). */
static void retire_active(appcore_predlog *log, struct active *a)
{
	struct pl_segment *segment;

	if (a->fd < 0)
		return;
	close(a->fd);
	pthread_mutex_lock(&log->lock);
	segment = pl_spool_find(&log->spool, a->id);
	if (segment != NULL)
		segment->active = false;
	pthread_mutex_unlock(&log->lock);
	pthread_cond_signal(&log->sender_wake);
	a->fd = -1;
}

/* A segment to append to, starting a new one when there is none or it is full. 0 or errno. */
static int ensure_active(appcore_predlog *log, struct active *a)
{
	uint64_t id;
	bool caught_up;
	int fd;

	pthread_mutex_lock(&log->lock);
	caught_up = log->sent.segment == a->id && log->sent.offset >= a->size;
	pthread_mutex_unlock(&log->lock);
	/* a new segment when this one is full, or when everything in it is in PostgreSQL and
	 * it is worth deleting: disk space comes back without waiting for it to fill */
	if (a->fd >= 0 && a->size < PL_SEGMENT_BYTES &&
	    !(caught_up && a->size >= PL_SEGMENT_RECLAIM_BYTES))
		return 0;
	retire_active(log, a);
	pthread_mutex_lock(&log->lock);
	id = log->spool.next_id++;
	pthread_mutex_unlock(&log->lock);
	fd = pl_spool_create_segment(&log->spool, id, log->fsync);
	if (fd < 0)
		return errno;
	pthread_mutex_lock(&log->lock);
	if (pl_spool_add(&log->spool, id, PL_SPOOL_HEADER_SIZE, true) != 0) {
		pthread_mutex_unlock(&log->lock);
		close(fd);
		pl_spool_unlink_segment(&log->spool, id);
		return ENOMEM;
	}
	pl_refresh_spool_bytes(log);
	pthread_mutex_unlock(&log->lock);
	a->fd = fd;
	a->id = id;
	a->size = PL_SPOOL_HEADER_SIZE;
	return 0;
}

/* Append records from *list while they fit, in order; *list keeps what was not written.
 * Returns 0, or the errno (ENOSPC for spool_max_bytes) that stopped it. */
static int append(appcore_predlog *log, struct active *a, struct pl_record **list,
		  size_t *rows_written)
{
	struct iovec iov[IOV_MAX < 256 ? IOV_MAX : 256];

	*rows_written = 0;
	while (*list != NULL) {
		struct pl_record *r = *list, *last = NULL;
		unsigned long long room;
		uint64_t bytes = 0;
		size_t rows = 0;
		int n = 0, rc;

		if ((rc = ensure_active(log, a)) != 0)
			return rc;
		room = atomic_load(&log->spool_bytes_now);
		room = room >= log->spool_max_bytes ? 0 : log->spool_max_bytes - room;
		for (; r != NULL && n < (int)(sizeof(iov) / sizeof(iov[0])); r = r->next) {
			if (bytes + r->size > room || (n > 0 && a->size + bytes >= PL_SEGMENT_BYTES))
				break;
			pl_record_seal(r);
			iov[n].iov_base = r->frame;
			iov[n].iov_len = r->size;
			n++;
			bytes += r->size;
			rows += r->rows;
			last = r;
		}
		if (n == 0)
			return ENOSPC; /* spool_max_bytes reached */
		if ((rc = write_all(a->fd, iov, n)) != 0) {
			/* cut a partial frame off, so the segment stays readable to its end */
			if (ftruncate(a->fd, (off_t)a->size) != 0)
				retire_active(log, a); /* unusable: the next write starts a new one */
			return rc;
		}
		a->size += bytes;
		/* counted before seq_spooled says so: whoever flush() lets go sees the count */
		pl_count(log, PL_ROWS_SPOOLED, rows);
		pthread_mutex_lock(&log->lock);
		{
			struct pl_segment *segment = pl_spool_find(&log->spool, a->id);
			if (segment != NULL) {
				segment->size += bytes;
				log->spool.total_bytes += bytes;
			}
			log->spooled_end = (struct pl_position){ a->id, a->size };
			log->seq_spooled = last->seq;
			pl_refresh_spool_bytes(log);
		}
		pthread_mutex_unlock(&log->lock);
		/* the frames are written: release them */
		*rows_written += rows;
		while (*list != r) {
			struct pl_record *next = (*list)->next;
			free(*list);
			*list = next;
		}
	}
	return 0;
}

static const char *spool_problem(int error)
{
	return error == ENOSPC ? "no space left (disk full or prediction_log.spool_max_bytes)"
			       : strerror(error);
}

/* Put records back at the head of the queue (the lock is held). */
static void requeue(appcore_predlog *log, struct pl_record *list)
{
	struct pl_record *last = list;
	size_t rows = 0;

	if (list == NULL)
		return;
	for (struct pl_record *r = list; r != NULL; r = r->next) {
		rows += r->rows;
		last = r;
	}
	last->next = log->head;
	if (log->head == NULL)
		log->tail = last;
	log->head = list;
	log->queued_rows += rows;
	pl_set_queue_rows(log, log->queued_rows);
}

static void drop_all(appcore_predlog *log, struct pl_record *list)
{
	unsigned long long rows = 0;
	uint64_t last_seq = 0;

	while (list != NULL) {
		struct pl_record *next = list->next;
		rows += list->rows;
		last_seq = list->seq;
		free(list);
		list = next;
	}
	if (rows == 0)
		return;
	pl_count_dropped(log, PL_DROP_DISK_FULL, rows);
	pthread_mutex_lock(&log->lock);
	if (last_seq > log->seq_spooled)
		log->seq_spooled = last_seq;
	pthread_mutex_unlock(&log->lock);
}

void *pl_flusher_main(void *arg)
{
	appcore_predlog *log = arg;
	struct active a = { -1, 0, 0 };
	bool was_full = false;
	bool backoff = false; /* rows kept after a failed write: retry at the next tick only */

	pthread_mutex_lock(&log->lock);
	for (;;) {
		const int64_t due = pl_now_ms() + log->sync_interval_ms;
		struct pl_record *list;
		size_t rows_written = 0;
		bool closing;
		int error;

		while (!log->closing && !log->flush_requested &&
		       (backoff || log->queued_rows < log->batch_rows) && pl_now_ms() < due)
			pl_cond_wait_until(&log->flusher_wake, &log->lock, due);
		list = log->head;
		log->head = log->tail = NULL;
		log->queued_rows = 0;
		pl_set_queue_rows(log, 0);
		log->flush_requested = false;
		closing = log->closing;
		pthread_mutex_unlock(&log->lock);

		error = append(log, &a, &list, &rows_written);
		if (rows_written > 0) {
			if (log->fsync && a.fd >= 0 && fdatasync(a.fd) != 0) {
				char message[160];
				snprintf(message, sizeof(message), "spool fsync failed: %s",
					 strerror(errno));
				pl_note_error(log, message);
			}
		}
		if (error != 0) {
			char message[200];

			snprintf(message, sizeof(message), "spool %s: %s", log->spool.dir,
				 spool_problem(error));
			if (!was_full) {
				pl_note_error(log, message);
				pl_log(log, APPCORE_LOG_ERROR,
				       log->on_full == APPCORE_PREDLOG_FULL_REFUSE
					   ? "prediction log: spool full, refusing predictions"
					   : "prediction log: spool full, dropping log rows",
				       message);
			}
			was_full = true;
			pl_set_full(log, true);
		} else if (was_full && rows_written > 0) {
			was_full = false;
			pl_set_full(log, false);
			pl_log(log, APPCORE_LOG_INFO, "prediction log: spool accepts rows again", NULL);
		}
		if (list != NULL && (closing || log->on_full == APPCORE_PREDLOG_FULL_DROP)) {
			if (closing)
				pl_log(log, APPCORE_LOG_ERROR,
				       "prediction log: rows lost at close, the spool is full", NULL);
			drop_all(log, list);
			list = NULL;
		}

		backoff = list != NULL;
		pthread_mutex_lock(&log->lock);
		requeue(log, list);
		pthread_cond_broadcast(&log->progress);
		pthread_cond_signal(&log->sender_wake);
		if (closing && log->head == NULL)
			break;
	}
	pthread_mutex_unlock(&log->lock);
	if (a.fd >= 0 && log->fsync)
		fdatasync(a.fd);
	retire_active(log, &a);
	return NULL;
}
