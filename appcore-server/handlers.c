#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	return http_send_error(req, "Retry-After: 1\r\n", APPCORE_EUNAVAILABLE, "%s", reason);
}

/* 500: a real fault in the library, logged with the request id. */
static int send_internal_error(struct request *req, const appcore_error *err)
{
	appcore_log_field fields[] = {
		APPCORE_LOG_STR("request_id", req->id),
		APPCORE_LOG_STR("code", appcore_error_name(err->code)),
		APPCORE_LOG_STR("error", err->message),
	};
	appcore_log(req->app->log, APPCORE_LOG_ERROR, "internal error", fields,
		    sizeof(fields) / sizeof(fields[0]));
	return http_send_appcore_error(req, 500, NULL, err);
}

int handle_health(struct request *req)
{
	static const char body[] = "{\"status\":\"ok\"}";
	return http_send_json(req, 200, body, sizeof(body) - 1);
}

/* Send prefix + the model's metadata (or null without a model) + "}". */
static int send_with_model(struct request *req, const char *prefix, appcore_model_info detail)
{
	appcore_model *model = app_model(req->app);
	appcore_error err;
	char *info = NULL, *body;
	size_t info_len = 4, len;
	int status;

	if (model != NULL && appcore_model_info_json(&info, &info_len, model, detail, &err) != 0)
		return send_internal_error(req, &err);
	len = strlen(prefix) + info_len + 1;
	body = malloc(len + 1);
	if (body == NULL) {
		appcore_free(info);
		appcore_error_set(&err, APPCORE_ENOMEM, "out of memory");
		return send_internal_error(req, &err);
	}
	snprintf(body, len + 1, "%s%s}", prefix, info ? info : "null");
	status = http_send_json(req, 200, body, len);
	free(body);
	appcore_free(info);
	return status;
}

int handle_ready(struct request *req)
{
	const char *reason = not_ready_reason(req);

	if (reason != NULL)
		return send_not_ready(req, reason);
	return send_with_model(req,
			       "{\"status\":\"ready\",\"model\":", APPCORE_MODEL_INFO_IDENTITY);
}

int handle_version(struct request *req)
{
	char prefix[256];

	/* version and revision are ASCII by construction (VERSION, git's hex hash) */
	snprintf(prefix, sizeof(prefix),
		 "{\"version\":\"%s\",\"revision\":\"%s\",\"api\":\"%s\",\"model\":",
		 appcore_version(), appcore_build_revision(), APPCORE_API_VERSION);
	return send_with_model(req, prefix, APPCORE_MODEL_INFO_SUMMARY);
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
	if (appcore_model_info_json(&body, &len, model, APPCORE_MODEL_INFO_FULL, &err) != 0)
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

int handle_predict(struct request *req)
{
	struct app *app = req->app;
	const char *content_type = http_header(req, "Content-Type");
	appcore_response response;
	appcore_error err;
	char *body = NULL;
	size_t body_len = 0;
	enum body_result result;
	int status;

	if (app_model(app) == NULL) {
		http_skip_body(req, app->max_body_bytes);
		return send_not_ready(req, "model is not loaded yet");
	}
	if (!is_json_content_type(content_type)) {
		char quoted[128];

		printable_copy(quoted, sizeof(quoted), content_type);
		http_skip_body(req, app->max_body_bytes);
		return http_send_error(req, NULL, APPCORE_EMEDIATYPE,
				       "Content-Type must be application/json, got '%s'", quoted);
	}
	result = http_read_body(req, app->max_body_bytes, &body, &body_len);
	if (result != BODY_OK)
		return http_send_body_error(req, result);

	if (appcore_predict_json(&response, app_model(app), body, body_len, &app->predict_options,
				 &err) != APPCORE_OK) {
		free(body);
		if (appcore_error_http_status(err.code) >= 500)
			return send_internal_error(req, &err);
		return http_send_appcore_error(req, 0, NULL, &err);
	}
	free(body);
	server_metrics_predicted(&app->metrics, response.rows);
	status = http_send_json(req, 200, response.body, response.body_len);
	appcore_response_dispose(&response);
	return status;
}
