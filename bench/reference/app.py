"""The seed design of this service, in Python, as the reference for bench/http.sh:
FastAPI + pydantic request validation + prometheus_client metrics + XGBoost's
own predictor, served by gunicorn with 2 uvicorn workers.

    MODEL_PATH=model.json gunicorn -w 2 -k uvicorn.workers.UvicornWorker \
        -b 127.0.0.1:8001 --chdir bench/reference app:app

Uses Debian's python3-fastapi, python3-uvicorn, gunicorn, python3-xgboost and
python3-prometheus-client (run with /usr/bin/python3's packages).
"""
import math
import os
import time
from typing import List, Optional

import numpy as np
import xgboost as xgb
from fastapi import FastAPI, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pydantic import BaseModel

MODEL_PATH = os.environ["MODEL_PATH"]
MODEL_NAME = os.environ.get("MODEL_NAME", "bench")
MODEL_VERSION = os.environ.get("MODEL_VERSION", "1")

booster = xgb.Booster()
booster.load_model(MODEL_PATH)
booster.set_param({"nthread": 1})
NUM_FEATURES = booster.num_features()

REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("http_request_duration_seconds", "Request latency", ["route"])
PREDICTIONS = Counter("predictions_total", "Rows predicted", ["model"])

app = FastAPI()


class PredictRequest(BaseModel):
    instances: List[List[Optional[float]]]


@app.get("/health")
def health():
    return {"status": "ok"}


@app.post("/predict")
def predict(request: PredictRequest):
    started = time.perf_counter()
    for index, row in enumerate(request.instances):
        if len(row) != NUM_FEATURES:
            REQUESTS.labels("POST", "/predict", "422").inc()
            raise HTTPException(422, f"instances[{index}]: expected {NUM_FEATURES} features, got {len(row)}")
    matrix = np.array([[math.nan if v is None else v for v in row] for row in request.instances],
                      dtype=np.float32)
    predictions = booster.inplace_predict(matrix)
    PREDICTIONS.labels(MODEL_NAME).inc(len(request.instances))
    REQUESTS.labels("POST", "/predict", "200").inc()
    LATENCY.labels("/predict").observe(time.perf_counter() - started)
    return {"predictions": predictions.tolist(), "model": {"name": MODEL_NAME, "version": MODEL_VERSION}}


@app.get("/metrics")
def metrics():
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
