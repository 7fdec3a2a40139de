/* The front's lifecycle: memory settings, the CivetWeb contexts (main and operations
 * listeners) with the front's callbacks, the monitor thread, metrics, and the stop. */
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <civetweb.h>

#include "app.h"
#include "front_internal.h"
#include "routes.h"

/* Workers of the operations listener: probes (kubelet opens a connection per probe) and one
 * keep-alive connection per Prometheus server; shedding frees any held idle. */
#define OPS_THREADS 4
/* The fd table searched for client sockets (front_conn.c); larger descriptors go untracked. */
#define FD_TABLE_SIZE 65536

/*
 * glibc raises its mmap threshold to the size of the largest block freed so far (up to 32 MiB),
 * so after the first 1 MiB request bodies every later one is carved from the worker's arena,
 * and arenas (one per thread up to 8 x cores) keep their peak size: 64 connections posting
 * 1 MiB bodies left RSS at 70-140 MB. A fixed threshold keeps blocks of 128 KiB and more (bodies,
 * row matrices, large answers) in their own mappings, returned on free. Fixing it also fixes
 * the trim threshold, at 128 KiB by default, which would return and re-grow the heap's top on
 * every few requests: 1 MiB keeps that rare. Limiting the arenas instead does not help (and
 * costs contention). Measured in bench/RESULTS.md ("HTTP front", memory).
 */
static void tune_allocator(void)
{
#if defined(__GLIBC__)
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
#endif
}

static void ignore_wake_signal(int signal_number)
{
	(void)signal_number;
}

static const char *const cut_reason_labels[FRONT_CUT_COUNT] = {
	"none", "timeout", "shed", "overload", "drain",
};

static int register_metrics(struct front *front, appcore_error *err)
{
	static const char *const pool_labels[] = { "listener" };
	static const char *const reason_labels[] = { "reason" };
	appcore_metrics *registry = front->app->metrics.registry;
	appcore_metrics_family *open = NULL;
	appcore_metrics_family *closed = NULL;
	int rc;

	if (!front->app->metrics_enabled || registry == NULL)
		return APPCORE_OK;
	rc = appcore_metrics_add_gauge(&open, registry, "appcore_http_connections",
				       "Connections held by a worker, by listener (main, ops).",
				       pool_labels, 1, err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_counter(
		    &closed, registry, "appcore_http_connections_closed_total",
		    "Connections the server closed on its own: timeout (a deadline passed), shed "
		    "(idle or slow while clients waited for a worker), overload (waited longer than "
		    "server.queue_timeout_ms for a worker; answered 503), drain (idle at shutdown).",
		    reason_labels, 1, err);
	for (int p = 0; rc == APPCORE_OK && p < front->num_pools; p++) {
		const char *values[] = { front->pools[p].name };
		rc = appcore_metrics_get_series(&front->pools[p].open_series, open, values, err);
	}
	for (int r = FRONT_CUT_TIMEOUT; rc == APPCORE_OK && r < FRONT_CUT_COUNT; r++) {
		const char *values[] = { cut_reason_labels[r] };
		rc = appcore_metrics_get_series(&front->cut_series[r], closed, values, err);
	}
	return rc;
}

static void init_pool(struct front_pool *pool, struct front *front, enum front_pool_id id,
		      int threads)
{
	const struct server_settings *settings = &front->app->settings;

	pool->front = front;
	pool->id = id;
	pool->name = id == POOL_OPS ? "ops" : "main";
	pool->threads = threads;
	pool->reserve = threads / 16 > 1 ? threads / 16 : 1;
	pool->listener_fd = -1;
	pool->header_timeout_ns = settings->request_timeout_ms * 1000000LL;
	pool->body_timeout_ns = settings->request_timeout_ms * 1000000LL;
	pool->idle_timeout_ns = settings->keep_alive_timeout_ms * 1000000LL;
	pool->queue_timeout_ns = settings->queue_timeout_ms * 1000000LL;
}

static int start_pool(struct front_pool *pool, int port, appcore_error *err)
{
	struct app *app = pool->front->app;
	const struct server_settings *settings = &app->settings;
	char listening[300], threads[24], request_timeout[24], keep_alive_timeout[24];
	struct mg_callbacks callbacks;
	struct mg_server_port ports[4];
	int count;

	snprintf(listening, sizeof(listening), "%s:%d", settings->host, port);
	snprintf(threads, sizeof(threads), "%d", pool->threads);
	snprintf(request_timeout, sizeof(request_timeout), "%lld", settings->request_timeout_ms);
	snprintf(keep_alive_timeout, sizeof(keep_alive_timeout), "%lld",
		 settings->keep_alive_timeout_ms);
	/* no document_root: nothing is ever served from disk. connection_queue: CivetWeb accepts
	 * connections as they come and queues them for a worker, where the front sees them and
	 * can close slow ones before a worker is spent on them (front_orphans.c).
	 * enable_auth_domain_check=no: an absolute-form target for this port is served whatever
	 * its host (CivetWeb otherwise requires authentication_domain, "mydomain.com"); other
	 * ports are answered by the front (front_conn.c). */
	const char *civetweb_options[] = {
		"listening_ports", listening,
		"num_threads", threads,
		"enable_keep_alive", "yes",
		"tcp_nodelay", "1",
		"request_timeout_ms", request_timeout,
		"keep_alive_timeout_ms", keep_alive_timeout,
		"listen_backlog", "1024",
		"connection_queue", "1024",
		"enable_auth_domain_check", "no",
		NULL,
	};

	memset(&callbacks, 0, sizeof(callbacks));
	front_conn_install(&callbacks, pool->id);
	/* every request is dispatched from the first one on: a handler registered after
	 * mg_start would leave a window of CivetWeb 404s */
	callbacks.begin_request = routes_begin_request;
	pool->ctx = mg_start(&callbacks, app, civetweb_options);
	if (pool->ctx == NULL)
		return appcore_error_set(err, APPCORE_EIO, "cannot listen on %s (%s listener)",
					 listening, pool->name);
	memset(ports, 0, sizeof(ports));
	count = mg_get_server_ports(pool->ctx, 4, ports);
	pool->port = count > 0 ? ports[0].port : 0;
	pool->listener_fd = front_find_listener(pool->port);
	/* a wildcard listener is reachable on loopback */
	memset(&pool->knock, 0, sizeof(pool->knock));
	pool->knock.sin_family = AF_INET;
	pool->knock.sin_port = htons((uint16_t)pool->port);
	if (strcmp(settings->host, "0.0.0.0") == 0 ||
	    inet_pton(AF_INET, settings->host, &pool->knock.sin_addr) != 1)
		pool->knock.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return APPCORE_OK;
}

static void free_front(struct front *front)
{
	front->app->front = NULL;
	free(front->fd_owned);
	free(front->orphans);
	free(front->conns);
	pthread_mutex_destroy(&front->orphans_lock);
	pthread_mutex_destroy(&front->lock);
	free(front);
}

int front_start(struct front **out, struct app *app, int any_port, appcore_error *err)
{
	const struct server_settings *settings = &app->settings;
	int ops = settings->ops_port != 0;
	struct front *front;
	int rc, e;

	*out = NULL;
	tune_allocator();
	{
		struct sigaction action;

		memset(&action, 0, sizeof(action));
		action.sa_handler = ignore_wake_signal;
		sigemptyset(&action.sa_mask);
		sigaction(FRONT_WAKE_SIGNAL, &action, NULL);
	}
	front = calloc(1, sizeof(*front));
	if (front == NULL)
		return appcore_error_set(err, APPCORE_ENOMEM, "out of memory");
	front->app = app;
	front->num_pools = ops ? 2 : 1;
	front->num_conns = (size_t)settings->threads + (ops ? OPS_THREADS : 0);
	front->conns = calloc(front->num_conns, sizeof(*front->conns));
	front->fd_owned_size = FD_TABLE_SIZE;
	front->fd_owned = calloc(front->fd_owned_size, sizeof(*front->fd_owned));
	front->orphans = calloc(front->fd_owned_size, sizeof(*front->orphans));
	if (front->conns == NULL || front->fd_owned == NULL || front->orphans == NULL ||
	    pthread_mutex_init(&front->lock, NULL) != 0) {
		free(front->conns);
		free(front->fd_owned);
		free(front->orphans);
		free(front);
		return appcore_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	if (pthread_mutex_init(&front->orphans_lock, NULL) != 0) {
		pthread_mutex_destroy(&front->lock);
		free(front->conns);
		free(front->fd_owned);
		free(front->orphans);
		free(front);
		return appcore_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < front->num_conns; i++)
		front->conns[i].fd = -1;
	/* before any worker starts: callbacks find the front through app->front (out may be it) */
	app->front = front;
	*out = front;
	init_pool(&front->pools[POOL_MAIN], front, POOL_MAIN, (int)settings->threads);
	if (ops)
		init_pool(&front->pools[POOL_OPS], front, POOL_OPS, OPS_THREADS);
	rc = register_metrics(front, err);
	if (rc == APPCORE_OK)
		rc = start_pool(&front->pools[POOL_MAIN], any_port ? 0 : (int)settings->port, err);
	if (rc == APPCORE_OK && ops)
		rc = start_pool(&front->pools[POOL_OPS], any_port ? 0 : (int)settings->ops_port,
				err);
	/* last: the monitor reads what start_pool found (ports, listening sockets) */
	if (rc == APPCORE_OK && (e = front_monitor_start(front)) != 0)
		/* EAGAIN here is usually a container's pids limit below server.threads */
		rc = appcore_error_set(err, APPCORE_ENOMEM,
				       "cannot start the connection monitor: %s (a process or "
				       "thread limit below server.threads?)",
				       strerror(e));
	if (rc != APPCORE_OK) {
		for (int p = 0; p < front->num_pools; p++)
			front_stop_pool(&front->pools[p]);
		front_monitor_stop(front);
		free_front(front);
		*out = NULL;
		return rc;
	}
	return APPCORE_OK;
}

int front_port(const struct front *front)
{
	return front->pools[POOL_MAIN].port;
}

int front_ops_port(const struct front *front)
{
	return front->num_pools > 1 ? front->pools[POOL_OPS].port : 0;
}

void front_stop(struct front *front, long long grace_ms, struct front_stop_report *report)
{
	if (front == NULL)
		return;
	front_drain(front, grace_ms, report);
	front_stop_pool(&front->pools[POOL_MAIN]);
	if (front->num_pools > 1)
		front_stop_pool(&front->pools[POOL_OPS]);
	front_monitor_stop(front);
	free_front(front);
}
