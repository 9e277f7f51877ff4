# The Sitefinder app image (used by docker-compose.yml). GDAL comes inside the pyogrio wheel.
FROM node:20-bookworm-slim AS web
WORKDIR /app/web
COPY web/package.json web/package-lock.json ./
# no install scripts: the front end is static files (swagger-ui-dist's telemetry stays off)
RUN npm ci --no-audit --no-fund --ignore-scripts

FROM python:3.11-slim-bookworm
# the app runs as an unprivileged user (uid 10001) that owns nothing of the image
RUN groupadd --system --gid 10001 sitefinder \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin sitefinder
WORKDIR /app
COPY pyproject.toml README.md ./
COPY sitefinder ./sitefinder
COPY etl ./etl
COPY layers ./layers
RUN pip install --no-cache-dir .
COPY web ./web
COPY --from=web /app/web/node_modules ./web/node_modules
COPY data ./data
ENV SITEFINDER_DATA_DIR=/app/data/demo SITEFINDER_WEB_DIR=/app/web \
    SITEFINDER_CACHE_DIR=/tmp/sitefinder-cache PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
EXPOSE 8000
CMD ["sitefinder", "demo"]
