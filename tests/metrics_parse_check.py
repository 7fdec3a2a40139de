"""Outside check of appcore_metrics_render: parse the text on stdin with the
official Python client's parser and compare with the sample test_metrics.c
builds. Exit 0 ok, 1 mismatch, 77 when prometheus_client is not installed
(Debian's python3-prometheus-client; run with /usr/bin/python3)."""
import math
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    sys.exit(77)

text = sys.stdin.read()
families = {f.name: f for f in text_string_to_metric_families(text)}
samples = {}
for family in families.values():
    for s in family.samples:
        samples[(s.name, tuple(sorted(s.labels.items())))] = s.value

problems = []


def expect(name, labels, value):
    key = (name, tuple(sorted(labels.items())))
    got = samples.get(key)
    if got is None or not math.isclose(got, value, rel_tol=0, abs_tol=1e-12):
        problems.append(f"{name}{labels}: expected {value}, got {got}")


def expect_type(name, kind):
    if name not in families or families[name].type != kind:
        problems.append(f"{name}: expected type {kind}, got "
                        f"{families[name].type if name in families else 'nothing'}")


# the client strips _total from counter family names
expect_type("appcore_http_requests", "counter")
expect_type("appcore_http_request_duration_seconds", "histogram")
expect_type("appcore_http_requests_in_flight", "gauge")
expect_type("appcore_model_info", "gauge")
expect_type("process_cpu_seconds", "counter")
for name in ("process_resident_memory_bytes", "process_virtual_memory_bytes",
             "process_start_time_seconds", "process_open_fds", "process_max_fds"):
    expect_type(name, "gauge")
    if not samples.get((name, ())) or samples[(name, ())] <= 0:
        problems.append(f"{name}: expected a positive value, got {samples.get((name, ()))}")

expect("appcore_http_requests_total", {"method": "POST", "route": "/predict", "status": "200"}, 3)
expect("appcore_http_requests_total", {"method": "POST", "route": "/predict", "status": "422"}, 2)
expect("appcore_http_requests_total", {"method": "GET", "route": "/health", "status": "200"}, 1)
route = {"route": "/predict"}
for le, count in (("0.005", 1), ("0.01", 2), ("0.1", 2), ("1", 3), ("+Inf", 4)):
    expect("appcore_http_request_duration_seconds_bucket", {**route, "le": le}, count)
expect("appcore_http_request_duration_seconds_count", route, 4)
expect("appcore_http_request_duration_seconds_sum", route, 0.003 + 0.007 + 0.5 + 2.0)
expect("appcore_http_requests_in_flight", {}, 2)
expect("appcore_model_info", {"name": 'iris "v\\1"\nx', "version": "1",
                              "objective": "multi:softprob"}, 1)

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"prometheus_client parsed {len(families)} families, {len(samples)} samples: ok")
