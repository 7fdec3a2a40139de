/* The Open Inference Protocol's other documents: server and model metadata, and Triton's
 * repository extension (index, load, unload). Built with Jansson: none is on a hot path. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "appcore/oip.h"
#include "appcore/version.h"
#include "core/error_internal.h"
#include "core/utf8.h"
#include "model/model_internal.h"
#include "protocol/predict_json_internal.h"

/* Compact ASCII text of doc (taken), or APPCORE_ENOMEM. */
static int render(char **out, size_t *out_len, json_t *doc, appcore_error *err)
{
	char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	json_decref(doc);
	if (text == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	*out = text;
	if (out_len != NULL)
		*out_len = strlen(text);
	return APPCORE_OK;
}

/* Repository names and reasons may quote file names, which need not be UTF-8. */
static json_t *text_value(const char *text)
{
	char clean[APPCORE_ERROR_MESSAGE_SIZE * 3];

	ac_utf8_sanitize(clean, sizeof(clean), text);
	return json_string(clean);
}

int appcore_oip_server_metadata(char **out, size_t *out_len, appcore_error *err)
{
	if (out == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_oip_server_metadata: NULL argument");
	*out = NULL;
	return render(out, out_len,
		      json_pack("{s:s,s:s,s:[s]}", "name", "appcore", "version", appcore_version(),
				"extensions", "model_repository"),
		      err);
}

static json_t *tensor(const char *name, size_t width, bool two_dimensions)
{
	json_t *shape = two_dimensions ? json_pack("[i,I]", -1, (json_int_t)width)
				       : json_pack("[i]", -1);

	return shape != NULL ? json_pack("{s:s,s:s,s:o}", "name", name, "datatype", "FP32",
					 "shape", shape)
			     : NULL;
}

int appcore_oip_model_metadata(char **out, size_t *out_len, appcore_repository *repo,
			       const char *name, const char *version, appcore_error *err)
{
	appcore_repository_entry *lines = NULL;
	appcore_model *model = NULL;
	size_t count = 0;
	json_t *doc = NULL, *versions, *outputs;
	int rc;

	if (out == NULL || repo == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_oip_model_metadata: NULL argument");
	*out = NULL;
	if ((rc = appcore_repository_get(&model, repo, name, version, err)) != APPCORE_OK)
		return rc;
	/* the versions served now, which may already differ from the one looked up */
	if ((rc = appcore_repository_list(&lines, &count, repo, model->name, NULL)) ==
	    APPCORE_ENOMEM) {
		appcore_model_unref(model);
		return ac_error_set(err, rc, "out of memory");
	}
	versions = json_array();
	for (size_t i = 0; versions != NULL && i < count; i++)
		if (lines[i].state == APPCORE_REPOSITORY_READY && lines[i].version != NULL &&
		    json_array_append_new(versions, text_value(lines[i].version)) != 0) {
			json_decref(versions);
			versions = NULL;
		}
	appcore_free(lines);
	outputs = json_array();
	for (int kind = APPCORE_OUTPUT_VALUE; outputs != NULL && kind <= APPCORE_OUTPUT_MARGIN;
	     kind++) {
		size_t width = appcore_model_output_size(model, (appcore_output_kind)kind);
		if (json_array_append_new(outputs,
					  tensor(kind == APPCORE_OUTPUT_VALUE ? "predict" : "margin",
						 width, ac_rows_as_array(model, width))) != 0) {
			json_decref(outputs);
			outputs = NULL;
		}
	}
	if (versions != NULL && outputs != NULL)
		doc = json_pack("{s:o,s:o,s:s,s:[o],s:o}", "name", text_value(model->name),
				"versions", versions, "platform", "xgboost", "inputs",
				tensor(APPCORE_OIP_INPUT_NAME, model->num_features, true), "outputs",
				outputs);
	else {
		json_decref(versions);
		json_decref(outputs);
	}
	appcore_model_unref(model);
	return render(out, out_len, doc, err);
}

/* The body of a repository request: empty, or an object of the members allowed. */
static int repository_body(json_t **doc, const char *body, size_t body_len, const char *allowed,
			   const char *what, appcore_error *err)
{
	const char *key;
	json_t *value;
	size_t i = 0;

	*doc = NULL;
	while (i < body_len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' ||
				body[i] == '\n'))
		i++;
	if (i == body_len)
		return APPCORE_OK;
	*doc = ac_json_load_request(body, body_len, err);
	if (*doc == NULL)
		return err != NULL ? err->code : APPCORE_EPARSE;
	if (!json_is_object(*doc))
		return ac_error_set(err, APPCORE_EREQUEST, "expected a JSON object, got %s",
				    ac_json_kind(*doc));
	json_object_foreach(*doc, key, value)
	{
		if (strcmp(key, allowed) != 0)
			return ac_error_set(err, APPCORE_EREQUEST,
					    "unknown member \"%s\"; %s", key, what);
	}
	return APPCORE_OK;
}

int appcore_oip_repository_index(char **out, size_t *out_len, appcore_repository *repo,
				 const char *body, size_t body_len, appcore_error *err)
{
	appcore_repository_entry *lines = NULL;
	json_t *request = NULL, *ready, *doc;
	size_t count = 0;
	int rc;

	if (out == NULL || repo == NULL || (body == NULL && body_len > 0))
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_oip_repository_index: NULL argument");
	*out = NULL;
	rc = repository_body(&request, body, body_len, "ready",
			     "the index request has only \"ready\"", err);
	ready = request != NULL ? json_object_get(request, "ready") : NULL;
	if (rc == APPCORE_OK && ready != NULL && !json_is_boolean(ready))
		rc = ac_error_set(err, APPCORE_EREQUEST, "\"ready\": expected true or false, got %s",
				  ac_json_kind(ready));
	if (rc == APPCORE_OK)
		rc = appcore_repository_list(&lines, &count, repo, NULL, err);
	if (rc != APPCORE_OK) {
		json_decref(request);
		return rc;
	}
	doc = json_array();
	for (size_t i = 0; doc != NULL && i < count; i++) {
		const appcore_repository_entry *line = &lines[i];
		json_t *item;

		if (json_is_true(ready) && line->state != APPCORE_REPOSITORY_READY)
			continue;
		item = json_pack("{s:o,s:s,s:o}", "name", text_value(line->name), "state",
				 line->state == APPCORE_REPOSITORY_READY ? "READY" : "UNAVAILABLE",
				 "reason", text_value(line->reason));
		if (item != NULL && line->version != NULL)
			json_object_set_new(item, "version", text_value(line->version));
		if (item == NULL || json_array_append_new(doc, item) != 0) {
			json_decref(doc);
			doc = NULL;
		}
	}
	appcore_free(lines);
	json_decref(request);
	return render(out, out_len, doc, err);
}

/* {"parameters": {...}}: parameters that would replace the directory are refused. */
static int load_parameters(const char *body, size_t body_len, bool load, appcore_error *err)
{
	json_t *doc = NULL, *parameters;
	const char *key;
	json_t *value;
	int rc = repository_body(&doc, body, body_len, "parameters",
				 "the request has only \"parameters\"", err);

	parameters = doc != NULL ? json_object_get(doc, "parameters") : NULL;
	if (rc == APPCORE_OK && parameters != NULL && !json_is_object(parameters))
		rc = ac_error_set(err, APPCORE_EREQUEST, "\"parameters\": expected an object, got %s",
				  ac_json_kind(parameters));
	if (rc == APPCORE_OK && parameters != NULL) {
		json_object_foreach(parameters, key, value)
		{
			if (load && (strcmp(key, "config") == 0 || strncmp(key, "file:", 5) == 0)) {
				rc = ac_error_set(err, APPCORE_EUNSUPPORTED,
						  "parameters.%s: models are loaded from the "
						  "repository directory, not from the request",
						  key);
				break;
			}
			if (!load && strcmp(key, "unload_dependents") == 0 &&
			    !json_is_boolean(value)) {
				rc = ac_error_set(err, APPCORE_EREQUEST,
						  "parameters.unload_dependents: expected true or "
						  "false, got %s",
						  ac_json_kind(value));
				break;
			}
		}
	}
	json_decref(doc);
	return rc;
}

int appcore_oip_repository_load(appcore_repository *repo, const char *name, const char *body,
				size_t body_len, appcore_error *err)
{
	int rc;

	if (repo == NULL || name == NULL || (body == NULL && body_len > 0))
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_oip_repository_load: NULL argument");
	if ((rc = load_parameters(body, body_len, true, err)) != APPCORE_OK)
		return rc;
	return appcore_repository_load(repo, name, err);
}

int appcore_oip_repository_unload(appcore_repository *repo, const char *name, const char *body,
				  size_t body_len, appcore_error *err)
{
	int rc;

	if (repo == NULL || name == NULL || (body == NULL && body_len > 0))
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_oip_repository_unload: NULL argument");
	if ((rc = load_parameters(body, body_len, false, err)) != APPCORE_OK)
		return rc;
	return appcore_repository_unload(repo, name, err);
}
