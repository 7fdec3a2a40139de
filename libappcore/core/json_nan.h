/* NaN is not JSON, yet two writers we read put it where a number goes: XGBoost, in the unused
 * split_conditions of categorical nodes, and Python's json.dumps, for a missing numpy value.
 * Both mean "no value", which JSON spells null. */
#ifndef APPCORE_JSON_NAN_H
#define APPCORE_JSON_NAN_H

#include <stdbool.h>
#include <stddef.h>

/* Rewrite bare NaN tokens (and -NaN) outside strings to null. Returns a malloc'd copy with
 * its length in *out_len, or NULL when there is nothing to rewrite or on ENOMEM (then
 * *failed is true). */
char *ac_json_rewrite_nan(const char *data, size_t len, size_t *out_len, bool *failed);

#endif
