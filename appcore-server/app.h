/* The state shared by every request handler: configuration, the model, the
 * metrics handles and the lifecycle flags. Built once in main() before the
 * HTTP workers start; afterwards only the atomics change. */
#ifndef APPCORE_SERVER_APP_H
#define APPCORE_SERVER_APP_H

#include <stdatomic.h>
#include <stddef.h>

#include <appcore.h>

#include "auth.h"
#include "front.h"
#include "server_metrics.h"
#include "settings.h"

struct app {
	appcore_config *config;
	struct server_settings settings;
	appcore_logger *log;
	appcore_predict_options predict_options;
	size_t max_body_bytes;
	int access_log;
	int metrics_enabled;
	/* server.api_keys_file: when keys are loaded, /predict and /model (and
	 * /metrics if metrics.require_api_key) need "Authorization: Bearer". */
	struct auth_keys api_keys;
	int metrics_require_key;

	/* Published once the model has loaded; NULL before (then /ready and
	 * /predict answer 503). Read with acquire so handlers see a complete model. */
	_Atomic(appcore_model *) model;
	/* Set by the signal thread: /ready turns 503 and every response asks the
	 * client to close its connection. */
	atomic_int draining;
	atomic_long in_flight;
	/* CLOCK_MONOTONIC nanoseconds when the last request finished: draining
	 * waits for a quiet moment, not just for zero in flight, because a
	 * keep-alive client may already have sent its next request. */
	atomic_llong last_finish_ns;

	struct server_metrics metrics;
	/* The HTTP front (front.h): listeners, connection registry, drain. */
	struct front *front;
};

static inline appcore_model *app_model(struct app *app)
{
	return atomic_load_explicit(&app->model, memory_order_acquire);
}

#endif
