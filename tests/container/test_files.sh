#!/usr/bin/env bash
# Static checks of the container files, each with the tool that will read the file:
# promtool (config, rules, rule unit tests), amtool and nginx -t inside the service images, docker
# compose config, the Grafana provisioning/dashboard structure, and the container config's
# consistency with configs/config.yaml.
set -euo pipefail
# shellcheck source=tests/container/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_standins

out=$(docker run --rm --entrypoint promtool -v "$ROOT/monitoring:/etc/prometheus:ro" \
	prom/prometheus:v2.42.0 check config /etc/prometheus/prometheus.yml 2>&1) ||
	fail "promtool check config: $out"
[[ $out == *"SUCCESS: 1 rule files found"* ]] || fail "promtool did not load the rule file: $out"
pass "promtool check config monitoring/prometheus.yml (with its rule file)"

out=$(docker run --rm --entrypoint promtool -v "$ROOT/monitoring:/etc/prometheus:ro" \
	prom/prometheus:v2.42.0 check rules /etc/prometheus/alerts.yml 2>&1) || fail "promtool check rules: $out"
[[ $out == *"SUCCESS: 5 rules found"* ]] || fail "expected 5 rules: $out"
pass "promtool check rules monitoring/alerts.yml (5 rules)"

out=$(docker run --rm --entrypoint promtool -w /etc/prometheus -v "$ROOT/monitoring:/etc/prometheus:ro" \
	prom/prometheus:v2.42.0 test rules alerts_test.yml 2>&1) || fail "promtool test rules: $out"
pass "promtool test rules monitoring/alerts_test.yml (alerts fire exactly as intended; the dashboard's error ratios are 0 without errors)"

# nginx -t on the shipped configuration, rendered by its entrypoint as the compose stack starts it
# (a read-only root, the files mounted where docker-compose.yml mounts them).
out=$(docker run --rm --read-only --tmpfs /tmp --tmpfs /var/lib/nginx --tmpfs /var/log/nginx \
	--tmpfs /var/cache/nginx --tmpfs /run --add-host api:127.0.0.1 --entrypoint /bin/sh \
	-v "$ROOT/deploy/nginx:/etc/nginx/appcore:ro" nginx:1.22 /etc/nginx/appcore/entrypoint.sh -t 2>&1) ||
	fail "nginx -t: $out"
[[ $out == *"syntax is ok"* && $out == *"test is successful"* ]] || fail "nginx -t: $out"
pass "nginx -t deploy/nginx/* through entrypoint.sh (read-only root)"

out=$(docker run --rm --read-only --tmpfs /tmp --tmpfs /var/lib/nginx --tmpfs /var/log/nginx \
	--tmpfs /var/cache/nginx --tmpfs /run --entrypoint nginx \
	-v "$ROOT/monitoring/alert-log/nginx.conf:/etc/alert-log/nginx.conf:ro" \
	nginx:1.22 -c /etc/alert-log/nginx.conf -e stderr -t 2>&1) || fail "nginx -t alert-log: $out"
pass "nginx -t monitoring/alert-log/nginx.conf"

out=$(docker run --rm --entrypoint amtool -v "$ROOT/monitoring:/etc/alertmanager:ro" \
	prom/alertmanager:v0.25.0 check-config /etc/alertmanager/alertmanager.yml 2>&1) ||
	fail "amtool check-config: $out"
[[ $out == *SUCCESS* && $out == *"1 receivers"* ]] || fail "amtool check-config: $out"
pass "amtool check-config monitoring/alertmanager.yml"

out=$(docker compose --project-directory "$ROOT" -f docker-compose.yml config -q 2>&1) ||
	fail "docker compose config (production): $out"
out=$(docker compose --project-directory "$ROOT" -f docker-compose.yml -f compose.override.yaml config -q 2>&1) ||
	fail "docker compose config (with override): $out"
pass "docker compose config: docker-compose.yml alone and with compose.override.yaml"

# Compose invariants from the issue, read from the resolved config (not by grepping the file)
docker compose --project-directory "$ROOT" -f docker-compose.yml config >/tmp/appcore-compose.$$.yml
on_exit rm -f /tmp/appcore-compose.$$.yml
/usr/bin/python3 - /tmp/appcore-compose.$$.yml <<'PY' || fail "compose invariants"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
services = doc["services"]
errors = []
for name, svc in services.items():
    if svc.get("logging", {}).get("options", {}).keys() != {"max-size", "max-file"}:
        errors.append(f"{name}: no json-file log rotation")
    if "mem_limit" not in svc or "cpus" not in svc:
        errors.append(f"{name}: no memory/cpu limit")
def host_ip(port):  # compose v1 prints "IP:HOST:CONTAINER" strings, v2 prints mappings
    return port.get("host_ip", "") if isinstance(port, dict) else (port.split(":")[0] if port.count(":") == 2 else "")
published = [n for n, s in services.items() if any(not host_ip(p).startswith("127.") for p in s.get("ports", []))]
if published != ["nginx"]:
    errors.append(f"only nginx may be published beyond localhost, got {published}")
api = services["api"]
if not api.get("read_only") or "healthcheck" not in api or api.get("restart") != "unless-stopped":
    errors.append("api: read_only, healthcheck and restart: unless-stopped required")
# read-only, except the named volumes the server must write: the prediction log's spool and
# the batch jobs' shared directory (uploads split into chunks, results)
writable = ("/var/lib/appcore/prediction-log", "/var/lib/appcore/jobs")
if not all(str(v).endswith(":ro") or any(w in str(v) for w in writable) for v in api["volumes"]):
    errors.append(f"api: mounts must be read-only (the spool and jobs aside): {api['volumes']}")
if api["networks"].keys() != {"backend"} or not doc["networks"]["backend"].get("internal"):
    errors.append("api must be only on the internal backend network")
for name in ("nginx", "prometheus"):
    if services[name]["depends_on"]["api"]["condition"] != "service_healthy":
        errors.append(f"{name} must wait for a healthy api")
if "container_name" in api or any(":" in str(p) for p in api.get("ports", [])):
    errors.append("api must stay scalable: no container_name, no published port")
if services["nginx"].get("stop_signal") != "SIGQUIT":
    errors.append("nginx: stop_signal SIGQUIT (graceful) required")
for e in errors:
    print("  " + e)
sys.exit(1 if errors else 0)
PY
pass "compose: log rotation and limits on every service, only nginx public, api read-only on an internal network, depends_on healthy"

/usr/bin/python3 tests/container/check_monitoring.py "$ROOT" || fail "Grafana/Prometheus structural checks"
pass "Grafana datasource + dashboard structure, every query names an exported metric"

diff <(sed -e 's|^  host: 127.0.0.1$|  host: 0.0.0.0|' \
	-e 's|^  path: ../examples/models/iris.json$|  path: /usr/share/appcore/models/iris.json|' configs/config.yaml) \
	<(sed '1,/^# ---$/d' deploy/appcore/config.yaml) ||
	fail "deploy/appcore/config.yaml drifted from configs/config.yaml (only host and model.path may differ)"
pass "deploy/appcore/config.yaml = configs/config.yaml with container host and model path"

# .env.example names every variable docker-compose.yml reads, and hands itself to the api
mapfile -t used < <(grep -o '\${[A-Z_][A-Z_]*' docker-compose.yml | sed 's/^\${//' | sort -u)
for v in "${used[@]}"; do
	grep -q "^$v=" .env.example || fail ".env.example does not set $v, which docker-compose.yml reads"
done
grep -qx 'APPCORE_ENV_FILE=.env' .env.example || fail ".env.example must set APPCORE_ENV_FILE=.env"
# (docker compose config inlines env_file into environment, so read the file itself)
grep -q 'env_file: \["${APPCORE_ENV_FILE:-deploy/appcore/appcore.env}"\]' docker-compose.yml ||
	fail "the appcore services must take env_file from APPCORE_ENV_FILE"
pass ".env.example sets all ${#used[@]} variables docker-compose.yml reads, and APPCORE_ENV_FILE=.env"

for f in .env ".env.*"; do
	grep -qx "$f" .dockerignore || fail ".dockerignore does not exclude $f"
done
grep -qx '.env' .gitignore || fail ".gitignore does not exclude .env"
pass ".env kept out of git and of the build context"
