"""appcore-cli predict and inspect against the real binary and the committed fixtures."""
import json
import os
import pty
import subprocess
import tempfile
import unittest

import serverctl

CLI = os.environ["APPCORE_CLI"]
SOURCE = os.environ["APPCORE_SOURCE_DIR"]
FIXTURES = os.path.join(SOURCE, "tests", "fixtures", "models")
IRIS = os.path.join(SOURCE, "examples", "models", "iris.json")


def run(*args, stdin="", env=None):
    full_env = dict(os.environ)
    full_env.pop("APPCORE_MODEL_PATH", None)
    full_env.update(env or {})
    return subprocess.run([CLI, *args], input=stdin, capture_output=True, text=True, timeout=60,
                          env=full_env)


def fixture(name):
    return os.path.join(FIXTURES, name + ".json")


def cases(name):
    with open(os.path.join(FIXTURES, name + ".cases.json")) as f:
        return json.load(f)


class PredictJson(unittest.TestCase):
    def assert_matches_xgboost(self, predictions, expected, probability):
        flat = [v for p in predictions for v in (p if isinstance(p, list) else [p])]
        self.assertEqual(len(flat), len(expected))
        for got, want in zip(flat, expected):
            tolerance = 1e-6 if probability else 1e-5 * abs(want)
            self.assertLessEqual(abs(got - want), tolerance, (got, want))

    def test_fixture_predictions_end_to_end(self):
        for name in ("binary_missing", "multi_softprob", "reg_squarederror", "dart"):
            c = cases(name)
            for output in ("value", "margin"):
                request = json.dumps({"instances": c["rows"], "output": output})
                result = run("predict", "--model", fixture(name), stdin=request)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(result.stderr, "")
                self.assertTrue(result.stdout.endswith("}\n"))
                self.assertNotIn("\n", result.stdout[:-1])
                doc = json.loads(result.stdout)
                self.assertEqual(doc["model"], {"name": name, "version": ""})
                self.assert_matches_xgboost(
                    doc["predictions"], c[output], c["probability"] and output == "value")

    def test_exact_body_and_margin_flag(self):
        request = '{"instances": [[5.1, 3.5, 1.4, 0.2]]}'
        by_flag = run("predict", "--model", IRIS, "--output", "margin", stdin=request)
        by_request = run("predict", "--model", IRIS,
                         stdin='{"instances": [[5.1, 3.5, 1.4, 0.2]], "output": "margin"}')
        self.assertEqual(by_flag.returncode, 0)
        self.assertEqual(by_flag.stdout, by_request.stdout)
        self.assertEqual(by_flag.stdout,
                         '{"predictions":[[3.61817026,-1.5881815,-2.28376389]],'
                         '"model":{"name":"iris","version":""}}\n')

    def test_model_from_environment(self):
        result = run("predict", stdin='{"instances": [[5.1, 3.5, 1.4, 0.2]]}',
                     env={"APPCORE_MODEL_PATH": IRIS})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout)["model"]["name"], "iris")

    def test_default_model_path_comes_from_configuration(self):
        # no --model: model.path from the built-in defaults, relative to the working directory
        with tempfile.TemporaryDirectory() as empty:
            result = subprocess.run([CLI, "predict"], input="{}", capture_output=True, text=True,
                                    timeout=60, cwd=empty,
                                    env={k: v for k, v in os.environ.items()
                                         if not k.startswith("APPCORE_") or k == "APPCORE_CLI"})
        self.assertEqual(result.returncode, 4)
        self.assertTrue(result.stderr.startswith("appcore-cli predict: examples/models/iris.json: "),
                        result.stderr)

    def test_config_file_sets_model_and_identity(self):
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "config.yaml")
            with open(config, "w") as f:
                f.write(f"model:\n  path: {IRIS}\n  name: flowers\n  version: \"7\"\n  max_batch_rows: 1\n")
            result = run("predict", "--config", config, stdin='{"instances": [[5.1, 3.5, 1.4, 0.2]]}')
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(json.loads(result.stdout)["model"], {"name": "flowers", "version": "7"})
            result = run("predict", "--config", config, stdin='{"instances": [[1, 2, 3, 4], [1, 2, 3, 4]]}')
            self.assertEqual(result.returncode, 3)
            self.assertEqual(json.loads(result.stdout)["error"]["code"], "limit_exceeded")

    def test_bad_model_exits_4(self):
        result = run("predict", "--model", os.path.join(FIXTURES, "make_fixtures.py"), stdin="{}")
        self.assertEqual(result.returncode, 4)
        self.assertIn("make_fixtures.py: not valid JSON at line 1, column 1", result.stderr)
        result = run("predict", "--model", "/nonexistent/m.json", stdin="{}")
        self.assertEqual(result.returncode, 4)
        self.assertEqual(result.stderr, "appcore-cli predict: /nonexistent/m.json: cannot open: "
                                        "No such file or directory\n")

    def test_bad_request_prints_server_error_body(self):
        result = run("predict", "--model", IRIS, stdin='{"instances": [[1, 2, "x", 4]]}')
        self.assertEqual(result.returncode, 3)
        self.assertEqual(result.stdout, '{"error":{"code":"invalid_request","message":'
                                        '"instances[0][2]: expected a number or null, got string"}}\n')
        self.assertEqual(result.stderr, "appcore-cli predict: instances[0][2]: expected a number "
                                        "or null, got string\n")

    def test_unparseable_request(self):
        result = run("predict", "--model", IRIS, stdin='{"instances":\n [[1, 2,]]}')
        self.assertEqual(result.returncode, 3)
        doc = json.loads(result.stdout)
        self.assertEqual(doc["error"]["code"], "parse_error")
        self.assertEqual((doc["error"]["line"], doc["error"]["column"]), (2, 9))

    def test_usage_errors(self):
        for args in (["--output", "prob"], ["--input-format", "xml"], ["--bogus"], ["--model"]):
            result = run("predict", *args)
            self.assertEqual(result.returncode, 2, args)
            self.assertTrue(result.stderr.startswith("appcore-cli predict: "), result.stderr)


class PredictStreams(unittest.TestCase):
    def test_csv_with_header_in_any_order(self):
        result = run("predict", "--model", IRIS, "--input-format", "csv",
                     stdin="petal_width,sepal_length,petal_length,sepal_width\n"
                           "0.2,5.1,1.4,3.5\n1.8,6.2,4.8,\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        by_json = run("predict", "--model", IRIS,
                      stdin='{"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, null, 4.8, 1.8]]}')
        expected = json.loads(by_json.stdout)["predictions"]
        self.assertEqual(result.stdout,
                         "".join(",".join(f"{v}" for v in row) + "\n" for row in
                                 [[format(v, ".9g") for v in r] for r in expected]))

    def test_csv_without_header_and_bad_line(self):
        result = run("predict", "--model", fixture("reg_squarederror"), "--input-format", "csv",
                     stdin="1,2,3,4,5,6,7,8,9,10\n,,,,,,,,,NA\n1,2,x,4,5,6,7,8,9,10\n1,2\n")
        self.assertEqual(result.returncode, 3)
        self.assertEqual(len(result.stdout.splitlines()), 2)
        self.assertEqual(result.stderr, "appcore-cli predict: line 3: column 3: expected a finite "
                                        "number or an empty field, got 'x'\n")
        result = run("predict", "--model", fixture("reg_squarederror"), "--input-format", "csv",
                     stdin="1,2\n")
        self.assertEqual(result.stderr, "appcore-cli predict: line 1: expected 10 fields, got 2\n")

    def test_csv_header_errors(self):
        result = run("predict", "--model", IRIS, "--input-format", "csv", stdin="sepal,petal\n")
        self.assertEqual(result.returncode, 3)
        self.assertEqual(result.stderr,
                         "appcore-cli predict: line 1: column 1: unknown feature \"sepal\"\n")
        result = run("predict", "--model", fixture("gblinear"), "--input-format", "csv",
                     stdin="a,b,c,d,e,f,g,h,i,j\n")
        self.assertEqual(result.returncode, 3)
        self.assertIn("line 1: a header row, but the model has no feature names", result.stderr)

    def test_csv_subnormal_values_and_a_numeric_first_line(self):
        # glibc's strtof reports ERANGE for subnormals; they are values all the same (XGBoost
        # writes 1.4e-45 as the split of 0/1 features), and a first line of numbers is data
        rows = "1e-40,1.401298464324817e-45,0,0\n5.1,3.5,1.4,0.2\n"
        result = run("predict", "--model", IRIS, "--input-format", "csv", stdin=rows)
        self.assertEqual(result.returncode, 0, result.stderr)
        by_json = run("predict", "--model", IRIS, "--input-format", "ndjson",
                      stdin="[1e-40, 1.401298464324817e-45, 0, 0]\n[5.1, 3.5, 1.4, 0.2]\n")
        self.assertEqual(by_json.returncode, 0, by_json.stderr)
        self.assertEqual(result.stdout.splitlines(),
                         [",".join(format(v, ".9g") for v in json.loads(line))
                          for line in by_json.stdout.splitlines()])
        # a first line with a bad value is a bad line, not a header
        result = run("predict", "--model", IRIS, "--input-format", "csv", stdin="1,x,3,4\n")
        self.assertEqual(result.returncode, 3)
        self.assertEqual(result.stderr, "appcore-cli predict: line 1: column 2: expected a finite "
                                        "number or an empty field, got 'x'\n")
        # overflow is still refused
        result = run("predict", "--model", IRIS, "--input-format", "csv", stdin="1e39,1,2,3\n")
        self.assertEqual(result.returncode, 3)

    def test_non_finite_predictions_are_null_in_every_format(self):
        # count:poisson with a margin of 200 overflows float32 in exp()
        model = {"learner": {"gradient_booster": {"model": {
            "gbtree_model_param": {"num_parallel_tree": "1"}, "tree_info": [0],
            "trees": [{"left_children": [1, -1, -1], "right_children": [2, -1, -1],
                       "split_indices": [0, 0, 0], "split_conditions": [0.5, 200.0, 1.0],
                       "default_left": [1, 0, 0]}]}, "name": "gbtree"},
            "learner_model_param": {"base_score": "1E0", "num_feature": "1"},
            "objective": {"name": "count:poisson"}}}
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(model, f)
            f.flush()
            result = run("predict", "--model", f.name, stdin='{"instances": [[0], [1]]}')
            self.assertEqual(json.loads(result.stdout)["predictions"], [None, 2.71828175])
            for fmt, rows in (("csv", "0\n1\n"), ("ndjson", "[0]\n[1]\n")):
                result = run("predict", "--model", f.name, "--input-format", fmt, stdin=rows)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(result.stdout, "null\n2.71828175\n")

    def test_iteration_ranges_equal_xgboost(self):
        with open(os.path.join(SOURCE, "tests", "fixtures", "iteration_range",
                               "ranges.json")) as f:
            ranges = json.load(f)
        checked = 0
        for c in ranges:
            spec = f"{c['begin']}:{c['end']}"
            for output in ("value", "margin"):
                probability = c["probability"] and output == "value"
                by_flag = run("predict", "--model", fixture(c["model"]), "--output", output,
                              "--iteration-range", spec,
                              stdin=json.dumps({"instances": c["rows"]}))
                self.assertEqual(by_flag.returncode, 0, by_flag.stderr)
                PredictJson.assert_matches_xgboost(self, json.loads(by_flag.stdout)["predictions"],
                                                   c[output], probability)
                by_request = run("predict", "--model", fixture(c["model"]), stdin=json.dumps(
                    {"instances": c["rows"], "output": output,
                     "iteration_range": [c["begin"], c["end"]]}))
                self.assertEqual(by_request.stdout, by_flag.stdout)
                csv_rows = "".join(",".join("" if v is None else repr(v) for v in row) + "\n"
                                   for row in c["rows"])
                by_csv = run("predict", "--model", fixture(c["model"]), "--output", output,
                             "--iteration-range", spec, "--input-format", "csv", stdin=csv_rows)
                self.assertEqual(by_csv.returncode, 0, by_csv.stderr)
                got = [float(v) for line in by_csv.stdout.splitlines() for v in line.split(",")]
                PredictJson.assert_matches_xgboost(self, got, c[output], probability)
                checked += 1
        self.assertEqual(checked, 2 * len(ranges))

    def test_use_best_iteration(self):
        # binary_logistic with early stopping at round 2: [0, 3) by default when asked
        with open(fixture("binary_logistic")) as f:
            text = f.read().replace('"best_iteration":"9"', '"best_iteration":"2"')
        with open(os.path.join(SOURCE, "tests", "fixtures", "iteration_range",
                               "ranges.json")) as f:
            c = next(r for r in json.load(f) if r["model"] == "binary_logistic" and r["end"] == 3)
        with tempfile.NamedTemporaryFile("w", suffix=".json") as model:
            model.write(text)
            model.flush()
            request = json.dumps({"instances": c["rows"]})
            best = run("predict", "--model", model.name, "--use-best-iteration", stdin=request)
            self.assertEqual(best.returncode, 0, best.stderr)
            PredictJson.assert_matches_xgboost(self, json.loads(best.stdout)["predictions"],
                                               c["value"], True)
            by_env = run("predict", "--model", model.name, stdin=request,
                         env={"APPCORE_MODEL_USE_BEST_ITERATION": "true"})
            self.assertEqual(by_env.stdout, best.stdout)
            everything = run("predict", "--model", model.name, stdin=request)
            self.assertNotEqual(everything.stdout, best.stdout)
            info = json.loads(run("inspect", model.name).stdout)
            self.assertEqual((info["best_iteration"], info["num_iterations"]), (2, 10))

    def test_iteration_range_errors(self):
        request = '{"instances": [[5.1, 3.5, 1.4, 0.2]]}'
        for bad in ("3:1", "1", "a:b", "-1:2", "1:"):
            result = run("predict", "--model", IRIS, "--iteration-range", bad, stdin=request)
            self.assertEqual(result.returncode, 2, bad)
            self.assertIn(f"--iteration-range: expected BEGIN:END with BEGIN < END, got '{bad}'",
                          result.stderr)
        result = run("predict", "--model", IRIS, "--iteration-range", "0:99", stdin=request)
        self.assertEqual(result.returncode, 3)
        self.assertEqual(json.loads(result.stdout)["error"],
                         {"code": "invalid_request",
                          "message": "iteration_range [0, 99) is not within the model's 20 "
                                     "iterations"})

    def test_ndjson(self):
        result = run("predict", "--model", IRIS, "--input-format", "ndjson",
                     stdin='[5.1, 3.5, 1.4, 0.2]\n\n{"petal_length": 4.8, "sepal_width": null}\n')
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 2)
        self.assertEqual(len(json.loads(lines[0])), 3)
        result = run("predict", "--model", IRIS, "--input-format", "ndjson",
                     stdin='[5.1, 3.5, 1.4, 0.2]\n[1, 2, 3, true]\n')
        self.assertEqual(result.returncode, 3)
        self.assertEqual(len(result.stdout.splitlines()), 1)
        self.assertEqual(result.stderr, "appcore-cli predict: line 2: row[3]: expected a number or "
                                        "null, got boolean\n")

    def test_large_stream_matches_batches(self):
        rows = [[(r * 7 + f) % 11 * 0.7 for f in range(4)] for r in range(5000)]
        text = "".join(",".join(str(v) for v in row) + "\n" for row in rows)
        result = run("predict", "--model", IRIS, "--input-format", "csv", "--output", "margin",
                     stdin=text)
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 5000)
        first = run("predict", "--model", IRIS, "--output", "margin",
                    stdin=json.dumps({"instances": rows[4990:]}))
        expected = [",".join(format(v, ".9g") for v in p)
                    for p in json.loads(first.stdout)["predictions"]]
        self.assertEqual(lines[4990:], expected)


def many_tree_model(directory, copies):
    """reg_squarederror's 12 trees repeated `copies` times: enough trees (>= 256) that a
    1024-row batch is worth the prediction threads."""
    with open(fixture("reg_squarederror")) as f:
        doc = json.load(f)
    model = doc["learner"]["gradient_booster"]["model"]
    trees = []
    for _ in range(copies):
        for tree in model["trees"]:
            trees.append(dict(tree, id=len(trees)))
    model["trees"] = trees
    model["tree_info"] = [0] * len(trees)
    model["gbtree_model_param"]["num_trees"] = str(len(trees))
    path = os.path.join(directory, "many.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


class PredictThreads(unittest.TestCase):
    def test_threads_keep_row_order_and_values(self):
        rows = [[(r * 13 + f * 5) % 17 * 0.37 - 2 if (r + f) % 9 else "" for f in range(10)]
                for r in range(6000)]
        text = "".join(",".join(str(v) for v in row) + "\n" for row in rows)
        with tempfile.TemporaryDirectory() as tmp:
            model = many_tree_model(tmp, 25)
            one = run("predict", "-m", model, "-f", "csv", "--threads", "1", stdin=text)
            self.assertEqual(one.returncode, 0, one.stderr)
            self.assertEqual(len(one.stdout.splitlines()), 6000)
            for threads in ("2", "3", "0"):
                many = run("predict", "-m", model, "-f", "csv", "-t", threads, stdin=text)
                self.assertEqual(many.returncode, 0, many.stderr)
                self.assertEqual(many.stdout, one.stdout, f"--threads {threads}")
            # the JSON request path uses the same threads
            request = json.dumps({"instances": [[None if v == "" else v for v in row]
                                                for row in rows[:3000]]})
            single = run("predict", "-m", model, "-t", "1", stdin=request)
            pooled = run("predict", "-m", model, "-t", "2", stdin=request)
            self.assertEqual(single.returncode, 0, single.stderr)
            self.assertEqual(pooled.stdout, single.stdout)
            # and the configuration key is the default
            env = run("predict", "-m", model, "-f", "csv", stdin=text,
                      env={"APPCORE_MODEL_PREDICT_THREADS": "2"})
            self.assertEqual(env.stdout, one.stdout)

    def test_bad_thread_counts(self):
        for value, message in (
                ("x", "appcore-cli predict: model.predict_threads: expected an integer, got 'x'\n"),
                ("-1", "appcore-cli predict: model.predict_threads: must be between 0 and 1024, "
                       "got -1\n"),
                ("1025", "appcore-cli predict: model.predict_threads: must be between 0 and "
                         "1024, got 1025\n")):
            result = run("predict", "-m", IRIS, "--threads", value, stdin="")
            self.assertEqual((result.returncode, result.stdout, result.stderr), (2, "", message))


class Progress(unittest.TestCase):
    """On a terminal, stderr carries a progress line; elsewhere nothing."""

    def run_on_tty(self, path):
        primary, secondary = pty.openpty()
        try:
            with open(path) as source:
                proc = subprocess.Popen([CLI, "predict", "-m", IRIS, "-f", "csv"], stdin=source,
                                        stdout=subprocess.DEVNULL, stderr=secondary)
            os.close(secondary)
            secondary = None
            chunks = []
            while True:
                try:
                    chunk = os.read(primary, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            self.assertEqual(proc.wait(timeout=60), 0)
            return b"".join(chunks).decode()
        finally:
            os.close(primary)
            if secondary is not None:
                os.close(secondary)

    def test_progress_line_on_a_terminal_only(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "rows.csv")
            with open(path, "w") as f:
                for r in range(5000):
                    f.write(f"{r % 7},{r % 5},{r % 3},{r % 2}\n")
            shown = self.run_on_tty(path)
            # the first line after the first batch of 1024 rows, with the share of the file
            # read and the time left; the last one with the total
            self.assertRegex(shown, r"\rappcore-cli predict: 1024 rows, [0-9]+ rows/s, "
                                    r"[0-9]+% read, ETA [0-9]+:[0-9]{2}\x1b\[K")
            self.assertRegex(shown, r"\rappcore-cli predict: 5000 rows in [0-9.]+ s, "
                                    r"[0-9]+ rows/s\x1b\[K\r?\n$")
            with open(path) as source:
                quiet = subprocess.run([CLI, "predict", "-m", IRIS, "-f", "csv"], stdin=source,
                                       capture_output=True, text=True, timeout=60)
            self.assertEqual((quiet.returncode, quiet.stderr), (0, ""))
            self.assertEqual(len(quiet.stdout.splitlines()), 5000)


class Inspect(unittest.TestCase):
    def test_inspect(self):
        result = run("inspect", fixture("categorical"))
        self.assertEqual(result.returncode, 0, result.stderr)
        doc = json.loads(result.stdout)
        self.assertEqual(doc["name"], "categorical")
        self.assertEqual(doc["objective"], "reg:squarederror")
        self.assertEqual(doc["xgboost_version"], "1.7.4")
        self.assertEqual(doc["num_features"], 10)
        self.assertEqual(doc["num_trees"], 12)
        self.assertEqual(doc["feature_types"], ["q", "c", "c"] + ["q"] * 7)
        self.assertIsNone(doc["feature_names"])

    def test_inspect_errors(self):
        self.assertEqual(run("inspect").returncode, 2)
        self.assertEqual(run("inspect", "a", "b").returncode, 2)
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            f.write('{"learner": {"learner_model_param": {}}}')
            f.flush()
            result = run("inspect", f.name)
        self.assertEqual(result.returncode, 4)
        self.assertIn("learner.objective: missing", result.stderr)


if __name__ == "__main__":
    serverctl.main()
