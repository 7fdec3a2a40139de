/* appcore-cli worker: score batch-job chunks from Redis until SIGTERM or SIGINT.
 *
 * Threads: jobs.worker_threads loops, each one Redis consumer (appcore_jobs_worker_step) that
 * holds no chunk between steps. The signals are blocked in every thread and taken by the main
 * thread with sigwait(), which then tells the loops to stop after their current step: a chunk
 * being scored is finished and recorded first. Redis being down is logged once per outage and
 * retried with exponential backoff (0.1 s doubling to 5 s); the loops never exit on it. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <appcore.h>

#include "cli_options.h"
#include "commands.h"
#include "model_arg.h"

#define WAIT_MS 1000
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
/* Expired jobs' files are swept this often (by the first loop), once a day untouched. */
#define SWEEP_EVERY_S 600
#define SWEEP_MIN_AGE_S 86400

static const char usage[] =
    "Usage: appcore-cli worker [OPTION]...\n"
    "Score batch jobs (POST /v1/jobs on appcore-server) from Redis until SIGTERM or SIGINT;\n"
    "run any number of workers on any number of machines. Configured as appcore-server is:\n"
    "the jobs section (jobs.redis_url, jobs.dir, jobs.worker_threads, ...), the models (a\n"
    "repository, model_repository.path, or one file, model.path) and logging come from\n"
    "--config PATH, else\n"
    "$APPCORE_CONFIG, plus APPCORE_* environment overrides, plus these flags. On SIGTERM the\n"
    "chunks being scored are finished and recorded, then the worker exits 0.\n"
    "\n"
    "  -c, --config PATH      configuration file (YAML)\n"
    "  -m, --model PATH       model file (model.path)\n"
    "  -r, --model-repository DIR\n"
    "                         a model repository, as appcore-server's (model_repository.path)\n"
    "      --redis-url URL    Redis holding the jobs (jobs.redis_url)\n"
    "      --jobs-dir DIR     directory shared with the server (jobs.dir)\n"
    "  -t, --threads N        chunks scored at once (jobs.worker_threads)\n"
    "  -h, --help             show this help\n"
    "Exit codes: 0 stopped by a signal, 1 failure, 2 usage error, 4 bad model.\n";

struct shared {
	appcore_jobs *jobs;
	appcore_logger *log;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	atomic_int stop;
};

struct loop {
	struct shared *shared;
	int index;
	int exit_code;
};

/* Wait up to ms unless told to stop. Returns nonzero when stopping. */
static int pause_ms(struct shared *s, long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	while (!atomic_load(&s->stop) &&
	       pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&s->lock);
	return atomic_load(&s->stop);
}

static void log_step(const struct loop *l, const char *worker, const appcore_jobs_step *step)
{
	appcore_logger *log = l->shared->log;

	if (step->event == APPCORE_JOBS_JOB_FAILED) {
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("job", step->job_id),
			APPCORE_LOG_INT("chunk", (long long)step->chunk),
			APPCORE_LOG_STR("code", appcore_error_name(step->error.code)),
			APPCORE_LOG_STR("error", step->error.message),
			APPCORE_LOG_STR("worker", worker),
		};
		appcore_log(log, APPCORE_LOG_WARN, "job failed", fields, 5);
		return;
	}
	if (step->event == APPCORE_JOBS_IDLE)
		return;
	if (appcore_log_enabled(log, APPCORE_LOG_DEBUG)) {
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("job", step->job_id),
			APPCORE_LOG_INT("chunk", (long long)step->chunk),
			APPCORE_LOG_INT("rows", (long long)step->rows),
			APPCORE_LOG_BOOL("reclaimed", step->reclaimed),
			APPCORE_LOG_STR("event", step->event == APPCORE_JOBS_CHUNK_DONE ? "done"
											 : "skipped"),
			APPCORE_LOG_FLOAT("duration_ms", step->seconds * 1000.0),
			APPCORE_LOG_STR("worker", worker),
		};
		appcore_log(log, APPCORE_LOG_DEBUG, "chunk", fields, 7);
	}
	if (step->event == APPCORE_JOBS_CHUNK_DONE && step->job_state == APPCORE_JOB_SUCCEEDED) {
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("job", step->job_id),
			APPCORE_LOG_STR("worker", worker),
		};
		appcore_log(log, APPCORE_LOG_INFO, "job succeeded", fields, 2);
	}
}

static void *run_loop(void *arg)
{
	struct loop *l = arg;
	struct shared *s = l->shared;
	appcore_jobs_worker *worker = NULL;
	appcore_jobs_step step;
	appcore_error err;
	long backoff = BACKOFF_FIRST_MS;
	time_t next_sweep = time(NULL) + SWEEP_EVERY_S;
	int down = 0;

	if (appcore_jobs_worker_new(&worker, s->jobs, NULL, &err) != APPCORE_OK) {
		appcore_log_field fields[] = { APPCORE_LOG_STR("error", err.message) };
		appcore_log(s->log, APPCORE_LOG_ERROR, "worker not started", fields, 1);
		l->exit_code = CLI_EXIT_FAILURE;
		return NULL;
	}
	while (!atomic_load(&s->stop)) {
		int rc = appcore_jobs_worker_step(&step, worker, WAIT_MS, &err);

		if (rc == APPCORE_OK) {
			if (down) {
				appcore_log_field fields[] = {
					APPCORE_LOG_STR("worker", appcore_jobs_worker_name(worker)),
				};
				appcore_log(s->log, APPCORE_LOG_INFO, "job store reachable again",
					    fields, 1);
			}
			down = 0;
			backoff = BACKOFF_FIRST_MS;
			log_step(l, appcore_jobs_worker_name(worker), &step);
			if (l->index == 0 && time(NULL) >= next_sweep) {
				next_sweep = time(NULL) + SWEEP_EVERY_S;
				appcore_jobs_sweep(NULL, s->jobs, SWEEP_MIN_AGE_S, NULL);
			}
			continue;
		}
		/* an outage is logged once; any other failure every time */
		if (rc != APPCORE_EUNAVAILABLE || !down) {
			appcore_log_field fields[] = {
				APPCORE_LOG_STR("worker", appcore_jobs_worker_name(worker)),
				APPCORE_LOG_STR("code", appcore_error_name(err.code)),
				APPCORE_LOG_STR("error", err.message),
				APPCORE_LOG_INT("retry_ms", backoff),
			};
			appcore_log(s->log, rc == APPCORE_EUNAVAILABLE ? APPCORE_LOG_WARN
								       : APPCORE_LOG_ERROR,
				    rc == APPCORE_EUNAVAILABLE ? "job store unavailable, retrying"
							       : "worker step failed, retrying",
				    fields, 4);
		}
		down = rc == APPCORE_EUNAVAILABLE;
		if (pause_ms(s, backoff))
			break;
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	appcore_jobs_worker_free(worker);
	return NULL;
}

/* The Redis URL without its password, for the log. */
static void redacted_url(char *out, size_t size, const char *url)
{
	const char *at = strrchr(url, '@'), *scheme = strstr(url, "://");

	if (at != NULL && scheme != NULL && scheme < at)
		snprintf(out, size, "%.*s***%s", (int)(scheme + 3 - url), url, at);
	else
		snprintf(out, size, "%s", url);
}

static int make_logger(appcore_logger **log, const appcore_config *config)
{
	appcore_log_level level = APPCORE_LOG_INFO;
	const char *level_name = "info", *format = "json";
	appcore_error err;

	appcore_config_get_string(&level_name, config, "logging.level", NULL);
	appcore_config_get_string(&format, config, "logging.format", NULL);
	appcore_log_level_parse(&level, level_name);
	if (appcore_logger_new(log, 2, level,
			       strcmp(format, "text") == 0 ? APPCORE_LOG_TEXT : APPCORE_LOG_JSON,
			       &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-cli worker: %s\n", err.message);
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

/* The model a job names, from the worker's repository (an empty version is the current one). */
static int resolve_model(appcore_model **out, void *ctx, const char *name, const char *version,
			 appcore_error *err)
{
	return appcore_repository_get(out, ctx, name,
				      version != NULL && version[0] != '\0' ? version : NULL, err);
}

/* Run the loops until a stop signal; returns the exit code. */
static int serve(appcore_jobs *jobs, appcore_logger *log, appcore_repository *models,
		 long threads, const char *redis_url)
{
	struct shared shared = { jobs, log, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	struct loop *loops = calloc((size_t)threads, sizeof(*loops));
	pthread_t *ids = calloc((size_t)threads, sizeof(*ids));
	sigset_t signals;
	char redis[512];
	long started = 0;
	int signal_number = 0, exit_code = CLI_EXIT_OK;

	if (loops == NULL || ids == NULL) {
		free(loops);
		free(ids);
		fprintf(stderr, "appcore-cli worker: out of memory\n");
		return CLI_EXIT_FAILURE;
	}
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (; started < threads; started++) {
		loops[started] = (struct loop){ &shared, (int)started, CLI_EXIT_OK };
		if (pthread_create(&ids[started], NULL, run_loop, &loops[started]) != 0)
			break;
	}
	redacted_url(redis, sizeof(redis), redis_url);
	{
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("version", appcore_version()),
			APPCORE_LOG_STR("redis", redis),
			APPCORE_LOG_INT("threads", started),
			APPCORE_LOG_INT("models", (long long)appcore_repository_num_ready(models)),
		};
		appcore_log(log, APPCORE_LOG_INFO, "worker started", fields, 4);
	}
	if (started < threads) {
		exit_code = CLI_EXIT_FAILURE;
		appcore_log(log, APPCORE_LOG_ERROR, "cannot start a thread", NULL, 0);
	} else {
		while (sigwait(&signals, &signal_number) != 0)
			;
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"),
		};
		appcore_log(log, APPCORE_LOG_INFO, "worker stopping", fields, 1);
	}
	pthread_mutex_lock(&shared.lock);
	atomic_store(&shared.stop, 1);
	pthread_cond_broadcast(&shared.wake);
	pthread_mutex_unlock(&shared.lock);
	for (long i = 0; i < started; i++) {
		pthread_join(ids[i], NULL);
		if (loops[i].exit_code != CLI_EXIT_OK)
			exit_code = loops[i].exit_code;
	}
	appcore_log(log, APPCORE_LOG_INFO, "worker stopped", NULL, 0);
	free(loops);
	free(ids);
	return exit_code;
}

int cmd_worker(int argc, char **argv)
{
	enum { OPT_REDIS = 256, OPT_DIR };
	static const struct option long_options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "model", required_argument, NULL, 'm' },
		{ "model-repository", required_argument, NULL, 'r' },
		{ "redis-url", required_argument, NULL, OPT_REDIS },
		{ "jobs-dir", required_argument, NULL, OPT_DIR },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_flag flags[6] = { { NULL, NULL } };
	const char *model_path = NULL, *config_path = NULL, *repository_path = NULL;
	const char *redis_url = NULL, *jobs_dir = NULL, *threads_text = NULL;
	appcore_jobs_options options = APPCORE_JOBS_OPTIONS_INIT;
	appcore_config *config = NULL;
	appcore_logger *log = NULL;
	appcore_jobs *jobs = NULL;
	appcore_repository_options repo_options = APPCORE_REPOSITORY_OPTIONS_INIT;
	appcore_repository *models = NULL;
	long long threads = 1, poll_seconds = 0;
	appcore_error err;
	int opt, n = 0, rc;

	while ((opt = cli_getopt(argc, argv, ":c:m:r:t:h", long_options, "worker")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'm':
			model_path = optarg;
			break;
		case 'r':
			repository_path = optarg;
			break;
		case OPT_REDIS:
			redis_url = optarg;
			break;
		case OPT_DIR:
			jobs_dir = optarg;
			break;
		case 't':
			threads_text = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (redis_url != NULL)
		flags[n++] = (struct cli_flag){ "jobs.redis_url", redis_url };
	if (jobs_dir != NULL)
		flags[n++] = (struct cli_flag){ "jobs.dir", jobs_dir };
	if (threads_text != NULL)
		flags[n++] = (struct cli_flag){ "jobs.worker_threads", threads_text };
	if (model_path != NULL)
		flags[n++] = (struct cli_flag){ "model.path", model_path };
	if (repository_path != NULL)
		flags[n++] = (struct cli_flag){ "model_repository.path", repository_path };
	if ((rc = cli_operands(argc, argv, 0, "worker")) != 0)
		return rc;
	if ((rc = cli_load_config(&config, "worker", config_path, flags)) != CLI_EXIT_OK)
		return rc;
	if ((rc = make_logger(&log, config)) != CLI_EXIT_OK)
		goto out;
	rc = CLI_EXIT_FAILURE;
	if (appcore_jobs_options_from_config(&options, config, &err) != APPCORE_OK ||
	    appcore_config_get_int(&threads, config, "jobs.worker_threads", &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-cli worker: %s\n", err.message);
		goto out;
	}
	if (options.redis_url[0] == '\0') {
		fprintf(stderr, "appcore-cli worker: jobs.redis_url is empty: set it in the "
				"configuration, with APPCORE_JOBS_REDIS_URL or --redis-url\n");
		goto out;
	}
	/* the models as the server serves them: a repository directory, or the one model file */
	if (appcore_config_get_string(&repo_options.path, config, "model_repository.path", &err) !=
		    APPCORE_OK ||
	    appcore_config_get_int(&poll_seconds, config, "model_repository.poll_seconds", &err) !=
		    APPCORE_OK) {
		fprintf(stderr, "appcore-cli worker: %s\n", err.message);
		goto out;
	}
	if (repo_options.path[0] == '\0')
		repo_options.path = NULL;
	repo_options.poll_seconds = (double)poll_seconds;
	if (appcore_repository_new(&models, &repo_options, &err) != APPCORE_OK ||
	    (repo_options.path != NULL ? appcore_repository_reload(models, &err)
				       : appcore_repository_add_configured(models, config, &err)) !=
		    APPCORE_OK) {
		fprintf(stderr, "appcore-cli worker: %s\n", err.message);
		rc = err.code == APPCORE_ENOMEM ? CLI_EXIT_FAILURE : CLI_EXIT_BAD_MODEL;
		goto out;
	}
	options.resolve = resolve_model;
	options.resolve_ctx = models;
	if (appcore_jobs_open(&jobs, &options, &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-cli worker: %s\n", err.message);
		goto out;
	}
	rc = serve(jobs, log, models, (long)threads, options.redis_url);
out:
	appcore_jobs_close(jobs);
	appcore_repository_free(models);
	appcore_logger_free(log);
	appcore_config_free(config);
	return rc;
}
