/* One way every subcommand parses its options (getopt_long), so usage errors read alike and
 * exit alike: "appcore-cli CMD: unknown option '--x'" and "Try 'appcore-cli CMD --help'." on
 * stderr, exit code 2. */
#ifndef APPCORE_CLI_OPTIONS_H
#define APPCORE_CLI_OPTIONS_H

#include <getopt.h>

/* Returned by cli_getopt() after it has printed a usage error. */
#define CLI_OPT_ERROR (-2)

/* getopt_long over argv (argv[0] is the subcommand name); -1 at the end of the options,
 * CLI_OPT_ERROR for an unknown option or a missing value. shortopts must start with ':'. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	       const char *command);

/* Print "appcore-cli CMD: <message>" and the --help hint on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *command, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* At most `max` operands after the options (argv[optind..]); otherwise a usage error naming the
 * first extra one (CLI_EXIT_USAGE), else 0. */
int cli_operands(int argc, char **argv, int max, const char *command);

#endif
