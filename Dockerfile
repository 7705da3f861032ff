# syntax=docker/dockerfile:1
# One image for every Haven process kind; the command picks the kind:
#   haven run intake | haven relay intake | haven run gateway | ...
# No secret is baked in: HAVEN_MASTER_KEY, HAVEN_BLIND_INDEX_KEY, HAVEN_TOKEN_PUBLIC_KEY and
# the URLs with credentials come from the environment at run time (compose .env, k8s Secret).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/haven
WORKDIR /src
COPY pyproject.toml ./
COPY shared/ shared/
COPY services/ services/
# A regular (not editable) install: the final stage needs the venv only, not /src.
RUN /opt/haven/bin/pip install .

FROM python:3.11-slim
RUN groupadd --system --gid 10001 haven \
 && useradd --system --uid 10001 --gid haven --no-create-home \
            --home-dir /nonexistent --shell /usr/sbin/nologin haven
COPY --from=build /opt/haven /opt/haven
# PYTHONDONTWRITEBYTECODE: the root filesystem is read-only in Kubernetes (pip already
# compiled the .pyc files at build time). PSYCOPG_WAIT_FUNC is also set by
# shared.process.prepare_service_process; here it covers any other entry point.
ENV PATH=/opt/haven/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PSYCOPG_WAIT_FUNC=wait_select \
    HAVEN_HTTP_PORT=8080 \
    HAVEN_METRICS_PORT=9100
WORKDIR /tmp
USER 10001:10001
# 8080: the gateway's HTTP API. 9100: every process's /metrics, /health and /ready.
EXPOSE 8080 9100
# The standard library only: no curl in a slim image, and nothing to install for it.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('HAVEN_METRICS_PORT', '9100') + '/health', timeout=2)"]
ENTRYPOINT ["haven"]
CMD ["--help"]
