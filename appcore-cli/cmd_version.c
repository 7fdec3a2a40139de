#include <stdio.h>
#include <string.h>

#include <appcore.h>

#include "commands.h"

int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("Usage: appcore-cli version\nPrint the library version and git revision.\n");
		return CLI_EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "appcore-cli version: unexpected argument '%s'\n", argv[1]);
		return CLI_EXIT_USAGE;
	}
	printf("appcore %s (revision %s, api %s)\n", appcore_version(), appcore_build_revision(),
	       APPCORE_API_VERSION);
	return CLI_EXIT_OK;
}
