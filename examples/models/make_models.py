#!/usr/bin/env python3
"""Generate the default model shipped with appcore: XGBoost multi:softprob on
scikit-learn's bundled iris data (no download).

Run with Debian's Python, which sees python3-xgboost and python3-sklearn:
    /usr/bin/python3 examples/models/make_models.py
Deterministic: same XGBoost version, same file.
"""
import pathlib

import xgboost as xgb
from sklearn.datasets import load_iris

HERE = pathlib.Path(__file__).resolve().parent


def main():
    iris = load_iris()
    feature_names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    dtrain = xgb.DMatrix(iris.data, label=iris.target, feature_names=feature_names)
    params = {
        "objective": "multi:softprob",
        "num_class": 3,
        "max_depth": 3,
        "eta": 0.3,
        "seed": 0,
        "nthread": 1,
    }
    booster = xgb.train(params, dtrain, num_boost_round=20)
    out = HERE / "iris.json"
    booster.save_model(str(out))
    print(f"wrote {out} (xgboost {xgb.__version__}, {len(booster.get_dump())} trees)")


if __name__ == "__main__":
    main()
