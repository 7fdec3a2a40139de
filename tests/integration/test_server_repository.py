"""appcore-server over a model repository, against the real binary and real files: two
models x two versions through the Open Inference Protocol, TF Serving and /predict, equal to
appcore-cli and to XGBoost (the fixtures' cases); every bad tensor; junk in the repository;
SIGHUP; the startup gate; metrics by model and version."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverctl  # noqa: E402
from serverctl import ServerProcess, poll_until  # noqa: E402
from repotools import (IRIS, JSON, cases, fixture, metric_value, oip_request, publish, put,  # noqa: E402
                       tmp_root)

SERVER = os.environ["APPCORE_SERVER"]
CLI = os.environ["APPCORE_CLI"]
SOURCE = os.environ["APPCORE_SOURCE_DIR"]
VERSION = open(os.environ["APPCORE_VERSION_FILE"]).read().strip()
CONFIG = os.path.join(SOURCE, "configs", "config.yaml")

# model -> version -> fixture
MODELS = {"clf": {1: "binary_logistic", 2: "binary_missing"},
          "multi": {1: "multi_softprob", 2: "multi_softmax"}}


def server_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPCORE_")}
    env.update(extra)
    return env


def start_server(args, **env):
    server = ServerProcess(SERVER, ["--config", CONFIG] + list(args), env=server_env(**env))
    server.start()
    server.wait_for("/v2/health/ready", time.monotonic() + 30)
    return server


def cli_predictions(fixture_name, rows):
    result = subprocess.run([CLI, "predict", "--model", fixture(fixture_name)],
                            input=json.dumps({"instances": rows}), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["predictions"]


def flatten(predictions):
    return [v for p in predictions for v in (p if isinstance(p, list) else [p])]


class TwoModelsTwoVersions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(dir=tmp_root())
        for model, versions in MODELS.items():
            for version, name in versions.items():
                put(cls.tmp, model, version, fixture(name), config="version_policy: all\n")
        cls.server = start_server(["--model-repository", cls.tmp])

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()
        shutil.rmtree(cls.tmp)

    def assert_xgboost(self, got, name, output="value"):
        c = cases(name)
        expected = c[output]
        self.assertEqual(len(got), len(expected))
        for g, want in zip(got, expected):
            tolerance = 1e-6 if c["probability"] and output == "value" else 1e-5 * abs(want)
            self.assertLessEqual(abs(g - want), tolerance, (name, g, want))

    def test_every_model_and_version_through_every_protocol(self):
        for model, versions in MODELS.items():
            for version, name in versions.items():
                rows = cases(name)["rows"]
                cli = flatten(cli_predictions(name, rows))
                self.assert_xgboost(cli, name)
                path = "/v2/models/%s/versions/%d/infer" % (model, version)
                # OIP, flat and nested, with the request id echoed
                for flat in (True, False):
                    status, _, doc = self.server.json(
                        "POST", path, oip_request(rows, flat=flat, request_id="r-%d" % version), JSON)
                    self.assertEqual(status, 200, doc)
                    self.assertEqual((doc["model_name"], doc["model_version"], doc["id"]),
                                     (model, str(version), "r-%d" % version))
                    self.assertEqual(doc["outputs"][0]["name"], "predict")
                    self.assertEqual(doc["outputs"][0]["shape"][0], len(rows))
                    self.assertEqual(doc["outputs"][0]["data"], cli)
                # TF Serving
                status, _, doc = self.server.json(
                    "POST", "/v1/models/%s/versions/%d:predict" % (model, version),
                    json.dumps({"instances": rows}), JSON)
                self.assertEqual(status, 200, doc)
                self.assertEqual(flatten(doc["predictions"]), cli)
                # /predict, naming model and version
                status, _, doc = self.server.json(
                    "POST", "/predict",
                    json.dumps({"model": model, "version": str(version), "instances": rows}), JSON)
                self.assertEqual(status, 200, doc)
                self.assertEqual(doc["model"], {"name": model, "version": str(version)})
                self.assertEqual(flatten(doc["predictions"]), cli)

    def test_margin_output_equals_xgboost(self):
        rows = cases("multi_softprob")["rows"]
        status, _, doc = self.server.json("POST", "/v2/models/multi/versions/1/infer",
                                          oip_request(rows, outputs=["margin", "predict"]), JSON)
        self.assertEqual(status, 200, doc)
        self.assertEqual([o["name"] for o in doc["outputs"]], ["margin", "predict"])
        self.assertEqual(doc["outputs"][0]["shape"], [len(rows), 3])
        self.assert_xgboost(doc["outputs"][0]["data"], "multi_softprob", "margin")
        self.assert_xgboost(doc["outputs"][1]["data"], "multi_softprob", "value")

    def test_default_version_is_the_highest(self):
        rows = cases("binary_missing")["rows"][:2]
        status, _, doc = self.server.json("POST", "/v2/models/clf/infer", oip_request(rows), JSON)
        self.assertEqual((status, doc["model_version"]), (200, "2"))
        status, _, doc = self.server.json("POST", "/v1/models/clf:predict",
                                          json.dumps({"instances": rows}), JSON)
        self.assertEqual(status, 200)

    def test_metadata_readiness_and_status(self):
        status, _, doc = self.server.json("GET", "/v2")
        self.assertEqual(doc, {"name": "appcore", "version": VERSION,
                               "extensions": ["model_repository"]})
        self.assertEqual(self.server.request("GET", "/v2/health/live")[:1], (200,))
        self.assertEqual(self.server.request("GET", "/v2/health/ready")[0], 200)
        status, _, doc = self.server.json("GET", "/v2/models/multi")
        self.assertEqual(status, 200)
        self.assertEqual(doc, {"name": "multi", "versions": ["2", "1"], "platform": "xgboost",
                               "inputs": [{"name": "input-0", "datatype": "FP32", "shape": [-1, 4]}],
                               "outputs": [{"name": "predict", "datatype": "FP32", "shape": [-1]},
                                           {"name": "margin", "datatype": "FP32", "shape": [-1, 3]}]})
        status, _, doc = self.server.json("GET", "/v2/models/multi/versions/1")
        self.assertEqual(doc["inputs"][0]["shape"], [-1, 13])
        self.assertEqual(self.server.request("GET", "/v2/models/clf/ready")[0], 200)
        self.assertEqual(self.server.request("GET", "/v2/models/clf/versions/1/ready")[0], 200)
        self.assertEqual(self.server.request("GET", "/v2/models/clf/versions/9/ready")[0], 404)
        status, _, doc = self.server.json("GET", "/v1/models/clf")
        self.assertEqual([v["version"] for v in doc["model_version_status"]], ["2", "1"])
        self.assertEqual({v["state"] for v in doc["model_version_status"]}, {"AVAILABLE"})
        status, _, doc = self.server.json("POST", "/v2/repository/index", "", JSON)
        self.assertEqual(status, 200)
        self.assertEqual(sorted((e["name"], e["version"], e["state"]) for e in doc),
                         [("clf", "1", "READY"), ("clf", "2", "READY"),
                          ("multi", "1", "READY"), ("multi", "2", "READY")])

    def test_unknown_models_and_versions_are_404(self):
        body = oip_request([[1.0] * 4])
        for method, path, payload, message in (
                ("POST", "/v2/models/nope/infer", body, "no model named 'nope'"),
                ("POST", "/v2/models/multi/versions/7/infer", body,
                 "model 'multi' has no version '7' (served: 2, ...)"),
                ("GET", "/v2/models/nope", None, "no model named 'nope'"),
                ("GET", "/v2/models/nope/ready", None, "no model named 'nope'"),
                ("POST", "/v1/models/nope:predict", '{"instances": [[1]]}', "no model named 'nope'"),
                ("GET", "/v1/models/multi/versions/7", None, "model 'multi' has no version '7'")):
            status, headers, doc = self.server.json(method, path, payload, JSON)
            self.assertEqual((status, doc), (404, {"error": message}), path)
            self.assertEqual(headers["content-type"], "application/json")
        status, _, doc = self.server.json("POST", "/predict",
                                          json.dumps({"model": "nope", "instances": [[1]]}), JSON)
        self.assertEqual((status, doc), (404, {"error": {"code": "not_found",
                                                         "message": "no model named 'nope'"}}))
        # /predict without a model name, with two models and no default
        status, _, doc = self.server.json("POST", "/predict", '{"instances": [[1]]}', JSON)
        self.assertEqual(status, 422)
        self.assertEqual(doc["error"]["message"],
                         "2 models are served and none is the default: name one")

    def test_malformed_tensors_are_400_with_the_spec_error_body(self):
        path = "/v2/models/multi/versions/2/infer"

        def tensor(datatype, shape, data):
            return json.dumps({"inputs": [{"name": "x", "datatype": datatype, "shape": shape,
                                           "data": data}]})
        for body, message in (
                (tensor("FP32", [2, 4], [1, 2, 3, 4]),
                 "inputs[0].data: shape [2, 4] does not match the 4 values of data"),
                (tensor("FP32", [1, 4], [[1, 2, 3]]),
                 "inputs[0].data[0]: expected 4 values (shape [1, 4]), got 3"),
                (tensor("INT32", [1, 4], [1, 2.5, 3, 4]),
                 "inputs[0].data[1]: expected an integer (INT32), got 2.5"),
                (tensor("FP32", [1, 4], [1, "2", 3, 4]),
                 "inputs[0].data[1]: expected a number or null (FP32), got string"),
                (tensor("BYTES", [1, 4], ["a", "b", "c", "d"]),
                 "inputs[0].datatype: BYTES inputs are not supported: the model takes numbers "
                 "(FP32, FP64, INT8..INT64, UINT8..UINT64, BOOL)"),
                (tensor("FP32", [-1, 4], [1, 2, 3, 4]), "inputs[0].shape[0]: -1 is negative"),
                (tensor("FP32", [4, -4], [1, 2, 3, 4]), "inputs[0].shape[1]: -4 is negative"),
                (tensor("FP32", [10 ** 15, 4], [1, 2, 3, 4]),
                 "inputs[0].shape[0]: 1000000000000000 rows, more than the limit of 10000"),
                (tensor("FP32", [1, 5], [1, 2, 3, 4, 5]),
                 "inputs[0].shape[1]: the model takes 4 features, got 5"),
                ('{"inputs": [', "invalid JSON at line 1, column 12: ']' expected near end of file")):
            status, headers, doc = self.server.json("POST", path, body, JSON)
            self.assertEqual((status, doc), (400, {"error": message}), body)
        # TF Serving answers bad rows in its own format too
        status, _, doc = self.server.json("POST", "/v1/models/multi/versions/2:predict",
                                          '{"instances": [[1, 2]]}', JSON)
        self.assertEqual((status, doc), (400, {"error": "instances[0]: expected 4 features, got 2"}))

    def test_metrics_by_model_and_version(self):
        rows = cases("multi_softmax")["rows"][:3]
        for _ in range(2):
            self.server.json("POST", "/v2/models/multi/versions/2/infer", oip_request(rows), JSON)
        self.server.json("POST", "/v2/models/nope/infer", oip_request(rows), JSON)

        # requests are counted after their answer is written: wait for all three
        def counted():
            text = self.server.request("GET", "/metrics")[2].decode()
            values = (metric_value(text, "appcore_model_requests_total",
                                   {"model": "multi", "version": "2", "protocol": "oip",
                                    "status": "200"}),
                      metric_value(text, "appcore_model_request_duration_seconds_count",
                                   {"model": "multi", "version": "2"}),
                      metric_value(text, "appcore_model_requests_total",
                                   {"model": "_unknown", "version": "_unknown",
                                    "protocol": "oip", "status": "404"}))
            return text if None not in values and values[0] >= 2 and values[1] >= 2 and \
                values[2] >= 1 else None
        text = poll_until(counted, timeout=60, what="the requests in the metrics")
        self.assertGreaterEqual(metric_value(text, "appcore_model_requests_total",
                                             {"model": "multi", "version": "2", "protocol": "oip",
                                              "status": "200"}), 2)
        self.assertGreaterEqual(metric_value(text, "appcore_model_rows_total",
                                             {"model": "multi", "version": "2"}), 6)
        self.assertGreaterEqual(metric_value(text, "appcore_model_request_duration_seconds_count",
                                             {"model": "multi", "version": "2"}), 2)
        # a name no model has is folded: clients cannot create series
        self.assertGreaterEqual(metric_value(text, "appcore_model_requests_total",
                                             {"model": "_unknown", "version": "_unknown",
                                              "protocol": "oip", "status": "404"}), 1)
        self.assertNotIn('model="nope"', text)
        self.assertEqual(metric_value(text, "appcore_model_versions_loaded", {"model": "clf"}), 2)
        self.assertEqual(metric_value(text, "appcore_model_load_duration_seconds_count",
                                      {"model": "clf"}), 2)
        self.assertEqual(metric_value(text, "appcore_model_info",
                                      {"name": "clf", "version": "1",
                                       "objective": "binary:logistic"}), 1)
        # the route label is the path template
        self.assertIn('route="/v2/models/{name}/versions/{version}/infer"', text)

    def test_openapi_document(self):
        status, headers, doc = self.server.json("GET", "/openapi.json")
        self.assertEqual(status, 200)
        self.assertEqual(doc["info"]["version"], VERSION)
        self.assertIn("/v2/models/{name}/versions/{version}/infer", doc["paths"])


class LoadAndUnload(unittest.TestCase):
    def test_repository_api(self):
        with tempfile.TemporaryDirectory(dir=tmp_root()) as tmp:
            put(tmp, "iris", 1, IRIS)
            server = start_server(["--model-repository", tmp])
            try:
                body = oip_request([[5.1, 3.5, 1.4, 0.2]])
                status, _, _ = server.request("POST", "/v2/repository/models/iris/unload", b"", JSON)
                self.assertEqual(status, 200)
                status, headers, doc = server.json("POST", "/v2/models/iris/infer", body, JSON)
                self.assertEqual((status, doc), (503, {"error": "model 'iris' is not available: "
                                                                 "unloaded by request"}))
                self.assertEqual(headers["retry-after"], "1")
                self.assertEqual(server.request("GET", "/v2/models/iris/ready")[0], 503)
                status, _, doc = server.json("POST", "/v2/repository/index", '{"ready": false}', JSON)
                self.assertEqual(doc, [{"name": "iris", "state": "UNAVAILABLE",
                                        "reason": "unloaded by request"}])
                # a new version appears meanwhile: load brings it in
                publish(tmp, "iris", 2, IRIS)
                self.assertEqual(server.request("POST", "/v2/repository/models/iris/load")[0], 200)
                status, _, doc = server.json("POST", "/v2/models/iris/infer", body, JSON)
                self.assertEqual((status, doc["model_version"]), (200, "2"))
                status, _, doc = server.json("POST", "/v2/repository/models/nope/load", "", JSON)
                self.assertEqual((status, doc),
                                 (404, {"error": "no model named 'nope' in the repository"}))
                status, _, doc = server.json("POST", "/v2/repository/models/iris/load",
                                             '{"parameters": {"config": "{}"}}', JSON)
                self.assertEqual(status, 400)
                # a broken version: load says why, and the old one keeps serving
                publish(tmp, "iris", 3, text='{"learner": ')
                status, _, doc = server.json("POST", "/v2/repository/models/iris/load", "", JSON)
                self.assertEqual(status, 400)
                self.assertIn("3/model.json", doc["error"])
                status, _, doc = server.json("POST", "/v2/models/iris/infer", body, JSON)
                self.assertEqual((status, doc["model_version"]), (200, "2"))
                self.assertEqual(server.request("POST", "/v2/repository/index", b"{}", JSON)[0], 200)
                self.assertEqual(server.stop(), 0)
            finally:
                server.kill()

    def test_api_keys_guard_the_repository_api(self):
        with tempfile.TemporaryDirectory(dir=tmp_root()) as tmp:
            put(tmp, "iris", 1, IRIS)
            keys = os.path.join(tmp, ".keys")
            with open(keys, "w") as f:
                f.write("secret-key-123\n")
            server = start_server(["--model-repository", tmp], APPCORE_SERVER_API_KEYS_FILE=keys)
            try:
                for path in ("/v2/repository/index", "/v2/repository/models/iris/unload",
                             "/v2/repository/models/iris/load", "/v2/models/iris/infer"):
                    status, _, doc = server.json("POST", path, "{}", JSON)
                    self.assertEqual((status, doc), (401, {"error": "missing API key: send "
                                                                    "Authorization: Bearer <key>"}))
                status, _, doc = server.json("POST", "/v1/models/iris:predict", "{}",
                                             {"Authorization": "Bearer wrong", **JSON})
                self.assertEqual((status, doc), (403, {"error": "API key not accepted"}))
                status, _, _ = server.request("POST", "/v2/repository/models/iris/unload", b"",
                                              {"Authorization": "Bearer secret-key-123"})
                self.assertEqual(status, 200)
                # probes stay open
                self.assertEqual(server.request("GET", "/v2/health/ready")[0], 503)
                self.assertEqual(server.request("GET", "/v2/health/live")[0], 200)
            finally:
                server.kill()


class Junk(unittest.TestCase):
    def test_junk_is_reported_and_the_rest_served(self):
        with tempfile.TemporaryDirectory(dir=tmp_root()) as tmp:
            put(tmp, "good", 1, IRIS)
            put(tmp, "good", "latest", IRIS)
            put(tmp, "good", "01", IRIS)
            os.makedirs(os.path.join(tmp, "broken", "1", "model.json"))  # unreadable: a directory
            os.makedirs(os.path.join(tmp, "dangling", "1"))
            os.symlink("/nonexistent/model.json", os.path.join(tmp, "dangling", "1", "model.json"))
            os.symlink("loop", os.path.join(tmp, "loop"))
            with open(os.path.join(tmp, "README"), "w") as f:
                f.write("models\n")
            for i in range(10000):
                os.mkdir(os.path.join(tmp, "empty%05d" % i))
            started = time.monotonic()
            server = start_server(["--model-repository", tmp])
            try:
                self.assertLess(time.monotonic() - started, 30)
                status, _, doc = server.json("POST", "/v2/models/good/infer",
                                             oip_request([[5.1, 3.5, 1.4, 0.2]]), JSON)
                self.assertEqual((status, doc["model_version"]), (200, "1"))
                self.assertEqual(server.request("GET", "/v2/health/ready")[0], 200)
                status, _, doc = server.json("POST", "/v2/repository/index", '{"ready": true}', JSON)
                self.assertEqual(doc, [{"name": "good", "version": "1", "state": "READY",
                                        "reason": ""}])
                status, _, doc = server.json("POST", "/v2/repository/index", "", JSON)
                self.assertEqual(len(doc), 10003)
                unavailable = {e["name"]: e["reason"] for e in doc if e["name"] in ("broken", "dangling")}
                self.assertIn("model.json", unavailable["broken"])
                self.assertIn("cannot", unavailable["dangling"])
                log = "".join(server.lines)
                self.assertEqual(log.count('"msg":"model repository entry ignored"'), 4)
                self.assertEqual(log.count('"msg":"model failed to load"'), 2)
                self.assertIn("Too many levels of symbolic links", log)
                self.assertIn("not a version", log)
                text = server.request("GET", "/metrics")[2].decode()
                self.assertEqual(metric_value(text, "appcore_model_load_failures_total",
                                              {"model": "broken"}), 1)
            finally:
                server.kill()


class FileModel(unittest.TestCase):
    def test_model_flag_is_a_repository_of_one(self):
        server = start_server(["--model", IRIS])
        try:
            body = oip_request([[5.1, 3.5, 1.4, 0.2]])
            # configs/config.yaml names it iris, version 1
            status, _, doc = server.json("POST", "/v2/models/iris/infer", body, JSON)
            self.assertEqual((status, doc["model_name"], doc["model_version"]), (200, "iris", "1"))
            status, _, doc = server.json("POST", "/predict", '{"instances": [[5.1, 3.5, 1.4, 0.2]]}',
                                         JSON)
            self.assertEqual((status, doc["model"]), (200, {"name": "iris", "version": "1"}))
            self.assertEqual(server.json("GET", "/v1/models/iris")[0], 200)
        finally:
            server.kill()

    def test_sighup_reloads_and_does_not_kill(self):
        with tempfile.TemporaryDirectory(dir=tmp_root()) as tmp:
            path = os.path.join(tmp, "model.json")
            shutil.copyfile(IRIS, path)
            server = start_server(["--model", path])
            try:
                server.send_signal(signal.SIGHUP)
                poll_until(lambda: '"msg":"reloading models"' in "".join(server.lines),
                           timeout=60, what="the reload log line")
                self.assertIsNone(server.proc.poll())
                # the file changes: SIGHUP loads it (another model under the same name)
                tmp_copy = path + ".new"
                shutil.copyfile(fixture("multi_softmax"), tmp_copy)
                os.rename(tmp_copy, path)
                server.send_signal(signal.SIGHUP)
                poll_until(lambda: server.json("GET", "/model")[2]["objective"] == "multi:softmax",
                           timeout=60, what="the new model")
                # the line is logged around the swap and read by another thread: wait for it
                poll_until(lambda: "".join(server.lines).count('"msg":"model loaded"') >= 2,
                           timeout=60, what="the second load's log line")
                self.assertEqual(server.stop(), 0)
                self.assertEqual("".join(server.lines).count('"msg":"model loaded"'), 2)
            finally:
                server.kill()


class StartupGate(unittest.TestCase):
    def test_every_route_answers_503_until_the_model_loads(self):
        # the model comes through a FIFO: loading waits until the test writes it
        with tempfile.TemporaryDirectory() as tmp:
            fifo = os.path.join(tmp, "model.json")
            os.mkfifo(fifo)
            server = ServerProcess(SERVER, ["--config", CONFIG, "--model", fifo], env=server_env())
            server.start(wait_ready=False)
            try:
                server.wait_for("/health", time.monotonic() + 20)
                doc = server.json("GET", "/openapi.json")[2]
                live = {"/health", "/ready", "/version", "/metrics", "/openapi.json", "/v2",
                        "/v2/health/live", "/v2/health/ready"}
                for template, item in doc["paths"].items():
                    path = template.replace("{name}", "iris").replace("{version}", "1")
                    for method in ("get", "post"):
                        if method not in item:
                            continue
                        status, headers, body = server.request(method.upper(), path, b"{}", JSON)
                        if template in live and template not in ("/ready", "/v2/health/ready"):
                            self.assertEqual(status, 200, template)
                            continue
                        self.assertEqual(status, 503, template)
                        self.assertEqual(headers["retry-after"], "1")
                        message = json.loads(body)["error"]
                        if isinstance(message, dict):
                            message = message["message"]
                        self.assertEqual(message, "model is not loaded yet", template)
                with open(fifo, "wb") as writer, open(IRIS, "rb") as model:
                    writer.write(model.read())
                server.wait_for("/v2/health/ready", time.monotonic() + 20)
                self.assertEqual(server.request("GET", "/v2/models/iris/ready")[0], 200)
            finally:
                server.kill()

    def test_no_request_at_start_gets_a_civetweb_404(self):
        statuses = set()
        for _ in range(20):
            server = ServerProcess(SERVER, ["--config", CONFIG], env=server_env())
            server.start(wait_ready=False)
            try:
                for _ in range(5):
                    try:
                        statuses.add(server.request("GET", "/v2/models/iris/ready")[0])
                    except OSError:
                        pass
            finally:
                server.kill()
        self.assertTrue(statuses <= {200, 503}, statuses)


if __name__ == "__main__":
    serverctl.main()
