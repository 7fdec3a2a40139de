/* The configuration object: defaults, flags, the environment, getters and
 * the effective-configuration printout. The YAML file is config_file.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"
#include "core/error_internal.h"
#include "core/log_strbuf.h"

extern char **environ;

void appcore_config_free(appcore_config *config)
{
	if (config == NULL)
		return;
	for (size_t i = 0; i < ac_config_num_keys; i++)
		ac_config_value_clear(&config->values[i]);
	free(config);
}

int appcore_config_new(appcore_config **out, appcore_error *err)
{
	appcore_config *config;
	char problem[256];

	if (out == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_config_new: out is NULL");
	*out = NULL;
	config = calloc(1, sizeof(*config));
	if (config == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	for (size_t i = 0; i < ac_config_num_keys; i++) {
		const struct ac_config_key *k = &ac_config_keys[i];
		int rc = ac_config_parse(k, k->default_text, &config->values[i],
					 APPCORE_CONFIG_DEFAULT, problem, sizeof(problem));
		if (rc != 0) {
			appcore_config_free(config);
			/* a bad built-in default is a bug, not bad input */
			return rc == -2 ? ac_error_set(err, APPCORE_ENOMEM, "out of memory")
					: ac_error_set(err, APPCORE_EINTERNAL, "default %s: %s",
						       k->key, problem);
		}
	}
	*out = config;
	return APPCORE_OK;
}

const char *appcore_config_source_name(appcore_config_source source)
{
	switch (source) {
	case APPCORE_CONFIG_DEFAULT:
		return "default";
	case APPCORE_CONFIG_FILE:
		return "file";
	case APPCORE_CONFIG_ENV:
		return "env";
	case APPCORE_CONFIG_FLAG:
		return "flag";
	}
	return "unknown";
}

static int unknown_key_error(appcore_error *err, const char *key)
{
	const char *hint = ac_config_suggest_key(key);
	if (hint != NULL)
		return ac_error_set(err, APPCORE_ECONFIG, "%s: unknown key (did you mean %s?)", key,
				    hint);
	return ac_error_set(err, APPCORE_ECONFIG, "%s: unknown key", key);
}

int appcore_config_set(appcore_config *config, const char *key, const char *value,
		       appcore_config_source source, appcore_error *err)
{
	struct ac_config_value parsed;
	char problem[256];
	int index;
	int rc;

	if (config == NULL || key == NULL || value == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_config_set: NULL argument");
	if ((int)source < APPCORE_CONFIG_DEFAULT || source > APPCORE_CONFIG_FLAG)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_config_set: unknown source %d",
				    (int)source);
	index = ac_config_find(key);
	if (index < 0)
		return unknown_key_error(err, key);
	rc = ac_config_parse(&ac_config_keys[index], value, &parsed, source, problem,
			     sizeof(problem));
	if (rc != 0) {
		ac_config_value_clear(&parsed);
		if (rc == -2)
			return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		return ac_error_set(err, APPCORE_ECONFIG, "%s: %s", key, problem);
	}
	ac_config_value_clear(&config->values[index]);
	config->values[index] = parsed;
	return APPCORE_OK;
}

/* APPCORE_SERVER_..., APPCORE_MODEL_...: the variables that must name a key. */
static int env_section_prefix(const char *name, size_t name_len)
{
	for (size_t i = 0; i < ac_config_num_sections; i++) {
		const char *s = ac_config_sections[i];
		size_t n = strlen(s);
		if (name_len > 8 + n + 1 && strncmp(name, "APPCORE_", 8) == 0 &&
		    name[8 + n] == '_') {
			size_t j;
			for (j = 0; j < n; j++)
				if (name[8 + j] != s[j] - 'a' + 'A')
					break;
			if (j == n)
				return 1;
		}
	}
	return 0;
}

int appcore_config_apply_env(appcore_config *config, char *const *envp, appcore_error *err)
{
	struct ac_config_stage stage;
	char problem[256];

	if (config == NULL)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_config_apply_env: config is NULL");
	if (envp == NULL)
		envp = environ;
	ac_config_stage_init(&stage);
	for (size_t e = 0; envp != NULL && envp[e] != NULL; e++) {
		const char *entry = envp[e];
		const char *eq = strchr(entry, '=');
		size_t name_len = eq != NULL ? (size_t)(eq - entry) : strlen(entry);
		size_t i;
		int rc;

		if (eq == NULL || !env_section_prefix(entry, name_len))
			continue;
		for (i = 0; i < ac_config_num_keys; i++)
			if (strlen(ac_config_keys[i].env) == name_len &&
			    memcmp(ac_config_keys[i].env, entry, name_len) == 0)
				break;
		if (i == ac_config_num_keys) {
			char name[128];
			const char *hint;
			snprintf(name, sizeof(name), "%.*s", (int)name_len, entry);
			hint = ac_config_suggest_env(name);
			ac_config_stage_discard(&stage);
			if (hint != NULL)
				return ac_error_set(
				    err, APPCORE_ECONFIG,
				    "%s: unknown configuration variable (did you mean %s?)", name,
				    hint);
			return ac_error_set(err, APPCORE_ECONFIG,
					    "%s: unknown configuration variable", name);
		}
		ac_config_value_clear(&stage.values[i]);
		rc = ac_config_parse(&ac_config_keys[i], eq + 1, &stage.values[i],
				     APPCORE_CONFIG_ENV, problem, sizeof(problem));
		stage.set[i] = 1;
		if (rc != 0) {
			ac_config_stage_discard(&stage);
			if (rc == -2)
				return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
			return ac_error_set(err, APPCORE_ECONFIG, "%s: %s", ac_config_keys[i].env,
					    problem);
		}
	}
	ac_config_stage_commit(config, &stage);
	return APPCORE_OK;
}

int appcore_config_load(appcore_config **out, const char *path, appcore_error *err)
{
	appcore_config *config = NULL;
	int rc;

	if (out == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_config_load: out is NULL");
	*out = NULL;
	rc = appcore_config_new(&config, err);
	if (rc != APPCORE_OK)
		return rc;
	if (path == NULL) {
		path = getenv("APPCORE_CONFIG");
		if (path != NULL && path[0] == '\0')
			path = NULL;
	}
	if (path != NULL)
		rc = appcore_config_load_file(config, path, err);
	if (rc == APPCORE_OK)
		rc = appcore_config_apply_env(config, NULL, err);
	if (rc != APPCORE_OK) {
		appcore_config_free(config);
		return rc;
	}
	*out = config;
	return APPCORE_OK;
}

static const char *type_name(enum ac_config_type type)
{
	switch (type) {
	case AC_CFG_STRING:
		return "a string";
	case AC_CFG_PATH:
		return "a path";
	case AC_CFG_ENUM:
		return "a choice (string)";
	case AC_CFG_INT:
		return "an integer";
	case AC_CFG_BOOL:
		return "a boolean";
	case AC_CFG_LIST:
		return "a list";
	}
	return "a value";
}

/* The value of key when its type is one of `types` (a bit set of 1 << ac_config_type), or
 * NULL with *rc set; `out` is the caller's out-parameter, checked here once for every getter. */
static const struct ac_config_value *lookup(int *rc, const void *out,
					    const appcore_config *config, const char *key,
					    unsigned types, const char *wanted, appcore_error *err)
{
	int index;

	*rc = APPCORE_OK;
	if (out == NULL || config == NULL || key == NULL) {
		*rc = ac_error_set(err, APPCORE_EINVAL, "configuration lookup: NULL argument");
		return NULL;
	}
	index = ac_config_find(key);
	if (index < 0) {
		const char *hint = ac_config_suggest_key(key);
		if (hint != NULL)
			*rc = ac_error_set(err, APPCORE_ENOTFOUND, "%s: no such key (did you mean %s?)",
					   key, hint);
		else
			*rc = ac_error_set(err, APPCORE_ENOTFOUND, "%s: no such key", key);
		return NULL;
	}
	if (!(types & (1u << ac_config_keys[index].type))) {
		*rc = ac_error_set(err, APPCORE_EINVAL, "%s is %s, not %s", key,
				   type_name(ac_config_keys[index].type), wanted);
		return NULL;
	}
	return &config->values[index];
}

#define TYPE(t) (1u << (t))

int appcore_config_get_string(const char **out, const appcore_config *config, const char *key,
			      appcore_error *err)
{
	int rc;
	const struct ac_config_value *v = lookup(
		&rc, out, config, key, TYPE(AC_CFG_STRING) | TYPE(AC_CFG_PATH) | TYPE(AC_CFG_ENUM),
		"a string", err);

	if (v != NULL)
		*out = v->text;
	return rc;
}

int appcore_config_get_int(long long *out, const appcore_config *config, const char *key,
			   appcore_error *err)
{
	int rc;
	const struct ac_config_value *v =
		lookup(&rc, out, config, key, TYPE(AC_CFG_INT), "an integer", err);

	if (v != NULL)
		*out = v->integer;
	return rc;
}

int appcore_config_get_double(double *out, const appcore_config *config, const char *key,
			      appcore_error *err)
{
	int rc;
	const struct ac_config_value *v =
		lookup(&rc, out, config, key, TYPE(AC_CFG_INT), "a number", err);

	if (v != NULL)
		*out = (double)v->integer;
	return rc;
}

int appcore_config_get_bool(int *out, const appcore_config *config, const char *key,
			    appcore_error *err)
{
	int rc;
	const struct ac_config_value *v =
		lookup(&rc, out, config, key, TYPE(AC_CFG_BOOL), "a boolean", err);

	if (v != NULL)
		*out = v->boolean;
	return rc;
}

int appcore_config_get_list(const double **values, size_t *count, const appcore_config *config,
			    const char *key, appcore_error *err)
{
	int rc;
	const struct ac_config_value *v = lookup(&rc, count == NULL ? NULL : values, config, key,
						 TYPE(AC_CFG_LIST), "a list", err);

	if (v != NULL) {
		*values = v->list;
		*count = v->list_len;
	}
	return rc;
}

int appcore_config_get_source(appcore_config_source *out, const appcore_config *config,
			      const char *key, appcore_error *err)
{
	int rc;
	const struct ac_config_value *v = lookup(&rc, out, config, key, ~0u, "a value", err);

	if (v != NULL)
		*out = v->source;
	return rc;
}

/* Values are written the same way in YAML and JSON: strings as JSON
 * strings (valid YAML double-quoted scalars), lists in flow style. */
static void render_value(ac_strbuf *buf, const struct ac_config_key *k,
			 const struct ac_config_value *v)
{
	switch (k->type) {
	case AC_CFG_STRING:
	case AC_CFG_PATH:
	case AC_CFG_ENUM:
		ac_strbuf_json_string(buf, v->text, strlen(v->text));
		break;
	case AC_CFG_INT:
		ac_strbuf_printf(buf, "%lld", v->integer);
		break;
	case AC_CFG_BOOL:
		ac_strbuf_puts(buf, v->boolean ? "true" : "false");
		break;
	case AC_CFG_LIST:
		ac_strbuf_putc(buf, '[');
		for (size_t i = 0; i < v->list_len; i++) {
			if (i > 0)
				ac_strbuf_puts(buf, ", ");
			ac_strbuf_double(buf, v->list[i]);
		}
		ac_strbuf_putc(buf, ']');
		break;
	}
}

static void render_yaml(ac_strbuf *buf, const appcore_config *config)
{
	const char *section = NULL;

	ac_strbuf_puts(buf, "# appcore effective configuration; after each value, its source\n"
			    "# (default, file, env or flag)\n");
	for (size_t i = 0; i < ac_config_num_keys; i++) {
		const struct ac_config_key *k = &ac_config_keys[i];
		size_t start;
		if (section == NULL || strcmp(section, k->section) != 0) {
			section = k->section;
			ac_strbuf_printf(buf, "%s:\n", section);
		}
		start = buf->len;
		ac_strbuf_printf(buf, "  %s: ", k->name);
		render_value(buf, k, &config->values[i]);
		/* line the source comments up where the values are short */
		for (size_t col = buf->len - start; col < 36; col++)
			ac_strbuf_putc(buf, ' ');
		ac_strbuf_printf(buf, "  # %s\n",
				 appcore_config_source_name(config->values[i].source));
	}
}

static void render_json(ac_strbuf *buf, const appcore_config *config)
{
	const char *section = NULL;

	ac_strbuf_putc(buf, '{');
	for (size_t i = 0; i < ac_config_num_keys; i++) {
		const struct ac_config_key *k = &ac_config_keys[i];
		if (section == NULL || strcmp(section, k->section) != 0) {
			ac_strbuf_printf(buf, "%s\n  \"%s\": {\n", section != NULL ? "\n  }," : "",
					 k->section);
			section = k->section;
		} else {
			ac_strbuf_puts(buf, ",\n");
		}
		ac_strbuf_printf(buf, "    \"%s\": {\"value\": ", k->name);
		render_value(buf, k, &config->values[i]);
		ac_strbuf_printf(buf, ", \"source\": \"%s\"}",
				 appcore_config_source_name(config->values[i].source));
	}
	ac_strbuf_puts(buf, "\n  }\n}\n");
}

int appcore_config_render(char **out, size_t *out_len, const appcore_config *config,
			  appcore_config_format format, appcore_error *err)
{
	ac_strbuf buf;

	if (out == NULL || config == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_config_render: NULL argument");
	*out = NULL;
	if (format != APPCORE_CONFIG_YAML && format != APPCORE_CONFIG_JSON)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_config_render: unknown format %d",
				    (int)format);
	ac_strbuf_init(&buf, NULL, 0);
	if (format == APPCORE_CONFIG_YAML)
		render_yaml(&buf, config);
	else
		render_json(&buf, config);
	*out = ac_strbuf_detach(&buf, out_len);
	return *out != NULL ? APPCORE_OK : ac_error_set(err, APPCORE_ENOMEM, "out of memory");
}
