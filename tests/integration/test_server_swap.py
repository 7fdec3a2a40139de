"""Zero-loss swaps under load, against the real server and wrk (tests/integration/swap.lua):
a new version is published (renamed into place) and the old one retired, ten times, while wrk
keeps the server saturated; the swap is picked up by polling, by SIGHUP and by the repository
API. Not one answer may be anything but 2xx, no connection may fail, and once a connection has
seen the new version it never sees an older one. A broken version changes nothing but the
logs and metrics; an unloaded model answers 503 without breaking a connection."""
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
from serverctl import ServerProcess, poll_until, track  # noqa: E402
from repotools import (IRIS, JSON, metric_value, oip_request, publish, retire,  # noqa: E402
                       served_versions, tmp_root)

SERVER = os.environ["APPCORE_SERVER"]
SOURCE = os.environ["APPCORE_SOURCE_DIR"]
CONFIG = os.path.join(SOURCE, "configs", "config.yaml")
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "swap.lua")
WRK = shutil.which("wrk")
SWAPS = 10
# one connection per wrk thread, so each thread's answers arrive in order
CONNECTIONS = 4
ROW = [[5.1, 3.5, 1.4, 0.2]]


def server_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPCORE_")}
    env.update(extra)
    return env


class Load:
    """wrk against one path until stopped; summary() is swap.lua's SWAP_SUMMARY."""

    def __init__(self, server, path="/v2/models/m/infer"):
        env = dict(os.environ, SWAP_PATH=path)
        self.proc = track(subprocess.Popen(
            [WRK, "-t%d" % CONNECTIONS, "-c%d" % CONNECTIONS, "-d600s", "--timeout", "10s",
             "-s", SCRIPT, "http://127.0.0.1:%d" % server.port],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env))
        self.server = server
        # under way once the server has answered a few hundred of its requests
        poll_until(lambda: self.requests() >= 500, timeout=60, what="wrk's first requests")

    def requests(self):
        text = self.server.request("GET", "/metrics")[2].decode()
        total = 0
        for line in text.splitlines():
            if line.startswith("appcore_model_requests_total{") and 'protocol="oip"' in line:
                total += float(line.rsplit(" ", 1)[1])
        return total

    def summary(self):
        self.proc.send_signal(signal.SIGINT)
        output = self.proc.communicate(timeout=60)[0]
        for line in output.splitlines():
            if line.startswith("SWAP_SUMMARY "):
                return json.loads(line[len("SWAP_SUMMARY "):])
        raise AssertionError("no summary from wrk:\n" + output)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@unittest.skipIf(WRK is None, "wrk is not installed")
class ZeroLossSwap(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=tmp_root())
        publish(self.tmp, "m", 1, IRIS)
        self.server = None
        self.load = None

    def tearDown(self):
        if self.load is not None:
            self.load.kill()
        if self.server is not None:
            self.server.kill()
        shutil.rmtree(self.tmp)

    def start(self, poll_seconds=0):
        self.server = ServerProcess(SERVER, ["--config", CONFIG, "--model-repository", self.tmp],
                                    env=server_env(APPCORE_MODEL_REPOSITORY_POLL_SECONDS=str(poll_seconds),
                                                   APPCORE_LOGGING_ACCESS_LOG="false"))
        self.server.start()
        self.server.wait_for("/v2/health/ready", time.monotonic() + 30)
        self.load = Load(self.server)

    def infer_version(self):
        status, _, doc = self.server.json("POST", "/v2/models/m/infer", oip_request(ROW), JSON)
        self.assertEqual(status, 200, doc)
        return doc["model_version"]

    def swap_ten_times(self, trigger):
        for version in range(2, SWAPS + 2):
            publish(self.tmp, "m", version, IRIS)
            trigger()
            poll_until(lambda: served_versions(self.server, "m") == [str(version)],
                       timeout=60, what="version %d" % version)
            # a request sent after the swap is answered by the new version
            self.assertEqual(self.infer_version(), str(version))
            retire(self.tmp, "m", version - 1)
            # and wrk keeps the new version busy for a while before the next swap
            before = self.load.requests()
            poll_until(lambda: self.load.requests() >= before + 300, timeout=60,
                       what="requests to version %d" % version)
        summary = self.load.summary()
        self.assert_no_loss(summary)
        self.assertEqual(summary["last_version"], SWAPS + 1)
        self.assertEqual(summary["versions_seen"], SWAPS + 1, summary)
        log = "".join(self.server.lines)
        self.assertEqual(log.count('"msg":"model loaded"'), SWAPS + 1)
        self.assertEqual(log.count('"msg":"model unloaded"'), SWAPS)
        self.assertEqual(self.server.stop(), 0)
        return summary

    def assert_no_loss(self, summary, unavailable=0):
        print("\n%s: %s" % (self.id().rsplit(".", 1)[-1], json.dumps(summary)), file=sys.stderr)
        self.assertGreater(summary["requests"], 1000, summary)
        for key in ("connect", "read", "write", "timeout", "other", "regressions"):
            self.assertEqual(summary[key], 0, (key, summary))
        if unavailable == 0:
            self.assertEqual(summary["status"], 0, summary)
            self.assertEqual(summary["ok"], summary["requests"], summary)

    def test_publish_by_rename_picked_up_by_polling(self):
        self.start(poll_seconds=1)
        self.swap_ten_times(lambda: None)

    def test_publish_then_sighup(self):
        self.start()
        self.swap_ten_times(lambda: self.server.send_signal(signal.SIGHUP))

    def test_publish_then_load_api(self):
        self.start()

        def load():
            status, _, _ = self.server.request("POST", "/v2/repository/models/m/load", b"", JSON)
            self.assertEqual(status, 200)
        self.swap_ten_times(load)

    def test_broken_version_changes_nothing_but_logs_and_metrics(self):
        self.start()
        with open(IRIS) as f:
            text = f.read()
        publish(self.tmp, "m", 2, text=text[:len(text) // 2])
        self.server.send_signal(signal.SIGHUP)
        poll_until(lambda: '"msg":"model failed to load"' in "".join(self.server.lines),
                   timeout=60, what="the failure in the log")
        failures = metric_value(self.server.request("GET", "/metrics")[2].decode(),
                                "appcore_model_load_failures_total", {"model": "m"})
        self.assertEqual(failures, 1)
        self.assertEqual(self.infer_version(), "1")
        self.assertEqual(served_versions(self.server, "m"), ["1"])
        # the fixed file, published again, swaps in as usual
        retire(self.tmp, "m", 2)
        publish(self.tmp, "m", 2, IRIS)
        self.server.send_signal(signal.SIGHUP)
        poll_until(lambda: served_versions(self.server, "m") == ["2"], timeout=60, what="version 2")
        summary = self.load.summary()
        self.assert_no_loss(summary)
        self.assertEqual(summary["last_version"], 2)
        log = "".join(self.server.lines)
        self.assertIn('"version":"2","path":"%s' % os.path.join(self.tmp, "m", "2"), log)

    def test_unload_under_load(self):
        self.start()
        status, _, _ = self.server.request("POST", "/v2/repository/models/m/unload", b"", JSON)
        self.assertEqual(status, 200)
        poll_until(lambda: self.server.request("POST", "/v2/models/m/infer",
                                               oip_request(ROW).encode(), JSON)[0] == 503,
                   timeout=60, what="503 after unload")
        # let wrk meet the unloaded model for a while, as new requests do
        before = self.load.requests()
        poll_until(lambda: self.load.requests() >= before + 500, timeout=60, what="requests after unload")
        summary = self.load.summary()
        self.assert_no_loss(summary, unavailable=1)
        self.assertGreater(summary["ok"], 0, summary)
        self.assertGreater(summary["unavailable"], 0, summary)
        self.assertEqual(summary["ok"] + summary["unavailable"], summary["requests"], summary)
        status, headers, doc = self.server.json("POST", "/v2/models/m/infer", oip_request(ROW), JSON)
        self.assertEqual((status, doc), (503, {"error": "model 'm' is not available: unloaded by "
                                                        "request"}))
        self.assertEqual(headers["retry-after"], "1")


if __name__ == "__main__":
    if WRK is None:
        print("SKIP: wrk is not installed")
        sys.exit(77)
    serverctl.main()
