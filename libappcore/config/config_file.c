/* Loading a YAML configuration file with libfyaml. Every problem is reported
 * as "file:line:column: key: problem", with the position of the offending
 * value (or of its key when the value is not a scalar). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "config/config_internal.h"
#include "core/error_internal.h"
#include "core/utf8.h"

/* A configuration is a page of YAML; anything this big is a mistake. */
#define AC_CONFIG_MAX_BYTES ((size_t)1024 * 1024)

struct file_ctx {
	const char *path;
	const char *dir; /* directory part of path with trailing '/', or "" */
	size_t dir_len;
	struct ac_config_stage stage;
	appcore_error *err;
};

static void node_position(struct fy_node *node, int *line, int *column)
{
	struct fy_token *token =
	    node != NULL && fy_node_is_scalar(node) ? fy_node_get_scalar_token(node) : NULL;
	const struct fy_mark *mark = token != NULL ? fy_token_start_mark(token) : NULL;

	/* libfyaml marks are 0-based, and a quoted scalar's token starts after
	 * its opening quote: point at the quote, where the value starts */
	*line = mark != NULL ? mark->line + 1 : 1;
	*column = mark != NULL ? mark->column + 1 : 1;
	if (mark != NULL && *column > 1 && fy_node_get_style(node) != FYNS_PLAIN)
		(*column)--;
}

static int fail_at(struct file_ctx *ctx, struct fy_node *node, const char *what,
		   const char *problem)
{
	int line, column;

	node_position(node, &line, &column);
	return ac_error_set_at(ctx->err, APPCORE_ECONFIG, line, column, "%s:%d:%d: %s: %s",
			       ctx->path, line, column, what, problem);
}

static const char *node_kind(struct fy_node *node)
{
	if (node == NULL)
		return "nothing";
	if (fy_node_is_mapping(node))
		return "a mapping";
	if (fy_node_is_sequence(node))
		return "a list";
	return "a scalar";
}

/* The scalar as a NUL-terminated copy, or NULL (with *plain set) for a
 * non-scalar. Plain scalars are YAML's untyped text: "8000" vs 8000. */
/* A NUL-terminated copy of a scalar in *out: 0; -1 when node is no scalar (*out NULL); -2
 * when the copy cannot be allocated. */
static int scalar_copy(char **out, struct fy_node *node, int *quoted)
{
	const char *text;
	size_t len;

	*out = NULL;
	if (node == NULL || !fy_node_is_scalar(node) || fy_node_is_alias(node))
		return -1;
	text = fy_node_get_scalar(node, &len);
	if (text == NULL)
		return -1;
	*quoted = fy_node_get_style(node) != FYNS_PLAIN;
	*out = malloc(len + 1);
	if (*out == NULL)
		return -2;
	memcpy(*out, text, len);
	(*out)[len] = '\0';
	return 0;
}

static int is_null_scalar(struct fy_node *node)
{
	const char *text;
	size_t len;

	if (node == NULL)
		return 1;
	if (!fy_node_is_scalar(node) || fy_node_get_style(node) != FYNS_PLAIN)
		return 0;
	text = fy_node_get_scalar(node, &len);
	return text == NULL || len == 0 || (len == 1 && text[0] == '~') ||
	       (len == 4 && (memcmp(text, "null", 4) == 0 || memcmp(text, "Null", 4) == 0 ||
			     memcmp(text, "NULL", 4) == 0));
}

static int load_list(struct file_ctx *ctx, int index, struct fy_node *key_node,
		     struct fy_node *value)
{
	const struct ac_config_key *k = &ac_config_keys[index];
	struct ac_config_value *v = &ctx->stage.values[index];
	char problem[256];
	void *iter = NULL;
	struct fy_node *item;
	size_t n = 0;

	if (!fy_node_is_sequence(value)) {
		snprintf(problem, sizeof(problem), "expected a list of numbers, got %s",
			 node_kind(value));
		return fail_at(ctx, fy_node_is_scalar(value) ? value : key_node, k->key, problem);
	}
	v->list = calloc((size_t)fy_node_sequence_item_count(value) + 1, sizeof(double));
	if (v->list == NULL)
		return ac_error_set(ctx->err, APPCORE_ENOMEM, "out of memory");
	while ((item = fy_node_sequence_iterate(value, &iter)) != NULL) {
		int quoted = 0;
		char *text;
		char *end = NULL;
		double d = 0;
		if (scalar_copy(&text, item, &quoted) == -2)
			return ac_error_set(ctx->err, APPCORE_ENOMEM, "out of memory");
		if (text != NULL && !quoted && text[0] != '\0' && text[0] != ' ') {
			errno = 0;
			d = strtod(text, &end);
		}
		if (end == NULL || *end != '\0' || errno != 0 || d != d || d - d != 0) {
			snprintf(problem, sizeof(problem), "[%zu]: expected a number, got %s%s%s%s",
				 n, text != NULL ? "'" : "", text != NULL ? text : node_kind(item),
				 text != NULL ? "'" : "", quoted ? " (quoted)" : "");
			free(text);
			return fail_at(ctx, fy_node_is_scalar(item) ? item : key_node, k->key,
				       problem);
		}
		free(text);
		v->list[n++] = d;
	}
	v->list_len = n;
	if (ac_config_check_list(v->list, n, problem, sizeof(problem)) != 0)
		return fail_at(ctx, key_node, k->key, problem);
	return APPCORE_OK;
}

static int load_key(struct file_ctx *ctx, int index, struct fy_node *key_node,
		    struct fy_node *value)
{
	const struct ac_config_key *k = &ac_config_keys[index];
	struct ac_config_value *v = &ctx->stage.values[index];
	char problem[256];
	int quoted = 0;
	char *text;
	int rc;

	ac_config_value_clear(v);
	ctx->stage.set[index] = 1;
	v->source = APPCORE_CONFIG_FILE;
	if (k->type == AC_CFG_LIST)
		return load_list(ctx, index, key_node, value);
	if (is_null_scalar(value))
		return fail_at(ctx, key_node, k->key, "missing value");
	rc = scalar_copy(&text, value, &quoted);
	if (rc == -2)
		return ac_error_set(ctx->err, APPCORE_ENOMEM, "out of memory");
	if (rc != 0) {
		snprintf(problem, sizeof(problem), "expected %s, got %s",
			 k->type == AC_CFG_INT    ? "an integer"
			 : k->type == AC_CFG_BOOL ? "true or false"
						  : "a string",
			 node_kind(value));
		return fail_at(ctx, key_node, k->key, problem);
	}
	/* "8000" in quotes is a string in YAML: accepting it would hide a typo */
	if (quoted && (k->type == AC_CFG_INT || k->type == AC_CFG_BOOL)) {
		snprintf(problem, sizeof(problem), "expected %s, got the string \"%s\"",
			 k->type == AC_CFG_INT ? "an integer" : "true or false", text);
		free(text);
		return fail_at(ctx, value, k->key, problem);
	}
	rc = ac_config_parse(k, text, v, APPCORE_CONFIG_FILE, problem, sizeof(problem));
	free(text);
	if (rc == -2)
		return ac_error_set(ctx->err, APPCORE_ENOMEM, "out of memory");
	if (rc != 0)
		return fail_at(ctx, value, k->key, problem);
	/* paths in a file are relative to the file, not to wherever it is run from */
	if (k->type == AC_CFG_PATH && v->text[0] != '\0' && v->text[0] != '/' && ctx->dir_len > 0) {
		size_t len = strlen(v->text);
		char *joined = malloc(ctx->dir_len + len + 1);
		if (joined == NULL)
			return ac_error_set(ctx->err, APPCORE_ENOMEM, "out of memory");
		memcpy(joined, ctx->dir, ctx->dir_len);
		memcpy(joined + ctx->dir_len, v->text, len + 1);
		free(v->text);
		v->text = joined;
	}
	return APPCORE_OK;
}

static int key_name(struct fy_node *key, const char **name, size_t *len)
{
	if (key == NULL || !fy_node_is_scalar(key))
		return -1;
	*name = fy_node_get_scalar(key, len);
	return *name != NULL ? 0 : -1;
}

static int unknown(struct file_ctx *ctx, struct fy_node *key, const char *what, const char *hint)
{
	char problem[256];

	if (hint != NULL)
		snprintf(problem, sizeof(problem), "unknown key (did you mean %s?)", hint);
	else
		snprintf(problem, sizeof(problem), "unknown key");
	return fail_at(ctx, key, what, problem);
}

static int load_section(struct file_ctx *ctx, const char *section, size_t section_len,
			struct fy_node *section_key, struct fy_node *mapping)
{
	char what[256];
	void *iter = NULL;
	struct fy_node_pair *pair;

	snprintf(what, sizeof(what), "%.*s", (int)section_len, section);
	if (is_null_scalar(mapping))
		return APPCORE_OK; /* "model:" with nothing under it sets nothing */
	if (!fy_node_is_mapping(mapping)) {
		char problem[128];
		snprintf(problem, sizeof(problem), "expected a mapping of keys, got %s",
			 node_kind(mapping));
		return fail_at(ctx, section_key, what, problem);
	}
	while ((pair = fy_node_mapping_iterate(mapping, &iter)) != NULL) {
		struct fy_node *key = fy_node_pair_key(pair);
		const char *name;
		size_t len;
		int index, rc;

		if (key_name(key, &name, &len) != 0)
			return fail_at(ctx, key, what, "keys must be plain names");
		index = ac_config_find_in(section, section_len, name, len);
		if (index < 0) {
			snprintf(what, sizeof(what), "%.*s.%.*s", (int)section_len, section,
				 (int)len, name);
			return unknown(ctx, key, what, ac_config_suggest_key(what));
		}
		rc = load_key(ctx, index, key, fy_node_pair_value(pair));
		if (rc != APPCORE_OK)
			return rc;
	}
	return APPCORE_OK;
}

static int load_root(struct file_ctx *ctx, struct fy_node *root)
{
	void *iter = NULL;
	struct fy_node_pair *pair;

	if (root == NULL || is_null_scalar(root))
		return APPCORE_OK; /* an empty file changes nothing */
	if (!fy_node_is_mapping(root))
		return ac_error_set_at(ctx->err, APPCORE_ECONFIG, 1, 1,
				       "%s:1:1: expected a mapping of sections "
				       "(server, model, logging, metrics), got %s",
				       ctx->path, node_kind(root));
	while ((pair = fy_node_mapping_iterate(root, &iter)) != NULL) {
		struct fy_node *key = fy_node_pair_key(pair);
		const char *name;
		size_t len;
		char what[128];
		int rc;

		if (key_name(key, &name, &len) != 0)
			return fail_at(ctx, key, "(root)", "keys must be plain names");
		if (!ac_config_is_section(name, len)) {
			snprintf(what, sizeof(what), "%.*s", (int)len, name);
			return unknown(ctx, key, what, ac_config_suggest_section(what));
		}
		rc = load_section(ctx, name, len, key, fy_node_pair_value(pair));
		if (rc != APPCORE_OK)
			return rc;
	}
	return APPCORE_OK;
}

static int syntax_error(struct file_ctx *ctx, struct fy_diag *diag)
{
	void *iter = NULL;
	struct fy_diag_error *e = diag != NULL ? fy_diag_errors_iterate(diag, &iter) : NULL;

	if (e == NULL)
		return ac_error_set(ctx->err, APPCORE_ECONFIG, "%s: not a valid YAML document",
				    ctx->path);
	return ac_error_set_at(ctx->err, APPCORE_ECONFIG, e->line, e->column, "%s:%d:%d: %s",
			       ctx->path, e->line, e->column, e->msg);
}

/* Read the whole file (at most AC_CONFIG_MAX_BYTES) into a malloc'd buffer. */
static int read_file(const char *path, char **out, size_t *out_len, appcore_error *err)
{
	FILE *file = fopen(path, "rb");
	char *text;
	size_t len;

	if (file == NULL)
		return ac_error_set(err, APPCORE_EIO, "%s: cannot open: %s", path, strerror(errno));
	text = malloc(AC_CONFIG_MAX_BYTES + 1);
	if (text == NULL) {
		fclose(file);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	len = fread(text, 1, AC_CONFIG_MAX_BYTES + 1, file);
	if (ferror(file)) {
		int saved = errno;
		fclose(file);
		free(text);
		return ac_error_set(err, APPCORE_EIO, "%s: cannot read: %s", path, strerror(saved));
	}
	fclose(file);
	if (len > AC_CONFIG_MAX_BYTES) {
		free(text);
		return ac_error_set(err, APPCORE_ECONFIG, "%s: larger than %zu bytes", path,
				    AC_CONFIG_MAX_BYTES);
	}
	*out = text;
	*out_len = len;
	return APPCORE_OK;
}

/* YAML is Unicode text. Check it here: libfyaml 0.7.12 loops forever on an
 * invalid UTF-8 sequence in a directive line ("%a \xce0"), so bytes that are
 * not UTF-8 must never reach it. */
static int check_utf8(const char *path, const char *text, size_t len, appcore_error *err)
{
	const unsigned char *s = (const unsigned char *)text;
	int line = 1, column = 1;

	for (size_t i = 0; i < len;) {
		size_t seq = ac_utf8_sequence_length(s + i, len - i);
		if (seq == 0)
			return ac_error_set_at(err, APPCORE_ECONFIG, line, column,
					       "%s:%d:%d: invalid UTF-8 (byte 0x%02X)", path, line,
					       column, (unsigned)s[i]);
		if (s[i] == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
		i += seq;
	}
	return APPCORE_OK;
}

int appcore_config_load_file(appcore_config *config, const char *path, appcore_error *err)
{
	struct fy_diag_cfg diag_cfg;
	struct fy_parse_cfg parse_cfg;
	struct fy_document *doc;
	struct fy_parser *parser;
	struct fy_diag *diag;
	struct file_ctx ctx;
	const char *slash;
	char *text = NULL;
	size_t text_len = 0;
	int rc;

	if (config == NULL || path == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_config_load_file: NULL argument");
	/* read it ourselves: libfyaml reports a missing file as a parse diagnostic,
	 * and the text must be checked before libfyaml sees it */
	rc = read_file(path, &text, &text_len, err);
	if (rc != APPCORE_OK)
		return rc;
	rc = check_utf8(path, text, text_len, err);
	if (rc != APPCORE_OK) {
		free(text);
		return rc;
	}

	memset(&ctx, 0, sizeof(ctx));
	ctx.path = path;
	ctx.err = err;
	slash = strrchr(path, '/');
	ctx.dir = path;
	ctx.dir_len = slash != NULL ? (size_t)(slash - path) + 1 : 0;
	ac_config_stage_init(&ctx.stage);

	fy_diag_cfg_default(&diag_cfg);
	diag_cfg.fp = NULL;
	diag = fy_diag_create(&diag_cfg);
	if (diag == NULL) {
		free(text);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	fy_diag_set_collect_errors(diag, true);
	memset(&parse_cfg, 0, sizeof(parse_cfg));
	parse_cfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG;
	parse_cfg.diag = diag;
	/* A parser we destroy ourselves: fy_document_build_from_file leaks its
	 * partial document on syntax errors in 0.7.12. */
	parser = fy_parser_create(&parse_cfg);
	if (parser == NULL || fy_parser_set_string(parser, text, text_len) != 0) {
		fy_parser_destroy(parser);
		fy_diag_destroy(diag);
		free(text);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	doc = fy_parse_load_document(parser);
	if (doc == NULL) {
		void *iter = NULL;
		/* an empty file (or only comments) is no document, and no error */
		rc = fy_diag_errors_iterate(diag, &iter) == NULL ? APPCORE_OK
								 : syntax_error(&ctx, diag);
	} else {
		rc = load_root(&ctx, fy_document_root(doc));
		fy_parse_document_destroy(parser, doc);
		/* a second document ("---") would be ignored: refuse it instead */
		if (rc == APPCORE_OK) {
			struct fy_document *extra = fy_parse_load_document(parser);
			void *iter = NULL;
			if (extra != NULL) {
				fy_parse_document_destroy(parser, extra);
				rc = ac_error_set(err, APPCORE_ECONFIG,
						  "%s: only one YAML document is allowed", path);
			} else if (fy_diag_errors_iterate(diag, &iter) != NULL) {
				rc = syntax_error(&ctx, diag);
			}
		}
	}
	fy_parser_destroy(parser);
	free(text); /* after the parser: its tokens point into the text */
	/* not fy_diag_unref: in 0.7.12 only destroy frees the collected errors */
	fy_diag_destroy(diag);
	if (rc != APPCORE_OK) {
		ac_config_stage_discard(&ctx.stage);
		return rc;
	}
	ac_config_stage_commit(config, &ctx.stage);
	return APPCORE_OK;
}
