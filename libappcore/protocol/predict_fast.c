/*
 * The server's hot path spends more time in Jansson building a tree of
 * json_t nodes than in the trees of the model (bench/RESULTS.md). Requests
 * almost always have one shape, so it is scanned directly into the row
 * matrix here (protocol/json_scan.h); any deviation hands the body to the
 * general path, which stays the single source of validation errors.
 */
#include <stdlib.h>
#include <string.h>

#include "protocol/json_scan.h"
#include "protocol/predict_fast.h"

static bool grow(float **rows, size_t *capacity, size_t needed_floats)
{
	float *bigger;
	size_t wanted = *capacity ? *capacity : 256;

	if (needed_floats <= *capacity && *rows != NULL)
		return true;
	while (wanted < needed_floats)
		wanted *= 2;
	bigger = realloc(*rows, wanted * sizeof(float));
	if (bigger == NULL)
		return false;
	*rows = bigger;
	*capacity = wanted;
	return true;
}

static bool instances(struct ac_scan *c, size_t num_features, size_t max_width, size_t max_rows,
		      float **rows, size_t *n)
{
	size_t capacity = 0;

	if (!ac_scan_take(c, '['))
		return false;
	do {
		if (max_rows > 0 && *n == max_rows)
			return false;
		/* room for this row and, at the end, every row's predictions */
		if (!grow(rows, &capacity, (*n + 1) * (num_features + max_width)))
			return false;
		if (!ac_scan_row(c, *rows + *n * num_features, num_features))
			return false;
		(*n)++;
	} while (ac_scan_take(c, ','));
	return ac_scan_take(c, ']');
}

static bool output_kind(struct ac_scan *c, appcore_output_kind *kind)
{
	const char *text;
	size_t len;

	if (!ac_scan_string(c, &text, &len))
		return false;
	if (len == 5 && memcmp(text, "value", 5) == 0)
		*kind = APPCORE_OUTPUT_VALUE;
	else if (len == 6 && memcmp(text, "margin", 6) == 0)
		*kind = APPCORE_OUTPUT_MARGIN;
	else
		return false;
	return true;
}

bool ac_predict_fast_parse(const char *text, size_t len, size_t num_features, size_t max_width,
			   size_t max_rows, appcore_output_kind default_kind, float **rows, size_t *n,
			   appcore_output_kind *kind)
{
	struct ac_scan c = { text, text + len };
	bool seen_instances = false, seen_output = false;

	*rows = NULL;
	*n = 0;
	*kind = default_kind;
	if (num_features == 0 || !ac_scan_take(&c, '{') || ac_scan_peek(&c, '}'))
		goto general;
	do {
		const char *key;
		size_t key_len;

		if (!ac_scan_string(&c, &key, &key_len) || !ac_scan_take(&c, ':'))
			goto general;
		if (key_len == 9 && memcmp(key, "instances", 9) == 0 && !seen_instances) {
			seen_instances = true;
			if (!instances(&c, num_features, max_width, max_rows, rows, n))
				goto general;
		} else if (key_len == 6 && memcmp(key, "output", 6) == 0 && !seen_output) {
			seen_output = true;
			if (!output_kind(&c, kind))
				goto general;
		} else {
			goto general;
		}
	} while (ac_scan_take(&c, ','));
	if (!ac_scan_take(&c, '}') || !seen_instances || !ac_scan_end(&c))
		goto general;
	return true;
general:
	free(*rows);
	*rows = NULL;
	*n = 0;
	return false;
}
