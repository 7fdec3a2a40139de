/* The standard process_* metrics, read from /proc when the registry renders. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/error_internal.h"
#include "metrics/metrics_internal.h"

struct proc_stat {
	double utime_ticks, stime_ticks, start_ticks, vsize, rss_pages;
};

/* /proc/self/stat: the command name may contain spaces and parentheses, so
 * fields are counted from the last ')'. */
static int read_proc_stat(struct proc_stat *out)
{
	char text[2048];
	size_t n;
	FILE *f = fopen("/proc/self/stat", "r");
	char *p;
	char *save = NULL;
	int field = 3;

	if (f == NULL)
		return -1;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	p = strrchr(text, ')');
	if (p == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	for (p = strtok_r(p + 1, " ", &save); p != NULL; p = strtok_r(NULL, " ", &save), field++) {
		double v = strtod(p, NULL);
		if (field == 14)
			out->utime_ticks = v;
		else if (field == 15)
			out->stime_ticks = v;
		else if (field == 22)
			out->start_ticks = v;
		else if (field == 23)
			out->vsize = v;
		else if (field == 24) {
			out->rss_pages = v;
			return 0;
		}
	}
	return -1;
}

static double boot_time(void)
{
	char line[256];
	double btime = 0;
	FILE *f = fopen("/proc/stat", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "btime ", 6) == 0) {
			btime = strtod(line + 6, NULL);
			break;
		}
	fclose(f);
	return btime;
}

static appcore_metrics_series *only_series(appcore_metrics_family *metric)
{
	return atomic_load_explicit(&metric->series, memory_order_acquire);
}

static void collect_cpu(appcore_metrics_family *metric)
{
	struct proc_stat st;
	if (read_proc_stat(&st) == 0)
		ac_series_store(only_series(metric),
				(st.utime_ticks + st.stime_ticks) / (double)sysconf(_SC_CLK_TCK));
}

static void collect_rss(appcore_metrics_family *metric)
{
	struct proc_stat st;
	if (read_proc_stat(&st) == 0)
		ac_series_store(only_series(metric), st.rss_pages * (double)sysconf(_SC_PAGESIZE));
}

static void collect_vsize(appcore_metrics_family *metric)
{
	struct proc_stat st;
	if (read_proc_stat(&st) == 0)
		ac_series_store(only_series(metric), st.vsize);
}

static void collect_start(appcore_metrics_family *metric)
{
	struct proc_stat st;
	if (read_proc_stat(&st) == 0)
		ac_series_store(only_series(metric),
				boot_time() + st.start_ticks / (double)sysconf(_SC_CLK_TCK));
}

static void collect_open_fds(appcore_metrics_family *metric)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *entry;
	double count = 0;

	if (dir == NULL)
		return;
	while ((entry = readdir(dir)) != NULL)
		if (entry->d_name[0] != '.')
			count++;
	closedir(dir);
	/* the directory stream itself held one descriptor */
	ac_series_store(only_series(metric), count - 1);
}

static void collect_max_fds(appcore_metrics_family *metric)
{
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
		ac_series_store(only_series(metric),
				limit.rlim_cur == RLIM_INFINITY ? -1.0 : (double)limit.rlim_cur);
}

int appcore_metrics_add_process_collector(appcore_metrics *metrics, appcore_error *err)
{
	static const struct {
		const char *name;
		const char *help;
		enum ac_metric_type type;
		void (*collect)(appcore_metrics_family *);
	} collectors[] = {
		{ "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
		  AC_METRIC_COUNTER, collect_cpu },
		{ "process_resident_memory_bytes", "Resident memory size in bytes.",
		  AC_METRIC_GAUGE, collect_rss },
		{ "process_virtual_memory_bytes", "Virtual memory size in bytes.", AC_METRIC_GAUGE,
		  collect_vsize },
		{ "process_start_time_seconds",
		  "Start time of the process since unix epoch in seconds.", AC_METRIC_GAUGE,
		  collect_start },
		{ "process_open_fds", "Number of open file descriptors.", AC_METRIC_GAUGE,
		  collect_open_fds },
		{ "process_max_fds", "Maximum number of open file descriptors.", AC_METRIC_GAUGE,
		  collect_max_fds },
	};
	size_t n = sizeof(collectors) / sizeof(collectors[0]);
	int rc = APPCORE_OK;

	if (metrics == NULL)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_metrics_add_process_collector: metrics is NULL");
	pthread_mutex_lock(&metrics->lock);
	/* all or nothing: check every name before registering any */
	for (size_t i = 0; i < n && rc == APPCORE_OK; i++)
		for (size_t j = 0; j < metrics->num_families; j++)
			if (strcmp(metrics->families[j]->name, collectors[i].name) == 0) {
				rc = ac_error_set(err, APPCORE_EEXISTS,
						  "%s: metric already registered",
						  collectors[i].name);
				break;
			}
	for (size_t i = 0; i < n && rc == APPCORE_OK; i++) {
		appcore_metrics_family *metric = NULL;
		rc = ac_metrics_register_locked(&metric, metrics, collectors[i].type,
						collectors[i].name, collectors[i].help, NULL, 0,
						NULL, 0, err);
		if (rc == APPCORE_OK)
			metric->collect = collectors[i].collect;
	}
	pthread_mutex_unlock(&metrics->lock);
	return rc;
}
