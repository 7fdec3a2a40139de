/**
 * @file appcore/tfserving.h
 * @brief TensorFlow Serving's REST API (predict and model status) for the clients that
 *        speak it.
 *
 * Predict (`POST /v1/models/{name}[/versions/{v}]:predict`) takes the row format
 * `{"instances": [row, ...]}`, a row being an array of num_features numbers or nulls or an
 * object of feature names (as appcore's own `/predict`), and answers
 * `{"predictions": [...]}`; or the columnar format `{"inputs": [row, ...]}` or
 * `{"inputs": {"feature": [value per row], ...}}`, answered with `{"outputs": [...]}`.
 * `signature_name` may be absent, `serving_default` or `predict`. Errors are
 * `{"error": "message"}` (appcore_protocol_error_json() with
 * #APPCORE_PROTOCOL_TFSERVING).
 */
#ifndef APPCORE_TFSERVING_H
#define APPCORE_TFSERVING_H

#include <stddef.h>

#include "common.h"
#include "error.h"
#include "model.h"
#include "predict.h"
#include "protocol.h"
#include "repository.h"

APPCORE_BEGIN_DECLS

/**
 * Answer a TensorFlow Serving predict request with @p model.
 *
 * @param out     receives the response; release with appcore_response_dispose(). Zeroed on
 *                failure.
 * @param options NULL for the defaults; `output` is the kind predicted, max_batch_rows
 *                bounds the rows, and the iteration range applies.
 * @return APPCORE_OK; APPCORE_EPARSE; APPCORE_EREQUEST (the message names the member:
 *         `instances[2][1]: expected a number or null, got string`); APPCORE_ELIMIT;
 *         APPCORE_EINVAL; APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_tfserving_predict(appcore_response *out, const appcore_model *model,
					  const char *body, size_t body_len,
					  const appcore_predict_options *options,
					  appcore_error *err);

/**
 * Model status (`GET /v1/models/{name}[/versions/{v}]`): `{"model_version_status":
 * [{"version":"2","state":"AVAILABLE","status":{"error_code":"OK","error_message":""}},
 * ...]}` with the served versions (AVAILABLE) and those that failed or were unloaded
 * (END, with the error), or only version @p version.
 *
 * @param out receives the JSON document; release with appcore_free().
 * @return APPCORE_OK; APPCORE_ENOTFOUND (unknown model, or a version it does not know);
 *         APPCORE_EINVAL; APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_tfserving_model_status(char **out, size_t *out_len,
					       appcore_repository *repo, const char *name,
					       const char *version, appcore_error *err);

APPCORE_END_DECLS

#endif /* APPCORE_TFSERVING_H */
