"""Superset settings for the PAR metrics dashboards (loaded through ``SUPERSET_CONFIG_PATH``).

Superset only reads the published DuckDB file, read-only; its own metadata (users, charts, dashboards)
lives in SQLite under ``SUPERSET_HOME`` unless ``SUPERSET_METADATA_URI`` points elsewhere. Nothing here
reaches the internet: no telemetry pixel, no map tiles, no web fonts, no example data.
"""

from __future__ import annotations

import os
from pathlib import Path

_secret = os.environ.get("SUPERSET_SECRET_KEY", "")
if len(_secret) < 32:
    # Superset signs sessions and encrypts stored connection secrets with this key: never a default.
    raise RuntimeError("SUPERSET_SECRET_KEY must be set to a random string of at least 32 characters")
SECRET_KEY = _secret

_home = Path(os.environ.get("SUPERSET_HOME", Path.home() / ".superset"))
SQLALCHEMY_DATABASE_URI = os.environ.get(
    "SUPERSET_METADATA_URI", f"sqlite:///{_home / 'superset.db'}?check_same_thread=false"
)

# Dashboards come from superset/dashboards (imported by bootstrap.sh), never from the example loader.
SUPERSET_LOAD_EXAMPLES = False

FEATURE_FLAGS = {
    # Both need a browser (Selenium/Playwright) and a Celery worker, neither of which this deployment runs.
    "ALERT_REPORTS": False,
    "THUMBNAILS": False,
}

# One process, no Redis: rate-limit counters in memory (and no warning at every start).
RATELIMIT_STORAGE_URI = "memory://"

# No internet. The frontend's telemetry pixel is compiled in, so the Content-Security-Policy tells the
# browser to fetch nothing but this server (Superset's default policy allows the telemetry gateway,
# Mapbox, OpenStreetMap and Google Fonts); no Mapbox key and no web-font domains either.
MAPBOX_API_KEY = ""
THEME_FONT_URL_ALLOWED_DOMAINS: list[str] = []
_self_only = {
    "base-uri": ["'self'"],
    "default-src": ["'self'"],
    "img-src": ["'self'", "blob:", "data:"],
    "worker-src": ["'self'", "blob:"],
    "connect-src": ["'self'"],
    "object-src": "'none'",
    "style-src": ["'self'", "'unsafe-inline'"],
    "font-src": ["'self'"],
    "script-src": ["'self'", "'strict-dynamic'"],
}
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": _self_only,
    "content_security_policy_nonce_in": ["script-src"],
    # TLS ends at the reverse proxy in front of compose, if any.
    "force_https": False,
    "session_cookie_secure": False,
}

# The published file changes with every publication (an atomic rename): cache chart data briefly only.
DATA_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}

# SQL Lab and charts run against a read-only file; there is nothing to write and no async worker.
SQLLAB_ASYNC_TIME_LIMIT_SEC = 300
SQLLAB_TIMEOUT = 120
SUPERSET_WEBSERVER_TIMEOUT = 120
