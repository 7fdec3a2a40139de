"""Every model fixture with expectations (JSON and UBJSON, XGBoost 1.7 to 3.4 layouts) through the
real binaries: appcore-cli predict (JSON, CSV and NDJSON input) and appcore-server's /predict,
values and margins, against the expectations in tests/fixtures/models/*.cases.json (see
make_format_fixtures.py for where each comes from). New fixtures are picked up by name."""
import glob
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverctl import ServerProcess  # noqa: E402

SOURCE = os.environ["APPCORE_SOURCE_DIR"]
FIXTURES = os.path.join(SOURCE, "tests", "fixtures", "models")
CLI = os.environ.get("APPCORE_CLI")
SERVER = os.environ.get("APPCORE_SERVER")


def fixtures():
    """(model path, cases) for every NAME.json / NAME.ubj that has NAME.cases.json."""
    out = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.json")) +
                       glob.glob(os.path.join(FIXTURES, "*.ubj"))):
        if path.endswith(".cases.json"):
            continue
        cases = os.path.splitext(path)[0] + ".cases.json"
        if os.path.exists(cases):
            with open(cases) as f:
                out.append((path, json.load(f)))
    return out


def flatten(predictions):
    return [v for p in predictions for v in (p if isinstance(p, list) else [p])]


def run_cli(*args, stdin=""):
    env = {k: v for k, v in os.environ.items() if k != "APPCORE_MODEL_PATH"}
    return subprocess.run([CLI, *args], input=stdin, capture_output=True, text=True, timeout=60,
                          env=env)


def csv_rows(rows):
    return "".join(",".join("" if v is None else repr(v) for v in row) + "\n" for row in rows)


class Expectations(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fixtures = fixtures()

    def assert_close(self, label, got, want, probability):
        self.assertEqual(len(got), len(want), label)
        for i, (g, w) in enumerate(zip(got, want)):
            tolerance = 1e-6 if probability else 1e-5 * abs(w)
            self.assertLessEqual(abs(g - w), tolerance, f"{label}[{i}]: {g} vs {w}")

    def test_found_the_fixtures(self):
        # a run that found nothing to check must fail
        self.assertGreaterEqual(len(self.fixtures), 60)

    @unittest.skipUnless(CLI, "appcore-cli not built")
    def test_cli_json_csv_ndjson(self):
        for path, cases in self.fixtures:
            name = os.path.basename(path)
            for output in ("value", "margin"):
                probability = cases["probability"] and output == "value"
                result = run_cli("predict", "--model", path,
                                 stdin=json.dumps({"instances": cases["rows"], "output": output}))
                self.assertEqual(result.returncode, 0, f"{name}: {result.stderr}")
                doc = json.loads(result.stdout)
                self.assertEqual(doc["model"]["name"], os.path.splitext(name)[0])
                self.assert_close(f"{name} json {output}", flatten(doc["predictions"]),
                                  cases[output], probability)
                result = run_cli("predict", "--model", path, "--input-format", "csv",
                                 "--output", output, stdin=csv_rows(cases["rows"]))
                self.assertEqual(result.returncode, 0, f"{name} csv: {result.stderr}")
                got = [float(v) for line in result.stdout.splitlines() for v in line.split(",")]
                self.assert_close(f"{name} csv {output}", got, cases[output], probability)
                result = run_cli("predict", "--model", path, "--input-format", "ndjson",
                                 "--output", output,
                                 stdin="".join(json.dumps(r) + "\n" for r in cases["rows"]))
                self.assertEqual(result.returncode, 0, f"{name} ndjson: {result.stderr}")
                got = flatten(json.loads(line) for line in result.stdout.splitlines())
                self.assert_close(f"{name} ndjson {output}", got, cases[output], probability)

    @unittest.skipUnless(CLI, "appcore-cli not built")
    def test_cli_inspect_reports_iterations(self):
        for path, cases in self.fixtures:
            if "num_iterations" not in cases:
                continue
            result = run_cli("inspect", path)
            self.assertEqual(result.returncode, 0, result.stderr)
            doc = json.loads(result.stdout)
            self.assertEqual(doc["num_iterations"], cases["num_iterations"], path)
            if "best_iteration" in cases:
                self.assertEqual(doc["best_iteration"], cases["best_iteration"], path)

    @unittest.skipUnless(CLI, "appcore-cli not built")
    def test_cli_refuses_legacy_binary(self):
        path = os.path.join(FIXTURES, "legacy_binf.model")
        result = run_cli("predict", "--model", path, stdin="{}")
        self.assertEqual(result.returncode, 4)
        self.assertIn("legacy_binf.model: this is a legacy binary XGBoost model", result.stderr)
        self.assertIn("booster.save_model(\"model.json\")", result.stderr)

    @unittest.skipUnless(SERVER, "appcore-server not built")
    def test_server_predict(self):
        for path, cases in self.fixtures:
            name = os.path.basename(path)
            with ServerProcess(SERVER, ["--model", path]) as server:
                server.wait_for("/ready", time.monotonic() + 20)
                if "num_iterations" in cases:
                    status, _, doc = server.json("GET", "/model")
                    self.assertEqual(status, 200)
                    self.assertEqual(doc.get("num_iterations"), cases["num_iterations"], name)
                for output in ("value", "margin"):
                    status, _, doc = server.json("POST", "/predict", json.dumps(
                        {"instances": cases["rows"], "output": output}).encode(),
                        {"Content-Type": "application/json"})
                    self.assertEqual(status, 200, f"{name}: {doc}")
                    self.assert_close(f"{name} server {output}", flatten(doc["predictions"]),
                                      cases[output], cases["probability"] and output == "value")


if __name__ == "__main__":
    unittest.main()
