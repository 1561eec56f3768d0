# design-reviewer API with the model and the ingested corpus baked in; runs as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    DESIGN_REVIEW_STORE_PATH=/srv/design-review/chroma \
    DESIGN_REVIEW_ONNX_CACHE_DIR=/srv/design-review/onnx \
    DESIGN_REVIEW_DATABASE_URL=sqlite:////srv/design-review/reviews.db \
    DESIGN_REVIEW_CORPUS_DIR=/srv/app/corpus

WORKDIR /srv/app
# The CPU build of torch first, pinned to the CPU index: the default index serves a CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
COPY app ./app
COPY corpus ./corpus
COPY prompts ./prompts
COPY ingest.py ./
RUN pip install . \
    && python ingest.py --quiet \
    && useradd --system --uid 10001 --home-dir /srv reviewer \
    && chown -R reviewer /srv/design-review

USER reviewer
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["design-review", "serve", "--host", "0.0.0.0", "--port", "8000"]
