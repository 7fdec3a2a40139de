"""Structural checks of the Grafana provisioning and the Prometheus rules (Grafana has no Debian
package, so it cannot run here).

  /usr/bin/python3 tests/container/check_monitoring.py REPO_ROOT [METRICS_TEXT_FILE]

Checks: the datasource file provisions exactly one Prometheus datasource with a fixed uid; the
dashboard provider points where docker-compose.yml mounts the dashboards; every dashboard panel
has at least one query, uses that datasource uid, and every metric named in a query (and in the
alert rules) is one the server exports. "Exports" means the documented metric list below and, when
METRICS_TEXT_FILE (a scrape of the real server's /metrics) is given, also that scrape: then every
documented metric must appear in it too. The dashboard must cover the required views.
Exits 0 when all hold; prints each failure and exits 1 otherwise.
"""
import json
import re
import sys

import yaml

# The server's metric contract (issue 5); histograms expand to _bucket/_sum/_count.
COUNTERS_AND_GAUGES = [
    "appcore_http_requests_total", "appcore_http_errors_total", "appcore_http_requests_in_flight",
    "appcore_predictions_total", "appcore_model_info", "appcore_build_info",
    "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
    "process_start_time_seconds", "process_open_fds", "process_max_fds",
]
HISTOGRAMS = ["appcore_http_request_duration_seconds", "appcore_prediction_rows"]
# Series Prometheus itself attaches to every target.
PROMETHEUS_SERIES = {"up"}

REQUIRED_VIEWS = {  # view -> a metric its query must use
    "request rate": "appcore_http_requests_total",
    "error ratio": "appcore_http_errors_total",
    "latency quantiles": "appcore_http_request_duration_seconds_bucket",
    "in flight": "appcore_http_requests_in_flight",
    "predictions per second": "appcore_predictions_total",
    "RSS": "process_resident_memory_bytes",
    "CPU": "process_cpu_seconds_total",
}
PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "count_values", "group", "by", "without", "on", "ignoring", "group_left", "group_right",
    "and", "or", "unless", "offset", "bool", "rate", "irate", "increase", "delta", "idelta",
    "histogram_quantile", "absent", "label_values", "label_replace", "clamp_min", "clamp_max",
    "abs", "time", "vector", "scalar", "avg_over_time", "max_over_time", "min_over_time",
    "sum_over_time", "humanize", "humanizePercentage", "humanizeDuration", "le", "inf", "nan",
}


def documented_series():
    names = set(COUNTERS_AND_GAUGES) | PROMETHEUS_SERIES
    for h in HISTOGRAMS:
        names |= {h + "_bucket", h + "_sum", h + "_count"}
    return names


def scraped_series(text):
    """Series names in Prometheus text: sample lines, and # TYPE lines (a labelled family with no
    samples yet, e.g. errors before the first error, still counts as exported)."""
    names = set()
    for line in text.splitlines():
        declared = re.match(r"# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)", line)
        if declared:
            name, kind = declared.groups()
            names |= {name + s for s in ("_bucket", "_sum", "_count")} if kind == "histogram" else {name}
        elif line and not line.startswith("#"):
            names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return names


def metric_names(expr):
    """Metric names in a PromQL expression: identifiers outside {...}, strings and [...]."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    stripped = re.sub(r"\{[^}]*\}", "{}", stripped)
    stripped = re.sub(r"\[[^\]]*\]", "[]", stripped)
    stripped = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", stripped)
    names = set()
    for match in re.finditer(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)", stripped):
        word = match.group(1)
        if word in PROMQL_WORDS or re.fullmatch(r"e\d*", word):
            continue
        names.add(word)
    return names


def main():
    root = sys.argv[1]
    failures = []
    exported = documented_series()
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            scraped = scraped_series(f.read())
        missing = sorted(exported - PROMETHEUS_SERIES - scraped)
        if missing:
            failures.append(f"documented metrics missing from the real /metrics: {missing}")
        exported &= scraped | PROMETHEUS_SERIES

    with open(f"{root}/monitoring/grafana/provisioning/datasources/prometheus.yml") as f:
        datasources = yaml.safe_load(f)["datasources"]
    if len(datasources) != 1 or datasources[0].get("type") != "prometheus":
        failures.append(f"expected one prometheus datasource, got {datasources}")
    uid = datasources[0].get("uid")
    if datasources[0].get("url") != "http://prometheus:9090":
        failures.append(f"datasource url {datasources[0].get('url')} is not the compose service")

    with open(f"{root}/monitoring/grafana/provisioning/dashboards/appcore.yml") as f:
        providers = yaml.safe_load(f)["providers"]
    if [p["options"]["path"] for p in providers] != ["/var/lib/grafana/dashboards"]:
        failures.append(f"dashboard provider path is not /var/lib/grafana/dashboards: {providers}")

    with open(f"{root}/monitoring/grafana/dashboards/appcore.json") as f:
        dashboard = json.load(f)
    used = set()
    for panel in dashboard["panels"]:
        title = panel.get("title", "?")
        if panel.get("datasource", {}).get("uid") != uid:
            failures.append(f"panel '{title}': datasource is not uid {uid}")
        targets = panel.get("targets", [])
        if not targets:
            failures.append(f"panel '{title}': no queries")
        for target in targets:
            if target.get("datasource", {}).get("uid") != uid:
                failures.append(f"panel '{title}' query {target.get('refId')}: datasource is not uid {uid}")
            names = metric_names(target.get("expr", ""))
            if not names:
                failures.append(f"panel '{title}': query names no metric: {target.get('expr')!r}")
            for name in sorted(names - exported):
                failures.append(f"panel '{title}': metric {name} is not exported by the server")
            used |= names
    for var in dashboard.get("templating", {}).get("list", []):
        # label_values(METRIC{...}, LABEL): the last argument is a label name, not a metric
        definition = re.sub(r",\s*\w+\s*\)\s*$", ")", var.get("definition", ""))
        for name in sorted(metric_names(definition) - exported):
            failures.append(f"variable '{var.get('name')}': metric {name} is not exported")
    for view, metric in REQUIRED_VIEWS.items():
        if metric not in used:
            failures.append(f"dashboard lacks the {view} view (no query uses {metric})")

    with open(f"{root}/monitoring/alerts.yml") as f:
        groups = yaml.safe_load(f)["groups"]
    for rule in (r for g in groups for r in g["rules"]):
        for name in sorted(metric_names(rule["expr"]) - exported):
            failures.append(f"alert {rule['alert']}: metric {name} is not exported by the server")

    # The error-ratio panels must answer 0 rather than "no data" without errors: their queries
    # are unit-tested by promtool in alerts_test.yml; the tested copies must equal the dashboard's.
    with open(f"{root}/monitoring/alerts_test.yml") as f:
        tested = {e["expr"] for t in yaml.safe_load(f)["tests"] for e in t.get("promql_expr_test", [])}
    for panel in dashboard["panels"]:
        if panel.get("title") != "Error ratio":
            continue
        for target in panel["targets"]:
            expr = target["expr"].replace("$instance", ".*").replace("$__rate_interval", "1m")
            if expr not in tested:
                failures.append(f"error-ratio query not unit-tested in alerts_test.yml: {expr}")

    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print(f"monitoring files OK: {len(dashboard['panels'])} panels, "
              f"{sum(len(p['targets']) for p in dashboard['panels'])} queries, "
              f"{sum(len(g['rules']) for g in groups)} alert rules; metrics used: {', '.join(sorted(used))}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
