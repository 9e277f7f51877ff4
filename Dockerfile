# The Sitefinder app image (used by docker-compose.yml). GDAL comes inside the pyogrio wheel.
FROM node:20-bookworm-slim AS web
WORKDIR /app/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY sitefinder ./sitefinder
COPY etl ./etl
COPY layers ./layers
RUN pip install --no-cache-dir .
COPY web ./web
COPY --from=web /app/web/node_modules ./web/node_modules
COPY data ./data
ENV SITEFINDER_DATA_DIR=/app/data/demo SITEFINDER_WEB_DIR=/app/web
EXPOSE 8000
CMD ["sitefinder", "demo"]
