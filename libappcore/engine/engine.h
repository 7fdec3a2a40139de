/* The engine's entry points inside the library. Private to libappcore. */
#ifndef APPCORE_ENGINE_H
#define APPCORE_ENGINE_H

#include <stddef.h>

#include "appcore/predict.h"

/* Predict num_rows rows with trees [tree_begin, tree_end) (see ac_model_tree_range) into out
 * (num_rows * appcore_model_output_size(m, kind) floats). Arguments are trusted. */
int ac_engine_predict(const appcore_model *m, const float *rows, size_t num_rows,
		      appcore_output_kind kind, size_t tree_begin, size_t tree_end, float *out,
		      appcore_error *err);

/* APPCORE_EINVAL unless options has a version and output kind this library knows. */
int ac_predict_options_check(const appcore_predict_options *options, appcore_error *err);

#endif
