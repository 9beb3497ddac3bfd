"""The dashboards as code, imported into a real Superset and read back through its REST API.

Superset runs from its own environment (``.venv-superset``, built by ``make test-superset`` from
superset/requirements.lock) with SQLite metadata in a temporary directory. The compose service's
``superset/bootstrap.sh`` prepares it (migrate, admin, roles, import) over a small published
province; gunicorn serves it on a free local port. The ranking chart's saved query context must
return exactly the current year's rows of ``marts.scorecard_766``, in level order then rank; every
other chart's saved query must run against the published file and return rows.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.superset.province import build_published_province

# Installing is make's job; migrating Superset's metadata and syncing its permissions take a few
# minutes on a loaded 2-core machine.
pytestmark = [pytest.mark.superset, pytest.mark.timeout(1800)]

REPO = Path(__file__).resolve().parents[2]
SUPERSET_BIN = REPO / ".venv-superset" / "bin"
BOOTSTRAP = REPO / "superset" / "bootstrap.sh"
RANKING_CHART_UUID = "e152d1b3-4965-49d1-9c51-b0e027f6fe9f"
ADMIN, PASSWORD = "admin", "superset-test-password"
# What the datasets' level_vi column must show for each level, in the order the ranking lists them.
LEVELS = {
    "province": (1, "Cấp tỉnh"),
    "department": (2, "Sở, ban, ngành"),
    "district": (3, "Cấp huyện"),
    "commune": (4, "Cấp xã"),
}
POINT_COLUMNS = (
    "total_points",
    "covered_max_points",
    "transparency_points",
    "progress_points",
    "online_service_points",
    "online_payment_points",
    "digitisation_points",
    "satisfaction_points",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """Superset's REST API with a JWT from /api/v1/security/login."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token: str | None = None

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        # No Content-Type on bodiless requests: Superset answers 400 to an empty JSON body.
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")[:2000]

    def login(self) -> None:
        body = {"username": ADMIN, "password": PASSWORD, "provider": "db", "refresh": False}
        status, payload = self.call("POST", "/api/v1/security/login", body)
        assert status == 200, f"login failed: {status} {payload}"
        self.token = payload["access_token"]


def _superset_env(home: Path, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{SUPERSET_BIN}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(SUPERSET_BIN.parent),
        "SUPERSET_PYTHON": str(SUPERSET_BIN / "python"),
        "SUPERSET_HOME": str(home),
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(48),
        "SUPERSET_ADMIN_USERNAME": ADMIN,
        "SUPERSET_ADMIN_PASSWORD": PASSWORD,
        "PARMETRICS_DATA_DIR": str(data_dir),
    }


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    return build_published_province(tmp_path_factory.mktemp("province")).published_db


@pytest.fixture(scope="module")
def superset(tmp_path_factory, published: Path):
    """bootstrap.sh over a fresh SQLite metadata database, then gunicorn on a free port."""
    if not (SUPERSET_BIN / "superset").exists():
        pytest.fail(f"no Superset in {SUPERSET_BIN.parent}: run `make test-superset`, which installs it")
    work = tmp_path_factory.mktemp("superset")
    env = _superset_env(work / "home", published.parent.parent)
    log = work / "superset.log"
    with log.open("w") as out:
        boot = subprocess.run(["bash", str(BOOTSTRAP)], env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    assert boot.returncode == 0, f"bootstrap.sh failed:\n{log.read_text()[-6000:]}"

    port = _free_port()
    server_log = (work / "gunicorn.log").open("w")
    gunicorn = [str(SUPERSET_BIN / "gunicorn"), "-w", "1", "--threads", "4", "--timeout", "300"]
    server = subprocess.Popen(
        [*gunicorn, "-b", f"127.0.0.1:{port}", "superset.app:create_app()"],
        env=env,
        cwd=work,
        stdout=server_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api = Api(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 600
        while True:
            assert server.poll() is None, f"gunicorn exited:\n{(work / 'gunicorn.log').read_text()[-6000:]}"
            try:
                with urllib.request.urlopen(f"{api.base}/health", timeout=10) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "Superset did not answer /health within 10 minutes"
            time.sleep(2)
        api.login()
        yield api
    finally:
        # Only the server this fixture started (its own session: the master and its worker).
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        server_log.close()


def _charts(api: Api) -> dict[str, int]:
    status, payload = api.call("GET", "/api/v1/chart/?q=(columns:!(id,uuid,slice_name),page_size:100)")
    assert status == 200, payload
    return {row["uuid"]: row["id"] for row in payload["result"]}


def _chart_data(api: Api, chart_id: int) -> dict[str, Any]:
    status, payload = api.call("GET", f"/api/v1/chart/{chart_id}/data/")
    assert status == 200, f"chart {chart_id}: {status} {payload}"
    return payload["result"][0]


def _bundle_chart_uuids() -> set[str]:
    found = set()
    for path in (REPO / "superset" / "dashboards" / "charts").glob("*.yaml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("uuid: "):
                found.add(line.removeprefix("uuid: ").strip())
    return found


def test_ranking_chart_data_equals_the_marts(superset: Api, published: Path) -> None:
    charts = _charts(superset)
    assert set(charts) == _bundle_chart_uuids(), "every chart of the bundle was imported, and nothing else"
    status, dashboards = superset.call("GET", "/api/v1/dashboard/?q=(columns:!(id,dashboard_title),page_size:100)")
    assert status == 200 and len(dashboards["result"]) == 4, dashboards

    got = _chart_data(superset, charts[RANKING_CHART_UUID])["data"]

    with duckdb.connect(str(published), read_only=True) as con:
        cur = con.execute(
            f"""select unit_code, unit_level, unit_name, rank_in_level, {", ".join(POINT_COLUMNS)}
            from marts.scorecard_766
            where period_grain = 'year'
              and period_start = (select max(period_start) from marts.scorecard_766 where period_grain = 'year')"""
        )
        names = [d[0] for d in cur.description]
        expected = {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}
    assert len({r["unit_level"] for r in expected.values()}) >= 3, "the province ranks units on several levels"

    assert len(got) == len(expected), f"{len(got)} rows through Superset, {len(expected)} in the mart"
    for row in got:
        want = expected[row["unit_code"]]
        assert row["level_vi"] == LEVELS[want["unit_level"]][1]
        assert row["unit_name"] == want["unit_name"]
        assert row["rank_in_level"] == want["rank_in_level"]
        for column in POINT_COLUMNS:
            assert row[column] == want[column], f"{row['unit_code']} {column}"
    # Ranked by level (administrative order), then by rank within the level; a unit not in force at the
    # period's end has no rank (METRICS.md §5) and follows the ranked ones.
    order = [
        (LEVELS[expected[r["unit_code"]]["unit_level"]][0], r["rank_in_level"] is None, r["rank_in_level"] or 0)
        for r in got
    ]
    assert order == sorted(order)


def test_every_chart_query_runs_on_the_published_file(superset: Api) -> None:
    for uuid, chart_id in sorted(_charts(superset).items()):
        result = _chart_data(superset, chart_id)
        assert result["rowcount"] > 0, f"chart {uuid} returned no rows"
