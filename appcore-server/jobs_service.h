/* Batch jobs in appcore-server (docs/jobs.md): the job store client the /v1/jobs handlers
 * use (handlers_jobs.c), the model lookup it is given, and the thread that copies the store's
 * job counts into the server's metrics. Off (NULL) when jobs.redis_url is empty. */
#ifndef APPCORE_SERVER_JOBS_SERVICE_H
#define APPCORE_SERVER_JOBS_SERVICE_H

#include <appcore.h>

struct app;
struct jobs_service;

/* Start the service if jobs.redis_url is set: *out stays NULL when jobs are off. Redis need
 * not be up (submissions answer 503 until it is). Reads jobs.* from app->config; registers
 * its metrics in app->metrics when metrics are on. */
int jobs_service_start(struct jobs_service **out, struct app *app, appcore_error *err);

/* Stop the metrics thread and close the store client. NULL ok. No handler may be running. */
void jobs_service_stop(struct jobs_service *service);

/* The store client (for the handlers). */
appcore_jobs *jobs_service_store(const struct jobs_service *service);

#endif
