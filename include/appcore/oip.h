/**
 * @file appcore/oip.h
 * @brief The Open Inference Protocol (KServe V2) over REST, and Triton's model repository
 *        extension, as documents a shell sends and receives.
 *
 * A model takes one input tensor of shape `[rows, num_features]` (any name; datatype FP32,
 * FP64, INT8 to INT64, UINT8 to UINT64 or BOOL; `data` flat in row-major order or nested
 * by row; `null` is a missing value for FP32 and FP64) and produces two output tensors:
 * `predict` (what XGBoost's `predict()` returns, the default) and `margin` (the untransformed
 * sum), FP32, of shape `[rows]` or `[rows, k]` when a row has k numbers (class
 * probabilities). Request parameters `iteration_begin` and `iteration_end` (integers) choose
 * boosting iterations as XGBoost's `iteration_range`; other parameters are ignored.
 * docs/protocols.md has examples, and every error with its status
 * (appcore_protocol_http_status() with #APPCORE_PROTOCOL_OIP).
 */
#ifndef APPCORE_OIP_H
#define APPCORE_OIP_H

#include <stddef.h>

#include "common.h"
#include "error.h"
#include "model.h"
#include "predict.h"
#include "protocol.h"
#include "repository.h"

APPCORE_BEGIN_DECLS

/** Name of the input tensor in model metadata (requests may name it anything). */
#define APPCORE_OIP_INPUT_NAME "input-0"

/**
 * Answer an inference request (`POST /v2/models/{name}[/versions/{v}]/infer`) with @p model:
 * `{"model_name":...,"model_version":...,"id":...,"outputs":[...]}`, `id` echoed when the
 * request has one.
 *
 * @param out     receives the response (body, rows); release with appcore_response_dispose().
 *                Zeroed on failure.
 * @param options NULL for the defaults; max_batch_rows bounds the rows, the output kind is
 *                not used (outputs are named in the request), the iteration range applies
 *                when the request has no iteration parameters.
 * @return APPCORE_OK; APPCORE_EPARSE (not JSON; line and column set); APPCORE_EREQUEST
 *         (a request that breaks the protocol: the message names the member, e.g.
 *         `inputs[0].shape[1]: the model takes 4 features, got 5`); APPCORE_EUNSUPPORTED
 *         (BYTES, FP16 or BF16 input, several input tensors); APPCORE_ELIMIT (more rows than
 *         max_batch_rows); APPCORE_EINVAL; APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_oip_infer(appcore_response *out, const appcore_model *model,
				  const char *body, size_t body_len,
				  const appcore_predict_options *options, appcore_error *err);

/**
 * Model metadata (`GET /v2/models/{name}[/versions/{v}]`): name, the versions served,
 * platform `xgboost`, the input and the outputs with datatype and shape (-1 for rows).
 *
 * @param out receives the JSON document; release with appcore_free().
 * @param version NULL for the default version.
 * @return APPCORE_OK; the errors of appcore_repository_get(); APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_oip_model_metadata(char **out, size_t *out_len, appcore_repository *repo,
					   const char *name, const char *version,
					   appcore_error *err);

/**
 * Server metadata (`GET /v2`): `{"name":"appcore","version":"<VERSION>",
 * "extensions":["model_repository"]}`.
 *
 * @param out receives the JSON document; release with appcore_free().
 * @return APPCORE_OK; APPCORE_EINVAL; APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_oip_server_metadata(char **out, size_t *out_len, appcore_error *err);

/**
 * Triton's repository index (`POST /v2/repository/index`): for a body that is empty or
 * `{"ready": true|false}`, the array `[{"name","version","state","reason"}, ...]` of
 * appcore_repository_list(): state `READY` or `UNAVAILABLE` (with the reason); with
 * `"ready": true` only the ready lines.
 *
 * @param out receives the JSON document; release with appcore_free().
 * @return APPCORE_OK; APPCORE_EPARSE; APPCORE_EREQUEST (a member other than "ready", or not
 *         a boolean); APPCORE_EINVAL; APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_oip_repository_index(char **out, size_t *out_len,
					     appcore_repository *repo, const char *body,
					     size_t body_len, appcore_error *err);

/**
 * Triton's repository load (`POST /v2/repository/models/{name}/load`): a body that is empty
 * or `{"parameters": {...}}`, then appcore_repository_load(). The parameters `config` and
 * `file:<version>/<name>` (a configuration or model sent in the request) are refused: the
 * repository reads its directory.
 *
 * @return APPCORE_OK; APPCORE_EPARSE; APPCORE_EREQUEST; APPCORE_EUNSUPPORTED; the errors of
 *         appcore_repository_load(). Blocks while the model loads. Thread-safe.
 */
APPCORE_API int appcore_oip_repository_load(appcore_repository *repo, const char *name,
					    const char *body, size_t body_len, appcore_error *err);

/**
 * Triton's repository unload (`POST /v2/repository/models/{name}/unload`): a body that is
 * empty or `{"parameters": {...}}` (`unload_dependents` is accepted; models here have no
 * dependents), then appcore_repository_unload().
 *
 * @return APPCORE_OK; APPCORE_EPARSE; APPCORE_EREQUEST; the errors of
 *         appcore_repository_unload(). Thread-safe.
 */
APPCORE_API int appcore_oip_repository_unload(appcore_repository *repo, const char *name,
					      const char *body, size_t body_len,
					      appcore_error *err);

APPCORE_END_DECLS

#endif /* APPCORE_OIP_H */
