#include <stdbool.h>

#include <jansson.h>

#include "core/json_depth.h"

int ac_json_check_depth(const char *text, size_t len, int max_depth, int *line, int *column)
{
	int depth = 0;
	bool in_string = false, escaped = false;

	*line = 1;
	*column = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		(*column)++;
		if (c == '\n') {
			(*line)++;
			*column = 0;
		}
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return -1;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return 0;
}

int ac_json_out_of_memory(const struct json_error_t *error)
{
	return json_error_code(error) == json_error_out_of_memory || error->text[0] == '\0';
}
