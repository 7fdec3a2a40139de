/* The on-disk spool: a directory of append-only segment files `<16-digit id>.spool`, each a
 * 16-byte file header followed by frames (record.h). Segment ids only grow, so their order is
 * the order rows were recorded in. The flusher appends to the newest segment of this run
 * (never to one left by an earlier run, whose end may be torn) and starts a new one past
 * PL_SEGMENT_BYTES; the sender reads segments in id order and deletes each once all of it is
 * in PostgreSQL. A `lock` file held with flock(2) keeps two processes off one spool. */
#ifndef APPCORE_PREDLOG_SPOOL_H
#define APPCORE_PREDLOG_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appcore/error.h"

#define PL_SPOOL_HEADER "appcore-spool 1\n"
#define PL_SPOOL_HEADER_SIZE 16u
/* A segment is closed once it holds this much. */
#define PL_SEGMENT_BYTES ((uint64_t)4 << 20)
/* ... or once it holds this much and all of it is in PostgreSQL (then it is deleted). */
#define PL_SEGMENT_RECLAIM_BYTES ((uint64_t)64 << 10)
/* Smallest spool_max_bytes accepted (prediction_log.spool_max_bytes has the same minimum). */
#define PL_SPOOL_MIN_BYTES ((uint64_t)64 << 10)

/* A place in the spool: segment id and byte offset. */
struct pl_position {
	uint64_t segment;
	uint64_t offset;
};

/* Lexicographic comparison: <0, 0, >0. */
int pl_position_cmp(struct pl_position a, struct pl_position b);

struct pl_segment {
	uint64_t id;
	uint64_t size;    /* bytes written and visible to the sender */
	bool active;      /* the flusher may still append */
};

struct pl_spool {
	char *dir;
	int dir_fd;
	int lock_fd;
	struct pl_segment *segments; /* ascending ids */
	size_t count, capacity;
	uint64_t next_id;
	uint64_t total_bytes; /* sum of segment sizes */
};

/* Create (mkdir, mode 0700) or open dir, take its lock, and list the segments left by an
 * earlier run. APPCORE_EIO with a message naming the directory on failure. */
int pl_spool_open(struct pl_spool *spool, const char *dir, appcore_error *err);
void pl_spool_close(struct pl_spool *spool);

/* Create segment `id` with its header; with sync, fsync it and the directory. Returns the
 * file descriptor (append mode) or -1 with errno set. */
int pl_spool_create_segment(struct pl_spool *spool, uint64_t id, bool sync);

/* Open segment `id` for reading; -1 with errno set. */
int pl_spool_open_segment(const struct pl_spool *spool, uint64_t id);

/* Delete segment `id` from the disk. */
void pl_spool_unlink_segment(const struct pl_spool *spool, uint64_t id);

/* Bookkeeping (caller holds the log's lock). */
struct pl_segment *pl_spool_find(struct pl_spool *spool, uint64_t id);
int pl_spool_add(struct pl_spool *spool, uint64_t id, uint64_t size, bool active);
void pl_spool_remove_first(struct pl_spool *spool);

#endif
