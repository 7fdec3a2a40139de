/* The JSON prediction protocol: the common request shape is decoded by predict_fast.c,
 * everything else (and every error message) by Jansson here; the response is written by
 * hand (one allocation, %.9g numbers) because it is on every request's path. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "appcore/protocol.h"
#include "core/error_internal.h"
#include "core/json_depth.h"
#include "core/json_nan.h"
#include "engine/engine.h"
#include "model/model_internal.h"
#include "protocol/predict_fast.h"
#include "protocol/predict_json_internal.h"

/* "%.9g" of a float32 is at most 15 characters ("-1.17549435e-38"), plus a comma. */
#define MAX_NUMBER_CHARS 16
/* Input floats decoded and predicted at a time on the general path (at least one row): memory
 * stays bounded however many rows a request names and however many features each of its
 * object rows leaves out. */
#define GENERAL_BLOCK_FLOATS 65536

void appcore_response_dispose(appcore_response *response)
{
	if (response == NULL)
		return;
	free(response->body);
	memset(response, 0, sizeof(*response));
}

int appcore_format_value(char *buffer, size_t size, float value)
{
	if (!isfinite(value))
		return snprintf(buffer, size, "null");
	return snprintf(buffer, size, "%.9g", (double)value);
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
	if (ac_json_out_of_memory(jerr))
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
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

/* Jansson's document for text, NaN read as null (see json_nan.h). */
static json_t *load_request_json(const char *text, size_t len, appcore_error *err)
{
	json_error_t jerr;
	json_t *doc;
	char *rewritten;
	size_t rewritten_len = 0;
	bool failed;

	if (check_depth(text, len, err) != APPCORE_OK)
		return NULL;
	rewritten = ac_json_rewrite_nan(text, len, &rewritten_len, &failed);
	if (failed) {
		ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		return NULL;
	}
	doc = json_loadb(rewritten ? rewritten : text, rewritten ? rewritten_len : len,
			 JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	free(rewritten);
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

/* "iteration_range": [begin, end] of non-negative integers, as XGBoost's argument. */
static int iteration_range(size_t *begin, size_t *end, const json_t *v, appcore_error *err)
{
	const json_t *b = json_array_get(v, 0), *e = json_array_get(v, 1);

	if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_integer(b) ||
	    !json_is_integer(e) || json_integer_value(b) < 0 || json_integer_value(e) < 0)
		return ac_error_set(
		    err, APPCORE_EREQUEST,
		    "\"iteration_range\": expected [begin, end] with integers >= 0");
	*begin = (size_t)json_integer_value(b);
	*end = (size_t)json_integer_value(e);
	return APPCORE_OK;
}

static int output_kind(appcore_output_kind *kind, const json_t *output, appcore_error *err)
{
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

/* What a request asks for besides its rows. */
struct request {
	const json_t *instances;
	appcore_output_kind kind;
	size_t iteration_begin, iteration_end;
};

static int request_fields(struct request *req, json_t *doc, const appcore_predict_options *options,
			  appcore_error *err)
{
	const char *key;
	json_t *value;
	int rc;

	if (!json_is_object(doc))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "expected a JSON object with \"instances\", got %s",
				    kind_of(doc));
	req->kind = options->output;
	req->iteration_begin = options->iteration_begin;
	req->iteration_end = options->iteration_end;
	json_object_foreach(doc, key, value)
	{
		if (strcmp(key, "output") == 0)
			rc = output_kind(&req->kind, value, err);
		else if (strcmp(key, "iteration_range") == 0)
			rc =
			    iteration_range(&req->iteration_begin, &req->iteration_end, value, err);
		else if (strcmp(key, "instances") == 0)
			rc = APPCORE_OK;
		else
			rc = ac_error_set(
			    err, APPCORE_EREQUEST,
			    "unknown member \"%s\"; expected \"instances\" and optionally "
			    "\"output\" and \"iteration_range\"",
			    key);
		if (rc != APPCORE_OK)
			return rc;
	}
	req->instances = json_object_get(doc, "instances");
	if (req->instances == NULL)
		return ac_error_set(err, APPCORE_EREQUEST, "missing \"instances\"");
	if (!json_is_array(req->instances))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "\"instances\": expected an array of rows, got %s",
				    kind_of(req->instances));
	if (json_array_size(req->instances) == 0)
		return ac_error_set(err, APPCORE_EREQUEST, "\"instances\" is empty");
	if (options->max_batch_rows > 0 &&
	    json_array_size(req->instances) > options->max_batch_rows)
		return ac_error_set(err, APPCORE_ELIMIT, "too many instances: %zu (limit %zu)",
				    json_array_size(req->instances), options->max_batch_rows);
	return APPCORE_OK;
}

/* The response text, sized for every row up front: at most MAX_NUMBER_CHARS per number. */
struct writer {
	char *body;
	char *p;
	size_t width;
	bool as_array;
	size_t rows;
};

static bool writer_open(struct writer *w, const appcore_model *m, size_t rows, size_t width)
{
	static const char head[] = "{\"predictions\":[";
	size_t cap =
	    sizeof(head) + rows * (width * MAX_NUMBER_CHARS + 3) + m->response_suffix_len + 1;

	w->body = malloc(cap);
	if (w->body == NULL)
		return false;
	memcpy(w->body, head, sizeof(head) - 1);
	w->p = w->body + sizeof(head) - 1;
	w->width = width;
	w->as_array = width > 1 || m->objective->transform == AC_TRANSFORM_SOFTPROB;
	w->rows = 0;
	return true;
}

static void writer_rows(struct writer *w, const float *values, size_t rows)
{
	char *p = w->p;

	for (size_t r = 0; r < rows; r++) {
		if (w->rows++ > 0)
			*p++ = ',';
		if (w->as_array)
			*p++ = '[';
		for (size_t k = 0; k < w->width; k++) {
			if (k > 0)
				*p++ = ',';
			/* the engine (another file) wrote every value */
			/* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
			p += appcore_format_value(p, MAX_NUMBER_CHARS, values[r * w->width + k]);
		}
		if (w->as_array)
			*p++ = ']';
	}
	w->p = p;
}

static void writer_close(struct writer *w, const appcore_model *m, appcore_response *out)
{
	*w->p++ = ']';
	memcpy(w->p, m->response_suffix, m->response_suffix_len + 1);
	w->p += m->response_suffix_len;
	out->body = w->body;
	out->body_len = (size_t)(w->p - w->body);
	out->rows = w->rows;
}

/* The common request shape, decoded by predict_fast.c: every row at once. */
static int answer_fast(appcore_response *out, const appcore_model *model, float *rows, size_t n,
		       appcore_output_kind kind, const appcore_predict_options *options,
		       appcore_error *err)
{
	const size_t width = appcore_model_output_size(model, kind);
	float *values = rows + n * model->num_features;
	size_t tree_begin, tree_end;
	struct writer w;
	int rc;

	if ((rc = ac_model_tree_range(&tree_begin, &tree_end, model, options->iteration_begin,
				      options->iteration_end, err)) != APPCORE_OK ||
	    (rc = ac_engine_predict(model, rows, n, kind, tree_begin, tree_end, values, err)) !=
		APPCORE_OK)
		return rc;
	if (!writer_open(&w, model, n, width))
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	writer_rows(&w, values, n);
	writer_close(&w, model, out);
	return APPCORE_OK;
}

/* Any other shape, through Jansson, GENERAL_BLOCK_ROWS rows at a time. */
static int answer_general(appcore_response *out, const appcore_model *model, const char *body,
			  size_t body_len, const appcore_predict_options *options,
			  appcore_error *err)
{
	const size_t nf = model->num_features;
	struct request req = { NULL, APPCORE_OUTPUT_VALUE, 0, 0 };
	struct writer w = { 0 };
	size_t n, width, tree_begin, tree_end, block;
	float *rows = NULL;
	json_t *doc;
	int rc;

	doc = load_request_json(body, body_len, err);
	if (doc == NULL)
		return err ? err->code : APPCORE_EPARSE;
	if ((rc = request_fields(&req, doc, options, err)) != APPCORE_OK ||
	    (rc = ac_model_tree_range(&tree_begin, &tree_end, model, req.iteration_begin,
				      req.iteration_end, err)) != APPCORE_OK)
		goto out;
	n = json_array_size(req.instances);
	width = appcore_model_output_size(model, req.kind);
	block = GENERAL_BLOCK_FLOATS / nf > 0 ? GENERAL_BLOCK_FLOATS / nf : 1;
	/* request_fields() refused an empty "instances": n and block are at least 1 */
	block = n < block && n > 0 ? n : block;
	/* one block of input rows, then its predictions */
	rows = malloc(block * (nf + width) * sizeof(float));
	if (rows == NULL || !writer_open(&w, model, n, width)) {
		rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t start = 0; start < n; start += block) {
		const size_t count = n - start < block ? n - start : block;
		float *values = rows + block * nf;

		for (size_t i = 0; i < count; i++) {
			rc = row_from_json(rows + i * nf, model,
					   json_array_get(req.instances, start + i),
					   (struct label){ "instances", start + i, true }, err);
			if (rc != APPCORE_OK)
				goto out;
		}
		rc = ac_engine_predict(model, rows, count, req.kind, tree_begin, tree_end, values,
				       err);
		if (rc != APPCORE_OK)
			goto out;
		writer_rows(&w, values, count);
	}
	writer_close(&w, model, out);
	w.body = NULL;
out:
	free(w.body);
	free(rows);
	json_decref(doc);
	return rc;
}

int ac_predict_decode_general(float **rows_out, size_t *n_out, appcore_output_kind *kind,
			      const appcore_model *model, const char *body, size_t body_len,
			      const appcore_predict_options *options, appcore_error *err)
{
	const size_t nf = model->num_features;
	struct request req = { NULL, APPCORE_OUTPUT_VALUE, 0, 0 };
	float *rows = NULL;
	size_t n = 0;
	json_t *doc;
	int rc;

	*rows_out = NULL;
	*n_out = 0;
	doc = load_request_json(body, body_len, err);
	if (doc == NULL)
		return err ? err->code : APPCORE_EPARSE;
	if ((rc = request_fields(&req, doc, options, err)) != APPCORE_OK)
		goto out;
	n = json_array_size(req.instances);
	if ((rows = malloc((n ? n : 1) * nf * sizeof(float))) == NULL) {
		rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		rc = row_from_json(rows + i * nf, model, json_array_get(req.instances, i),
				   (struct label){ "instances", i, true }, err);
		if (rc != APPCORE_OK)
			goto out;
	}
	*rows_out = rows;
	*n_out = n;
	*kind = req.kind;
	rows = NULL;
out:
	free(rows);
	json_decref(doc);
	return rc;
}

static size_t max_width(const appcore_model *model)
{
	size_t value = appcore_model_output_size(model, APPCORE_OUTPUT_VALUE);
	size_t margin = appcore_model_output_size(model, APPCORE_OUTPUT_MARGIN);
	return value > margin ? value : margin;
}

int appcore_predict_json(appcore_response *out, const appcore_model *model, const char *body,
			 size_t body_len, const appcore_predict_options *options,
			 appcore_error *err)
{
	static const appcore_predict_options defaults = APPCORE_PREDICT_OPTIONS_INIT;
	appcore_output_kind kind;
	float *rows = NULL;
	size_t n;
	int rc;

	if (out == NULL || model == NULL || (body == NULL && body_len > 0))
		return ac_error_set(err, APPCORE_EINVAL, "appcore_predict_json: NULL argument");
	memset(out, 0, sizeof(*out));
	if (options == NULL)
		options = &defaults;
	if ((rc = ac_predict_options_check(options, err)) != APPCORE_OK)
		return rc;
	if (body == NULL)
		body = "";
	if (ac_predict_fast_parse(body, body_len, model->num_features, max_width(model),
				  options->max_batch_rows, options->output, &rows, &n, &kind)) {
		rc = answer_fast(out, model, rows, n, kind, options, err);
		free(rows);
		return rc;
	}
	return answer_general(out, model, body, body_len, options, err);
}
