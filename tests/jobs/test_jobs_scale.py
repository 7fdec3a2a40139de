"""Batch jobs at size and under failure, with real redis-server, appcore-server and workers:
- a 1,000,000-row CSV job scored by 2 workers equals `appcore-cli predict` on the same file,
  line for line, and XGBoost's own predictions for every row;
- a worker killed with SIGKILL while it holds a chunk: another takes the chunk over after the
  visibility timeout, and the job still has exactly one prediction per row, in order;
- Redis restarted mid-job (append-only file): the workers retry, then finish the job.
"""
import json
import os
import random
import signal
import subprocess
import unittest

import jobsctl
from jobsctl import Stack, cases, csv_line, poll_until

MODEL = "multi_softprob"  # 13 features, 3 probabilities per row, missing values


def write_rows(path, count, seed):
    """count rows drawn from the fixture's 40 rows (so XGBoost's prediction of each is known);
    returns the fixture row index of every line."""
    lines = [csv_line(r) for r in cases(MODEL)["rows"]]
    rng = random.Random(seed)
    picks = [rng.randrange(len(lines)) for _ in range(count)]
    with open(path, "w") as f:
        f.write("\n".join(lines[i] for i in picks))
        f.write("\n")
    return picks


class JobsAtScale(unittest.TestCase):
    def test_million_rows_two_workers(self):
        with Stack(model=MODEL, workers=2,
                   settings={"APPCORE_JOBS_CHUNK_ROWS": "20000",
                             "APPCORE_JOBS_VISIBILITY_TIMEOUT_MS": "30000"},
                   worker_settings={"APPCORE_LOGGING_LEVEL": "debug"}) as stack:
            path = os.path.join(stack.jobs_dir, "million.csv")
            picks = write_rows(path, 1000000, seed=17)
            with open(path, "rb") as f:
                job = stack.submit_ok(f.read())
            self.assertEqual((job["rows_total"], job["chunks_total"]), (1000000, 50))
            done = stack.wait_finished(job["id"], timeout=300)
            self.assertEqual(done["state"], "succeeded", done)
            status, headers, body = stack.result(job["id"])
            self.assertEqual(status, 200)
            self.assertEqual(int(headers["content-length"]), len(body))
            # line for line what the CLI writes for the same file
            expected = stack.cli_predict(path)
            self.assertEqual(len(body), len(expected))
            self.assertTrue(body == expected, "the job's result differs from appcore-cli predict")
            # and XGBoost's predictions of every row
            xgb = cases(MODEL)["value"]
            lines = body.decode().split("\n")
            self.assertEqual(lines[-1], "")
            self.assertEqual(len(lines) - 1, 1000000)
            for n, (line, pick) in enumerate(zip(lines, picks)):
                got = [float(v) for v in line.split(",")]
                want = xgb[3 * pick:3 * pick + 3]
                if max(abs(g - w) for g, w in zip(got, want)) > 1e-6:
                    self.fail(f"line {n + 1}: {got} != XGBoost's {want}")
            # both workers took part
            for worker in stack.workers:
                self.assertTrue([e for e in worker.events("chunk") if e["event"] == "done"],
                                "a worker scored no chunk")
            self.check_sample_with_xgboost(path, body)

    def check_sample_with_xgboost(self, path, body):
        """When Debian's python3-xgboost is installed, predict a sample of the file's rows with
        XGBoost itself (not only its recorded fixture predictions)."""
        python = "/usr/bin/python3"
        if not os.path.exists(python) or subprocess.run(
                [python, "-c", "import xgboost"], capture_output=True).returncode != 0:
            print("python3-xgboost not installed: sample check against XGBoost skipped")
            return
        script = (
            "import sys, json, numpy, xgboost\n"
            "lines = open(sys.argv[1]).read().split('\\n')\n"
            "picks = json.loads(sys.argv[3])\n"
            "rows = [[float(v) if v else numpy.nan for v in lines[i].split(',')] for i in picks]\n"
            "b = xgboost.Booster(model_file=sys.argv[2])\n"
            "p = b.predict(xgboost.DMatrix(numpy.array(rows, dtype=numpy.float32)))\n"
            "print(json.dumps(p.tolist()))\n")
        sample = random.Random(3).sample(range(1000000), 500)
        result = subprocess.run([python, "-c", script, path, jobsctl.fixture(MODEL),
                                 json.dumps(sample)], capture_output=True, text=True,
                                timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = body.decode().split("\n")
        for i, want in zip(sample, json.loads(result.stdout)):
            got = [float(v) for v in lines[i].split(",")]
            self.assertLessEqual(max(abs(g - w) for g, w in zip(got, want)), 1e-6, (i, got, want))


class JobsSurviveFailures(unittest.TestCase):
    def test_worker_killed_mid_job(self):
        with Stack(model=MODEL, workers=2,
                   settings={"APPCORE_JOBS_CHUNK_ROWS": "2000",
                             "APPCORE_JOBS_VISIBILITY_TIMEOUT_MS": "1000"},
                   worker_settings={"APPCORE_LOGGING_LEVEL": "debug"}) as stack:
            path = os.path.join(stack.jobs_dir, "kill.csv")
            write_rows(path, 200000, seed=5)
            with open(path, "rb") as f:
                job = stack.submit_ok(f.read())
            victim, survivor = stack.workers

            # catch the victim while it holds a chunk it has not recorded: stop it, look at
            # its pending entries, let it go on if it holds none
            def holding_a_chunk():
                victim.signal(signal.SIGSTOP)
                _, pending = stack.redis.cli("XPENDING", "appcore:jobs:queue", "appcore-workers",
                                             "-", "+", "10", victim.consumer)
                if pending:
                    return pending.split("\n")[0]
                victim.signal(signal.SIGCONT)
                return None

            entry = poll_until(holding_a_chunk, 60, "the worker to hold a chunk")
            victim.signal(signal.SIGKILL)
            victim.proc.wait()
            done = stack.wait_finished(job["id"], timeout=180)
            self.assertEqual(done["state"], "succeeded", done)
            self.assertEqual(done["rows_done"], 200000)
            body = stack.result(job["id"])[2]
            self.assertEqual(body.count(b"\n"), 200000)
            self.assertTrue(body == stack.cli_predict(path),
                            "the job's result differs from appcore-cli predict")
            # the survivor took the dead worker's chunk over
            reclaimed = [e for e in survivor.events("chunk") if e["reclaimed"]]
            self.assertTrue(reclaimed, "no chunk was taken over")
            # and it left the queue: nothing pending, no entry left
            self.assertEqual(stack.redis.cli_ok("XLEN", "appcore:jobs:queue"), "0")
            _, pending = stack.redis.cli("XPENDING", "appcore:jobs:queue", "appcore-workers",
                                         "-", "+", "10")
            self.assertEqual(pending, "", f"still pending after the job: {pending} ({entry})")

    def test_redis_restarted_mid_job(self):
        # inputs and results in Redis (no jobs directory): the append-only file carries them
        with Stack(model=MODEL, workers=2,
                   settings={"APPCORE_JOBS_CHUNK_ROWS": "2000", "APPCORE_JOBS_DIR": "",
                             "APPCORE_JOBS_INLINE_MAX_BYTES": "67108864"}) as stack:
            path = os.path.join(stack.jobs_dir, "restart.csv")
            write_rows(path, 100000, seed=9)
            with open(path, "rb") as f:
                job = stack.submit_ok(f.read())
            poll_until(lambda: stack.status(job["id"])[2]["rows_done"] > 0, 60,
                       "the job to start")
            # hold the workers, so that the job is certainly unfinished when Redis goes
            for worker in stack.workers:
                worker.signal(signal.SIGSTOP)
            before = stack.status(job["id"])[2]
            self.assertEqual(before["state"], "running", before)
            self.assertLess(before["rows_done"], 100000)
            stack.redis.stop()
            for worker in stack.workers:
                worker.signal(signal.SIGCONT)
            poll_until(lambda: all(w.has("job store unavailable, retrying")
                                   for w in stack.workers), 30, "the workers to notice")
            # meanwhile: submissions 503, predictions unaffected
            status, _, _ = stack.submit(b"1,2,3\n")
            self.assertEqual(status, 503)
            row = cases(MODEL)["rows"][0]
            status, _, _ = stack.server.request("POST", "/predict",
                                                json.dumps({"instances": [row]}).encode(),
                                                {"Content-Type": "application/json"})
            self.assertEqual(status, 200)
            stack.redis.start()
            done = stack.wait_finished(job["id"], timeout=180)
            self.assertEqual(done["state"], "succeeded", done)
            self.assertTrue(stack.result(job["id"])[2] == stack.cli_predict(path),
                            "the job's result differs from appcore-cli predict")
            poll_until(lambda: all(w.has("job store reachable again") for w in stack.workers),
                       30, "the workers to report Redis back")


if __name__ == "__main__":
    jobsctl.main()
