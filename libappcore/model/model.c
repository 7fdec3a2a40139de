/* Model handle lifetime, identity and metadata. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error_internal.h"
#include "model/model_internal.h"

/* Model files beyond this are surely not what the user meant to load. */
#define MAX_MODEL_FILE_BYTES ((size_t)2 << 30)

static char *json_text(const char *s)
{
	json_t *v = json_string(s);
	char *text = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;

	json_decref(v);
	return text;
}

int appcore_model_set_identity(appcore_model *model, const char *name, const char *version,
			       appcore_error *err)
{
	char *name_copy, *version_copy, *name_json, *version_json, *suffix = NULL;
	int len = -1;

	if (model == NULL || name == NULL || version == NULL || name[0] == '\0')
		return ac_error_set(err, APPCORE_EINVAL, "model identity needs a non-empty name and a "
				    "version");
	name_json = json_text(name);
	version_json = json_text(version);
	if (name_json == NULL || version_json == NULL) {
		free(name_json);
		free(version_json);
		return ac_error_set(err, APPCORE_EINVAL, "model name and version must be UTF-8 text");
	}
	name_copy = strdup(name);
	version_copy = strdup(version);
	len = snprintf(NULL, 0, ",\"model\":{\"name\":%s,\"version\":%s}}", name_json, version_json);
	suffix = malloc((size_t)len + 1);
	if (suffix)
		snprintf(suffix, (size_t)len + 1, ",\"model\":{\"name\":%s,\"version\":%s}}", name_json,
			 version_json);
	free(name_json);
	free(version_json);
	if (name_copy == NULL || version_copy == NULL || suffix == NULL) {
		free(name_copy);
		free(version_copy);
		free(suffix);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	free(model->name);
	free(model->version);
	free(model->response_suffix);
	model->name = name_copy;
	model->version = version_copy;
	model->response_suffix = suffix;
	model->response_suffix_len = (size_t)len;
	return APPCORE_OK;
}

void ac_model_destroy(appcore_model *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; m->feature_names && i < m->num_features; i++)
		free(m->feature_names[i]);
	for (size_t i = 0; m->feature_types && i < m->num_features; i++)
		free(m->feature_types[i]);
	free(m->feature_names);
	free(m->feature_types);
	free(m->feature_index);
	free(m->linear_weights);
	ac_layout_free(m->layout);
	free(m->cat_words);
	free(m->catsets);
	free(m->nodes);
	free(m->tree_groups);
	free(m->tree_depths);
	free(m->tree_roots);
	free(m->base_margin);
	free(m->base_score);
	free(m->response_suffix);
	free(m->version);
	free(m->name);
	free(m);
}

int appcore_model_load_buffer(appcore_model **out, const char *data, size_t len,
			      appcore_error *err)
{
	appcore_model *m;
	int rc;

	if (out == NULL || (data == NULL && len > 0))
		return ac_error_set(err, APPCORE_EINVAL, "appcore_model_load_buffer: NULL argument");
	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	atomic_init(&m->refs, 1);
	rc = ac_model_parse(m, data ? data : "", len, err);
	if (rc == APPCORE_OK)
		rc = appcore_model_set_identity(m, "model", "", err);
	if (rc != APPCORE_OK) {
		ac_model_destroy(m);
		return rc;
	}
	*out = m;
	return APPCORE_OK;
}

static int read_file(char **data, size_t *len, const char *path, appcore_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, used = 0;

	if (f == NULL)
		return ac_error_set(err, APPCORE_EIO, "%s: cannot open: %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if (cap - used < 65536) {
			char *grown;

			if (cap >= MAX_MODEL_FILE_BYTES) {
				free(buf);
				fclose(f);
				return ac_error_set(err, APPCORE_EMODEL, "%s: larger than %zu bytes",
						    path, MAX_MODEL_FILE_BYTES);
			}
			cap = cap ? cap * 2 : 1 << 20;
			if ((grown = realloc(buf, cap)) == NULL) {
				free(buf);
				fclose(f);
				return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
			}
			buf = grown;
		}
		got = fread(buf + used, 1, cap - used, f);
		used += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return ac_error_set(err, APPCORE_EIO, "%s: read error", path);
	}
	fclose(f);
	*data = buf;
	*len = used;
	return APPCORE_OK;
}

int appcore_model_load_file(appcore_model **out, const char *path, appcore_error *err)
{
	const char *base, *dot;
	char name[256];
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (out == NULL || path == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_model_load_file: NULL argument");
	*out = NULL;
	dot = strrchr(path, '.');
	if (dot != NULL && strcmp(dot, ".ubj") == 0)
		return ac_error_set(err, APPCORE_EUNSUPPORTED,
				    "%s: UBJSON models are not supported; save the model as JSON with "
				    "booster.save_model(\"model.json\")", path);
	if ((rc = read_file(&data, &len, path, err)) != APPCORE_OK)
		return rc;
	rc = appcore_model_load_buffer(out, data, len, err);
	free(data);
	if (rc != APPCORE_OK) {
		if (rc != APPCORE_ENOMEM)
			ac_error_prefix(err, path);
		return rc;
	}
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	snprintf(name, sizeof(name), "%.*s",
		 (int)(dot && dot != base && strcmp(dot, ".json") == 0 ? (size_t)(dot - base)
								       : strlen(base)),
		 base);
	/* a file name that is not UTF-8 keeps the generic name */
	if (name[0] != '\0' && appcore_model_set_identity(*out, name, "", NULL) == APPCORE_ENOMEM) {
		appcore_model_unref(*out);
		*out = NULL;
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	return APPCORE_OK;
}

appcore_model *appcore_model_ref(appcore_model *model)
{
	if (model != NULL)
		atomic_fetch_add_explicit(&model->refs, 1, memory_order_relaxed);
	return model;
}

void appcore_model_unref(appcore_model *model)
{
	if (model == NULL)
		return;
	/* acq_rel: the thread that frees must see every other thread's last use */
	if (atomic_fetch_sub_explicit(&model->refs, 1, memory_order_acq_rel) == 1)
		ac_model_destroy(model);
}

const char *appcore_model_name(const appcore_model *model)
{
	return model->name;
}

const char *appcore_model_version(const appcore_model *model)
{
	return model->version;
}

size_t appcore_model_num_features(const appcore_model *model)
{
	return model->num_features;
}

size_t appcore_model_output_size(const appcore_model *model, appcore_output_kind kind)
{
	if (kind == APPCORE_OUTPUT_VALUE && model->objective->transform == AC_TRANSFORM_SOFTMAX)
		return 1;
	return model->num_groups;
}

size_t appcore_model_num_outputs(const appcore_model *model)
{
	return appcore_model_output_size(model, APPCORE_OUTPUT_VALUE);
}

const char *appcore_model_feature_name(const appcore_model *model, size_t index)
{
	return model->feature_names && index < model->num_features ? model->feature_names[index]
								   : NULL;
}

const char *appcore_model_feature_type(const appcore_model *model, size_t index)
{
	return model->feature_types && index < model->num_features ? model->feature_types[index]
								   : NULL;
}

const char *appcore_model_objective(const appcore_model *model)
{
	return model->objective->name;
}

const char *appcore_model_booster(const appcore_model *model)
{
	switch (model->booster) {
	case AC_BOOSTER_DART: return "dart";
	case AC_BOOSTER_GBLINEAR: return "gblinear";
	case AC_BOOSTER_GBTREE: break;
	}
	return "gbtree";
}

size_t appcore_model_num_trees(const appcore_model *model)
{
	return model->num_trees;
}

const char *appcore_model_xgboost_version(const appcore_model *model)
{
	return model->xgboost_version;
}

long ac_model_feature_lookup(const appcore_model *model, const char *name)
{
	size_t lo = 0, hi = model->feature_index ? model->num_features : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, model->feature_index[mid].name);

		if (c == 0)
			return (long)model->feature_index[mid].index;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static json_t *string_array(char *const *list, size_t n)
{
	json_t *arr;

	if (list == NULL)
		return json_null();
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, json_string(list[i])) != 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

int appcore_model_info_json(char **out, size_t *out_len, const appcore_model *model,
			    appcore_error *err)
{
	json_t *doc, *base = json_array();
	char *text;

	if (out == NULL || model == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_model_info_json: NULL argument");
	*out = NULL;
	for (size_t g = 0; base && g < model->num_groups; g++)
		json_array_append_new(base, json_real(model->base_score[g]));
	doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:o*,s:o*,s:o*}",
			"name", model->name, "version", model->version,
			"xgboost_version", model->xgboost_version,
			"booster", appcore_model_booster(model),
			"objective", model->objective->name,
			"num_features", (json_int_t)model->num_features,
			"num_outputs", (json_int_t)appcore_model_num_outputs(model),
			"num_class", (json_int_t)(model->objective->multiclass ? model->num_groups : 0),
			"num_trees", (json_int_t)model->num_trees,
			"num_parallel_tree", (json_int_t)(model->num_trees ? model->num_parallel_tree : 0),
			"base_score", base,
			"feature_names", string_array(model->feature_names, model->num_features),
			"feature_types", string_array(model->feature_types, model->num_features));
	/* names came from the model file: keep the output ASCII-safe whatever they hold */
	text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (text == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	*out = text;
	if (out_len != NULL)
		*out_len = strlen(text);
	return APPCORE_OK;
}
