# syntax=docker/dockerfile:1
# One image for every service: `docker run IMAGE serve intake|matching|notifications|reporting`,
# `docker run IMAGE migrate`, `docker run IMAGE topics`. See deploy/README.md.

# --- builder: build tools, builds the wheel and installs it into a virtual environment -----------
FROM python:3.11-slim AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/samenloket
WORKDIR /src
COPY pyproject.toml README.md ./
COPY contracts ./contracts
COPY services ./services
RUN /opt/samenloket/bin/pip install --upgrade pip wheel \
 && /opt/samenloket/bin/pip wheel --no-deps --wheel-dir /tmp/wheels . \
 && /opt/samenloket/bin/pip install /tmp/wheels/*.whl

# --- final: only the virtual environment, no compilers, runs as an unprivileged user ------------
FROM python:3.11-slim
ENV PATH=/opt/samenloket/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SAMENLOKET_HOST=0.0.0.0 \
    SAMENLOKET_DATA_DIR=/tmp/samenloket
RUN groupadd --system --gid 10001 samenloket \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin samenloket
COPY --from=builder /opt/samenloket /opt/samenloket
WORKDIR /tmp
USER 10001:10001
EXPOSE 8001 8002 8003 8004
# No HEALTHCHECK here: the port depends on the service; compose and Kubernetes probe /readyz and /healthz.
ENTRYPOINT ["samenloket"]
CMD ["serve", "intake"]
