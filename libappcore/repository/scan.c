/* Small pieces of reading a repository directory: names, version numbers, file identity. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "repository/repository_internal.h"

int ac_file_sig_read(struct ac_file_sig *sig, const char *path)
{
	struct stat st;

	memset(sig, 0, sizeof(*sig));
	if (stat(path, &st) != 0)
		return -errno;
	sig->exists = 1;
	sig->regular = S_ISREG(st.st_mode);
	sig->dev = st.st_dev;
	sig->ino = st.st_ino;
	sig->size = st.st_size;
	sig->mtime = st.st_mtim;
	sig->ctime = st.st_ctim;
	return 0;
}

bool ac_file_sig_equal(const struct ac_file_sig *a, const struct ac_file_sig *b)
{
	if (!a->exists || !b->exists)
		return a->exists == b->exists;
	return a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec && a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* Names appear in URLs, metric labels and log lines: keep them to a safe alphabet that
 * starts with a letter or digit (so "_unknown" and ".staging" can never be models). */
bool ac_repo_valid_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > AC_REPO_MAX_NAME)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '-' && c != '.')))
			return false;
	}
	return true;
}

bool ac_repo_parse_version(unsigned long long *number, const char *text)
{
	unsigned long long value = 0;
	size_t i = 0;

	if (text[0] < '1' || text[0] > '9')
		return false; /* empty, "0", a sign or a leading zero */
	for (; text[i] != '\0'; i++) {
		if (text[i] < '0' || text[i] > '9' || i >= 18)
			return false; /* at most 18 digits: fits in a signed 64-bit integer */
		value = value * 10 + (unsigned long long)(text[i] - '0');
	}
	*number = value;
	return true;
}

char *ac_path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *path = malloc(a + b + 2);

	if (path == NULL)
		return NULL;
	memcpy(path, dir, a);
	if (a > 0 && dir[a - 1] != '/')
		path[a++] = '/';
	memcpy(path + a, name, b + 1);
	return path;
}
