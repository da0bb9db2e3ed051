# syntax=docker/dockerfile:1
# DanceBot: one image for both the app (`dancebot serve`) and the worker (`dancebot worker`).
# Build: docker compose build   (or: docker build -t dancebot .)

ARG PYTHON_VERSION=3.12

# ---- build: resolve and install the locked dependencies with uv ------------------------
FROM ghcr.io/astral-sh/uv:python${PYTHON_VERSION}-bookworm-slim AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=0
WORKDIR /app
# Dependencies first (a layer that changes only with uv.lock), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

# ---- runtime: the interpreter, the virtualenv and the studio's files; no uv, no compiler --
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DANCEBOT_ENV=production \
    LOG_FORMAT=json
RUN groupadd --system --gid 10001 dancebot \
    && useradd --system --uid 10001 --gid dancebot --home-dir /app --shell /usr/sbin/nologin dancebot
WORKDIR /app
COPY --from=build --chown=root:root /app/.venv /app/.venv
COPY --from=build --chown=root:root /app/src /app/src
COPY --chown=root:root pyproject.toml alembic.ini ./
COPY --chown=root:root knowledge ./knowledge
COPY --chown=root:root seeds ./seeds
# The only place the process writes to (the emulator's state in TEST_MODE, SQLite if no
# DATABASE_URL); the code and the knowledge base stay read-only for it.
RUN mkdir -p /app/var && chown dancebot:dancebot /app/var
USER 10001:10001
EXPOSE 8000
# The app's probe; docker-compose.yml gives the worker its own (`dancebot worker --check`).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "dancebot.ops.probe", "http://127.0.0.1:8000/health"]
CMD ["dancebot", "serve", "--host", "0.0.0.0", "--port", "8000"]
