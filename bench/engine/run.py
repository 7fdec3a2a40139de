#!/usr/bin/env python3
"""Issue 15's engine benchmark: appcore against XGBoost (C API and Python inplace_predict),
ONNX Runtime and optional external peers, in alternating rounds, on the models that
make_models.py generates. Outputs of every scorer are checked on all rows before timing counts.

    /usr/bin/python3 bench/engine/run.py --build build-release --models DIR \
        [--rounds 3] [--seconds 0.3] [--node-modules DIR] [--peer NAME=CMD ...] [--only a,b]

Each round runs, one after the other: build/bench/engine/bench_engine (appcore batch on 1 and N
threads, appcore single row, XGBoost's C API batch and single row), XGBoost's Python
inplace_predict (nthread=1) in this process, ONNX Runtime through node (when --node-modules
has onnxruntime-node), then each --peer command, called as `CMD DIR NAME 1 SECONDS`, which must
print JSON lines: {"check": ..., "outside_tolerance": n} once, then
{"NAME_batch_1t": rows/s, "NAME_single_ns": ns}. Prints best and median per figure as a
Markdown table; --json FILE keeps the raw rounds.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np
import xgboost as xgb

HERE = pathlib.Path(__file__).resolve().parent


def json_lines(text):
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def run(cmd, env=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"run.py: {' '.join(map(str, cmd))} failed ({proc.returncode})")
    return json_lines(proc.stdout), proc.stderr


class PythonXGB:
    """XGBoost's inplace_predict on one thread, as a data scientist would call it."""

    def __init__(self, models, name, info):
        self.booster = xgb.Booster(model_file=str(models / info["model"]))
        self.booster.set_param({"nthread": 1})
        nf, n = info["num_features"], info["num_rows"]
        self.rows = np.fromfile(models / f"{name}.rows.f32", dtype=np.float32).reshape(n, nf)
        want = np.fromfile(models / f"{name}.value.f32", dtype=np.float32)
        got = np.asarray(self.booster.inplace_predict(self.rows), dtype=np.float32).ravel()
        if not np.array_equal(got, want):
            raise SystemExit(f"run.py: inplace_predict differs from the stored values on {name}")

    def round(self, seconds, clock):
        start, calls = clock(), 0
        while True:
            self.booster.inplace_predict(self.rows)
            calls += 1
            elapsed = clock() - start
            if elapsed >= seconds:
                break
        batch = calls * len(self.rows) / elapsed
        singles = [self.rows[i:i + 1] for i in range(min(4096, len(self.rows)))]
        start, calls = clock(), 0
        while True:
            for _ in range(20):
                self.booster.inplace_predict(singles[calls % len(singles)])
                calls += 1
            elapsed = clock() - start
            if elapsed >= seconds:
                break
        return {"xgboost_py_batch_1t": batch, "xgboost_py_single_ns": elapsed * 1e9 / calls}


def fmt_rate(v):
    return f"{v / 1e6:.2f} M" if v >= 1e6 else f"{v / 1e3:.0f} k"


def fmt_ns(v):
    return f"{v / 1e3:.3f} µs" if v < 10e3 else f"{v / 1e3:.1f} µs"


def report(name, info, rounds, meta, checks):
    keys = sorted({k for r in rounds for k in r if k != "round"})
    best = {k: (min if k.endswith("_ns") else max)(r[k] for r in rounds) for k in keys}
    med = {k: statistics.median(r[k] for r in rounds) for k in keys}
    scorers = []
    for k in keys:
        if k.endswith("_batch_1t"):
            scorers.append(k[:-len("_batch_1t")])
    speed = [r["appcore_wall_nt"] / r["appcore_wall_1t"] for r in rounds]
    lines = [f"### {name} (kernel {meta['kernel']}): {meta['trees']} trees, {info['num_features']} features, "
             f"{meta['rows']} rows, {meta['visits_per_row']:.0f} nodes visited per row", "",
             "| scorer | batch 1 thread, best (median) | appcore ÷ it | single row, best (median) "
             "| it ÷ appcore |", "|---|---|---|---|---|"]
    a_batch, a_single = best["appcore_batch_1t"], best["appcore_single_ns"]
    for s in scorers:
        b, sn = best.get(f"{s}_batch_1t"), best.get(f"{s}_single_ns")
        lines.append(f"| {s} | {fmt_rate(b)} ({fmt_rate(med[f'{s}_batch_1t'])}) rows/s | "
                     f"{a_batch / b:.2f}x | {fmt_ns(sn)} ({fmt_ns(med[f'{s}_single_ns'])}) | "
                     f"{sn / a_single:.2f}x |")
    ns_node = 1e9 / a_batch / meta["visits_per_row"]
    lines.append("")
    lines.append(f"appcore: {ns_node:.2f} ns per node visited (batch, 1 thread); "
                 f"{meta['threads']} threads (wall time, same round): best {max(speed):.2f}x, "
                 f"median {statistics.median(speed):.2f}x one thread "
                 f"({fmt_rate(best['appcore_wall_nt'])} rows/s).")
    for c in checks:
        lines.append(f"check: {c}")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", type=pathlib.Path, required=True)
    ap.add_argument("--models", type=pathlib.Path, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=0.3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--node-modules", type=pathlib.Path)
    ap.add_argument("--peer", action="append", default=[], help="NAME=COMMAND")
    ap.add_argument("--only")
    ap.add_argument("--baseline", metavar="KERNEL",
                    help="also time appcore with this kernel each round (lockstep: the engine "
                         "before issue 15), reported as appcore_KERNEL")
    ap.add_argument("--json", type=pathlib.Path)
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                    help="single-thread figures on the thread's CPU time (default: robust on a "
                         "shared machine) or wall time; thread speedups are always wall time")
    args = ap.parse_args()
    manifest = json.loads((args.models / "manifest.json").read_text())
    bench = args.build / "bench" / "engine" / "bench_engine"
    node_env = None
    if args.node_modules:
        node_env = dict(os.environ, NODE_PATH=str(args.node_modules.resolve()))
    peers = [p.split("=", 1) for p in args.peer]
    clock = time.thread_time if args.clock == "cpu" else time.perf_counter
    os.environ["BENCH_CLOCK"] = args.clock
    raw = {}
    for name, info in manifest.items():
        if args.only and name not in args.only.split(","):
            continue
        if node_env and not (args.models / f"{name}.onnx").exists():
            subprocess.run([sys.executable, str(HERE / "xgb_to_onnx.py"),
                            str(args.models / info["model"]),
                            str(args.models / f"{name}.onnx")], check=True)
        py = PythonXGB(args.models, name, info)
        checks = ["xgboost python inplace_predict equals the stored values"]
        rounds, meta = [], None
        for i in range(args.rounds):
            lines, err = run([str(bench), str(args.models), name, "--rounds", "1",
                              "--seconds", str(args.seconds), "--threads", str(args.threads),
                              "--clock", args.clock])
            meta, r = lines[0], dict(lines[1])
            if i == 0:
                checks += [ln.strip() for ln in err.splitlines() if ln.startswith("check")]
            if args.baseline:
                lines, _ = run([str(bench), str(args.models), name, "--rounds", "1",
                                "--seconds", str(args.seconds), "--threads", "1",
                                "--clock", args.clock, "--kernel", args.baseline])
                r[f"appcore_{args.baseline}_batch_1t"] = lines[1]["appcore_batch_1t"]
                r[f"appcore_{args.baseline}_single_ns"] = lines[1]["appcore_single_ns"]
            r.update(py.round(args.seconds, clock))
            if node_env:
                lines, _ = run(["node", str(HERE / "bench_onnx.js"), str(args.models), name, "1",
                                str(args.seconds)], env=node_env)
                if i == 0:
                    checks.append(json.dumps(lines[0]))
                r.update({k: v for k, v in lines[1].items() if k != "round"})
            for pname, cmd in peers:
                lines, _ = run(cmd.split() + [str(args.models), name, "1", str(args.seconds)])
                if i == 0:
                    checks.append(f"{pname}: {json.dumps(lines[0])}")
                r.update({k: v for k, v in lines[-1].items() if k != "round"})
            r["round"] = i
            rounds.append(r)
            print(json.dumps(r), file=sys.stderr, flush=True)
        raw[name] = {"meta": meta, "rounds": rounds, "checks": checks}
        print(report(name, info, rounds, meta, checks), flush=True)
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1) + "\n")


if __name__ == "__main__":
    main()
