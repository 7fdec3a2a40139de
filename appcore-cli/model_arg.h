/* Loading the model a subcommand works on, configured exactly as appcore-server
 * configures it, so the CLI's answers are the server's answers. */
#ifndef APPCORE_CLI_MODEL_ARG_H
#define APPCORE_CLI_MODEL_ARG_H

#include <appcore.h>

/* Configuration as the server builds it: built-in defaults < config_path (or,
 * when NULL, $APPCORE_CONFIG) < APPCORE_<SECTION>_<KEY> environment; then
 * model_path, when not NULL, over model.path (appcore_config_load_model);
 * options (may be NULL) get model.max_batch_rows.
 * Prints the problem as "appcore-cli CMD: ..." on stderr and returns the exit
 * code (bad input for a bad configuration, bad model) on failure. */
int cli_load_model(appcore_model **out, appcore_predict_options *options, const char *command,
		   const char *model_path, const char *config_path);

#endif
