/* Fuzz metric label escaping and rendering: label values made of any bytes must
 * render as one well-formed sample line whose unescaped value is the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <appcore.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Undo the exposition format's escaping (\\, \", \n) of a label value that
 * starts at text; returns the unescaped length, or -1 if malformed. */
static long unescape(const char *text, char *out, size_t out_size, const char **end)
{
	size_t used = 0;

	while (*text != '"') {
		char c = *text++;
		if (c == '\0' || c == '\n')
			return -1;
		if (c == '\\') {
			c = *text++;
			if (c == 'n')
				c = '\n';
			else if (c != '\\' && c != '"')
				return -1;
		}
		if (used + 1 >= out_size)
			return -1;
		out[used++] = c;
	}
	out[used] = '\0';
	*end = text + 1;
	return (long)used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const label_names[] = { "value" };
	appcore_metrics *metrics = NULL;
	appcore_metrics_family *counter = NULL;
	appcore_metrics_series *series = NULL;
	appcore_error err;
	char *value;
	char *text = NULL;
	size_t text_len = 0;
	const char *line;

	if (size > 4096)
		return 0;
	value = malloc(size + 1);
	if (value == NULL)
		return 0;
	memcpy(value, data, size);
	value[size] = '\0'; /* label values are C strings: stop at the first NUL */

	if (appcore_metrics_new(&metrics, &err) != APPCORE_OK ||
	    appcore_metrics_add_counter(&counter, metrics, "fuzz_total",
					"Help with \\ and\nnewline.", label_names, 1,
					&err) != APPCORE_OK)
		abort();
	if (appcore_metrics_get_series(&series, counter, (const char *const *)&value, &err) ==
	    APPCORE_OK) {
		char unescaped[4096 * 2];
		const char *after;

		appcore_metrics_counter_inc(series);
		if (appcore_metrics_render(&text, &text_len, metrics, &err) != APPCORE_OK)
			abort();
		if (strlen(text) != text_len)
			abort();
		line = strstr(text, "\nfuzz_total{value=\"");
		if (line == NULL)
			abort();
		line += strlen("\nfuzz_total{value=\"");
		if (unescape(line, unescaped, sizeof(unescaped), &after) < 0 ||
		    strcmp(unescaped, value) != 0 || strncmp(after, "} 1\n", 4) != 0)
			abort();
		appcore_free(text);
	} else if (err.message[0] == '\0') {
		abort();
	}
	appcore_metrics_free(metrics);
	free(value);
	return 0;
}
