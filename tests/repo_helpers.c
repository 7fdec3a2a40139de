#define _XOPEN_SOURCE 700 /* nftw */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repo_helpers.h"

static char root[256];

const char *repo_make(void)
{
	const char *tmp = getenv("TMPDIR");

	/* tmpfs when there is one: creating and removing 10,000 directories on a busy disk
	 * takes longer than the test itself */
	if (tmp == NULL)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(root, sizeof(root), "%s/appcore-repo-XXXXXX", tmp);
	ck_assert_msg(mkdtemp(root) != NULL, "mkdtemp: %s", strerror(errno));
	return root;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void repo_remove(void)
{
	if (root[0] != '\0')
		remove_tree(root);
	root[0] = '\0';
}

const char *repo_path(const char *rel)
{
	static char buffers[8][512];
	static int next;
	char *out = buffers[next++ % 8];

	snprintf(out, sizeof(buffers[0]), "%s/%s", root, rel);
	return out;
}

static void make_parents(const char *path)
{
	char copy[512];

	snprintf(copy, sizeof(copy), "%s", path);
	for (char *p = copy + strlen(root) + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(copy, 0755);
		*p = '/';
	}
}

void repo_mkdir(const char *rel)
{
	const char *path = repo_path(rel);

	make_parents(path);
	ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", path,
		      strerror(errno));
}

void repo_write(const char *rel, const char *text)
{
	const char *path = repo_path(rel);
	FILE *f;

	make_parents(path);
	f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

void repo_copy(const char *rel, const char *source, size_t len)
{
	const char *path = repo_path(rel);
	FILE *in = fopen(source, "rb"), *out;
	char buffer[65536];
	size_t n, total = 0;

	ck_assert_msg(in != NULL, "%s: %s", source, strerror(errno));
	make_parents(path);
	out = fopen(path, "wb");
	ck_assert_msg(out != NULL, "%s: %s", path, strerror(errno));
	while ((n = fread(buffer, 1, sizeof(buffer), in)) > 0) {
		if (len != (size_t)-1 && total + n > len)
			n = len - total;
		fwrite(buffer, 1, n, out);
		total += n;
		if (len != (size_t)-1 && total >= len)
			break;
	}
	fclose(in);
	fclose(out);
}

void repo_publish(const char *model, const char *version, const char *source)
{
	char staged[256], final[256];

	snprintf(staged, sizeof(staged), ".staging/%s-%s/model.json", model, version);
	repo_copy(staged, source, (size_t)-1);
	snprintf(staged, sizeof(staged), ".staging/%s-%s", model, version);
	snprintf(final, sizeof(final), "%s/%s", model, version);
	repo_mkdir(model);
	{
		char from[512], to[512];
		snprintf(from, sizeof(from), "%s", repo_path(staged));
		snprintf(to, sizeof(to), "%s", repo_path(final));
		ck_assert_msg(rename(from, to) == 0, "rename %s %s: %s", from, to, strerror(errno));
	}
}

void repo_delete(const char *rel)
{
	remove_tree(repo_path(rel));
}

void repo_on_event(const appcore_repository_event *event, void *data)
{
	struct repo_events *events = data;

	events->count[event->kind]++;
	snprintf(events->last[event->kind], sizeof(events->last[0]), "%s %s %s",
		 event->model ? event->model : "-", event->version ? event->version : "-",
		 event->error ? event->error->message : "");
	{
		size_t used = strlen(events->log);
		snprintf(events->log + used, sizeof(events->log) - used, "%s\n",
			 events->last[event->kind]);
	}
}
