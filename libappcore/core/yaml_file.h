/* Reading one YAML document from a file with libfyaml, for every YAML file the library reads
 * (the configuration, a repository model's config.yaml), so both report problems alike:
 * "path:line:column: message", with line and column set. Private to libappcore. */
#ifndef APPCORE_YAML_FILE_H
#define APPCORE_YAML_FILE_H

#include <stddef.h>

#include <libfyaml.h>

#include "appcore/error.h"

/* The 1-based position of a scalar node's value (its opening quote when quoted); line 1,
 * column 1 for other nodes, which libfyaml keeps no position for. */
void ac_yaml_position(struct fy_node *node, int *line, int *column);

/* "a mapping", "a list", "a scalar" or "nothing", for messages. */
const char *ac_yaml_kind(struct fy_node *node);

/* Called with the document's root, NULL for an empty file (or one of comments only). */
typedef int (*ac_yaml_visit)(void *ctx, struct fy_node *root);

/* Read path (at most max_bytes), check that it is UTF-8, parse exactly one YAML document and
 * hand its root to visit. Returns what visit returns, or APPCORE_EIO (cannot open or read),
 * APPCORE_ECONFIG (larger than max_bytes, not UTF-8, a syntax error, a second document) or
 * APPCORE_ENOMEM, with err filled. */
int ac_yaml_load_file(const char *path, size_t max_bytes, ac_yaml_visit visit, void *ctx,
		      appcore_error *err);

#endif
