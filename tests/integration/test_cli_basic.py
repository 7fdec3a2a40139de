"""appcore-cli command-line behaviour: help, version, usage errors."""
import os
import subprocess
import unittest

import serverctl

CLI = os.environ["APPCORE_CLI"]
VERSION = open(os.environ["APPCORE_VERSION_FILE"]).read().strip()


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=30)


class CliBasics(unittest.TestCase):
    def test_help(self):
        for flag in ("--help", "-h", "help"):
            result = run(flag)
            self.assertEqual(result.returncode, 0, flag)
            self.assertIn("Usage: appcore-cli", result.stdout)
            self.assertIn("version", result.stdout)
            self.assertEqual(result.stderr, "")

    def test_version_subcommand_and_flag_agree(self):
        result = run("version")
        self.assertEqual(result.returncode, 0)
        self.assertTrue(result.stdout.startswith(f"appcore {VERSION} (revision "), result.stdout)
        self.assertEqual(run("--version").stdout, result.stdout)

    def test_unknown_subcommand_is_usage_error(self):
        result = run("frobnicate")
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")
        self.assertTrue(result.stderr.startswith("appcore-cli: unknown command 'frobnicate'\n"))
        self.assertIn("Usage: appcore-cli", result.stderr)

    def test_no_arguments_is_usage_error(self):
        result = run()
        self.assertEqual(result.returncode, 2)
        self.assertIn("Usage: appcore-cli", result.stderr)

    def test_version_rejects_extra_arguments(self):
        result = run("version", "extra")
        self.assertEqual(result.returncode, 2)
        self.assertIn("unexpected argument 'extra'", result.stderr)


class ConsistentUsageAndExitCodes(unittest.TestCase):
    """Every command parses options alike and exits alike for the same failure."""
    COMMANDS = ("predict", "inspect", "config", "health", "version")

    def test_unknown_option_is_the_same_usage_error_everywhere(self):
        for command in self.COMMANDS:
            result = run(command, "--frobnicate")
            self.assertEqual(result.returncode, 2, command)
            self.assertEqual(result.stdout, "", command)
            self.assertEqual(result.stderr,
                             f"appcore-cli {command}: unknown option '--frobnicate'\n"
                             f"Try 'appcore-cli {command} --help'.\n")

    def test_missing_value_is_the_same_usage_error_everywhere(self):
        for command, option in (("predict", "--model"), ("inspect", "--config"),
                                ("config", "--format"), ("health", "--timeout-ms")):
            result = run(command, option)
            self.assertEqual(result.returncode, 2, command)
            self.assertEqual(result.stderr,
                             f"appcore-cli {command}: option '{option}' needs a value\n"
                             f"Try 'appcore-cli {command} --help'.\n")

    def test_help_everywhere(self):
        for command in self.COMMANDS:
            result = run(command, "--help")
            self.assertEqual((result.returncode, result.stderr), (0, ""), command)
            self.assertTrue(result.stdout.startswith(f"Usage: appcore-cli {command}"), command)

    def test_a_bad_configuration_is_exit_1_in_every_command(self):
        model = os.path.join(os.environ["APPCORE_SOURCE_DIR"], "examples", "models", "iris.json")
        cases = (("predict", "--config", "/nonexistent.yaml", "--model", model),
                 ("inspect", "--config", "/nonexistent.yaml", model),
                 ("config", "--config", "/nonexistent.yaml"))
        for args in cases:
            result = run(*args)
            self.assertEqual(result.returncode, 1, args)
            self.assertIn("/nonexistent.yaml", result.stderr, args)
        # the environment too
        env = dict(os.environ, APPCORE_SERVER_PROT="1")
        for args in (("predict", "--model", model), ("inspect", model), ("config",)):
            result = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=30,
                                    env=env, input="")
            self.assertEqual(result.returncode, 1, args)
            self.assertIn("APPCORE_SERVER_PROT: unknown configuration variable (did you mean "
                          "APPCORE_SERVER_PORT?)", result.stderr)

    def test_a_bad_model_is_exit_4_and_bad_input_exit_3(self):
        result = run("inspect", "/nonexistent/model.json")
        self.assertEqual(result.returncode, 4)
        model = os.path.join(os.environ["APPCORE_SOURCE_DIR"], "examples", "models", "iris.json")
        result = subprocess.run([CLI, "predict", "--model", model], input="{", capture_output=True,
                                text=True, timeout=30)
        self.assertEqual(result.returncode, 3)
        result = run("predict", "--model", model, "/nonexistent/input.csv")
        self.assertEqual(result.returncode, 3)
        self.assertIn("/nonexistent/input.csv: No such file or directory", result.stderr)


if __name__ == "__main__":
    serverctl.main()
