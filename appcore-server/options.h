/* Command-line options of appcore-server. Values that are configuration keys
 * are kept as text and applied to the configuration with source "flag", so
 * they are validated by the same rules as the file and the environment. */
#ifndef APPCORE_SERVER_OPTIONS_H
#define APPCORE_SERVER_OPTIONS_H

struct flag_setting {
	const char *key;   /* configuration key, e.g. "server.port" */
	const char *value; /* from argv, NULL when the flag was not given */
};

enum { FLAG_HOST, FLAG_PORT, FLAG_THREADS, FLAG_MODEL, FLAG_MODEL_REPOSITORY, FLAG_COUNT };

struct server_options {
	const char *config_path;  /* --config, NULL: APPCORE_CONFIG or built-in defaults */
	struct flag_setting flags[FLAG_COUNT];
	int any_port;             /* --port 0: let the kernel pick a free port */
	const char *print_config; /* "yaml" or "json" with --print-config, else NULL */
};

enum options_result {
	OPTIONS_RUN,        /* start the server */
	OPTIONS_EXIT_OK,    /* --help or --version was printed */
	OPTIONS_EXIT_USAGE, /* a usage error was printed on stderr */
};

enum options_result server_options_parse(struct server_options *out, int argc, char **argv);

#endif
