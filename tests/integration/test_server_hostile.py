"""Hostile clients against the real appcore-server: each case has an exact
expected outcome, and the server must keep serving everyone else. The README's
"Security and limits" table lists the same cases."""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import serverctl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverctl import RawConnection, ServerProcess, http_request_bytes  # noqa: E402
from test_server_http import CONFIG, GOOD_BODY, JSON, SERVER, metric_value, server_env  # noqa: E402

TIMEOUT_MS = 1500


def start(**env):
    settings = dict(APPCORE_SERVER_REQUEST_TIMEOUT_MS=str(TIMEOUT_MS),
                    APPCORE_SERVER_KEEP_ALIVE_TIMEOUT_MS="1000",
                    APPCORE_SERVER_MAX_BODY_BYTES="200000")
    settings.update(env)
    server = ServerProcess(SERVER, ["--config", CONFIG], env=server_env(**settings)).start()
    server.wait_for("/ready", time.monotonic() + 20)
    return server


class HostileClients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start()

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()

    def tearDown(self):
        # whatever the case did, the server still answers correctly
        self.assertEqual(self.server.request("POST", "/predict", GOOD_BODY, JSON)[0], 200)

    def predict_error(self, body):
        status, _, data = self.server.request("POST", "/predict", body, JSON)
        return status, json.loads(data)["error"]["code"]

    def test_slowloris_headers_are_cut_off_and_others_served(self):
        conn = RawConnection(self.server.port, timeout=10)
        conn.send(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        cut_off = None
        stop = threading.Event()

        def trickle():
            while not stop.is_set():
                try:
                    conn.send(b"X")
                except OSError:
                    return
                stop.wait(0.25)  # pacing is the behaviour under test

        trickler = threading.Thread(target=trickle)
        trickler.start()
        # served while the slow client holds its connection
        self.assertEqual(self.server.request("GET", "/health")[0], 200)
        try:
            status, headers, body = conn.read_response()
            cut_off = time.monotonic() - started
            self.assertEqual(status, 408)
            self.assertEqual(json.loads(body)["error"]["code"], "request_timeout")
            self.assertEqual(headers["connection"], "close")
        finally:
            stop.set()
            trickler.join()
            conn.close()
        # one overall deadline (CivetWeb's own restarts after a stall); the margin is for a
        # loaded CI machine
        self.assertGreater(cut_off, TIMEOUT_MS / 1000 * 0.8)
        self.assertLess(cut_off, TIMEOUT_MS / 1000 + 3)

    def test_body_that_never_finishes_is_cut_off(self):
        conn = RawConnection(self.server.port, timeout=15)
        conn.send(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n{\"instances\"")
        started = time.monotonic()
        self.assertEqual(self.server.request("GET", "/health")[0], 200)
        status, headers, body = conn.read_response()
        self.assertEqual(status, 408)
        self.assertEqual(json.loads(body)["error"]["code"], "request_timeout")
        self.assertEqual(headers["connection"], "close")
        # once the deadline has passed, not twice it (CivetWeb 1.15 waits 2x on a stall)
        self.assertLess(time.monotonic() - started, TIMEOUT_MS / 1000 + 1.2)
        conn.close()

    def test_body_trickled_a_byte_at_a_time_is_cut_off(self):
        # CivetWeb restarts its body timeout on every byte: without the front's overall
        # deadline this would never end
        conn = RawConnection(self.server.port, timeout=15)
        conn.send(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100000\r\n\r\n")
        started = time.monotonic()
        stop = threading.Event()

        def trickle():
            while not stop.is_set():
                try:
                    conn.send(b" ")
                except OSError:
                    return
                stop.wait(0.1)  # pacing is the behaviour under test

        trickler = threading.Thread(target=trickle)
        trickler.start()
        try:
            status, headers, body = conn.read_response()
        finally:
            stop.set()
            trickler.join()
            conn.close()
        self.assertEqual((status, json.loads(body)["error"]["code"]), (408, "request_timeout"))
        self.assertEqual(headers["connection"], "close")
        self.assertLess(time.monotonic() - started, TIMEOUT_MS / 1000 + 1.2)

    def test_oversized_headers_are_refused(self):
        # CivetWeb 1.15 reports headers beyond its 16 KiB buffer as a malformed
        # request (400, not 413); the answer is still our JSON, then close
        conn = RawConnection(self.server.port)
        conn.send(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        status, headers, body = conn.read_response()
        self.assertEqual(status, 400)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(headers["connection"], "close")
        self.assertEqual(json.loads(body)["error"], {"code": "bad_request", "message": "Malformed message"})
        conn.close()

    def test_deeply_nested_json(self):
        self.assertEqual(self.predict_error(b"[" * 100000), (400, "parse_error"))

    def test_huge_number(self):
        self.assertEqual(self.predict_error(b'{"instances": [[1e999, 1, 1, 1]]}'), (400, "parse_error"))

    def test_duplicate_keys(self):
        self.assertEqual(self.predict_error(b'{"instances": [[1,1,1,1]], "instances": [[2,2,2,2]]}'),
                         (400, "parse_error"))

    def test_invalid_utf8(self):
        self.assertEqual(self.predict_error(b'{"instances": [[1,1,1,1]], "x": "\xff\xfe"}'),
                         (400, "parse_error"))

    def test_nul_bytes(self):
        self.assertEqual(self.predict_error(b'{"instances": [[1,1,1,1]]}\x00'), (400, "parse_error"))
        self.assertEqual(self.predict_error(b'{"instances"\x00: [[1,1,1,1]]}'), (400, "parse_error"))

    def test_pipelined_requests_answered_in_order(self):
        conn = RawConnection(self.server.port)
        conn.send(http_request_bytes("GET", "/health") + http_request_bytes("POST", "/predict", GOOD_BODY, JSON)
                  + http_request_bytes("GET", "/nope", headers={"X-Request-ID": "third"}))
        self.assertEqual(conn.read_response()[0], 200)
        status, _, body = conn.read_response()
        self.assertEqual(status, 200)
        self.assertIn(b"predictions", body)
        status, headers, _ = conn.read_response()
        self.assertEqual((status, headers["x-request-id"]), (404, "third"))
        conn.close()

    def test_client_disconnecting_mid_request(self):
        for _ in range(5):
            conn = RawConnection(self.server.port)
            conn.send(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 500\r\n\r\n{\"inst")
            conn.close()
        # every abandoned request has left the in-flight gauge; only this scrape remains
        serverctl.poll_until(
            lambda: metric_value(self.server.request("GET", "/metrics")[2].decode(),
                                 "appcore_http_requests_in_flight") == 1,
            10, "abandoned requests to leave the in-flight gauge")

    def test_garbage_instead_of_http(self):
        conn = RawConnection(self.server.port)
        conn.send(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")
        status, headers, body = conn.read_response()
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["error"]["code"], "bad_request")
        self.assertTrue(conn.wait_closed())
        conn.close()

    def test_http2_preface_is_refused(self):
        conn = RawConnection(self.server.port)
        conn.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        status, _, _ = conn.read_response()
        self.assertIn(status, (400, 505))
        conn.close()


class ConnectionLimits(unittest.TestCase):
    def test_more_connections_than_threads(self):
        server = start(APPCORE_SERVER_THREADS="4")
        try:
            holders = []
            for _ in range(4):  # every worker held by an idle keep-alive client
                conn = RawConnection(server.port)
                conn.send(http_request_bytes("GET", "/health"))
                self.assertEqual(conn.read_response()[0], 200)
                holders.append(conn)
            extra = []
            for _ in range(6):  # these wait in the queue, then are served
                conn = RawConnection(server.port, timeout=20)
                conn.send(http_request_bytes("POST", "/predict", GOOD_BODY, JSON))
                extra.append(conn)
            started = time.monotonic()
            for conn in extra:
                status, _, body = conn.read_response()
                self.assertEqual(status, 200)
                self.assertIn(b"predictions", body)
                conn.close()
            # served as soon as the front closes the idle keep-alive holders (a client waits
            # for a worker), not when their keep-alive timeout (1 s) expires
            self.assertLess(time.monotonic() - started, 0.9)
            for conn in holders:
                self.assertTrue(conn.wait_closed())
                conn.close()
            self.assertIsNone(server.proc.poll())
        finally:
            server.kill()


class ApiKeys(unittest.TestCase):
    KEY = "s3cr3t-key-value-0123456789"

    def start_with_keys(self, **env):
        self.keys = tempfile.NamedTemporaryFile("w", suffix=".keys", delete=False)
        self.keys.write("# comment\n\n  other-key  \n" + self.KEY + "\n")
        self.keys.close()
        self.addCleanup(os.unlink, self.keys.name)
        return start(APPCORE_SERVER_API_KEYS_FILE=self.keys.name, **env)

    def test_401_403_200(self):
        server = self.start_with_keys()
        try:
            status, headers, body = server.request("POST", "/predict", GOOD_BODY, JSON)
            self.assertEqual(status, 401)
            self.assertEqual(headers["www-authenticate"], 'Bearer realm="appcore"')
            self.assertEqual(json.loads(body)["error"]["code"], "unauthorized")
            status, _, body = server.request("POST", "/predict", GOOD_BODY,
                                             {**JSON, "Authorization": "Bearer wrong"})
            self.assertEqual((status, json.loads(body)["error"]["code"]), (403, "forbidden"))
            status, _, _ = server.request("POST", "/predict", GOOD_BODY,
                                          {**JSON, "Authorization": "Bearer " + self.KEY})
            self.assertEqual(status, 200)
            status, _, _ = server.request("POST", "/predict", GOOD_BODY,
                                          {**JSON, "Authorization": "bearer other-key"})
            self.assertEqual(status, 200)
            self.assertEqual(server.request("GET", "/model")[0], 401)
            self.assertEqual(server.request("GET", "/model", headers={"Authorization": "Bearer " + self.KEY})[0], 200)
            for open_path in ("/health", "/ready", "/version", "/metrics"):
                self.assertEqual(server.request("GET", open_path)[0], 200, open_path)
            self.assertEqual(server.stop(), 0)
            log = "".join(server.lines)
            self.assertNotIn(self.KEY, log)
            self.assertNotIn("other-key", log)
        finally:
            server.kill()

    def test_metrics_can_require_a_key(self):
        server = self.start_with_keys(APPCORE_METRICS_REQUIRE_API_KEY="true")
        try:
            self.assertEqual(server.request("GET", "/metrics")[0], 401)
            self.assertEqual(server.request("GET", "/metrics", headers={"Authorization": "Bearer " + self.KEY})[0], 200)
            self.assertEqual(server.request("GET", "/health")[0], 200)
        finally:
            server.kill()

    def test_missing_keys_file_is_a_startup_error(self):
        result = subprocess.run([SERVER, "--config", CONFIG, "--port", "0"], capture_output=True, text=True,
                                timeout=20, env=server_env(APPCORE_SERVER_API_KEYS_FILE="/nonexistent/keys"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("/nonexistent/keys: cannot open API keys file", result.stderr)


if __name__ == "__main__":
    serverctl.main()
