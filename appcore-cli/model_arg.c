#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "model_arg.h"

int cli_apply_identity(appcore_model *model, const appcore_config *config, appcore_error *err)
{
	const char *name = appcore_model_name(model);
	const char *version = appcore_model_version(model);

	if (appcore_config_get_source(config, "model.name") != APPCORE_CONFIG_DEFAULT)
		name = appcore_config_get_string(config, "model.name");
	if (appcore_config_get_source(config, "model.version") != APPCORE_CONFIG_DEFAULT)
		version = appcore_config_get_string(config, "model.version");
	return appcore_model_set_identity(model, name, version, err);
}

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
	if (model_path == NULL)
		model_path = appcore_config_get_string(config, "model.path");
	if (appcore_model_load_file(out, model_path, &err) != APPCORE_OK ||
	    cli_apply_identity(*out, config, &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-cli %s: %s\n", command, err.message);
		rc = err.code == APPCORE_ENOMEM ? CLI_EXIT_FAILURE : CLI_EXIT_BAD_MODEL;
		appcore_model_unref(*out);
		*out = NULL;
	} else if (options != NULL) {
		options->max_batch_rows =
			(size_t)appcore_config_get_int(config, "model.max_batch_rows");
	}
	appcore_config_free(config);
	return rc;
}
