"""deploy/nginx/* as shipped, run by the real nginx in front of the real appcore-server on loopback.

Every error nginx itself produces must be JSON in appcore's shape; appcore's own errors must pass
through untouched; slow clients (slowloris headers, trickled bodies) must never reach appcore; the
per-address request and connection limits answer 429. The configuration is started through
deploy/nginx/entrypoint.sh exactly as the containers start it; the only change is the listen line
(a free loopback port instead of :8080).

Exits 77 (skipped) when nginx is not installed (Debian package `nginx`).
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import serverctl  # noqa: E402
from serverctl import RawConnection, ServerProcess, http_request_bytes  # noqa: E402

SOURCE = os.environ["APPCORE_SOURCE_DIR"]
SERVER = os.environ["APPCORE_SERVER"]
CONFIG = os.path.join(SOURCE, "configs", "config.yaml")
NGINX_DIR = os.path.join(SOURCE, "deploy", "nginx")
ENTRYPOINT = os.path.join(NGINX_DIR, "entrypoint.sh")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
BODY = b'{"instances": [[5.1, 3.5, 1.4, 0.2]]}'
JSON = {"Content-Type": "application/json"}
ERROR_RE = re.compile(rb'^\{"error":\{"code":"([a-z_]+)","message":"[^"]+"\}\}\n?$')

# Status nginx answers -> the code in its JSON body (deploy/nginx/errors.conf). 494 is sent as 431.
NGINX_ERRORS = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                408: "request_timeout", 411: "length_required", 413: "payload_too_large",
                414: "uri_too_long", 429: "too_many_requests", 431: "request_header_too_large",
                500: "internal_error", 501: "not_implemented", 502: "bad_gateway",
                503: "service_unavailable", 504: "gateway_timeout",
                505: "http_version_not_supported"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """deploy/nginx started by its entrypoint on a free loopback port, upstream `upstream`."""

    def __init__(self, upstream, **env):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="appcore-nginx-test-")
        os.chmod(self.dir, 0o755)  # workers run as nobody when the test runs as root
        self.conf = os.path.join(self.dir, "conf")
        os.mkdir(self.conf)
        for name in ("nginx.conf", "appcore.conf", "errors.conf"):  # entrypoint.sh: not copied
            with open(os.path.join(NGINX_DIR, name)) as f:
                text = f.read()
            if name == "appcore.conf":
                text, n = re.subn(r"(?m)^\tlisten 8080 default_server;$",
                                  f"\tlisten 127.0.0.1:{self.port} default_server;", text)
                assert n == 1, "appcore.conf: the listen line changed; update this test"
            with open(os.path.join(self.conf, name), "w") as f:
                f.write(text)
        self.env = dict(os.environ, APPCORE_NGINX_CONF_DIR=self.conf,
                        APPCORE_NGINX_RUN_DIR=os.path.join(self.dir, "run"),
                        APPCORE_NGINX_UPSTREAM=upstream, **env)
        self.log = open(os.path.join(self.dir, "access.log"), "w+")
        self.err = open(os.path.join(self.dir, "error.log"), "w+")
        self.proc = None

    def check(self):
        """entrypoint.sh -t: render and `nginx -t` the configuration."""
        return subprocess.run(["sh", ENTRYPOINT, "-t"], env=self.env, capture_output=True,
                              text=True, timeout=30)

    def start(self):
        self.proc = serverctl.track(subprocess.Popen(["sh", ENTRYPOINT], env=self.env,
                                                     stdout=self.log, stderr=self.err))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited: " + self.errors())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not listen: " + self.errors())

    def errors(self):
        self.err.seek(0)
        return self.err.read()

    def access_log(self):
        self.log.seek(0)
        return [json.loads(line) for line in self.log.read().splitlines() if line.startswith("{")]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.err.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def raw(self, data, timeout=30):
        """Send raw bytes on a fresh connection; (status, headers, body) of the answer."""
        conn = RawConnection(self.port, timeout=timeout)
        try:
            conn.send(data)
            return conn.read_response()
        finally:
            conn.close()


class BlackHole:
    """A listener that accepts connections and never answers: an upstream that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self):
        self.sock.close()
        for c in self.held:
            c.close()


def server_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("APPCORE_")}


def in_flight(server):
    text = server.request("GET", "/metrics")[2].decode()
    match = re.search(r"(?m)^appcore_http_requests_in_flight (\S+)$", text)
    return float(match.group(1))


def predict_requests_seen(server):
    text = server.request("GET", "/metrics")[2].decode()
    return sum(float(v) for v in re.findall(
        r'(?m)^appcore_http_requests_total\{method="POST",route="/predict",status="\d+"\} (\S+)$', text))


class NginxInFront(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ServerProcess(SERVER, ["--config", CONFIG], env=server_env()).start()
        cls.nginx = Nginx(f"127.0.0.1:{cls.server.port}").start()

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()
        cls.server.stop()

    def assert_json_error(self, status, headers, body, expected_status, expected_code):
        self.assertEqual(status, expected_status, body)
        self.assertEqual(headers.get("content-type"), "application/json", headers)
        match = ERROR_RE.match(body)
        self.assertIsNotNone(match, body)
        self.assertEqual(match.group(1).decode(), expected_code)
        # the same shape appcore uses, and valid JSON
        self.assertEqual(set(json.loads(body)["error"]), {"code", "message"})

    def test_config_test_passes(self):
        result = self.nginx.check()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("syntax is ok", result.stderr)
        self.assertIn("test is successful", result.stderr)

    def test_errors_conf_covers_the_documented_statuses(self):
        with open(os.path.join(NGINX_DIR, "errors.conf")) as f:
            text = f.read()
        pages = dict((int(a), int(b)) for a, b in re.findall(
            r"(?m)^error_page (\d+) =(\d+) /_appcore_errors/\1;$", text))
        self.assertEqual(pages, {s: s for s in NGINX_ERRORS if s != 431} | {494: 431})
        returns = dict((int(s), c) for s, c in re.findall(
            r"""return (\d+) '\{"error":\{"code":"([a-z_]+)",""", text))
        self.assertEqual(returns, NGINX_ERRORS)

    def test_predict_through_nginx_equals_direct(self):
        direct = self.server.request("POST", "/predict", BODY, JSON)
        proxied = self.nginx.request("POST", "/predict", BODY, dict(JSON, **{"X-Request-ID": "ng-1"}))
        self.assertEqual(proxied[0], 200)
        self.assertEqual(proxied[2], direct[2])
        self.assertEqual(proxied[1].get("x-request-id"), "ng-1")
        # nginx writes its access-log line after the answer: wait for it
        entry = serverctl.poll_until(
            lambda: [e for e in self.nginx.access_log() if e["request_id"] == "ng-1"], 10,
            "nginx's access-log line for ng-1")
        self.assertEqual(len(entry), 1)
        self.assertEqual(entry[0]["upstream_addr"], f"127.0.0.1:{self.server.port}")
        self.assertEqual(entry[0]["status"], 200)

    def test_appcore_errors_pass_through_unchanged(self):
        for method, path, body, headers in [
                ("GET", "/nope", None, {}),
                ("POST", "/predict", b'{"instances": [[1, 2]]}', JSON),
                ("POST", "/predict", BODY, {"Content-Type": "text/plain"}),
                ("DELETE", "/predict", None, {})]:
            direct = self.server.request(method, path, body, headers)
            proxied = self.nginx.request(method, path, body, headers)
            self.assertEqual(proxied[0], direct[0], path)
            self.assertEqual(proxied[2], direct[2], path)
            self.assertEqual(proxied[1].get("allow"), direct[1].get("allow"))

    def test_metrics_not_public(self):
        for path in ("/metrics", "/metrics/", "/metrics/x"):
            self.assert_json_error(*self.nginx.request("GET", path), 404, "not_found")

    def test_400_malformed_request(self):
        self.assert_json_error(*self.nginx.raw(b"GARBAGE\r\n\r\n"), 400, "bad_request")
        self.assert_json_error(*self.nginx.raw(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
                               400, "bad_request")

    def test_405_trace(self):
        self.assert_json_error(*self.nginx.raw(http_request_bytes("TRACE", "/")), 405,
                               "method_not_allowed")

    def test_413_body_over_one_mib(self):
        before = predict_requests_seen(self.server)
        body = b"[" + b"1," * 600000 + b"1]"
        self.assert_json_error(*self.nginx.request("POST", "/predict", body, JSON), 413,
                               "payload_too_large")
        self.assertEqual(predict_requests_seen(self.server), before)

    def test_414_request_line_too_long(self):
        self.assert_json_error(*self.nginx.raw(http_request_bytes("GET", "/" + "a" * 9000)), 414,
                               "uri_too_long")

    def test_431_header_too_large(self):
        status, headers, body = self.nginx.raw(http_request_bytes(
            "GET", "/health", headers={"X-Big": "b" * 9000}))
        self.assert_json_error(status, headers, body, 431, "request_header_too_large")

    def test_501_unknown_transfer_encoding(self):
        self.assert_json_error(*self.nginx.raw(http_request_bytes(
            "POST", "/predict", b"", {"Transfer-Encoding": "gzip", "Content-Type": "application/json"})),
            501, "not_implemented")

    def test_505_http_version(self):
        self.assert_json_error(*self.nginx.raw(b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n"), 505,
                               "http_version_not_supported")

    def test_error_answers_carry_the_request_id(self):
        status, headers, _ = self.nginx.request("GET", "/metrics", headers={"X-Request-ID": "ng-404"})
        self.assertEqual(status, 404)
        self.assertEqual(headers.get("x-request-id"), "ng-404")

    def test_slow_clients_never_reach_appcore(self):
        """Slowloris: headers that never finish and a body trickled byte by byte are held by
        nginx alone; appcore sees no connection until a request is complete, and nginx cuts the
        slow ones off after client_header_timeout (10 s in all) / client_body_timeout (10 s idle)."""
        before = predict_requests_seen(self.server)
        slow_headers = []
        for _ in range(50):
            c = RawConnection(self.nginx.port, timeout=30)
            c.send(b"POST /predict HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            slow_headers.append(c)
        slow_body = RawConnection(self.nginx.port, timeout=30)
        slow_body.send(http_request_bytes("POST", "/predict", BODY, JSON)[:-len(BODY)] + BODY[:5])
        started = time.monotonic()
        # while they hang, normal clients are served and appcore has nothing in flight for them
        for _ in range(5):
            status, _, _ = self.nginx.request("POST", "/predict", BODY, JSON)
            self.assertEqual(status, 200)
        self.assertEqual(in_flight(self.server), 1.0)  # just this /metrics request
        # the trickled body: one byte every 2 s keeps client_body_timeout (idle) from firing,
        # and still appcore sees nothing
        for i in range(5, 8):
            slow_body.send(BODY[i:i + 1])
            time.sleep(2)
            self.assertEqual(in_flight(self.server), 1.0)
        self.assertEqual(predict_requests_seen(self.server), before + 5)
        # then it stops sending: after 10 s of silence nginx drops the connection (a reset,
        # reset_timedout_connection) without an answer -- nginx never writes a 408 on a client
        # timeout, it only logs one
        self.assertTrue(slow_body.wait_closed())
        slow_body.close()
        serverctl.poll_until(
            lambda: (408, "/predict") in [(e["status"], e["uri"]) for e in self.nginx.access_log()],
            10, "nginx to log the 408")
        # the unfinished headers are dropped within the header deadline
        for c in slow_headers:
            self.assertTrue(c.wait_closed())
            c.close()
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, 25)
        self.assertEqual(predict_requests_seen(self.server), before + 5)


class NginxUpstreamFailures(unittest.TestCase):
    def assert_json_error(self, status, headers, body, expected_status, expected_code):
        NginxInFront.assert_json_error(self, status, headers, body, expected_status, expected_code)

    def test_502_no_upstream_listening(self):
        nginx = Nginx(f"127.0.0.1:{free_port()}").start()
        try:
            self.assert_json_error(*nginx.request("POST", "/predict", BODY, JSON), 502, "bad_gateway")
            self.assert_json_error(*nginx.request("GET", "/health"), 502, "bad_gateway")
        finally:
            nginx.stop()

    def test_502_unresolvable_upstream(self):
        nginx = Nginx("no-such-host.invalid:8000").start()
        try:
            self.assert_json_error(*nginx.request("GET", "/health"), 502, "bad_gateway")
        finally:
            nginx.stop()

    def test_504_upstream_hangs(self):
        hole = BlackHole()
        nginx = Nginx(f"127.0.0.1:{hole.port}").start()
        try:
            started = time.monotonic()
            self.assert_json_error(*nginx.request("POST", "/predict", BODY, JSON), 504,
                                   "gateway_timeout")
            self.assertGreaterEqual(time.monotonic() - started, 14)  # proxy_read_timeout 15s
        finally:
            nginx.stop()
            hole.close()

    def test_429_rate_and_connection_limits(self):
        server = ServerProcess(SERVER, ["--config", CONFIG], env=server_env()).start()
        hole = BlackHole()
        rate = Nginx(f"127.0.0.1:{server.port}", APPCORE_NGINX_RATE_PER_IP="1",
                     APPCORE_NGINX_BURST_PER_IP="3").start()
        conns = Nginx(f"127.0.0.1:{hole.port}", APPCORE_NGINX_CONN_PER_IP="1").start()
        try:
            statuses = []
            for _ in range(10):
                status, headers, body = rate.request("POST", "/predict", BODY, JSON)
                statuses.append(status)
                if status == 429:
                    self.assert_json_error(status, headers, body, 429, "too_many_requests")
                    self.assertEqual(headers.get("retry-after"), "1")
            # burst 3 + the first: 4 answered at once (within a second), the rest refused
            self.assertEqual(statuses[:4], [200] * 4)
            self.assertGreaterEqual(statuses.count(429), 5)
            # one request in progress (held by the hanging upstream) from this address: the next
            # one is refused while it lasts
            held = RawConnection(conns.port, timeout=30)
            held.send(http_request_bytes("GET", "/health"))
            deadline = time.monotonic() + 10
            while not hole.held and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertTrue(hole.held, "the first request never reached the upstream")
            self.assert_json_error(*conns.request("GET", "/health"), 429, "too_many_requests")
            held.close()
        finally:
            rate.stop()
            conns.stop()
            hole.close()
            server.stop()

    def test_bad_settings_are_refused_by_the_entrypoint(self):
        for env, message in [({"APPCORE_NGINX_RATE_PER_IP": "0"}, "APPCORE_NGINX_RATE_PER_IP"),
                             ({"APPCORE_NGINX_CONN_PER_IP": "x"}, "APPCORE_NGINX_CONN_PER_IP"),
                             ({"APPCORE_NGINX_UPSTREAM": "api"}, "host:port")]:
            nginx = Nginx("127.0.0.1:1")
            try:
                nginx.env.update(env)
                result = nginx.check()
                self.assertEqual(result.returncode, 1)
                self.assertIn(message, result.stderr)
                self.assertNotIn("nginx:", result.stderr)
            finally:
                nginx.stop()


if __name__ == "__main__":
    if NGINX is None:
        print("SKIP: nginx is not installed (Debian package nginx)")
        sys.exit(77)
    os.environ["PATH"] = os.path.dirname(NGINX) + os.pathsep + os.environ.get("PATH", "")
    serverctl.main()
