/* Runs a fuzz target over files (its seed corpus and saved crash inputs)
 * without libFuzzer, so every ordinary test run replays them. Arguments are
 * files or directories (every regular file in them except README.md; a
 * missing directory has nothing to replay). It runs the inputs in this one
 * process, so valgrind wrapping the test sees every one. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *file = fopen(path, "rb");
	unsigned char *data;
	long size;

	if (file == NULL || fseek(file, 0, SEEK_END) != 0 || (size = ftell(file)) < 0 ||
	    fseek(file, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: cannot read\n", path);
		if (file != NULL)
			fclose(file);
		return -1;
	}
	data = malloc((size_t)size + 1);
	if (data == NULL || fread(data, 1, (size_t)size, file) != (size_t)size) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(data);
		fclose(file);
		return -1;
	}
	fclose(file);
	LLVMFuzzerTestOneInput(data, (size_t)size);
	free(data);
	return 0;
}

static int replay_dir(const char *dir, int *count)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	char path[4096];

	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((entry = readdir(d)) != NULL) {
		struct stat st;

		if (entry->d_name[0] == '.' || strcmp(entry->d_name, "README.md") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (replay_file(path) != 0) {
			closedir(d);
			return -1;
		}
		(*count)++;
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	int count = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		int rc;

		if (stat(argv[i], &st) != 0) {
			rc = errno == ENOENT ? 0 : -1; /* e.g. no regressions/<target>/ yet */
		} else if (S_ISDIR(st.st_mode)) {
			rc = replay_dir(argv[i], &count);
		} else {
			rc = replay_file(argv[i]);
			count++;
		}
		if (rc != 0) {
			fprintf(stderr, "%s: cannot replay\n", argv[i]);
			return 1;
		}
	}
	if (count == 0) {
		fprintf(stderr, "no inputs to replay\n");
		return 1;
	}
	printf("replayed %d inputs\n", count);
	return 0;
}
