/* Fuzz the YAML configuration loader: any file gives a valid configuration or
 * an error with a message, never a crash or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <appcore.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	appcore_config *config = NULL;
	appcore_error err;
	FILE *file;

	if (path[0] == '\0') {
		int fd;
		snprintf(path, sizeof(path), "/tmp/appcore-fuzz-config-XXXXXX");
		fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
	}
	file = fopen(path, "wb");
	if (file == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, file) != size)
		abort();
	fclose(file);

	if (appcore_config_new(&config, &err) != APPCORE_OK)
		abort();
	if (appcore_config_load_file(config, path, &err) == APPCORE_OK) {
		char *text = NULL;
		if (appcore_config_render(&text, NULL, config, APPCORE_CONFIG_YAML, &err) == APPCORE_OK)
			appcore_free(text);
		if (appcore_config_render(&text, NULL, config, APPCORE_CONFIG_JSON, &err) == APPCORE_OK)
			appcore_free(text);
	} else if (err.message[0] == '\0') {
		abort();
	}
	appcore_config_free(config);
	return 0;
}
