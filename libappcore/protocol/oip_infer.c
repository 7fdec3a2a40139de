/* Open Inference Protocol inference: one input tensor [rows, num_features] in, the `predict`
 * and `margin` output tensors out. The request is read with Jansson (a benchmark shows it
 * is not the cost that matters: bench/RESULTS.md); the response is written by hand, as
 * /predict's, because its size is known up front. */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "appcore/oip.h"
#include "core/error_internal.h"
#include "engine/engine.h"
#include "model/model_internal.h"
#include "protocol/oip_fast.h"
#include "protocol/predict_json_internal.h"

enum kind { KIND_BOOL, KIND_INT, KIND_UINT, KIND_FP };

struct datatype {
	const char *name;
	enum kind kind;
	long long min;
	long long max;
};

static const struct datatype datatypes[] = {
	{ "BOOL", KIND_BOOL, 0, 1 },
	{ "UINT8", KIND_UINT, 0, 255 },
	{ "UINT16", KIND_UINT, 0, 65535 },
	{ "UINT32", KIND_UINT, 0, 4294967295LL },
	/* Jansson reads integers as long long: larger UINT64 values are already parse errors */
	{ "UINT64", KIND_UINT, 0, LLONG_MAX },
	{ "INT8", KIND_INT, -128, 127 },
	{ "INT16", KIND_INT, -32768, 32767 },
	{ "INT32", KIND_INT, -2147483647LL - 1, 2147483647LL },
	{ "INT64", KIND_INT, LLONG_MIN, LLONG_MAX },
	{ "FP32", KIND_FP, 0, 0 },
	{ "FP64", KIND_FP, 0, 0 },
};

/* The two outputs every model has, in the order of appcore_output_kind. */
static const char *const output_names[] = { "predict", "margin" };

struct infer {
	json_t *id;
	json_t *input;
	const struct datatype *type;
	size_t rows;
	appcore_output_kind outputs[2];
	size_t num_outputs;
	size_t iteration_begin, iteration_end;
};

static int integer_parameter(size_t *out, json_t *value, const char *name,
			     appcore_error *err)
{
	if (!json_is_integer(value) || json_integer_value(value) < 0)
		return ac_error_set(err, APPCORE_EREQUEST,
				    "parameters.%s: expected an integer >= 0, got %s", name,
				    json_is_integer(value) ? "a negative number" : ac_json_kind(value));
	*out = (size_t)json_integer_value(value);
	return APPCORE_OK;
}

static int read_parameters(struct infer *req, json_t *parameters, appcore_error *err)
{
	const char *key;
	json_t *value;
	int rc = APPCORE_OK;

	if (!json_is_object(parameters))
		return ac_error_set(err, APPCORE_EREQUEST, "\"parameters\": expected an object, got %s",
				    ac_json_kind(parameters));
	json_object_foreach(parameters, key, value)
	{
		/* the specification leaves parameters to servers: others are ignored */
		if (strcmp(key, "iteration_begin") == 0)
			rc = integer_parameter(&req->iteration_begin, value, key, err);
		else if (strcmp(key, "iteration_end") == 0)
			rc = integer_parameter(&req->iteration_end, value, key, err);
		if (rc != APPCORE_OK)
			return rc;
	}
	return APPCORE_OK;
}

static int read_outputs(struct infer *req, json_t *outputs, appcore_error *err)
{
	size_t i;
	json_t *item;

	if (!json_is_array(outputs))
		return ac_error_set(err, APPCORE_EREQUEST, "\"outputs\": expected an array, got %s",
				    ac_json_kind(outputs));
	json_array_foreach(outputs, i, item)
	{
		json_t *name = json_object_get(item, "name");
		const char *key;
		json_t *value;
		size_t k;

		if (!json_is_object(item))
			return ac_error_set(err, APPCORE_EREQUEST,
					    "outputs[%zu]: expected an object, got %s", i,
					    ac_json_kind(item));
		json_object_foreach(item, key, value)
		{
			if (strcmp(key, "name") != 0 && strcmp(key, "parameters") != 0)
				return ac_error_set(err, APPCORE_EREQUEST,
						    "outputs[%zu]: unknown member \"%s\"; expected "
						    "\"name\" and optionally \"parameters\"",
						    i, key);
		}
		if (!json_is_string(name))
			return ac_error_set(err, APPCORE_EREQUEST,
					    "outputs[%zu].name: expected a string, got %s", i,
					    name ? ac_json_kind(name) : "nothing");
		for (k = 0; k < 2; k++)
			if (strcmp(json_string_value(name), output_names[k]) == 0)
				break;
		if (k == 2)
			return ac_error_set(err, APPCORE_EREQUEST,
					    "outputs[%zu].name: no output \"%s\"; the model has "
					    "\"predict\" and \"margin\"",
					    i, json_string_value(name));
		for (size_t j = 0; j < req->num_outputs; j++)
			if (req->outputs[j] == (appcore_output_kind)k)
				return ac_error_set(err, APPCORE_EREQUEST,
						    "outputs[%zu].name: \"%s\" is requested twice", i,
						    output_names[k]);
		req->outputs[req->num_outputs++] = (appcore_output_kind)k;
	}
	return APPCORE_OK;
}

static int read_datatype(struct infer *req, json_t *datatype, appcore_error *err)
{
	const char *name;

	if (!json_is_string(datatype))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "inputs[0].datatype: expected a string, got %s",
				    datatype ? ac_json_kind(datatype) : "nothing");
	name = json_string_value(datatype);
	for (size_t i = 0; i < sizeof(datatypes) / sizeof(datatypes[0]); i++)
		if (strcmp(name, datatypes[i].name) == 0) {
			req->type = &datatypes[i];
			return APPCORE_OK;
		}
	if (strcmp(name, "BYTES") == 0)
		return ac_error_set(err, APPCORE_EUNSUPPORTED,
				    "inputs[0].datatype: BYTES inputs are not supported: the model "
				    "takes numbers (FP32, FP64, INT8..INT64, UINT8..UINT64, BOOL)");
	if (strcmp(name, "FP16") == 0 || strcmp(name, "BF16") == 0)
		return ac_error_set(err, APPCORE_EUNSUPPORTED,
				    "inputs[0].datatype: %s cannot be sent as JSON numbers; send "
				    "FP32",
				    name);
	return ac_error_set(err, APPCORE_EREQUEST,
			    "inputs[0].datatype: unknown datatype \"%s\" (expected FP32, FP64, "
			    "INT8..INT64, UINT8..UINT64 or BOOL)",
			    name);
}

/* shape: [rows, num_features] */
static int read_shape(struct infer *req, const appcore_model *model, json_t *shape,
		      const appcore_predict_options *options, appcore_error *err)
{
	long long dims[2];

	if (!json_is_array(shape))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "inputs[0].shape: expected [rows, features], got %s",
				    shape ? ac_json_kind(shape) : "nothing");
	if (json_array_size(shape) != 2)
		return ac_error_set(err, APPCORE_EREQUEST,
				    "inputs[0].shape: expected 2 dimensions [rows, features], got %zu",
				    json_array_size(shape));
	for (size_t i = 0; i < 2; i++) {
		json_t *d = json_array_get(shape, i);
		if (!json_is_integer(d))
			return ac_error_set(err, APPCORE_EREQUEST,
					    "inputs[0].shape[%zu]: expected an integer, got %s", i,
					    ac_json_kind(d));
		dims[i] = json_integer_value(d);
		if (dims[i] < 0)
			return ac_error_set(err, APPCORE_EREQUEST,
					    "inputs[0].shape[%zu]: %lld is negative", i, dims[i]);
	}
	if ((unsigned long long)dims[1] != model->num_features)
		return ac_error_set(err, APPCORE_EREQUEST,
				    "inputs[0].shape[1]: the model takes %zu features, got %lld",
				    model->num_features, dims[1]);
	if (dims[0] == 0)
		return ac_error_set(err, APPCORE_EREQUEST, "inputs[0].shape[0]: no rows");
	if (options->max_batch_rows > 0 && (unsigned long long)dims[0] > options->max_batch_rows)
		return ac_error_set(err, APPCORE_ELIMIT,
				    "inputs[0].shape[0]: %lld rows, more than the limit of %zu", dims[0],
				    options->max_batch_rows);
	req->rows = (size_t)dims[0];
	return APPCORE_OK;
}

static int read_input(struct infer *req, const appcore_model *model, json_t *inputs,
		      const appcore_predict_options *options, appcore_error *err)
{
	const char *key;
	json_t *value;
	int rc;

	if (!json_is_array(inputs))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "\"inputs\": expected an array of tensors, got %s",
				    ac_json_kind(inputs));
	if (json_array_size(inputs) == 0)
		return ac_error_set(err, APPCORE_EREQUEST, "\"inputs\" is empty");
	if (json_array_size(inputs) > 1)
		return ac_error_set(err, APPCORE_EUNSUPPORTED,
				    "\"inputs\": expected one tensor of shape [rows, %zu], got %zu "
				    "tensors",
				    model->num_features, json_array_size(inputs));
	req->input = json_array_get(inputs, 0);
	if (!json_is_object(req->input))
		return ac_error_set(err, APPCORE_EREQUEST, "inputs[0]: expected an object, got %s",
				    ac_json_kind(req->input));
	json_object_foreach(req->input, key, value)
	{
		if (strcmp(key, "name") != 0 && strcmp(key, "shape") != 0 &&
		    strcmp(key, "datatype") != 0 && strcmp(key, "parameters") != 0 &&
		    strcmp(key, "data") != 0)
			return ac_error_set(err, APPCORE_EREQUEST,
					    "inputs[0]: unknown member \"%s\"; expected \"name\", "
					    "\"shape\", \"datatype\", \"data\" and optionally "
					    "\"parameters\"",
					    key);
	}
	value = json_object_get(req->input, "name");
	if (!json_is_string(value))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "inputs[0].name: expected a string, got %s",
				    value ? ac_json_kind(value) : "nothing");
	if ((rc = read_datatype(req, json_object_get(req->input, "datatype"), err)) != APPCORE_OK ||
	    (rc = read_shape(req, model, json_object_get(req->input, "shape"), options, err)) !=
		APPCORE_OK)
		return rc;
	if (json_object_get(req->input, "data") == NULL)
		return ac_error_set(err, APPCORE_EREQUEST, "inputs[0]: missing \"data\"");
	return APPCORE_OK;
}

static int read_request(struct infer *req, const appcore_model *model, json_t *doc,
			const appcore_predict_options *options, appcore_error *err)
{
	const char *key;
	json_t *value;
	int rc = APPCORE_OK;

	if (!json_is_object(doc))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "expected a JSON object with \"inputs\", got %s",
				    ac_json_kind(doc));
	req->iteration_begin = options->iteration_begin;
	req->iteration_end = options->iteration_end;
	req->type = &datatypes[9]; /* FP32, until "datatype" says */
	json_object_foreach(doc, key, value)
	{
		if (strcmp(key, "id") == 0) {
			req->id = value;
			if (!json_is_string(value))
				rc = ac_error_set(err, APPCORE_EREQUEST,
						  "\"id\": expected a string, got %s",
						  ac_json_kind(value));
		} else if (strcmp(key, "parameters") == 0) {
			rc = read_parameters(req, value, err);
		} else if (strcmp(key, "outputs") == 0) {
			rc = read_outputs(req, value, err);
		} else if (strcmp(key, "inputs") != 0) {
			rc = ac_error_set(err, APPCORE_EREQUEST,
					  "unknown member \"%s\"; expected \"inputs\" and optionally "
					  "\"id\", \"parameters\" and \"outputs\"",
					  key);
		}
		if (rc != APPCORE_OK)
			return rc;
	}
	value = json_object_get(doc, "inputs");
	if (value == NULL)
		return ac_error_set(err, APPCORE_EREQUEST, "missing \"inputs\"");
	if (req->num_outputs == 0)
		req->outputs[req->num_outputs++] = APPCORE_OUTPUT_VALUE;
	return read_input(req, model, value, options, err);
}

/* Where an element is, for messages: "[5]" (flat) or "[1][2]" (nested). Formatted only when
 * there is something to report. */
struct position {
	size_t row, column;
	bool nested;
	char text[48];
};

#define WHERE(pos) position_text(pos)

static const char *position_text(struct position *pos)
{
	if (pos->nested)
		snprintf(pos->text, sizeof(pos->text), "[%zu][%zu]", pos->row, pos->column);
	else
		snprintf(pos->text, sizeof(pos->text), "[%zu]", pos->column);
	return pos->text;
}

/* One element of data, converted to float32 as the datatype says. */
static int element(float *out, json_t *v, const struct datatype *t, struct position *where,
		   appcore_error *err)
{
	long long i;

	switch (t->kind) {
	case KIND_FP:
		if (json_is_null(v)) {
			*out = NAN; /* missing, as XGBoost reads NaN */
			return APPCORE_OK;
		}
		if (!json_is_number(v))
			return ac_error_set(err, APPCORE_EREQUEST,
					    "inputs[0].data%s: expected a number or null (%s), got %s",
					    WHERE(where), t->name, ac_json_kind(v));
		*out = (float)json_number_value(v);
		if (!isfinite(*out))
			return ac_error_set(err, APPCORE_EREQUEST,
					    "inputs[0].data%s: %g is not a finite float32", WHERE(where),
					    json_number_value(v));
		return APPCORE_OK;
	case KIND_BOOL:
		if (!json_is_boolean(v))
			return ac_error_set(err, APPCORE_EREQUEST,
					    "inputs[0].data%s: expected true or false (BOOL), got %s",
					    WHERE(where), ac_json_kind(v));
		*out = json_is_true(v) ? 1.0f : 0.0f;
		return APPCORE_OK;
	case KIND_INT:
	case KIND_UINT:
		break;
	}
	if (!json_is_integer(v)) {
		if (json_is_real(v))
			return ac_error_set(err, APPCORE_EREQUEST,
					    "inputs[0].data%s: expected an integer (%s), got %g", WHERE(where),
					    t->name, json_real_value(v));
		return ac_error_set(err, APPCORE_EREQUEST,
				    "inputs[0].data%s: expected an integer (%s), got %s", WHERE(where),
				    t->name, ac_json_kind(v));
	}
	i = json_integer_value(v);
	if (i < t->min || i > t->max)
		return ac_error_set(err, APPCORE_EREQUEST,
				    "inputs[0].data%s: %lld is out of range for %s", WHERE(where), i,
				    t->name);
	*out = (float)i;
	return APPCORE_OK;
}

/* data must hold what shape says before anything is allocated for it: a shape of 10^12
 * rows costs nothing unless data has them too (and then the body was that big). */
static int check_data(const struct infer *req, size_t nf, bool *nested, appcore_error *err)
{
	json_t *data = json_object_get(req->input, "data");
	size_t count = json_array_size(data);

	if (nf == 0)
		return ac_error_set(err, APPCORE_EMODEL, "the model takes no features");
	if (!json_is_array(data))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "inputs[0].data: expected an array, got %s", ac_json_kind(data));
	*nested = json_is_array(json_array_get(data, 0));
	if (*nested && count != req->rows)
		return ac_error_set(err, APPCORE_EREQUEST,
				    "inputs[0].data: shape [%zu, %zu] needs %zu rows, data has %zu",
				    req->rows, nf, req->rows, count);
	if (!*nested && (count % nf != 0 || count / nf != req->rows))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "inputs[0].data: shape [%zu, %zu] does not match the %zu values "
				    "of data",
				    req->rows, nf, count);
	return APPCORE_OK;
}

/* data, flat ([v, v, ...], row-major) or nested by row ([[v, ...], ...]), into rows. */
static int read_data(float *rows, const struct infer *req, size_t nf, bool nested,
		     appcore_error *err)
{
	json_t *data = json_object_get(req->input, "data");
	struct position where = { 0, 0, nested, "" };
	int rc;

	if (nested) {
		for (size_t r = 0; r < req->rows; r++) {
			json_t *row = json_array_get(data, r);
			if (!json_is_array(row) || json_array_size(row) != nf) {
				if (json_is_array(row))
					return ac_error_set(err, APPCORE_EREQUEST,
							    "inputs[0].data[%zu]: expected %zu values "
							    "(shape [%zu, %zu]), got %zu",
							    r, nf, req->rows, nf, json_array_size(row));
				return ac_error_set(err, APPCORE_EREQUEST,
						    "inputs[0].data[%zu]: expected an array of %zu "
						    "values, got %s",
						    r, nf, ac_json_kind(row));
			}
			for (size_t c = 0; c < nf; c++) {
				where.row = r;
				where.column = c;
				rc = element(&rows[r * nf + c], json_array_get(row, c), req->type,
					     &where, err);
				if (rc != APPCORE_OK)
					return rc;
			}
		}
		return APPCORE_OK;
	}
	for (size_t i = 0; i < req->rows * nf; i++) {
		where.column = i;
		rc = element(&rows[i], json_array_get(data, i), req->type, &where, err);
		if (rc != APPCORE_OK)
			return rc;
	}
	return APPCORE_OK;
}

/* text as a JSON string: copied between quotes when it needs no escaping (every name the
 * repository accepts), through Jansson otherwise. NULL without memory. */
static char *quoted(const char *text)
{
	size_t len = strlen(text);
	json_t *value;
	char *out;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
			goto escape;
	}
	out = malloc(len + 3);
	if (out != NULL) {
		out[0] = '"';
		memcpy(out + 1, text, len);
		out[len + 1] = '"';
		out[len + 2] = '\0';
	}
	return out;
escape:
	value = json_string(text);
	out = value != NULL ? json_dumps(value, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
	json_decref(value);
	return out;
}

/* What a response says, from either path. */
struct answer {
	size_t rows;
	const appcore_output_kind *outputs;
	size_t num_outputs;
	float *values[2];
	const char *id; /* JSON text of the id (quotes included), or NULL */
	size_t id_len;
};

/* {"model_name":...,"model_version":...,"id":...,"outputs":[{...},...]} */
static int write_response(appcore_response *out, const appcore_model *model,
			  const struct answer *a, appcore_error *err)
{
	char *name = quoted(model->name), *version = quoted(model->version);
	size_t capacity = 128 + a->id_len, widths[2];
	char *body = NULL, *p;

	if (name == NULL || version == NULL)
		goto no_memory;
	capacity += strlen(name) + strlen(version);
	for (size_t k = 0; k < a->num_outputs; k++) {
		widths[k] = appcore_model_output_size(model, a->outputs[k]);
		capacity += 128 + a->rows * (widths[k] * AC_MAX_NUMBER_CHARS + 3);
	}
	body = malloc(capacity);
	if (body == NULL)
		goto no_memory;
	p = body + sprintf(body, "{\"model_name\":%s,\"model_version\":%s", name, version);
	if (a->id != NULL) {
		memcpy(p, ",\"id\":", 6);
		memcpy(p + 6, a->id, a->id_len);
		p += 6 + a->id_len;
	}
	p += sprintf(p, ",\"outputs\":[");
	for (size_t k = 0; k < a->num_outputs; k++) {
		p += sprintf(p, "%s{\"name\":\"%s\",\"datatype\":\"FP32\",\"shape\":[%zu",
			     k ? "," : "", output_names[a->outputs[k]], a->rows);
		if (ac_rows_as_array(model, widths[k]))
			p += sprintf(p, ",%zu", widths[k]);
		p += sprintf(p, "],\"data\":[");
		/* flat, row-major */
		p = ac_write_rows(p, a->values[k], a->rows, widths[k], false, false);
		p += sprintf(p, "]}");
	}
	p += sprintf(p, "]}");
	out->body = body;
	out->body_len = (size_t)(p - body);
	out->rows = a->rows;
	free(name);
	free(version);
	return APPCORE_OK;

no_memory:
	free(name);
	free(version);
	free(body);
	return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
}

/* Predict every output the answer asks for, then write it. */
static int answer(appcore_response *out, const appcore_model *model, const float *rows,
		  struct answer *a, size_t iteration_begin, size_t iteration_end,
		  appcore_pool *pool, int keep_rows, appcore_error *err)
{
	size_t tree_begin, tree_end;
	int rc = ac_model_tree_range(&tree_begin, &tree_end, model, iteration_begin,
				     iteration_end, err);

	for (size_t k = 0; rc == APPCORE_OK && k < a->num_outputs; k++) {
		size_t width = appcore_model_output_size(model, a->outputs[k]);
		a->values[k] = malloc((a->rows * width + 1) * sizeof(float));
		rc = a->values[k] == NULL
			 ? ac_error_set(err, APPCORE_ENOMEM, "out of memory")
			 : ac_engine_predict(model, rows, a->rows, a->outputs[k], tree_begin,
					     tree_end, pool, a->values[k], err);
	}
	if (rc == APPCORE_OK)
		rc = write_response(out, model, a, err);
	if (rc == APPCORE_OK && keep_rows) {
		/* the rows and the first output, copied into one block the response owns */
		const size_t nf = model->num_features;
		const size_t width = appcore_model_output_size(model, a->outputs[0]);
		float *block = malloc((a->rows * (nf + width) + 1) * sizeof(float));

		if (block == NULL) {
			appcore_response_dispose(out);
			rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		} else {
			if (a->rows > 0 && rows != NULL && a->values[0] != NULL) {
				memcpy(block, rows, a->rows * nf * sizeof(float));
				memcpy(block + a->rows * nf, a->values[0],
				       a->rows * width * sizeof(float));
			}
			out->inputs = block;
			out->outputs = block + a->rows * nf;
			out->output_size = width;
			out->output_kind = a->outputs[0];
		}
	}
	free(a->values[0]);
	free(a->values[1]);
	return rc;
}

static int answer_general(appcore_response *out, const appcore_model *model, const char *body,
			  size_t body_len, const appcore_predict_options *options,
			  appcore_error *err)
{
	struct answer a = { 0 };
	struct infer req;
	float *rows = NULL;
	char *id = NULL;
	bool nested = false;
	json_t *doc;
	int rc;

	doc = ac_json_load_request(body, body_len, err);
	if (doc == NULL)
		return err != NULL ? err->code : APPCORE_EPARSE;
	memset(&req, 0, sizeof(req));
	if ((rc = read_request(&req, model, doc, options, err)) != APPCORE_OK ||
	    (rc = check_data(&req, model->num_features, &nested, err)) != APPCORE_OK)
		goto out;
	/* rows >= 1 and num_features >= 1 (check_data) */
	rows = malloc((req.rows * model->num_features + 1) * sizeof(float));
	if (req.id != NULL)
		id = json_dumps(req.id, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
	if (rows == NULL || (req.id != NULL && id == NULL)) {
		rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = read_data(rows, &req, model->num_features, nested, err)) != APPCORE_OK)
		goto out;
	a.rows = req.rows;
	a.outputs = req.outputs;
	a.num_outputs = req.num_outputs;
	a.id = id;
	a.id_len = id != NULL ? strlen(id) : 0;
	rc = answer(out, model, rows, &a, req.iteration_begin, req.iteration_end,
		    ac_options_pool(options), ac_options_keep_rows(options), err);
out:
	free(id);
	free(rows);
	json_decref(doc);
	return rc;
}

int appcore_oip_infer(appcore_response *out, const appcore_model *model, const char *body,
		      size_t body_len, const appcore_predict_options *options, appcore_error *err)
{
	struct ac_oip_fast fast;
	int rc;

	if ((rc = ac_protocol_start(out, model, &body, body_len, &options, "appcore_oip_infer",
				    err)) != APPCORE_OK)
		return rc;
	/* the common request skips Jansson; anything else, errors included, takes the general
	 * path */
	if (ac_oip_fast_parse(&fast, body, body_len, model->num_features,
			      options->max_batch_rows)) {
		struct answer a = { 0 };
		a.rows = fast.n;
		a.outputs = fast.outputs;
		a.num_outputs = fast.num_outputs;
		/* the id as it was sent, quotes included: plain ASCII, nothing to escape */
		a.id = fast.id != NULL ? fast.id - 1 : NULL;
		a.id_len = fast.id != NULL ? fast.id_len + 2 : 0;
		rc = answer(out, model, fast.rows, &a, options->iteration_begin,
			    options->iteration_end, ac_options_pool(options),
			    ac_options_keep_rows(options), err);
		free(fast.rows);
		return rc;
	}
	return answer_general(out, model, body, body_len, options, err);
}
