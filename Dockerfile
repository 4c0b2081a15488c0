# Jobraker for deployments that bring their own PostgreSQL (with pgvector) and Redis:
# set DATABASE_URL and REDIS_URL; see docker-compose.yml and docs/operations.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . \
    && useradd --create-home --uid 10001 jobraker

USER jobraker
ENV JOBRAKER_DATA_DIR=/home/jobraker/data \
    JOBRAKER_HOST=0.0.0.0 \
    JOBRAKER_PORT=8000
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=3).status == 200 else 1)"]

CMD ["jobraker", "serve", "--host", "0.0.0.0", "--port", "8000"]
