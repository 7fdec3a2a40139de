#!/usr/bin/env python3
"""Model benchmark: appcore vs XGBoost's own predictor, same models, same rows, same run.

    meson setup build-release --buildtype=release && meson compile -C build-release
    /usr/bin/python3 bench/model/bench_model.py --build build-release

Needs Debian's python3-xgboost and python3-sklearn (run with /usr/bin/python3). Trains two
models from scikit-learn's bundled data into a temporary directory: 10-class digits, 100 rounds
of depth 6 (1,000 trees), and breast-cancer trained with 20% missing values, 50 trees of depth 6.
XGBoost runs inplace_predict with nthread=1 on batches of the same size; appcore runs
build/bench/model/bench_model (one thread). Prints a Markdown table with the ratios.
"""
import argparse
import json
import pathlib
import subprocess
import tempfile
import time

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer, load_digits

ROOT = pathlib.Path(__file__).resolve().parents[2]


def make_models(tmp, rng):
    models = []
    digits = load_digits()
    x = digits.data.astype(np.float32)
    b = xgb.train({"objective": "multi:softprob", "num_class": 10, "max_depth": 6, "eta": 0.3,
                   "seed": 0, "nthread": 2}, xgb.DMatrix(x, label=digits.target), 100)
    rows = np.tile(x, (12, 1))[:20000]
    models.append(("digits softprob, 1000 trees depth 6", b, rows))

    cancer = load_breast_cancer()
    x = cancer.data.astype(np.float32)
    x_missing = x.copy()
    x_missing[rng.rand(*x.shape) < 0.2] = np.nan
    b = xgb.train({"objective": "binary:logistic", "max_depth": 6, "eta": 0.3, "seed": 0,
                   "nthread": 2}, xgb.DMatrix(x_missing, label=cancer.target, missing=np.nan), 50)
    rows = np.tile(x, (36, 1))[:20000] * rng.uniform(0.9, 1.1, (20000, x.shape[1]))
    rows[rng.rand(*rows.shape) < 0.2] = np.nan
    models.append(("breast-cancer binary with missing, 50 trees depth 6", b,
                   rows.astype(np.float32)))
    out = []
    for i, (label, booster, rows) in enumerate(models):
        path = tmp / f"model{i}.json"
        booster.save_model(str(path))
        booster.set_param({"nthread": 1})
        rows = np.ascontiguousarray(rows, dtype=np.float32)
        rows_path = tmp / f"rows{i}.f32"
        rows.tofile(rows_path)
        out.append((label, booster, rows, path, rows_path))
    return out


def time_xgboost(booster, rows, batch, seconds):
    done, start = 0, time.perf_counter()
    while True:
        for r in range(0, len(rows) - batch + 1, batch):
            booster.inplace_predict(rows[r:r + batch])
            done += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    batch_rate = done / elapsed
    done, start = 0, time.perf_counter()
    while True:
        for r in range(2000):
            booster.inplace_predict(rows[r:r + 1])
        done += 2000
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    return batch_rate, elapsed * 1e9 / done


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build-release")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    binary = ROOT / args.build / "bench" / "model" / "bench_model"
    rng = np.random.RandomState(0)
    print(f"xgboost {xgb.__version__}, batch {args.batch} rows, {args.seconds:g} s per measurement")
    print()
    print("| model | appcore batch rows/s | XGBoost batch rows/s | ratio | appcore 1-row predict "
          "| appcore 1-row JSON request | XGBoost 1-row inplace_predict |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for label, booster, rows, path, rows_path in make_models(pathlib.Path(tmp), rng):
            result = subprocess.run([str(binary), str(path), str(rows_path), str(len(rows)),
                                     str(rows.shape[1]), str(args.batch), str(args.seconds)],
                                    check=True, capture_output=True, text=True)
            ours = json.loads(result.stdout)
            xgb_rate, xgb_single_ns = time_xgboost(booster, rows, args.batch, args.seconds)
            print(f"| {label} | {ours['batch_rows_per_s']:,.0f} | {xgb_rate:,.0f} | "
                  f"{ours['batch_rows_per_s'] / xgb_rate:.2f}x | "
                  f"{ours['single_row_ns'] / 1000:.2f} µs | "
                  f"{ours['json_single_row_ns'] / 1000:.2f} µs | "
                  f"{xgb_single_ns / 1000:.1f} µs |")


if __name__ == "__main__":
    main()
