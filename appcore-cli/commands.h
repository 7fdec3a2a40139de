/* Subcommands of appcore-cli. Each returns the process exit code. */
#ifndef APPCORE_CLI_COMMANDS_H
#define APPCORE_CLI_COMMANDS_H

/* Exit codes shared by every subcommand (documented in --help). */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_BAD_INPUT = 3,
	CLI_EXIT_BAD_MODEL = 4,
};

struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
};

int cmd_config(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_health(int argc, char **argv);
int cmd_worker(int argc, char **argv);

#endif
