"""The /v1/jobs API against real redis-server, appcore-server and appcore-cli worker processes:
answers, errors and the bad inputs issue 17 names (docs/jobs.md)."""
import json
import os
import subprocess
import unittest

import jobsctl
from jobsctl import Stack, cases, csv_line, poll_until


def fixture_csv(name, repeat=1, header=False):
    """The fixture's rows (XGBoost's own test rows) as CSV text, repeated."""
    c = cases(name)
    lines = [csv_line(r) for r in c["rows"]] * repeat
    if header:
        with open(jobsctl.fixture(name)) as f:
            names = json.load(f)["learner"]["feature_names"]
        lines.insert(0, ",".join(names))
    return "\n".join(lines) + "\n"


class JobsApi(unittest.TestCase):
    """One stack for the fast checks: Redis, the server, one worker with two threads."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(model="multi_softprob", workers=1,
                          settings={"APPCORE_JOBS_CHUNK_ROWS": "7"},
                          worker_settings={"APPCORE_JOBS_WORKER_THREADS": "2"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()

    def write(self, name, text):
        path = os.path.join(self.stack.jobs_dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def assert_error(self, answer, status, code, message=None):
        got_status, headers, data = answer
        self.assertEqual(got_status, status, data)
        self.assertEqual(headers["content-type"], "application/json")
        doc = json.loads(data)
        self.assertEqual(doc["error"]["code"], code, doc)
        if message is not None:
            self.assertEqual(doc["error"]["message"], message)
        return doc

    def test_csv_job_from_submit_to_result(self):
        text = fixture_csv("multi_softprob", repeat=3)
        path = self.write("three.csv", text)
        job = self.stack.submit_ok(text.encode())
        self.assertEqual(job["state"], "queued")
        self.assertEqual(job["rows_total"], 120)
        self.assertEqual(job["chunks_total"], 18)  # 120 rows, 7 per chunk
        self.assertEqual(job["model"], {"name": "multi_softprob", "version": "7"})
        self.assertEqual(job["format"], "csv")
        done = self.stack.wait_finished(job["id"])
        self.assertEqual(done["state"], "succeeded", done)
        self.assertEqual((done["rows_done"], done["chunks_done"], done["progress"]), (120, 18, 1))
        self.assertIsNotNone(done["finished_at"])
        status, headers, body = self.stack.result(job["id"])
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/csv")
        self.assertEqual(int(headers["content-length"]), len(body))
        self.assertEqual(body, self.stack.cli_predict(path))
        # and XGBoost's predictions, row by row
        expected = cases("multi_softprob")["value"] * 3
        got = [float(v) for line in body.decode().splitlines() for v in line.split(",")]
        self.assertEqual(len(got), len(expected))
        for g, e in zip(got, expected):
            self.assertLessEqual(abs(g - e), 1e-6)

    def test_head_of_result(self):
        job = self.stack.submit_ok(fixture_csv("multi_softprob").encode())
        self.stack.wait_finished(job["id"])
        status, headers, body = self.stack.server.request("HEAD", f"/v1/jobs/{job['id']}/result")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(int(headers["content-length"]), self.stack.status(job["id"])[2]["result_bytes"])

    def test_margin_output_and_version(self):
        text = fixture_csv("multi_softprob")
        path = self.write("margin.csv", text)
        job = self.stack.submit_ok(text.encode(),
                                   query="model=multi_softprob&version=7&output=margin")
        self.assertEqual(job["output"], "margin")
        self.assertEqual(self.stack.wait_finished(job["id"])["state"], "succeeded")
        body = self.stack.result(job["id"])[2]
        self.assertEqual(body, self.stack.cli_predict(path, "--output", "margin"))

    def test_ndjson_job(self):
        c = cases("multi_softprob")
        text = "\n".join(json.dumps(r) for r in c["rows"]) + "\n"
        path = self.write("rows.ndjson", text)
        job = self.stack.submit_ok(text.encode(), content_type="application/x-ndjson")
        self.assertEqual(self.stack.wait_finished(job["id"])["state"], "succeeded")
        status, headers, body = self.stack.result(job["id"])
        self.assertEqual(headers["content-type"], "application/x-ndjson")
        self.assertEqual(body, self.stack.cli_predict(path))
        self.assertTrue(body.startswith(b"["))

    def test_chunked_upload(self):
        text = fixture_csv("multi_softprob", repeat=2).encode()
        path = self.write("chunked.csv", text.decode())
        pieces = [text[i:i + 100] for i in range(0, len(text), 100)]
        conn = self.stack.server.connection(timeout=30)
        conn.putrequest("POST", "/v1/jobs?model=multi_softprob")
        conn.putheader("Content-Type", "text/csv")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        for piece in pieces:
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        conn.send(b"0\r\n\r\n")
        response = conn.getresponse()
        doc = json.loads(response.read())
        conn.close()
        self.assertEqual(response.status, 202, doc)
        self.assertEqual(doc["rows_total"], 80)
        self.stack.wait_finished(doc["id"])
        self.assertEqual(self.stack.result(doc["id"])[2], self.stack.cli_predict(path))

    def test_input_path_job(self):
        text = fixture_csv("multi_softprob", repeat=2)
        os.makedirs(os.path.join(self.stack.jobs_dir, "in"), exist_ok=True)
        path = self.write("in/data.csv", text)
        status, headers, data = self.stack.submit(
            json.dumps({"model": "multi_softprob", "input_path": "in/data.csv"}).encode(),
            content_type="application/json", query="")
        self.assertEqual(status, 202, data)
        job = json.loads(data)
        self.assertEqual(job["rows_total"], 80)
        self.assertEqual(self.stack.wait_finished(job["id"])["state"], "succeeded")
        self.assertEqual(self.stack.result(job["id"])[2], self.stack.cli_predict(path))
        # the file named is read where it is, never copied or removed
        self.assertTrue(os.path.exists(path))

    def test_malformed_line_fails_the_job_with_its_line(self):
        lines = fixture_csv("multi_softprob", repeat=2).splitlines()
        lines[52] = lines[52].replace(",", ",x", 1)  # line 53, in the eighth chunk
        job = self.stack.submit_ok(("\n".join(lines) + "\n").encode())
        done = self.stack.wait_finished(job["id"])
        self.assertEqual(done["state"], "failed")
        self.assertEqual(done["error"]["code"], "invalid_request")
        self.assertEqual(done["error"]["line"], 53)
        self.assertTrue(done["error"]["message"].startswith("line 53: column 2: expected a finite "
                                                            "number or an empty field, got 'x"),
                        done["error"])
        doc = self.assert_error(self.stack.result(job["id"]), 409, "conflict")
        self.assertIn("failed, it has no result: line 53", doc["error"]["message"])

    def test_malformed_ndjson_line(self):
        text = '[1,2,3,4,5,6,7,8,9,10,11,12,13]\n[1,2,"x",4,5,6,7,8,9,10,11,12,13]\n'
        job = self.stack.submit_ok(text.encode(), content_type="application/x-ndjson")
        done = self.stack.wait_finished(job["id"])
        self.assertEqual(done["state"], "failed")
        self.assertEqual(done["error"]["line"], 2)
        self.assertEqual(done["error"]["message"],
                         "line 2: row[2]: expected a number or null, got string")

    def test_unknown_model_is_400(self):
        self.assert_error(self.stack.submit(b"1,2\n", query="model=nope"), 400, "bad_request",
                          "no model named 'nope'")
        self.assert_error(self.stack.submit(b"1,2\n", query="model=multi_softprob&version=8"),
                          400, "bad_request")
        self.assert_error(self.stack.submit(
            json.dumps({"model": "nope", "input_path": "x.csv"}).encode(),
            content_type="application/json", query=""), 400, "bad_request")

    def test_request_errors(self):
        self.assert_error(self.stack.submit(b"1\n", query=""), 422, "invalid_request",
                          "name the model: POST /v1/jobs?model=NAME[&version=VERSION]")
        self.assert_error(self.stack.submit(b"1\n", query="model=multi_softprob&color=red"), 422,
                          "invalid_request",
                          "unknown query parameter 'color' (expected model, version, output)")
        self.assert_error(self.stack.submit(b"1\n", query="model=multi_softprob&output=proba"),
                          422, "invalid_request")
        self.assert_error(self.stack.submit(b"1\n", content_type="text/plain"), 415,
                          "unsupported_media_type")
        self.assert_error(self.stack.submit(b"{", content_type="application/json", query=""),
                          400, "parse_error")
        self.assert_error(self.stack.submit(b'{"model":"multi_softprob","input_path":"a.csv",'
                                            b'"colour":1}', content_type="application/json",
                                            query=""), 422, "invalid_request")

    def test_path_outside_the_jobs_dir_is_403(self):
        os.symlink("/etc/passwd", os.path.join(self.stack.jobs_dir, "link.csv"))
        for path in ("../outside.csv", "/etc/passwd", "in/../../x.csv", "link.csv",
                     ".appcore-jobs/x/input"):
            body = json.dumps({"model": "multi_softprob", "input_path": path,
                               "format": "csv"}).encode()
            self.assert_error(self.stack.submit(body, content_type="application/json", query=""),
                              403, "forbidden")
        body = json.dumps({"model": "multi_softprob", "input_path": "missing.csv"}).encode()
        self.assert_error(self.stack.submit(body, content_type="application/json", query=""),
                          422, "invalid_request",
                          "input_path 'missing.csv': No such file or directory")

    def test_empty_inputs_are_refused(self):
        self.assert_error(self.stack.submit(b""), 422, "invalid_request",
                          "the input has no rows (0 bytes)")
        self.assert_error(self.stack.submit(b"\n\r\n\n"), 422, "invalid_request",
                          "the input has no rows (4 bytes)")
        self.write("empty.csv", "")
        self.assert_error(self.stack.submit(
            json.dumps({"model": "multi_softprob", "input_path": "empty.csv"}).encode(),
            content_type="application/json", query=""), 422, "invalid_request")

    def test_no_empty_chunks_from_blank_lines(self):
        # 7 rows per chunk: blank lines right at chunk ends and at the end of the input must
        # not make chunks of their own (a chunk of 0 rows and 0 bytes of predictions)
        rows = fixture_csv("multi_softprob").splitlines()[:14]
        text = "\n".join(rows[:7]) + "\n\n\n" + "\n".join(rows[7:]) + "\n\n\n\n"
        path = self.write("blank.csv", text)
        job = self.stack.submit_ok(text.encode())
        self.assertEqual((job["rows_total"], job["chunks_total"]), (14, 2))
        self.assertEqual(self.stack.wait_finished(job["id"])["state"], "succeeded")
        body = self.stack.result(job["id"])[2]
        self.assertEqual(body, self.stack.cli_predict(path))
        self.assertEqual(len(body.splitlines()), 14)

    def test_line_too_long(self):
        self.assert_error(self.stack.submit(b"1" * (1024 * 1024 + 1) + b"\n"), 422,
                          "limit_exceeded",
                          "line 1: longer than 1048576 bytes, the longest line a job accepts")

    def test_cancel_finished_job_is_409(self):
        job = self.stack.submit_ok(fixture_csv("multi_softprob").encode())
        self.assertEqual(self.stack.wait_finished(job["id"])["state"], "succeeded")
        doc = self.assert_error(self.stack.server.request("DELETE", f"/v1/jobs/{job['id']}"),
                                409, "conflict")
        self.assertEqual(doc["error"]["message"],
                         f"job {job['id']} has already finished (succeeded): only queued or "
                         f"running jobs can be cancelled")

    def test_unknown_job(self):
        for method, suffix in (("GET", ""), ("DELETE", ""), ("GET", "/result")):
            self.assert_error(self.stack.server.request(
                method, "/v1/jobs/0123456789abcdef0123456789abcdef" + suffix), 404, "not_found")
        self.assert_error(self.stack.server.request("GET", "/v1/jobs/nope"), 404, "not_found",
                          "no job nope (job ids are 32 hexadecimal digits)")
        status, headers, _ = self.stack.server.request("PUT", "/v1/jobs/nope")
        self.assertEqual((status, headers["allow"]), (405, "GET, HEAD, DELETE"))

    def test_job_metrics(self):
        job = self.stack.submit_ok(fixture_csv("multi_softprob").encode())
        self.stack.wait_finished(job["id"])

        def scraped():
            text = self.stack.server.request("GET", "/metrics")[2].decode()
            return text if "appcore_jobs_rows_scored_total" in text and \
                "appcore_jobs_store_up 1" in text else None

        text = poll_until(scraped, 10, "job metrics")
        self.assertIn('appcore_jobs{state="queued"}', text)
        self.assertIn('appcore_jobs_finished_total{state="succeeded"}', text)
        self.assertIn("appcore_jobs_rows_per_second", text)


class JobsWithoutWorkers(unittest.TestCase):
    """Jobs stay queued without a worker: results are not ready, cancelling works."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(model="multi_softprob", workers=0).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()

    def test_result_before_ready_is_409_and_cancel(self):
        job = self.stack.submit_ok(fixture_csv("multi_softprob").encode())
        status, headers, data = self.stack.result(job["id"])
        self.assertEqual(status, 409)
        self.assertEqual(headers["retry-after"], "2")
        self.assertEqual(json.loads(data)["error"]["message"],
                         f"job {job['id']} is queued: its result is ready when its state is "
                         f"succeeded")
        status, _, doc = self.stack.server.json("DELETE", f"/v1/jobs/{job['id']}")
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["state"], "cancelled")
        self.assertIsNotNone(doc["finished_at"])
        status, _, data = self.stack.result(job["id"])
        self.assertEqual(status, 409)
        self.assertIn("was cancelled", json.loads(data)["error"]["message"])
        # a worker that starts now drops the cancelled job's chunks from the queue
        worker = self.stack.add_worker()
        self.addCleanup(worker.kill)
        poll_until(lambda: self.stack.redis.cli_ok("XLEN", "appcore:jobs:queue") == "0", 20,
                   "the cancelled job's chunks to leave the queue")
        self.assertEqual(self.stack.status(job["id"])[2]["state"], "cancelled")
        self.assertEqual(worker.stop(), 0)

    def test_input_changed_after_submission_fails_the_job(self):
        # path jobs read their file where it is: a worker that finds it changed (or swapped
        # for a link to a file outside the directory) fails the job instead of scoring it
        directory = self.stack.jobs_dir
        text = fixture_csv("multi_softprob")
        jobs = {}
        for name in ("shrunk.csv", "edited.csv", "swapped.csv"):
            with open(os.path.join(directory, name), "w") as f:
                f.write(text)
            jobs[name] = self.stack.submit_ok(
                json.dumps({"model": "multi_softprob", "input_path": name}).encode(),
                content_type="application/json", query="")
        with open(os.path.join(directory, "shrunk.csv"), "w") as f:
            f.write(text[:100])
        with open(os.path.join(directory, "edited.csv"), "w") as f:
            first, rest = text.split("\n", 1)
            f.write("\r" * len(first) + "\n" + rest)  # a blank line: one row fewer
        os.remove(os.path.join(directory, "swapped.csv"))
        os.symlink("/etc/passwd", os.path.join(directory, "swapped.csv"))
        worker = self.stack.add_worker()
        self.addCleanup(worker.kill)
        messages = {name: self.stack.wait_finished(job["id"])["error"]["message"]
                    for name, job in jobs.items()}
        self.assertEqual(messages["shrunk.csv"],
                         "shrunk.csv: shorter than when the job was submitted")
        self.assertEqual(messages["edited.csv"],
                         "chunk 0 (from line 1) has 39 rows, 40 when the job was submitted: "
                         "the input changed")
        self.assertEqual(messages["swapped.csv"],
                         "the job's input 'swapped.csv' is not in the jobs directory")
        self.assertEqual(worker.stop(), 0)

    def test_worker_stops_cleanly_on_sigterm(self):
        worker = self.stack.add_worker()
        self.addCleanup(worker.kill)
        job = self.stack.submit_ok(fixture_csv("multi_softprob", repeat=5).encode())
        self.assertEqual(self.stack.wait_finished(job["id"])["state"], "succeeded")
        self.assertEqual(worker.stop(), 0)
        self.assertTrue(worker.has("worker stopping") and worker.has("worker stopped"),
                        worker.text())
        # a worker that stopped cleanly leaves no consumer behind in the group
        _, consumers = self.stack.redis.cli("XINFO", "CONSUMERS", "appcore:jobs:queue",
                                            "appcore-workers")
        self.assertNotIn(worker.consumer, consumers)


class JobsLimits(unittest.TestCase):
    """Where inputs go and what is refused: no jobs directory, small limits, jobs off."""

    def test_without_a_directory_big_inputs_are_413(self):
        with Stack(workers=1, settings={"APPCORE_JOBS_DIR": "",
                                        "APPCORE_JOBS_INLINE_MAX_BYTES": "2000"}) as stack:
            small = fixture_csv("multi_softprob").encode()[:1500]
            small = small[:small.rindex(b"\n") + 1]
            job = stack.submit_ok(small)
            self.assertEqual(stack.wait_finished(job["id"])["state"], "succeeded")
            status, _, data = stack.submit(fixture_csv("multi_softprob").encode())
            self.assertEqual(status, 413, data)
            self.assertIn("jobs.inline_max_bytes", json.loads(data)["error"]["message"])
            status, _, data = stack.submit(
                json.dumps({"model": "multi_softprob", "input_path": "x.csv"}).encode(),
                content_type="application/json", query="")
            self.assertEqual(status, 403, data)

    def test_upload_over_max_body_bytes_is_413(self):
        with Stack(workers=0, settings={"APPCORE_JOBS_MAX_BODY_BYTES": "1000"}) as stack:
            status, headers, data = stack.submit(b"1," * 1000)
            self.assertEqual(status, 413, data)
            self.assertEqual(headers["connection"], "close")

    def test_jobs_off_is_503(self):
        with Stack(workers=0, jobs=False) as stack:
            status, _, data = stack.submit(b"1\n")
            self.assertEqual(status, 503)
            self.assertEqual(json.loads(data)["error"]["message"],
                             "batch jobs are off: jobs.redis_url is not configured")

    def test_redis_down_is_503_and_predict_still_answers(self):
        with Stack(workers=0) as stack:
            stack.redis.stop()
            status, headers, data = stack.submit(fixture_csv("multi_softprob").encode())
            self.assertEqual(status, 503, data)
            self.assertEqual(headers["retry-after"], "1")
            message = json.loads(data)["error"]["message"]
            self.assertTrue(message.startswith(f"job store unavailable: redis at 127.0.0.1:"
                                               f"{stack.redis.port}: "), message)
            row = cases("multi_softprob")["rows"][0]
            status, _, doc = stack.server.json("POST", "/predict",
                                               json.dumps({"instances": [row]}).encode(),
                                               {"Content-Type": "application/json"})
            self.assertEqual(status, 200, doc)

    def test_worker_needs_a_redis_url(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("APPCORE_")}
        env["APPCORE_MODEL_PATH"] = jobsctl.fixture("multi_softprob")
        result = subprocess.run([jobsctl.CLI, "worker"], env=env, capture_output=True,
                                text=True, timeout=30)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr,
                         "appcore-cli worker: jobs.redis_url is empty: set it in the "
                         "configuration, with APPCORE_JOBS_REDIS_URL or --redis-url\n")
        result = subprocess.run([jobsctl.CLI, "worker", "--redis-url", "http://x"], env=env,
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 1)
        self.assertIn("jobs.redis_url: unknown scheme", result.stderr)


if __name__ == "__main__":
    jobsctl.main()
