/* The general (Jansson) request decoder on its own, so tests and the differential fuzzer can
 * hold the fast path (predict_fast.h) to it. Private to libappcore. */
#ifndef APPCORE_PREDICT_JSON_INTERNAL_H
#define APPCORE_PREDICT_JSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "appcore/protocol.h"

/* "%.9g" of a float32 is at most 15 characters ("-1.17549435e-38"), plus a comma. */
#define AC_MAX_NUMBER_CHARS 16

/* Decode every row of a request through Jansson into a malloc'd n x num_features matrix, with
 * the output kind it asks for. Errors as appcore_predict_json(). */
int ac_predict_decode_general(float **rows, size_t *n, appcore_output_kind *kind,
			      const appcore_model *model, const char *body, size_t body_len,
			      const appcore_predict_options *options, appcore_error *err);

/* Shared by the other JSON protocols (oip.c, tfserving.c), so that every protocol reads rows
 * and writes numbers alike. */

/* Jansson's document of a request body (any JSON value), NaN read as null and nesting
 * refused beyond a small depth; NULL with err filled (APPCORE_EPARSE with line and column,
 * APPCORE_ENOMEM). */
json_t *ac_json_load_request(const char *text, size_t len, appcore_error *err);

/* "object", "array", "string", "number", "boolean" or "null". */
const char *ac_json_kind(const json_t *v);

/* One row (an array of num_features numbers or nulls, or an object of feature names) into
 * row; messages name it `label[index]` (or `label` when not indexed). */
int ac_json_row(float *row, const appcore_model *m, json_t *v, const char *label, size_t index,
		bool indexed, appcore_error *err);

/* Write rows of width values as `v,v,...` (or `[v,v],[v,v]` when as_array), each number
 * as appcore_format_value(), preceded by a comma when comma_first. p must have room for
 * rows * (width * AC_MAX_NUMBER_CHARS + 3) bytes. Returns the new end. */
char *ac_write_rows(char *p, const float *values, size_t rows, size_t width, bool as_array,
		    bool comma_first);

/* The start every protocol call shares: the arguments checked (APPCORE_EINVAL naming
 * function), *out zeroed, *options set to the defaults when NULL and checked, *body never
 * NULL. */
int ac_protocol_start(appcore_response *out, const appcore_model *model, const char **body,
		      size_t body_len, const appcore_predict_options **options,
		      const char *function, appcore_error *err);

/* Whether a prediction of width numbers per row is written as an array per row
 * (several numbers, or class probabilities). */
bool ac_rows_as_array(const appcore_model *m, size_t width);

#endif
