# syntax=docker/dockerfile:1
# The scaleset-operator image: `docker build -t scaleset-operator:dev .` (make kind-load does this).
#
# Two stages on the same pinned base: the builder turns the source into a wheel and installs it,
# with exactly the locked dependencies, into a virtualenv at /opt/venv; the final stage copies only
# that virtualenv. Reproducible: every file installed is named by version and sha256 in
# requirements/ (`make lock`; pip --require-hashes refuses anything else): the runtime dependencies
# from requirements/runtime.txt, the build backend and pip from requirements/build.txt. Every one
# ships as a binary wheel for linux/amd64 and linux/arm64, so no compiler is involved anywhere. The
# final image has no pip, no build tools, no caches, and runs as uid/gid 65532 (the Helm chart's
# runAsUser) with a read-only root filesystem in mind.
#
# The base is pinned to an exact tag. To pin it by digest as well (recommended for releases):
#   docker buildx imagetools inspect python:3.11.14-slim-bookworm   # -> sha256:...
#   docker build --build-arg PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:... .
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY requirements/build.txt requirements/runtime.txt ./requirements/
COPY pyproject.toml README.md LICENSE ./
COPY operator/ ./operator/
# The locked pip and build backend; the project wheel built with them (no build isolation, so nothing
# unhashed is fetched); a pip-less virtualenv holding the locked dependencies, then the wheel alone.
RUN python -m pip install --require-hashes --only-binary=:all: -r requirements/build.txt \
 && python -m pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
 && python -m venv --without-pip /opt/venv \
 && python -m pip --python /opt/venv/bin/python install --require-hashes --only-binary=:all: --no-compile \
      -r requirements/runtime.txt \
 && python -m pip --python /opt/venv/bin/python install --no-deps --no-compile /wheels/*.whl \
 && /opt/venv/bin/python -m compileall -q -j 0 /opt/venv/lib \
 && /opt/venv/bin/scaleset-operator --help >/dev/null

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="scaleset-operator" \
      org.opencontainers.image.description="Kubernetes operator for virtual machine scale sets (Azure or a built-in simulator)" \
      org.opencontainers.image.licenses="Apache-2.0"
# No installer at runtime: drop the base image's pip/setuptools/wheel. A passwd entry for 65532,
# because getpass.getuser() (kopf's default peer identity) fails for a uid without one.
RUN python -m pip uninstall --yes --no-cache-dir pip setuptools wheel >/dev/null 2>&1 || true \
 && rm -rf /root/.cache \
 && groupadd --gid 65532 nonroot \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nonroot
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 65532:65532
WORKDIR /tmp
# 8080: kopf's /healthz (--liveness-port); 9090: metrics (--metrics-port). Both set by the chart.
EXPOSE 8080 9090
ENTRYPOINT ["scaleset-operator", "run"]
