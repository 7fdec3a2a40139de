#!/usr/bin/env python3
"""Prediction-log benchmark, all in one run against a private PostgreSQL (tests/predlog/pgctl.py):

1. /predict throughput with the log on (database up) vs off: the same appcore-server binary,
   iris model, one-row requests, wrk with keep-alive; off/on alternate ROUNDS times so the
   machine's noise hits both alike. Reports each pair's ratio and the median.
2. The writer's sustained rows/s into PostgreSQL (bench_predlog_writer): record REQUESTS x ROWS
   as fast as one thread can, until the last row is committed; and the cost of one
   appcore_predlog_record() on the caller's thread.

   bench/predlog.sh            # DURATION=10 ROUNDS=3 CONNECTIONS=16 REQUESTS=40000 ROWS=5
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tests", "predlog"))
import pgctl  # noqa: E402
import serverctl  # noqa: E402

BUILD = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build-release"))
DURATION = int(os.environ.get("DURATION", "10"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "16"))
REQUESTS = int(os.environ.get("REQUESTS", "40000"))
ROWS = int(os.environ.get("ROWS", "5"))
MODEL = os.path.join(ROOT, "examples", "models", "iris.json")


def wrk(port, body_file):
    env = dict(os.environ, BODY_FILE=body_file)
    script = os.path.join(ROOT, "bench", "http", "predict.lua")
    url = f"http://127.0.0.1:{port}/predict"
    subprocess.run(["wrk", "-t1", "-c4", "-d2s", "-s", script, url], env=env,
                   stdout=subprocess.DEVNULL, check=True)  # warm-up
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", "-s",
                          script, url], env=env, capture_output=True, text=True,
                         check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def serve(pg, spool, log_on):
    env = dict(os.environ, APPCORE_MODEL_PATH=MODEL, APPCORE_LOGGING_ACCESS_LOG="false",
               APPCORE_SERVER_THREADS="64",
               APPCORE_PREDICTION_LOG_ENABLED="true" if log_on else "false",
               APPCORE_PREDICTION_LOG_URL=pg.url(),
               APPCORE_PREDICTION_LOG_PASSWORD_FILE=pg.password_file,
               APPCORE_PREDICTION_LOG_SPOOL_DIR=spool)
    server = serverctl.ServerProcess(os.path.join(BUILD, "appcore-server", "appcore-server"),
                                     env=env).start()
    server.wait_for("/ready", __import__("time").monotonic() + 15)
    return server


def main():
    subprocess.run(["meson", "compile", "-C", BUILD, "appcore-server", "bench_predlog_writer"],
                   check=True, stdout=subprocess.DEVNULL)
    tmp = tempfile.mkdtemp(prefix="appcore-bench-predlog-")
    body = os.path.join(tmp, "request.json")
    with open(body, "w") as f:
        json.dump({"instances": [[5.1, 3.5, 1.4, 0.2]]}, f)
    pg = pgctl.Postgres()
    results = {"http": [], "writer": None}
    try:
        for round_ in range(ROUNDS):
            pair = {}
            for log_on in (False, True):
                spool = os.path.join(tmp, f"spool-{round_}")
                server = serve(pg, spool, log_on)
                try:
                    pair["on" if log_on else "off"] = wrk(server.port, body)
                finally:
                    server.stop()
            pair["ratio"] = pair["on"]["rps"] / pair["off"]["rps"]
            results["http"].append(pair)
            print(f"round {round_ + 1}: off {pair['off']['rps']:.0f} req/s, on "
                  f"{pair['on']['rps']:.0f} req/s, ratio {pair['ratio']:.3f}", file=sys.stderr)
        logged = int(pg.scalar("SELECT count(*) FROM appcore_predictions"))
        answered = sum(p["on"]["requests"] for p in results["http"])
        print(f"rows logged during the log-on runs: {logged} (wrk counted {answered} requests "
              f"plus warm-ups)", file=sys.stderr)
        pg.psql("TRUNCATE appcore_predictions")
        out = subprocess.run([os.path.join(BUILD, "bench", "predlog", "bench_predlog_writer"),
                              pg.url(), os.path.join(tmp, "writer-spool"), MODEL,
                              str(REQUESTS), str(ROWS)],
                             env=dict(os.environ, PGPASSWORD=pgctl.PASSWORD), capture_output=True,
                             text=True, check=True).stdout
        results["writer"] = json.loads(out)
        print(f"writer: {out.strip()}", file=sys.stderr)
    finally:
        pg.destroy()
        shutil.rmtree(tmp, ignore_errors=True)
    ratios = [p["ratio"] for p in results["http"]]
    print("| run | log off req/s | log on req/s | on/off | p99 off / on (µs) |")
    print("|---|---|---|---|---|")
    for i, p in enumerate(results["http"]):
        print(f"| {i + 1} | {p['off']['rps']:.0f} | {p['on']['rps']:.0f} | {p['ratio']:.3f} | "
              f"{p['off']['p99_us']} / {p['on']['p99_us']} |")
    print(f"\nmedian on/off ratio: {statistics.median(ratios):.3f}")
    w = results["writer"]
    print(f"writer: {w['rows_written']} rows ({w['requests']} requests x "
          f"{w['rows_per_request']} rows, batch_rows {w['batch_rows']}) in {w['seconds']} s = "
          f"{w['rows_per_second']:.0f} rows/s into PostgreSQL; appcore_predlog_record() "
          f"{w['record_ns_per_request']:.0f} ns per request on the caller's thread")
    return 0 if statistics.median(ratios) >= 0.85 else 1


if __name__ == "__main__":
    sys.exit(main())
