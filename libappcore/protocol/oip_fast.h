/* The common shape of an Open Inference Protocol request, scanned without Jansson. */
#ifndef APPCORE_OIP_FAST_H
#define APPCORE_OIP_FAST_H

#include <stdbool.h>
#include <stddef.h>

#include "appcore/model.h"

struct ac_oip_fast {
	float *rows; /* malloc'd, n * num_features */
	size_t n;
	appcore_output_kind outputs[2];
	size_t num_outputs;
	const char *id; /* into the body, NULL when absent: ASCII without escapes */
	size_t id_len;
};

/* Decode {"id": "...", "inputs": [{"name": "...", "datatype": "FP32"|"FP64", "shape": [n, F],
 * "data": [...]}], "outputs": [{"name": "predict"|"margin"}, ...]} (members in any order, id
 * and outputs optional) when data holds n rows of F = num_features numbers or nulls, flat or
 * nested by row, with n <= max_rows (0: no limit), strings without escapes, and nothing else.
 * Numbers convert as Jansson's do, so the rows equal the general path's. Anything else returns
 * false with nothing allocated: the general path then answers (or reports the error). */
bool ac_oip_fast_parse(struct ac_oip_fast *out, const char *text, size_t len,
		       size_t num_features, size_t max_rows);

#endif
