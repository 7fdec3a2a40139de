/**
 * @file appcore/model.h
 * @brief Load XGBoost models and read their metadata.
 *
 * A model handle is immutable once loaded and reference-counted: any number of threads may
 * use one handle at the same time without locks, and a handle stays valid for as long as
 * anyone holds a reference, even after whoever loaded it has moved on to a newer version.
 * Prediction is in predict.h.
 */
#ifndef APPCORE_MODEL_H
#define APPCORE_MODEL_H

#include <stddef.h>

#include "common.h"
#include "error.h"

APPCORE_BEGIN_DECLS

/** A loaded model. Opaque; immutable after load, reference-counted, thread-safe. */
typedef struct appcore_model appcore_model;

/** What a prediction returns. */
typedef enum appcore_output_kind {
	/** What XGBoost's `predict()` returns (probabilities, class index, ...). */
	APPCORE_OUTPUT_VALUE = 0,
	/** What `predict(output_margin=True)` returns: the untransformed sum. */
	APPCORE_OUTPUT_MARGIN = 1
} appcore_output_kind;

/** Version of appcore_model_load_options this header describes. */
#define APPCORE_MODEL_LOAD_OPTIONS_VERSION 1

/**
 * How to load a model. Initialise with #APPCORE_MODEL_LOAD_OPTIONS_INIT or
 * appcore_model_load_options_init(), then set the fields you need: later releases append
 * fields, and the version tells the library which ones your program knows.
 */
typedef struct appcore_model_load_options {
	unsigned int version; /**< #APPCORE_MODEL_LOAD_OPTIONS_VERSION */
	/** Name reported in responses and metadata (UTF-8, copied). NULL: the file name
	 * without directory and extension, or "model" for a buffer. */
	const char *name;
	/** Version label reported with the name (UTF-8, copied). NULL: "". */
	const char *model_version;
	/** Nonzero: predict with iterations [0, best_iteration + 1) unless a request asks for
	 * another range, as XGBoost's scikit-learn wrapper does after early stopping. Ignored
	 * when the model has no best_iteration. Zero (the default): all iterations, as
	 * `Booster.predict()`. */
	int use_best_iteration;
} appcore_model_load_options;

/** Static initialiser: defaults for every field. */
#define APPCORE_MODEL_LOAD_OPTIONS_INIT                                                            \
	{                                                                                          \
		APPCORE_MODEL_LOAD_OPTIONS_VERSION, NULL, NULL, 0                                  \
	}

/**
 * Initialise @p options with the defaults of @p version.
 *
 * @param version #APPCORE_MODEL_LOAD_OPTIONS_VERSION.
 * @return APPCORE_OK; APPCORE_EINVAL when @p options is NULL or the library does not know
 *         @p version (a program built against newer headers). Thread-safe.
 */
APPCORE_API int appcore_model_load_options_init(appcore_model_load_options *options,
						unsigned int version);

/**
 * Load a model file saved by XGBoost: `save_model("x.json")` (JSON) or `save_model("x.ubj")`
 * (UBJSON), boosters gbtree, dart and gblinear. The format is recognised from the content,
 * not the file name.
 *
 * @param out     receives a handle with one reference; release it with appcore_model_unref().
 *                NULL on failure.
 * @param path    file to read; streamed, never held whole in memory.
 * @param options NULL for the defaults.
 * @return APPCORE_OK; APPCORE_EINVAL (NULL argument, unknown options version, a name or
 *         version that is not UTF-8), APPCORE_EIO (cannot read), APPCORE_EMODEL (malformed or
 *         inconsistent model; JSON syntax errors set line and column), APPCORE_EUNSUPPORTED
 *         (unknown objective or booster, XGBoost's legacy binary format or a memory snapshot:
 *         the message says how to convert), APPCORE_ENOMEM.
 *         The message names the file and the offending field. Thread-safe.
 */
APPCORE_API int appcore_model_load_file(appcore_model **out, const char *path,
					const appcore_model_load_options *options,
					appcore_error *err);

/**
 * Load a model from @p len bytes at @p data (JSON or UBJSON; not necessarily
 * NUL-terminated; not kept). Errors as appcore_model_load_file().
 */
APPCORE_API int appcore_model_load_buffer(appcore_model **out, const void *data, size_t len,
					  const appcore_model_load_options *options,
					  appcore_error *err);

/** Take another reference to @p model (which is returned; NULL gives NULL). Thread-safe. */
APPCORE_API appcore_model *appcore_model_ref(appcore_model *model);

/** Drop a reference; the last one frees the model. @p model may be NULL. Thread-safe. */
APPCORE_API void appcore_model_unref(appcore_model *model);

/*
 * Accessors. Each takes a valid (non-NULL) model and is thread-safe; strings are owned by
 * the model and live as long as it does.
 */

/** The model's name (from the load options or the file name). */
APPCORE_API const char *appcore_model_name(const appcore_model *model);
/** The model's version label (may be ""). */
APPCORE_API const char *appcore_model_version(const appcore_model *model);
/** Number of input features (columns per row). */
APPCORE_API size_t appcore_model_num_features(const appcore_model *model);
/** Numbers per row that a APPCORE_OUTPUT_VALUE prediction writes: num_class for
 * multi:softprob, 1 for multi:softmax (the class index), the number of quantiles for
 * reg:quantileerror, otherwise num_target (usually 1). */
APPCORE_API size_t appcore_model_num_outputs(const appcore_model *model);
/** Numbers per row a prediction of @p kind writes. Only multi:softmax differs between kinds:
 * its margin has num_class numbers per row. */
APPCORE_API size_t appcore_model_output_size(const appcore_model *model,
					     appcore_output_kind kind);
/** Name of feature @p index, or NULL if the model has no names or index is out of range. */
APPCORE_API const char *appcore_model_feature_name(const appcore_model *model, size_t index);
/** XGBoost type of feature @p index ("q", "c", "float", ...), or NULL if none. */
APPCORE_API const char *appcore_model_feature_type(const appcore_model *model, size_t index);

/**
 * The column of the feature called @p name.
 *
 * @param index receives the column.
 * @return APPCORE_OK; APPCORE_ENOTFOUND when the model has no feature of that name (or no
 *         feature names at all); APPCORE_EINVAL for NULL arguments.
 */
APPCORE_API int appcore_model_feature_index(size_t *index, const appcore_model *model,
					    const char *name);

/** Objective name, e.g. "binary:logistic". */
APPCORE_API const char *appcore_model_objective(const appcore_model *model);
/** Booster kind: "gbtree", "dart" or "gblinear". */
APPCORE_API const char *appcore_model_booster(const appcore_model *model);
/** Number of trees (0 for gblinear). */
APPCORE_API size_t appcore_model_num_trees(const appcore_model *model);
/** Number of boosting iterations (rounds), as XGBoost's num_boosted_rounds(): the trees of
 * one round predict all outputs once. */
APPCORE_API size_t appcore_model_num_iterations(const appcore_model *model);

/**
 * The iteration early stopping chose (`best_iteration` in the file).
 *
 * @param iteration receives it (0-based, as XGBoost reports it).
 * @return APPCORE_OK; APPCORE_ENOTFOUND when the model was not trained with early stopping;
 *         APPCORE_EINVAL for NULL arguments.
 */
APPCORE_API int appcore_model_best_iteration(size_t *iteration, const appcore_model *model);

/** Version of XGBoost that wrote the file, e.g. "1.7.4", or "unknown". */
APPCORE_API const char *appcore_model_xgboost_version(const appcore_model *model);

/** How much appcore_model_info_json() says. */
typedef enum appcore_model_info {
	/** `{"name":...,"version":...}`: what a prediction answer names. */
	APPCORE_MODEL_INFO_IDENTITY = 0,
	/** Identity plus objective, num_features, num_outputs: what /version reports. */
	APPCORE_MODEL_INFO_SUMMARY = 1,
	/** Everything: identity, xgboost_version, booster, objective, num_features,
	 * num_outputs, num_class, num_trees, num_parallel_tree, num_iterations,
	 * best_iteration (null when absent), base_score, feature_names and feature_types
	 * (null when absent). What GET /model and `appcore-cli inspect` answer. */
	APPCORE_MODEL_INFO_FULL = 2
} appcore_model_info;

/**
 * The model's metadata as compact JSON (ASCII; names that are not UTF-8 are sanitised).
 *
 * @param out     receives a NUL-terminated string; free it with appcore_free().
 * @param out_len receives its length; may be NULL.
 * @param detail  one of ::appcore_model_info.
 * @return APPCORE_OK, APPCORE_EINVAL (NULL arguments, unknown detail), APPCORE_ENOMEM.
 *         Thread-safe.
 */
APPCORE_API int appcore_model_info_json(char **out, size_t *out_len, const appcore_model *model,
					appcore_model_info detail, appcore_error *err);

APPCORE_END_DECLS

#endif /* APPCORE_MODEL_H */
