/* Spool directory and segment files (see spool.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "predlog/spool.h"

int pl_position_cmp(struct pl_position a, struct pl_position b)
{
	if (a.segment != b.segment)
		return a.segment < b.segment ? -1 : 1;
	if (a.offset != b.offset)
		return a.offset < b.offset ? -1 : 1;
	return 0;
}

static void segment_name(char *buf, size_t size, uint64_t id)
{
	snprintf(buf, size, "%016" PRIu64 ".spool", id);
}

/* "0000000000000042.spool" -> 42; 0 for anything else. */
static uint64_t parse_segment_name(const char *name)
{
	uint64_t id = 0;

	if (strlen(name) != 22 || strcmp(name + 16, ".spool") != 0)
		return 0;
	for (int i = 0; i < 16; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		id = id * 10 + (uint64_t)(name[i] - '0');
	}
	return id;
}

static int compare_segments(const void *a, const void *b)
{
	const struct pl_segment *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

int pl_spool_add(struct pl_spool *spool, uint64_t id, uint64_t size, bool active)
{
	if (spool->count == spool->capacity) {
		size_t capacity = spool->capacity ? spool->capacity * 2 : 16;
		struct pl_segment *grown = realloc(spool->segments, capacity * sizeof(*grown));
		if (grown == NULL)
			return -1;
		spool->segments = grown;
		spool->capacity = capacity;
	}
	spool->segments[spool->count++] = (struct pl_segment){ id, size, active };
	spool->total_bytes += size;
	return 0;
}

struct pl_segment *pl_spool_find(struct pl_spool *spool, uint64_t id)
{
	for (size_t i = 0; i < spool->count; i++)
		if (spool->segments[i].id == id)
			return &spool->segments[i];
	return NULL;
}

void pl_spool_remove_first(struct pl_spool *spool)
{
	if (spool->count == 0)
		return;
	spool->total_bytes -= spool->segments[0].size;
	memmove(spool->segments, spool->segments + 1, (spool->count - 1) * sizeof(*spool->segments));
	spool->count--;
}

static int scan(struct pl_spool *spool, appcore_error *err)
{
	DIR *dir;
	struct dirent *entry;
	int fd = dup(spool->dir_fd);

	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return ac_error_set(err, APPCORE_EIO, "prediction_log.spool_dir %s: cannot list: %s",
				    spool->dir, strerror(errno));
	}
	while ((entry = readdir(dir)) != NULL) {
		uint64_t id = parse_segment_name(entry->d_name);
		struct stat st;

		if (id == 0)
			continue;
		if (fstatat(spool->dir_fd, entry->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (pl_spool_add(spool, id, (uint64_t)st.st_size, false) != 0) {
			closedir(dir);
			return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		}
		if (id >= spool->next_id)
			spool->next_id = id + 1;
	}
	closedir(dir);
	if (spool->count > 0)
		qsort(spool->segments, spool->count, sizeof(*spool->segments), compare_segments);
	return APPCORE_OK;
}

int pl_spool_open(struct pl_spool *spool, const char *dir, appcore_error *err)
{
	int rc;

	memset(spool, 0, sizeof(*spool));
	spool->dir_fd = -1;
	spool->lock_fd = -1;
	spool->next_id = 1;
	spool->dir = strdup(dir);
	if (spool->dir == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = ac_error_set(err, APPCORE_EIO, "prediction_log.spool_dir %s: cannot create: %s",
				  dir, strerror(errno));
		goto fail;
	}
	spool->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (spool->dir_fd < 0) {
		rc = ac_error_set(err, APPCORE_EIO, "prediction_log.spool_dir %s: cannot open: %s",
				  dir, strerror(errno));
		goto fail;
	}
	/* creating the lock file is also the test that the directory can be written */
	spool->lock_fd = openat(spool->dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (spool->lock_fd < 0) {
		rc = ac_error_set(err, APPCORE_EIO,
				  "prediction_log.spool_dir %s: cannot write there: %s", dir,
				  strerror(errno));
		goto fail;
	}
	if (flock(spool->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		rc = ac_error_set(err, APPCORE_EIO,
				  "prediction_log.spool_dir %s: in use by another process (%s); "
				  "each server needs its own spool directory",
				  dir, strerror(errno));
		goto fail;
	}
	if ((rc = scan(spool, err)) != APPCORE_OK)
		goto fail;
	return APPCORE_OK;
fail:
	pl_spool_close(spool);
	return rc;
}

void pl_spool_close(struct pl_spool *spool)
{
	if (spool->lock_fd >= 0)
		close(spool->lock_fd); /* releases the flock */
	if (spool->dir_fd >= 0)
		close(spool->dir_fd);
	free(spool->segments);
	free(spool->dir);
	memset(spool, 0, sizeof(*spool));
	spool->dir_fd = -1;
	spool->lock_fd = -1;
}

int pl_spool_create_segment(struct pl_spool *spool, uint64_t id, bool sync)
{
	char name[32];
	int fd, saved;

	segment_name(name, sizeof(name), id);
	fd = openat(spool->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, PL_SPOOL_HEADER, PL_SPOOL_HEADER_SIZE) != (ssize_t)PL_SPOOL_HEADER_SIZE) {
		saved = errno != 0 ? errno : ENOSPC;
		goto fail;
	}
	/* a new file is durable only once its directory entry is */
	if (sync && (fsync(fd) != 0 || fsync(spool->dir_fd) != 0)) {
		saved = errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	unlinkat(spool->dir_fd, name, 0);
	errno = saved;
	return -1;
}

int pl_spool_open_segment(const struct pl_spool *spool, uint64_t id)
{
	char name[32];

	segment_name(name, sizeof(name), id);
	return openat(spool->dir_fd, name, O_RDONLY | O_CLOEXEC);
}

void pl_spool_unlink_segment(const struct pl_spool *spool, uint64_t id)
{
	char name[32];

	segment_name(name, sizeof(name), id);
	unlinkat(spool->dir_fd, name, 0);
}
