#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "model_arg.h"

int cli_load_model(appcore_model **out, const char *command, const char *path)
{
	appcore_error err = { 0 };

	if (path == NULL)
		path = getenv("APPCORE_MODEL_PATH");
	if (path == NULL || path[0] == '\0') {
		fprintf(stderr, "appcore-cli %s: no model: pass --model PATH or set "
				"APPCORE_MODEL_PATH\n", command);
		return CLI_EXIT_USAGE;
	}
	if (appcore_model_load_file(out, path, &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-cli %s: %s\n", command, err.message);
		return err.code == APPCORE_ENOMEM ? CLI_EXIT_FAILURE : CLI_EXIT_BAD_MODEL;
	}
	return CLI_EXIT_OK;
}
