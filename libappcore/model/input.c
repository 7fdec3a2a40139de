#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "model/input.h"

void ac_input_init_buffer(struct ac_input *in, const char *data, size_t len)
{
	memset(in, 0, sizeof(*in));
	in->cur = in->base = data;
	in->end = data + len;
	in->size = in->limit = len;
	in->eof = true;
	in->fd = -1;
}

int ac_input_init_fd(struct ac_input *in, int fd, size_t chunk, uint64_t limit,
		     appcore_error *err)
{
	struct stat st;

	memset(in, 0, sizeof(*in));
	in->fd = fd;
	in->size = UINT64_MAX;
	in->limit = limit;
	/* A regular file is read up to the size it had when loading began: a file that grows
	 * meanwhile is read as it was, and its size bounds every allocation. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		in->size = (uint64_t)st.st_size;
		if (in->size > limit) {
			in->error = -1;
			return ac_error_set(err, APPCORE_EMODEL, "larger than %llu bytes",
					    (unsigned long long)limit);
		}
		in->limit = in->size;
	}
	in->cap = chunk ? chunk : AC_INPUT_CHUNK;
	if (in->size < in->cap)
		in->cap = (size_t)in->size + 1; /* + 1: the read that sees end of file */
	in->buf = malloc(in->cap);
	if (in->buf == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	in->cur = in->end = in->base = in->buf;
	return APPCORE_OK;
}

void ac_input_free(struct ac_input *in)
{
	free(in->buf);
	in->buf = NULL;
}

size_t ac_input_fill(struct ac_input *in, size_t need)
{
	size_t have = (size_t)(in->end - in->cur);

	if (have >= need || in->eof)
		return have;
	/* slide the unread bytes to the front, growing the window for a long token */
	if (in->cur != in->buf) {
		in->offset += (uint64_t)(in->cur - in->base);
		memmove(in->buf, in->cur, have);
		in->cur = in->base = in->buf;
		in->end = in->buf + have;
	}
	while ((size_t)(in->end - in->cur) < need) {
		uint64_t pos = in->offset + (uint64_t)(in->end - in->base);
		size_t room = in->cap - (size_t)(in->end - in->buf);
		ssize_t got;

		if (room == 0) {
			/* a token longer than the window (which starts at cur, see above):
			 * double it, so memory follows the bytes actually read, whatever length
			 * a hostile file declares */
			const size_t used = (size_t)(in->end - in->buf);
			char *bigger = realloc(in->buf, in->cap * 2);

			if (bigger == NULL) {
				in->error = ENOMEM;
				in->eof = true;
				break;
			}
			in->buf = bigger;
			in->cur = in->base = bigger;
			in->end = bigger + used;
			in->cap *= 2;
			continue;
		}
		if (pos >= in->limit) {
			/* at the limit: end of input for a regular file, an error for a stream
			 * that goes on */
			if (in->size == UINT64_MAX) {
				char probe;

				if (read(in->fd, &probe, 1) > 0)
					in->error = -1;
			}
			in->eof = true;
			break;
		}
		if (room > in->limit - pos)
			room = (size_t)(in->limit - pos);
		got = read(in->fd, in->buf + (in->end - in->buf), room);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			in->error = errno ? errno : EIO;
			in->eof = true;
			break;
		}
		if (got == 0) {
			in->eof = true;
			break;
		}
		in->end += got;
	}
	if (in->eof && in->error == 0)
		in->size = in->offset + (uint64_t)(in->end - in->base);
	return (size_t)(in->end - in->cur);
}
