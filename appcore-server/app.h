/* The state shared by every request handler: configuration, the model
 * repository, the metrics handles and the lifecycle flags. Built once in main()
 * before the HTTP workers start; afterwards only the atomics change (the
 * repository changes its models itself, without locks on the request path). */
#ifndef APPCORE_SERVER_APP_H
#define APPCORE_SERVER_APP_H

#include <stdatomic.h>
#include <stddef.h>

#include <appcore.h>

#include "auth.h"
#include "model_metrics.h"
#include "front.h"
#include "server_metrics.h"
#include "settings.h"

struct app {
	appcore_config *config;
	struct server_settings settings;
	appcore_logger *log;
	appcore_predict_options predict_options;
	/* model.predict_threads: scores large batches on several cores (NULL: one). A request
	 * that finds it busy scores on its own thread, so it never queues behind another. */
	appcore_pool *predict_pool;
	size_t max_body_bytes;
	int access_log;
	int metrics_enabled;
	/* server.api_keys_file: when keys are loaded, /predict and /model (and
	 * /metrics if metrics.require_api_key) need "Authorization: Bearer". */
	struct auth_keys api_keys;
	int metrics_require_key;

	/* The models served: a directory (model_repository.path) or the one
	 * model.path. Created before the HTTP workers start; loads run on the main
	 * thread, the repository's polling thread and load/unload requests. */
	appcore_repository *repository;
	int from_directory;
	/* Set once the first load has finished: until then every route but the
	 * live ones (routes.c) answers 503. */
	atomic_int ready;
	/* Set by the signal thread: /ready turns 503 and every response asks the
	 * client to close its connection. */
	atomic_int draining;
	atomic_long in_flight;
	/* CLOCK_MONOTONIC nanoseconds when the last request finished: draining
	 * waits for a quiet moment, not just for zero in flight, because a
	 * keep-alive client may already have sent its next request. */
	atomic_llong last_finish_ns;

	struct server_metrics metrics;
	struct model_metrics model_metrics;
	/* prediction_log.enabled: every answered prediction is recorded (prediction_log.c) */
	appcore_predlog *predlog;

	/* Batch jobs (jobs_service.h); NULL when jobs.redis_url is empty. */
	struct jobs_service *jobs;
	/* The HTTP front (front.h): listeners, connection registry, drain. */
	struct front *front;
};

#endif
