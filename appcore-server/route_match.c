#include <string.h>

#include "route_match.h"

/* Length of the segment starting at s (up to '/' or the end). */
static size_t segment_length(const char *s)
{
	return strcspn(s, "/");
}

/* Match one pattern segment against one path segment. */
static int match_segment(const char *pattern, size_t pattern_len, const char *path,
			 size_t path_len, struct route_params *params)
{
	const char *close;
	size_t name_len, suffix_len, value_len;

	if (pattern_len == 0 || pattern[0] != '{')
		return pattern_len == path_len && memcmp(pattern, path, path_len) == 0;
	close = memchr(pattern, '}', pattern_len);
	if (close == NULL || params->count == ROUTE_MAX_PARAMS)
		return 0;
	name_len = (size_t)(close - pattern) - 1;
	suffix_len = pattern_len - name_len - 2;
	if (path_len <= suffix_len ||
	    memcmp(path + path_len - suffix_len, close + 1, suffix_len) != 0)
		return 0;
	value_len = path_len - suffix_len;
	if (value_len > ROUTE_PARAM_MAX)
		return 0;
	params->names[params->count] = pattern + 1;
	params->name_lengths[params->count] = name_len;
	memcpy(params->values[params->count], path, value_len);
	params->values[params->count][value_len] = '\0';
	params->count++;
	return 1;
}

int route_match(const char *pattern, const char *path, struct route_params *params)
{
	params->count = 0;
	if (pattern[0] != '/' || path[0] != '/')
		return 0;
	for (;;) {
		size_t p, q;

		pattern++;
		path++;
		p = segment_length(pattern);
		q = segment_length(path);
		if (!match_segment(pattern, p, path, q, params))
			return 0;
		pattern += p;
		path += q;
		if (*pattern == '\0' || *path == '\0')
			return *pattern == *path;
	}
}

const char *route_param(const struct route_params *params, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < params->count; i++)
		if (params->name_lengths[i] == len && memcmp(params->names[i], name, len) == 0)
			return params->values[i];
	return NULL;
}
