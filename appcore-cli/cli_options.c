#include <stdarg.h>
#include <stdio.h>

#include "cli_options.h"
#include "commands.h"

int cli_usage_error(const char *command, const char *format, ...)
{
	va_list ap;

	fprintf(stderr, "appcore-cli %s: ", command);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'appcore-cli %s --help'.\n", command);
	return CLI_EXIT_USAGE;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	       const char *command)
{
	int opt;

	opterr = 0; /* our messages, not getopt's */
	opt = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (opt == ':') {
		cli_usage_error(command, "option '%s' needs a value", argv[optind - 1]);
		return CLI_OPT_ERROR;
	}
	if (opt == '?') {
		cli_usage_error(command, "unknown option '%s'", argv[optind - 1]);
		return CLI_OPT_ERROR;
	}
	return opt;
}

int cli_operands(int argc, char **argv, int max, const char *command)
{
	if (argc - optind > max)
		return cli_usage_error(command, "unexpected argument '%s'", argv[optind + max]);
	return 0;
}
