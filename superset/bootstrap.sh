#!/usr/bin/env bash
# Prepare Superset for the PAR metrics dashboards, then optionally run a command (the web server):
#   superset/bootstrap.sh [command ...]
# Steps, each safe to repeat on every start: migrate the metadata database, create the admin user from
# the environment, sync roles and permissions, import superset/dashboards for the data directory.
#
# Environment:
#   SUPERSET_SECRET_KEY                      required (superset_config.py refuses to start without it)
#   SUPERSET_ADMIN_USERNAME / _PASSWORD      required; SUPERSET_ADMIN_EMAIL optional
#   PARMETRICS_DATA_DIR                      the data directory holding published/ (default /data)
#   SUPERSET_CONFIG_PATH                     default: superset_config.py beside this script
#   SUPERSET_HOME                            where the SQLite metadata lives (default ~/.superset)
#   SUPERSET_PYTHON                          Superset's interpreter (default: python on PATH)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export SUPERSET_CONFIG_PATH="${SUPERSET_CONFIG_PATH:-$here/superset_config.py}"
data_dir="${PARMETRICS_DATA_DIR:-/data}"
python="${SUPERSET_PYTHON:-python}"
: "${SUPERSET_ADMIN_USERNAME:?set SUPERSET_ADMIN_USERNAME}"
: "${SUPERSET_ADMIN_PASSWORD:?set SUPERSET_ADMIN_PASSWORD}"
if [ -n "${SUPERSET_HOME:-}" ]; then
  mkdir -p "$SUPERSET_HOME"
fi

superset db upgrade
# create-admin reports an existing user and exits 0, so a restart keeps the admin (and its password).
superset fab create-admin \
  --username "$SUPERSET_ADMIN_USERNAME" \
  --password "$SUPERSET_ADMIN_PASSWORD" \
  --firstname Admin --lastname PAR \
  --email "${SUPERSET_ADMIN_EMAIL:-$SUPERSET_ADMIN_USERNAME@localhost}"
superset init
"$python" "$here/import_dashboards.py" --data-dir "$data_dir" --username "$SUPERSET_ADMIN_USERNAME"

if [ "$#" -gt 0 ]; then
  exec "$@"
fi
