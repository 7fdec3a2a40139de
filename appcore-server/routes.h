/* The route table and the single CivetWeb entry point that wraps every
 * request in the observability middleware (timing, metrics, access log). */
#ifndef APPCORE_SERVER_ROUTES_H
#define APPCORE_SERVER_ROUTES_H

#include <stddef.h>

#include <appcore.h>

#include "route_ids.h"

struct mg_connection;

/* Methods a route answers (GET implies HEAD). */
enum route_methods {
	ALLOW_GET = 1,
	ALLOW_POST = 2,
	ALLOW_DELETE = 4,
};

/* A row of the table, for tests and the OpenAPI check. */
struct route_info {
	const char *pattern; /* OpenAPI path template */
	int methods;
	appcore_protocol protocol; /* the error format of its answers */
	int needs_key;             /* when API keys are configured */
	int live;                  /* answers before the models are loaded */
};
void route_describe(struct route_info *out, size_t route);

/* Dispatch a request: the CivetWeb begin_request callback (so no request can
 * arrive before the routes exist: there is no window between mg_start and a
 * handler registration). The context's user data is the struct app. Answers
 * 404/405/503 itself, in the format of the route's protocol. */
int routes_begin_request(struct mg_connection *conn);

/* CivetWeb request handler with cbdata = the struct app (the same dispatch). */
int routes_dispatch(struct mg_connection *conn, void *cbdata);

/* CivetWeb http_error callback: errors CivetWeb detects before a handler
 * runs (malformed request line, oversized headers) answered as JSON. */
int routes_framework_error(struct mg_connection *conn, int status, const char *message);

/* Copy text into out replacing bytes outside printable ASCII with '?', for
 * quoting client-supplied text (paths, methods) in messages and logs. */
void printable_copy(char *out, unsigned long out_size, const char *text);

#endif
