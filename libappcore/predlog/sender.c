/* The sender thread: reads the spool in order and writes it to PostgreSQL, one transaction
 * per batch of whole requests; deletes each segment once all of it is committed. Its
 * position (log->sent) only moves after a commit, so a failure of any kind resends the same
 * batch, which the primary key makes harmless. The connection is made, and the schema
 * migrated, in the background with backoff; the log says when the database goes away and
 * when it is back. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "predlog/copy.h"
#include "predlog/pg.h"
#include "predlog/predlog_internal.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
/* While idle, check the connection this often (a restarted server closes it). */
#define IDLE_CHECK_MS 1000
/* Bytes read from a segment at a time (more when one frame is larger). */
#define READ_WINDOW ((size_t)1 << 20)

/* One request of the batch: its COPY text and rows, to resend alone if the batch is
 * rejected. */
struct batch_frame {
	size_t text_start, text_end;
	size_t rows;
};

struct sender {
	appcore_predlog *log;
	struct pl_pg *pg;
	struct pl_position cur; /* next byte to send */
	int fd;                 /* segment cur.segment, or -1 */
	unsigned char *window;
	size_t window_cap;
	ac_strbuf copy;
	struct batch_frame *frames;
	size_t num_frames, frames_cap;
	bool down_logged;  /* "database unavailable" was logged and not yet "available" */
	char last_down[APPCORE_PREDLOG_ERROR_SIZE];
};

static int64_t op_deadline(unsigned int timeout_ms)
{
	return pl_now_ms() + (int64_t)timeout_ms;
}

static void database_down(struct sender *s, const char *reason)
{
	appcore_predlog *log = s->log;

	pl_pg_close(s->pg);
	s->pg = NULL;
	pl_set_database_up(log, 0);
	pl_note_error(log, reason);
	/* once per outage, and again when the reason changes (wrong password after refused) */
	if (!s->down_logged || strcmp(s->last_down, reason) != 0)
		pl_log(log, APPCORE_LOG_ERROR, "prediction log: database unavailable, rows kept in "
		       "the spool", reason);
	s->down_logged = true;
	snprintf(s->last_down, sizeof(s->last_down), "%s", reason);
}

static bool connect_db(struct sender *s)
{
	appcore_predlog *log = s->log;
	char error[APPCORE_PREDLOG_ERROR_SIZE];
	int version = 0;

	if (pl_pg_connect(&s->pg, log->conninfo, log->password,
			  op_deadline(log->connect_timeout_ms), &log->abort_at_ms, error,
			  sizeof(error)) != PL_PG_OK ||
	    pl_pg_prepare(s->pg, &version, op_deadline(log->write_timeout_ms),
			  &log->abort_at_ms, error, sizeof(error)) != PL_PG_OK) {
		database_down(s, error);
		return false;
	}
	pl_set_database_up(log, 1);
	{
		char schema[64];
		snprintf(schema, sizeof(schema), "schema version %d", version);
		pl_log(log, APPCORE_LOG_INFO,
		       s->down_logged ? "prediction log: database available again"
				      : "prediction log: database connected",
		       schema);
	}
	s->down_logged = false;
	return true;
}

/* Close the reader's file. */
static void reader_close(struct sender *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Where the next unsent bytes are (lock held): sets *limit to the end of readable data in
 * s->cur.segment, moving s->cur to the next segment when the current one is finished.
 * Returns false when there is nothing to send. */
static bool next_data(struct sender *s, uint64_t *limit, bool *active)
{
	struct pl_spool *spool = &s->log->spool;

	for (size_t i = 0; i < spool->count; i++) {
		struct pl_segment *seg = &spool->segments[i];

		if (seg->id < s->cur.segment)
			continue;
		if (seg->id > s->cur.segment) {
			reader_close(s);
			s->cur = (struct pl_position){ seg->id, 0 };
		}
		if (s->cur.offset < seg->size) {
			*limit = seg->size;
			*active = seg->active;
			return true;
		}
		if (seg->active)
			return false;
	}
	return false;
}

/* Delete the segments the sender has finished (lock held). */
static void delete_finished(struct sender *s)
{
	struct pl_spool *spool = &s->log->spool;

	while (spool->count > 0) {
		struct pl_segment *first = &spool->segments[0];

		if (first->active || first->id > s->cur.segment ||
		    (first->id == s->cur.segment && s->cur.offset < first->size))
			break;
		if (first->id == s->cur.segment)
			reader_close(s);
		pl_spool_unlink_segment(spool, first->id);
		pl_spool_remove_first(spool);
	}
	pl_refresh_spool_bytes(s->log);
}

static bool read_at(struct sender *s, uint64_t offset, size_t len)
{
	size_t done = 0;

	if (len > s->window_cap) {
		unsigned char *grown = realloc(s->window, len);
		if (grown == NULL)
			return false;
		s->window = grown;
		s->window_cap = len;
	}
	while (done < len) {
		ssize_t n = pread(s->fd, s->window + done, len - done, (off_t)(offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

/* The bytes from s->cur to limit cannot be read as frames: skip them, loudly. */
static void skip_corrupt(struct sender *s, uint64_t limit, const char *why)
{
	char message[200];

	snprintf(message, sizeof(message),
		 "spool segment %016" PRIu64 ": %s at offset %" PRIu64 ", %" PRIu64
		 " bytes skipped",
		 s->cur.segment, why, s->cur.offset, limit - s->cur.offset);
	pl_note_error(s->log, message);
	pl_log(s->log, APPCORE_LOG_ERROR, "prediction log: damaged spool", message);
	pthread_mutex_lock(&s->log->lock);
	s->cur.offset = limit;
	s->log->sent = s->cur;
	delete_finished(s);
	pthread_cond_broadcast(&s->log->progress);
	pthread_mutex_unlock(&s->log->lock);
}

/* Build the next batch into s->copy / s->frames. *end receives the position after it.
 * Returns the number of rows (0: nothing to send now). */
static size_t build_batch(struct sender *s, struct pl_position *end)
{
	appcore_predlog *log = s->log;
	uint64_t limit = 0;
	bool active = false, have;
	size_t rows = 0;

	s->copy.len = 0;
	s->copy.failed = 0;
	s->num_frames = 0;
	pthread_mutex_lock(&log->lock);
	delete_finished(s);
	have = next_data(s, &limit, &active);
	pthread_mutex_unlock(&log->lock);
	if (!have)
		return 0;
	if (s->fd < 0) {
		s->fd = pl_spool_open_segment(&log->spool, s->cur.segment);
		if (s->fd < 0) {
			skip_corrupt(s, limit, "cannot open");
			return 0;
		}
	}
	if (s->cur.offset == 0) {
		if (!read_at(s, 0, PL_SPOOL_HEADER_SIZE) ||
		    memcmp(s->window, PL_SPOOL_HEADER, PL_SPOOL_HEADER_SIZE) != 0) {
			skip_corrupt(s, limit, "not a spool segment");
			return 0;
		}
		pthread_mutex_lock(&log->lock);
		s->cur.offset = PL_SPOOL_HEADER_SIZE;
		pthread_mutex_unlock(&log->lock);
	}
	*end = s->cur;
	while (end->offset < limit && rows < log->batch_rows) {
		size_t want = limit - end->offset < READ_WINDOW ? (size_t)(limit - end->offset)
								  : READ_WINDOW;
		size_t used = 0;

		if (!read_at(s, end->offset, want)) {
			skip_corrupt(s, limit, "read error");
			return 0;
		}
		while (used < want && rows < log->batch_rows) {
			long long size = pl_frame_check(s->window + used, want - used);
			struct pl_view view;

			if (size == 0 && used == 0 && want < limit - end->offset) {
				/* one frame larger than the window: read all of it */
				uint32_t len;
				memcpy(&len, s->window + 4, sizeof(len));
				want = PL_FRAME_HEADER + (size_t)len;
				if (want > limit - end->offset || !read_at(s, end->offset, want))
					size = -1;
				else
					continue;
			}
			if (size == 0)
				break; /* the rest of a frame is in the next window */
			if (size < 0 || !pl_frame_view(&view, s->window + used, (size_t)size)) {
				if (s->num_frames > 0)
					return rows; /* send what is good first */
				skip_corrupt(s, limit, active ? "damaged frame" : "damaged or torn frame");
				return 0;
			}
			if (s->num_frames == s->frames_cap) {
				size_t cap = s->frames_cap ? s->frames_cap * 2 : 64;
				struct batch_frame *grown = realloc(s->frames, cap * sizeof(*grown));
				if (grown == NULL)
					return rows;
				s->frames = grown;
				s->frames_cap = cap;
			}
			s->frames[s->num_frames].text_start = s->copy.len;
			pl_copy_rows(&s->copy, &view);
			if (s->copy.failed) {
				s->copy.failed = 0;
				s->copy.len = s->frames[s->num_frames].text_start;
				return rows;
			}
			s->frames[s->num_frames].text_end = s->copy.len;
			s->frames[s->num_frames].rows = view.num_rows;
			s->num_frames++;
			rows += view.num_rows;
			used += (size_t)size;
			end->offset += (uint64_t)size;
		}
		if (used == 0) {
			/* a frame that never ends: the tail of a write a crash interrupted */
			if (s->num_frames == 0)
				skip_corrupt(s, limit, "frame cut short");
			break;
		}
	}
	return rows;
}

/* The batch is committed: move on and delete what is finished. */
static void advance(struct sender *s, struct pl_position end)
{
	appcore_predlog *log = s->log;

	pthread_mutex_lock(&log->lock);
	s->cur = end;
	log->sent = end;
	delete_finished(s);
	pthread_cond_broadcast(&log->progress);
	pthread_mutex_unlock(&log->lock);
}

/* A batch PostgreSQL refused on its data: send each request alone, and drop (loudly) only
 * those refused on their own. */
static int send_one_by_one(struct sender *s)
{
	appcore_predlog *log = s->log;
	char error[APPCORE_PREDLOG_ERROR_SIZE];

	for (size_t i = 0; i < s->num_frames; i++) {
		const struct batch_frame *f = &s->frames[i];
		unsigned long long inserted = 0;
		int rc = pl_pg_write_batch(s->pg, s->copy.data + f->text_start,
					   f->text_end - f->text_start, &inserted,
					   op_deadline(log->write_timeout_ms), &log->abort_at_ms,
					   error, sizeof(error));
		if (rc == PL_PG_DOWN) {
			database_down(s, error);
			return rc;
		}
		if (rc == PL_PG_REJECTED) {
			pl_count_dropped(log, PL_DROP_REJECTED, f->rows);
			pl_note_error(log, error);
			pl_log(log, APPCORE_LOG_ERROR, "prediction log: rows rejected by the database",
			       error);
			continue;
		}
		pl_count(log, PL_ROWS_WRITTEN, inserted);
		pl_count(log, PL_ROWS_DUPLICATE, f->rows - (inserted < f->rows ? inserted : f->rows));
	}
	return PL_PG_OK;
}

/* Whether the sender should stop now (lock held). */
static bool must_stop(appcore_predlog *log)
{
	int64_t abort_at = (int64_t)atomic_load(&log->abort_at_ms);
	return log->sender_abort || (abort_at != 0 && pl_now_ms() >= abort_at);
}

void *pl_sender_main(void *arg)
{
	appcore_predlog *log = arg;
	struct sender s;
	int64_t backoff = BACKOFF_FIRST_MS;

	/* When requests and the log compete for the CPU, requests win: the spool absorbs the
	 * difference and the sender catches up when there is time (Linux nices threads). */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 5);
	memset(&s, 0, sizeof(s));
	s.log = log;
	s.fd = -1;
	ac_strbuf_init(&s.copy, NULL, 0);

	for (;;) {
		struct pl_position end;
		unsigned long long inserted = 0;
		char error[APPCORE_PREDLOG_ERROR_SIZE];
		size_t rows;
		int rc;

		pthread_mutex_lock(&log->lock);
		if (must_stop(log)) {
			pthread_mutex_unlock(&log->lock);
			break;
		}
		pthread_mutex_unlock(&log->lock);

		if (s.pg == NULL) {
			if (connect_db(&s)) {
				backoff = BACKOFF_FIRST_MS;
				continue;
			}
			pthread_mutex_lock(&log->lock);
			/* closing with the database down: the spool keeps the rows */
			if (log->closing_flushed) {
				pthread_mutex_unlock(&log->lock);
				break;
			}
			pl_cond_wait_until(&log->sender_wake, &log->lock, pl_now_ms() + backoff);
			pthread_mutex_unlock(&log->lock);
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			continue;
		}

		rows = build_batch(&s, &end);
		if (rows == 0) {
			bool done;

			pthread_mutex_lock(&log->lock);
			{
				uint64_t ignored_limit;
				bool ignored_active;
				done = log->closing_flushed &&
				       !next_data(&s, &ignored_limit, &ignored_active);
			}
			if (!done)
				pl_cond_wait_until(&log->sender_wake, &log->lock,
						   pl_now_ms() + IDLE_CHECK_MS);
			pthread_mutex_unlock(&log->lock);
			if (done)
				break;
			if (!pl_pg_alive(s.pg))
				database_down(&s, "database connection closed");
			continue;
		}
		rc = pl_pg_write_batch(s.pg, s.copy.data, s.copy.len, &inserted,
				       op_deadline(log->write_timeout_ms), &log->abort_at_ms,
				       error, sizeof(error));
		if (rc == PL_PG_REJECTED)
			rc = send_one_by_one(&s);
		else if (rc == PL_PG_OK) {
			pl_count(log, PL_ROWS_WRITTEN, inserted);
			pl_count(log, PL_ROWS_DUPLICATE, rows - (inserted < rows ? inserted : rows));
		} else {
			database_down(&s, error);
		}
		if (rc == PL_PG_OK)
			advance(&s, end);
	}
	reader_close(&s);
	pl_pg_close(s.pg);
	pl_set_database_up(log, 0);
	ac_strbuf_release(&s.copy);
	free(s.window);
	free(s.frames);
	return NULL;
}
