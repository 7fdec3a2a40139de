#!/usr/bin/env python3
"""The model bench/http.sh serves: binary:logistic, 50 trees of depth 6, trained on
scikit-learn's bundled breast-cancer data with 10% of the values removed (so the
missing-value paths are exercised). Writes MODEL.json and a one-row request body.

    /usr/bin/python3 bench/http/make_bench_model.py OUT_DIR
"""
import json
import pathlib
import sys

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    data = load_breast_cancer()
    rng = np.random.default_rng(0)
    x = data.data.astype(np.float32)
    x[rng.random(x.shape) < 0.1] = np.nan
    dtrain = xgb.DMatrix(x, label=data.target)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 6, "eta": 0.1, "seed": 0,
                         "nthread": 1}, dtrain, num_boost_round=50)
    booster.save_model(str(out / "binary50.json"))
    row = [None if np.isnan(v) else float(v) for v in x[3]]
    (out / "request.json").write_text(json.dumps({"instances": [row]}))


if __name__ == "__main__":
    main()
