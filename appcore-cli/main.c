#include <stdio.h>
#include <string.h>

#include <appcore.h>

#include "commands.h"

static const struct cli_command commands[] = {
	{ "config", "print or check the effective configuration", cmd_config },
	{ "version", "print the version", cmd_version },
	{ "predict", "predict with a model (JSON request, CSV or NDJSON rows)", cmd_predict },
	{ "inspect", "print a model's metadata as JSON", cmd_inspect },
	{ "health", "check an HTTP endpoint (container health checks)", cmd_health },
	{ "worker", "score batch jobs from Redis (POST /v1/jobs)", cmd_worker },
};

static void print_usage(FILE *to)
{
	fprintf(to, "Usage: appcore-cli [--help] [--version] COMMAND [ARGS]...\n"
		    "Offline tools for appcore models.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(to, "\nRun 'appcore-cli COMMAND --help' for a command's options.\n"
		    "Exit codes: 0 success, 1 failure, 2 usage error, 3 bad input, 4 bad model.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		print_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)
		return cmd_version(1, argv + 1);

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);

	fprintf(stderr, "appcore-cli: unknown command '%s'\n\n", argv[1]);
	print_usage(stderr);
	return CLI_EXIT_USAGE;
}
