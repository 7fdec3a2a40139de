"""GET /openapi.json, validated with a real OpenAPI validator (@apidevtools/swagger-parser,
installed from npm into a cache directory on first use), and every kind of answer the real
server gives checked against the schema the document declares for it.

Skipped (exit 77) when npm is not installed or the package cannot be installed. The cache is
$APPCORE_NPM_CACHE, else ~/.cache/appcore/npm."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverctl  # noqa: E402
from serverctl import ServerProcess  # noqa: E402
from repotools import IRIS, JSON, cases, fixture, oip_request, put, tmp_root  # noqa: E402

SERVER = os.environ["APPCORE_SERVER"]
SOURCE = os.environ["APPCORE_SOURCE_DIR"]
CONFIG = os.path.join(SOURCE, "configs", "config.yaml")
VALIDATOR = os.path.join(SOURCE, "tests", "openapi", "validate.cjs")
PACKAGE = "@apidevtools/swagger-parser@10.1.1"


def npm_modules():
    """The node_modules directory with swagger-parser, installing it once; None if impossible."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        return None
    cache = os.environ.get("APPCORE_NPM_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "appcore", "npm")
    modules = os.path.join(cache, "node_modules")
    if not os.path.isfile(os.path.join(modules, "@apidevtools", "swagger-parser", "package.json")):
        os.makedirs(cache, exist_ok=True)
        result = subprocess.run([npm, "install", "--prefix", cache, "--no-audit", "--no-fund",
                                 "--loglevel=error", PACKAGE], capture_output=True, text=True,
                                timeout=600)
        if result.returncode != 0:
            print("npm install failed:\n" + result.stderr, file=sys.stderr)
            return None
    return modules


def server_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("APPCORE_")}


class OpenApi(unittest.TestCase):
    def test_document_is_valid_and_describes_the_answers(self):
        modules = npm_modules()
        if modules is None:
            self.skipTest("npm or @apidevtools/swagger-parser unavailable")
        with tempfile.TemporaryDirectory(dir=tmp_root()) as tmp:
            repo = os.path.join(tmp, "repo")
            put(repo, "iris", 1, IRIS)
            put(repo, "iris", 2, IRIS, config="version_policy: all\n")
            put(repo, "multi", 1, fixture("multi_softprob"))
            server = ServerProcess(SERVER, ["--config", CONFIG, "--model-repository", repo],
                                   env=server_env())
            server.start()
            try:
                server.wait_for("/v2/health/ready", time.monotonic() + 30)
                samples = self.collect(server)
                status, _, document = server.request("GET", "/openapi.json")
                self.assertEqual(status, 200)
            finally:
                server.kill()
            doc_path = os.path.join(tmp, "openapi.json")
            samples_path = os.path.join(tmp, "samples.json")
            with open(doc_path, "wb") as f:
                f.write(document)
            with open(samples_path, "w") as f:
                json.dump(samples, f)
            result = subprocess.run(["node", VALIDATOR, modules, doc_path, samples_path],
                                    capture_output=True, text=True, timeout=120)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertIn("valid: 26 paths", result.stdout)

    def collect(self, server):
        """One answer of each kind, from every route."""
        rows = cases("multi_softprob")["rows"][:3]
        iris = [[5.1, 3.5, 1.4, 0.2], [6.2, None, 4.8, 1.8]]
        infer = json.loads(oip_request(iris, request_id="7", outputs=["predict", "margin"]))
        calls = [
            ("get", "/health", "/health", None),
            ("get", "/ready", "/ready", None),
            ("get", "/version", "/version", None),
            ("get", "/metrics", "/metrics", None),
            ("get", "/openapi.json", "/openapi.json", None),
            ("post", "/predict", "/predict", {"model": "iris", "instances": iris}),
            ("post", "/predict", "/predict", {"model": "multi", "instances": rows,
                                              "output": "margin"}),
            ("post", "/predict", "/predict", {"instances": iris}),  # 422: two models
            ("post", "/predict", "/predict", {"model": "nope", "instances": iris}),
            ("get", "/model", "/model", None),
            ("get", "/v2", "/v2", None),
            ("get", "/v2/health/live", "/v2/health/live", None),
            ("get", "/v2/health/ready", "/v2/health/ready", None),
            ("get", "/v2/models/{name}", "/v2/models/iris", None),
            ("get", "/v2/models/{name}", "/v2/models/nope", None),
            ("get", "/v2/models/{name}/versions/{version}", "/v2/models/iris/versions/1", None),
            ("get", "/v2/models/{name}/ready", "/v2/models/iris/ready", None),
            ("get", "/v2/models/{name}/versions/{version}/ready", "/v2/models/iris/versions/9/ready",
             None),
            ("post", "/v2/models/{name}/infer", "/v2/models/iris/infer", infer),
            ("post", "/v2/models/{name}/infer", "/v2/models/multi/infer",
             json.loads(oip_request(rows, datatype="FP64", flat=False))),
            ("post", "/v2/models/{name}/versions/{version}/infer", "/v2/models/iris/versions/2/infer",
             json.loads(oip_request(iris))),
            ("post", "/v2/models/{name}/infer", "/v2/models/iris/infer",
             {"inputs": [{"name": "x", "datatype": "BYTES", "shape": [1, 4], "data": ["a"] * 4}]}),
            ("post", "/v2/repository/index", "/v2/repository/index", {"ready": True}),
            ("post", "/v2/repository/index", "/v2/repository/index", {}),
            ("post", "/v2/repository/models/{name}/unload", "/v2/repository/models/multi/unload",
             {}),
            ("post", "/v2/repository/models/{name}/load", "/v2/repository/models/multi/load", {}),
            ("post", "/v2/repository/models/{name}/load", "/v2/repository/models/nope/load", {}),
            ("post", "/v1/models/{name}:predict", "/v1/models/iris:predict", {"instances": iris}),
            ("post", "/v1/models/{name}:predict", "/v1/models/iris:predict",
             {"signature_name": "serving_default",
              "inputs": {"sepal_length": [5.1, 6.2], "petal_width": [0.2, 1.8]}}),
            ("post", "/v1/models/{name}/versions/{version}:predict",
             "/v1/models/iris/versions/1:predict", {"instances": [[1, 2]]}),
            ("get", "/v1/models/{name}", "/v1/models/iris", None),
            ("get", "/v1/models/{name}/versions/{version}", "/v1/models/iris/versions/3", None),
        ]
        samples = []
        for method, template, path, request in calls:
            payload = json.dumps(request).encode() if request is not None else None
            status, headers, body = server.request(method.upper(), path, payload, JSON)
            is_json = headers.get("content-type", "").startswith("application/json")
            samples.append({"method": method, "path": template, "status": status,
                            "request": request if status < 400 else None,
                            "body": json.loads(body) if body and is_json else None})
        statuses = {s["status"] for s in samples}
        self.assertEqual(statuses, {200, 400, 404, 422})
        return samples


if __name__ == "__main__":
    if shutil.which("npm") is None:
        print("SKIP: npm is not installed")
        sys.exit(77)
    if npm_modules() is None:
        print("SKIP: @apidevtools/swagger-parser could not be installed")
        sys.exit(77)
    serverctl.main()
