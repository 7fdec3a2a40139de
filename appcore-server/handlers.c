/* appcore's own API: /health, /ready, /version, /model, /metrics, /predict, /openapi.json.
 * /ready, /version and /model speak of the default model (the only one served, or
 * model_repository.default_model). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "handlers.h"
#include "http.h"
#include "openapi.h"
#include "routes.h"

int handle_health(struct request *req)
{
	static const char body[] = "{\"status\":\"ok\"}";
	return http_send_json(req, 200, body, sizeof(body) - 1);
}

/* Send prefix + the default model's metadata (or null when there is none) + "}". */
static int send_with_model(struct request *req, const char *prefix, appcore_model_info detail)
{
	appcore_model *model = NULL;
	appcore_error err;
	char *info = NULL, *body;
	size_t info_len = 4, len;
	int status;

	appcore_repository_get(&model, req->app->repository, NULL, NULL, NULL);
	if (model != NULL &&
	    appcore_model_info_json(&info, &info_len, model, detail, &err) != APPCORE_OK) {
		appcore_model_unref(model);
		return send_failure(req, APPCORE_PROTOCOL_APPCORE, NULL, &err);
	}
	appcore_model_unref(model);
	len = strlen(prefix) + info_len + 1;
	body = malloc(len + 1);
	if (body == NULL) {
		appcore_free(info);
		return send_error(req, APPCORE_PROTOCOL_APPCORE, NULL, APPCORE_ENOMEM,
				  "out of memory");
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
		return send_not_ready(req, APPCORE_PROTOCOL_APPCORE, reason);
	return send_with_model(req, "{\"status\":\"ready\",\"model\":", APPCORE_MODEL_INFO_IDENTITY);
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
	appcore_model *model = NULL;
	appcore_error err;
	char *body = NULL;
	size_t len = 0;
	int rc;

	if (appcore_repository_get(&model, req->app->repository, NULL, NULL, &err) != APPCORE_OK)
		return send_failure(req, APPCORE_PROTOCOL_APPCORE, NULL, &err);
	rc = appcore_model_info_json(&body, &len, model, APPCORE_MODEL_INFO_FULL, &err);
	appcore_model_unref(model);
	return send_document(req, APPCORE_PROTOCOL_APPCORE, rc, body, len, &err);
}

int handle_metrics(struct request *req)
{
	appcore_error err;
	char *body = NULL;
	size_t len = 0;
	int status;

	if (appcore_metrics_render(&body, &len, req->app->metrics.registry, &err) != APPCORE_OK)
		return send_failure(req, APPCORE_PROTOCOL_APPCORE, NULL, &err);
	status = http_send(req, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, body, len);
	appcore_free(body);
	return status;
}

int handle_predict(struct request *req)
{
	return serve_prediction(req, APPCORE_PROTOCOL_APPCORE, NULL, NULL);
}

int handle_openapi(struct request *req)
{
	return http_send_json(req, 200, openapi_document, openapi_document_len);
}
