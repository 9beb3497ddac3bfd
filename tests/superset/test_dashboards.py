"""The dashboards as code, imported into a real Superset, read back through its REST API and rendered in
headless Chromium the way an analyst opens them.

Superset runs from its own environment (``.venv-superset``, built by ``make test-superset`` from
superset/requirements.lock) with SQLite metadata in a temporary directory. The compose service's
``superset/bootstrap.sh`` prepares it (migrate, admin, roles, import) over a small published province;
gunicorn serves it on a free local port. tests/superset/render_dashboards.py (Playwright, in Superset's
environment, driving /usr/bin/chromium) logs in, opens every dashboard of the bundle, waits for every chart
and reports what each one shows and the chart data the browser received; the screenshots stay in
``.data/superset-screenshots/<slug>.png`` and are listed at the end of the run.

Expected values come from the published file and from the reference file the source sent (which units are
in force), formatted here by hand the way a Vietnamese reader writes numbers ("1.261", "84,73").
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from parmetrics.config import Paths
from tests.superset.conftest import SCREENSHOTS
from tests.superset.province import REFERENCE_COPY, build_published_province

# Installing is make's job; migrating Superset's metadata and syncing its permissions take a few
# minutes on a loaded 2-core machine, rendering the dashboards one or two more.
pytestmark = [pytest.mark.superset, pytest.mark.timeout(2400)]

REPO = Path(__file__).resolve().parents[2]
SUPERSET_BIN = REPO / ".venv-superset" / "bin"
BOOTSTRAP = REPO / "superset" / "bootstrap.sh"
BUNDLE = REPO / "superset" / "dashboards"
RENDER = Path(__file__).with_name("render_dashboards.py")
SCREENSHOT_DIR = REPO / ".data" / "superset-screenshots"
CHROMIUM = "/usr/bin/chromium"
RANKING_CHART_UUID = "e152d1b3-4965-49d1-9c51-b0e027f6fe9f"
ADMIN, PASSWORD = "admin", "superset-test-password"
# How the dashboards name each level: numbered, so that every sort lists them in administrative order.
LEVELS = {
    "province": (1, "1. Cấp tỉnh"),
    "department": (2, "2. Sở, ban, ngành"),
    "district": (3, "3. Cấp huyện"),
    "commune": (4, "4. Cấp xã"),
}
GROUPS = (
    "transparency_points",
    "progress_points",
    "online_service_points",
    "online_payment_points",
    "digitisation_points",
    "satisfaction_points",
)
POINT_COLUMNS = ("total_points", "covered_max_points", *GROUPS)


# -- numbers as a Vietnamese reader writes them, typed out here (d3's "f" rounds half away from zero) --


def vi_number(value: float, decimals: int) -> str:
    """1261 → "1.261"; 84.7321 → "84,73" (thousands ".", decimals ",")."""
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign, digits = ("-", str(-rounded)) if rounded < 0 else ("", str(rounded))
    whole, _, fraction = digits.partition(".")
    groups = []
    while len(whole) > 3:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    grouped = ".".join([whole, *groups])
    return sign + (f"{grouped},{fraction}" if decimals else grouped)


def vi_percent(rate: float, decimals: int) -> str:
    return vi_number(rate * 100, decimals) + "%"


def test_vi_number_is_the_vietnamese_way() -> None:
    assert vi_number(3077, 0) == "3.077"
    assert vi_number(1234567.891, 2) == "1.234.567,89"
    assert vi_number(63.444, 2) == "63,44"
    assert vi_number(12.125, 2) == "12,13"
    assert vi_number(999.996, 2) == "1.000,00"
    assert vi_percent(0.8953, 2) == "89,53%"


# -- the province, its reference file, Superset ------------------------------------------------------


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
        # The deployment's settings (the Vietnamese number format among them) for bootstrap.sh and gunicorn.
        "SUPERSET_CONFIG_PATH": str(REPO / "superset" / "superset_config.py"),
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(48),
        "SUPERSET_ADMIN_USERNAME": ADMIN,
        "SUPERSET_ADMIN_PASSWORD": PASSWORD,
        "PARMETRICS_DATA_DIR": str(data_dir),
    }


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> tuple[Paths, Path]:
    """The published province and the root it was built under."""
    root = tmp_path_factory.mktemp("province")
    return build_published_province(root), root


@pytest.fixture(scope="module")
def published(province) -> Path:
    return province[0].published_db


@pytest.fixture(scope="module")
def reference(province) -> dict[str, dict[str, Any]]:
    """The units as the source's reference file (SOURCES.md §4) lists them, by code."""
    with (province[1] / REFERENCE_COPY).open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    assert rows, "the reference file lists units"
    return {
        row["ma_don_vi"]: {
            "name": row["ten_don_vi"],
            "valid_from": date.fromisoformat(row["hieu_luc_tu"]),
            "valid_to": date.fromisoformat(row["hieu_luc_den"]) if row["hieu_luc_den"] else None,
            "successor": row["ma_don_vi_ke_thua"] or None,
        }
        for row in rows
    }


def in_force(unit: dict[str, Any], day: date) -> bool:
    """METRICS.md §5: in force at a period's end ⇔ valid from it or before, and not ended before it."""
    return unit["valid_from"] <= day and (unit["valid_to"] is None or unit["valid_to"] >= day)


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


# -- the bundle ----------------------------------------------------------------------------------------


def _bundle(kind: str) -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((BUNDLE / kind).rglob("*.yaml"))]


def _dashboard_charts(dashboard: dict[str, Any]) -> list[str]:
    """The chart uuids a dashboard's layout places."""
    return [
        node["meta"]["uuid"]
        for node in dashboard["position"].values()
        if isinstance(node, dict) and node.get("type") == "CHART"
    ]


CHART_NAMES = {chart["uuid"]: chart["slice_name"] for chart in _bundle("charts")}
DASHBOARDS = {dashboard["slug"]: dashboard for dashboard in _bundle("dashboards")}


def _slug_of(chart_uuid: str) -> str:
    return next(slug for slug, dashboard in DASHBOARDS.items() if chart_uuid in _dashboard_charts(dashboard))


# -- the rendered dashboards ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(superset: Api, request) -> dict[str, dict[str, Any]]:
    """Every dashboard of the bundle opened in Chromium, by slug (see render_dashboards.py)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM} (.ci/run installs the Debian package)")
    slugs = sorted(DASHBOARDS)
    started = time.monotonic()
    proc = subprocess.run(
        [
            str(SUPERSET_BIN / "python"),
            str(RENDER),
            "--base-url",
            superset.base,
            "--username",
            ADMIN,
            "--password",
            PASSWORD,
            "--out-dir",
            str(SCREENSHOT_DIR),
            "--executable-path",
            CHROMIUM,
            *[arg for slug in slugs for arg in ("--slug", slug)],
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert proc.returncode == 0, f"render_dashboards.py failed:\n{proc.stderr[-6000:]}"
    report = json.loads(proc.stdout)
    by_slug = {dashboard["slug"]: dashboard for dashboard in report["dashboards"]}
    shots = request.config.stash.setdefault(SCREENSHOTS, [])
    for slug in slugs:
        shot = Path(by_slug[slug]["screenshot"])
        shots.append(f"{shot.relative_to(REPO)}  ({by_slug[slug]['seconds']} s to settle)")
    shots.append(f"rendering {len(slugs)} dashboards took {time.monotonic() - started:.0f} s")
    return by_slug


def chart(rendered: dict[str, dict[str, Any]], uuid: str) -> dict[str, Any]:
    """What one chart of the bundle showed, found by its title on its dashboard."""
    charts = [c for c in rendered[_slug_of(uuid)]["charts"] if c["title"] == CHART_NAMES[uuid]]
    assert len(charts) == 1, f"{CHART_NAMES[uuid]!r} is on its dashboard once"
    return charts[0]


def chart_data(rendered: dict[str, dict[str, Any]], uuid: str) -> list[dict[str, Any]]:
    """The rows of the last chart data response the browser received for that chart."""
    shown = chart(rendered, uuid)
    responses = rendered[_slug_of(uuid)]["chart_data"][str(shown["chart_id"])]
    assert responses[-1]["status"] == 200, responses[-1]
    return responses[-1]["payload"]["result"][0]["data"]


def table(shown: dict[str, Any]) -> list[dict[str, str]]:
    """A rendered table chart's body rows, keyed by the column headers the reader sees."""
    header = shown["tables"][0][0]
    rows = [row for part in shown["tables"][1:] for row in part if len(row) == len(header)]
    # A totals row closes some tables; it is not a unit.
    return [dict(zip(header, row, strict=True)) for row in rows if row[0] != "Summary"]


def uuid_of(file_name: str) -> str:
    return yaml.safe_load((BUNDLE / "charts" / file_name).read_text(encoding="utf-8"))["uuid"]


# -- what the published file says ----------------------------------------------------------------------


def query(published: Path, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    with duckdb.connect(str(published), read_only=True) as con:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@pytest.fixture(scope="module")
def current_year(published: Path) -> list[dict[str, Any]]:
    """The newest year's scorecard rows (the period every 766 chart shows)."""
    rows = query(
        published,
        f"""select unit_code, unit_name, unit_level, period_start, period_end, is_period_closed,
                   rank_in_level, {", ".join(POINT_COLUMNS)}
            from marts.scorecard_766
            where period_grain = 'year'
              and period_start = (select max(period_start) from marts.scorecard_766 where period_grain = 'year')""",
    )
    assert rows
    return rows


def ratio(row: dict[str, Any]) -> float | None:
    return row["total_points"] / row["covered_max_points"] if row["covered_max_points"] else None


def expected_ranks(rows: list[dict[str, Any]]) -> dict[str, int]:
    """METRICS.md §5 by hand: within each level, 1 + the number of units with a strictly higher ratio
    (ties share a rank; a unit with nothing covered comes last)."""
    ranks = {}
    for row in rows:
        mine = ratio(row)
        peers = [ratio(other) for other in rows if other["unit_level"] == row["unit_level"]]
        above = [r for r in peers if r is not None and (mine is None or r > mine)]
        ranks[row["unit_code"]] = 1 + len(above)
    return ranks


@pytest.fixture(scope="module")
def split(current_year, reference) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The newest year's rows of units in force at its end, and of units that had ceased (by the source)."""
    end = current_year[0]["period_end"]
    ranked = [row for row in current_year if in_force(reference[row["unit_code"]], end)]
    ceased = [row for row in current_year if not in_force(reference[row["unit_code"]], end)]
    assert ranked and ceased, "the province has units in force and ceased units with rows in the newest year"
    return ranked, ceased


# -- tests ---------------------------------------------------------------------------------------------


def test_every_chart_of_every_dashboard_renders_without_error(rendered, superset: Api) -> None:
    status, payload = superset.call("GET", "/api/v1/chart/?q=(columns:!(id,uuid,slice_name),page_size:100)")
    assert status == 200, payload
    charts = {row["uuid"]: row["id"] for row in payload["result"]}
    assert set(charts) == set(CHART_NAMES), "every chart of the bundle was imported, and nothing else"
    status, dashboards = superset.call("GET", "/api/v1/dashboard/?q=(columns:!(id,slug),page_size:100)")
    assert status == 200 and {d["slug"] for d in dashboards["result"]} == set(DASHBOARDS), dashboards

    for slug, dashboard in DASHBOARDS.items():
        shown = rendered[slug]
        titles = sorted(c["title"] for c in shown["charts"])
        assert titles == sorted(CHART_NAMES[u] for u in _dashboard_charts(dashboard)), f"{slug}: every chart placed"
        for c in shown["charts"]:
            where = f"{slug} / {c['title']}"
            assert c["settled"], f"{where}: still loading after the timeout"
            assert not c["error"], f"{where}: {c['error']}"
            assert not c["empty"], f"{where}: no results"
            responses = shown["chart_data"].get(str(c["chart_id"]), [])
            assert responses, f"{where}: the browser asked for no data"
            for response in responses:
                assert response["status"] == 200, f"{where}: {response}"
                assert all(r["rowcount"] > 0 for r in response["payload"]["result"]), f"{where}: an empty result"
        screenshot = Path(shown["screenshot"])
        assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", screenshot
        assert screenshot.stat().st_size > 50_000, f"{screenshot} is too small to show a dashboard"


def test_numbers_show_in_vietnamese_format(rendered, published: Path, current_year, split) -> None:
    # The province's criteria: counts above 1,000 with a "." between thousands, rates and points with ",".
    criteria = {
        row["criterion_code"]: row
        for row in query(
            published,
            """select criterion_code, numerator, denominator, rate, points from marts.criteria_scores
               where unit_level = 'province' and period_grain = 'year' and criterion_code like '766.%'
                 and period_start = (
                     select max(period_start) from marts.criteria_scores where period_grain = 'year'
                 )""",
        )
    }
    shown = {row["Mã tiêu chí"]: row for row in table(chart(rendered, uuid_of("766_province_criteria.yaml")))}
    assert set(shown) == set(criteria)
    progress = criteria["766.2.1"]
    assert progress["denominator"] >= 1000, "the fixture's province passes 1,000 dossiers: grouping is exercised"
    assert shown["766.2.1"]["Mẫu số"] == vi_number(progress["denominator"], 0)
    assert "." in shown["766.2.1"]["Mẫu số"]
    assert shown["766.2.1"]["Tử số"] == vi_number(progress["numerator"], 0)
    assert shown["766.2.1"]["Tỷ lệ"] == vi_percent(progress["rate"], 2)
    assert shown["766.2.1"]["Điểm"] == vi_number(progress["points"], 2)

    # A score in the ranking: the province's total and its score over 100, two decimals after a comma.
    province = next(row for row in current_year if row["unit_level"] == "province")
    ranking = table(chart(rendered, RANKING_CHART_UUID))
    row = next(r for r in ranking if r["Mã đơn vị"] == province["unit_code"])
    assert row["Tổng điểm"] == vi_number(province["total_points"], 2)
    assert row["Điểm quy đổi (thang 100)"] == vi_number(100 * ratio(province), 2)
    assert "," in row["Tổng điểm"] and "." not in row["Tổng điểm"]

    # The big numbers: overdue dossiers now; violations of the newest year received (the filter's default).
    (overdue,) = query(published, "select count(*) as n from marts.overdue_dossiers")
    assert chart(rendered, uuid_of("overdue_count.yaml"))["big_number"] == vi_number(overdue["n"], 0)
    (violations,) = query(
        published,
        """select count(*) as n from marts.dossier_violations
           where year(received_at) = (select max(year(received_at)) from marts.dossier_violations)""",
    )
    assert chart(rendered, uuid_of("violations_count.yaml"))["big_number"] == vi_number(violations["n"], 0)


def test_the_ranking_lists_the_units_in_force_ranked_among_themselves(rendered, split) -> None:
    ranked, _ = split
    ranks = expected_ranks(ranked)
    want = sorted(ranked, key=lambda r: (LEVELS[r["unit_level"]][0], ranks[r["unit_code"]], r["unit_code"]))
    got = table(chart(rendered, RANKING_CHART_UUID))
    assert [r["Mã đơn vị"] for r in got] == [r["unit_code"] for r in want], "units in force, level by level, by rank"
    for shown, row in zip(got, want, strict=True):
        assert shown["Cấp đơn vị"] == LEVELS[row["unit_level"]][1]
        assert shown["Tên đơn vị"] == row["unit_name"]
        assert shown["Hạng trong cấp"] == str(ranks[row["unit_code"]])
        assert shown["Điểm tối đa được tính"] == vi_number(row["covered_max_points"], 2)


def test_ceased_units_are_shown_apart_with_their_successor(rendered, split, reference, current_year) -> None:
    ranked, ceased = split
    got = table(chart(rendered, uuid_of("766_ceased_units.yaml")))
    assert sorted(r["Mã đơn vị"] for r in got) == sorted(r["unit_code"] for r in ceased)
    assert not {r["Mã đơn vị"] for r in got} & {r["unit_code"] for r in ranked}

    def last_successor(code: str) -> str | None:
        seen, successor = set(), reference[code]["successor"]
        while successor and reference[successor]["successor"] and successor not in seen:
            seen.add(successor)
            successor = reference[successor]["successor"]
        return successor

    label = f"Năm {current_year[0]['period_start'].year} (đang diễn ra)"
    for shown in got:
        successor = last_successor(shown["Mã đơn vị"])
        assert shown["Sáp nhập vào"] == (f"{reference[successor]['name']} ({successor})" if successor else "N/A")
        assert shown["Kỳ"] == label
    # Every ceased unit of the newest year counted apart, level by level, in the summary.
    summary = {r["Cấp đơn vị"]: r for r in table(chart(rendered, uuid_of("766_summary_by_level.yaml")))}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in ranked:
        counts[LEVELS[row["unit_level"]][1]][0] += 1
    for row in ceased:
        counts[LEVELS[row["unit_level"]][1]][1] += 1
    assert list(summary) == [name for _, name in sorted(LEVELS.values()) if name in counts], "administrative order"
    for level, (n_ranked, n_ceased) in counts.items():
        assert summary[level]["Số đơn vị được xếp hạng"] == str(n_ranked)
        assert summary[level]["Đơn vị đã kết thúc hoạt động (không xếp hạng)"] == str(n_ceased)


def test_each_level_chart_shows_its_units_in_force_highest_first(rendered, split) -> None:
    ranked, _ = split

    def scores(level: str) -> list[tuple[str, float]]:
        rows = [r for r in ranked if r["unit_level"] == level and ratio(r) is not None]
        return sorted(((f"{r['unit_name']} ({r['unit_code']})", 100 * ratio(r)) for r in rows), key=lambda x: x[1])

    def drawn(file_name: str) -> list[tuple[str, float]]:
        return [(row["unit_label"], row["score_100"]) for row in chart_data(rendered, uuid_of(file_name))]

    departments, communes = scores("department"), scores("commune")
    assert len(communes) > 15, "enough communes for a top and a bottom 15"
    # A horizontal bar draws its first category at the bottom: ascending data puts the highest on top.
    shown = drawn("766_departments.yaml")
    assert sorted(label for label, _ in shown) == sorted(label for label, _ in departments)
    assert [score for _, score in shown] == pytest.approx([score for _, score in departments])
    top, bottom = drawn("766_communes_top.yaml"), drawn("766_communes_bottom.yaml")
    assert [score for _, score in top] == pytest.approx([score for _, score in communes[-15:]])
    assert [score for _, score in bottom] == pytest.approx([score for _, score in communes[:15]])
    eligible = dict(communes)
    for label, score in shown + top + bottom:
        assert label in eligible or label in dict(departments), f"{label}: a unit in force, named with its code"
        assert dict(departments + communes)[label] == pytest.approx(score)


def test_group_averages_add_up_to_each_levels_average_total(rendered, split) -> None:
    ranked, _ = split
    by_level = defaultdict(list)
    for row in ranked:
        by_level[LEVELS[row["unit_level"]][1]].append(row)
    drawn = chart_data(rendered, uuid_of("766_groups_by_level.yaml"))
    assert [row["level_vi"] for row in drawn] == sorted(by_level), "levels in administrative order"
    summary = {r["Cấp đơn vị"]: r for r in table(chart(rendered, uuid_of("766_summary_by_level.yaml")))}
    for row in drawn:
        units = by_level[row["level_vi"]]
        # A group that does not apply to a unit counts 0, as it does in that unit's total.
        for group in GROUPS:
            assert row[f"avg_{group}"] == pytest.approx(sum(u[group] or 0 for u in units) / len(units), abs=1e-9)
        average_total = sum(u["total_points"] for u in units) / len(units)
        assert sum(row[f"avg_{group}"] for group in GROUPS) == pytest.approx(average_total, abs=1e-5)
        assert summary[row["level_vi"]]["Tổng điểm bình quân (đơn vị được xếp hạng)"] == vi_number(average_total, 2)


def test_the_violation_lists_follow_the_year_filter_from_its_newest_year(rendered, published: Path) -> None:
    rows = query(
        published,
        """select dossier_code, unit_code from marts.dossier_violations
           where year(received_at) = (select max(year(received_at)) from marts.dossier_violations)""",
    )
    per_unit = Counter(row["unit_code"] for row in rows)
    listed = chart_data(rendered, uuid_of("violations_list.yaml"))
    assert Counter(r["dossier_code"] for r in listed) == Counter(row["dossier_code"] for row in rows)
    shown = table(chart(rendered, uuid_of("violations_list.yaml")))
    assert Counter(r["Số hồ sơ"] for r in shown) == Counter(row["dossier_code"] for row in rows), "by number"
    by_unit = chart_data(rendered, uuid_of("violations_by_unit.yaml"))
    assert {r["unit_code"]: r["count"] for r in by_unit} == per_unit
    rules = [key for key in by_unit[0] if key.startswith("count_")]
    assert len(rules) == 7, "one column per rule of METRICS.md §7"
    assert all(sum(r[key] for key in rules) == r["count"] for r in by_unit), "each violation under one rule"
    assert [r["count"] for r in by_unit] == sorted(per_unit.values(), reverse=True), "most violations first"


def test_the_lists_of_now_give_each_dossier_by_its_number(rendered, published: Path) -> None:
    """The overdue and due-soon lists as the reader sees them: the dossier number (MaHoSo) first, every row
    of the mart, nearest deadline (or most days overdue) first; the due-soon count beside its list."""
    overdue = query(
        published,
        "select dossier_code, unit_code, working_days_overdue from marts.overdue_dossiers "
        "order by working_days_overdue desc, unit_code, dossier_code",
    )
    shown = table(chart(rendered, uuid_of("overdue_list.yaml")))
    assert next(iter(shown[0])) == "Số hồ sơ", "the first column"
    assert [r["Số hồ sơ"] for r in shown] == [row["dossier_code"] for row in overdue]
    assert [r["Số ngày làm việc quá hạn"] for r in shown] == [str(row["working_days_overdue"]) for row in overdue]

    due_soon = query(
        published,
        "select dossier_code, unit_code, working_days_left, due_at from marts.due_soon_dossiers "
        "order by working_days_left, due_at, unit_code, dossier_code",
    )
    assert due_soon, "the fixture's province has dossiers due within two working days"
    shown = table(chart(rendered, uuid_of("due_soon_list.yaml")))
    assert next(iter(shown[0])) == "Số hồ sơ", "the first column"
    assert [r["Số hồ sơ"] for r in shown] == [row["dossier_code"] for row in due_soon]
    words = {0: "Hôm nay", 1: "Sau 1 ngày làm việc", 2: "Sau 2 ngày làm việc"}
    assert [r["Đến hạn"] for r in shown] == [words[row["working_days_left"]] for row in due_soon]
    assert [r["Hạn trả"] for r in shown] == [f"{row['due_at']:%d/%m/%Y %H:%M}" for row in due_soon]
    assert chart(rendered, uuid_of("due_soon_count.yaml"))["big_number"] == vi_number(len(due_soon), 0)


def test_the_running_period_is_labelled(rendered, published: Path, current_year) -> None:
    year = current_year[0]
    assert not year["is_period_closed"], "the fixture's newest year is the running one"
    summary = table(chart(rendered, uuid_of("766_summary_by_level.yaml")))
    assert {r["Kỳ"] for r in summary} == {f"Năm {year['period_start'].year} (đang diễn ra)"}

    months = table(chart(rendered, uuid_of("766_unit_monthly_table.yaml")))
    (unit,) = {r["Mã đơn vị"] for r in months}
    want = query(
        published,
        """select period_start, is_period_closed from marts.scorecard_766
           where period_grain = 'month' and unit_code = ? order by period_start desc""",
        [unit],
    )
    labels = [f"Tháng {m['period_start']:%m/%Y}" + ("" if m["is_period_closed"] else " (đang diễn ra)") for m in want]
    assert [r["Kỳ"] for r in months] == labels
    assert labels[0].endswith("(đang diễn ra)") and not any(label.endswith(")") for label in labels[1:])


def test_the_forecast_reads_in_vietnamese_with_its_inputs(rendered, published: Path) -> None:
    shown = table(chart(rendered, uuid_of("year_end_forecast.yaml")))
    method = "Lũy kế + các tháng còn lại năm trước × tăng trưởng, theo tỷ lệ 3 tháng gần nhất"
    assert {r["Phương pháp dự báo"] for r in shown} == {method}
    rows = query(
        published,
        """select f.unit_code, f.criterion_code, f.method, f.projected_points from marts.year_end_forecast as f
           where f.unit_code = (select unit_code from marts.scorecard_766 where unit_level = 'province' limit 1)""",
    )
    for row in rows:
        inputs = dict(re.findall(r"(\w+)=([-0-9.eE+]+)", row["method"]))
        cells = next(
            r for r in shown if r["Mã đơn vị"] == row["unit_code"] and r["Mã tiêu chí"] == row["criterion_code"]
        )
        assert cells["Hệ số tăng trưởng"] == vi_number(float(inputs["growth"]), 4)
        assert cells["Tỷ lệ 3 tháng gần nhất"] == vi_percent(float(inputs["trailing_3m_rate"]), 2)
        assert cells["Số lượng các tháng còn lại năm trước"] == vi_number(float(inputs["last_year_remaining"]), 2)


def test_ranking_chart_data_api_equals_the_marts(superset: Api, split) -> None:
    status, payload = superset.call("GET", "/api/v1/chart/?q=(columns:!(id,uuid),page_size:100)")
    assert status == 200, payload
    chart_id = next(row["id"] for row in payload["result"] if row["uuid"] == RANKING_CHART_UUID)
    status, payload = superset.call("GET", f"/api/v1/chart/{chart_id}/data/")
    assert status == 200, f"chart {chart_id}: {status} {payload}"
    got = payload["result"][0]["data"]

    ranked, _ = split
    ranks = expected_ranks(ranked)
    expected = {row["unit_code"]: row for row in ranked}
    assert len({r["unit_level"] for r in ranked}) >= 3, "the province ranks units on several levels"
    assert sorted(r["unit_code"] for r in got) == sorted(expected), "the units in force, and only them"
    for row in got:
        want = expected[row["unit_code"]]
        assert row["level_vi"] == LEVELS[want["unit_level"]][1]
        assert row["unit_name"] == want["unit_name"]
        assert row["rank_in_level"] == ranks[row["unit_code"]]
        for column in POINT_COLUMNS:
            assert row[column] == want[column], f"{row['unit_code']} {column}"
    order = [(LEVELS[expected[r["unit_code"]]["unit_level"]][0], r["rank_in_level"]) for r in got]
    assert order == sorted(order)
