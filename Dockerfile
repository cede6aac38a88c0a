# syntax=docker/dockerfile:1
# fravaer in production: one image for web (gunicorn), worker and beat (Celery).
# See docker-compose.yml for how the services run it.

# --- front-end assets: npm is needed at build time only --------------------------
FROM node:22-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# --- the application --------------------------------------------------------------
FROM python:3.11-slim-bookworm

# settings.py finds templates/, static/ and locale/ beside the packages (BASE_DIR), so
# the source tree in /app comes first on the path, before the copy `pip install .` makes.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    STATIC_ROOT=/app/staticfiles
# WeasyPrint (PDFs, fravaer/pdf.py) needs Pango at import; fonts come from our static
# files, so no font packages are needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home fravaer

COPY pyproject.toml README.md ./
COPY requirements/base.txt requirements/base.txt
# The pinned, hashed dependencies first (`make lock` writes them), then the project on
# top without resolving again. The pip cache survives between builds.
RUN --mount=type=cache,target=/root/.cache/pip pip install --require-hashes -r requirements/base.txt
COPY fravaer/ fravaer/
COPY cases/ cases/
COPY plans/ plans/
RUN --mount=type=cache,target=/root/.cache/pip pip install --no-deps .
# The rest that .dockerignore lets through: manage.py, templates/, static/, locale/, docs/.
COPY . .
# The Makefile's vendor step: Designsystemet, htmx and the Inter font, served from our
# own static files (never a CDN).
COPY --from=assets /build/node_modules/@digdir/designsystemet-css/dist/src/index.css \
     static/vendor/designsystemet.css
COPY --from=assets /build/node_modules/@digdir/designsystemet-css/dist/theme/designsystemet.css \
     static/vendor/designsystemet-theme.css
COPY --from=assets /build/node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
COPY --from=assets \
     /build/node_modules/@fontsource/inter/files/inter-latin-400-normal.woff2 \
     /build/node_modules/@fontsource/inter/files/inter-latin-500-normal.woff2 \
     /build/node_modules/@fontsource/inter/files/inter-latin-600-normal.woff2 \
     /build/node_modules/@fontsource/inter/files/inter-latin-700-normal.woff2 \
     static/vendor/fonts/

# Hashed, compressed static files are part of the image (STATIC_MANIFEST=true). The
# secret is a throwaway: collectstatic needs settings, not a real key.
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-a-secret STATIC_MANIFEST=true \
    python manage.py collectstatic --no-input -v 0 \
 && mkdir -p /app/var && chown fravaer:fravaer /app/var

USER fravaer
EXPOSE 8000
CMD ["gunicorn", "fravaer.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--timeout", "60", "--access-logfile", "-"]
