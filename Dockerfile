# syntax=docker/dockerfile:1
# Build: resolve the locked environment with uv. Run: the service against DATABASE_URL.
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir uv
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/app/.venv
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY service ./service
COPY models ./models
COPY routers ./routers
COPY jobs ./jobs
COPY seed ./seed
COPY alembic ./alembic
COPY alembic.ini ./
RUN uv sync --frozen --no-dev

FROM python:3.11-slim AS run
RUN useradd --system --uid 10001 qcs
WORKDIR /app
COPY --from=build /app /app
ENV PATH="/app/.venv/bin:$PATH" PYTHONUNBUFFERED=1
USER qcs
EXPOSE 8000
# DATABASE_URL must point at PostgreSQL (postgresql+asyncpg://…); the embedded server is for
# development only.
CMD ["qcs", "serve", "--host", "0.0.0.0", "--port", "8000"]
