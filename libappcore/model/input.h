/* A byte window over a model file or buffer, for the streaming readers (reader.h).
 *
 * A buffer in memory is one window over all of it. A file is read through a small window
 * that slides forward as the readers consume it, so loading never holds the whole file:
 * peak memory is the model being built plus the window, which only grows to hold the
 * longest single token (a long string). Private to libappcore. */
#ifndef APPCORE_MODEL_INPUT_H
#define APPCORE_MODEL_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appcore/error.h"

/* Bytes a file window starts with (it grows for longer tokens). */
#define AC_INPUT_CHUNK ((size_t)256 * 1024)

struct ac_input {
	const char *cur;  /* next unread byte */
	const char *end;  /* end of the bytes in the window */
	const char *base; /* window start: cur is at absolute offset `offset + (cur - base)` */
	uint64_t offset;
	uint64_t size;    /* total input size when known (buffers, regular files), else
			   * UINT64_MAX */
	uint64_t limit;   /* refuse inputs longer than this */
	bool eof;         /* nothing beyond `end` */
	int fd;           /* -1 for a buffer in memory */
	char *buf;        /* the window's storage (files) */
	size_t cap;
	int error;        /* errno of a failed read, or -1 when the input exceeded `limit` */
};

/* A window over len bytes at data (not copied; must outlive the input). */
void ac_input_init_buffer(struct ac_input *in, const char *data, size_t len);

/* A window over an open file descriptor (not closed by ac_input_free), starting at chunk
 * bytes (0: AC_INPUT_CHUNK; tests use tiny windows). limit bounds the bytes read. Fails with
 * APPCORE_ENOMEM or APPCORE_EMODEL (a regular file beyond limit); err names no file:
 * callers prefix the path. */
int ac_input_init_fd(struct ac_input *in, int fd, size_t chunk, uint64_t limit,
		     appcore_error *err);

void ac_input_free(struct ac_input *in);

/* Make at least `need` bytes available at cur, fewer only at the end of the input or on a
 * read error (in->error). Returns the bytes available. Moves the window: pointers into it
 * other than cur and end are invalid afterwards. */
size_t ac_input_fill(struct ac_input *in, size_t need);

/* Cheap inline check for the hot paths: at least n bytes at cur, reading more if needed. */
static inline bool ac_input_have(struct ac_input *in, size_t n)
{
	return (size_t)(in->end - in->cur) >= n || ac_input_fill(in, n) >= n;
}

/* Absolute offset of a pointer into the window. */
static inline uint64_t ac_input_pos(const struct ac_input *in, const char *p)
{
	return in->offset + (uint64_t)(p - in->base);
}

/* Bytes left after cur when the size is known, else UINT64_MAX. Bounds every allocation a
 * declared count asks for: a file cannot hold more elements than it has bytes. */
static inline uint64_t ac_input_remaining(const struct ac_input *in)
{
	return in->size == UINT64_MAX ? UINT64_MAX : in->size - ac_input_pos(in, in->cur);
}

#endif
