#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <appcore.h>

#include "options.h"

static void print_usage(FILE *to)
{
	fprintf(to,
		"Usage: appcore-server [OPTION]...\n"
		"Serve XGBoost models over HTTP (REST API %s).\n"
		"\n"
		"  -c, --config PATH      configuration file (default: $APPCORE_CONFIG, else built-in\n"
		"                         defaults; see configs/config.yaml)\n"
		"  -H, --host ADDR        address to listen on (server.host)\n"
		"  -p, --port PORT        TCP port (server.port); 0 picks a free port, reported in\n"
		"                         the \"listening\" log line\n"
		"  -t, --threads N        connections served at once (server.threads)\n"
		"  -m, --model PATH       XGBoost model to serve (model.path)\n"
		"  -r, --model-repository DIR\n"
		"                         serve a repository of models instead:\n"
		"                         DIR/<name>/<version>/model.json (model_repository.path)\n"
		"      --print-config[=yaml|json]\n"
		"                         print the effective configuration with the source of\n"
		"                         each value, and exit\n"
		"  -h, --help             show this help and exit\n"
		"  -V, --version          show the version and exit\n"
		"\n"
		"Precedence: built-in defaults < config file < APPCORE_<SECTION>_<KEY> environment\n"
		"variables < these flags.\n"
		"Endpoints: GET /health, /ready, /version, /model, /metrics, /openapi.json;\n"
		"POST /predict; the Open Inference Protocol under /v2 (with Triton's repository\n"
		"extension) and TensorFlow Serving's REST API under /v1/models. GET /openapi.json\n"
		"describes them all.\n"
		"SIGHUP: reload the models (new versions, changed files, config.yaml).\n"
		"SIGTERM or SIGINT: /ready turns 503, in-flight requests finish, exit code 0.\n"
		"Exit codes: 0 stopped cleanly, 1 configuration, model or listen error, 2 usage error.\n",
		APPCORE_API_VERSION);
}

static enum options_result usage_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

static enum options_result usage_error(const char *format, ...)
{
	va_list ap;

	fprintf(stderr, "appcore-server: ");
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'appcore-server --help'.\n");
	return OPTIONS_EXIT_USAGE;
}

enum options_result server_options_parse(struct server_options *out, int argc, char **argv)
{
	enum { OPT_PRINT_CONFIG = 256 };
	static const struct option long_options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "model", required_argument, NULL, 'm' },
		{ "model-repository", required_argument, NULL, 'r' },
		{ "print-config", optional_argument, NULL, OPT_PRINT_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(out, 0, sizeof(*out));
	out->flags[FLAG_HOST].key = "server.host";
	out->flags[FLAG_PORT].key = "server.port";
	out->flags[FLAG_THREADS].key = "server.threads";
	out->flags[FLAG_MODEL].key = "model.path";
	out->flags[FLAG_MODEL_REPOSITORY].key = "model_repository.path";

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":c:H:p:t:m:r:hV", long_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			out->config_path = optarg;
			break;
		case 'H':
			out->flags[FLAG_HOST].value = optarg;
			break;
		case 'p':
			/* port 0 is not a valid configured port, but a useful flag */
			/* getopt sets optarg for required_argument */
			/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
			if (strcmp(optarg, "0") == 0) {
				out->any_port = 1;
				out->flags[FLAG_PORT].value = NULL;
			} else {
				out->any_port = 0;
				out->flags[FLAG_PORT].value = optarg;
			}
			break;
		case 't':
			out->flags[FLAG_THREADS].value = optarg;
			break;
		case 'm':
			out->flags[FLAG_MODEL].value = optarg;
			break;
		case 'r':
			out->flags[FLAG_MODEL_REPOSITORY].value = optarg;
			break;
		case OPT_PRINT_CONFIG:
			out->print_config = optarg ? optarg : "yaml";
			if (strcmp(out->print_config, "yaml") != 0 && strcmp(out->print_config, "json") != 0)
				return usage_error("--print-config: expected yaml or json, got '%s'",
						   out->print_config);
			break;
		case 'h':
			print_usage(stdout);
			return OPTIONS_EXIT_OK;
		case 'V':
			printf("appcore-server %s (revision %s)\n", appcore_version(),
			       appcore_build_revision());
			return OPTIONS_EXIT_OK;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return OPTIONS_RUN;
}
