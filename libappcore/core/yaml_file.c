#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "core/utf8.h"
#include "core/yaml_file.h"

void ac_yaml_position(struct fy_node *node, int *line, int *column)
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

const char *ac_yaml_kind(struct fy_node *node)
{
	if (node == NULL)
		return "nothing";
	if (fy_node_is_mapping(node))
		return "a mapping";
	if (fy_node_is_sequence(node))
		return "a list";
	return "a scalar";
}

static int syntax_error(const char *path, struct fy_diag *diag, appcore_error *err)
{
	void *iter = NULL;
	struct fy_diag_error *e = diag != NULL ? fy_diag_errors_iterate(diag, &iter) : NULL;

	if (e == NULL)
		return ac_error_set(err, APPCORE_ECONFIG, "%s: not a valid YAML document", path);
	return ac_error_set_at(err, APPCORE_ECONFIG, e->line, e->column, "%s:%d:%d: %s", path,
			       e->line, e->column, e->msg);
}

/* Read the whole file (at most max_bytes) into a malloc'd buffer. */
static int read_file(const char *path, size_t max_bytes, char **out, size_t *out_len,
		     appcore_error *err)
{
	FILE *file = fopen(path, "rb");
	char *text;
	size_t len;

	if (file == NULL)
		return ac_error_set(err, APPCORE_EIO, "%s: cannot open: %s", path, strerror(errno));
	text = malloc(max_bytes + 1);
	if (text == NULL) {
		fclose(file);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	len = fread(text, 1, max_bytes + 1, file);
	if (ferror(file)) {
		int saved = errno;
		fclose(file);
		free(text);
		return ac_error_set(err, APPCORE_EIO, "%s: cannot read: %s", path, strerror(saved));
	}
	fclose(file);
	if (len > max_bytes) {
		free(text);
		return ac_error_set(err, APPCORE_ECONFIG, "%s: larger than %zu bytes", path,
				    max_bytes);
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

int ac_yaml_load_file(const char *path, size_t max_bytes, ac_yaml_visit visit, void *ctx,
		      appcore_error *err)
{
	struct fy_diag_cfg diag_cfg;
	struct fy_parse_cfg parse_cfg;
	struct fy_document *doc;
	struct fy_parser *parser;
	struct fy_diag *diag;
	char *text = NULL;
	size_t text_len = 0;
	int rc;

	/* read it ourselves: libfyaml reports a missing file as a parse diagnostic,
	 * and the text must be checked before libfyaml sees it */
	rc = read_file(path, max_bytes, &text, &text_len, err);
	if (rc != APPCORE_OK)
		return rc;
	rc = check_utf8(path, text, text_len, err);
	if (rc != APPCORE_OK) {
		free(text);
		return rc;
	}
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
		rc = fy_diag_errors_iterate(diag, &iter) == NULL ? visit(ctx, NULL)
								 : syntax_error(path, diag, err);
	} else {
		rc = visit(ctx, fy_document_root(doc));
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
				rc = syntax_error(path, diag, err);
			}
		}
	}
	fy_parser_destroy(parser);
	free(text); /* after the parser: its tokens point into the text */
	/* not fy_diag_unref: in 0.7.12 only destroy frees the collected errors */
	fy_diag_destroy(diag);
	return rc;
}
