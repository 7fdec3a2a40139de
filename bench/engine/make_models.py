#!/usr/bin/env python3
"""Generate the engine benchmark's models and data (issue 15's four shapes).

Run with Debian's Python, which sees python3-xgboost (1.7.4), numpy and scikit-learn:
    /usr/bin/python3 bench/engine/make_models.py OUT_DIR [--rows 100000]

For each NAME it writes into OUT_DIR (nothing here is committed; models are tens of MB):
  NAME.json          the model, as booster.save_model writes it
  NAME.rows.f32      the test rows, float32 row-major, NaN = missing
  NAME.value.f32     XGBoost's inplace_predict (the default output), float32 row-major
  NAME.margin.f32    XGBoost's inplace_predict(predict_type="margin")
and OUT_DIR/manifest.json describing them (num_rows, num_features, outputs per row, whether the
value is a probability, nodes and mean leaf depth for ns-per-node figures).

Deterministic: fixed seeds; training runs with 2 threads (prediction does not depend on it).
"""
import argparse
import json
import pathlib
import time

import numpy as np
import xgboost as xgb
from sklearn.datasets import make_classification, make_regression

# name, trees (boosting rounds x classes), depth, features, missing fraction, task
SHAPES = [
    ("t50_d4_f30_miss", dict(rounds=50, depth=4, features=30, missing=0.05, task="binary")),
    ("t1000_c10_d6", dict(rounds=100, depth=6, features=40, missing=0.0, task="multi10")),
    ("t500_d8_f100", dict(rounds=500, depth=8, features=100, missing=0.0, task="regression")),
    ("t2000_d6_f50", dict(rounds=2000, depth=6, features=50, missing=0.0, task="binary")),
]
TRAIN_ROWS = 20000


def make_data(shape, rows, seed):
    n = TRAIN_ROWS + rows
    f = shape["features"]
    informative = max(4, f // 3)
    if shape["task"] == "regression":
        x, y = make_regression(n_samples=n, n_features=f, n_informative=informative, noise=5.0,
                               random_state=seed)
    else:
        classes = 10 if shape["task"] == "multi10" else 2
        x, y = make_classification(n_samples=n, n_features=f, n_informative=informative,
                                   n_redundant=f // 6, n_classes=classes, n_clusters_per_class=2,
                                   flip_y=0.05, random_state=seed)
    x = x.astype(np.float32)
    if shape["missing"] > 0:
        rng = np.random.RandomState(seed + 1)
        x[rng.rand(*x.shape) < shape["missing"]] = np.nan
    return x[:TRAIN_ROWS], y[:TRAIN_ROWS], x[TRAIN_ROWS:]


def params_for(shape):
    p = {"max_depth": shape["depth"], "eta": 0.1, "tree_method": "hist", "nthread": 2,
         "seed": 3, "subsample": 0.8, "colsample_bytree": 0.8}
    if shape["task"] == "binary":
        p["objective"] = "binary:logistic"
    elif shape["task"] == "multi10":
        p.update(objective="multi:softprob", num_class=10)
    else:
        p["objective"] = "reg:squarederror"
    return p


def tree_stats(booster):
    """Nodes, leaves and the mean depth of a leaf reached by a test row is computed by the C
    benchmark; here: total nodes and the depth distribution of leaves."""
    trees = json.loads(booster.save_raw("json"))["learner"]["gradient_booster"]["model"]["trees"]
    nodes = sum(len(t["left_children"]) for t in trees)
    return len(trees), nodes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--only", help="comma-separated model names")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    for seed, (name, shape) in enumerate(SHAPES):
        if args.only and name not in args.only.split(","):
            continue
        start = time.time()
        x, y, test = make_data(shape, args.rows, seed * 10 + 1)
        dtrain = xgb.DMatrix(x, label=y, missing=np.nan)
        booster = xgb.train(params_for(shape), dtrain, num_boost_round=shape["rounds"])
        booster.save_model(str(args.out / f"{name}.json"))
        # Reload from the file, as every other scorer will.
        booster = xgb.Booster(model_file=str(args.out / f"{name}.json"))
        booster.set_param({"nthread": 1})
        value = booster.inplace_predict(test, missing=np.nan)
        margin = booster.inplace_predict(test, missing=np.nan, predict_type="margin")
        test.tofile(args.out / f"{name}.rows.f32")
        np.asarray(value, dtype=np.float32).tofile(args.out / f"{name}.value.f32")
        np.asarray(margin, dtype=np.float32).tofile(args.out / f"{name}.margin.f32")
        num_trees, nodes = tree_stats(booster)
        manifest[name] = {
            "model": f"{name}.json",
            "num_rows": int(test.shape[0]),
            "num_features": int(test.shape[1]),
            "value_width": 1 if value.ndim == 1 else int(value.shape[1]),
            "margin_width": 1 if margin.ndim == 1 else int(margin.shape[1]),
            "probability": shape["task"] != "regression",
            "num_trees": num_trees,
            "num_nodes": nodes,
            "depth": shape["depth"],
            "missing": shape["missing"],
        }
        manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
        print(f"{name}: {num_trees} trees, {nodes} nodes, {time.time() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
