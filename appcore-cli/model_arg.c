#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "model_arg.h"

int cli_load_config(appcore_config **config, const char *command, const char *config_path,
		    const struct cli_flag *flags)
{
	appcore_error err;

	if (appcore_config_load(config, config_path, &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-cli %s: %s\n", command, err.message);
		return CLI_EXIT_FAILURE;
	}
	for (size_t i = 0; flags != NULL && flags[i].key != NULL; i++)
		if (appcore_config_set(*config, flags[i].key, flags[i].value, APPCORE_CONFIG_FLAG,
				       &err) != APPCORE_OK) {
			fprintf(stderr, "appcore-cli %s: %s\n", command, err.message);
			appcore_config_free(*config);
			*config = NULL;
			return CLI_EXIT_USAGE;
		}
	return CLI_EXIT_OK;
}

int cli_load_model(struct cli_model *out, const char *command, const char *model_path,
		   const char *config_path, const struct cli_flag *flags)
{
	appcore_config *config = NULL;
	appcore_error err;
	long long threads = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = cli_load_config(&config, command, config_path, flags)) != CLI_EXIT_OK)
		return rc;
	if (appcore_predict_options_init(&out->options, APPCORE_PREDICT_OPTIONS_VERSION) !=
		APPCORE_OK ||
	    appcore_config_predict_options(&out->options, config, &err) != APPCORE_OK ||
	    appcore_config_get_int(&threads, config, "model.predict_threads", &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-cli %s: %s\n", command, err.message);
		rc = CLI_EXIT_FAILURE;
	} else if (appcore_config_load_model(&out->model, config, model_path, &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-cli %s: %s\n", command, err.message);
		rc = err.code == APPCORE_ENOMEM ? CLI_EXIT_FAILURE : CLI_EXIT_BAD_MODEL;
	}
	out->predict_threads = (size_t)threads;
	appcore_config_free(config);
	return rc;
}

void cli_model_release(struct cli_model *loaded)
{
	appcore_model_unref(loaded->model);
	loaded->model = NULL;
}
