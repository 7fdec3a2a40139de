# syntax=docker/dockerfile:1
#
# appcore container image.
#
#   docker build --build-arg VERSION=$(cat VERSION) --build-arg REVISION=$(git rev-parse --short=12 HEAD) -t appcore .
#   docker run --rm -p 8000:8000 --read-only --cap-drop ALL appcore
#
# Stages:
#   builder         Debian with the build dependencies: build (release), run the test suite, install.
#   rootfs          collects exactly the files the runtime needs (binaries, libappcore, the shared
#                   libraries ldd reports, config, model, passwd entries).
#   runtime-debian  the same programs on debian:bookworm-slim with Debian's runtime packages; kept
#                   only to measure the alternative (`docker build --target runtime-debian .`).
#   install-tree    just what `meson install` put under /usr/local (programs, library, headers,
#                   pkg-config file), for release tarballs:
#                   docker build --target install-tree --output type=local,dest=out .
#   sbom            just the CycloneDX SBOM of the runtime image, for export:
#                   docker build --target sbom --output type=local,dest=out .
#   runtime         FROM scratch + rootfs: the default (last) stage. See README "Container" for the
#                   size measurement behind that choice.

ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS builder
# One layer, package lists removed. python3 runs meson and the integration tests; binutils gives
# nm for the exported-symbols test.
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		meson ninja-build pkg-config gcc libc6-dev binutils python3 \
		libcivetweb-dev libjansson-dev libfyaml-dev check libpq-dev zlib1g-dev libhiredis-dev \
	&& rm -rf /var/lib/apt/lists/*

# The build context has no .git (see .dockerignore), so Meson's `git rev-parse` for the build
# revision is answered from this build argument instead; without it the revision is "unknown".
ARG REVISION=
RUN printf '#!/bin/sh\n[ -n "%s" ] && echo "%s"\n' "$REVISION" "$REVISION" >/usr/local/bin/git \
	&& chmod 755 /usr/local/bin/git

WORKDIR /src
# Least to most frequently changed, so an edit to a test does not rebuild the library layer.
COPY VERSION meson.build meson_options.txt ./
COPY include/ include/
COPY pkgconfig/ pkgconfig/
COPY libappcore/ libappcore/
COPY appcore-server/ appcore-server/
COPY appcore-cli/ appcore-cli/
COPY examples/ examples/
COPY bench/ bench/
COPY configs/ configs/
# docs/ holds the manual pages (docs/meson.build); README.md and docs/ feed the doc-snippets test
COPY README.md ./
COPY docs/ docs/
COPY tests/ tests/

ARG VERSION=
RUN if [ -n "$VERSION" ] && [ "$VERSION" != "$(cat VERSION)" ]; then \
		echo "build arg VERSION=$VERSION does not match the VERSION file ($(cat VERSION))" >&2; exit 1; \
	fi
# --libdir explicitly: Meson finds the Debian triplet only through dpkg-architecture (dpkg-dev).
RUN meson setup /build --buildtype=release --prefix=/usr/local --libdir="lib/$(gcc -print-multiarch)" \
		-Dserver=enabled -Dtests=enabled \
	&& meson compile -C /build \
	&& meson test -C /build --print-errorlogs \
	&& DESTDIR=/stage meson install -C /build --no-rebuild --strip

FROM builder AS rootfs
COPY deploy/appcore/config.yaml /rootfs/etc/appcore/config.yaml
COPY deploy/image/sbom.py /usr/local/bin/appcore-sbom
# Exactly what runs: the two programs, libappcore, the libraries ldd resolves for them (libc,
# CivetWeb, Jansson, libfyaml, hiredis, the dynamic loader) and for libpq and libcrypto, which
# libappcore loads with dlopen() when a prediction log is configured (so ldd of the programs
# does not list them; libappcore/predlog/dynlib.h), a loader cache that knows
# /usr/local/lib/<triplet>, the model, the config, passwd/group entries for the fixed non-root uid
# and the batch jobs directory it owns (a named volume mounted there starts with that owner).
RUN set -eu; \
	multiarch=$(gcc -print-multiarch); \
	libdir=/usr/local/lib/$multiarch; \
	mkdir -p /rootfs/usr/local/bin "/rootfs$libdir" /rootfs/usr/share/appcore/models /rootfs/etc; \
	cp /stage/usr/local/bin/appcore-server /stage/usr/local/bin/appcore-cli /rootfs/usr/local/bin/; \
	cp -P "/stage$libdir"/libappcore.so.0* "/rootfs$libdir/"; \
	dlopened=$(ldconfig -p | awk '$1 == "libpq.so.5" || $1 == "libcrypto.so.3" { print $NF }' \
		| sort -u); \
	[ "$(echo "$dlopened" | wc -l)" = 2 ] || { echo "libpq.so.5 or libcrypto.so.3 not found"; exit 1; }; \
	{ for bin in /rootfs/usr/local/bin/* $dlopened; do \
		LD_LIBRARY_PATH="/rootfs$libdir" ldd "$bin" \
			| awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'; \
	done; echo "$dlopened"; } \
		| grep -v "^/rootfs/" | sort -u | while read -r lib; do \
		cp -L --parents "$lib" /rootfs/; \
	done; \
	echo "$libdir" >/rootfs/etc/ld.so.conf; \
	ldconfig -r /rootfs; \
	cp examples/models/iris.json /rootfs/usr/share/appcore/models/iris.json; \
	echo 'appcore:x:10001:10001:appcore:/nonexistent:/usr/sbin/nologin' >/rootfs/etc/passwd; \
	mkdir -p /rootfs/var/lib/appcore/prediction-log; \
	echo 'appcore:x:10001:' >/rootfs/etc/group; \
	mkdir -p /rootfs/var/lib/appcore/jobs; \
	chown 10001:10001 /rootfs/var/lib/appcore/jobs; \
	python3 /usr/local/bin/appcore-sbom /rootfs appcore "$(cat VERSION)"; \
	chmod -R a+rX,go-w /rootfs; \
	chown 10001:10001 /rootfs/var/lib/appcore/prediction-log; \
	chmod 700 /rootfs/var/lib/appcore/prediction-log; \
	echo "runtime files:"; find /rootfs -type f -printf '%9s %p\n' | sort -k2

FROM ${BASE_IMAGE} AS runtime-debian
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		libcivetweb1 libjansson4 libfyaml0 libpq5 zlib1g libssl3 libhiredis0.14 \
	&& rm -rf /var/lib/apt/lists/* \
	&& groupadd -g 10001 appcore && useradd -u 10001 -g 10001 -M -d /nonexistent -s /usr/sbin/nologin appcore \
	&& install -d -o 10001 -g 10001 -m 700 /var/lib/appcore/prediction-log
COPY --from=rootfs /rootfs/usr/local/ /usr/local/
COPY --from=rootfs /rootfs/etc/appcore/ /etc/appcore/
COPY --from=rootfs /rootfs/usr/share/appcore/ /usr/share/appcore/
COPY --from=rootfs /rootfs/var/lib/appcore/ /var/lib/appcore/
RUN ldconfig
USER 10001:10001
WORKDIR /usr/share/appcore
ENV APPCORE_CONFIG=/etc/appcore/config.yaml APPCORE_SERVER_HOST=0.0.0.0
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
	CMD ["/usr/local/bin/appcore-cli","health","--timeout-ms","2000","http://127.0.0.1:8000/health"]
ENTRYPOINT ["/usr/local/bin/appcore-server"]

# The install tree alone (release tarballs: .github/workflows/release.yml).
FROM scratch AS install-tree
COPY --from=builder /stage/ /

# The SBOM alone (see deploy/image/sbom.py); the runtime image carries the same file together
# with the dpkg status.d entries scanners read.
FROM scratch AS sbom
COPY --from=rootfs /rootfs/usr/share/appcore/sbom.cdx.json /sbom.cdx.json

FROM scratch AS runtime
COPY --from=rootfs /rootfs/ /
ARG VERSION=
ARG REVISION=
ARG SOURCE=https://github.com/appcore/appcore
LABEL org.opencontainers.image.title="appcore" \
	org.opencontainers.image.description="XGBoost model serving in C: REST server and CLI" \
	org.opencontainers.image.version="${VERSION}" \
	org.opencontainers.image.revision="${REVISION}" \
	org.opencontainers.image.source="${SOURCE}" \
	org.opencontainers.image.licenses="MIT"
# A fixed numeric uid/gid: no name lookup needed, and file ownership on mounted volumes is stable.
USER 10001:10001
WORKDIR /usr/share/appcore
# The config file names the model by absolute path; every key can still be overridden with
# APPCORE_<SECTION>_<KEY>. 0.0.0.0 because 127.0.0.1 inside a container is unreachable from outside.
ENV APPCORE_CONFIG=/etc/appcore/config.yaml APPCORE_SERVER_HOST=0.0.0.0
EXPOSE 8000
STOPSIGNAL SIGTERM
# No curl in the image: appcore-cli health does the GET. Exec form, no spaces inside arguments.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
	CMD ["/usr/local/bin/appcore-cli","health","--timeout-ms","2000","http://127.0.0.1:8000/health"]
ENTRYPOINT ["/usr/local/bin/appcore-server"]
