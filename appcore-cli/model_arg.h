/* Loading the model a subcommand works on, with the CLI's messages and exit codes. */
#ifndef APPCORE_CLI_MODEL_ARG_H
#define APPCORE_CLI_MODEL_ARG_H

#include <appcore.h>

/* Load path (or, when NULL, $APPCORE_MODEL_PATH). Prints the problem as "appcore-cli CMD: ..."
 * on stderr and returns the exit code (usage or bad model) on failure, CLI_EXIT_OK otherwise. */
int cli_load_model(appcore_model **out, const char *command, const char *path);

#endif
