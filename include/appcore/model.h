/**
 * @file appcore/model.h
 * @brief Load XGBoost JSON models and predict with them exactly as XGBoost does.
 *
 * A model handle is immutable once loaded (set its identity before sharing it) and
 * reference-counted; any number of threads may predict with one handle at the same time
 * without locks.
 */
#ifndef APPCORE_MODEL_H
#define APPCORE_MODEL_H

#include <stddef.h>

#include "common.h"
#include "error.h"

APPCORE_BEGIN_DECLS

/** A loaded model. Opaque; immutable after load, refcounted, thread-safe. */
typedef struct appcore_model appcore_model;

/** What a prediction returns. */
typedef enum appcore_output_kind {
	/** What XGBoost's `predict()` returns (probabilities, class index, ...). */
	APPCORE_OUTPUT_VALUE = 0,
	/** What `predict(output_margin=True)` returns: the untransformed sum. */
	APPCORE_OUTPUT_MARGIN = 1
} appcore_output_kind;

/**
 * Load a model saved by XGBoost's `save_model("x.json")` (boosters gbtree, dart, gblinear).
 * The name defaults to the file name without directory and `.json`; the version to "".
 *
 * @param out  receives a handle with one reference; release it with appcore_model_unref().
 * @param path file to read. `.ubj` files (UBJSON) are rejected with a hint to save as JSON.
 * @return APPCORE_OK; APPCORE_EINVAL (NULL argument), APPCORE_EIO (cannot read),
 *         APPCORE_EMODEL (malformed or inconsistent model; JSON syntax errors set line and
 *         column), APPCORE_EUNSUPPORTED (UBJSON, unknown objective or booster, multi-target
 *         trees), APPCORE_ENOMEM. The message names the file and the offending field.
 *         Thread-safe.
 */
APPCORE_API int appcore_model_load_file(appcore_model **out, const char *path,
					appcore_error *err);

/**
 * Load a model from @p len bytes of XGBoost JSON at @p data (not necessarily NUL-terminated;
 * not kept). The name defaults to "model". Errors as appcore_model_load_file().
 */
APPCORE_API int appcore_model_load_buffer(appcore_model **out, const char *data, size_t len,
					  appcore_error *err);

/** Take another reference to @p model (which is returned). Thread-safe. */
APPCORE_API appcore_model *appcore_model_ref(appcore_model *model);

/** Drop a reference; the last one frees the model. @p model may be NULL. Thread-safe. */
APPCORE_API void appcore_model_unref(appcore_model *model);

/**
 * Set the name and version reported in prediction responses and metadata (from config).
 * Not thread-safe: call it before the handle is shared with other threads.
 *
 * @param name    non-empty UTF-8 text; copied.
 * @param version UTF-8 text (may be ""); copied.
 * @return APPCORE_OK, APPCORE_EINVAL (NULL, empty name or not UTF-8), APPCORE_ENOMEM
 *         (the previous identity is kept).
 */
APPCORE_API int appcore_model_set_identity(appcore_model *model, const char *name,
					   const char *version, appcore_error *err);

/** The model's name; owned by the model, valid until the identity changes. */
APPCORE_API const char *appcore_model_name(const appcore_model *model);
/** The model's version (may be ""); owned by the model. */
APPCORE_API const char *appcore_model_version(const appcore_model *model);
/** Number of input features (columns per row). Thread-safe, like all accessors. */
APPCORE_API size_t appcore_model_num_features(const appcore_model *model);
/** Numbers per row that a APPCORE_OUTPUT_VALUE prediction writes: num_class for
 * multi:softprob, 1 for multi:softmax (the class index), otherwise num_target (usually 1). */
APPCORE_API size_t appcore_model_num_outputs(const appcore_model *model);
/** Numbers per row a prediction of @p kind writes. Only multi:softmax differs between kinds:
 * its margin has num_class numbers per row. */
APPCORE_API size_t appcore_model_output_size(const appcore_model *model,
					     appcore_output_kind kind);
/** Name of feature @p index, or NULL if the model has no names or index is out of range. */
APPCORE_API const char *appcore_model_feature_name(const appcore_model *model, size_t index);
/** XGBoost type of feature @p index ("q", "c", "float", ...), or NULL if none. */
APPCORE_API const char *appcore_model_feature_type(const appcore_model *model, size_t index);
/** Objective name, e.g. "binary:logistic". */
APPCORE_API const char *appcore_model_objective(const appcore_model *model);
/** Booster kind: "gbtree", "dart" or "gblinear". */
APPCORE_API const char *appcore_model_booster(const appcore_model *model);
/** Number of trees (0 for gblinear). */
APPCORE_API size_t appcore_model_num_trees(const appcore_model *model);
/** Version of XGBoost that wrote the file, e.g. "1.7.4", or "unknown". */
APPCORE_API const char *appcore_model_xgboost_version(const appcore_model *model);

/**
 * Predict @p num_rows rows.
 *
 * @param rows  dense row-major matrix, num_rows * appcore_model_num_features() floats;
 *              NaN means missing.
 * @param kind  value or margin.
 * @param out   receives num_rows * appcore_model_output_size(model, kind) floats, row-major.
 * @return APPCORE_OK, APPCORE_EINVAL (NULL model/out, or NULL rows with num_rows > 0),
 *         APPCORE_ENOMEM. Thread-safe; no locks.
 */
APPCORE_API int appcore_model_predict(const appcore_model *model, const float *rows,
				      size_t num_rows, appcore_output_kind kind, float *out,
				      appcore_error *err);

/**
 * The model's metadata as compact JSON (for GET /model and `appcore-cli inspect`): name,
 * version, xgboost_version, booster, objective, num_features, num_outputs, num_class,
 * num_trees, num_parallel_tree, base_score, feature_names and feature_types (null when absent).
 *
 * @param out     receives a NUL-terminated string; free it with appcore_free().
 * @param out_len receives its length; may be NULL.
 * @return APPCORE_OK, APPCORE_EINVAL, APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_model_info_json(char **out, size_t *out_len, const appcore_model *model,
					appcore_error *err);

APPCORE_END_DECLS

#endif /* APPCORE_MODEL_H */
