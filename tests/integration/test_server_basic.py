"""Walking-skeleton checks against the real appcore-server binary."""
import os
import re
import signal
import subprocess
import sys
import unittest

import serverctl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverctl import ServerProcess  # noqa: E402

SERVER = os.environ["APPCORE_SERVER"]
VERSION = open(os.environ["APPCORE_VERSION_FILE"]).read().strip()
CONFIG = os.path.join(os.environ["APPCORE_SOURCE_DIR"], "configs", "config.yaml")


class ServerBasics(unittest.TestCase):
    def setUp(self):
        self.server = ServerProcess(SERVER, ["--config", CONFIG]).start()

    def tearDown(self):
        self.server.kill()

    def test_health(self):
        status, headers, body = self.server.request("GET", "/health")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(body, b'{"status":"ok"}')

    def test_version(self):
        status, headers, doc = self.server.json("GET", "/version")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(doc["version"], VERSION)
        self.assertEqual(doc["api"], "v1")
        self.assertTrue(doc["revision"] == "unknown" or re.fullmatch(r"[0-9a-f]{7,40}", doc["revision"]),
                        doc["revision"])

    def test_unknown_path_is_json_404(self):
        status, headers, doc = self.server.json("GET", "/nope")
        self.assertEqual(status, 404)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(doc, {"error": {"code": "not_found", "message": "no such endpoint: /nope"}})

    def test_subpath_of_known_route_is_404(self):
        status, _, doc = self.server.json("GET", "/health/extra")
        self.assertEqual(status, 404)
        self.assertEqual(doc["error"]["code"], "not_found")

    def test_wrong_method_is_405_with_allow(self):
        status, headers, doc = self.server.json("DELETE", "/health")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, HEAD")
        self.assertEqual(doc["error"]["code"], "method_not_allowed")

    def test_head_has_headers_and_no_body(self):
        status, headers, body = self.server.request("HEAD", "/health")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-length"], "15")
        self.assertEqual(body, b"")

    def test_sigterm_exits_zero(self):
        self.assertEqual(self.server.request("GET", "/health")[0], 200)
        self.assertEqual(self.server.stop(signal.SIGTERM), 0)
        self.assertIn('"msg":"stopped"', "".join(self.server.lines))

    def test_sigint_exits_zero(self):
        self.assertEqual(self.server.stop(signal.SIGINT), 0)


class ServerCommandLine(unittest.TestCase):
    def run_server(self, *args):
        return subprocess.run([SERVER, *args], capture_output=True, text=True, timeout=10)

    def test_help(self):
        result = self.run_server("--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("Usage: appcore-server", result.stdout)
        self.assertIn("--port", result.stdout)

    def test_version_flag(self):
        result = self.run_server("--version")
        self.assertEqual(result.returncode, 0)
        self.assertTrue(result.stdout.startswith(f"appcore-server {VERSION} "), result.stdout)

    def test_bad_port_is_usage_error(self):
        result = self.run_server("--port", "70000")
        self.assertEqual(result.returncode, 2)
        self.assertIn("appcore-server: server.port: must be between 0 and 65535, got 70000\n", result.stderr)

    def test_unknown_option_is_usage_error(self):
        result = self.run_server("--bogus")
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown option '--bogus'", result.stderr)

    def test_port_in_use_fails_with_exit_1(self):
        with ServerProcess(SERVER, ["--config", CONFIG]) as first:
            result = self.run_server("--config", CONFIG, "--host", "127.0.0.1", "--port", str(first.port))
            self.assertEqual(result.returncode, 1)
            self.assertIn('"msg":"cannot listen"', result.stderr)


if __name__ == "__main__":
    serverctl.main()
