/* Print the metrics sample, with the process collector, for outside checkers: the official
 * Python parser (metrics_parse_check.py) and promtool (tests/meson.build). */
#include <stdio.h>

#include "metrics_sample.h"

int main(void)
{
	appcore_metrics *metrics = metrics_sample_registry();
	appcore_error err;
	char *text = NULL;
	size_t len = 0;

	if (metrics == NULL)
		return 1;
	if (appcore_metrics_add_process_collector(metrics, &err) != APPCORE_OK ||
	    appcore_metrics_render(&text, &len, metrics, &err) != APPCORE_OK) {
		fprintf(stderr, "metrics sample: %s\n", err.message);
		appcore_metrics_free(metrics);
		return 1;
	}
	fwrite(text, 1, len, stdout);
	appcore_free(text);
	appcore_metrics_free(metrics);
	return fflush(stdout) == 0 ? 0 : 1;
}
