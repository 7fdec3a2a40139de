/* Loading the model a subcommand works on, configured exactly as appcore-server configures it,
 * so the CLI's answers are the server's answers. */
#ifndef APPCORE_CLI_MODEL_ARG_H
#define APPCORE_CLI_MODEL_ARG_H

#include <appcore.h>

/* A configuration key set from a command-line flag. */
struct cli_flag {
	const char *key;
	const char *value;
};

struct cli_model {
	appcore_model *model;
	appcore_predict_options options; /* the configuration's (model.max_batch_rows) */
	size_t predict_threads;          /* model.predict_threads: 0 = every online core */
};

/* The configuration as the server builds it: built-in defaults < config_path (or, when NULL,
 * $APPCORE_CONFIG) < APPCORE_<SECTION>_<KEY> environment < flags (ended by a NULL key; may be
 * NULL). Prints the problem as "appcore-cli CMD: ..." and returns 1 (bad file or environment)
 * or 2 (bad flag) on failure. */
int cli_load_config(appcore_config **config, const char *command, const char *config_path,
		    const struct cli_flag *flags);

/* Configuration as the server builds it: built-in defaults < config_path (or, when NULL,
 * $APPCORE_CONFIG) < APPCORE_<SECTION>_<KEY> environment < flags (ended by a NULL key; may be
 * NULL); then model_path, when not NULL, over model.path
 * (appcore_config_load_model). Prints the problem as "appcore-cli CMD: ..." on stderr and
 * returns the exit code on failure: 1 for a bad configuration, 4 for a bad model. */
int cli_load_model(struct cli_model *out, const char *command, const char *model_path,
		   const char *config_path, const struct cli_flag *flags);

void cli_model_release(struct cli_model *loaded);

#endif
