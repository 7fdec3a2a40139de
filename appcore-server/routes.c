#include <stdio.h>
#include <string.h>
#include <time.h>

#include <civetweb.h>

#include "app.h"
#include "front.h"
#include "handlers.h"
#include "http.h"
#include "handlers_jobs.h"
#include "routes.h"

enum route_access {
	OPEN,
	KEY_REQUIRED,   /* when API keys are configured */
	KEY_IF_METRICS, /* when API keys are configured and metrics.require_api_key */
};

/* Before the first load has finished, only LIVE routes run their handler; the others
 * answer 503 (the startup gate). */
enum route_readiness {
	GATED,
	LIVE,
};

struct route {
	const char *pattern; /* OpenAPI path template; appcore-server/openapi.json documents it */
	int methods;
	enum route_access access;
	enum route_readiness readiness;
	appcore_protocol protocol; /* the format of its errors */
	int (*handler)(struct request *req);
};

#define APPCORE APPCORE_PROTOCOL_APPCORE
#define OIP APPCORE_PROTOCOL_OIP
#define TFS APPCORE_PROTOCOL_TFSERVING

/* First match wins, so ":predict" rows come before the plain /v1/models/{name} rows. A new
 * endpoint is one row here and one path in openapi.json (a test checks they agree). */
static const struct route routes[] = {
	/* appcore's own API */
	{ "/health", ALLOW_GET, OPEN, LIVE, APPCORE, handle_health },
	{ "/ready", ALLOW_GET, OPEN, LIVE, APPCORE, handle_ready },
	{ "/version", ALLOW_GET, OPEN, LIVE, APPCORE, handle_version },
	{ "/predict", ALLOW_POST, KEY_REQUIRED, GATED, APPCORE, handle_predict },
	{ "/metrics", ALLOW_GET, KEY_IF_METRICS, LIVE, APPCORE, handle_metrics },
	{ "/model", ALLOW_GET, KEY_REQUIRED, GATED, APPCORE, handle_model },
	{ "/openapi.json", ALLOW_GET, OPEN, LIVE, APPCORE, handle_openapi },
	/* the Open Inference Protocol (KServe V2) */
	{ "/v2", ALLOW_GET, OPEN, LIVE, OIP, handle_oip_server_metadata },
	{ "/v2/health/live", ALLOW_GET, OPEN, LIVE, OIP, handle_oip_live },
	{ "/v2/health/ready", ALLOW_GET, OPEN, LIVE, OIP, handle_oip_ready },
	{ "/v2/models/{name}", ALLOW_GET, KEY_REQUIRED, GATED, OIP, handle_oip_model_metadata },
	{ "/v2/models/{name}/versions/{version}", ALLOW_GET, KEY_REQUIRED, GATED, OIP,
	  handle_oip_model_metadata },
	{ "/v2/models/{name}/ready", ALLOW_GET, OPEN, GATED, OIP, handle_oip_model_ready },
	{ "/v2/models/{name}/versions/{version}/ready", ALLOW_GET, OPEN, GATED, OIP,
	  handle_oip_model_ready },
	{ "/v2/models/{name}/infer", ALLOW_POST, KEY_REQUIRED, GATED, OIP, handle_oip_infer },
	{ "/v2/models/{name}/versions/{version}/infer", ALLOW_POST, KEY_REQUIRED, GATED, OIP,
	  handle_oip_infer },
	/* Triton's model repository extension */
	{ "/v2/repository/index", ALLOW_POST, KEY_REQUIRED, GATED, OIP,
	  handle_oip_repository_index },
	{ "/v2/repository/models/{name}/load", ALLOW_POST, KEY_REQUIRED, GATED, OIP,
	  handle_oip_repository_load },
	{ "/v2/repository/models/{name}/unload", ALLOW_POST, KEY_REQUIRED, GATED, OIP,
	  handle_oip_repository_unload },
	/* TensorFlow Serving's REST API */
	{ "/v1/models/{name}:predict", ALLOW_POST, KEY_REQUIRED, GATED, TFS,
	  handle_tfserving_predict },
	{ "/v1/models/{name}/versions/{version}:predict", ALLOW_POST, KEY_REQUIRED, GATED, TFS,
	  handle_tfserving_predict },
	{ "/v1/models/{name}", ALLOW_GET, KEY_REQUIRED, GATED, TFS, handle_tfserving_status },
	{ "/v1/models/{name}/versions/{version}", ALLOW_GET, KEY_REQUIRED, GATED, TFS,
	  handle_tfserving_status },
	/* batch jobs over Redis (handlers_jobs.c) */
	{ "/v1/jobs", ALLOW_POST, KEY_REQUIRED, GATED, APPCORE, handle_jobs_submit },
	{ "/v1/jobs/{id}", ALLOW_GET | ALLOW_DELETE, KEY_REQUIRED, GATED, APPCORE, handle_job },
	{ "/v1/jobs/{id}/result", ALLOW_GET, KEY_REQUIRED, GATED, APPCORE, handle_job_result },
};

#define NUM_ROUTES (sizeof(routes) / sizeof(routes[0]))

size_t routes_count(void)
{
	return NUM_ROUTES;
}

const char *route_label(int route)
{
	return route >= 0 && (size_t)route < NUM_ROUTES ? routes[route].pattern : "unmatched";
}

void route_describe(struct route_info *out, size_t route)
{
	const struct route *r = &routes[route];

	out->pattern = r->pattern;
	out->methods = r->methods;
	out->protocol = r->protocol;
	out->needs_key = r->access != OPEN;
	out->live = r->readiness == LIVE;
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

static int method_allowed(const struct route *route, const char *method)
{
	if ((route->methods & ALLOW_GET) && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0))
		return 1;
	if ((route->methods & ALLOW_DELETE) && strcmp(method, "DELETE") == 0)
		return 1;
	return (route->methods & ALLOW_POST) && strcmp(method, "POST") == 0;
}

/* The Allow header's list: the methods of ALLOW_GET, ALLOW_POST and ALLOW_DELETE in order. */
static const char *allow_list(const struct route *route)
{
	static const char *const lists[] = {
		"",	     "GET, HEAD",	"POST",		"GET, HEAD, POST",
		"DELETE", "GET, HEAD, DELETE", "POST, DELETE", "GET, HEAD, POST, DELETE",
	};
	return lists[route->methods & 7];
}

/* The row for the request, or -1; *wrong_method is the first row whose path matched when no
 * row also allows the method (405). */
static int find_route(struct request *req, int *wrong_method)
{
	const char *path = req->info->local_uri;
	const char *method = req->info->request_method;

	*wrong_method = -1;
	if (path == NULL || method == NULL)
		return -1;
	for (size_t i = 0; i < NUM_ROUTES; i++) {
		if (routes[i].handler == handle_metrics && !req->app->metrics_enabled)
			continue;
		if (!route_match(routes[i].pattern, path, &req->params))
			continue;
		if (method_allowed(&routes[i], method))
			return (int)i;
		if (*wrong_method < 0)
			*wrong_method = (int)i;
	}
	req->params.count = 0;
	return -1;
}

static int answer_unrouted(struct request *req, int wrong_method)
{
	char quoted[200];
	char allow_header[64];
	const struct route *route;

	if (wrong_method < 0) {
		printable_copy(quoted, sizeof(quoted), req->info->local_uri);
		http_skip_body(req, req->app->max_body_bytes);
		return send_error(req, APPCORE, NULL, APPCORE_ENOTFOUND, "no such endpoint: %s",
				  quoted);
	}
	route = &routes[wrong_method];
	req->route = wrong_method;
	printable_copy(quoted, sizeof(quoted), req->info->request_method);
	snprintf(allow_header, sizeof(allow_header), "Allow: %s\r\n", allow_list(route));
	http_skip_body(req, req->app->max_body_bytes);
	return send_error(req, route->protocol, allow_header, APPCORE_EMETHOD,
			  "method %s not allowed on %s (allowed: %s)", quoted, route->pattern,
			  allow_list(route));
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
		return send_error(req, route->protocol, "WWW-Authenticate: Bearer realm=\"appcore\"\r\n",
				  APPCORE_EUNAUTHORIZED,
				  "missing API key: send Authorization: Bearer <key>");
	case AUTH_WRONG:
	default:
		http_skip_body(req, app->max_body_bytes);
		return send_error(req, route->protocol, NULL, APPCORE_EFORBIDDEN,
				  "API key not accepted");
	}
}

/* 0 when the route may run, else the status of the 503 sent (the startup gate). */
static int check_ready(struct request *req, const struct route *route)
{
	if (route->readiness == LIVE || atomic_load(&req->app->ready))
		return 0;
	http_skip_body(req, req->app->max_body_bytes);
	return send_not_ready(req, route->protocol, not_ready_reason(req));
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
	struct timespec start;
	struct timespec end;
	double seconds;
	int route, wrong_method;

	clock_gettime(CLOCK_MONOTONIC, &start);
	atomic_fetch_add(&app->in_flight, 1);
	server_metrics_request_started(&app->metrics);
	request_init(&req, conn, app);
	if (front_request_begin(&req) != 0)
		goto answered; /* refused framing, OPTIONS *, ops port, cut connection */

	route = find_route(&req, &wrong_method);
	if (route < 0) {
		answer_unrouted(&req, wrong_method);
	} else {
		req.route = route;
		if (check_access(&req, &routes[route]) == 0 && check_ready(&req, &routes[route]) == 0)
			routes[route].handler(&req);
	}

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

int routes_begin_request(struct mg_connection *conn)
{
	return routes_dispatch(conn, mg_get_user_data(mg_get_context(conn)));
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
