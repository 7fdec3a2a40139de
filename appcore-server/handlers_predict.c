/* Every prediction, whatever its protocol, goes through serve_prediction(): one place that
 * finds the model, predicts, counts and answers. */
#include <stdlib.h>
#include <time.h>

#include "app.h"
#include "handlers.h"
#include "http.h"
#include "prediction_log.h"

typedef int (*predict_fn)(appcore_response *out, const appcore_model *model, const char *body,
			  size_t body_len, const appcore_predict_options *options,
			  appcore_error *err);

static double now_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The `protocol` label of appcore_model_requests_total. */
static const char *protocol_label(appcore_protocol protocol)
{
	switch (protocol) {
	case APPCORE_PROTOCOL_OIP:
		return "oip";
	case APPCORE_PROTOCOL_TFSERVING:
		return "tfserving";
	case APPCORE_PROTOCOL_APPCORE:
	default:
		return "predict";
	}
}

static predict_fn predictor(appcore_protocol protocol)
{
	switch (protocol) {
	case APPCORE_PROTOCOL_OIP:
		return appcore_oip_infer;
	case APPCORE_PROTOCOL_TFSERVING:
		return appcore_tfserving_predict;
	case APPCORE_PROTOCOL_APPCORE:
	default:
		return appcore_predict_json;
	}
}

int serve_prediction(struct request *req, appcore_protocol protocol, const char *name,
		     const char *version)
{
	struct app *app = req->app;
	double started = now_seconds();
	appcore_predict_options options;
	appcore_response response = { 0 };
	appcore_model *model = NULL;
	char *named = NULL, *named_version = NULL;
	char *body = NULL;
	size_t len = 0;
	appcore_error err;
	int status;

	if ((status = read_json_body(req, protocol, &body, &len)) != 0)
		goto out;
	/* /predict names its model in the body, or means the default one */
	if (protocol == APPCORE_PROTOCOL_APPCORE) {
		if (appcore_predict_json_target(&named, &named_version, body, len, &err) !=
		    APPCORE_OK) {
			status = send_failure(req, protocol, NULL, &err);
			goto out;
		}
		name = named;
		version = named_version;
	}
	if (appcore_repository_get(&model, app->repository, name, version, &err) != APPCORE_OK) {
		status = send_failure(req, protocol, NULL, &err);
		goto out;
	}
	appcore_predict_options_init(&options, APPCORE_PREDICT_OPTIONS_VERSION);
	/* a model retired since the lookup keeps serving this request with the defaults */
	if (appcore_repository_predict_options(&options, app->repository, appcore_model_name(model),
					       NULL) != APPCORE_OK)
		options = app->predict_options;
	/* the prediction log needs the rows and predictions back */
	options.keep_rows = app->predlog != NULL;
	options.pool = app->predict_pool;
	if (predictor(protocol)(&response, model, body, len, &options, &err) != APPCORE_OK) {
		status = send_failure(req, protocol, NULL, &err);
		goto out;
	}
	if ((status = prediction_log_record(req, model, response.inputs, response.rows,
					    response.outputs, response.output_kind)) != 0)
		goto out;
	server_metrics_predicted(&app->metrics, appcore_model_name(model), response.rows);
	status = http_send_json(req, 200, response.body, response.body_len);
out:
	model_metrics_request(&app->model_metrics, model, protocol_label(protocol), status,
			      now_seconds() - started, response.rows);
	appcore_response_dispose(&response);
	appcore_model_unref(model);
	appcore_free(named);
	appcore_free(named_version);
	free(body);
	return status;
}
