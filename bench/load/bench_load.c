/* Model load benchmark: appcore_model_load_file against XGBoost's own loader (the C API
 * behind Python's Booster(model_file=...)), and against a bare Jansson DOM parse of the same
 * file, in the same run.
 *
 *   bench_load [-r ROUNDS] [-x LIBXGBOOST] MODEL...
 *
 * Every measurement runs in a fresh child process (fork), so peak RSS (getrusage's
 * ru_maxrss of the child) belongs to that one load. The loaders alternate within each round
 * (appcore, XGBoost, Jansson, appcore, ...) so that drift on a noisy machine hits them alike.
 * libxgboost is opened with dlopen in the XGBoost children only, so its pages never count
 * against appcore. Prints a Markdown table: best and median load time, the ratio of
 * appcore's time to XGBoost's, and peak RSS above the pre-load baseline relative to the
 * file size. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <appcore.h>

enum loader { APPCORE, XGBOOST, JANSSON, NUM_LOADERS };
static const char *const loader_names[] = { "appcore", "XGBoost 1.7.4", "Jansson DOM" };

struct sample {
	double seconds;
	long baseline_kb; /* VmRSS just before the load */
	long peak_kb;     /* ru_maxrss of the child */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long vm_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

typedef int (*xgb_create_fn)(const void *const *, uint64_t, void **);
typedef int (*xgb_load_fn)(void *, const char *);
typedef const char *(*xgb_error_fn)(void);

static xgb_create_fn create;
static xgb_load_fn load;
static xgb_error_fn last_error;

/* Before the clock starts: opening the library is not part of loading a model. */
static int open_xgboost(const char *lib)
{
	void *so = dlopen(lib, RTLD_NOW | RTLD_LOCAL);

	if (so == NULL) {
		fprintf(stderr, "bench_load: %s\n", dlerror());
		return -1;
	}
	*(void **)&create = dlsym(so, "XGBoosterCreate");
	*(void **)&load = dlsym(so, "XGBoosterLoadModel");
	*(void **)&last_error = dlsym(so, "XGBGetLastError");
	return create && load && last_error ? 0 : -1;
}

static int load_xgboost(const char *path)
{
	void *booster = NULL;

	if (create(NULL, 0, &booster) != 0 || load(booster, path) != 0) {
		fprintf(stderr, "bench_load: XGBoost: %s\n", last_error());
		return -1;
	}
	return 0; /* the process exits right after; freeing is not part of loading */
}

static int load_jansson(const char *path)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	if (root == NULL) {
		fprintf(stderr, "bench_load: Jansson: %s\n", jerr.text);
		return -1;
	}
	return 0;
}

/* In the child: one load, result written to fd. */
static void child(enum loader which, const char *path, const char *lib, int fd)
{
	struct sample s = { 0 };
	appcore_model *model = NULL;
	appcore_error err = { 0 };
	double start;
	int rc;

	if (which == XGBOOST && open_xgboost(lib) != 0)
		_exit(1);
	s.baseline_kb = vm_rss_kb();
	start = now();
	switch (which) {
	case APPCORE:
		rc = appcore_model_load_file(&model, path, NULL, &err);
		if (rc != APPCORE_OK)
			fprintf(stderr, "bench_load: appcore: %s\n", err.message);
		break;
	case XGBOOST:
		rc = load_xgboost(path);
		break;
	default:
		rc = load_jansson(path);
		break;
	}
	s.seconds = now() - start;
	if (rc != 0)
		_exit(1);
	if (write(fd, &s, sizeof(s)) != (ssize_t)sizeof(s))
		_exit(1);
	_exit(0);
}

static int measure(enum loader which, const char *path, const char *lib, struct sample *out)
{
	int fds[2];
	struct rusage usage;
	int status;
	pid_t pid;

	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child(which, path, lib, fds[1]);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], out, sizeof(*out)) != (ssize_t)sizeof(*out)) {
		close(fds[0]);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return -1;
	}
	close(fds[0]);
	if (wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	out->peak_kb = usage.ru_maxrss;
	return 0;
}

/* UBJSON starts with '{' and a length marker where JSON has '"' or whitespace. */
static int is_ubjson(const char *path)
{
	FILE *f = fopen(path, "rb");
	char head[2] = { 0 };
	int ubjson = f && fread(head, 1, 2, f) == 2 && head[0] == '{' && head[1] != '"' &&
		     head[1] != ' ' && head[1] != '\n' && head[1] != '}';

	if (f)
		fclose(f);
	return ubjson;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), compare_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	const char *lib = "libxgboost.so.0";
	int rounds = 5, opt;

	while ((opt = getopt(argc, argv, "r:x:")) != -1) {
		if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'x')
			lib = optarg;
		else
			return 2;
	}
	if (optind >= argc || rounds < 1) {
		fprintf(stderr, "usage: bench_load [-r ROUNDS] [-x LIBXGBOOST] MODEL...\n");
		return 2;
	}
	printf("| file | size | loader | best s | median s | time / XGBoost (median) | peak RSS "
	       "above baseline | / file size | peak RSS (process) |\n");
	printf("|---|---:|---|---:|---:|---:|---:|---:|---:|\n");
	for (int f = optind; f < argc; f++) {
		const char *path = argv[f];
		struct stat st;
		double times[NUM_LOADERS][64], best[NUM_LOADERS], med[NUM_LOADERS];
		long load_kb[NUM_LOADERS] = { 0 }, peak_kb[NUM_LOADERS] = { 0 };
		const char *base = strrchr(path, '/');
		int num_loaders;

		if (stat(path, &st) != 0) {
			fprintf(stderr, "bench_load: %s: %s\n", path, strerror(errno));
			return 1;
		}
		if (rounds > 64)
			rounds = 64;
		num_loaders = is_ubjson(path) ? JANSSON : NUM_LOADERS; /* Jansson reads JSON only */
		for (int r = 0; r < rounds; r++)
			for (int l = 0; l < num_loaders; l++) {
				struct sample s;

				if (measure((enum loader)l, path, lib, &s) != 0) {
					fprintf(stderr, "bench_load: %s failed on %s\n", loader_names[l],
						path);
					return 1;
				}
				times[l][r] = s.seconds;
				/* the largest over rounds: RSS is steady, the worst case is what counts */
				if (s.peak_kb - s.baseline_kb > load_kb[l])
					load_kb[l] = s.peak_kb - s.baseline_kb;
				if (s.peak_kb > peak_kb[l])
					peak_kb[l] = s.peak_kb;
			}
		for (int l = 0; l < num_loaders; l++) {
			best[l] = times[l][0];
			for (int r = 1; r < rounds; r++)
				best[l] = times[l][r] < best[l] ? times[l][r] : best[l];
			med[l] = median(times[l], rounds);
		}
		for (int l = 0; l < num_loaders; l++)
			printf("| %s | %.1f MB | %s | %.3f | %.3f | %.2f | %.1f MB | %.2f | %.1f MB |\n",
			       base ? base + 1 : path, (double)st.st_size / 1e6, loader_names[l], best[l],
			       med[l], med[l] / med[XGBOOST], (double)load_kb[l] * 1024 / 1e6,
			       (double)load_kb[l] * 1024 / (double)st.st_size,
			       (double)peak_kb[l] * 1024 / 1e6);
		fflush(stdout);
	}
	return 0;
}
