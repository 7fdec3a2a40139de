#!/usr/bin/env bash
# Render and validate the Kubernetes manifests under deploy/kubernetes without a cluster:
#   1. `kubectl kustomize` renders overlays/production, overlays/example and kserve (kubectl from
#      PATH, else Debian's kubernetes-client);
#   2. every rendered object is validated against the Kubernetes OpenAPI schemas (npm
#      kubernetes-models, @kubernetes-models/prometheus-operator for the ServiceMonitor), unknown
#      fields included (scripts/lib/validate_k8s.mjs); KServe objects only in part (no schema
#      package exists for its CRDs: their containers are checked as core/v1 Containers);
#   3. the operational rules docs/kubernetes.md promises: non-root, read-only root, no
#      capabilities, seccomp RuntimeDefault, probes on /health and /ready, a grace period that
#      covers preStop + server.shutdown_grace_ms from the ConfigMap, the HPA's custom metric
#      named by the Prometheus adapter rule, the PDB/Service/NetworkPolicy selecting the pods.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh

command -v kubectl >/dev/null || ensure_packages kubernetes-client
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	ensure_packages nodejs npm
fi
ensure_packages python3-yaml
tools=$PWD/.cache/npm-tools
if [[ ! -d $tools/node_modules/kubernetes-models || ! -d $tools/node_modules/@kubernetes-models/prometheus-operator ||
	! -d $tools/node_modules/js-yaml ]]; then
	npm install --silent --no-audit --no-fund --prefix "$tools" kubernetes-models@5.1.0 \
		@kubernetes-models/prometheus-operator@6.0.0 js-yaml@4.1.0 >/dev/null
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for dir in overlays/production overlays/example kserve; do
	name=${dir##*/}
	# kustomize v5 warns that the v2-compatible keys (bases, patchesStrategicMerge, ...) are
	# deprecated; keep other messages
	if ! kubectl kustomize "deploy/kubernetes/$dir" >"$out/$name.yaml" 2>"$out/$name.err"; then
		cat "$out/$name.err" >&2
		echo "kubectl kustomize deploy/kubernetes/$dir failed" >&2
		exit 1
	fi
	grep -v "^# Warning: '[a-zA-Z0-9]*' is deprecated" "$out/$name.err" >&2 || true
	echo "rendered deploy/kubernetes/$dir: $(grep -c '^kind:' "$out/$name.yaml") objects"
done

node scripts/lib/validate_k8s.mjs "$tools/node_modules" "$out"/*.yaml

/usr/bin/python3 - "$out" <<'PY'
import sys, yaml
out = sys.argv[1]
problems = []
def check(cond, what):
    if not cond:
        problems.append(what)
for overlay in ("production", "example"):
    docs = {d["kind"]: d for d in yaml.safe_load_all(open(f"{out}/{overlay}.yaml")) if d}
    want = {"Namespace", "ServiceAccount", "ConfigMap", "Service", "Deployment", "HorizontalPodAutoscaler",
            "PodDisruptionBudget", "NetworkPolicy", "ServiceMonitor"} | ({"PersistentVolumeClaim"} if overlay == "production" else set())
    check(want <= set(docs), f"{overlay}: missing {sorted(want - set(docs))}")
    dep = docs["Deployment"]
    pod = dep["spec"]["template"]["spec"]
    c = pod["containers"][0]
    sc, psc = c.get("securityContext", {}), pod.get("securityContext", {})
    check(psc.get("runAsNonRoot") and psc.get("runAsUser") == 10001, f"{overlay}: pods must run as uid 10001, non-root")
    check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{overlay}: seccomp RuntimeDefault")
    check(sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False,
          f"{overlay}: read-only root, no privilege escalation")
    check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{overlay}: drop ALL capabilities")
    check(c["livenessProbe"]["httpGet"]["path"] == "/health", f"{overlay}: liveness on /health")
    check(c["readinessProbe"]["httpGet"]["path"] == "/ready", f"{overlay}: readiness on /ready")
    check("startupProbe" in c, f"{overlay}: startup probe")
    check(all(k in c.get("resources", {}).get(x, {}) for x, k in (("requests", "memory"), ("requests", "cpu"), ("limits", "memory"))),
          f"{overlay}: memory/cpu requests and a memory limit")
    # the grace period must cover preStop + the server's own drain
    config = yaml.safe_load(docs["ConfigMap"]["data"]["config.yaml"])
    grace_ms = config.get("server", {}).get("shutdown_grace_ms", 5000)
    pre_stop = c["lifecycle"]["preStop"]["sleep"]["seconds"]
    check(pod["terminationGracePeriodSeconds"] >= pre_stop + grace_ms / 1000 + 1,
          f"{overlay}: terminationGracePeriodSeconds {pod['terminationGracePeriodSeconds']} < preStop {pre_stop} s + shutdown_grace_ms {grace_ms} + 1 s")
    check(config["server"]["port"] == c["ports"][0]["containerPort"], f"{overlay}: config port = containerPort")
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    check(mounts.get("/etc/appcore", {}).get("readOnly"), f"{overlay}: config mounted read-only at /etc/appcore")
    if overlay == "production":
        check(mounts.get("/usr/share/appcore/models", {}).get("readOnly"), "production: models volume mounted read-only")
        claims = [v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v]
        check(claims == [docs["PersistentVolumeClaim"]["metadata"]["name"]], "production: the models claim exists")
        check(config["model"]["path"].startswith("/usr/share/appcore/models/"), "production: model.path on the models volume")
    else:
        check(config["model"]["path"] == "/usr/share/appcore/models/iris.json" and "/usr/share/appcore/models" not in mounts,
              "example: the image's own iris model, no models volume over it")
    labels = dep["spec"]["template"]["metadata"]["labels"]
    for kind, sel in (("Service", docs["Service"]["spec"]["selector"]),
                      ("PodDisruptionBudget", docs["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]),
                      ("NetworkPolicy", docs["NetworkPolicy"]["spec"]["podSelector"]["matchLabels"])):
        check(all(labels.get(k) == v for k, v in sel.items()), f"{overlay}: {kind} does not select the pods")
    sm = docs["ServiceMonitor"]["spec"]
    check(all(docs["Service"]["metadata"]["labels"].get(k) == v for k, v in sm["selector"]["matchLabels"].items()),
          f"{overlay}: ServiceMonitor does not select the Service")
    check(sm["endpoints"][0]["port"] == docs["Service"]["spec"]["ports"][0]["name"], f"{overlay}: ServiceMonitor port")
    hpa = docs["HorizontalPodAutoscaler"]["spec"]
    kinds = [m["type"] for m in hpa["metrics"]]
    check(kinds == ["Resource", "Pods"], f"{overlay}: HPA on CPU and on a per-pod custom metric")
    custom = [m["pods"]["metric"]["name"] for m in hpa["metrics"] if m["type"] == "Pods"]
    adapter = yaml.safe_load(open("deploy/kubernetes/prometheus-adapter/values.yaml"))
    served = [r["name"]["as"] for r in adapter["rules"]["custom"]]
    check(custom and custom[0] in served, f"{overlay}: HPA metric {custom} is not served by the adapter rule ({served})")
kserve = list(yaml.safe_load_all(open(f"{out}/kserve.yaml")))
sr = next(d for d in kserve if d["kind"] == "ServingRuntime")
isvc = next(d for d in kserve if d["kind"] == "InferenceService")
check(isvc["spec"]["predictor"]["model"]["runtime"] == sr["metadata"]["name"], "kserve: the InferenceService uses the appcore runtime")
check(sr["spec"]["protocolVersions"] == ["v2"] and isvc["spec"]["predictor"]["model"]["protocolVersion"] == "v2", "kserve: Open Inference Protocol (v2)")
args = sr["spec"]["containers"][0]["args"]
check(args[:2] == ["--model-repository", "/mnt/models"], "kserve: serves /mnt/models (KServe's storage initializer target)")
for p in problems:
    print("FAIL", p)
print(f"operational rules: {len(problems)} problems")
sys.exit(1 if problems else 0)
PY
