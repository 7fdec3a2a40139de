#include <stdio.h>
#include <string.h>

#include <appcore.h>

#include "cli_options.h"
#include "commands.h"

static void print_usage(FILE *to)
{
	fprintf(to, "Usage: appcore-cli config [--config PATH] [--format yaml|json] [--check]\n"
		    "Print the effective configuration (defaults < file < environment) with the\n"
		    "source of each value. The file is PATH, else $APPCORE_CONFIG, else none.\n"
		    "\n"
		    "  -c, --config PATH   configuration file (YAML)\n"
		    "  -f, --format FMT    yaml (default) or json\n"
		    "      --check         only validate: exit 0 if valid, 1 if not\n"
		    "  -h, --help          show this help\n");
}

int cmd_config(int argc, char **argv)
{
	enum { OPT_CHECK = 256 };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	appcore_config_format format = APPCORE_CONFIG_YAML;
	int check = 0, opt, rc;
	appcore_config *config = NULL;
	appcore_error err;
	char *text = NULL;
	size_t len = 0;

	while ((opt = cli_getopt(argc, argv, ":c:f:h", options, "config")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "yaml") == 0)
				format = APPCORE_CONFIG_YAML;
			else if (strcmp(optarg, "json") == 0)
				format = APPCORE_CONFIG_JSON;
			else
				return cli_usage_error(
				    "config", "--format: expected yaml or json, got '%s'", optarg);
			break;
		case OPT_CHECK:
			check = 1;
			break;
		case 'h':
			print_usage(stdout);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if ((rc = cli_operands(argc, argv, 0, "config")) != 0)
		return rc;
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
