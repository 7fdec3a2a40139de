"""The prediction log end to end: the real appcore-server writing to a real PostgreSQL server
the test starts (pgctl.py), through failures of the database and of the server itself.

Every request carries its own X-Request-ID, so the rows of each answered request can be
counted in the table: exactly once each, in row order, with the inputs sent and the outputs
answered."""
import hashlib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverctl  # noqa: E402
from serverctl import ServerProcess  # noqa: E402
import pgctl  # noqa: E402
from pgctl import f32, parse_array  # noqa: E402

pgctl.skip_unless_installed()

SERVER = os.environ["APPCORE_SERVER"]
SOURCE = os.environ["APPCORE_SOURCE_DIR"]
MODEL = os.path.join(SOURCE, "examples", "models", "iris.json")
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
PG = None


def setUpModule():
    global PG
    PG = pgctl.Postgres()


def tearDownModule():
    if PG is not None:
        PG.destroy()


def random_row(rng, missing=0.1):
    return [None if rng.random() < missing else round(rng.uniform(0, 8), 2) for _ in FEATURES]


class Load:
    """Sequential /predict requests on a thread until stopped or the server is gone; keeps
    each answered request (id, rows sent, predictions answered)."""

    def __init__(self, server, rng_seed=1, sizes=(1, 2, 3, 5, 8)):
        self.server = server
        self.rng = random.Random(rng_seed)
        self.sizes = sizes
        self.answered = {}
        self.finished = {}
        self.statuses = {}
        self.latencies = []
        self.stopped = threading.Event()
        self.count = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stopped.is_set():
            rows = [random_row(self.rng) for _ in range(self.rng.choice(self.sizes))]
            request_id = f"load-{self.count}"
            self.count += 1
            started = time.monotonic()
            try:
                status, _, body = self.server.request(
                    "POST", "/predict", json.dumps({"instances": rows}),
                    {"Content-Type": "application/json", "X-Request-ID": request_id},
                    timeout=10)
            except OSError:
                if self.server.proc.poll() is not None:
                    return
                continue
            self.latencies.append(time.monotonic() - started)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == 200:
                self.answered[request_id] = (rows, json.loads(body)["predictions"])
                self.finished[request_id] = time.monotonic()

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopped.set()
        self.thread.join(timeout=30)

    def wait_answered(self, n, timeout=30):
        serverctl.poll_until(lambda: len(self.answered) >= n, timeout, f"{n} answered requests")

    def rows(self):
        return sum(len(rows) for rows, _ in self.answered.values())


class PredictionLogCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="appcore-predlog-")
        self.spool = os.path.join(self.tmp, "spool")
        self.servers = []
        if PG.proc is None:
            PG.start()
        PG.psql("DROP TABLE IF EXISTS appcore_predictions; "
                "DROP TABLE IF EXISTS appcore_schema_migrations")

    def tearDown(self):
        for server in self.servers:
            server.kill()
        if PG.paused:
            PG.resume()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server_env(self, **settings):
        env = dict(os.environ)
        env.update({
            "APPCORE_MODEL_PATH": MODEL,
            "APPCORE_MODEL_NAME": "iris",
            "APPCORE_MODEL_VERSION": "7",
            "APPCORE_LOGGING_ACCESS_LOG": "false",
            "APPCORE_SERVER_SHUTDOWN_GRACE_MS": "500",
            "APPCORE_PREDICTION_LOG_ENABLED": "true",
            "APPCORE_PREDICTION_LOG_URL": PG.url(),
            "APPCORE_PREDICTION_LOG_PASSWORD_FILE": PG.password_file,
            "APPCORE_PREDICTION_LOG_SPOOL_DIR": self.spool,
            "APPCORE_PREDICTION_LOG_SYNC_INTERVAL_MS": "50",
            "APPCORE_PREDICTION_LOG_FSYNC": "false",
            "APPCORE_PREDICTION_LOG_CONNECT_TIMEOUT_MS": "2000",
            "APPCORE_PREDICTION_LOG_WRITE_TIMEOUT_MS": "2000",
        })
        for key, value in settings.items():
            env["APPCORE_PREDICTION_LOG_" + key.upper()] = str(value)
        return env

    def start_server(self, args=(), **settings):
        return self.started(ServerProcess(SERVER, list(args), env=self.server_env(**settings)))

    def started(self, server):
        self.servers.append(server)
        server.start()
        server.wait_for("/ready", time.monotonic() + 15)
        return server

    def predict(self, server, rows, request_id, headers=None, **extra):
        body = {"instances": rows}
        body.update(extra)
        all_headers = {"Content-Type": "application/json", "X-Request-ID": request_id}
        all_headers.update(headers or {})
        status, _, data = server.request("POST", "/predict", json.dumps(body), all_headers)
        return status, json.loads(data)

    def metric(self, server, name):
        status, _, body = server.request("GET", "/metrics")
        self.assertEqual(status, 200)
        total = None
        for line in body.decode().splitlines():
            if line.startswith(name) and (len(line) == len(name) or line[len(name)] in " {"):
                total = (total or 0) + float(line.rsplit(" ", 1)[1])
        return total

    def db_rows(self):
        return int(PG.scalar("SELECT count(*) FROM appcore_predictions") or 0)

    def table_exists(self):
        return PG.scalar("SELECT to_regclass('appcore_predictions') IS NOT NULL") == "t"

    def wait_rows(self, n, timeout=60):
        serverctl.poll_until(lambda: self.table_exists() and self.db_rows() >= n, timeout,
                             f"{n} rows in appcore_predictions")
        self.assertEqual(self.db_rows(), n)

    def assert_exactly_once(self, answered):
        """Every row of every answered request is in the table exactly once, in row order,
        with the inputs sent and the outputs answered; nothing else is."""
        rows = PG.psql("SELECT request_id, row_index, inputs, outputs, count(*) OVER "
                       "(PARTITION BY request_id, row_index) FROM appcore_predictions "
                       "ORDER BY request_id, row_index")
        by_request = {}
        for request_id, row_index, inputs, outputs, copies in rows:
            self.assertEqual(copies, "1", f"{request_id} row {row_index} logged {copies} times")
            by_request.setdefault(request_id, []).append((int(row_index), parse_array(inputs),
                                                          parse_array(outputs)))
        for request_id, (sent, predictions) in answered.items():
            logged = by_request.get(request_id)
            self.assertIsNotNone(logged, f"answered request {request_id} not logged")
            self.assertEqual([r[0] for r in logged], list(range(len(sent))), request_id)
            for (_, inputs, outputs), row, prediction in zip(logged, sent, predictions):
                self.assertEqual(inputs, [None if v is None else f32(v) for v in row])
                self.assertEqual(outputs, [f32(v) for v in prediction])
        return by_request


class Logging(PredictionLogCase):
    def test_mixed_batches_logged_exactly_with_inputs_and_outputs(self):
        server = self.start_server()
        rng = random.Random(7)
        answered = {}
        sizes = [1, 2, 3, 7, 16, 50, 1, 200, 4, 1]
        for i, size in enumerate(sizes):
            rows = [random_row(rng) for _ in range(size)]
            status, doc = self.predict(server, rows, f"mixed-{i}")
            self.assertEqual(status, 200, doc)
            answered[f"mixed-{i}"] = (rows, doc["predictions"])
        # object rows (the general decoder) and margins are logged alike
        objects = [{"sepal_length": 5.1, "petal_width": 0.2}, {"petal_length": 4.8}]
        status, doc = self.predict(server, objects, "objects", output="margin")
        self.assertEqual(status, 200, doc)
        total = sum(sizes) + 2
        self.wait_rows(total)
        self.assert_exactly_once(answered)
        rows = PG.psql("SELECT row_index, inputs, outputs, output_kind, model_name, "
                       "model_version, client IS NULL, latency_ms > 0 AND latency_ms < 10000, "
                       "abs(extract(epoch from now() - received_at)) < 600 "
                       "FROM appcore_predictions WHERE request_id = 'objects' ORDER BY row_index")
        self.assertEqual([r[0] for r in rows], ["0", "1"])
        self.assertEqual(parse_array(rows[0][1]), [f32(5.1), None, None, f32(0.2)])
        self.assertEqual(parse_array(rows[1][1]), [None, None, f32(4.8), None])
        self.assertEqual(parse_array(rows[0][2]), [f32(v) for v in doc["predictions"][0]])
        self.assertEqual(rows[0][3:], ["margin", "iris", "7", "t", "t", "t"])
        self.assertEqual(PG.psql("SELECT version, description FROM appcore_schema_migrations"),
                         [["1", "appcore_predictions with indexes by model and time, and by "
                                "request id"]])
        serverctl.poll_until(lambda: self.metric(server, "appcore_prediction_log_rows_written_total")
                             == total, 10, "rows_written_total")
        self.assertEqual(self.metric(server, "appcore_prediction_log_database_up"), 1)
        self.assertEqual(self.metric(server, "appcore_prediction_log_rows_dropped_total"), 0)
        # the indexes that make "rows of model X between T1 and T2" an index scan
        indexes = {r[0] for r in PG.psql("SELECT indexname FROM pg_indexes WHERE "
                                          "tablename = 'appcore_predictions'")}
        self.assertEqual(indexes, {"appcore_predictions_pkey", "appcore_predictions_model_time",
                                   "appcore_predictions_received_at",
                                   "appcore_predictions_request_id"})
        self.assertEqual(server.stop(), 0)

    def test_schema_creation_is_idempotent_and_a_restart_keeps_rows(self):
        server = self.start_server()
        self.assertEqual(self.predict(server, [[1, 2, 3, 4]], "first")[0], 200)
        self.wait_rows(1)
        self.assertEqual(server.stop(), 0)
        server = self.start_server()
        self.assertEqual(self.predict(server, [[1, 2, 3, 4]], "second")[0], 200)
        self.wait_rows(2)
        self.assertEqual(PG.scalar("SELECT count(*) FROM appcore_schema_migrations"), "1")
        self.assertEqual(server.stop(), 0)

    def test_api_key_logged_as_its_id_never_the_key(self):
        keys = os.path.join(self.tmp, "keys")
        with open(keys, "w") as f:
            f.write("key-alpha-0123456789\nkey-beta-9876543210\n")
        env = self.server_env()
        env["APPCORE_SERVER_API_KEYS_FILE"] = keys
        server = self.started(ServerProcess(SERVER, [], env=env))
        for i, key in enumerate(["key-alpha-0123456789", "key-beta-9876543210"]):
            status, doc = self.predict(server, [[1, 2, 3, 4]], f"key-{i}",
                                       {"Authorization": f"Bearer {key}"})
            self.assertEqual(status, 200, doc)
        self.wait_rows(2)
        clients = dict(PG.psql("SELECT request_id, client FROM appcore_predictions"))
        self.assertEqual(clients, {
            "key-0": hashlib.sha256(b"key-alpha-0123456789").hexdigest()[:16],
            "key-1": hashlib.sha256(b"key-beta-9876543210").hexdigest()[:16]})
        dump = json.dumps(PG.psql("SELECT * FROM appcore_predictions"))
        self.assertNotIn("key-alpha", dump)

    def test_sampling_and_privacy(self):
        server = self.start_server(sample_rate="0")
        for i in range(5):
            self.assertEqual(self.predict(server, [[1, 2, 3, 4]], f"s-{i}")[0], 200)
        serverctl.poll_until(
            lambda: self.metric(server, "appcore_prediction_log_rows_sampled_out_total") == 5,
            10, "sampled-out rows counted")
        self.assertEqual(self.metric(server, "appcore_prediction_log_rows_recorded_total"), 0)
        self.assertEqual(server.stop(), 0)
        server = self.start_server(include_inputs="false")
        self.assertEqual(self.predict(server, [[1, 2, 3, 4], [4, 3, 2, 1]], "private")[0], 200)
        self.wait_rows(2)
        self.assertEqual(PG.psql("SELECT count(*) FROM appcore_predictions WHERE inputs IS NULL "
                                 "AND outputs IS NOT NULL"), [["2"]])


class DatabaseFailures(PredictionLogCase):
    def test_database_stopped_during_load_every_row_once_in_order(self):
        server = self.start_server()
        load = Load(server, rng_seed=2).start()
        try:
            load.wait_answered(30)
            PG.stop()
            before = len(load.answered)
            load.wait_answered(before + 100)
            # serving does not depend on the log
            self.assertEqual(server.request("GET", "/ready")[0], 200)
            serverctl.poll_until(lambda: self.metric(server, "appcore_prediction_log_database_up")
                                 == 0, 10, "database_up 0")
            self.assertGreater(self.metric(server, "appcore_prediction_log_spool_bytes"), 0)
            PG.start()
            load.wait_answered(len(load.answered) + 30)
        finally:
            load.stop()
        self.assertEqual(load.statuses, {200: len(load.answered)})
        self.wait_rows(load.rows())
        self.assert_exactly_once(load.answered)
        logs = "".join(server.lines)
        self.assertIn("prediction log: database unavailable", logs)
        self.assertIn("prediction log: database available again", logs)
        serverctl.poll_until(lambda: self.metric(server, "appcore_prediction_log_spool_bytes")
                             == 0, 20, "spool_bytes back to 0")
        self.assertEqual(server.stop(), 0)

    def test_paused_database_does_not_slow_requests(self):
        server = self.start_server(write_timeout_ms="500", connect_timeout_ms="500")
        load = Load(server, rng_seed=3).start()
        try:
            load.wait_answered(20)
            PG.pause()
            start = len(load.latencies)
            load.wait_answered(len(load.answered) + 200)
            paused = load.latencies[start:]
            PG.resume()
            load.wait_answered(len(load.answered) + 20)
        finally:
            load.stop()
        # a request never waits for the database: a hang would show as a multi-second request
        self.assertLess(max(paused), 1.0, f"slowest request while paused: {max(paused):.3f} s")
        self.wait_rows(load.rows())
        self.assert_exactly_once(load.answered)

    def test_sigterm_with_database_down_then_restart_delivers_everything(self):
        server = self.start_server()
        PG.stop()
        load = Load(server, rng_seed=4).start()
        load.wait_answered(150)
        self.assertEqual(server.stop(signal.SIGTERM), 0)
        load.stop()
        logs = "".join(server.lines)
        self.assertIn("prediction log: closed", logs)
        # a torn write at the end of the spool (what a power cut leaves) is skipped, loudly
        segments = sorted(f for f in os.listdir(self.spool) if f.endswith(".spool"))
        with open(os.path.join(self.spool, segments[-1]), "ab") as f:
            f.write(b"ACPL\x40\x00\x00\x00torn")
        PG.start()
        server = self.start_server()
        self.wait_rows(load.rows())
        self.assert_exactly_once(load.answered)
        serverctl.poll_until(lambda: "prediction log: damaged spool" in "".join(server.lines), 10,
                             "the damaged tail reported")
        self.assertIn("frame cut short", "".join(server.lines))
        self.assertIn("prediction log: spool from an earlier run", "".join(server.lines))
        self.assertEqual(server.stop(), 0)

    def test_kill9_keeps_rows_synced_before_it_and_duplicates_none(self):
        server = self.start_server(sync_interval_ms="100", fsync="true")
        load = Load(server, rng_seed=5).start()
        started = time.monotonic()
        # long enough that many requests finished well before the kill
        serverctl.poll_until(lambda: time.monotonic() - started > 2.5 and len(load.answered) > 200,
                             30, "2.5 s of load")
        killed_at = time.monotonic()
        server.kill()
        load.stop()
        answered = dict(load.answered)
        server = self.start_server()
        serverctl.poll_until(lambda: self.table_exists() and self.db_rows() > 0, 60, "rows")
        serverctl.poll_until(lambda: self.metric(server, "appcore_prediction_log_spool_bytes")
                             == 0, 60, "spool replayed")
        # no row twice, and every answered request that is logged is logged whole
        by_request = self.assert_exactly_once({})
        self.assert_exactly_once({rid: answered[rid] for rid in by_request if rid in answered})
        # requests answered more than one sync interval (100 ms) before the kill were in the
        # spool; 1 s of slack for this busy machine
        early = [rid for rid in answered if load.finished[rid] < killed_at - 1.0]
        self.assertGreater(len(early), 100)
        self.assertEqual([rid for rid in early if rid not in by_request], [])
        self.assertEqual(server.stop(), 0)


class BadConfiguration(PredictionLogCase):
    def run_server_expect_exit(self, **settings):
        env = self.server_env(**settings)
        result = __import__("subprocess").run([SERVER, "--host", "127.0.0.1", "--port", "0"],
                                              env=env, capture_output=True, text=True,
                                              timeout=30)
        return result.returncode, result.stderr

    def test_unwritable_spool_dir_is_an_error_at_start(self):
        blocker = os.path.join(self.tmp, "file")
        open(blocker, "w").close()
        code, stderr = self.run_server_expect_exit(spool_dir=os.path.join(blocker, "spool"))
        self.assertEqual(code, 1)
        self.assertIn("prediction log not started", stderr)
        self.assertIn("cannot create: Not a directory", stderr)

    def test_unparsable_url_and_missing_password_file_are_errors_at_start(self):
        code, stderr = self.run_server_expect_exit(url="postgresql://[::1")
        self.assertEqual(code, 1)
        self.assertIn("prediction_log.url: invalid connection string", stderr)
        code, stderr = self.run_server_expect_exit(password_file=os.path.join(self.tmp, "nope"))
        self.assertEqual(code, 1)
        self.assertIn("prediction_log.password_file", stderr)
        code, stderr = self.run_server_expect_exit(url="")
        self.assertEqual(code, 1)
        self.assertIn("APPCORE_PREDICTION_LOG_URL", stderr)

    def test_second_server_on_the_same_spool_is_refused(self):
        self.start_server()
        code, stderr = self.run_server_expect_exit()
        self.assertEqual(code, 1)
        self.assertIn("in use by another process", stderr)

    def assert_down_state(self, server, message):
        serverctl.poll_until(lambda: message in "".join(server.lines), 15,
                             f"log line with {message!r}")
        self.assertEqual(server.request("GET", "/ready")[0], 200)
        self.assertEqual(self.predict(server, [[1, 2, 3, 4]], "while-down")[0], 200)
        self.assertEqual(self.metric(server, "appcore_prediction_log_database_up"), 0)
        self.assertGreater(self.metric(server, "appcore_prediction_log_errors_total"), 0)
        self.assertGreater(self.metric(server,
                                       "appcore_prediction_log_last_error_timestamp_seconds"), 0)
        serverctl.poll_until(lambda: self.metric(server, "appcore_prediction_log_rows_spooled_total")
                             == 1, 10, "the row spooled")

    def test_unreachable_database_is_a_counted_state_rows_kept(self):
        server = self.start_server(url=f"postgresql://appcore@127.0.0.1:{pgctl.free_port()}/x")
        self.assert_down_state(server, "prediction log: database unavailable")
        self.assertIn("Connection refused", "".join(server.lines))
        self.assertEqual(server.stop(), 0)

    def test_wrong_password_is_a_counted_state_rows_kept(self):
        wrong = os.path.join(self.tmp, "wrong")
        with open(wrong, "w") as f:
            f.write("not-the-password\n")
        server = self.start_server(password_file=wrong)
        self.assert_down_state(server, "password authentication failed")
        self.assertEqual(server.stop(), 0)
        # with the right password the kept row arrives
        server = self.start_server()
        self.wait_rows(1)
        self.assertEqual(server.stop(), 0)


class FullSpool(PredictionLogCase):
    def fill(self, server, n):
        statuses = {}
        for i in range(n):
            status, doc = self.predict(server, [random_row(random.Random(i), 0)] * 50, f"f-{i}")
            statuses[status] = statuses.get(status, 0) + 1
            if status == 503:
                self.assertEqual(doc["error"]["code"], "not_ready")
                self.assertIn("prediction log", doc["error"]["message"])
        return statuses

    def test_refuse_policy_answers_503_and_counts(self):
        PG.stop()
        server = self.start_server(spool_max_bytes="65536", on_disk_full="refuse")
        serverctl.poll_until(lambda: self.fill(server, 20).get(503, 0) > 0, 30, "a 503")
        self.assertGreater(self.metric(server, "appcore_prediction_log_requests_refused_total"), 0)
        self.assertEqual(self.metric(server, "appcore_prediction_log_spool_full"), 1)
        self.assertEqual(self.metric(server, "appcore_prediction_log_rows_dropped_total"), 0)
        self.assertEqual(server.request("GET", "/ready")[0], 200)
        self.assertIn("spool full, refusing predictions", "".join(server.lines))
        # the database comes back: the spool drains and predictions are accepted again
        PG.start()
        serverctl.poll_until(lambda: self.fill(server, 1) == {200: 1}, 30, "200 again")
        self.assertEqual(server.stop(), 0)

    def test_drop_policy_keeps_answering_and_counts(self):
        PG.stop()
        server = self.start_server(spool_max_bytes="65536", on_disk_full="drop")
        statuses = self.fill(server, 60)
        self.assertEqual(statuses, {200: 60})
        serverctl.poll_until(lambda: self.metric(server, "appcore_prediction_log_rows_dropped_total")
                             > 0, 10, "dropped rows counted")
        self.assertIn("spool full, dropping log rows", "".join(server.lines))
        self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    serverctl.main()
