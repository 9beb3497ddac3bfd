"""What the workbook and the HTML report show, read once from the published file (read-only).

Both renderers take a :class:`ReportData` and never open the database themselves, so the two show the
same numbers, and those numbers are the marts' own: rows are copied as published; the only
computations are ``total_points / covered_max_points`` (the score the marts rank by, MARTS.md) and
counts of the actionable lists per unit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from parmetrics.config import Paths
from parmetrics.reports.scorecard import GROUPS, last_closed_month

# (unit_level, label used for sheet names and headings). Excel forbids "/" in sheet names, so the
# department level reads "Sở, ban, ngành" everywhere.
LEVELS: tuple[tuple[str, str], ...] = (
    ("province", "Tỉnh"),
    ("department", "Sở, ban, ngành"),
    ("district", "Huyện"),
    ("commune", "Xã"),
)
LEVEL_LABELS = dict(LEVELS)
# The six Decision 766 groups: (scorecard column, Vietnamese name, max points), as report.py prints them.
GROUP_COLUMNS: tuple[tuple[str, str, int], ...] = GROUPS
TREND_MONTHS = 24

# METRICS.md §7, in the order the marts' description lists them; a code the marts add later is shown
# by its code until it gets a name here.
VIOLATIONS: dict[str, str] = {
    "late_without_timely_apology": "Trễ hạn không có phiếu xin lỗi kịp thời",
    "due_date_reset_more_than_once": "Gia hạn nhiều lần (hơn một phiếu xin lỗi)",
    "returned_before_finished": "Trả kết quả trước khi kết thúc xử lý",
    "no_electronic_result": "Không có kết quả điện tử",
    "components_not_attached": "Thành phần hồ sơ không đính kèm",
    "backdated_completion": "Kết thúc xử lý ghi nhận lùi ngày",
    "multiple_supplement_requests": "Yêu cầu bổ sung hồ sơ nhiều lần",
}
TIMELINESS: dict[str, str] = {
    "early": "Trước hạn",
    "on_time": "Đúng hạn",
    "late": "Trễ hạn",
    "pending_on_time": "Đang xử lý, còn hạn",
    "pending_late": "Đang xử lý, quá hạn",
    "unclassified": "Chưa phân loại",
}

_LEVEL_ORDER_SQL = "case {col} when 'province' then 0 when 'department' then 1 when 'district' then 2 else 3 end"
_STAMP = re.compile(r"par_metrics-(\d{8}T\d{6}\d*Z)\.duckdb$")


class ReportDataError(RuntimeError):
    """The published file cannot be reported on (missing, or without a closed month)."""


@dataclass(frozen=True)
class UnitScore:
    """One unit's row of the level sheets and the ranking: the month, the running year, PAR."""

    unit_code: str
    unit_name: str
    unit_level: str
    month: dict[str, Any] | None  # scorecard_766, grain month, the last closed month
    year: dict[str, Any] | None  # scorecard_766, grain year, the month's year (running: year to date)
    par: dict[str, Any] | None  # par_scorecard, the month's year


@dataclass
class ReportData:
    published_db: Path
    stamp: str  # the publication's stamp (versions/par_metrics-<stamp>.duckdb)
    month: date  # the last closed month
    as_of: datetime | None
    province_code: str | None
    province_name: str | None
    units: dict[str, list[UnitScore]]  # per level, in ranking order
    trend_months: list[date]
    trend: dict[str, dict[str, Any]]  # unit_code -> {name, level, points: {iso month: total_points}}
    overdue: list[dict[str, Any]]
    violations: list[dict[str, Any]]  # of dossiers received since ``violations_since``
    issue_counts: list[dict[str, Any]]  # per unit: overdue, overdue without apology, per violation code
    violation_codes: list[str] = field(default_factory=list)
    violations_since: date | None = None

    @property
    def year(self) -> int:
        return self.month.year

    def month_label(self) -> str:
        return f"{self.month.month:02d}/{self.month.year}"


def publication_stamp(paths: Paths) -> str:
    """The stamp of the current publication: the version file hard-linked to the published file.

    A crash between the swap and the link (publish.py) leaves no version entry; the file's
    modification time in the same format stands in then.
    """
    published = paths.published_db
    if not published.exists():
        raise ReportDataError(f"nothing published at {published}")
    versions = sorted((paths.published / "versions").glob("par_metrics-*.duckdb"), reverse=True)
    for version in versions:
        match = _STAMP.search(version.name)
        if match and os.path.samefile(version, published):
            return match.group(1)
    return datetime.fromtimestamp(published.stat().st_mtime, UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _score(total: float | None, covered: float | None) -> float | None:
    # The marts rank by total / covered max (METRICS.md §5); a unit with nothing computable has no score.
    return None if total is None or not covered else total / covered


def _rank_key(row: dict[str, Any] | None) -> float:
    rank = row["rank_in_level"] if row else None
    return float("inf") if rank is None else rank


def _unit_scores(con: duckdb.DuckDBPyConnection, month: date) -> dict[str, list[UnitScore]]:
    year_start = date(month.year, 1, 1)
    groups = ", ".join(c for c, _, _ in GROUP_COLUMNS)
    card = (
        f"select unit_code, unit_name, unit_level, {groups}, total_points, covered_max_points, rank_in_level, "
        "is_period_closed, as_of from marts.scorecard_766 where period_grain = ? and period_start = ?"
    )
    by_month = {r["unit_code"]: r for r in _dicts(con, card, ["month", month])}
    by_year = {r["unit_code"]: r for r in _dicts(con, card, ["year", year_start])}
    by_par = {
        r["unit_code"]: r
        for r in _dicts(
            con,
            "select unit_code, unit_name, unit_level, points, covered_max_points, score_pct, rank_in_level "
            "from marts.par_scorecard where year = ?",
            [month.year],
        )
    }
    for rows in (by_month, by_year):
        for r in rows.values():
            r["score"] = _score(r["total_points"], r["covered_max_points"])
    units: dict[str, list[UnitScore]] = {level: [] for level, _ in LEVELS}
    for code in by_month.keys() | by_year.keys() | by_par.keys():
        first = by_month.get(code) or by_year.get(code) or by_par[code]
        level = first["unit_level"]
        if level not in units:
            raise ReportDataError(f"unit {code} has an unknown level {level!r}")
        units[level].append(
            UnitScore(code, first["unit_name"], level, by_month.get(code), by_year.get(code), by_par.get(code))
        )
    for level, rows in units.items():
        # The month's ranking first (the marts' rank), then units without a month row by their year rank;
        # a unit not in force (rank null, METRICS.md §5) after the ranked ones.
        rows.sort(
            key=lambda u: (
                u.month is None,
                _rank_key(u.month),
                u.year is None,
                _rank_key(u.year),
                u.unit_code,
            )
        )
        units[level] = rows
    return units


def _trend(con: duckdb.DuckDBPyConnection, months: list[date]) -> dict[str, dict[str, Any]]:
    rows = con.execute(
        "select unit_code, unit_name, unit_level, period_start, total_points, covered_max_points "
        "from marts.scorecard_766 where period_grain = 'month' and period_start between ? and ? "
        f"order by {_LEVEL_ORDER_SQL.format(col='unit_level')}, unit_code, period_start",
        [months[0], months[-1]],
    ).fetchall()
    trend: dict[str, dict[str, Any]] = {}
    for code, name, level, start, total, covered in rows:
        entry = trend.setdefault(code, {"name": name, "level": level, "points": {}, "covered": {}})
        entry["points"][start.isoformat()] = total
        entry["covered"][start.isoformat()] = covered
    return trend


def _issue_counts(con: duckdb.DuckDBPyConnection, codes: list[str], since: date) -> list[dict[str, Any]]:
    """Per unit with anything to act on: overdue dossiers (and those without an apology), violations per rule
    of the dossiers received since ``since``."""
    # The codes come from the mart itself; quoting keeps an unexpected one from breaking the statement.
    quoted = [(c.replace("'", "''"), c.replace('"', '""')) for c in codes]
    per_code = "".join(f", count(*) filter (where violation_code = '{lit}') as \"{ident}\"" for lit, ident in quoted)
    selected = "".join(f', coalesce(v."{ident}", 0) as "{ident}"' for _, ident in quoted)
    return _dicts(
        con,
        f"""
        with units as (
            select unit_code, any_value(unit_name) as unit_name, any_value(unit_level) as unit_level
            from (
                select unit_code, unit_name, unit_level from marts.criteria_scores
                union all select unit_code, unit_name, unit_level from marts.overdue_dossiers
                union all select unit_code, unit_name, null from marts.dossier_violations
            )
            group by unit_code
        ),
        overdue as (
            select unit_code, count(*) as overdue, count(*) filter (where not has_apology) as overdue_without_apology,
                   max(working_days_overdue) as max_working_days_overdue
            from marts.overdue_dossiers group by unit_code
        ),
        violations as (
            select unit_code, count(*) as violations{per_code} from marts.dossier_violations
            where received_at >= ? group by unit_code
        )
        select u.unit_code, u.unit_name, u.unit_level,
               coalesce(o.overdue, 0) as overdue,
               coalesce(o.overdue_without_apology, 0) as overdue_without_apology,
               o.max_working_days_overdue,
               coalesce(v.violations, 0) as violations{selected}
        from units as u
        left join overdue as o using (unit_code)
        left join violations as v using (unit_code)
        where o.unit_code is not null or v.unit_code is not null
        order by {_LEVEL_ORDER_SQL.format(col="u.unit_level")}, overdue desc, violations desc, u.unit_code
        """,
        [since],
    )


def load_report_data(paths: Paths, stamp: str | None = None, database: Path | None = None) -> ReportData:
    """Read everything both reports show from the current publication (or ``database``, its version file)."""
    stamp = stamp or publication_stamp(paths)
    with duckdb.connect(str(database or paths.published_db), read_only=True) as con:
        month_text = last_closed_month(con)
        if month_text is None:
            raise ReportDataError(f"{paths.published_db} holds no closed month: nothing to report")
        month = date.fromisoformat(month_text)
        as_of = con.execute("select max(as_of) from marts.scorecard_766").fetchone()[0]
        province = con.execute(
            "select unit_code, unit_name from marts.scorecard_766 where unit_level = 'province' "
            "order by period_start desc limit 1"
        ).fetchone()
        months = [_add_months(month, -i) for i in range(TREND_MONTHS - 1, -1, -1)]
        # Violations of the scoring year (dossiers received since 1 January of the last closed month's
        # year): what a unit can still act on. The mart keeps every year since 2019, which in a
        # workbook would grow without end (and take openpyxl minutes); BI tools read the whole mart.
        since = date(month.year, 1, 1)
        present = {
            c
            for (c,) in con.execute(
                "select distinct violation_code from marts.dossier_violations where received_at >= ?", [since]
            ).fetchall()
        }
        codes = [c for c in VIOLATIONS if c in present] + sorted(present - VIOLATIONS.keys())
        levels = "(select unit_code, any_value(unit_level) as unit_level from marts.criteria_scores group by 1)"
        overdue = _dicts(
            con,
            "select dossier_key, unit_code, unit_name, unit_level, procedure_code, received_at, due_at, "
            "working_days_overdue, has_apology, timeliness from marts.overdue_dossiers "
            "order by working_days_overdue desc, unit_code, dossier_key",
        )
        violations = _dicts(
            con,
            "select v.dossier_key, v.unit_code, v.unit_name, l.unit_level, v.procedure_code, v.violation_code, "
            "v.received_at, v.due_at, v.finished_at, v.timeliness "
            f"from marts.dossier_violations as v left join {levels} as l using (unit_code) "
            "where v.received_at >= ? order by v.unit_code, v.received_at desc, v.dossier_key, v.violation_code",
            [since],
        )
        return ReportData(
            published_db=paths.published_db,
            stamp=stamp,
            month=month,
            as_of=as_of,
            province_code=province[0] if province else None,
            province_name=province[1] if province else None,
            units=_unit_scores(con, month),
            trend_months=months,
            trend=_trend(con, months),
            overdue=overdue,
            violations=violations,
            issue_counts=_issue_counts(con, codes, since),
            violation_codes=codes,
            violations_since=since,
        )
