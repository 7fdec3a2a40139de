/* NaN tokens in JSON text, which Jansson rejects: see json_nan.h. */
#include <string.h>
#include <stdlib.h>

#include "core/json_nan.h"

char *ac_json_rewrite_nan(const char *data, size_t len, size_t *out_len, bool *failed)
{
	bool in_string = false, found = false;
	char *out;
	size_t o = 0;

	*failed = false;
	for (size_t i = 0; i < len; i++) {
		if (in_string) {
			if (data[i] == '\\')
				i++;
			else if (data[i] == '"')
				in_string = false;
		} else if (data[i] == '"') {
			in_string = true;
		} else if (data[i] == 'N' && len - i >= 3 && memcmp(data + i, "NaN", 3) == 0) {
			found = true;
			break;
		}
	}
	if (!found)
		return NULL;
	if ((out = malloc(len / 3 * 4 + 4)) == NULL) {
		*failed = true;
		return NULL;
	}
	in_string = false;
	for (size_t i = 0; i < len; i++) {
		char c = data[i];

		if (in_string) {
			out[o++] = c;
			if (c == '\\' && i + 1 < len)
				out[o++] = data[++i];
			else if (c == '"')
				in_string = false;
		} else if (c == 'N' && len - i >= 3 && memcmp(data + i, "NaN", 3) == 0) {
			if (o > 0 && out[o - 1] == '-')
				o--;
			memcpy(out + o, "null", 4);
			o += 4;
			i += 2;
		} else {
			in_string = c == '"';
			out[o++] = c;
		}
	}
	*out_len = o;
	return out;
}
