#include <stdio.h>
#include <string.h>

#include <appcore.h>

#include "commands.h"

static void print_usage(FILE *to)
{
	fprintf(to, "Usage: appcore-cli config [--config PATH] [--format yaml|json] [--check]\n"
		    "Print the effective configuration (defaults < file < environment) with the\n"
		    "source of each value. The file is PATH, else $APPCORE_CONFIG, else none.\n"
		    "\n"
		    "  --config PATH   configuration file (YAML)\n"
		    "  --format FMT    yaml (default) or json\n"
		    "  --check         only validate: exit 0 if valid, 1 if not\n");
}

int cmd_config(int argc, char **argv)
{
	const char *path = NULL;
	appcore_config_format format = APPCORE_CONFIG_YAML;
	int check = 0;
	appcore_config *config = NULL;
	appcore_error err = { 0 };
	char *text = NULL;
	size_t len = 0;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			print_usage(stdout);
			return CLI_EXIT_OK;
		} else if (strcmp(arg, "--check") == 0) {
			check = 1;
		} else if (strcmp(arg, "--config") == 0 || strcmp(arg, "--format") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "appcore-cli config: option '%s' needs a value\n",
					arg);
				return CLI_EXIT_USAGE;
			}
			const char *value = argv[++i];
			if (arg[2] == 'c') {
				path = value;
			} else if (strcmp(value, "yaml") == 0) {
				format = APPCORE_CONFIG_YAML;
			} else if (strcmp(value, "json") == 0) {
				format = APPCORE_CONFIG_JSON;
			} else {
				fprintf(stderr,
					"appcore-cli config: --format: expected yaml or json, got "
					"'%s'\n",
					value);
				return CLI_EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "appcore-cli config: unexpected argument '%s'\n", arg);
			fprintf(stderr, "Try 'appcore-cli config --help'.\n");
			return CLI_EXIT_USAGE;
		}
	}
	if (appcore_config_load(&config, path, &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-cli config: %s\n", err.message);
		return CLI_EXIT_FAILURE;
	}
	if (check) {
		appcore_config_free(config);
		printf("configuration is valid\n");
		return CLI_EXIT_OK;
	}
	if (appcore_config_render(&text, &len, config, format, &err) != APPCORE_OK) {
		appcore_config_free(config);
		fprintf(stderr, "appcore-cli config: %s\n", err.message);
		return CLI_EXIT_FAILURE;
	}
	fwrite(text, 1, len, stdout);
	appcore_free(text);
	appcore_config_free(config);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
