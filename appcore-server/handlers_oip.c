/* The Open Inference Protocol (/v2) and Triton's repository extension: each handler takes
 * the path parameters, calls the library's protocol function, and answers. */
#include <stdlib.h>

#include "app.h"
#include "handlers.h"
#include "http.h"

#define OIP APPCORE_PROTOCOL_OIP

static const char *param(struct request *req, const char *name)
{
	return route_param(&req->params, name);
}

int handle_oip_server_metadata(struct request *req)
{
	appcore_error err;
	char *text = NULL;
	size_t len = 0;
	int rc = appcore_oip_server_metadata(&text, &len, &err);

	return send_document(req, OIP, rc, text, len, &err);
}

/* Health answers have no body: the status is the answer. */
int handle_oip_live(struct request *req)
{
	return http_send(req, 200, "text/plain; charset=utf-8", NULL, "", 0);
}

int handle_oip_ready(struct request *req)
{
	const char *reason = not_ready_reason(req);

	if (reason != NULL)
		return send_not_ready(req, OIP, reason);
	return http_send(req, 200, "text/plain; charset=utf-8", NULL, "", 0);
}

int handle_oip_model_ready(struct request *req)
{
	appcore_model *model = NULL;
	appcore_error err;

	if (appcore_repository_get(&model, req->app->repository, param(req, "name"),
				   param(req, "version"), &err) != APPCORE_OK)
		return send_failure(req, OIP, NULL, &err);
	appcore_model_unref(model);
	return http_send(req, 200, "text/plain; charset=utf-8", NULL, "", 0);
}

int handle_oip_model_metadata(struct request *req)
{
	appcore_error err;
	char *text = NULL;
	size_t len = 0;
	int rc = appcore_oip_model_metadata(&text, &len, req->app->repository, param(req, "name"),
					    param(req, "version"), &err);

	return send_document(req, OIP, rc, text, len, &err);
}

int handle_oip_infer(struct request *req)
{
	return serve_prediction(req, OIP, param(req, "name"), param(req, "version"));
}

int handle_oip_repository_index(struct request *req)
{
	appcore_error err;
	char *body = NULL, *text = NULL;
	size_t len = 0, text_len = 0;
	int status, rc;

	if ((status = read_json_body(req, OIP, &body, &len)) != 0)
		return status;
	rc = appcore_oip_repository_index(&text, &text_len, req->app->repository, body, len, &err);
	free(body);
	return send_document(req, OIP, rc, text, text_len, &err);
}

/* Load and unload answer 200 with no body, as Triton does; errors as OIP errors. */
static int repository_change(struct request *req, int load)
{
	appcore_error err;
	char *body = NULL;
	size_t len = 0;
	int status, rc;

	if ((status = read_json_body(req, OIP, &body, &len)) != 0)
		return status;
	rc = load ? appcore_oip_repository_load(req->app->repository, param(req, "name"), body, len,
						&err)
		  : appcore_oip_repository_unload(req->app->repository, param(req, "name"), body,
						  len, &err);
	free(body);
	if (rc != APPCORE_OK)
		return send_failure(req, OIP, NULL, &err);
	return http_send(req, 200, "text/plain; charset=utf-8", NULL, "", 0);
}

int handle_oip_repository_load(struct request *req)
{
	return repository_change(req, 1);
}

int handle_oip_repository_unload(struct request *req)
{
	return repository_change(req, 0);
}
