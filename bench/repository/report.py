#!/usr/bin/env python3
"""Markdown tables of bench/repository.sh's results: report.py JSONL DURATION CONNECTIONS INTERVAL"""
import json
import statistics
import sys

path, duration, connections, interval = sys.argv[1:5]
runs = [json.loads(line) for line in open(path)]


def by(name):
    return [r for r in runs if r["name"] == name]


def median(name, key):
    return statistics.median(r[key] for r in by(name))


print("### Protocols: requests/s, %s s runs, %s connections, alternating (%d rounds)\n"
      % (duration, connections, len(by("predict"))))
print("| endpoint | req/s (median) | runs | p50 µs | p99 µs | errors | ratio to /predict |")
print("|---|---:|---|---:|---:|---:|---:|")
reference = median("predict", "rps")
for name, label in (("predict", "POST /predict"), ("oip-infer", "POST /v2/models/bench/infer"),
                    ("tfserving", "POST /v1/models/bench:predict")):
    print("| %s | %.0f | %s | %d | %d | %d | %.2f |" % (
        label, median(name, "rps"), ", ".join("%.0f" % r["rps"] for r in by(name)),
        median(name, "p50_us"), median(name, "p99_us"), sum(r["errors"] for r in by(name)),
        median(name, "rps") / reference))

swaps = [r["count"] for r in by("swaps")]
print("\n### Latency during swaps: infer, a version published and the old one retired every "
      "%s s, alternating with the same load without swaps\n" % interval)
print("| run | req/s | p50 µs | p99 µs | max µs | non-2xx + socket errors | swaps |")
print("|---|---:|---:|---:|---:|---:|---:|")
for i, (steady, swapping) in enumerate(zip(by("steady"), by("swapping"))):
    print("| %d without swaps | %.0f | %d | %d | %d | %d | 0 |" % (
        i + 1, steady["rps"], steady["p50_us"], steady["p99_us"], steady["max_us"], steady["errors"]))
    print("| %d with swaps | %.0f | %d | %d | %d | %d | %d |" % (
        i + 1, swapping["rps"], swapping["p50_us"], swapping["p99_us"], swapping["max_us"],
        swapping["errors"], swaps[i]))
print("\nmedian p99: %d µs without swaps, %d µs with swaps (ratio %.2f); %d swaps, %d requests "
      "during swaps, %d non-2xx or socket errors" % (
          median("steady", "p99_us"), median("swapping", "p99_us"),
          median("swapping", "p99_us") / median("steady", "p99_us"), sum(swaps),
          sum(r["requests"] for r in by("swapping")), sum(r["errors"] for r in by("swapping"))))
