/* TensorFlow Serving's REST API under /v1/models. */
#include "app.h"
#include "handlers.h"
#include "http.h"

int handle_tfserving_status(struct request *req)
{
	appcore_error err;
	char *text = NULL;
	size_t len = 0;
	int rc = appcore_tfserving_model_status(&text, &len, req->app->repository,
						route_param(&req->params, "name"),
						route_param(&req->params, "version"), &err);

	return send_document(req, APPCORE_PROTOCOL_TFSERVING, rc, text, len, &err);
}

int handle_tfserving_predict(struct request *req)
{
	return serve_prediction(req, APPCORE_PROTOCOL_TFSERVING, route_param(&req->params, "name"),
				route_param(&req->params, "version"));
}
