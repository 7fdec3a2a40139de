#include <stdio.h>

#include <appcore.h>

#include "cli_options.h"
#include "commands.h"

int cmd_version(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, ":h", options, "version")) != -1) {
		if (opt != 'h')
			return CLI_EXIT_USAGE;
		printf("Usage: appcore-cli version\nPrint the library version and git revision.\n");
		return CLI_EXIT_OK;
	}
	if ((rc = cli_operands(argc, argv, 0, "version")) != 0)
		return rc;
	printf("appcore %s (revision %s, api %s)\n", appcore_version(), appcore_build_revision(),
	       APPCORE_API_VERSION);
	return CLI_EXIT_OK;
}
