/* Matching request paths against route patterns in OpenAPI's path-template syntax:
 * "/v2/models/{name}/versions/{version}/infer", "/v1/models/{name}:predict". A template
 * expression matches one non-empty path segment (or its part before a literal suffix such as
 * ":predict"); everything else matches literally. */
#ifndef APPCORE_SERVER_ROUTE_MATCH_H
#define APPCORE_SERVER_ROUTE_MATCH_H

#include <stddef.h>

#define ROUTE_MAX_PARAMS 4
/* Longest parameter value; a longer segment does not match (model names are at most 128
 * bytes, versions 18 digits). */
#define ROUTE_PARAM_MAX 255

struct route_params {
	size_t count;
	const char *names[ROUTE_MAX_PARAMS]; /* into the pattern, not NUL-terminated */
	size_t name_lengths[ROUTE_MAX_PARAMS];
	char values[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX + 1];
};

/* 1 when path matches pattern (params then hold the values), else 0. */
int route_match(const char *pattern, const char *path, struct route_params *params);

/* The value of parameter name, or NULL. */
const char *route_param(const struct route_params *params, const char *name);

#endif
