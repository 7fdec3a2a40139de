# shellcheck shell=bash
# Sourced by scripts/*.sh: make sure the Debian/Ubuntu packages a step needs are installed.
# As root it installs what is missing with apt-get; otherwise it prints the exact
# command to run and fails, so nothing half-works.

APPCORE_BUILD_PACKAGES=(meson ninja-build pkg-config gcc git binutils python3
	libcivetweb-dev libjansson-dev libfyaml-dev check)
# What the test suite checks the build with: a C++ compiler (the public headers compile as
# C++), promtool and the official Python parser (metrics format), mandoc (manual pages).
APPCORE_TEST_PACKAGES=(g++ prometheus python3-prometheus-client mandoc)

ensure_packages() {
	local missing=() pkg
	for pkg in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
			missing+=("$pkg")
		fi
	done
	((${#missing[@]} == 0)) && return 0
	if [[ $(id -u) -ne 0 ]]; then
		echo "missing packages: ${missing[*]}" >&2
		echo "install them with:" >&2
		echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
		return 1
	fi
	echo "installing: ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	# a stale package list makes installs fail with 404s on a fresh machine
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
