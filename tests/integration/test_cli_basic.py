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


if __name__ == "__main__":
    serverctl.main()
