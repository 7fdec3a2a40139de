/* A model's config.yaml, read with libfyaml. Every problem names the file, the line and
 * column and the key: "m/config.yaml:3:12: version_policy.latest: expected an integer >= 1,
 * got 'two'". */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "core/error_internal.h"
#include "core/yaml_file.h"
#include "repository/model_config.h"

struct parse {
	const char *path;
	struct ac_model_config *config;
	appcore_error *err;
};

/* The position of node, or of fallback when node is a mapping or a list (libfyaml keeps
 * positions on scalars only). */
static void where(struct fy_node *node, struct fy_node *fallback, int *line, int *column)
{
	ac_yaml_position(node != NULL && fy_node_is_scalar(node) ? node : fallback, line, column);
}

static int problem(struct parse *p, struct fy_node *node, struct fy_node *fallback,
		   const char *key, const char *format, ...) AC_PRINTF(5, 6);

static int problem(struct parse *p, struct fy_node *node, struct fy_node *fallback,
		   const char *key, const char *format, ...)
{
	char text[512];
	va_list ap;
	int line, column;

	va_start(ap, format);
	vsnprintf(text, sizeof(text), format, ap);
	va_end(ap);
	where(node, fallback, &line, &column);
	ac_error_set_at(p->err, APPCORE_ECONFIG, line, column, "%s:%d:%d: %s: %s", p->path, line,
			column, key, text);
	return APPCORE_ECONFIG;
}

/* The text of a plain (unquoted) scalar, copied into buf; NULL for anything else. YAML's
 * quoted "3" is a string, and accepting it for a number would hide mistakes. */
static const char *plain_text(struct fy_node *node, char *buf, size_t size)
{
	const char *text;
	size_t len;

	if (node == NULL || !fy_node_is_scalar(node) || fy_node_is_alias(node) ||
	    fy_node_get_style(node) != FYNS_PLAIN)
		return NULL;
	text = fy_node_get_scalar(node, &len);
	if (text == NULL || len >= size)
		return NULL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return buf;
}

static bool is_null(struct fy_node *node)
{
	char buf[8];
	const char *text = plain_text(node, buf, sizeof(buf));

	return node == NULL || (text != NULL && (text[0] == '\0' || strcmp(text, "~") == 0 ||
						  strcmp(text, "null") == 0));
}

/* A decimal integer in [min, max]. */
static int integer(unsigned long long *out, struct parse *p, struct fy_node *node,
		   struct fy_node *key_node, const char *key, unsigned long long min,
		   unsigned long long max)
{
	char buf[64];
	const char *text = plain_text(node, buf, sizeof(buf));
	char *end = NULL;

	*out = 0;
	if (text != NULL && text[0] >= '0' && text[0] <= '9') {
		errno = 0;
		*out = strtoull(text, &end, 10);
		if (errno == 0 && *end == '\0' && *out >= min && *out <= max)
			return APPCORE_OK;
	}
	if (text == NULL && node != NULL && fy_node_is_scalar(node))
		return problem(p, node, key_node, key, "expected an integer, got a quoted string");
	if (text == NULL)
		return problem(p, node, key_node, key, "expected an integer, got %s", ac_yaml_kind(node));
	if (max == ULLONG_MAX)
		return problem(p, node, key_node, key, "expected an integer >= %llu, got '%s'",
			       min, text);
	return problem(p, node, key_node, key, "expected an integer from %llu to %llu, got '%s'",
		       min, max, text);
}

static int boolean(int *out, struct parse *p, struct fy_node *node, struct fy_node *key_node,
		   const char *key)
{
	char buf[8];
	const char *text = plain_text(node, buf, sizeof(buf));

	if (text != NULL && strcmp(text, "true") == 0)
		*out = 1;
	else if (text != NULL && strcmp(text, "false") == 0)
		*out = 0;
	else
		return problem(p, node, key_node, key, "expected true or false, got %s%s%s",
			       text ? "'" : "", text ? text : ac_yaml_kind(node), text ? "'" : "");
	return APPCORE_OK;
}

static int compare_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
	return x < y ? -1 : x > y;
}

static int specific_versions(struct parse *p, struct fy_node *list, struct fy_node *key_node)
{
	struct ac_model_config *c = p->config;
	const char *key = "version_policy.specific";
	void *iter = NULL;
	struct fy_node *item;
	int count;

	if (list == NULL || !fy_node_is_sequence(list))
		return problem(p, list, key_node, key, "expected a list of versions, got %s",
			       ac_yaml_kind(list));
	count = fy_node_sequence_item_count(list);
	if (count <= 0)
		return problem(p, list, key_node, key, "the list is empty");
	c->specific = calloc((size_t)count, sizeof(*c->specific));
	if (c->specific == NULL)
		return ac_error_set(p->err, APPCORE_ENOMEM, "out of memory");
	while ((item = fy_node_sequence_iterate(list, &iter)) != NULL) {
		int rc = integer(&c->specific[c->num_specific], p, item, key_node, key, 1,
				 (unsigned long long)LLONG_MAX);
		if (rc != APPCORE_OK)
			return rc;
		c->num_specific++;
	}
	qsort(c->specific, c->num_specific, sizeof(*c->specific), compare_ull);
	for (size_t i = 1; i < c->num_specific; i++)
		if (c->specific[i] == c->specific[i - 1])
			return problem(p, list, key_node, key, "version %llu is listed twice",
				       c->specific[i]);
	return APPCORE_OK;
}

/* version_policy: all | latest | {latest: N} | {all: ...} | {specific: [..]} */
static int version_policy(struct parse *p, struct fy_node *value, struct fy_node *key_node)
{
	struct ac_model_config *c = p->config;
	const char *key = "version_policy";
	struct fy_node_pair *pair;
	struct fy_node *name_node;
	const char *name;
	char buf[32];
	void *iter = NULL;
	size_t len;

	c->has_policy = true;
	name = plain_text(value, buf, sizeof(buf));
	if (name != NULL && strcmp(name, "all") == 0) {
		c->policy = APPCORE_REPOSITORY_POLICY_ALL;
		return APPCORE_OK;
	}
	if (name != NULL && strcmp(name, "latest") == 0) {
		c->policy = APPCORE_REPOSITORY_POLICY_LATEST;
		c->latest = 1;
		return APPCORE_OK;
	}
	if (value == NULL || !fy_node_is_mapping(value) || fy_node_mapping_item_count(value) != 1)
		return problem(p, value, key_node, key,
			       "expected one of 'all', 'latest', {latest: N}, {all: {}} or "
			       "{specific: [versions]}");
	pair = fy_node_mapping_iterate(value, &iter);
	name_node = fy_node_pair_key(pair);
	name = name_node != NULL && fy_node_is_scalar(name_node) ? fy_node_get_scalar(name_node, &len)
								 : NULL;
	if (name != NULL && len == 6 && memcmp(name, "latest", 6) == 0) {
		unsigned long long n;
		int rc = integer(&n, p, fy_node_pair_value(pair), name_node,
				 "version_policy.latest", 1, 1000000);
		c->policy = APPCORE_REPOSITORY_POLICY_LATEST;
		c->latest = (size_t)n;
		return rc;
	}
	if (name != NULL && len == 3 && memcmp(name, "all", 3) == 0) {
		struct fy_node *v = fy_node_pair_value(pair);
		int yes = 1;
		/* `all: {}` (TensorFlow Serving's spelling), `all:` or `all: true` */
		if (!(is_null(v) || (fy_node_is_mapping(v) && fy_node_mapping_item_count(v) == 0)) &&
		    (boolean(&yes, p, v, name_node, "version_policy.all") != APPCORE_OK || !yes))
			return problem(p, v, name_node, "version_policy.all",
				       "expected {} or true");
		c->policy = APPCORE_REPOSITORY_POLICY_ALL;
		return APPCORE_OK;
	}
	if (name != NULL && len == 8 && memcmp(name, "specific", 8) == 0) {
		c->policy = APPCORE_REPOSITORY_POLICY_SPECIFIC;
		return specific_versions(p, fy_node_pair_value(pair), name_node);
	}
	return problem(p, name_node, key_node, key,
		       "unknown policy '%.*s' (expected latest, all or specific)",
		       name != NULL ? (int)len : 0, name != NULL ? name : "");
}

static int iteration_range(struct parse *p, struct fy_node *value, struct fy_node *key_node)
{
	struct ac_model_config *c = p->config;
	const char *key = "iteration_range";
	unsigned long long begin, end;
	int rc;

	if (value == NULL || !fy_node_is_sequence(value) || fy_node_sequence_item_count(value) != 2)
		return problem(p, value, key_node, key, "expected [begin, end]");
	if ((rc = integer(&begin, p, fy_node_sequence_get_by_index(value, 0), key_node, key, 0,
			  (unsigned long long)INT_MAX)) != APPCORE_OK ||
	    (rc = integer(&end, p, fy_node_sequence_get_by_index(value, 1), key_node, key, 0,
			  (unsigned long long)INT_MAX)) != APPCORE_OK)
		return rc;
	if (end != 0 && end <= begin)
		return problem(p, fy_node_sequence_get_by_index(value, 1), key_node, key,
			       "end (%llu) must be greater than begin (%llu), or 0 for the last "
			       "iteration",
			       end, begin);
	c->has_iteration_range = true;
	c->iteration_begin = (size_t)begin;
	c->iteration_end = (size_t)end;
	return APPCORE_OK;
}

static int feature_names(struct parse *p, struct fy_node *value, struct fy_node *key_node)
{
	struct ac_model_config *c = p->config;
	const char *key = "feature_names";
	void *iter = NULL;
	struct fy_node *item;
	int count;

	if (value == NULL || !fy_node_is_sequence(value))
		return problem(p, value, key_node, key, "expected a list of names, got %s",
			       ac_yaml_kind(value));
	count = fy_node_sequence_item_count(value);
	if (count <= 0)
		return problem(p, value, key_node, key, "the list is empty");
	c->feature_names = calloc((size_t)count, sizeof(char *));
	if (c->feature_names == NULL) {
		ac_error_set(p->err, APPCORE_ENOMEM, "out of memory");
		return APPCORE_ENOMEM;
	}
	while ((item = fy_node_sequence_iterate(value, &iter)) != NULL) {
		const char *text;
		size_t len;

		if (!fy_node_is_scalar(item) || (text = fy_node_get_scalar(item, &len)) == NULL ||
		    len == 0)
			return problem(p, item, key_node, key, "[%zu]: expected a non-empty name",
				       c->num_feature_names);
		for (size_t i = 0; i < c->num_feature_names && c->feature_names[i] != NULL; i++)
			if (strlen(c->feature_names[i]) == len &&
			    memcmp(c->feature_names[i], text, len) == 0)
				return problem(p, item, key_node, key, "'%.*s' is listed twice",
					       (int)len, text);
		c->feature_names[c->num_feature_names] = malloc(len + 1);
		if (c->feature_names[c->num_feature_names] == NULL) {
			ac_error_set(p->err, APPCORE_ENOMEM, "out of memory");
			return APPCORE_ENOMEM;
		}
		memcpy(c->feature_names[c->num_feature_names], text, len);
		c->feature_names[c->num_feature_names][len] = '\0';
		c->num_feature_names++;
	}
	return APPCORE_OK;
}

static int root(struct parse *p, struct fy_node *node)
{
	static const char *const keys[] = { "version_policy", "use_best_iteration",
					    "iteration_range", "max_batch_rows", "feature_names" };
	struct fy_node_pair *pair;
	void *iter = NULL;

	if (is_null(node))
		return APPCORE_OK; /* an empty file sets nothing */
	if (!fy_node_is_mapping(node))
		return ac_error_set_at(p->err, APPCORE_ECONFIG, 1, 1,
				       "%s:1:1: expected a mapping of settings, got %s", p->path,
				       ac_yaml_kind(node));
	while ((pair = fy_node_mapping_iterate(node, &iter)) != NULL) {
		struct fy_node *key_node = fy_node_pair_key(pair);
		struct fy_node *value = fy_node_pair_value(pair);
		unsigned long long n;
		const char *key;
		size_t len, k;
		int rc;

		key = key_node != NULL && fy_node_is_scalar(key_node)
			  ? fy_node_get_scalar(key_node, &len)
			  : NULL;
		if (key == NULL)
			return problem(p, key_node, NULL, "(root)", "keys must be plain names");
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strlen(keys[k]) == len && memcmp(keys[k], key, len) == 0)
				break;
		switch (k) {
		case 0:
			rc = version_policy(p, value, key_node);
			break;
		case 1:
			rc = boolean(&p->config->use_best_iteration, p, value, key_node, keys[k]);
			p->config->has_use_best_iteration = true;
			break;
		case 2:
			rc = iteration_range(p, value, key_node);
			break;
		case 3:
			rc = integer(&n, p, value, key_node, keys[k], 0, (unsigned long long)INT_MAX);
			p->config->has_max_batch_rows = true;
			p->config->max_batch_rows = (size_t)n;
			break;
		case 4:
			rc = feature_names(p, value, key_node);
			break;
		default:
			return problem(p, key_node, NULL, "(root)",
				       "unknown key '%.*s' (expected version_policy, "
				       "use_best_iteration, iteration_range, max_batch_rows or "
				       "feature_names)",
				       (int)len, key);
		}
		if (rc != APPCORE_OK)
			return rc;
	}
	return APPCORE_OK;
}

static int visit_root(void *ctx, struct fy_node *node)
{
	return root(ctx, node);
}

int ac_model_config_load(struct ac_model_config *out, const char *path, appcore_error *err)
{
	struct parse p = { path, out, err };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ac_yaml_load_file(path, AC_MODEL_CONFIG_MAX_BYTES, visit_root, &p, err);
	if (rc != APPCORE_OK)
		ac_model_config_free(out);
	return rc;
}

void ac_model_config_free(struct ac_model_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->num_feature_names; i++)
		free(c->feature_names[i]);
	free(c->feature_names);
	free(c->specific);
	memset(c, 0, sizeof(*c));
}

bool ac_model_config_shapes_differ(const struct ac_model_config *a,
				   const struct ac_model_config *b)
{
	if (a->has_use_best_iteration != b->has_use_best_iteration ||
	    a->use_best_iteration != b->use_best_iteration ||
	    a->has_iteration_range != b->has_iteration_range ||
	    a->iteration_begin != b->iteration_begin || a->iteration_end != b->iteration_end ||
	    a->num_feature_names != b->num_feature_names)
		return true;
	for (size_t i = 0; i < a->num_feature_names; i++)
		if (strcmp(a->feature_names[i], b->feature_names[i]) != 0)
			return true;
	return false;
}
