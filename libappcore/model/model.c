/* Model handle lifetime, identity (fixed at load) and metadata. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/error_internal.h"
#include "core/utf8.h"
#include "model/input.h"
#include "model/model_internal.h"

/* Model files beyond this are surely not what the user meant to load. */
#define MAX_MODEL_FILE_BYTES ((size_t)2 << 30)

int appcore_model_load_options_init(appcore_model_load_options *options, unsigned int version)
{
	if (options == NULL || version == 0 || version > APPCORE_MODEL_LOAD_OPTIONS_VERSION)
		return APPCORE_EINVAL;
	memset(options, 0, sizeof(*options));
	options->version = version;
	return APPCORE_OK;
}

static char *json_text(const char *s)
{
	json_t *v = json_string(s);
	char *text = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;

	json_decref(v);
	return text;
}

static int is_utf8(const char *text)
{
	size_t len = strlen(text), n;

	for (size_t i = 0; i < len; i += n)
		if ((n = ac_utf8_sequence_length((const unsigned char *)text + i, len - i)) == 0)
			return 0;
	return 1;
}

/* Name, version and the `,"model":{...}}` suffix of every prediction answer. */
static int set_identity(appcore_model *model, const char *name, const char *version,
			appcore_error *err)
{
	char *name_json, *version_json;
	int len;

	if (!is_utf8(name) || !is_utf8(version))
		return ac_error_set(err, APPCORE_EINVAL, "model name and version must be UTF-8 text");
	name_json = json_text(name);
	version_json = json_text(version);
	if (name_json == NULL || version_json == NULL) {
		free(name_json);
		free(version_json);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	model->name = strdup(name);
	model->version = strdup(version);
	len = snprintf(NULL, 0, ",\"model\":{\"name\":%s,\"version\":%s}}", name_json, version_json);
	model->response_suffix = malloc((size_t)len + 1);
	if (model->response_suffix != NULL)
		snprintf(model->response_suffix, (size_t)len + 1,
			 ",\"model\":{\"name\":%s,\"version\":%s}}", name_json, version_json);
	model->response_suffix_len = (size_t)len;
	free(name_json);
	free(version_json);
	if (model->name == NULL || model->version == NULL || model->response_suffix == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
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
	free(m->vnodes);
	free(m->vleaves);
	free(m->iteration_ptr);
	free(m->tree_features);
	free(m->tree_feature_nodes);
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

static int check_options(const appcore_model_load_options *options, appcore_error *err)
{
	if (options != NULL &&
	    (options->version == 0 || options->version > APPCORE_MODEL_LOAD_OPTIONS_VERSION))
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_model_load_options: unknown version %u (this library "
				    "knows 1..%d)",
				    options->version, APPCORE_MODEL_LOAD_OPTIONS_VERSION);
	if (options != NULL && options->name != NULL && options->name[0] == '\0')
		return ac_error_set(err, APPCORE_EINVAL, "appcore_model_load_options: empty name");
	return APPCORE_OK;
}

/* Read a new model from `in`, named default_name unless the options name it. */
static int load(appcore_model **out, struct ac_input *in, const char *default_name,
		const appcore_model_load_options *options, appcore_error *err)
{
	appcore_model *m;
	int rc;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	atomic_init(&m->refs, 1);
	m->best_iteration = -1;
	rc = ac_model_parse(m, in, err);
	if (rc == APPCORE_OK)
		rc = set_identity(m, options && options->name ? options->name : default_name,
				  options && options->model_version ? options->model_version : "",
				  err);
	if (rc == APPCORE_OK && options != NULL && options->use_best_iteration &&
	    m->best_iteration >= 0 && m->booster != AC_BOOSTER_GBLINEAR) {
		if ((size_t)m->best_iteration >= ac_model_num_iterations(m))
			rc = ac_error_set(
			    err, APPCORE_EMODEL,
			    "learner.attributes.best_iteration: %ld is beyond the model's "
			    "%zu iterations",
			    m->best_iteration, ac_model_num_iterations(m));
		else
			m->default_iteration_end = (size_t)m->best_iteration + 1;
	}
	if (rc != APPCORE_OK) {
		ac_model_destroy(m);
		return rc;
	}
	*out = m;
	return APPCORE_OK;
}

int appcore_model_load_buffer(appcore_model **out, const void *data, size_t len,
			      const appcore_model_load_options *options, appcore_error *err)
{
	struct ac_input in;
	int rc;

	if (out == NULL || (data == NULL && len > 0))
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_model_load_buffer: NULL argument");
	*out = NULL;
	if ((rc = check_options(options, err)) != APPCORE_OK)
		return rc;
	ac_input_init_buffer(&in, data ? data : "", len);
	return load(out, &in, "model", options, err);
}

/* The file name without directory and extension ("models/iris.json" -> "iris"); "model" when
 * nothing is left or the name is not UTF-8 (json_text refuses it). */
static void name_from_path(char *name, size_t size, const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	snprintf(name, size, "%.*s", (int)(dot && dot != base ? (size_t)(dot - base) : strlen(base)),
		 base);
	if (name[0] == '\0' || !is_utf8(name))
		snprintf(name, size, "model");
}

int appcore_model_load_file(appcore_model **out, const char *path,
			    const appcore_model_load_options *options, appcore_error *err)
{
	struct ac_input in;
	char name[256];
	int fd, rc;

	if (out == NULL || path == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_model_load_file: NULL argument");
	*out = NULL;
	if ((rc = check_options(options, err)) != APPCORE_OK)
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ac_error_set(err, APPCORE_EIO, "%s: cannot open: %s", path, strerror(errno));
	name_from_path(name, sizeof(name), path);
	/* streamed through a small window: the file is never held whole in memory */
	rc = ac_input_init_fd(&in, fd, 0, MAX_MODEL_FILE_BYTES, err);
	if (rc == APPCORE_OK)
		rc = load(out, &in, name, options, err);
	ac_input_free(&in);
	close(fd);
	if (rc != APPCORE_OK && rc != APPCORE_ENOMEM)
		ac_error_prefix(err, path);
	return rc;
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

size_t ac_model_num_iterations(const appcore_model *model)
{
	return model->num_iterations;
}

long ac_model_best_iteration(const appcore_model *model)
{
	return model->best_iteration;
}

size_t appcore_model_num_iterations(const appcore_model *model)
{
	return model->num_iterations;
}

int appcore_model_best_iteration(size_t *iteration, const appcore_model *model)
{
	if (iteration == NULL || model == NULL)
		return APPCORE_EINVAL;
	if (model->best_iteration < 0)
		return APPCORE_ENOTFOUND;
	*iteration = (size_t)model->best_iteration;
	return APPCORE_OK;
}

int ac_model_tree_range(size_t *tree_begin, size_t *tree_end, const appcore_model *m,
			size_t begin, size_t end, appcore_error *err)
{
	const size_t iterations = m->num_iterations;

	/* the default: every tree, unless the model was loaded to stop at best_iteration */
	if (begin == 0 && end == 0 && m->default_iteration_end == 0) {
		*tree_begin = 0;
		*tree_end = m->num_trees;
		return APPCORE_OK;
	}
	if (m->booster == AC_BOOSTER_GBLINEAR) {
		/* gblinear has no per-iteration parts: XGBoost accepts a range from 0
		 * (gblinear.cc LinearCheckLayer) and predicts with all its weights */
		if (begin != 0)
			return ac_error_set(err, APPCORE_EREQUEST,
					    "iteration_range [%zu, %zu): a gblinear model predicts "
					    "with all its weights; the range must start at 0",
					    begin, end);
		*tree_begin = *tree_end = 0;
		return APPCORE_OK;
	}
	if (begin == 0 && end == 0)
		end = m->default_iteration_end;
	/* XGBoost: an end of 0 is the last iteration, and then every tree counts, also those
	 * of an incomplete last iteration */
	if (begin > (end ? end : iterations) || (end ? end : iterations) > iterations ||
	    (end != 0 && begin == end))
		return ac_error_set(err, APPCORE_EREQUEST,
				    "iteration_range [%zu, %zu) is not within the model's %zu "
				    "iterations", begin, end, iterations);
	*tree_begin = m->iteration_ptr ? m->iteration_ptr[begin] : 0;
	*tree_end = end && m->iteration_ptr ? m->iteration_ptr[end] : m->num_trees;
	return APPCORE_OK;
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

int appcore_model_feature_index(size_t *index, const appcore_model *model, const char *name)
{
	long column;

	if (index == NULL || model == NULL || name == NULL)
		return APPCORE_EINVAL;
	column = ac_model_feature_lookup(model, name);
	if (column < 0)
		return APPCORE_ENOTFOUND;
	*index = (size_t)column;
	return APPCORE_OK;
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

static json_t *info_document(const appcore_model *model, appcore_model_info detail)
{
	json_t *doc = json_pack("{s:s,s:s}", "name", model->name, "version", model->version);
	json_t *base;

	if (doc == NULL || detail == APPCORE_MODEL_INFO_IDENTITY)
		return doc;
	if (detail == APPCORE_MODEL_INFO_SUMMARY) {
		if (json_object_update_new(doc,
					   json_pack("{s:s,s:I,s:I}", "objective",
						     model->objective->name, "num_features",
						     (json_int_t)model->num_features, "num_outputs",
						     (json_int_t)appcore_model_num_outputs(model))))
			goto fail;
		return doc;
	}
	base = json_array();
	for (size_t g = 0; base && g < model->num_groups; g++)
		if (json_array_append_new(base, json_real(model->base_score[g])) != 0)
			goto fail_base;
	if (base == NULL ||
	    json_object_update_new(
		doc,
		json_pack(
		    "{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o}", "xgboost_version",
		    model->xgboost_version, "booster", appcore_model_booster(model), "objective",
		    model->objective->name, "num_features", (json_int_t)model->num_features,
		    "num_outputs", (json_int_t)appcore_model_num_outputs(model), "num_class",
		    (json_int_t)(model->objective->multiclass ? model->num_groups : 0), "num_trees",
		    (json_int_t)model->num_trees, "num_parallel_tree",
		    (json_int_t)(model->num_trees ? model->num_parallel_tree : 0), "num_iterations",
		    (json_int_t)ac_model_num_iterations(model), "best_iteration",
		    model->best_iteration >= 0 ? json_integer(model->best_iteration) : json_null(),
		    "base_score", base, "feature_names",
		    string_array(model->feature_names, model->num_features), "feature_types",
		    string_array(model->feature_types, model->num_features))) != 0)
		goto fail;
	return doc;
fail_base:
	json_decref(base);
fail:
	json_decref(doc);
	return NULL;
}

int appcore_model_info_json(char **out, size_t *out_len, const appcore_model *model,
			    appcore_model_info detail, appcore_error *err)
{
	json_t *doc;
	char *text;

	if (out == NULL || model == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_model_info_json: NULL argument");
	*out = NULL;
	if (detail != APPCORE_MODEL_INFO_IDENTITY && detail != APPCORE_MODEL_INFO_SUMMARY &&
	    detail != APPCORE_MODEL_INFO_FULL)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_model_info_json: unknown detail %d", (int)detail);
	doc = info_document(model, detail);
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
