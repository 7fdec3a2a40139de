#!/usr/bin/env python3
"""Prediction threads in the shells: appcore-cli predict --threads 1 vs 2 on a CSV file, and
appcore-server's /predict with model.predict_threads 1 vs 2 for large requests, one and four at
a time. Alternating runs in one process; prints Markdown tables.

usage: run.py BUILD_DIR [ROUNDS]"""
import concurrent.futures
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(sys.argv[1])
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
CLI = os.path.join(BUILD, "appcore-cli", "appcore-cli")
SERVER = os.path.join(BUILD, "appcore-server", "appcore-server")
TREES = 500
CSV_ROWS = 100_000
REQUEST_ROWS = 5000
REQUESTS = 40


def write_model(directory):
    """The model: $MODEL when set (e.g. bench/engine's t500_d8_f100.json), else the fixture's
    trees repeated."""
    if os.environ.get("MODEL"):
        return os.environ["MODEL"]
    with open(os.path.join(ROOT, "tests", "fixtures", "models", "reg_squarederror.json")) as f:
        doc = json.load(f)
    model = doc["learner"]["gradient_booster"]["model"]
    base = model["trees"]
    model["trees"] = [dict(base[i % len(base)], id=i) for i in range(TREES)]
    model["tree_info"] = [0] * TREES
    model["gbtree_model_param"]["num_trees"] = str(TREES)
    path = os.path.join(directory, "model.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


FEATURES = 10


def num_features(model):
    with open(model) as f:
        return int(json.load(f)["learner"]["learner_model_param"]["num_feature"])


def row(r):
    return [((r * 31 + f * 17) % 97) * 0.13 - 6 for f in range(FEATURES)]


def cli_seconds(model, csv, threads):
    started = time.perf_counter()
    with open(csv) as source:
        subprocess.run([CLI, "predict", "-m", model, "-f", "csv", "--threads", str(threads)],
                       stdin=source, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def start_server(model, threads):
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPCORE_")}
    # bodies of 5,000 rows of a 100-feature model are ~3 MB
    env.update(APPCORE_MODEL_PREDICT_THREADS=str(threads), APPCORE_LOGGING_ACCESS_LOG="false",
               APPCORE_SERVER_MAX_BODY_BYTES="16777216")
    proc = subprocess.Popen([SERVER, "--host", "127.0.0.1", "--port", "0", "--model", model],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    for line in proc.stderr:
        match = re.search(r'"msg":"listening".*"port":(\d+)', line)
        if match:
            port = int(match.group(1))
            break
    else:
        raise RuntimeError("server did not start")
    for line in proc.stderr:
        if '"msg":"ready"' in line:
            break
    return proc, port


def timed_requests(port, body, count):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    took = []
    for _ in range(count):
        started = time.perf_counter()
        conn.request("POST", "/predict", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        answer = response.read()
        if response.status != 200:
            raise RuntimeError(f"status {response.status}: {answer[:300]!r}")
        took.append(time.perf_counter() - started)
    conn.close()
    return took


def server_latencies(model, threads, body, clients):
    proc, port = start_server(model, threads)
    try:
        timed_requests(port, body, 3)  # warm up
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            parts = list(pool.map(lambda _: timed_requests(port, body, REQUESTS // clients),
                                  range(clients)))
        return [t for part in parts for t in part]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def p99(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def main():
    global FEATURES
    with tempfile.TemporaryDirectory() as tmp:
        model = write_model(tmp)
        FEATURES = num_features(model)
        trees = TREES if not os.environ.get("MODEL") else "the model's"
        csv = os.path.join(tmp, "rows.csv")
        with open(csv, "w") as f:
            for r in range(CSV_ROWS):
                f.write(",".join(f"{v:.4g}" for v in row(r)) + "\n")
        cli = {1: [], 2: []}
        for _ in range(ROUNDS):
            for threads in (1, 2):
                cli[threads].append(cli_seconds(model, csv, threads))
        print(f"### appcore-cli predict -f csv, {CSV_ROWS} rows, "
              f"{ROUNDS} alternating rounds ({os.path.basename(model)}, {trees} trees)\n")
        print("| --threads | median s | best s | rows/s (median) |")
        print("|---|---|---|---|")
        for threads, times in cli.items():
            print(f"| {threads} | {statistics.median(times):.3f} | {min(times):.3f} | "
                  f"{CSV_ROWS / statistics.median(times):,.0f} |")
        print(f"\nspeed-up 2 threads vs 1 (medians): "
              f"{statistics.median(cli[1]) / statistics.median(cli[2]):.2f}x\n")

        body = json.dumps({"instances": [row(r) for r in range(REQUEST_ROWS)]}).encode()
        print(f"### appcore-server /predict, {REQUEST_ROWS} rows per request, "
              f"{REQUESTS} requests per run, {ROUNDS} alternating rounds\n")
        print("| clients | model.predict_threads | median ms | p99 ms |")
        print("|---|---|---|---|")
        for clients in (1, 4):
            seen = {1: [], 2: []}
            for _ in range(ROUNDS):
                for threads in (1, 2):
                    seen[threads] += server_latencies(model, threads, body, clients)
            for threads, took in seen.items():
                print(f"| {clients} | {threads} | {1000 * statistics.median(took):.1f} | "
                      f"{1000 * p99(took):.1f} |")
            print(f"| {clients} | ratio 1 / 2 | "
                  f"{statistics.median(seen[1]) / statistics.median(seen[2]):.2f}x | |")
        print()


if __name__ == "__main__":
    main()
