"""Real components for the batch-job tests: a private redis-server (append-only, on a free
loopback port, in a temporary directory), appcore-server with jobs on, and appcore-cli worker
processes. Every process is registered with serverctl.track, so a run that leaves one behind
fails. Tests skip (exit 77) when redis-server is not installed: scripts/test.sh installs it.
"""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import serverctl  # noqa: E402
from serverctl import ServerProcess, poll_until, track  # noqa: E402

SERVER = os.environ.get("APPCORE_SERVER")
CLI = os.environ.get("APPCORE_CLI")
SOURCE = os.environ.get("APPCORE_SOURCE_DIR", "")
FIXTURES = os.path.join(SOURCE, "tests", "fixtures", "models")
REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")


def skip_without_redis():
    """Exit 77 (meson's skip) when the real Redis is not available."""
    if REDIS_SERVER is None or REDIS_CLI is None:
        print("SKIP: redis-server and redis-cli are needed (apt-get install redis-server)")
        sys.exit(77)


def fixture(name):
    return os.path.join(FIXTURES, name + ".json")


def cases(name):
    with open(os.path.join(FIXTURES, name + ".cases.json")) as f:
        return json.load(f)


def shortest_float32(value):
    """The shortest text that reads back (strtof) as the float32 of value."""
    f = struct.unpack("f", struct.pack("f", value))[0]
    for precision in range(1, 10):
        text = "%.*g" % (precision, f)
        if struct.pack("f", float(text)) == struct.pack("f", f):
            return text
    return repr(f)


def csv_line(row):
    return ",".join("" if v is None else shortest_float32(v) for v in row)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """redis-server --appendonly yes in its own directory; restartable on the same port."""

    def __init__(self, directory):
        self.dir = directory
        self.port = free_port()
        self.proc = None
        self.log = os.path.join(directory, "redis.log")

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def start(self, timeout=20.0):
        with open(self.log, "a") as log:
            self.proc = track(subprocess.Popen(
                [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "yes", "--dir", self.dir, "--daemonize", "no",
                 "--protected-mode", "no"],
                stdout=log, stderr=subprocess.STDOUT))

        def answers():
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited:\n" + open(self.log).read())
            return self.cli_ok("PING") == "PONG"

        poll_until(answers, timeout, f"redis-server on port {self.port}")
        return self

    def cli(self, *args):
        """Run one command with redis-cli: (exit code, stdout stripped)."""
        result = subprocess.run([REDIS_CLI, "-p", str(self.port), "--raw", *args],
                                capture_output=True, text=True, timeout=20)
        return result.returncode, result.stdout.strip()

    def cli_ok(self, *args):
        code, out = self.cli(*args)
        return out if code == 0 else None

    def stop(self, timeout=20.0):
        """SIGTERM: Redis flushes the append-only file and exits."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=timeout)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Worker:
    """appcore-cli worker, its log lines collected."""

    def __init__(self, env, args=()):
        self.env = env
        self.args = list(args)
        self.proc = None
        self.lines = []
        self._lock = threading.Lock()

    def start(self):
        self.proc = track(subprocess.Popen([CLI, "worker", *self.args], env=self.env,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                           text=True))
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()
        poll_until(lambda: self.has("worker started") or self._exited(), 20,
                   "the worker to start")
        if self.proc.poll() is not None:
            raise RuntimeError("worker exited:\n" + self.text())
        return self

    def _exited(self):
        return self.proc.poll() is not None

    def _pump(self):
        for line in self.proc.stderr:
            with self._lock:
                self.lines.append(line)

    def text(self):
        with self._lock:
            return "".join(self.lines)

    def has(self, message):
        return f'"msg":"{message}"' in self.text()

    def events(self, message):
        with self._lock:
            lines = list(self.lines)
        return [json.loads(line) for line in lines if f'"msg":"{message}"' in line]

    @property
    def consumer(self):
        # the library's default consumer name: HOSTNAME-PID-N, N counting from 1 per process
        return f"{socket.gethostname()[:63]}-{self.proc.pid}-1"

    def signal(self, signum):
        self.proc.send_signal(signum)

    def stop(self, timeout=30.0):
        """SIGTERM, then the exit code once the process and its last log lines are in."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self._pump_thread.join(timeout)
        return code

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Stack:
    """Redis + appcore-server + workers sharing one jobs directory and one model."""

    def __init__(self, model="multi_softprob", workers=1, settings=None, worker_settings=None,
                 jobs=True):
        self.tmp = tempfile.TemporaryDirectory(prefix="appcore-jobs-")
        self.jobs_dir = os.path.join(self.tmp.name, "jobs")
        os.mkdir(self.jobs_dir)
        redis_dir = os.path.join(self.tmp.name, "redis")
        os.mkdir(redis_dir)
        self.model = model
        self.redis = Redis(redis_dir)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("APPCORE_")}
        self.env.update({
            "APPCORE_MODEL_PATH": fixture(model),
            "APPCORE_MODEL_NAME": model,
            "APPCORE_MODEL_VERSION": "7",
            "APPCORE_JOBS_REDIS_URL": self.redis.url if jobs else "",
            "APPCORE_JOBS_DIR": self.jobs_dir,
            "APPCORE_JOBS_CHUNK_ROWS": "1000",
            "APPCORE_JOBS_VISIBILITY_TIMEOUT_MS": "1000",
            "APPCORE_LOGGING_ACCESS_LOG": "false",
        })
        self.env.update(settings or {})
        self.worker_env = dict(self.env, **(worker_settings or {}))
        self.num_workers = workers
        self.server = None
        self.workers = []

    def start(self):
        try:
            self.redis.start()
            self.server = ServerProcess(SERVER, env=self.env).start()
            # jobs are accepted once the model has loaded
            self.server.wait_for("/ready", time.monotonic() + 30)
            for _ in range(self.num_workers):
                self.add_worker()
        except BaseException:
            self.close()
            raise
        return self

    def add_worker(self, extra_env=None):
        worker = Worker(dict(self.worker_env, **(extra_env or {}))).start()
        self.workers.append(worker)
        return worker

    def close(self):
        """Stop everything with SIGTERM (so that coverage and sanitizer reports are written),
        killing what does not exit in time."""
        # a process that died on its own (a crash, a sanitizer report) shows its log
        for worker in self.workers:
            if worker.proc.poll() not in (None, 0, -signal.SIGKILL):
                print(f"worker exited with {worker.proc.returncode}:\n{worker.text()}",
                      file=sys.stderr)
            try:
                worker.stop(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            worker.kill()
        if self.server is not None:
            if self.server.proc.poll() is not None:
                print(f"appcore-server exited with {self.server.proc.returncode}:\n"
                      + "".join(self.server.lines), file=sys.stderr)
            try:
                self.server.stop(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            self.server.kill()
        try:
            self.redis.stop()
        except subprocess.TimeoutExpired:
            pass
        self.redis.kill()
        self.tmp.cleanup()

    # HTTP helpers

    def submit(self, body, content_type="text/csv", query=None, headers=None):
        query = query if query is not None else f"model={self.model}"
        all_headers = {"Content-Type": content_type}
        all_headers.update(headers or {})
        return self.server.request("POST", "/v1/jobs" + ("?" + query if query else ""), body,
                                   all_headers, timeout=120)

    def submit_ok(self, body, **kwargs):
        status, headers, data = self.submit(body, **kwargs)
        if status != 202:
            raise AssertionError(f"submit answered {status}: {data!r}")
        doc = json.loads(data)
        assert headers["location"] == "/v1/jobs/" + doc["id"], headers
        return doc

    def status(self, job_id):
        return self.server.json("GET", f"/v1/jobs/{job_id}")

    def wait_finished(self, job_id, timeout=120.0):
        def finished():
            status, _, doc = self.status(job_id)
            assert status == 200, (status, doc)
            return doc if doc["state"] in ("succeeded", "failed", "cancelled") else None

        return poll_until(finished, timeout, f"job {job_id} to finish")

    def result(self, job_id):
        return self.server.request("GET", f"/v1/jobs/{job_id}/result", timeout=120)

    def cli_predict(self, path, *args):
        result = subprocess.run([CLI, "predict", "--model", fixture(self.model),
                                 "--input-format", "csv" if path.endswith(".csv") else "ndjson",
                                 *args, path],
                                capture_output=True, timeout=300, env=self.env)
        if result.returncode != 0:
            raise AssertionError(result.stderr.decode())
        return result.stdout

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


def main():
    skip_without_redis()
    serverctl.main()
