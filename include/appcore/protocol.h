/**
 * @file appcore/protocol.h
 * @brief The JSON prediction protocol every appcore shell speaks, in one call.
 *
 * appcore-server's `POST /predict` and `appcore-cli predict` are this call; a program that
 * embeds the library and serves requests from its own loop answers byte for byte as they do.
 *
 * Request: `{"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, null, 4.8, 1.8]]}`, optionally with
 * `"output": "value"|"margin"`, `"iteration_range": [begin, end]` and `"model"` and
 * `"version"`, which name the model that must answer (a shell picks it with
 * appcore_predict_json_target(); appcore_predict_json() refuses a request that names
 * another model than the one it is given). A row is an array of
 * exactly num_features numbers or null (null = missing) or, when the model has feature names,
 * an object `{"name": number|null, ...}` (absent names are missing, an unknown name is an
 * error). `NaN` (what Python's json.dumps writes for a missing numpy value) is read as null.
 *
 * Response (no trailing newline): `{"predictions":[...],"model":{"name":"...","version":"..."}}`
 * with one number per row, or an array per row when a row has several outputs (multi:softprob
 * probabilities, margins of multi-class models, several quantiles). Numbers print as `%.9g`,
 * which round-trips a float32; a non-finite prediction prints as `null`, since JSON has no
 * infinity.
 */
#ifndef APPCORE_PROTOCOL_H
#define APPCORE_PROTOCOL_H

#include <stddef.h>

#include "common.h"
#include "error.h"
#include "model.h"
#include "predict.h"

APPCORE_BEGIN_DECLS

/**
 * An answer the library wrote, filled by the library. Like appcore_error it has a fixed size
 * with reserved space for later fields; the caller need not initialise it. Release what it
 * holds with appcore_response_dispose().
 */
typedef struct appcore_response {
	char *body;      /**< NUL-terminated JSON, no trailing newline */
	size_t body_len; /**< strlen(body) */
	size_t rows;     /**< rows predicted */
	/** With appcore_predict_options::keep_rows: the decoded rows, `rows` x
	 * appcore_model_num_features() floats (NaN = missing); otherwise NULL. */
	float *inputs;
	/** With keep_rows: the predictions, `rows` x `output_size` floats, as computed
	 * (non-finite values kept); otherwise NULL. Shares one allocation with @p inputs. */
	float *outputs;
	/** With keep_rows: numbers per row in @p outputs; otherwise 0. */
	size_t output_size;
	/** With keep_rows: the output kind the request asked for; otherwise value. */
	appcore_output_kind output_kind;
	void *reserved[4]; /**< Reserved for later fields; written as NULL. */
} appcore_response;

/**
 * Answer one JSON prediction request.
 *
 * Memory is bounded by the request: rows are decoded and predicted in blocks, so a small
 * request naming many rows of a wide model cannot make the library allocate more than the
 * answer needs.
 *
 * @param out       receives the response; on failure it is zeroed.
 * @param model     the model.
 * @param body      request bytes (not necessarily NUL-terminated).
 * @param options   NULL for the defaults; `output` is the kind when the request has no
 *                  "output", the iteration range applies when it has no "iteration_range".
 * @return APPCORE_OK;
 *         APPCORE_EPARSE: not JSON (message and err->line/column give the position);
 *         APPCORE_EREQUEST: valid JSON but not a valid request, the message says where, e.g.
 *         `instances[3][7]: expected a number or null, got string`;
 *         APPCORE_ELIMIT: more rows than options->max_batch_rows;
 *         APPCORE_EINVAL (NULL arguments, unknown options version), APPCORE_ENOMEM.
 *         appcore_error_http_status() gives the status to answer with, appcore_error_json()
 *         the body. Thread-safe; any number of concurrent calls may share the model.
 */
APPCORE_API int appcore_predict_json(appcore_response *out, const appcore_model *model,
				     const char *body, size_t body_len,
				     const appcore_predict_options *options, appcore_error *err);

/** Free what @p response holds and zero it. NULL ok. */
APPCORE_API void appcore_response_dispose(appcore_response *response);

/**
 * Parse one JSON row, as it appears in "instances" (an array or an object), into @p row
 * (appcore_model_num_features() floats, NaN = missing). Used for NDJSON streams. Messages
 * refer to the row as `row` (e.g. `row[2]: expected a number or null, got string`).
 *
 * @return APPCORE_OK, APPCORE_EPARSE (not JSON; line/column set), APPCORE_EREQUEST,
 *         APPCORE_EINVAL, APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_predict_parse_row(float *row, const appcore_model *model, const char *text,
					  size_t len, appcore_error *err);

/**
 * Write one prediction value as the protocol does: `%.9g`, or `null` when @p value is not
 * finite. Streams of predictions (NDJSON, CSV) use it so every shell prints numbers alike.
 *
 * @param buffer receives the NUL-terminated text.
 * @param size   bytes available; 16 always suffice.
 * @return the length written (without NUL), or the length needed when @p size is too small,
 *         as snprintf(). Thread-safe.
 */
APPCORE_API int appcore_format_value(char *buffer, size_t size, float value);

/**
 * The model a prediction request names with its optional `"model"` and `"version"` members,
 * so a shell serving several models (appcore_repository_get()) can choose before answering.
 * Costs one search of the body when it names none, a Jansson parse when it does.
 *
 * @param name    receives the name (release with appcore_free()), or NULL when the request
 *                names none (or is not a JSON object: the prediction then reports that).
 * @param version receives the version the same way.
 * @return APPCORE_OK; APPCORE_EREQUEST (a member that is not a string); APPCORE_EINVAL;
 *         APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_predict_json_target(char **name, char **version, const char *body,
					    size_t body_len, appcore_error *err);

/** The REST protocols appcore speaks. Each has its own error body and HTTP statuses. */
typedef enum appcore_protocol {
	/** appcore's own API (`/predict`, `/model`, ...): errors as appcore_error_json(), with
	 * the status of appcore_error_http_status(). */
	APPCORE_PROTOCOL_APPCORE = 0,
	/** The Open Inference Protocol (KServe V2, oip.h): `{"error": "message"}`; 400 for
	 * every invalid request (the specification's status), 404, 503, ... */
	APPCORE_PROTOCOL_OIP = 1,
	/** TensorFlow Serving's REST API (tfserving.h): `{"error": "message"}`, statuses as OIP. */
	APPCORE_PROTOCOL_TFSERVING = 2
} appcore_protocol;

/**
 * The HTTP status a protocol answers an error code with: for OIP and TF Serving 400 for
 * bad requests of every kind (parse errors, invalid tensors, limits, unsupported inputs,
 * models that fail to load), 404 for unknown models and versions, 503 for models not
 * available, 500 for the server's own failures, and the HTTP-level codes (401, 403, 405,
 * 408, 409, 413, 415) as appcore_error_http_status().
 *
 * @return an HTTP status; 500 for an unknown protocol or code. Thread-safe.
 */
APPCORE_API int appcore_protocol_http_status(appcore_protocol protocol, int code);

/**
 * The error body of a protocol for @p err: appcore_error_json() for
 * #APPCORE_PROTOCOL_APPCORE, `{"error":"message"}` otherwise (ASCII; bytes that are not
 * UTF-8 become U+FFFD).
 *
 * @param out     receives the NUL-terminated body; release it with appcore_free().
 * @param out_len receives its length; may be NULL.
 * @return APPCORE_OK; APPCORE_EINVAL (NULL arguments, unknown protocol); APPCORE_ENOMEM.
 *         Thread-safe.
 */
APPCORE_API int appcore_protocol_error_json(char **out, size_t *out_len, appcore_protocol protocol,
					    const appcore_error *err);

APPCORE_END_DECLS

#endif /* APPCORE_PROTOCOL_H */
