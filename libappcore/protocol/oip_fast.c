/* A fast path for the common Open Inference Protocol request. Jansson costs several times
 * what the prediction does for a one-row request (bench/RESULTS.md, "Repository"), so this
 * shape is scanned straight into the row matrix, as /predict's is (predict_fast.c). */
#include <stdlib.h>
#include <string.h>

#include "protocol/json_scan.h"
#include "protocol/oip_fast.h"

struct floats {
	float *values;
	size_t count, capacity;
};

static bool reserve(struct floats *f, size_t more)
{
	size_t wanted = f->capacity ? f->capacity : 256;
	float *bigger;

	if (f->count + more <= f->capacity)
		return true;
	while (wanted < f->count + more)
		wanted *= 2;
	bigger = realloc(f->values, wanted * sizeof(float));
	if (bigger == NULL)
		return false;
	f->values = bigger;
	f->capacity = wanted;
	return true;
}

/* data: [v, ...] or [[v, ...], ...]; *rows is the number of nested rows, 0 when flat. */
static bool data(struct ac_scan *c, struct floats *f, size_t nf, size_t *rows)
{
	bool nested;

	*rows = 0;
	if (!ac_scan_take(c, '['))
		return false;
	nested = ac_scan_peek(c, '[');
	do {
		if (nested) {
			if (!reserve(f, nf) || !ac_scan_row(c, f->values + f->count, nf))
				return false;
			f->count += nf;
			(*rows)++;
		} else {
			if (!reserve(f, 1) || !ac_scan_value(c, f->values + f->count))
				return false;
			f->count++;
		}
	} while (ac_scan_take(c, ','));
	return ac_scan_take(c, ']');
}

static bool is(const char *text, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(text, word, len) == 0;
}

/* {"name": ..., "datatype": ..., "shape": [n, F], "data": ...} */
static bool tensor(struct ac_scan *c, struct floats *f, size_t nf, size_t *n)
{
	bool seen[4] = { false, false, false, false };
	size_t shape[2], nested_rows = 0;

	if (!ac_scan_take(c, '{'))
		return false;
	do {
		const char *key, *value;
		size_t key_len, value_len;
		bool ok;
		int which;

		if (!ac_scan_string(c, &key, &key_len) || !ac_scan_take(c, ':'))
			return false;
		if (is(key, key_len, "name")) {
			which = 0;
			ok = ac_scan_string(c, &value, &value_len);
		} else if (is(key, key_len, "datatype")) {
			which = 1;
			ok = ac_scan_string(c, &value, &value_len) &&
			     (is(value, value_len, "FP32") || is(value, value_len, "FP64"));
		} else if (is(key, key_len, "shape")) {
			which = 2;
			ok = ac_scan_take(c, '[') && ac_scan_count(c, &shape[0]) &&
			     ac_scan_take(c, ',') && ac_scan_count(c, &shape[1]) &&
			     ac_scan_take(c, ']');
		} else if (is(key, key_len, "data")) {
			which = 3;
			ok = !seen[3] && data(c, f, nf, &nested_rows);
		} else {
			return false;
		}
		if (!ok || seen[which])
			return false;
		seen[which] = true;
	} while (ac_scan_take(c, ','));
	if (!ac_scan_take(c, '}') || !seen[0] || !seen[1] || !seen[2] || !seen[3])
		return false;
	/* shape [n, F] with n > 0, and data holding exactly that */
	if (shape[1] != nf || shape[0] == 0 || f->count / nf != shape[0] || f->count % nf != 0 ||
	    (nested_rows != 0 && nested_rows != shape[0]))
		return false;
	*n = shape[0];
	return true;
}

/* [{"name": "predict"|"margin"}, ...], each at most once */
static bool outputs(struct ac_scan *c, struct ac_oip_fast *out)
{
	if (!ac_scan_take(c, '['))
		return false;
	do {
		const char *key, *name;
		size_t key_len, name_len;
		appcore_output_kind kind;

		if (!ac_scan_take(c, '{') || !ac_scan_string(c, &key, &key_len) ||
		    !is(key, key_len, "name") || !ac_scan_take(c, ':') ||
		    !ac_scan_string(c, &name, &name_len) || !ac_scan_take(c, '}'))
			return false;
		if (is(name, name_len, "predict"))
			kind = APPCORE_OUTPUT_VALUE;
		else if (is(name, name_len, "margin"))
			kind = APPCORE_OUTPUT_MARGIN;
		else
			return false;
		if (out->num_outputs == 2 || (out->num_outputs == 1 && out->outputs[0] == kind))
			return false;
		out->outputs[out->num_outputs++] = kind;
	} while (ac_scan_take(c, ','));
	return ac_scan_take(c, ']') && out->num_outputs > 0;
}

bool ac_oip_fast_parse(struct ac_oip_fast *out, const char *text, size_t len,
		       size_t num_features, size_t max_rows)
{
	struct ac_scan c = { text, text + len };
	struct floats f = { NULL, 0, 0 };
	bool seen_inputs = false, seen_outputs = false;

	memset(out, 0, sizeof(*out));
	if (num_features == 0 || !ac_scan_take(&c, '{'))
		goto general;
	do {
		const char *key;
		size_t key_len;

		if (!ac_scan_string(&c, &key, &key_len) || !ac_scan_take(&c, ':'))
			goto general;
		if (is(key, key_len, "inputs") && !seen_inputs) {
			seen_inputs = ac_scan_take(&c, '[') &&
				      tensor(&c, &f, num_features, &out->n) && ac_scan_take(&c, ']');
			if (!seen_inputs)
				goto general;
		} else if (is(key, key_len, "outputs") && !seen_outputs) {
			seen_outputs = outputs(&c, out);
			if (!seen_outputs)
				goto general;
		} else if (is(key, key_len, "id") && out->id == NULL) {
			if (!ac_scan_string(&c, &out->id, &out->id_len))
				goto general;
		} else {
			goto general;
		}
	} while (ac_scan_take(&c, ','));
	if (!ac_scan_take(&c, '}') || !seen_inputs || !ac_scan_end(&c) ||
	    (max_rows > 0 && out->n > max_rows))
		goto general;
	if (out->num_outputs == 0)
		out->outputs[out->num_outputs++] = APPCORE_OUTPUT_VALUE;
	out->rows = f.values;
	return true;
general:
	free(f.values);
	memset(out, 0, sizeof(*out));
	return false;
}
