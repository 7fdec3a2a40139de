/* A job's files under the shared jobs directory: DIR/.appcore-jobs/ID/input (an uploaded
 * input) and DIR/.appcore-jobs/ID/out/N (chunk N's result). Results are written to a
 * temporary name, synced and renamed, so a reader sees a whole result or none, and a chunk
 * scored twice replaces its result with the same bytes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "jobs/jobs_internal.h"

char *ac_jobs_path_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *out = malloc(la + lb + 2);

	if (out == NULL)
		return NULL;
	memcpy(out, a, la);
	out[la] = '/';
	memcpy(out + la + 1, b, lb + 1);
	return out;
}

int ac_jobs_job_dir(char **out, const appcore_jobs *jobs, const char *id, appcore_error *err)
{
	size_t size;

	*out = NULL;
	if (jobs->dir == NULL) {
		ac_error_set(err, APPCORE_EINTERNAL, "no jobs directory configured");
		return APPCORE_EINTERNAL;
	}
	size = strlen(jobs->dir) + sizeof(AC_JOBS_DIR_NAME) + strlen(id) + 3;
	if ((*out = malloc(size)) == NULL) {
		ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		return APPCORE_ENOMEM;
	}
	snprintf(*out, size, "%s/%s/%s", jobs->dir, AC_JOBS_DIR_NAME, id);
	return APPCORE_OK;
}

int ac_jobs_result_path(char **out, const appcore_jobs *jobs, const char *id,
			unsigned long long chunk, appcore_error *err)
{
	char *dir;
	size_t size;
	int rc = ac_jobs_job_dir(&dir, jobs, id, err);

	if (rc != APPCORE_OK || dir == NULL)
		return rc != APPCORE_OK ? rc : APPCORE_EINTERNAL;
	size = strlen(dir) + 32;
	*out = malloc(size);
	if (*out != NULL)
		snprintf(*out, size, "%s/out/%llu", dir, chunk);
	free(dir);
	return *out != NULL ? APPCORE_OK : ac_error_set(err, APPCORE_ENOMEM, "out of memory");
}

/* path with "." and ".." resolved and repeated slashes dropped, without touching the file
 * system (for an absolute path); NULL for ".." above the root or no memory. */
char *ac_jobs_lexical_path(const char *path)
{
	size_t len = strlen(path), used = 0;
	char *out = malloc(len + 2);
	const char *p = path;

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		size_t part;

		while (*p == '/')
			p++;
		part = strcspn(p, "/");
		if (part == 2 && p[0] == '.' && p[1] == '.') {
			if (used == 0) {
				free(out);
				return NULL;
			}
			while (used > 0 && out[used - 1] != '/')
				used--;
			used--; /* the slash */
		} else if (part > 0 && !(part == 1 && p[0] == '.')) {
			out[used++] = '/';
			memcpy(out + used, p, part);
			used += part;
		}
		p += part;
	}
	if (used == 0)
		out[used++] = '/';
	out[used] = '\0';
	return out;
}

bool ac_jobs_path_under(const char *dir, const char *path)
{
	size_t len = strlen(dir);

	return strncmp(path, dir, len) == 0 && path[len] == '/';
}

/* mkdir -p of the directory part of path (its last component is a file). */
static int make_parents(char *path)
{
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0775) != 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int ac_jobs_write_file_atomic(const char *path, const char *data, size_t len,
			      const char *tmp_suffix, appcore_error *err)
{
	size_t size = strlen(path) + strlen(tmp_suffix) + 8;
	char *tmp = malloc(size);
	int fd, saved;

	if (tmp == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	snprintf(tmp, size, "%s.tmp.%s", path, tmp_suffix);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0664);
	if (fd < 0 && errno == ENOENT && make_parents(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0664);
	if (fd < 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		saved = errno;
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		ac_error_set(err, APPCORE_EIO, "%s: %s", tmp, strerror(saved));
		free(tmp);
		return APPCORE_EIO;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		ac_error_set(err, APPCORE_EIO, "%s: %s", path, strerror(saved));
		free(tmp);
		return APPCORE_EIO;
	}
	free(tmp);
	return APPCORE_OK;
}

/* rm -r; only what the module itself created is ever passed here. */
int ac_jobs_remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *entry;
	int rc = 0;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((entry = readdir(d)) != NULL) {
		char *child;

		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		child = ac_jobs_path_join(path, entry->d_name);
		if (child == NULL || ac_jobs_remove_tree(child) != 0)
			rc = -1;
		free(child);
	}
	closedir(d);
	return rmdir(path) == 0 ? rc : -1;
}
