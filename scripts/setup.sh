#!/usr/bin/env bash
# One-time (and idempotent) set-up of a fresh Debian machine for Sitefinder:
# system packages (PostGIS for PostgreSQL 15, Chromium for browser tests), a running PostgreSQL,
# the Python virtual environment and the npm front-end packages. Safe and quick to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

need_apt=()
command -v psql >/dev/null 2>&1 || need_apt+=(postgresql-15 postgresql-client-15)
dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1 || need_apt+=(postgresql-15-postgis-3)
if [ "${SITEFINDER_SKIP_BROWSER:-0}" != 1 ]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
fi
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)
# WeasyPrint (site reports as PDF) draws text with Pango; DejaVu is the reports' font
dpkg -s libpangoft2-1.0-0 >/dev/null 2>&1 || need_apt+=(libpango-1.0-0 libpangoft2-1.0-0)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need_apt+=(fonts-dejavu-core)
# ogr2ogr: the reference loader `make bench` measures the ETL against (bench/speed.py)
command -v ogr2ogr >/dev/null 2>&1 || need_apt+=(gdal-bin)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ -z "${SITEFINDER_DATABASE_URL:-}" ] && command -v pg_lsclusters >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    say "starting PostgreSQL 15"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO pg_ctlcluster --skip-systemctl-redirect 15 main start || $SUDO pg_ctlcluster 15 main start
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "creating the Python environment in .venv"
  "$PY" -m venv .venv
fi
if [ ! -f .venv/.setup-stamp ] || [ pyproject.toml -nt .venv/.setup-stamp ]; then
  say "installing Python packages"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev,bench]'
  touch .venv/.setup-stamp
fi

if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  say "installing front-end packages (npm ci)"
  (cd web && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
say "ready"
