# syntax=docker/dockerfile:1
# Partner Portal: one image for the web server, the task worker and the maintenance loop
# (docker/entrypoint web|worker|maintenance). See README "Production".

# --- Stage 1: wheels for every pinned dependency (nothing compiled in the final image) -------
# Exact versions; to pin the digest too, on a machine with Docker:
#   docker buildx imagetools inspect python:3.12.11-slim-bookworm --format '{{json .Manifest.Digest}}'
FROM python:3.12.11-slim-bookworm AS wheels
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY pyproject.toml ./
# The exact pins of pyproject.toml's [project] dependencies, as a requirements file.
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('requirements.txt', 'w').write('\n'.join(deps) + '\n')" \
    && pip wheel --wheel-dir /wheels --requirement requirements.txt \
    && cp requirements.txt /wheels/

# --- Stage 2: the runtime ---------------------------------------------------------------------
FROM python:3.12.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    PORTAL_DATA_DIR=/data \
    STATIC_ROOT=/app/staticfiles \
    PORT=8000

RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-index --find-links /wheels --requirement /wheels/requirements.txt \
    && groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home portal \
    && mkdir /data \
    && chown portal:portal /data

WORKDIR /app
COPY manage.py ./
COPY portal ./portal
COPY customers ./customers
COPY users ./users
COPY templates ./templates
COPY static ./static
COPY docker ./docker

# Static files collected (and compressed, with a manifest) at build time; WhiteNoise serves them.
# Settings load here in sandbox mode with a throw-away key: nothing is kept from it.
RUN DJANGO_SECRET_KEY=collectstatic-only-collectstatic-only-collectstatic-only-0123456789 \
    PORTAL_DATA_DIR=/tmp/collectstatic \
    python manage.py collectstatic --noinput --verbosity 0 \
    && rm -rf /tmp/collectstatic

USER 10001:10001
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=6s --start-period=60s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py"]
ENTRYPOINT ["/app/docker/entrypoint"]
CMD ["web"]
