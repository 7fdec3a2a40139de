#!/usr/bin/env python3
"""Models for the load benchmark (bench/load/bench_load.c), written into DIR:

    /usr/bin/python3 bench/load/make_load_models.py DIR

  regression_500x8.json / .ubj   500 trees of depth 8 (~11 MB of JSON), and its UBJSON twin
  softprob_5x125x8.json / .ubj   5 classes x 125 rounds of depth 8 (~14 MB of JSON)

Trained by XGBoost 1.7.4 (Debian's python3-xgboost; run with /usr/bin/python3) on synthetic
data with a fixed seed, so every run writes the same files. The .ubj twins are what
save_model("x.ubj") writes. Nothing here is committed but this script.
"""
import pathlib
import sys

import numpy as np
import xgboost as xgb


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build/bench-load")
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(11)
    x = rng.normal(size=(20000, 40)).astype(np.float32)
    x[rng.rand(*x.shape) < 0.05] = np.nan
    y = np.nansum(x[:, :8] * rng.normal(size=8), axis=1) + np.sin(np.nan_to_num(x[:, 9]) * 3)
    params = {"tree_method": "hist", "max_depth": 8, "eta": 0.05, "seed": 0, "nthread": 2,
              "subsample": 0.8}
    b = xgb.train({**params, "objective": "reg:squarederror"}, xgb.DMatrix(x, label=y), 500)
    for ext in ("json", "ubj"):
        b.save_model(str(out / f"regression_500x8.{ext}"))
    classes = np.digitize(y, np.quantile(y, [0.2, 0.4, 0.6, 0.8]))
    b = xgb.train({**params, "objective": "multi:softprob", "num_class": 5},
                  xgb.DMatrix(x, label=classes), 125)
    for ext in ("json", "ubj"):
        b.save_model(str(out / f"softprob_5x125x8.{ext}"))
    for p in sorted(out.glob("*")):
        print(f"{p}: {p.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
