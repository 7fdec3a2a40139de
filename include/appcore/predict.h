/**
 * @file appcore/predict.h
 * @brief The JSON prediction protocol shared by appcore-server and appcore-cli.
 *
 * Request: `{"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, null, 4.8, 1.8]], "output": "value"}`.
 * A row is an array of exactly num_features numbers or null (null = missing) or, when the
 * model has feature names, an object `{"name": number|null, ...}` (absent names are missing,
 * an unknown name is an error). `"output"` ("value" or "margin") is optional.
 *
 * Response (no trailing newline): `{"predictions":[...],"model":{"name":"...","version":"..."}}`
 * with one number per row, or an array per row when a row has several outputs (multi:softprob
 * probabilities, margins of multi-class models). Numbers print as `%.9g`, which round-trips a
 * float32.
 */
#ifndef APPCORE_PREDICT_H
#define APPCORE_PREDICT_H

#include <stddef.h>

#include "common.h"
#include "error.h"
#include "model.h"

APPCORE_BEGIN_DECLS

/** Request handling options. Initialise with appcore_predict_options_init(). */
typedef struct appcore_predict_options {
	/** Most rows one request may carry; 0 means no limit. */
	size_t max_batch_rows;
	/** Output kind when the request has no "output" member. */
	appcore_output_kind default_output;
} appcore_predict_options;

/** Defaults: max_batch_rows 10000, default_output APPCORE_OUTPUT_VALUE. NULL ok. */
APPCORE_API void appcore_predict_options_init(appcore_predict_options *options);

/** A response body. Release with appcore_predict_response_release(). */
typedef struct appcore_predict_response {
	char *body;      /**< NUL-terminated JSON, no trailing newline */
	size_t body_len; /**< strlen(body) */
	size_t rows;     /**< rows predicted */
} appcore_predict_response;

/**
 * Answer one prediction request.
 *
 * @param out       receives the response; on failure it is zeroed.
 * @param body      request bytes (not necessarily NUL-terminated).
 * @param options   NULL for the defaults.
 * @return APPCORE_OK;
 *         APPCORE_EPARSE: not JSON (message and err->line/column give the position; HTTP 400);
 *         APPCORE_EREQUEST: valid JSON but not a valid request, the message says where, e.g.
 *         `instances[3][7]: expected a number or null, got string` (HTTP 422);
 *         APPCORE_ELIMIT: more rows than options->max_batch_rows (HTTP 422);
 *         APPCORE_EINVAL (NULL arguments), APPCORE_ENOMEM.
 *         Render errors for clients with appcore_error_json(). Thread-safe; the model may be
 *         shared by any number of concurrent calls.
 */
APPCORE_API int appcore_predict_json(appcore_predict_response *out, const appcore_model *model,
				     const char *body, size_t body_len,
				     const appcore_predict_options *options, appcore_error *err);

/** Free the body of @p response and zero it. NULL ok. */
APPCORE_API void appcore_predict_response_release(appcore_predict_response *response);

/**
 * Parse one JSON row, as it appears in "instances" (an array or an object), into @p row
 * (appcore_model_num_features() floats, NaN = missing). Used for NDJSON streams. Messages
 * refer to the row as `row` (e.g. `row[2]: expected a number or null, got string`).
 *
 * @return APPCORE_OK, APPCORE_EPARSE (not JSON; line/column set), APPCORE_EREQUEST,
 *         APPCORE_EINVAL, APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_predict_parse_row(float *row, const appcore_model *model,
					  const char *text, size_t len, appcore_error *err);

APPCORE_END_DECLS

#endif /* APPCORE_PREDICT_H */
