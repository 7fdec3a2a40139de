/* A fast path for the common shape of a prediction request. */
#ifndef APPCORE_PREDICT_FAST_H
#define APPCORE_PREDICT_FAST_H

#include <stdbool.h>
#include <stddef.h>

#include "appcore/predict.h"

/* Decode {"instances": [[number|null, ...], ...], "output": "value"|"margin"}
 * (members in any order, "output" optional) when every row is an array of
 * exactly num_features numbers or nulls whose float32 values are finite, the
 * row count is within max_rows (0 = no limit) and nothing else is present.
 * Numbers are converted exactly as Jansson converts them (integers through
 * strtoll, others through strtod), so the rows are identical to the general
 * path's.
 *
 * On success *rows is a malloc'd block of n * num_features floats followed by
 * room for n * max_width predictions, *n and *kind are set, and true is
 * returned. Anything else -- another shape, an error of any kind, an
 * allocation failure -- returns false with nothing allocated: the caller then
 * runs the general Jansson path, which also produces the exact error message. */
bool ac_predict_fast_parse(const char *text, size_t len, size_t num_features, size_t max_width,
			   size_t max_rows, appcore_output_kind default_kind, float **rows, size_t *n,
			   appcore_output_kind *kind);

#endif
