"""appcore-cli predict --prediction-log against a real PostgreSQL (pgctl.py): every scored row
in the table once, with the inputs read and the predictions written, whatever the format; a
database that is down leaves the rows in the spool for the next run."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverctl  # noqa: E402,F401  (leak check of tracked processes)
import pgctl  # noqa: E402
from pgctl import f32, parse_array  # noqa: E402

pgctl.skip_unless_installed()

CLI = os.environ["APPCORE_CLI"]
SOURCE = os.environ["APPCORE_SOURCE_DIR"]
MODEL = os.path.join(SOURCE, "examples", "models", "iris.json")
PG = None


def setUpModule():
    global PG
    PG = pgctl.Postgres()


def tearDownModule():
    if PG is not None:
        PG.destroy()


class CliPredictionLog(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="appcore-cli-predlog-")
        if PG.proc is None:
            PG.start()
        PG.psql("DROP TABLE IF EXISTS appcore_predictions; "
                "DROP TABLE IF EXISTS appcore_schema_migrations")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_cli(self, *args, stdin="", **settings):
        env = {k: v for k, v in os.environ.items() if not k.startswith("APPCORE_")}
        env.update({
            "APPCORE_MODEL_NAME": "iris",
            "APPCORE_MODEL_VERSION": "7",
            "APPCORE_PREDICTION_LOG_URL": PG.url(),
            "APPCORE_PREDICTION_LOG_PASSWORD_FILE": PG.password_file,
            "APPCORE_PREDICTION_LOG_SPOOL_DIR": os.path.join(self.tmp, "spool"),
            "APPCORE_PREDICTION_LOG_SHUTDOWN_TIMEOUT_MS": "10000",
            "APPCORE_PREDICTION_LOG_CONNECT_TIMEOUT_MS": "1000",
        })
        env.update(settings)
        return subprocess.run([CLI, "predict", "-m", MODEL, *args], input=stdin,
                              capture_output=True, text=True, timeout=120, env=env)

    def logged(self):
        rows = PG.psql("SELECT request_id, row_index, model_name, model_version, inputs, "
                       "outputs, output_kind FROM appcore_predictions "
                       "ORDER BY request_id, row_index")
        return rows

    def test_csv_rows_logged_once_with_their_position(self):
        lines = [f"{r % 7 + 0.5},{'' if r % 5 == 0 else r % 4},{r % 3 + 1.25},{r % 2}"
                 for r in range(2500)]
        result = self.run_cli("-f", "csv", "--prediction-log", "--threads", "1",
                              stdin="sepal_length,sepal_width,petal_length,petal_width\n" +
                              "\n".join(lines) + "\n")
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        answers = result.stdout.splitlines()
        self.assertEqual(len(answers), 2500)
        rows = self.logged()
        self.assertEqual(len(rows), 2500)
        run_ids = {r[0].rsplit("/", 1)[0] for r in rows}
        self.assertEqual(len(run_ids), 1)
        run_id = run_ids.pop()
        self.assertRegex(run_id, r"^cli-[0-9a-f]{32}$")
        # one log request per batch of 1024 rows, named by its first row
        self.assertEqual(sorted({r[0] for r in rows}),
                         sorted(f"{run_id}/{first}" for first in (0, 1024, 2048)))
        for request_id, row_index, name, version, inputs, outputs, kind in rows:
            position = int(request_id.rsplit("/", 1)[1]) + int(row_index)
            want = [None if v == "" else f32(float(v)) for v in lines[position].split(",")]
            self.assertEqual(parse_array(inputs), want)
            self.assertEqual(parse_array(outputs),
                             [f32(float(v)) for v in answers[position].split(",")])
            self.assertEqual((name, version, kind), ("iris", "7", "value"))

    def test_json_request_logged_with_margins(self):
        result = self.run_cli("--prediction-log", "--output", "margin",
                              stdin='{"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, null, 4.8, 1.8]]}')
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        rows = self.logged()
        self.assertEqual([r[1] for r in rows], ["0", "1"])
        self.assertEqual(parse_array(rows[1][4]), [f32(6.2), None, f32(4.8), f32(1.8)])
        self.assertEqual(rows[0][6], "margin")
        self.assertRegex(rows[0][0], r"^cli-[0-9a-f]{32}/0$")

    def test_off_unless_asked(self):
        result = self.run_cli("-f", "csv", stdin="1,2,3,4\n")
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        self.assertEqual(PG.scalar("SELECT to_regclass('appcore_predictions') IS NULL"), "t")
        # the configuration key turns it on as the flag does
        result = self.run_cli("-f", "csv", stdin="1,2,3,4\n",
                              APPCORE_PREDICTION_LOG_ENABLED="true")
        self.assertEqual((result.returncode, result.stderr), (0, ""))
        self.assertEqual(PG.scalar("SELECT count(*) FROM appcore_predictions"), "1")

    def test_database_down_keeps_rows_for_the_next_run(self):
        PG.stop()
        try:
            down = self.run_cli("-f", "csv", "--prediction-log", stdin="1,2,3,4\n5,6,7,8\n",
                                APPCORE_PREDICTION_LOG_SHUTDOWN_TIMEOUT_MS="300")
        finally:
            PG.start()
        self.assertEqual(down.returncode, 0, down.stderr)
        self.assertEqual(len(down.stdout.splitlines()), 2)
        self.assertIn("appcore-cli predict: prediction log: ", down.stderr)
        self.assertIn("the rows not yet in PostgreSQL stay in the spool and are sent by the "
                      "next run with the same spool_dir\n", down.stderr)
        up = self.run_cli("-f", "csv", "--prediction-log", stdin="0,0,0,0\n")
        self.assertEqual((up.returncode, up.stderr), (0, ""))
        rows = self.logged()
        self.assertEqual(len(rows), 3)
        self.assertEqual(len({r[0].rsplit("/", 1)[0] for r in rows}), 2)

    def test_bad_configuration_exits_1(self):
        result = self.run_cli("-f", "csv", "--prediction-log", stdin="1,2,3,4\n",
                              APPCORE_PREDICTION_LOG_URL="")
        self.assertEqual((result.returncode, result.stdout, result.stderr),
                         (1, "", "appcore-cli predict: prediction log: prediction_log.url: a "
                                 "PostgreSQL connection URL is required (or "
                                 "APPCORE_PREDICTION_LOG_URL)\n"))


if __name__ == "__main__":
    serverctl.main()
