# syntax=docker/dockerfile:1.7
# One image per service, from this one file:
#   docker build --build-arg SERVICE=registers -t attendance/registers .
# The same image runs the API (default command), the worker (`python -m <service>.worker`) and the
# migrations (`python -m attendance_common.migrate <service>`), which run as their own step: set
# <SERVICE>_MIGRATE_ON_START=false so the API never migrates at start.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# The uv that wrote uv.lock (its format follows uv's version).
FROM ghcr.io/astral-sh/uv:0.13 AS uv

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
COPY --from=uv /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first, from the lock alone, so a source change does not reinstall them.
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/
COPY services/registers/pyproject.toml services/registers/
COPY services/alerts/pyproject.toml services/alerts/
COPY services/casework/pyproject.toml services/casework/
COPY services/notifications/pyproject.toml services/notifications/
RUN --mount=type=cache,target=/root/.cache/uv \
    test -n "$SERVICE" || { echo "build with --build-arg SERVICE=<name>"; exit 1; } \
    && uv sync --locked --no-dev --package "$SERVICE" --no-install-workspace
COPY libs/common libs/common
COPY services/${SERVICE} services/${SERVICE}
# Workspace members install editable: the service finds its migrations beside its src/.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --package "$SERVICE"

FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
# Production logs a JSON line per HTTP request (`make run` leaves them off).
ENV SERVICE=${SERVICE} PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PORT=8000 \
    ATTENDANCE_ACCESS_LOG=true
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --no-create-home app
WORKDIR /app
COPY --from=build --chown=root:root /app /app
USER 10001:10001
EXPOSE 8000
# slim has no curl: Python asks /healthz (the worker's compose service and pod override this).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/healthz\", timeout=4)"]
# exec: uvicorn is PID 1 and gets SIGTERM; in-flight requests get 20 s to finish.
# Access lines follow ATTENDANCE_ACCESS_LOG (attendance_common/logging.py), not a uvicorn flag.
CMD ["sh", "-c", "exec uvicorn \"$SERVICE.main:app\" --host 0.0.0.0 --port \"$PORT\" --proxy-headers --forwarded-allow-ips '*' --timeout-graceful-shutdown 20"]
