/* The HTTP front: what stands between the sockets and the route handlers that CivetWeb 1.15
 * does not do by itself (docs/http-front.md).
 *
 * - Framing: requests RFC 9112 forbids are refused (400, then close) before any handler runs;
 *   absolute-form targets are served and "OPTIONS *" is answered (front_framing.c).
 * - Deadlines: the headers and the whole body each within server.request_timeout_ms, an idle
 *   keep-alive connection within server.keep_alive_timeout_ms (front_monitor.c).
 * - Capacity: CivetWeb gives each connection a worker thread for its whole life, so when the
 *   workers run short idle and slow connections are shed, busy keep-alive connections are
 *   rotated, and a connection that waited longer than server.queue_timeout_ms for a worker is
 *   refused at once with 503 + Retry-After (front_monitor.c, front_conn.c).
 * - Operations listener: server.ops_port serves /health, /ready, /metrics and /version on its
 *   own small pool of workers, so probes and scrapes never queue behind traffic.
 * - Graceful stop: the listener closes first, every accepted request is answered, and the
 *   drain ends as soon as no connection is left (front_drain.c).
 * - Memory: glibc's allocator is told to give large request buffers back (front.c). */
#ifndef APPCORE_SERVER_FRONT_H
#define APPCORE_SERVER_FRONT_H

#include <stddef.h>

#include <appcore.h>

struct app;
struct request;
struct front;

/* Why the front closed a connection's reading side. */
enum front_cut {
	FRONT_CUT_NONE,
	FRONT_CUT_TIMEOUT,  /* a deadline passed (408) */
	FRONT_CUT_SHED,     /* idle or too slow while workers ran short */
	FRONT_CUT_OVERLOAD, /* waited longer than server.queue_timeout_ms for a worker (503) */
	FRONT_CUT_DRAIN,    /* idle while the server shuts down */
	FRONT_CUT_COUNT,
};

/* Start serving: the main listener (server.host, server.port, server.threads workers) and, when
 * server.ops_port is not 0, the operations listener on the same host. With any_port both bind
 * to ports the kernel picks (front_port() and front_ops_port() tell which). Sets app->front.
 * Call once, before any request can arrive; app must outlive the front. */
int front_start(struct front **out, struct app *app, int any_port, appcore_error *err);

/* The port the main listener is bound to; the operations port, 0 when there is none. */
int front_port(const struct front *front);
int front_ops_port(const struct front *front);

struct front_stop_report {
	double drain_ms;        /* from front_stop() to every connection closed */
	long long left_open;    /* connections still open when the grace period ran out */
	long long idle_closed;  /* idle keep-alive connections the drain closed */
};

/* Graceful stop (SIGTERM): stop accepting on the main listener (connections already accepted
 * by the kernel are still served), answer every request that arrives on an open connection
 * (with Connection: close), close idle connections, and return once none is left or grace_ms
 * has passed. The operations listener answers until then (/ready says 503). Stops the workers
 * and frees front; report may be NULL. */
void front_stop(struct front *front, long long grace_ms, struct front_stop_report *report);

/* At the top of the request handler: refuses what framing forbids, answers "OPTIONS *" and
 * requests the operations port does not serve, and requests on a connection the front has
 * cut. Returns 0 when the request should be routed, else the status of the answer sent. */
int front_request_begin(struct request *req);

/* Whether the answer may keep the connection open: not when the front closes it (workers are
 * short and a client waits, or it was cut). */
int front_keep_alive(const struct request *req);

/* Around reading a request body, so the front can enforce its deadline and measure its
 * rate; front_body_end() says whether the front cut the connection meanwhile. */
void front_body_begin(struct request *req);
enum front_cut front_body_end(struct request *req);

#endif
