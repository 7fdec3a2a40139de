/* The general (Jansson) request decoder on its own, so tests and the differential fuzzer can
 * hold the fast path (predict_fast.h) to it. Private to libappcore. */
#ifndef APPCORE_PREDICT_JSON_INTERNAL_H
#define APPCORE_PREDICT_JSON_INTERNAL_H

#include <stddef.h>

#include "appcore/protocol.h"

/* Decode every row of a request through Jansson into a malloc'd n x num_features matrix, with
 * the output kind it asks for. Errors as appcore_predict_json(). */
int ac_predict_decode_general(float **rows, size_t *n, appcore_output_kind *kind,
			      const appcore_model *model, const char *body, size_t body_len,
			      const appcore_predict_options *options, appcore_error *err);

#endif
