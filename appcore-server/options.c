#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <appcore.h>

#include "options.h"

static void print_usage(FILE *to)
{
	fprintf(to,
		"Usage: appcore-server [OPTION]...\n"
		"Serve an XGBoost model over HTTP (REST API %s).\n"
		"\n"
		"  -H, --host ADDR      address to listen on (default 127.0.0.1)\n"
		"  -p, --port PORT      TCP port, 0 for any free port (default 8000)\n"
		"  -t, --threads N      connections served at once (default 64)\n"
		"  -h, --help           show this help and exit\n"
		"  -V, --version        show the version and exit\n"
		"\n"
		"Endpoints: GET /health, GET /version.\n"
		"SIGTERM or SIGINT stops the server gracefully (exit code 0).\n",
		APPCORE_API_VERSION);
}

static int parse_int(const char *text, long min, long max, int *out)
{
	char *end = NULL;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
		return -1;
	*out = (int)value;
	return 0;
}

enum options_result server_options_parse(struct server_options *out, int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(out, 0, sizeof(*out));
	snprintf(out->host, sizeof(out->host), "%s", "127.0.0.1");
	out->port = 8000;
	out->threads = 64;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":H:p:t:hV", long_options, NULL)) != -1) {
		switch (opt) {
		case 'H':
			if (strlen(optarg) == 0 || strlen(optarg) >= sizeof(out->host)) {
				fprintf(stderr, "appcore-server: --host: invalid address '%s'\n", optarg);
				return OPTIONS_EXIT_USAGE;
			}
			snprintf(out->host, sizeof(out->host), "%s", optarg);
			break;
		case 'p':
			if (parse_int(optarg, 0, 65535, &out->port) != 0) {
				fprintf(stderr, "appcore-server: --port: expected 0..65535, got '%s'\n", optarg);
				return OPTIONS_EXIT_USAGE;
			}
			break;
		case 't':
			if (parse_int(optarg, 1, 4096, &out->threads) != 0) {
				fprintf(stderr, "appcore-server: --threads: expected 1..4096, got '%s'\n",
					optarg);
				return OPTIONS_EXIT_USAGE;
			}
			break;
		case 'h':
			print_usage(stdout);
			return OPTIONS_EXIT_OK;
		case 'V':
			printf("appcore-server %s (revision %s)\n", appcore_version(),
			       appcore_build_revision());
			return OPTIONS_EXIT_OK;
		case ':':
			fprintf(stderr, "appcore-server: option '%s' needs a value\n", argv[optind - 1]);
			fprintf(stderr, "Try 'appcore-server --help'.\n");
			return OPTIONS_EXIT_USAGE;
		default:
			fprintf(stderr, "appcore-server: unknown option '%s'\n", argv[optind - 1]);
			fprintf(stderr, "Try 'appcore-server --help'.\n");
			return OPTIONS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "appcore-server: unexpected argument '%s'\n", argv[optind]);
		fprintf(stderr, "Try 'appcore-server --help'.\n");
		return OPTIONS_EXIT_USAGE;
	}
	return OPTIONS_RUN;
}
