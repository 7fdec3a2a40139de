#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "model_arg.h"

int cli_load_model(appcore_model **out, appcore_predict_options *options, const char *command,
		   const char *model_path, const char *config_path)
{
	appcore_config *config = NULL;
	appcore_error err = { 0 };
	int rc = CLI_EXIT_OK;

	*out = NULL;
	if (appcore_config_load(&config, config_path, &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-cli %s: %s\n", command, err.message);
		return CLI_EXIT_BAD_INPUT;
	}
	if (appcore_config_load_model(out, config, model_path, &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-cli %s: %s\n", command, err.message);
		rc = err.code == APPCORE_ENOMEM ? CLI_EXIT_FAILURE : CLI_EXIT_BAD_MODEL;
	} else if (options != NULL) {
		appcore_config_predict_options(options, config);
	}
	appcore_config_free(config);
	return rc;
}
