# syntax=docker/dockerfile:1
# Fullmobs: one image for the web, the worker, beat and the release step (docs/deployment.md).
# The commands are `python -m config.prod <role>`, the ones the Makefile and CI run
# (tests/config/test_serve.py starts `web` with the production settings).
ARG PYTHON_VERSION=3.11

# ---- build: wheels of every dependency (compilers stay in this stage) ----------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml ./
# The runtime dependencies only (not the [dev] extra), read from pyproject.toml.
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml','rb'))['project']['dependencies']))" > requirements.txt \
 && pip wheel --wheel-dir /wheels -r requirements.txt

# ---- runtime: slim, no compiler, a user without privileges ----------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
# WeasyPrint's Pango, and HarfBuzz's subsetter (several times faster than fontTools' fallback).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 fullmobs \
 && useradd --system --uid 10001 --gid fullmobs --home-dir /app --shell /usr/sbin/nologin fullmobs
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels /wheels/*.whl && rm -rf /wheels

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    DJANGO_ENV=production \
    LOG_FORMAT=json \
    PORT=8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/fullmobs-metrics \
    WORKER_TMP_DIR=/dev/shm \
    MEDIA_ROOT=/app/media
WORKDIR /app
COPY --chown=fullmobs:fullmobs . .
# Hashed static files in the image (whitenoise serves them). Production settings refuse to
# load without their secrets: placeholders valid for this step only, never at run time.
RUN DJANGO_SECRET_KEY="collectstatic-only-$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
    PROFILE_ADDRESS_KEY="collectstatic-only-$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
    DATABASE_URL=postgres://collectstatic@localhost/none \
    EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend \
    python manage.py collectstatic --noinput --verbosity 0 \
 && mkdir -p /app/media && chown fullmobs:fullmobs /app/media

USER fullmobs
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-m", "config.prod", "probe"]
CMD ["python", "-m", "config.prod", "web"]
