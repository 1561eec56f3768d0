# design-reviewer API with the model and the ingested corpus baked in; runs as a non-root user.
# The base image is a build argument: the official slim Python image by default; a plain Debian
# image (no Python) also works: Debian's python3 is installed then (.ci/container.sh builds so).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
# Set only by a build that mounts its own CA bundle for pip (.ci/container.sh); unset otherwise.
ARG PIP_CERT

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DESIGN_REVIEW_STORE_PATH=/srv/design-review/chroma \
    DESIGN_REVIEW_DATABASE_URL=sqlite:////srv/reviews/reviews.db \
    PATH=/opt/venv/bin:$PATH \
    DESIGN_REVIEW_CORPUS_DIR=/srv/app/corpus

WORKDIR /srv/app
# The project lives in a virtual environment, whatever Python the base image has.
RUN if ! command -v python3 >/dev/null; then \
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            python3 python3-venv ca-certificates >/dev/null && rm -rf /var/lib/apt/lists/*; \
    fi \
    && python3 -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY app ./app
COPY corpus ./corpus
COPY prompts ./prompts
COPY ingest.py ./
RUN pip install . \
    && python ingest.py --quiet \
    && useradd --system --uid 10001 --home-dir /srv reviewer \
    && chown -R reviewer /srv/design-review

# Stored reviews (SQLite) on a volume of their own: they outlive the container.
RUN mkdir -p /srv/reviews && chown reviewer /srv/reviews
VOLUME ["/srv/reviews"]

USER reviewer
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["design-review", "serve", "--host", "0.0.0.0", "--port", "8000"]
