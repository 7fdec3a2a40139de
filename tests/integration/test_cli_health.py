"""appcore-cli health: the container HEALTHCHECK probe, against the real server and raw sockets."""
import os
import socket
import subprocess
import sys
import threading
import unittest

import serverctl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverctl import ServerProcess  # noqa: E402

CLI = os.environ["APPCORE_CLI"]
SERVER = os.environ["APPCORE_SERVER"]
CONFIG = os.path.join(os.environ["APPCORE_SOURCE_DIR"], "configs", "config.yaml")


def health(*args):
    return subprocess.run([CLI, "health", *args], capture_output=True, text=True, timeout=30)


class HealthAgainstServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ServerProcess(SERVER, ["--config", CONFIG]).start()
        cls.base = f"http://127.0.0.1:{cls.server.port}"

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()

    def test_2xx_exits_0_silently(self):
        result = health(self.base + "/health")
        self.assertEqual((result.returncode, result.stdout, result.stderr), (0, "", ""))

    def test_timeout_flag_and_localhost_name(self):
        result = health("--timeout-ms", "3000", f"http://localhost:{self.server.port}/health")
        self.assertEqual((result.returncode, result.stderr), (0, ""))

    def test_non_2xx_exits_1_with_reason(self):
        url = self.base + "/no-such-route"
        result = health(url)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, "")
        self.assertEqual(result.stderr, f"appcore-cli health: {url}: HTTP status 404\n")

    def test_query_goes_on_the_wire_fragment_does_not(self):
        # the server routes on the path only, so /health?x answers like /health
        result = health(self.base + "/health?probe=1#frag")
        self.assertEqual((result.returncode, result.stderr), (0, ""))


class HealthAgainstSockets(unittest.TestCase):
    def test_refused(self):
        with socket.socket() as bound:  # bound but not listening: connect is refused
            bound.bind(("127.0.0.1", 0))
            url = "http://127.0.0.1:%d/health" % bound.getsockname()[1]
            result = health(url)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr, f"appcore-cli health: {url}: cannot connect: Connection refused\n")

    def test_silent_peer_times_out(self):
        # the kernel completes the handshake from the backlog; nobody ever answers
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            url = "http://127.0.0.1:%d/" % listener.getsockname()[1]
            result = health("--timeout-ms", "200", url)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr, f"appcore-cli health: {url}: no answer: Connection timed out\n")

    def _one_answer(self, payload):
        """Serve payload once on a loopback port; return (url, thread, captured request)."""
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        captured = []

        def serve():
            conn, _ = listener.accept()
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                captured.append(data)
                conn.sendall(payload)
            listener.close()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        return "http://127.0.0.1:%d/ready?x=1#f" % listener.getsockname()[1], thread, captured

    def test_request_shape_and_2xx(self):
        url, thread, captured = self._one_answer(b"HTTP/1.1 204 No Content\r\n\r\n")
        result = health(url)
        thread.join(10)
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        port = url.split(":")[2].split("/")[0]
        self.assertEqual(captured[0], ("GET /ready?x=1 HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n"
                                       "User-Agent: appcore-cli-health\r\nConnection: close\r\n\r\n"
                                       % port).encode())

    def test_503_is_failure(self):
        url, thread, _ = self._one_answer(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
        result = health(url)
        thread.join(10)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr, f"appcore-cli health: {url}: HTTP status 503\n")

    def test_garbage_is_failure(self):
        url, thread, _ = self._one_answer(b"SSH-2.0-OpenSSH_9.2\r\n")
        result = health(url)
        thread.join(10)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr, f"appcore-cli health: {url}: not an HTTP answer\n")

    def test_closed_without_answer(self):
        url, thread, _ = self._one_answer(b"")
        result = health(url)
        thread.join(10)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr, f"appcore-cli health: {url}: no answer: connection closed\n")


class HealthUsage(unittest.TestCase):
    def test_help(self):
        result = health("--help")
        self.assertEqual(result.returncode, 0)
        self.assertTrue(result.stdout.startswith("Usage: appcore-cli health [--timeout-ms N] URL\n"))

    def test_listed_in_main_help(self):
        result = subprocess.run([CLI, "--help"], capture_output=True, text=True, timeout=30)
        self.assertIn("  health     check an HTTP endpoint", result.stdout)

    def test_usage_errors_exit_2(self):
        cases = [
            ((), "appcore-cli health: a URL is needed"),
            (("https://127.0.0.1/",), "appcore-cli health: invalid URL 'https://127.0.0.1/'"),
            (("http://:80/",), "appcore-cli health: invalid URL 'http://:80/'"),
            (("http://h:0/",), "appcore-cli health: invalid URL 'http://h:0/'"),
            (("http://h:65536/",), "appcore-cli health: invalid URL 'http://h:65536/'"),
            (("http://h:+80/",), "appcore-cli health: invalid URL 'http://h:+80/'"),
            (("http://[::1/",), "appcore-cli health: invalid URL 'http://[::1/'"),
            (("http://h/a b",), "appcore-cli health: invalid URL 'http://h/a b'"),
            (("--timeout-ms",), "appcore-cli health: option '--timeout-ms' needs a value"),
            (("--timeout-ms", "0", "http://h/"), "appcore-cli health: --timeout-ms: expected 1..600000, got '0'"),
            (("--timeout-ms", "5s", "http://h/"), "appcore-cli health: --timeout-ms: expected 1..600000, got '5s'"),
            (("--verbose", "http://h/"), "appcore-cli health: unknown option '--verbose'"),
            (("http://h/", "http://i/"), "appcore-cli health: unexpected argument 'http://i/'"),
        ]
        for args, message in cases:
            result = health(*args)
            self.assertEqual(result.returncode, 2, args)
            self.assertEqual(result.stdout, "", args)
            self.assertTrue(result.stderr.startswith(message), (args, result.stderr))
            # every subcommand reports usage errors the same way
            self.assertTrue(result.stderr.endswith("\nTry 'appcore-cli health --help'.\n"),
                            (args, result.stderr))


if __name__ == "__main__":
    serverctl.main()
