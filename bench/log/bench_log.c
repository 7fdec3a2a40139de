/* Cost of one access-log record (the line appcore-server writes per request),
 * in records per second per thread, against a reference measured in the same
 * run: the same JSON line built with one snprintf (timestamp via
 * clock_gettime + gmtime_r + strftime, no escaping) and written with write(2).
 * Both write to /dev/null so the device does not dominate.
 *
 *   bench_log [THREADS] [SECONDS]      defaults: 1 and 2 threads, 1 second each
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <appcore.h>

struct job {
	int fd;
	appcore_logger *logger;
	int reference;
	int filtered; /* a debug record under an info logger: the cost of a disabled level */
	double seconds;
	unsigned long long records;
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void reference_record(int fd, int status, double duration_ms)
{
	char line[512];
	char ts[32];
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	int n = snprintf(line, sizeof(line),
			 "{\"ts\":\"%s.%06ldZ\",\"level\":\"info\",\"msg\":\"request\","
			 "\"request_id\":\"%s\",\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,"
			 "\"duration_ms\":%.3f,\"bytes_in\":%d,\"bytes_out\":%d,\"remote\":\"%s\"}\n",
			 ts, now.tv_nsec / 1000, "c0ffee-0001", "POST", "/predict", status,
			 duration_ms, 123, 45, "127.0.0.1");
	if (write(fd, line, (size_t)n) < 0)
		abort();
}

static void appcore_record(appcore_logger *logger, appcore_log_level level, int status,
			   double duration_ms)
{
	appcore_log_field fields[] = {
		APPCORE_LOG_STR("request_id", "c0ffee-0001"), APPCORE_LOG_STR("method", "POST"),
		APPCORE_LOG_STR("path", "/predict"),          APPCORE_LOG_INT("status", status),
		APPCORE_LOG_FLOAT("duration_ms", duration_ms), APPCORE_LOG_INT("bytes_in", 123),
		APPCORE_LOG_INT("bytes_out", 45),             APPCORE_LOG_STR("remote", "127.0.0.1"),
	};
	appcore_log(logger, level, "request", fields, sizeof(fields) / sizeof(fields[0]));
}

static void *run(void *arg)
{
	struct job *job = arg;
	double start = now_seconds(), end = start + job->seconds;
	unsigned long long n = 0;

	while (1) {
		/* check the clock every 1024 records so it does not weigh on the figure */
		for (int i = 0; i < 1024; i++, n++) {
			/* as the server computes it: elapsed nanoseconds / 1e6 */
			double duration = (double)(143217 + (n & 1023) * 977) / 1e6;
			if (job->reference)
				reference_record(job->fd, 200, duration);
			else
				appcore_record(job->logger,
					       job->filtered ? APPCORE_LOG_DEBUG : APPCORE_LOG_INFO,
					       200, duration);
		}
		double t = now_seconds();
		if (t >= end) {
			job->seconds = t - start;
			break;
		}
	}
	job->records = n;
	return NULL;
}

/* Records per second per thread. */
static double measure(int threads, double seconds, int reference, int filtered, int fd,
		      appcore_logger *logger)
{
	pthread_t tid[64];
	struct job jobs[64];
	double total = 0;

	for (int i = 0; i < threads; i++) {
		jobs[i] = (struct job){ fd, logger, reference, filtered, seconds, 0 };
		if (pthread_create(&tid[i], NULL, run, &jobs[i]) != 0)
			abort();
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		total += (double)jobs[i].records / jobs[i].seconds;
	}
	return total / threads;
}

int main(int argc, char **argv)
{
	int max_threads = argc > 1 ? atoi(argv[1]) : 2;
	double seconds = argc > 2 ? atof(argv[2]) : 1.0;
	appcore_logger *logger = NULL;
	int fd = open("/dev/null", O_WRONLY);

	if (fd < 0 || max_threads < 1 || max_threads > 64 || !(seconds > 0) ||
	    appcore_logger_new(&logger, fd, APPCORE_LOG_INFO, APPCORE_LOG_JSON, NULL) != APPCORE_OK) {
		fprintf(stderr, "usage: bench_log [THREADS 1..64] [SECONDS]\n");
		return 2;
	}
	printf("access-log record to /dev/null, %.1f s per measurement\n", seconds);
	printf("%-8s %16s %16s %8s %12s %16s\n", "threads", "appcore rec/s", "snprintf rec/s",
	       "ratio", "ns/record", "filtered rec/s");
	for (int threads = 1; threads <= max_threads; threads++) {
		/* interleave so drift hits both alike */
		double ref = measure(threads, seconds / 2, 1, 0, fd, logger);
		double ours = measure(threads, seconds, 0, 0, fd, logger);
		ref = (ref + measure(threads, seconds / 2, 1, 0, fd, logger)) / 2;
		double filtered = measure(threads, seconds / 4, 0, 1, fd, logger);
		printf("%-8d %16.0f %16.0f %8.2f %12.0f %16.0f\n", threads, ours, ref, ours / ref,
		       1e9 / ours, filtered);
	}
	appcore_logger_free(logger);
	close(fd);
	return 0;
}
