/* TensorFlow Serving's REST API: predict in the row ("instances") and columnar ("inputs")
 * formats, and model status. Rows are read as /predict reads them (ac_json_row), and
 * predictions written alike (ac_write_rows), so every protocol answers with the same
 * numbers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "appcore/tfserving.h"
#include "core/error_internal.h"
#include "core/utf8.h"
#include "engine/engine.h"
#include "model/model_internal.h"
#include "protocol/predict_fast.h"
#include "protocol/predict_json_internal.h"

/* The rows of a request, whichever format it uses. */
struct tf_request {
	const char *format; /* "instances" or "inputs": the member read, named in messages */
	json_t *rows; /* an array of rows, or NULL for named columns */
	json_t *columns;
	size_t n;
};

static int check_signature(json_t *value, appcore_error *err)
{
	const char *name = json_string_value(value);

	if (!json_is_string(value))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "\"signature_name\": expected a string, got %s",
				    ac_json_kind(value));
	if (strcmp(name, "serving_default") != 0 && strcmp(name, "predict") != 0)
		return ac_error_set(err, APPCORE_EREQUEST,
				    "\"signature_name\": no signature \"%s\" (this model has "
				    "\"serving_default\")",
				    name);
	return APPCORE_OK;
}

/* {"inputs": {"feature": [v, ...], ...}}: one list per feature, all as long. A single member
 * holding a list of rows is the whole batch under the input's name. */
static int read_columns(struct tf_request *req, const appcore_model *m, json_t *columns,
			appcore_error *err)
{
	const char *key;
	json_t *value;
	bool first = true;

	if (json_object_size(columns) == 1) {
		json_object_foreach(columns, key, value)
		{
			if (json_is_array(value) && json_is_array(json_array_get(value, 0)) &&
			    ac_model_feature_lookup(m, key) < 0) {
				req->rows = value;
				req->n = json_array_size(value);
				return APPCORE_OK;
			}
		}
	}
	if (m->feature_names == NULL)
		return ac_error_set(err, APPCORE_EREQUEST,
				    "\"inputs\": this model has no feature names; send a list of "
				    "rows of %zu numbers",
				    m->num_features);
	json_object_foreach(columns, key, value)
	{
		if (ac_model_feature_lookup(m, key) < 0)
			return ac_error_set(err, APPCORE_EREQUEST, "inputs: unknown feature \"%s\"",
					    key);
		if (!json_is_array(value))
			return ac_error_set(err, APPCORE_EREQUEST,
					    "inputs.%s: expected a list of values, one per row, got %s",
					    key, ac_json_kind(value));
		if (first)
			req->n = json_array_size(value);
		else if (json_array_size(value) != req->n)
			return ac_error_set(err, APPCORE_EREQUEST,
					    "inputs.%s: %zu values, other features have %zu", key,
					    json_array_size(value), req->n);
		first = false;
	}
	req->columns = columns;
	return APPCORE_OK;
}

static int read_request(struct tf_request *req, const appcore_model *m, json_t *doc,
			const appcore_predict_options *options, appcore_error *err)
{
	json_t *instances = json_object_get(doc, "instances");
	json_t *inputs = json_object_get(doc, "inputs");
	const char *key;
	json_t *value;
	int rc;

	memset(req, 0, sizeof(*req));
	req->format = "instances";
	if (!json_is_object(doc))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "expected a JSON object with \"instances\" or \"inputs\", got %s",
				    ac_json_kind(doc));
	json_object_foreach(doc, key, value)
	{
		if (strcmp(key, "signature_name") == 0) {
			if ((rc = check_signature(value, err)) != APPCORE_OK)
				return rc;
		} else if (strcmp(key, "instances") != 0 && strcmp(key, "inputs") != 0) {
			return ac_error_set(err, APPCORE_EREQUEST,
					    "unknown member \"%s\"; expected \"instances\" or "
					    "\"inputs\", and optionally \"signature_name\"",
					    key);
		}
	}
	if ((instances == NULL) == (inputs == NULL))
		return ac_error_set(err, APPCORE_EREQUEST,
				    instances == NULL ? "missing \"instances\" (or \"inputs\")"
						      : "\"instances\" and \"inputs\" cannot be used "
							"together");
	req->format = instances != NULL ? "instances" : "inputs";
	value = (instances != NULL ? instances : inputs);
	if (inputs != NULL && json_is_object(inputs)) {
		if ((rc = read_columns(req, m, inputs, err)) != APPCORE_OK)
			return rc;
	} else if (!json_is_array(value)) {
		return ac_error_set(err, APPCORE_EREQUEST, "\"%s\": expected a list of rows, got %s",
				    req->format, ac_json_kind(value));
	} else {
		req->rows = value;
		req->n = json_array_size(value);
	}
	if (req->n == 0)
		return ac_error_set(err, APPCORE_EREQUEST, "\"%s\" has no rows", req->format);
	if (options->max_batch_rows > 0 && req->n > options->max_batch_rows)
		return ac_error_set(err, APPCORE_ELIMIT, "too many rows: %zu (limit %zu)", req->n,
				    options->max_batch_rows);
	return APPCORE_OK;
}

static int cell(float *out, json_t *v, const char *feature, size_t row, appcore_error *err)
{
	if (json_is_null(v)) {
		*out = NAN;
		return APPCORE_OK;
	}
	if (!json_is_number(v))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "inputs.%s[%zu]: expected a number or null, got %s", feature, row,
				    ac_json_kind(v));
	*out = (float)json_number_value(v);
	if (!isfinite(*out))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "inputs.%s[%zu]: %g is not a finite float32", feature, row,
				    json_number_value(v));
	return APPCORE_OK;
}

static int decode(float *rows, const struct tf_request *req, const appcore_model *m,
		  appcore_error *err)
{
	const size_t nf = m->num_features;
	const char *key;
	json_t *value;
	int rc;

	if (req->rows != NULL) {
		for (size_t i = 0; i < req->n; i++)
			if ((rc = ac_json_row(rows + i * nf, m, json_array_get(req->rows, i),
					      req->format, i, true, err)) != APPCORE_OK)
				return rc;
		return APPCORE_OK;
	}
	for (size_t i = 0; i < req->n * nf; i++)
		rows[i] = NAN; /* features without a column are missing */
	json_object_foreach(req->columns, key, value)
	{
		size_t column = (size_t)ac_model_feature_lookup(m, key);
		for (size_t i = 0; i < req->n; i++)
			if ((rc = cell(&rows[i * nf + column], json_array_get(value, i), key, i, err)) !=
			    APPCORE_OK)
				return rc;
	}
	return APPCORE_OK;
}

/* {"predictions": [...]} or {"outputs": [...]}: values is n rows of the kind's width. */
/* With keep_rows: hand the block of rows followed by their predictions to the response (it
 * frees it with the body); *block is left NULL. */
static void keep(appcore_response *out, float **block, size_t n, size_t num_features,
		 size_t width, appcore_output_kind kind)
{
	out->inputs = *block;
	out->outputs = *block + n * num_features;
	out->output_size = width;
	out->output_kind = kind;
	*block = NULL;
}

static int answer(appcore_response *out, const appcore_model *m, const float *values, size_t n,
		  appcore_output_kind kind, const char *member, appcore_error *err)
{
	size_t width = appcore_model_output_size(m, kind);
	char *body = malloc(32 + n * (width * AC_MAX_NUMBER_CHARS + 3));
	char *p;

	if (body == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	p = body + sprintf(body, "{\"%s\":[", member);
	p = ac_write_rows(p, values, n, width, ac_rows_as_array(m, width), false);
	p += sprintf(p, "]}");
	out->body = body;
	out->body_len = (size_t)(p - body);
	out->rows = n;
	return APPCORE_OK;
}

static size_t max_width(const appcore_model *m)
{
	size_t value = appcore_model_output_size(m, APPCORE_OUTPUT_VALUE);
	size_t margin = appcore_model_output_size(m, APPCORE_OUTPUT_MARGIN);
	return value > margin ? value : margin;
}

int appcore_tfserving_predict(appcore_response *out, const appcore_model *model,
			      const char *body, size_t body_len,
			      const appcore_predict_options *options, appcore_error *err)
{
	appcore_output_kind kind;
	struct tf_request req;
	size_t tree_begin, tree_end, n;
	float *rows = NULL;
	json_t *doc;
	int rc;

	if ((rc = ac_protocol_start(out, model, &body, body_len, &options,
				    "appcore_tfserving_predict", err)) != APPCORE_OK ||
	    (rc = ac_model_tree_range(&tree_begin, &tree_end, model, options->iteration_begin,
				      options->iteration_end, err)) != APPCORE_OK)
		return rc;
	/* {"instances": [[numbers]]}, the common request, skips Jansson as /predict does */
	if (ac_predict_fast_parse(body, body_len, model->num_features, max_width(model),
				  options->max_batch_rows, options->output, &rows, &n, &kind) &&
	    kind == options->output) {
		float *values = rows + n * model->num_features;
		rc = ac_engine_predict(model, rows, n, kind, tree_begin, tree_end,
				       ac_options_pool(options), values, err);
		if (rc == APPCORE_OK)
			rc = answer(out, model, values, n, kind, "predictions", err);
		if (rc == APPCORE_OK && ac_options_keep_rows(options))
			keep(out, &rows, n, model->num_features, appcore_model_output_size(model, kind),
			     kind);
		free(rows);
		return rc;
	}
	free(rows);
	rows = NULL;
	doc = ac_json_load_request(body, body_len, err);
	if (doc == NULL)
		return err != NULL ? err->code : APPCORE_EPARSE;
	if ((rc = read_request(&req, model, doc, options, err)) != APPCORE_OK)
		goto out;
	n = req.n;
	/* n >= 1 (read_request) */
	rows = malloc((n * (model->num_features + max_width(model)) + 1) * sizeof(float));
	if (rows == NULL) {
		rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = decode(rows, &req, model, err)) != APPCORE_OK ||
	    (rc = ac_engine_predict(model, rows, n, options->output, tree_begin, tree_end,
				    ac_options_pool(options), rows + n * model->num_features, err)) != APPCORE_OK)
		goto out;
	rc = answer(out, model, rows + n * model->num_features, n, options->output,
		    strcmp(req.format, "instances") == 0 ? "predictions" : "outputs", err);
	if (rc == APPCORE_OK && ac_options_keep_rows(options))
		keep(out, &rows, n, model->num_features,
		     appcore_model_output_size(model, options->output), options->output);
out:
	free(rows);
	json_decref(doc);
	return rc;
}

/* The canonical (gRPC) code TensorFlow Serving reports a failed version with. */
static const char *status_code(int code)
{
	switch (code) {
	case APPCORE_OK:
		return "OK";
	case APPCORE_ENOTFOUND:
		return "NOT_FOUND";
	case APPCORE_ENOMEM:
		return "RESOURCE_EXHAUSTED";
	case APPCORE_EUNSUPPORTED:
		return "UNIMPLEMENTED";
	case APPCORE_EIO:
		return "UNAVAILABLE";
	default:
		return "INVALID_ARGUMENT";
	}
}

static json_t *version_status(const char *version, const char *state, int code,
			      const char *message)
{
	char clean[APPCORE_ERROR_MESSAGE_SIZE * 3];

	ac_utf8_sanitize(clean, sizeof(clean), message);
	return json_pack("{s:s,s:s,s:{s:s,s:s}}", "version", version, "state", state, "status",
			 "error_code", status_code(code), "error_message", clean);
}

static bool served(const appcore_repository_entry *lines, size_t count, const char *version)
{
	for (size_t i = 0; i < count; i++)
		if (lines[i].state == APPCORE_REPOSITORY_READY &&
		    strcmp(lines[i].version, version) == 0)
			return true;
	return false;
}

int appcore_tfserving_model_status(char **out, size_t *out_len, appcore_repository *repo,
				   const char *name, const char *version, appcore_error *err)
{
	appcore_repository_entry *lines = NULL;
	size_t count = 0;
	json_t *list, *doc = NULL;
	char *text;
	int rc;

	if (out == NULL || repo == NULL || name == NULL)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_tfserving_model_status: NULL argument");
	*out = NULL;
	if ((rc = appcore_repository_list(&lines, &count, repo, name, err)) != APPCORE_OK)
		return rc;
	list = json_array();
	for (size_t i = 0; list != NULL && i < count; i++) {
		const appcore_repository_entry *line = &lines[i];
		json_t *item;

		if (line->version == NULL || (version != NULL && strcmp(line->version, version) != 0))
			continue;
		if (line->state == APPCORE_REPOSITORY_READY)
			item = version_status(line->version, "AVAILABLE", APPCORE_OK, "");
		else if (!served(lines, count, line->version))
			item = version_status(line->version, "END", line->code, line->reason);
		else
			continue; /* served, though a newer file for it failed */
		if (json_array_append_new(list, item) != 0) {
			json_decref(list);
			list = NULL;
		}
	}
	if (list != NULL && json_array_size(list) == 0) {
		const char *why = count > 0 ? lines[0].reason : "";
		rc = version != NULL ? ac_error_set(err, APPCORE_ENOTFOUND,
						    "model '%s' has no version '%s'", name, version)
				     : ac_error_set(err, APPCORE_ENOTFOUND,
						    "model '%s' has no version%s%s", name,
						    why[0] ? ": " : "", why);
		json_decref(list);
		appcore_free(lines);
		return rc;
	}
	appcore_free(lines);
	if (list != NULL)
		doc = json_pack("{s:o}", "model_version_status", list);
	text = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(doc);
	if (text == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	*out = text;
	if (out_len != NULL)
		*out_len = strlen(text);
	return APPCORE_OK;
}
