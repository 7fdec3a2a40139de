/* What every handler needs: errors in its protocol's format, readiness, JSON bodies. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "handlers.h"
#include "http.h"
#include "routes.h"

const char *not_ready_reason(struct request *req)
{
	/* while draining, requests that still arrive are served (with Connection: close);
	 * only readiness reports the shutdown */
	if (atomic_load(&req->app->draining))
		return "shutting down";
	if (!atomic_load(&req->app->ready))
		return req->app->from_directory ? "the model repository is not loaded yet"
						: "model is not loaded yet";
	if (appcore_repository_num_ready(req->app->repository) == 0)
		return "no model is loaded";
	return NULL;
}

int send_failure(struct request *req, appcore_protocol protocol, const char *extra_headers,
		 const appcore_error *err)
{
	int status = appcore_protocol_http_status(protocol, err->code);
	char *body = NULL;
	size_t len = 0;
	int result;

	if (status >= 500 && status != 503) {
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("request_id", req->id),
			APPCORE_LOG_STR("code", appcore_error_name(err->code)),
			APPCORE_LOG_STR("error", err->message),
		};
		appcore_log(req->app->log, APPCORE_LOG_ERROR, "internal error", fields,
			    sizeof(fields) / sizeof(fields[0]));
	}
	if (status == 503 && extra_headers == NULL)
		extra_headers = "Retry-After: 1\r\n";
	if (protocol == APPCORE_PROTOCOL_APPCORE)
		return http_send_appcore_error(req, status, extra_headers, err);
	if (appcore_protocol_error_json(&body, &len, protocol, err) != APPCORE_OK) {
		static const char out_of_memory[] = "{\"error\":\"out of memory\"}";
		req->must_close = 1;
		return http_send(req, 500, "application/json", NULL, out_of_memory,
				 sizeof(out_of_memory) - 1);
	}
	result = http_send(req, status, "application/json", extra_headers, body, len);
	appcore_free(body);
	return result;
}

int send_error(struct request *req, appcore_protocol protocol, const char *extra_headers, int code,
	       const char *format, ...)
{
	char message[APPCORE_ERROR_MESSAGE_SIZE];
	appcore_error err;
	va_list ap;

	va_start(ap, format);
	vsnprintf(message, sizeof(message), format, ap);
	va_end(ap);
	appcore_error_set(&err, code, "%s", message);
	return send_failure(req, protocol, extra_headers, &err);
}

int send_not_ready(struct request *req, appcore_protocol protocol, const char *reason)
{
	return send_error(req, protocol, "Retry-After: 1\r\n", APPCORE_EUNAVAILABLE, "%s", reason);
}

int send_document(struct request *req, appcore_protocol protocol, int rc, char *text, size_t len,
		  const appcore_error *err)
{
	int status;

	if (rc != APPCORE_OK)
		return send_failure(req, protocol, NULL, err);
	status = http_send_json(req, 200, text, len);
	appcore_free(text);
	return status;
}

/* application/json, with or without parameters such as "; charset=utf-8".
 * A request without Content-Type is taken as JSON (curl --data-binary sends
 * none when told -H 'Content-Type:'); any other media type is refused. */
static int is_json_content_type(const char *content_type)
{
	static const char json_type[] = "application/json";
	size_t n = sizeof(json_type) - 1;

	if (content_type == NULL)
		return 1;
	while (*content_type == ' ' || *content_type == '\t')
		content_type++;
	if (strncasecmp(content_type, json_type, n) != 0)
		return 0;
	content_type += n;
	while (*content_type == ' ' || *content_type == '\t')
		content_type++;
	return *content_type == '\0' || *content_type == ';';
}

int read_json_body(struct request *req, appcore_protocol protocol, char **body, size_t *len)
{
	struct app *app = req->app;
	const char *content_type = http_header(req, "Content-Type");

	*body = NULL;
	*len = 0;
	if (!is_json_content_type(content_type)) {
		char quoted[128];

		printable_copy(quoted, sizeof(quoted), content_type);
		http_skip_body(req, app->max_body_bytes);
		return send_error(req, protocol, NULL, APPCORE_EMEDIATYPE,
				  "Content-Type must be application/json, got '%s'", quoted);
	}
	switch (http_read_body(req, app->max_body_bytes, body, len)) {
	case BODY_OK:
		return 0;
	case BODY_TOO_LARGE:
		return send_error(req, protocol, NULL, APPCORE_ETOOLARGE,
				  "request body exceeds %zu bytes (server.max_body_bytes)",
				  app->max_body_bytes);
	case BODY_INCOMPLETE:
		if (http_header_has_token(http_header(req, "Transfer-Encoding"), "chunked"))
			/* CivetWeb 1.15 refuses chunk extensions (";name=value") and trailers
			 * (docs/http-front.md) */
			return send_error(req, protocol, NULL, APPCORE_EINCOMPLETE,
					  "chunked request body ended early or could not be decoded "
					  "(chunk extensions and trailers are not supported)");
		return send_error(req, protocol, NULL, APPCORE_EINCOMPLETE,
				  "request body is shorter than its Content-Length");
	case BODY_TIMEOUT:
		return send_error(req, protocol, NULL, APPCORE_ETIMEOUT,
				  "request body not received in time (server.request_timeout_ms, or "
				  "too slowly while the server was busy)");
	case BODY_NO_MEMORY:
	default:
		return send_error(req, protocol, NULL, APPCORE_ENOMEM, "out of memory");
	}
}
