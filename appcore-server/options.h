/* Command-line options of appcore-server. */
#ifndef APPCORE_SERVER_OPTIONS_H
#define APPCORE_SERVER_OPTIONS_H

struct server_options {
	char host[256];
	int port;    /* 0 asks the kernel for a free port (tests use this) */
	int threads; /* connections served at once (one CivetWeb worker each) */
};

enum options_result {
	OPTIONS_RUN,        /* start the server */
	OPTIONS_EXIT_OK,    /* --help or --version was printed */
	OPTIONS_EXIT_USAGE, /* a usage error was printed on stderr */
};

enum options_result server_options_parse(struct server_options *out, int argc, char **argv);

#endif
