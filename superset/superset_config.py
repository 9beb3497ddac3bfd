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

# Numbers as a Vietnamese reader writes them: "3.077" is three thousand and seventy-seven, "63,44" a
# score. Every chart's d3 format (",d", ",.2f", ".1%") goes through this locale in the browser.
D3_FORMAT = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " ₫"]}
# Dates on time axes and in tables: day/month/year, Vietnamese month and day names.
D3_TIME_FORMAT = {
    "dateTime": "%H:%M:%S %d/%m/%Y",
    "date": "%d/%m/%Y",
    "time": "%H:%M:%S",
    "periods": ["SA", "CH"],
    "days": ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"],
    "shortDays": ["CN", "T2", "T3", "T4", "T5", "T6", "T7"],
    "months": [f"tháng {m}" for m in range(1, 13)],
    "shortMonths": [f"Th{m}" for m in range(1, 13)],
}

# Fixed colours for the 766 dashboards, by position: a chart gives its series the scheme's colours in the
# order it lists them. The group charts list their series by name, and the groups' names start with their
# code (766.1 … 766.6), so each group has one colour in every chart and every view. The score bars and the
# trend line have schemes of their own (navy score; grey covered maximum, navy closed months, red running
# month). The dashboards set no scheme of their own, so these are the ones drawn.
EXTRA_CATEGORICAL_COLOR_SCHEMES = [
    {
        "id": "par_766_groups",
        "label": "Chỉ số 766: nhóm tiêu chí",
        "description": "766.1 công khai, 766.2 tiến độ, 766.3 DVC, 766.4 thanh toán, 766.5 số hóa, 766.6 hài lòng",
        "isDefault": False,
        "colors": ["#4E79A7", "#F28E2B", "#59A14F", "#B07AA1", "#76B7B2", "#EDC948"],
    },
    {
        "id": "par_766_score",
        "label": "Chỉ số 766: điểm",
        "description": "Điểm quy đổi",
        "isDefault": False,
        "colors": ["#1F3A5F"],
    },
    {
        "id": "par_766_trend",
        "label": "Chỉ số 766: xu hướng",
        "description": "Điểm tối đa được tính, tổng điểm tháng đã kết thúc, tháng đang diễn ra",
        "isDefault": False,
        "colors": ["#9C9C9C", "#1F3A5F", "#E15759"],
    },
]
