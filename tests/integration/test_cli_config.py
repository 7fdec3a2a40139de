"""appcore-cli config: the effective configuration from defaults, file and
environment, with sources; --check exit codes and error messages."""
import json
import os
import subprocess
import unittest

import serverctl

CLI = os.environ["APPCORE_CLI"]
SOURCE = os.environ["APPCORE_SOURCE_DIR"]
FIXTURES = os.path.join(SOURCE, "tests", "fixtures", "config")


def run(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("APPCORE_SERVER_", "APPCORE_MODEL_", "APPCORE_LOGGING_",
                                "APPCORE_METRICS_")) and k != "APPCORE_CONFIG"}
    env.update(env_extra or {})
    return subprocess.run([CLI, "config", *args], capture_output=True, text=True, env=env,
                          timeout=30)


def fixture(name):
    return os.path.join(FIXTURES, name)


class CliConfig(unittest.TestCase):
    def test_defaults_as_json(self):
        result = run("--format", "json")
        self.assertEqual(result.returncode, 0, result.stderr)
        doc = json.loads(result.stdout)
        self.assertEqual(doc["server"]["port"], {"value": 8000, "source": "default"})
        self.assertEqual(doc["model"]["path"]["value"], "examples/models/iris.json")
        self.assertEqual(doc["server"]["api_keys_file"], {"value": "", "source": "default"})
        self.assertEqual(doc["metrics"]["require_api_key"], {"value": False, "source": "default"})
        self.assertEqual(doc["metrics"]["latency_buckets_seconds"]["value"][:3],
                         [0.0001, 0.00025, 0.0005])

    def test_file_then_env_with_sources(self):
        path = fixture("override.yaml")
        result = run("--config", path, "--format", "json",
                     env_extra={"APPCORE_SERVER_THREADS": "12"})
        self.assertEqual(result.returncode, 0, result.stderr)
        doc = json.loads(result.stdout)
        self.assertEqual(doc["server"]["port"], {"value": 9100, "source": "file"})
        self.assertEqual(doc["server"]["threads"], {"value": 12, "source": "env"})
        self.assertEqual(doc["server"]["host"], {"value": "127.0.0.1", "source": "default"})
        self.assertEqual(doc["model"]["path"],
                         {"value": os.path.join(FIXTURES, "models/custom.json"), "source": "file"})
        self.assertEqual(doc["logging"]["format"], {"value": "text", "source": "file"})

    def test_appcore_config_names_the_file_and_yaml_is_default(self):
        result = run(env_extra={"APPCORE_CONFIG": fixture("override.yaml")})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("\n  port: 9100", result.stdout)
        self.assertRegex(result.stdout, r"\n  port: 9100 +# file\n")
        self.assertRegex(result.stdout, r"\n  host: \"127.0.0.1\" +# default\n")
        self.assertTrue(result.stdout.startswith("# appcore effective configuration"))

    def test_repository_config_is_valid(self):
        result = run("--config", os.path.join(SOURCE, "configs", "config.yaml"), "--check")
        self.assertEqual((result.returncode, result.stdout, result.stderr),
                         (0, "configuration is valid\n", ""))

    def test_check_reports_errors_with_position(self):
        cases = [
            ("unknown_key.yaml", ":3:3: server.prot: unknown key (did you mean server.port?)"),
            ("bad_range.yaml", ":2:12: server.threads: must be between 1 and 4096, got 0"),
            ("syntax_error.yaml", ":3:1: flow sequence without a closing bracket"),
        ]
        for name, message in cases:
            path = fixture(name)
            result = run("--config", path, "--check")
            self.assertEqual(result.returncode, 1, name)
            self.assertEqual(result.stdout, "")
            self.assertEqual(result.stderr, f"appcore-cli config: {path}{message}\n")
            # printing fails the same way
            self.assertEqual(run("--config", path).returncode, 1)

    def test_bad_environment_names_the_variable(self):
        result = run("--check", env_extra={"APPCORE_SERVER_PORT": "80a"})
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr,
                         "appcore-cli config: APPCORE_SERVER_PORT: expected an integer, got '80a'\n")
        result = run("--check", env_extra={"APPCORE_LOGGING_LEVL": "debug"})
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr, "appcore-cli config: APPCORE_LOGGING_LEVL: unknown "
                         "configuration variable (did you mean APPCORE_LOGGING_LEVEL?)\n")

    def test_missing_file(self):
        result = run("--config", "/nonexistent/appcore.yaml", "--check")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr, "appcore-cli config: /nonexistent/appcore.yaml: "
                         "cannot open: No such file or directory\n")

    def test_usage_errors(self):
        for args, message in ((["--format", "toml"], "--format: expected yaml or json, got 'toml'"),
                              (["--config"], "option '--config' needs a value"),
                              (["extra"], "unexpected argument 'extra'")):
            result = run(*args)
            self.assertEqual(result.returncode, 2, args)
            self.assertTrue(result.stderr.startswith(f"appcore-cli config: {message}\n"),
                            result.stderr)
        result = run("--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("Usage: appcore-cli config", result.stdout)


if __name__ == "__main__":
    serverctl.main()
