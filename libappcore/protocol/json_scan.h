/* Scanning the common shape of a JSON request directly, without building Jansson's tree: the
 * primitives of the fast paths (predict_fast.c, oip_fast.c). Each returns false for anything
 * outside the shape it expects; the caller then hands the body to the general Jansson path,
 * which stays the single source of validation errors. Private to libappcore. */
#ifndef APPCORE_JSON_SCAN_H
#define APPCORE_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>

struct ac_scan {
	const char *p;
	const char *end;
};

void ac_scan_space(struct ac_scan *c);
/* Skip space, then consume expected. */
bool ac_scan_take(struct ac_scan *c, char expected);
/* Skip space, then whether expected comes next. */
bool ac_scan_peek(struct ac_scan *c, char expected);
/* A string without escapes, control characters or non-ASCII bytes (so it can be written
 * back between quotes as it is): its text and length. */
bool ac_scan_string(struct ac_scan *c, const char **text, size_t *len);
/* A JSON number, converted as Jansson converts it: integers (no fraction or exponent) with
 * strtoll, the rest with strtod; overflow fails. */
bool ac_scan_number(struct ac_scan *c, double *out);
/* A non-negative integer of at most 18 digits. */
bool ac_scan_count(struct ac_scan *c, size_t *out);
/* A number or null (or NaN, Python's spelling of a missing value) as a finite float32 or NaN. */
bool ac_scan_value(struct ac_scan *c, float *out);
/* [v, v, ...] of exactly num_features values (ac_scan_value) into out. */
bool ac_scan_row(struct ac_scan *c, float *out, size_t num_features);
/* Whether only space is left. */
bool ac_scan_end(struct ac_scan *c);

#endif
