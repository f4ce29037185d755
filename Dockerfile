# syntax=docker/dockerfile:1
# Build stage: a wheel-complete virtualenv, no compilers in the final image.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install .

# Runtime stage: non-root user, migrations then uvicorn with WEISHI_WORKERS workers.
# PYTHONPATH makes the copied app/ (beside alembic/) the one imported, so migrations are found.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    WEISHI_ENVIRONMENT=production WEISHI_WORKERS=2 PYTHONPATH=/srv/weishi
# A font with Chinese glyphs for the PNG project signs (一码一工程).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei && rm -rf /var/lib/apt/lists/*
RUN groupadd --system weishi && useradd --system --gid weishi --home-dir /srv/weishi weishi
WORKDIR /srv/weishi
COPY --from=build /opt/venv /opt/venv
COPY alembic.ini ./
COPY alembic ./alembic
COPY app ./app
RUN mkdir -p data && chown weishi:weishi data
USER weishi
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status==200 else 1)"
CMD ["sh", "-c", "weishi migrate && exec weishi serve --host 0.0.0.0 --port 8000 --workers ${WEISHI_WORKERS}"]
