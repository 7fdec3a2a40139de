"""appcore-server's REST service against the real binary: every endpoint, every
status code, HTTP details, metrics after known traffic, lifecycle."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import serverctl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverctl import RawConnection, ServerProcess, http_request_bytes  # noqa: E402

SERVER = os.environ["APPCORE_SERVER"]
CLI = os.environ["APPCORE_CLI"]
SOURCE = os.environ["APPCORE_SOURCE_DIR"]
VERSION = open(os.environ["APPCORE_VERSION_FILE"]).read().strip()
MODEL = os.path.join(SOURCE, "examples", "models", "iris.json")
CONFIG = os.path.join(SOURCE, "configs", "config.yaml")
GOOD_BODY = b'{"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, null, 4.8, 1.8]]}'
JSON = {"Content-Type": "application/json"}


def server_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPCORE_")}
    env.update(extra)
    return env


def start(*args, **env):
    return ServerProcess(SERVER, ["--config", CONFIG, *args], env=server_env(**env)).start()


def cli_predict(body):
    result = subprocess.run([CLI, "predict", "--config", CONFIG], input=body, capture_output=True,
                            timeout=30)
    return result.returncode, result.stdout


def metric_value(text, name, labels=None):
    """The value of one sample in Prometheus text; labels must match exactly."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(3) or ""))
        if found == (labels or {}):
            return float(match.group(4))
    return None


class Endpoints(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start()
        cls.server.wait_for("/ready", time.monotonic() + 20)

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()

    def test_health(self):
        status, headers, body = self.server.request("GET", "/health")
        self.assertEqual((status, body), (200, b'{"status":"ok"}'))
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(headers["cache-control"], "no-store")

    def test_ready(self):
        status, _, doc = self.server.json("GET", "/ready")
        self.assertEqual(status, 200)
        self.assertEqual(doc, {"status": "ready", "model": {"name": "iris", "version": "1"}})

    def test_version(self):
        status, _, doc = self.server.json("GET", "/version")
        self.assertEqual(status, 200)
        self.assertEqual(doc["version"], VERSION)
        self.assertEqual(doc["api"], "v1")
        self.assertEqual(doc["model"], {"name": "iris", "version": "1", "objective": "multi:softprob",
                                        "num_features": 4, "num_outputs": 3})

    def test_model(self):
        status, _, doc = self.server.json("GET", "/model")
        self.assertEqual(status, 200)
        self.assertEqual(doc["objective"], "multi:softprob")
        self.assertEqual(doc["num_features"], 4)

    def test_predict_matches_cli_byte_for_byte(self):
        status, headers, body = self.server.request("POST", "/predict", GOOD_BODY, JSON)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["content-type"], "application/json")
        code, cli_out = cli_predict(GOOD_BODY)
        self.assertEqual(code, 0)
        self.assertEqual(cli_out, body + b"\n")
        doc = json.loads(body)
        self.assertEqual(len(doc["predictions"]), 2)
        self.assertEqual(doc["model"], {"name": "iris", "version": "1"})

    def test_predict_error_matches_cli_byte_for_byte(self):
        bad = b'{"instances": [[1, 2, 3]]}'
        status, _, body = self.server.request("POST", "/predict", bad, JSON)
        self.assertEqual(status, 422)
        code, cli_out = cli_predict(bad)
        self.assertEqual(code, 3)
        self.assertEqual(cli_out, body + b"\n")

    def test_head_works_where_get_does(self):
        for path in ("/health", "/ready", "/version", "/metrics", "/model"):
            get_status, get_headers, get_body = self.server.request("GET", path)
            status, headers, body = self.server.request("HEAD", path)
            self.assertEqual(status, get_status, path)
            self.assertEqual(body, b"", path)
            if path != "/metrics":  # the metrics text changes between the two calls
                self.assertEqual(headers["content-length"], str(len(get_body)), path)

    def test_metrics_content_type_and_promtool(self):
        status, headers, body = self.server.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        text = body.decode()
        self.assertEqual(metric_value(text, "appcore_build_info",
                                      {"version": VERSION, "revision": json.loads(
                                          self.server.request("GET", "/version")[2])["revision"]}), 1)
        self.assertEqual(metric_value(text, "appcore_model_info",
                                      {"name": "iris", "version": "1", "objective": "multi:softprob"}), 1)
        for name in ("process_cpu_seconds_total", "process_resident_memory_bytes",
                     "process_start_time_seconds", "process_open_fds"):
            self.assertIsNotNone(metric_value(text, name), name)
        promtool = shutil.which("promtool")
        if promtool:
            check = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)


class ErrorStatuses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start(APPCORE_SERVER_MAX_BODY_BYTES="4096", APPCORE_MODEL_MAX_BATCH_ROWS="5")
        cls.server.wait_for("/ready", time.monotonic() + 20)

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()

    def assertError(self, response, status, code, message=None):
        got_status, headers, body = response
        self.assertEqual(got_status, status, body)
        self.assertEqual(headers["content-type"], "application/json")
        doc = json.loads(body)
        self.assertEqual(doc["error"]["code"], code, doc)
        if message is not None:
            self.assertEqual(doc["error"]["message"], message)
        return doc

    def test_400_unparseable_json_has_line_and_column(self):
        doc = self.assertError(self.server.request("POST", "/predict", b'{"instances": [[1,2,\n 3,]]}', JSON),
                               400, "parse_error")
        self.assertEqual((doc["error"]["line"], doc["error"]["column"]) > (0, 0), True)
        self.assertIn("line 2", doc["error"]["message"])

    def test_422_valid_json_invalid_request(self):
        self.assertError(self.server.request("POST", "/predict", b'[1, 2]', JSON), 422, "invalid_request")
        self.assertError(self.server.request("POST", "/predict", b'{"instances": []}', JSON),
                         422, "invalid_request")
        self.assertError(self.server.request("POST", "/predict", b'{"instances": [[1, 2, 3]]}', JSON),
                         422, "invalid_request", "instances[0]: expected 4 features, got 3")

    def test_422_too_many_rows(self):
        body = json.dumps({"instances": [[1, 2, 3, 4]] * 6}).encode()
        doc = self.assertError(self.server.request("POST", "/predict", body, JSON), 422, "limit_exceeded")
        self.assertIn("5", doc["error"]["message"])

    def test_413_declared_length_rejected_before_reading(self):
        conn = RawConnection(self.server.port)
        # declare a body far over the limit and send none of it: the answer
        # must come anyway, and the connection must then close
        conn.send(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100000000\r\n\r\n")
        status, headers, body = conn.read_response()
        self.assertEqual(status, 413)
        self.assertEqual(headers["connection"], "close")
        self.assertEqual(json.loads(body)["error"]["message"],
                         "request body exceeds 4096 bytes (server.max_body_bytes)")
        self.assertTrue(conn.wait_closed())
        conn.close()

    def test_413_chunked_body_capped_while_reading(self):
        conn = RawConnection(self.server.port)
        chunk = b"[" * 1000
        conn.send(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        for _ in range(5):
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        status, headers, body = conn.read_response()
        self.assertEqual(status, 413)
        self.assertEqual(json.loads(body)["error"]["code"], "payload_too_large")
        conn.close()

    def test_chunked_body_works(self):
        conn = RawConnection(self.server.port)
        conn.send(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        for piece in (GOOD_BODY[:10], GOOD_BODY[10:]):
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.send(b"0\r\n\r\n")
        status, _, body = conn.read_response()
        self.assertEqual(status, 200, body)
        self.assertEqual(body + b"\n", cli_predict(GOOD_BODY)[1])
        conn.close()

    def test_415_other_content_type(self):
        self.assertError(self.server.request("POST", "/predict", GOOD_BODY, {"Content-Type": "text/plain"}),
                         415, "unsupported_media_type",
                         "Content-Type must be application/json, got 'text/plain'")
        status, _, _ = self.server.request("POST", "/predict", GOOD_BODY,
                                           {"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(status, 200)
        status, _, _ = self.server.request("POST", "/predict", GOOD_BODY,
                                           {"Content-Type": "Application/JSON"})
        self.assertEqual(status, 200)

    def test_405_with_allow(self):
        response = self.server.request("GET", "/predict")
        self.assertError(response, 405, "method_not_allowed", "method GET not allowed on /predict (allowed: POST)")
        self.assertEqual(response[1]["allow"], "POST")
        response = self.server.request("POST", "/health", b"{}", JSON)
        self.assertError(response, 405, "method_not_allowed")
        self.assertEqual(response[1]["allow"], "GET, HEAD")

    def test_404(self):
        self.assertError(self.server.request("GET", "/predict/extra"), 404, "not_found",
                         "no such endpoint: /predict/extra")

    def test_expect_100_continue_is_answered(self):
        conn = RawConnection(self.server.port)
        conn.send(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(GOOD_BODY))
        status, _ = conn.read_head()
        self.assertEqual(status, 100)
        conn.send(GOOD_BODY)
        status, _, _ = conn.read_response()
        self.assertEqual(status, 200)
        conn.close()

    def test_keep_alive_survives_4xx_that_consumed_the_body(self):
        conn = RawConnection(self.server.port)
        for body, headers, expected in (
                (b'{"instances": [[1]]}', JSON, 422),
                (b'{"instances": ', JSON, 400),
                (GOOD_BODY, {"Content-Type": "text/csv"}, 415),
                (GOOD_BODY, {}, 404),
                (GOOD_BODY, JSON, 200)):
            path = "/nowhere" if expected == 404 else "/predict"
            conn.send(http_request_bytes("POST", path, body, headers))
            status, response_headers, _ = conn.read_response()
            self.assertEqual(status, expected)
            self.assertEqual(response_headers["connection"], "keep-alive")
        conn.close()

    def test_request_id_echo_and_generation(self):
        _, headers, _ = self.server.request("GET", "/health", headers={"X-Request-ID": "abc-123_x.y"})
        self.assertEqual(headers["x-request-id"], "abc-123_x.y")
        for bad in ("has space", "x" * 129, "semi;colon"):
            _, headers, _ = self.server.request("GET", "/health", headers={"X-Request-ID": bad})
            self.assertRegex(headers["x-request-id"], r"^[0-9a-f]{32}$")
        _, first, _ = self.server.request("GET", "/nope")
        _, second, _ = self.server.request("GET", "/nope")
        self.assertRegex(first["x-request-id"], r"^[0-9a-f]{32}$")
        self.assertNotEqual(first["x-request-id"], second["x-request-id"])

    def test_body_shorter_than_content_length(self):
        conn = RawConnection(self.server.port)
        conn.send(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 500\r\n\r\n" + GOOD_BODY)
        conn.sock.shutdown(1)  # no more bytes will come
        status, headers, body = conn.read_response()
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["error"]["code"], "incomplete_body")
        conn.close()


class MetricsAfterKnownTraffic(unittest.TestCase):
    def test_counters_and_histograms(self):
        with start() as server:
            server.wait_for("/ready", time.monotonic() + 20)
            for _ in range(3):
                self.assertEqual(server.request("POST", "/predict", GOOD_BODY, JSON)[0], 200)
            self.assertEqual(server.request("POST", "/predict", b"{", JSON)[0], 400)
            self.assertEqual(server.request("GET", "/no/such/path")[0], 404)
            # a request is counted after its answer is written: a worker may still be counting
            # the last one when the scrape arrives, so wait until all five are in
            text = serverctl.poll_until(
                lambda: (lambda t: t if metric_value(t, "appcore_http_request_duration_seconds_count",
                                                     {"route": "/predict"}) == 4 and
                         metric_value(t, "appcore_http_requests_total",
                                      {"method": "GET", "route": "unmatched", "status": "404"})
                         else None)(server.request("GET", "/metrics")[2].decode()),
                10, "the five requests to be counted")
            self.assertEqual(metric_value(text, "appcore_http_requests_total",
                                          {"method": "POST", "route": "/predict", "status": "200"}), 3)
            self.assertEqual(metric_value(text, "appcore_http_requests_total",
                                          {"method": "POST", "route": "/predict", "status": "400"}), 1)
            self.assertEqual(metric_value(text, "appcore_http_requests_total",
                                          {"method": "GET", "route": "unmatched", "status": "404"}), 1)
            self.assertEqual(metric_value(text, "appcore_http_errors_total",
                                          {"route": "/predict", "status": "400"}), 1)
            self.assertEqual(metric_value(text, "appcore_http_request_duration_seconds_count",
                                          {"route": "/predict"}), 4)
            self.assertEqual(metric_value(text, "appcore_predictions_total", {"model": "iris"}), 6)
            self.assertEqual(metric_value(text, "appcore_prediction_rows_count"), 3)
            self.assertEqual(metric_value(text, "appcore_prediction_rows_sum"), 6)
            self.assertEqual(metric_value(text, "appcore_http_requests_in_flight"), 1)  # the scrape
            self.assertNotIn("/no/such/path", text)


class ConcurrentClients(unittest.TestCase):
    def test_many_clients_get_correct_answers(self):
        bodies = [json.dumps({"instances": [[4 + i * 0.1, 3.0, 1 + i * 0.2, 0.1 * i]]}).encode()
                  for i in range(8)]
        expected = [cli_predict(body)[1].rstrip(b"\n") for body in bodies]
        failures = []
        with start() as server:
            server.wait_for("/ready", time.monotonic() + 20)

            def client(index):
                conn = server.connection()
                for _ in range(40):
                    conn.request("POST", "/predict", bodies[index], JSON)
                    response = conn.getresponse()
                    data = response.read()
                    if response.status != 200 or data != expected[index]:
                        failures.append((index, response.status, data))
                conn.close()

            threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            # counted after each answer is written: wait for the last ones
            serverctl.poll_until(
                lambda: metric_value(server.request("GET", "/metrics")[2].decode(),
                                     "appcore_http_requests_total",
                                     {"method": "POST", "route": "/predict", "status": "200"})
                == 320, 10, "320 predictions counted")
        self.assertEqual(failures, [])


class Lifecycle(unittest.TestCase):
    def test_model_that_fails_to_load_exits_1(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json") as broken:
            broken.write('{"learner": ')
            broken.flush()
            server = ServerProcess(SERVER, ["--config", CONFIG, "--model", broken.name], env=server_env())
            server.start(wait_ready=False)
            self.assertEqual(server.proc.wait(timeout=30), 1)
            log = "".join(server.lines)
            self.assertIn('"msg":"model failed to load"', log)
            self.assertIn(broken.name, log)

    def test_not_ready_until_the_model_has_loaded(self):
        # the model comes through a FIFO, so loading waits until the test writes it
        with tempfile.TemporaryDirectory() as tmp:
            fifo = os.path.join(tmp, "model.json")
            os.mkfifo(fifo)
            server = ServerProcess(SERVER, ["--config", CONFIG, "--model", fifo], env=server_env())
            server.start(wait_ready=False)
            try:
                server.wait_for("/health", time.monotonic() + 20)
                status, headers, body = server.request("GET", "/ready")
                self.assertEqual(status, 503)
                self.assertEqual(headers["retry-after"], "1")
                self.assertEqual(json.loads(body), {"error": {"code": "not_ready",
                                                              "message": "model is not loaded yet"}})
                self.assertEqual(server.request("POST", "/predict", GOOD_BODY, JSON)[0], 503)
                self.assertEqual(server.request("GET", "/model")[0], 503)
                self.assertIsNone(server.json("GET", "/version")[2]["model"])
                with open(fifo, "wb") as writer, open(MODEL, "rb") as model:
                    writer.write(model.read())
                server.wait_for("/ready", time.monotonic() + 20)
                self.assertEqual(server.request("POST", "/predict", GOOD_BODY, JSON)[0], 200)
                self.assertEqual(server.stop(), 0)
            finally:
                server.kill()

    def test_bad_config_exits_1_with_message(self):
        result = subprocess.run([SERVER, "--config", "/nonexistent/config.yaml"], capture_output=True,
                                text=True, timeout=10, env=server_env())
        self.assertEqual(result.returncode, 1)
        self.assertIn("/nonexistent/config.yaml", result.stderr)

    def test_print_config(self):
        result = subprocess.run([SERVER, "--config", CONFIG, "--port", "9123", "--print-config=json"],
                                capture_output=True, text=True, timeout=10,
                                env=server_env(APPCORE_SERVER_THREADS="7"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("9123", result.stdout)
        self.assertIn("flag", result.stdout)
        self.assertIn("env", result.stdout)

    def test_ready_503_while_draining_and_in_flight_request_finishes(self):
        # readiness during the drain is read on the operations listener: the main listener
        # stops accepting at once (docs/http-front.md)
        server = start(APPCORE_SERVER_OPS_PORT="1")
        self.addCleanup(server.kill)
        server.wait_for("/ready", time.monotonic() + 20)
        self.assertNotEqual(server.ops_port, 0)
        # an in-flight request: headers and half the body sent
        slow = RawConnection(server.port)
        slow.send(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(GOOD_BODY) + GOOD_BODY[:20])
        # wait until the server counts it in flight (and this scrape)
        serverctl.poll_until(
            lambda: metric_value(server.request("GET", "/metrics")[2].decode(),
                                 "appcore_http_requests_in_flight") == 2,
            10, "the half-sent request to be in flight")
        server.send_signal(signal.SIGTERM)
        serverctl.poll_until(lambda: server.request("GET", "/ready", port=server.ops_port)[0] == 503,
                             10, "/ready on the operations port to say 503")
        status, headers, body = server.request("GET", "/ready", port=server.ops_port)
        self.assertEqual(json.loads(body)["error"]["code"], "not_ready")
        self.assertEqual(headers["connection"], "close")
        # the main listener refuses new connections at once
        serverctl.poll_until(lambda: "listener closed" in "".join(server.lines), 10,
                             "the listener to close")
        with self.assertRaises(ConnectionRefusedError):
            server.request("GET", "/health")
        slow.send(GOOD_BODY[20:])
        status, headers, body = slow.read_response()
        self.assertEqual(status, 200)
        self.assertEqual(headers["connection"], "close")
        self.assertEqual(server.proc.wait(timeout=15), 0)
        self.assertIn('"msg":"stopped"', "".join(server.lines))

    def test_sigterm_under_load_loses_no_accepted_request(self):
        server = start()
        self.addCleanup(server.kill)
        server.wait_for("/ready", time.monotonic() + 20)
        expected = cli_predict(GOOD_BODY)[1].rstrip(b"\n")
        results = []
        lock = threading.Lock()
        started = threading.Barrier(9)

        def client():
            conn = RawConnection(server.port)
            request = http_request_bytes("POST", "/predict", GOOD_BODY, JSON)
            started.wait()
            mine = []
            while True:
                conn.send(request)
                try:
                    status, headers, body = conn.read_response()
                except (ConnectionError, OSError) as exc:
                    mine.append(("lost", repr(exc)))
                    break
                mine.append((status, body == expected))
                if headers.get("connection") == "close":
                    break  # the server asked us to go away: a well-behaved client stops here
                if len(mine) > 100000:
                    break
            conn.close()
            with lock:
                results.extend(mine)

        threads = [threading.Thread(target=client) for _ in range(8)]
        for thread in threads:
            thread.start()
        started.wait()
        # let some traffic through before the signal, measured in requests, not time
        serverctl.poll_until(
            lambda: (metric_value(server.request("GET", "/metrics")[2].decode(),
                                  "appcore_http_requests_total",
                                  {"method": "POST", "route": "/predict", "status": "200"})
                     or 0) >= 200,
            20, "200 answered predictions before SIGTERM")
        server.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join(timeout=30)
        self.assertEqual(server.proc.wait(timeout=15), 0)
        self.assertGreaterEqual(len(results), 200)
        self.assertEqual([r for r in results if r != (200, True)], [])


class PredictionThreads(unittest.TestCase):
    """model.predict_threads: a large batch scored on the pool answers exactly what one thread
    answers, in row order, and the listening line reports the pool."""

    def test_large_batch_on_threads_equals_one_thread(self):
        with open(os.path.join(SOURCE, "tests", "fixtures", "models",
                               "reg_squarederror.json")) as f:
            doc = json.load(f)
        model = doc["learner"]["gradient_booster"]["model"]
        # 300 trees: 3000 rows are enough work for the pool (rows x trees >= 2^18)
        model["trees"] = [dict(t, id=i) for i, t in
                          enumerate(model["trees"][j % len(model["trees"])] for j in range(300))]
        model["tree_info"] = [0] * 300
        model["gbtree_model_param"]["num_trees"] = "300"
        rows = [[(r * 7 + f * 3) % 19 * 0.41 - 3 if (r * f) % 7 else None for f in range(10)]
                for r in range(3000)]
        body = json.dumps({"instances": rows}).encode()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "many.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            answers = {}
            for threads in ("1", "2"):
                server = start("--model", path, APPCORE_MODEL_PREDICT_THREADS=threads)
                try:
                    server.wait_for("/ready", time.monotonic() + 20)
                    listening = next(line for line in server.lines if '"listening"' in line)
                    self.assertIn(f'"predict_threads":{threads},', listening)
                    status, _, answers[threads] = server.request("POST", "/predict", body, JSON)
                    self.assertEqual(status, 200)
                finally:
                    server.stop()
            self.assertEqual(answers["2"], answers["1"])
            self.assertEqual(len(json.loads(answers["1"])["predictions"]), 3000)


class PredictionProtocol(unittest.TestCase):
    """What the library's protocol adds, through the real server: iteration ranges equal to
    XGBoost's, NaN as a missing value, and the same answers as the CLI."""

    @classmethod
    def setUpClass(cls):
        cls.server = start("--model", os.path.join(SOURCE, "tests", "fixtures", "models",
                                                   "binary_logistic.json"))
        cls.server.wait_for("/ready", time.monotonic() + 20)

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()

    def test_iteration_range_equals_xgboost(self):
        with open(os.path.join(SOURCE, "tests", "fixtures", "iteration_range",
                               "ranges.json")) as f:
            cases = [c for c in json.load(f) if c["model"] == "binary_logistic"]
        for c in cases:
            body = json.dumps({"instances": c["rows"], "iteration_range": [c["begin"], c["end"]],
                               "output": "margin"}).encode()
            status, _, doc = self.server.json("POST", "/predict", body, JSON)
            self.assertEqual(status, 200)
            for got, want in zip(doc["predictions"], c["margin"]):
                self.assertLessEqual(abs(got - want), 1e-5 * abs(want))
        status, _, doc = self.server.json(
            "POST", "/predict", b'{"instances": [[1]], "iteration_range": [0, 11]}', JSON)
        self.assertEqual(status, 422)

    def test_nan_is_missing_and_model_reports_iterations(self):
        row = [None] * 30
        with_null = self.server.request("POST", "/predict",
                                        json.dumps({"instances": [row]}).encode(), JSON)
        with_nan = self.server.request("POST", "/predict",
                                       b'{"instances": [[' + b",".join([b"NaN"] * 30) + b"]]}",
                                       JSON)
        self.assertEqual((with_nan[0], with_nan[2]), (200, with_null[2]))
        _, _, info = self.server.json("GET", "/model")
        self.assertEqual((info["num_iterations"], info["best_iteration"]), (10, 9))


if __name__ == "__main__":
    serverctl.main()
