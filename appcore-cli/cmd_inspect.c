#include <stdio.h>
#include <string.h>

#include <appcore.h>

#include "commands.h"
#include "model_arg.h"

int cmd_inspect(int argc, char **argv)
{
	appcore_model *model = NULL;
	appcore_error err = { 0 };
	char *text = NULL;
	int rc;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("Usage: appcore-cli inspect MODEL\n"
		       "Print the model's metadata (the same JSON as GET /model) on stdout.\n");
		return CLI_EXIT_OK;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "Usage: appcore-cli inspect MODEL\n");
		return CLI_EXIT_USAGE;
	}
	if ((rc = cli_load_model(&model, NULL, "inspect", argv[1], NULL)) != CLI_EXIT_OK)
		return rc;
	if (appcore_model_info_json(&text, NULL, model, &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-cli inspect: %s\n", err.message);
		appcore_model_unref(model);
		return CLI_EXIT_FAILURE;
	}
	printf("%s\n", text);
	appcore_free(text);
	appcore_model_unref(model);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
