#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <appcore.h>
#include <civetweb.h>
#include <jansson.h>

#include "http.h"
#include "routes.h"

typedef int (*route_handler)(struct mg_connection *conn);

struct route {
	const char *path;
	const char *allow; /* the Allow header value for 405 answers */
	route_handler get;
};

static int handle_health(struct mg_connection *conn)
{
	static const char body[] = "{\"status\":\"ok\"}";
	return http_send_json(conn, 200, body, sizeof(body) - 1);
}

static int handle_version(struct mg_connection *conn)
{
	json_t *doc = json_pack("{s:s,s:s,s:s}", "version", appcore_version(), "revision",
				appcore_build_revision(), "api", APPCORE_API_VERSION);
	char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	int status;

	json_decref(doc);
	if (body == NULL)
		return http_send_error(conn, 500, NULL, "internal_error", "out of memory");
	status = http_send_json(conn, 200, body, strlen(body));
	free(body);
	return status;
}

static const struct route routes[] = {
	{ "/health", "GET, HEAD", handle_health },
	{ "/version", "GET, HEAD", handle_version },
};

static const struct route *find_route(const char *path)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(routes[i].path, path) == 0)
			return &routes[i];
	return NULL;
}

int routes_dispatch(struct mg_connection *conn, void *cbdata)
{
	const struct mg_request_info *request = mg_get_request_info(conn);
	const struct route *route;
	char message[512];
	(void)cbdata;

	route = find_route(request->local_uri);
	if (route == NULL) {
		snprintf(message, sizeof(message), "no such endpoint: %s", request->local_uri);
		return http_send_error(conn, 404, NULL, "not_found", message);
	}
	if (strcmp(request->request_method, "GET") == 0 ||
	    strcmp(request->request_method, "HEAD") == 0)
		return route->get(conn);

	snprintf(message, sizeof(message), "method %s not allowed on %s (allowed: %s)",
		 request->request_method, route->path, route->allow);
	{
		char allow_header[128];
		snprintf(allow_header, sizeof(allow_header), "Allow: %s\r\n", route->allow);
		return http_send_error(conn, 405, allow_header, "method_not_allowed", message);
	}
}
