#include <stdio.h>

#include <appcore.h>

#include "cli_options.h"
#include "commands.h"
#include "model_arg.h"

static void print_usage(FILE *to)
{
	fprintf(to,
		"Usage: appcore-cli inspect [--config PATH] MODEL\n"
		"Print the model's metadata (the same JSON as GET /model) on stdout.\n"
		"\n"
		"  -c, --config PATH   configuration (model.name, model.version, ...), as predict\n"
		"  -h, --help          show this help\n");
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL;
	struct cli_model loaded;
	appcore_error err;
	char *text = NULL;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, ":c:h", options, "inspect")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'h':
			print_usage(stdout);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error("inspect", "a MODEL file is needed");
	if ((rc = cli_operands(argc, argv, 1, "inspect")) != 0)
		return rc;
	if ((rc = cli_load_model(&loaded, "inspect", argv[optind], config_path, NULL)) !=
	    CLI_EXIT_OK)
		return rc;
	if (appcore_model_info_json(&text, NULL, loaded.model, APPCORE_MODEL_INFO_FULL, &err) !=
	    APPCORE_OK) {
		fprintf(stderr, "appcore-cli inspect: %s\n", err.message);
		cli_model_release(&loaded);
		return CLI_EXIT_FAILURE;
	}
	printf("%s\n", text);
	appcore_free(text);
	cli_model_release(&loaded);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
