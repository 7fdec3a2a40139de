#include <stdio.h>
#include <string.h>
#include <time.h>

#include <civetweb.h>

#include "app.h"
#include "front.h"
#include "handlers.h"
#include "http.h"
#include "routes.h"

enum method_bits {
	ALLOW_GET = 1, /* GET implies HEAD */
	ALLOW_POST = 2,
};

enum route_access {
	OPEN,
	KEY_REQUIRED,   /* when API keys are configured */
	KEY_IF_METRICS, /* when API keys are configured and metrics.require_api_key */
};

struct route {
	const char *path;
	enum route_id id;
	int methods;
	enum route_access access;
	const char *allow; /* the Allow header value for 405 answers */
	int (*handler)(struct request *req);
};

static const struct route routes[] = {
	{ "/health", ROUTE_HEALTH, ALLOW_GET, OPEN, "GET, HEAD", handle_health },
	{ "/ready", ROUTE_READY, ALLOW_GET, OPEN, "GET, HEAD", handle_ready },
	{ "/version", ROUTE_VERSION, ALLOW_GET, OPEN, "GET, HEAD", handle_version },
	{ "/predict", ROUTE_PREDICT, ALLOW_POST, KEY_REQUIRED, "POST", handle_predict },
	{ "/metrics", ROUTE_METRICS, ALLOW_GET, KEY_IF_METRICS, "GET, HEAD", handle_metrics },
	{ "/model", ROUTE_MODEL, ALLOW_GET, KEY_REQUIRED, "GET, HEAD", handle_model },
};

const char *route_label(enum route_id route)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (routes[i].id == route)
			return routes[i].path;
	return "unmatched";
}

void printable_copy(char *out, unsigned long out_size, const char *text)
{
	size_t i = 0;

	for (; text[i] != '\0' && i + 1 < out_size; i++) {
		unsigned char c = (unsigned char)text[i];
		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[i] = '\0';
}

static const struct route *find_route(const struct app *app, const char *path)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(routes[i].path, path) != 0)
			continue;
		if (routes[i].id == ROUTE_METRICS && !app->metrics_enabled)
			return NULL;
		return &routes[i];
	}
	return NULL;
}

static int method_allowed(const struct route *route, const char *method)
{
	if ((route->methods & ALLOW_GET) && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0))
		return 1;
	return (route->methods & ALLOW_POST) && strcmp(method, "POST") == 0;
}

static int answer_unrouted(struct request *req, const struct route *route)
{
	char quoted[200];
	char allow_header[64];

	if (route == NULL) {
		printable_copy(quoted, sizeof(quoted), req->info->local_uri);
		http_skip_body(req, req->app->max_body_bytes);
		return http_send_error(req, NULL, APPCORE_ENOTFOUND, "no such endpoint: %s",
				       quoted);
	}
	printable_copy(quoted, sizeof(quoted), req->info->request_method);
	snprintf(allow_header, sizeof(allow_header), "Allow: %s\r\n", route->allow);
	http_skip_body(req, req->app->max_body_bytes);
	return http_send_error(req, allow_header, APPCORE_EMETHOD,
			       "method %s not allowed on %s (allowed: %s)", quoted, route->path,
			       route->allow);
}

/* 0 when the request may proceed, else the status of the answer sent. */
static int check_access(struct request *req, const struct route *route)
{
	const struct app *app = req->app;
	int needs_key = app->api_keys.count > 0 &&
			(route->access == KEY_REQUIRED ||
			 (route->access == KEY_IF_METRICS && app->metrics_require_key));

	if (!needs_key)
		return 0;
	switch (auth_check(&app->api_keys, http_header(req, "Authorization"))) {
	case AUTH_OK:
		return 0;
	case AUTH_MISSING:
		http_skip_body(req, app->max_body_bytes);
		return http_send_error(req, "WWW-Authenticate: Bearer realm=\"appcore\"\r\n",
				       APPCORE_EUNAUTHORIZED,
				       "missing API key: send Authorization: Bearer <key>");
	case AUTH_WRONG:
	default:
		http_skip_body(req, app->max_body_bytes);
		return http_send_error(req, NULL, APPCORE_EFORBIDDEN, "API key not accepted");
	}
}

static double seconds_between(const struct timespec *start, const struct timespec *end)
{
	return (double)(end->tv_sec - start->tv_sec) + (double)(end->tv_nsec - start->tv_nsec) / 1e9;
}

static const char *or_dash(const char *text)
{
	return text != NULL ? text : "-";
}

static void access_log(const struct request *req, double seconds)
{
	char path[256];
	char method[16];
	appcore_log_field fields[9];

	if (!req->app->access_log || !appcore_log_enabled(req->app->log, APPCORE_LOG_INFO))
		return;
	printable_copy(path, sizeof(path), or_dash(req->info->local_uri));
	printable_copy(method, sizeof(method), or_dash(req->info->request_method));
	fields[0] = APPCORE_LOG_STR("request_id", req->id);
	fields[1] = APPCORE_LOG_STR("method", method);
	fields[2] = APPCORE_LOG_STR("path", path);
	fields[3] = APPCORE_LOG_INT("status", req->status);
	fields[4] = APPCORE_LOG_FLOAT("duration_ms", seconds * 1000.0);
	fields[5] = APPCORE_LOG_INT("bytes_in", (long long)req->bytes_in);
	fields[6] = APPCORE_LOG_INT("bytes_out", (long long)req->bytes_out);
	fields[7] = APPCORE_LOG_STR("remote", or_dash(req->info->remote_addr));
	fields[8] = APPCORE_LOG_STR("route", route_label(req->route));
	appcore_log(req->app->log, APPCORE_LOG_INFO, "request", fields, 9);
}

int routes_dispatch(struct mg_connection *conn, void *cbdata)
{
	struct app *app = cbdata;
	struct request req;
	const struct route *route;
	struct timespec start;
	struct timespec end;
	double seconds;

	clock_gettime(CLOCK_MONOTONIC, &start);
	atomic_fetch_add(&app->in_flight, 1);
	server_metrics_request_started(&app->metrics);
	request_init(&req, conn, app);
	if (front_request_begin(&req) != 0)
		goto answered; /* refused framing, OPTIONS *, ops port, cut connection */

	route = find_route(app, req.info->local_uri);
	if (route != NULL)
		req.route = route->id;
	if (route == NULL || !method_allowed(route, req.info->request_method))
		answer_unrouted(&req, route);
	else if (check_access(&req, route) == 0)
		route->handler(&req);

answered:
	clock_gettime(CLOCK_MONOTONIC, &end);
	seconds = seconds_between(&start, &end);
	server_metrics_request_finished(&app->metrics, req.route, req.info->request_method,
					req.status, seconds);
	access_log(&req, seconds);
	atomic_store(&app->last_finish_ns, (long long)end.tv_sec * 1000000000LL + end.tv_nsec);
	atomic_fetch_sub(&app->in_flight, 1);
	return req.status;
}

int routes_framework_error(struct mg_connection *conn, int status, const char *message)
{
	struct app *app = mg_get_user_data(mg_get_context(conn));
	struct request req;
	appcore_error err;
	char text[256];

	/* the request may be unparsed: answer, count as unmatched, and close */
	request_init(&req, conn, app);
	req.must_close = 1;
	printable_copy(text, sizeof(text), message);
	appcore_error_set(&err,
			  status == 413   ? APPCORE_ETOOLARGE
			  : status == 408 ? APPCORE_ETIMEOUT
			  : status == 503 ? APPCORE_EUNAVAILABLE
					  : APPCORE_EBADREQUEST,
			  "%s", text);
	http_send_appcore_error(&req, status, NULL, &err);
	server_metrics_request_started(&app->metrics);
	server_metrics_request_finished(&app->metrics, ROUTE_UNMATCHED, "other", status, 0.0);
	access_log(&req, 0.0);
	return 0;
}
