/**
 * @file appcore/predict.h
 * @brief Predict with a loaded model: dense rows in, the numbers XGBoost returns out.
 */
#ifndef APPCORE_PREDICT_H
#define APPCORE_PREDICT_H

#include <stddef.h>

#include "common.h"
#include "error.h"
#include "model.h"
#include "pool.h"

APPCORE_BEGIN_DECLS

/** Version of appcore_predict_options this header describes. */
#define APPCORE_PREDICT_OPTIONS_VERSION 2

/**
 * How to predict. Initialise with #APPCORE_PREDICT_OPTIONS_INIT or
 * appcore_predict_options_init(), then set the fields you need: later releases append
 * fields, and the version tells the library which ones your program knows.
 */
typedef struct appcore_predict_options {
	unsigned int version; /**< #APPCORE_PREDICT_OPTIONS_VERSION */
	/** Output kind: of appcore_predict(), and of JSON requests without "output". */
	appcore_output_kind output;
	/** Most rows one JSON request may carry; 0 means no limit. Not used by
	 * appcore_predict(). */
	size_t max_batch_rows;
	/** Boosting iterations [iteration_begin, iteration_end) to predict with, as XGBoost's
	 * `iteration_range`. (0, 0) means the model's default: every iteration, or
	 * [0, best_iteration + 1) for a model loaded with use_best_iteration. */
	size_t iteration_begin;
	/** See iteration_begin. 0 means "to the last iteration". */
	size_t iteration_end;
	/** Since version 2. Nonzero: appcore_predict_json() also hands back the decoded input
	 * rows and the predictions (appcore_response::inputs, appcore_response::outputs), e.g.
	 * for a prediction log. The common request shape costs no copy; others hold every row
	 * of the request in memory at once. Zero (the default): only the JSON answer. */
	int keep_rows;
	/** Since version 2. Threads to score large batches with (appcore_pool_new()); NULL: the
	 * calling thread only. Small batches always run on the caller, and a pool busy with
	 * another caller's batch is not waited for. Not owned. */
	appcore_pool *pool;
} appcore_predict_options;

/** Default of appcore_predict_options::max_batch_rows. */
#define APPCORE_PREDICT_DEFAULT_MAX_BATCH_ROWS 10000

/** Static initialiser: value output, at most #APPCORE_PREDICT_DEFAULT_MAX_BATCH_ROWS rows per
 * request, the model's default iteration range. */
#define APPCORE_PREDICT_OPTIONS_INIT                                                               \
	{                                                                                          \
		APPCORE_PREDICT_OPTIONS_VERSION, APPCORE_OUTPUT_VALUE,                             \
		    APPCORE_PREDICT_DEFAULT_MAX_BATCH_ROWS, 0, 0, 0, NULL                          \
	}

/**
 * Initialise @p options with the defaults of @p version (those of
 * #APPCORE_PREDICT_OPTIONS_INIT).
 *
 * @param version #APPCORE_PREDICT_OPTIONS_VERSION.
 * @return APPCORE_OK; APPCORE_EINVAL when @p options is NULL or the library does not know
 *         @p version. Thread-safe.
 */
APPCORE_API int appcore_predict_options_init(appcore_predict_options *options,
					     unsigned int version);

/**
 * Predict @p num_rows rows, exactly as XGBoost's `predict()` (or
 * `predict(output_margin=True)` for APPCORE_OUTPUT_MARGIN) on the same float32 rows.
 *
 * @param out      receives num_rows * appcore_model_output_size(model, options->output)
 *                 floats, row-major. Non-finite results (a margin that overflows float32)
 *                 are written as they are.
 * @param model    the model.
 * @param rows     dense row-major matrix of num_rows * appcore_model_num_features() floats;
 *                 NaN means missing.
 * @param options  NULL for the defaults.
 * @return APPCORE_OK; APPCORE_EINVAL (NULL model or out, NULL rows with num_rows > 0, an
 *         unknown options version or output kind); APPCORE_EREQUEST (an iteration range
 *         outside the model's iterations); APPCORE_ENOMEM. Thread-safe; no locks.
 */
APPCORE_API int appcore_predict(float *out, const appcore_model *model, const float *rows,
				size_t num_rows, const appcore_predict_options *options,
				appcore_error *err);

APPCORE_END_DECLS

#endif /* APPCORE_PREDICT_H */
