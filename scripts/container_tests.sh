#!/usr/bin/env bash
# Container tests: build the image once, then run tests/container/test_*.sh against it
# (static files, the image alone, the compose stack, scale-out + rolling restart under load,
# scripts/deploy.sh under load).
#
#   scripts/container_tests.sh            # needs `docker` reaching an engine
#
# Environment:
#   CONTAINER_ENGINE_UP  a script that starts a Docker-compatible engine and prints the env to use
#                        (.ci/run passes the shared engine-up); without it, `docker` must already work
#   CONTAINER_STANDIN    a script building nginx/prometheus stand-ins (see tests/container/lib.sh)
#   APPCORE_TEST_IMAGE   tag to build and test (default appcore:ci-test)
#   APPCORE_SKIP_BUILD=1 test an APPCORE_TEST_IMAGE that is already built (CI builds it with buildx)
# Exits 0 with "skipped: no container engine" when no engine can be had.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh

if [[ -n ${CONTAINER_ENGINE_UP:-} ]]; then
	if ! env_lines=$("$CONTAINER_ENGINE_UP"); then
		echo "skipped: no container engine ($CONTAINER_ENGINE_UP failed)"
		exit 0
	fi
	eval "$env_lines"
fi
if ! docker info >/dev/null 2>&1; then
	echo "skipped: no container engine (docker info fails)"
	exit 0
fi
ensure_packages curl jq python3-yaml

export APPCORE_TEST_IMAGE=${APPCORE_TEST_IMAGE:-appcore:ci-test}
start=$SECONDS
if [[ ${APPCORE_SKIP_BUILD:-0} == 1 ]] && docker image inspect "$APPCORE_TEST_IMAGE" >/dev/null 2>&1; then
	echo "=== container: using the already built $APPCORE_TEST_IMAGE (APPCORE_SKIP_BUILD=1) ==="
else
	echo "=== container: docker build -t $APPCORE_TEST_IMAGE ==="
	revision=$(git rev-parse --short=12 HEAD 2>/dev/null || true)
	docker build --build-arg VERSION="$(cat VERSION)" --build-arg REVISION="$revision" \
		-t "$APPCORE_TEST_IMAGE" . >/tmp/appcore-docker-build.log 2>&1 ||
		{ tail -50 /tmp/appcore-docker-build.log; echo "docker build failed"; exit 1; }
	echo "built in $((SECONDS - start)) s"
fi
echo "$APPCORE_TEST_IMAGE: $(docker image inspect --format '{{.Size}}' "$APPCORE_TEST_IMAGE") bytes"

failed=()
for t in tests/container/test_files.sh tests/container/test_image.sh tests/container/test_compose.sh \
	tests/container/test_scale.sh \
	tests/container/test_deploy.sh; do
	echo "=== container: $t ==="
	if ! "$t"; then
		failed+=("$t")
	fi
done
echo "container tests took $((SECONDS - start)) s"
if ((${#failed[@]})); then
	echo "FAILED: ${failed[*]}"
	exit 1
fi
echo "all container tests passed"
