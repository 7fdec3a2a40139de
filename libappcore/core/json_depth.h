/* A nesting-depth check for JSON text, run before Jansson sees it. */
#ifndef APPCORE_JSON_DEPTH_H
#define APPCORE_JSON_DEPTH_H

#include <stddef.h>

/* Jansson's parser (and json_decref, json_dumps) recurse once per level, up to
 * 2048 levels: too deep for the small thread stacks of an embedding server
 * (CivetWeb's workers among them). Returns 0 if no array or object in text
 * nests deeper than max_depth; otherwise -1 with the 1-based line and column
 * of the bracket that went too deep. Brackets inside strings do not count. */
int ac_json_check_depth(const char *text, size_t len, int max_depth, int *line, int *column);

/* Whether a failed Jansson load ran out of memory: its out-of-memory code, or an error it
 * never filled in (Jansson 2.14 returns NULL without one when the lexer's first buffer
 * cannot be allocated). */
struct json_error_t;
int ac_json_out_of_memory(const struct json_error_t *error);

#endif
