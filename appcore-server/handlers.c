#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "app.h"
#include "handlers.h"
#include "http.h"
#include "routes.h"

/* Why a load balancer should not send new work here, or NULL. While
 * draining, requests that still arrive are served (with Connection: close);
 * only readiness reports the shutdown. */
static const char *not_ready_reason(struct request *req)
{
	if (atomic_load(&req->app->draining))
		return "shutting down";
	if (app_model(req->app) == NULL)
		return "model is not loaded yet";
	return NULL;
}

static int send_not_ready(struct request *req, const char *reason)
{
	return http_send_error(req, 503, "Retry-After: 1\r\n", "not_ready", reason);
}

static void log_internal_error(struct request *req, const appcore_error *err)
{
	appcore_log_field fields[] = {
		APPCORE_LOG_STR("request_id", req->id),
		APPCORE_LOG_STR("code", appcore_error_name(err->code)),
		APPCORE_LOG_STR("error", err->message),
	};
	appcore_log(req->app->log, APPCORE_LOG_ERROR, "internal error", fields,
		    sizeof(fields) / sizeof(fields[0]));
}

/* 500: a real fault in the library, logged with the request id. */
static int send_internal_error(struct request *req, const appcore_error *err)
{
	log_internal_error(req, err);
	return http_send_appcore_error(req, 500, err);
}

int handle_health(struct request *req)
{
	static const char body[] = "{\"status\":\"ok\"}";
	return http_send_json(req, 200, body, sizeof(body) - 1);
}

static json_t *model_summary(const appcore_model *model, int detailed)
{
	json_t *doc;

	if (model == NULL)
		return json_null();
	doc = json_pack("{s:s,s:s}", "name", appcore_model_name(model), "version",
			appcore_model_version(model));
	if (doc != NULL && detailed) {
		json_object_set_new(doc, "objective", json_string(appcore_model_objective(model)));
		json_object_set_new(doc, "num_features",
				    json_integer((json_int_t)appcore_model_num_features(model)));
		json_object_set_new(doc, "num_outputs",
				    json_integer((json_int_t)appcore_model_num_outputs(model)));
	}
	return doc;
}

int handle_ready(struct request *req)
{
	const char *reason = not_ready_reason(req);

	if (reason != NULL)
		return send_not_ready(req, reason);
	return http_send_json_doc(req, 200, NULL,
				  json_pack("{s:s,s:o}", "status", "ready", "model",
					    model_summary(app_model(req->app), 0)));
}

int handle_version(struct request *req)
{
	return http_send_json_doc(req, 200, NULL,
				  json_pack("{s:s,s:s,s:s,s:o}", "version", appcore_version(),
					    "revision", appcore_build_revision(), "api",
					    APPCORE_API_VERSION, "model",
					    model_summary(app_model(req->app), 1)));
}

int handle_model(struct request *req)
{
	appcore_model *model = app_model(req->app);
	appcore_error err;
	char *body = NULL;
	size_t len = 0;
	int status;

	if (model == NULL)
		return send_not_ready(req, "model is not loaded yet");
	if (appcore_model_info_json(&body, &len, model, &err) != APPCORE_OK)
		return send_internal_error(req, &err);
	status = http_send_json(req, 200, body, len);
	appcore_free(body);
	return status;
}

int handle_metrics(struct request *req)
{
	appcore_error err;
	char *body = NULL;
	size_t len = 0;
	int status;

	if (appcore_metrics_render(&body, &len, req->app->metrics.registry, &err) != APPCORE_OK)
		return send_internal_error(req, &err);
	status = http_send(req, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, body, len);
	appcore_free(body);
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

static int status_for_error(int code)
{
	switch (code) {
	case APPCORE_EPARSE:
		return 400;
	case APPCORE_EREQUEST:
	case APPCORE_ELIMIT:
	case APPCORE_EINVAL:
		return 422;
	default:
		return 500;
	}
}

int handle_predict(struct request *req)
{
	struct app *app = req->app;
	const char *content_type = http_header(req, "Content-Type");
	appcore_predict_response response;
	appcore_error err;
	char message[300];
	char *body = NULL;
	size_t body_len = 0;
	int status;

	if (app_model(app) == NULL) {
		http_skip_body(req, app->max_body_bytes);
		return send_not_ready(req, "model is not loaded yet");
	}
	if (!is_json_content_type(content_type)) {
		char quoted[128];

		printable_copy(quoted, sizeof(quoted), content_type);
		snprintf(message, sizeof(message),
			 "Content-Type must be application/json, got '%s'", quoted);
		http_skip_body(req, app->max_body_bytes);
		return http_send_error(req, 415, NULL, "unsupported_media_type", message);
	}
	switch (http_read_body(req, app->max_body_bytes, &body, &body_len)) {
	case BODY_OK:
		break;
	case BODY_TOO_LARGE:
		snprintf(message, sizeof(message), "request body exceeds %zu bytes (server.max_body_bytes)",
			 app->max_body_bytes);
		return http_send_error(req, 413, NULL, "payload_too_large", message);
	case BODY_INCOMPLETE:
		return http_send_error(req, 400, NULL, "incomplete_body",
				       "request body is shorter than its Content-Length");
	case BODY_NO_MEMORY:
		return http_send_error(req, 500, NULL, "out_of_memory", "out of memory");
	}

	appcore_error_clear(&err);
	if (appcore_predict_json(&response, app_model(app), body, body_len, &app->predict_options,
				 &err) != APPCORE_OK) {
		free(body);
		status = status_for_error(err.code);
		if (status == 500)
			return send_internal_error(req, &err);
		return http_send_appcore_error(req, status, &err);
	}
	free(body);
	server_metrics_predicted(&app->metrics, response.rows);
	status = http_send_json(req, 200, response.body, response.body_len);
	appcore_predict_response_release(&response);
	return status;
}
