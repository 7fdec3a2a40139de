/* appcore_repository_get() latency while versions are swapped as fast as the repository can
 * load them, against the same lookups without swaps, in alternating phases of one run: the
 * library's view of "a swap costs a request nothing" (bench/repository.sh measures it over
 * HTTP). Two reader threads look the model up and drop the reference in a loop, timing each
 * lookup; in the swap phases a writer thread publishes a new version (copy to a staging
 * directory, rename into place), reloads, and removes the old one, without pause.
 *
 *   bench_lookup MODEL [SECONDS_PER_PHASE] [ROUNDS]
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <appcore.h>

#define READERS 2
#define SAMPLES (1 << 20)

static char root[256];
static const char *model_path;
static appcore_repository *repo;
static atomic_int stop;
static atomic_long swaps;

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buffer[65536];
	size_t n;

	if (in == NULL || out == NULL) {
		perror("copy");
		exit(1);
	}
	while ((n = fread(buffer, 1, sizeof(buffer), in)) > 0)
		fwrite(buffer, 1, n, out);
	fclose(in);
	fclose(out);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void publish(long version)
{
	char staged[512], file[600], final[512];

	snprintf(staged, sizeof(staged), "%s/.staging-%ld", root, version);
	mkdir(staged, 0755);
	snprintf(file, sizeof(file), "%s/model.json", staged);
	copy_file(model_path, file);
	snprintf(final, sizeof(final), "%s/m/%ld", root, version);
	if (rename(staged, final) != 0) {
		perror("rename");
		exit(1);
	}
}

static void *writer(void *arg)
{
	long version = *(long *)arg;
	appcore_error err;

	while (!atomic_load(&stop)) {
		char old[512];

		publish(++version);
		if (appcore_repository_reload(repo, &err) != APPCORE_OK) {
			fprintf(stderr, "reload: %s\n", err.message);
			exit(1);
		}
		snprintf(old, sizeof(old), "%s/m/%ld", root, version - 1);
		nftw(old, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
		atomic_fetch_add(&swaps, 1);
	}
	*(long *)arg = version;
	return NULL;
}

struct reader {
	pthread_t thread;
	long long *samples;
	size_t count;
	long failures;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;

	while (!atomic_load(&stop)) {
		appcore_model *model = NULL;
		long long start = now_ns();
		int rc = appcore_repository_get(&model, repo, "m", NULL, NULL);

		appcore_model_unref(model);
		if (rc != APPCORE_OK)
			r->failures++;
		r->samples[r->count % SAMPLES] = now_ns() - start;
		r->count++;
	}
	return NULL;
}

static int compare(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

static void phase(const char *name, double seconds, int with_swaps, long *version)
{
	struct reader readers[READERS];
	pthread_t swapper;
	long long *all;
	size_t total = 0, kept = 0;
	long failures = 0;
	struct timespec pause = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };

	atomic_store(&stop, 0);
	atomic_store(&swaps, 0);
	for (int i = 0; i < READERS; i++) {
		readers[i].samples = malloc(SAMPLES * sizeof(long long));
		readers[i].count = 0;
		readers[i].failures = 0;
		pthread_create(&readers[i].thread, NULL, read_loop, &readers[i]);
	}
	if (with_swaps)
		pthread_create(&swapper, NULL, writer, version);
	nanosleep(&pause, NULL);
	atomic_store(&stop, 1);
	if (with_swaps)
		pthread_join(swapper, NULL);
	all = malloc(READERS * SAMPLES * sizeof(long long));
	for (int i = 0; i < READERS; i++) {
		size_t n = readers[i].count < SAMPLES ? readers[i].count : SAMPLES;
		pthread_join(readers[i].thread, NULL);
		memcpy(all + kept, readers[i].samples, n * sizeof(long long));
		kept += n;
		total += readers[i].count;
		failures += readers[i].failures;
		free(readers[i].samples);
	}
	qsort(all, kept, sizeof(long long), compare);
	printf("| %s | %.1f | %lld | %lld | %lld | %lld | %ld | %ld |\n", name,
	       (double)total / seconds / 1e6, all[kept / 2], all[kept * 99 / 100],
	       all[kept * 999 / 1000], all[kept - 1], atomic_load(&swaps), failures);
	free(all);
}

int main(int argc, char **argv)
{
	appcore_repository_options options = APPCORE_REPOSITORY_OPTIONS_INIT;
	double seconds = argc > 2 ? atof(argv[2]) : 3.0;
	int rounds = argc > 3 ? atoi(argv[3]) : 3;
	appcore_error err;
	char dir[300];
	long version = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_lookup MODEL [SECONDS_PER_PHASE] [ROUNDS]\n");
		return 2;
	}
	model_path = argv[1];
	snprintf(root, sizeof(root), "%s/appcore-bench-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/m", root);
	mkdir(dir, 0755);
	publish(version);
	options.path = root;
	if (appcore_repository_new(&repo, &options, &err) != APPCORE_OK ||
	    appcore_repository_reload(repo, &err) != APPCORE_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	printf("| phase | lookups/s (M) | p50 ns | p99 ns | p99.9 ns | max ns | swaps | failed "
	       "lookups |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int r = 0; r < rounds; r++) {
		phase("without swaps", seconds, 0, &version);
		phase("with swaps", seconds, 1, &version);
	}
	appcore_repository_free(repo);
	nftw(root, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}
