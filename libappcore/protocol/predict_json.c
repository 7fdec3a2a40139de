/* The JSON prediction protocol: the common request shape is decoded by
 * predict_fast.c, everything else (and every error message) by Jansson here;
 * the response is written by hand (one allocation, %.9g numbers) because it is
 * on every request's path. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "appcore/predict.h"
#include "core/error_internal.h"
#include "core/json_depth.h"
#include "model/model_internal.h"
#include "protocol/predict_fast.h"

#define DEFAULT_MAX_BATCH_ROWS 10000
/* "%.9g" of a float32 is at most 15 characters ("-1.17549435e-38"), plus a comma. */
#define MAX_NUMBER_CHARS 16

void appcore_predict_options_init(appcore_predict_options *options)
{
	if (options == NULL)
		return;
	options->max_batch_rows = DEFAULT_MAX_BATCH_ROWS;
	options->default_output = APPCORE_OUTPUT_VALUE;
}

void appcore_predict_response_release(appcore_predict_response *response)
{
	if (response == NULL)
		return;
	free(response->body);
	response->body = NULL;
	response->body_len = 0;
	response->rows = 0;
}

static const char *kind_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER:
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "value";
}

/* Row label for messages: "instances[3]" or "row". */
struct label {
	const char *name;
	size_t index;
	bool indexed;
};

/* Formatted only when there is an error to report. */
static const char *label_text(char *buf, size_t size, struct label l)
{
	if (l.indexed)
		snprintf(buf, size, "%s[%zu]", l.name, l.index);
	else
		snprintf(buf, size, "%s", l.name);
	return buf;
}

#define LABEL_FMT "%s"
#define LABEL_ARGS(l) label_text(label_buf, sizeof(label_buf), (l))

static int cell(float *out, const json_t *v, struct label l, const char *key, size_t col,
		appcore_error *err)
{
	char label_buf[48];
	double d;

	if (json_is_null(v)) {
		*out = NAN;
		return APPCORE_OK;
	}
	if (!json_is_number(v)) {
		if (key)
			return ac_error_set(err, APPCORE_EREQUEST,
					    LABEL_FMT ".%s: expected a number or null, got %s",
					    LABEL_ARGS(l), key, kind_of(v));
		return ac_error_set(err, APPCORE_EREQUEST,
				    LABEL_FMT "[%zu]: expected a number or null, got %s", LABEL_ARGS(l),
				    col, kind_of(v));
	}
	d = json_number_value(v);
	*out = (float)d;
	if (!isfinite(*out)) {
		if (key)
			return ac_error_set(err, APPCORE_EREQUEST,
					    LABEL_FMT ".%s: %g is not a finite float32", LABEL_ARGS(l),
					    key, d);
		return ac_error_set(err, APPCORE_EREQUEST, LABEL_FMT "[%zu]: %g is not a finite float32",
				    LABEL_ARGS(l), col, d);
	}
	return APPCORE_OK;
}

static int row_from_json(float *row, const appcore_model *m, json_t *v, struct label l,
			 appcore_error *err)
{
	const size_t nf = m->num_features;
	char label_buf[48];
	int rc;

	if (json_is_array(v)) {
		if (json_array_size(v) != nf)
			return ac_error_set(err, APPCORE_EREQUEST, LABEL_FMT ": expected %zu features, "
					    "got %zu", LABEL_ARGS(l), nf, json_array_size(v));
		for (size_t i = 0; i < nf; i++)
			if ((rc = cell(&row[i], json_array_get(v, i), l, NULL, i, err)) != 0)
				return rc;
		return APPCORE_OK;
	}
	if (json_is_object(v)) {
		const char *key;
		json_t *value;

		if (m->feature_names == NULL)
			return ac_error_set(err, APPCORE_EREQUEST,
					    LABEL_FMT ": this model has no feature names; send an array "
					    "of %zu numbers", LABEL_ARGS(l), nf);
		for (size_t i = 0; i < nf; i++)
			row[i] = NAN;
		json_object_foreach(v, key, value) {
			long col = ac_model_feature_lookup(m, key);

			if (col < 0)
				return ac_error_set(err, APPCORE_EREQUEST, LABEL_FMT ": unknown feature \"%s\"",
						    LABEL_ARGS(l), key);
			if ((rc = cell(&row[col], value, l, key, 0, err)) != 0)
				return rc;
		}
		return APPCORE_OK;
	}
	return ac_error_set(err, APPCORE_EREQUEST, LABEL_FMT ": expected an array or an object, got %s",
			    LABEL_ARGS(l), kind_of(v));
}

static int parse_error(const json_error_t *jerr, appcore_error *err)
{
	return ac_error_set_at(err, APPCORE_EPARSE, jerr->line, jerr->column,
			       "invalid JSON at line %d, column %d: %s", jerr->line, jerr->column,
			       jerr->text);
}

/* Requests need three levels ({"instances": [[...]]}); anything much deeper is
 * refused before Jansson (see json_depth.h). */
#define MAX_REQUEST_DEPTH 32

static int check_depth(const char *text, size_t len, appcore_error *err)
{
	int line, column;

	if (ac_json_check_depth(text, len, MAX_REQUEST_DEPTH, &line, &column) != 0)
		return ac_error_set_at(err, APPCORE_EPARSE, line, column,
				       "invalid JSON at line %d, column %d: nested deeper than %d levels",
				       line, column, MAX_REQUEST_DEPTH);
	return APPCORE_OK;
}

static json_t *load_request_json(const char *text, size_t len, appcore_error *err)
{
	json_error_t jerr;
	json_t *doc;

	if (check_depth(text, len, err) != APPCORE_OK)
		return NULL;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (doc == NULL)
		parse_error(&jerr, err);
	return doc;
}

int appcore_predict_parse_row(float *row, const appcore_model *model, const char *text,
			      size_t len, appcore_error *err)
{
	json_t *v;
	int rc;

	if (row == NULL || model == NULL || (text == NULL && len > 0))
		return ac_error_set(err, APPCORE_EINVAL, "appcore_predict_parse_row: NULL argument");
	v = load_request_json(text ? text : "", len, err);
	if (v == NULL)
		return err ? err->code : APPCORE_EPARSE;
	rc = row_from_json(row, model, v, (struct label){ "row", 0, false }, err);
	json_decref(v);
	return rc;
}

static int request_fields(const json_t **instances, appcore_output_kind *kind, json_t *doc,
			  const appcore_predict_options *options, appcore_error *err)
{
	const char *key;
	json_t *value;
	const json_t *output;

	if (!json_is_object(doc))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "expected a JSON object with \"instances\", got %s", kind_of(doc));
	json_object_foreach(doc, key, value) {
		if (strcmp(key, "instances") != 0 && strcmp(key, "output") != 0)
			return ac_error_set(err, APPCORE_EREQUEST,
					    "unknown member \"%s\"; expected \"instances\" and "
					    "optionally \"output\"", key);
	}
	*instances = json_object_get(doc, "instances");
	if (*instances == NULL)
		return ac_error_set(err, APPCORE_EREQUEST, "missing \"instances\"");
	if (!json_is_array(*instances))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "\"instances\": expected an array of rows, got %s",
				    kind_of(*instances));
	if (json_array_size(*instances) == 0)
		return ac_error_set(err, APPCORE_EREQUEST, "\"instances\" is empty");
	if (options->max_batch_rows > 0 && json_array_size(*instances) > options->max_batch_rows)
		return ac_error_set(err, APPCORE_ELIMIT, "too many instances: %zu (limit %zu)",
				    json_array_size(*instances), options->max_batch_rows);
	*kind = options->default_output;
	output = json_object_get(doc, "output");
	if (output == NULL)
		return APPCORE_OK;
	if (json_is_string(output) && strcmp(json_string_value(output), "value") == 0)
		*kind = APPCORE_OUTPUT_VALUE;
	else if (json_is_string(output) && strcmp(json_string_value(output), "margin") == 0)
		*kind = APPCORE_OUTPUT_MARGIN;
	else if (json_is_string(output))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "\"output\": expected \"value\" or \"margin\", got \"%s\"",
				    json_string_value(output));
	else
		return ac_error_set(err, APPCORE_EREQUEST,
				    "\"output\": expected \"value\" or \"margin\", got %s",
				    kind_of(output));
	return APPCORE_OK;
}

static char *write_response(size_t *len, const appcore_model *m, const float *values, size_t rows,
			    size_t width, bool as_array)
{
	static const char head[] = "{\"predictions\":[";
	size_t cap = sizeof(head) + rows * (width * MAX_NUMBER_CHARS + 3) + m->response_suffix_len + 1;
	char *body = malloc(cap);
	char *p = body;

	if (body == NULL)
		return NULL;
	memcpy(p, head, sizeof(head) - 1);
	p += sizeof(head) - 1;
	for (size_t r = 0; r < rows; r++) {
		if (r > 0)
			*p++ = ',';
		if (as_array)
			*p++ = '[';
		for (size_t k = 0; k < width; k++) {
			if (k > 0)
				*p++ = ',';
			/* appcore_model_predict (another file) wrote every value */
			/* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
			p += snprintf(p, MAX_NUMBER_CHARS, "%.9g", (double)values[r * width + k]);
		}
		if (as_array)
			*p++ = ']';
	}
	*p++ = ']';
	memcpy(p, m->response_suffix, m->response_suffix_len + 1);
	p += m->response_suffix_len;
	*len = (size_t)(p - body);
	return body;
}

static size_t max_width(const appcore_model *model)
{
	size_t value = appcore_model_output_size(model, APPCORE_OUTPUT_VALUE);
	size_t margin = appcore_model_output_size(model, APPCORE_OUTPUT_MARGIN);
	return value > margin ? value : margin;
}

int appcore_predict_json(appcore_predict_response *out, const appcore_model *model,
			 const char *body, size_t body_len, const appcore_predict_options *options,
			 appcore_error *err)
{
	appcore_predict_options defaults;
	appcore_output_kind kind = APPCORE_OUTPUT_VALUE;
	const json_t *instances = NULL;
	json_t *doc = NULL;
	float *rows = NULL;
	size_t n, width;
	int rc;

	if (out == NULL || model == NULL || (body == NULL && body_len > 0))
		return ac_error_set(err, APPCORE_EINVAL, "appcore_predict_json: NULL argument");
	memset(out, 0, sizeof(*out));
	if (options == NULL) {
		appcore_predict_options_init(&defaults);
		options = &defaults;
	}
	if (ac_predict_fast_parse(body ? body : "", body_len, model->num_features, max_width(model),
				  options->max_batch_rows, options->default_output, &rows, &n, &kind)) {
		width = appcore_model_output_size(model, kind);
		goto predict;
	}
	doc = load_request_json(body ? body : "", body_len, err);
	if (doc == NULL)
		return err ? err->code : APPCORE_EPARSE;
	if ((rc = request_fields(&instances, &kind, doc, options, err)) != APPCORE_OK)
		goto out;
	n = json_array_size(instances);
	width = appcore_model_output_size(model, kind);
	/* one allocation holds the input matrix followed by the predictions */
	rows = malloc((n * model->num_features + n * width) * sizeof(float));
	if (rows == NULL) {
		rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		rc = row_from_json(rows + i * model->num_features, model, json_array_get(instances, i),
				   (struct label){ "instances", i, true }, err);
		if (rc != APPCORE_OK)
			goto out;
	}
predict:;
	float *values = rows + n * model->num_features;
	if ((rc = appcore_model_predict(model, rows, n, kind, values, err)) != APPCORE_OK)
		goto out;
	out->body = write_response(&out->body_len, model, values, n, width,
				   width > 1 || model->objective->transform == AC_TRANSFORM_SOFTPROB);
	if (out->body == NULL) {
		rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		goto out;
	}
	out->rows = n;
out:
	free(rows);
	json_decref(doc);
	return rc;
}
