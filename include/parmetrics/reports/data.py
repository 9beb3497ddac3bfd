"""What the terminal summary, the workbook and the HTML report show, read once from the published file.

The renderers take what this module reads and never open the database themselves, so the three show
the same numbers, and those numbers are the marts' own: rows are copied as published; the only
computations are ``total_points / covered_max_points`` (the score the marts rank by, MARTS.md) and
counts of the actionable lists per unit.

The ranking rule (METRICS.md §5) is applied here once for all three: only units **in force at the
period's end** (``is_unit_in_force``) are ranked and listed in a ranking; a unit that has ceased keeps its
rows and is shown apart, labelled "đơn vị đã kết thúc hoạt động", never beside its successor; a unit code
the reference units do not know (no ``unit_name``) is not ranked either and is shown apart with the
ceased ones, labelled as unknown.
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

from parmetrics.config import Paths, reference_now
from parmetrics.reports.warnings import QualityWarning, load_warnings

# (unit_level, label used for sheet names and headings). Excel forbids "/" in sheet names, so the
# department level reads "Sở, ban, ngành" everywhere.
LEVELS: tuple[tuple[str, str], ...] = (
    ("province", "Tỉnh"),
    ("department", "Sở, ban, ngành"),
    ("district", "Huyện"),
    ("commune", "Xã"),
)
LEVEL_LABELS = dict(LEVELS)
# The six Decision 766 groups: (scorecard column, Vietnamese name, max points).
GROUPS: tuple[tuple[str, str, int], ...] = (
    ("transparency_points", "công khai, minh bạch", 18),
    ("progress_points", "tiến độ giải quyết", 20),
    ("online_service_points", "dịch vụ trực tuyến", 12),
    ("online_payment_points", "thanh toán trực tuyến", 10),
    ("digitisation_points", "số hóa hồ sơ", 22),
    ("satisfaction_points", "mức độ hài lòng", 18),
)
GROUP_COLUMNS = GROUPS
TREND_MONTHS = 24

# How a unit that is not ranked is labelled (METRICS.md §5).
CEASED_LABEL = "đơn vị đã kết thúc hoạt động"
UNKNOWN_LABEL = "mã đơn vị không có trong danh mục đơn vị"
RANKED, CEASED, UNKNOWN = "ranked", "ceased", "unknown"

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

LEVEL_ORDER_SQL = "case {col} when 'province' then 0 when 'department' then 1 when 'district' then 2 else 3 end"
_STAMP = re.compile(r"par_metrics-(\d{8}T\d{6}\d*Z)\.duckdb$")


class ReportDataError(RuntimeError):
    """The published file cannot be reported on (missing, or without a closed month)."""


def last_closed_month(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute(
        "select max(period_start) from marts.criteria_scores where period_grain = 'month' and is_period_closed"
    ).fetchone()
    return str(row[0]) if row and row[0] else None


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    schema, name = table.split(".")
    return bool(
        con.execute(
            "select count(*) from duckdb_columns() where schema_name = ? and table_name = ? and column_name = ?",
            [schema, name, column],
        ).fetchone()[0]
    )


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, name]
        ).fetchone()[0]
    )


def in_force_sql(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The expression that says a scorecard row's unit is in force at the period's end.

    A publication from before ``is_unit_in_force`` (one rolled back to, say) ranked every unit; its rank is
    then the only word on the matter.
    """
    return "is_unit_in_force" if _has_column(con, table, "is_unit_in_force") else "rank_in_level is not null"


def status_of(in_force: bool | None, unit_name: str | None) -> str:
    if in_force:
        return RANKED
    return UNKNOWN if unit_name is None else CEASED


def successors(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Ceased commune → "name (code)" of the commune its history is restated to (its successor)."""
    if not _has_table(con, "marts.criteria_scores_restated"):
        return {}
    rows = con.execute(
        """
        select distinct predecessor, unit_name, unit_code
        from (
            select unnest(string_split(restated_from_unit_codes, ',')) as predecessor, unit_name, unit_code
            from marts.criteria_scores_restated where is_restated
        )
        order by predecessor, unit_code
        """
    ).fetchall()
    return {pred: f"{name or '—'} ({code})" for pred, name, code in rows}


@dataclass(frozen=True)
class MonthUnit:
    """One unit's row of the month: its 766 scorecard, on-time figures (766.2.1) and ranking status."""

    unit_code: str
    unit_name: str | None
    unit_level: str | None  # None for a code the reference units do not know
    on_time: float | None  # 766.2.1 numerator: early + on time + pending on time
    in_scope: float | None  # 766.2.1 denominator
    on_time_rate: float | None
    total_points: float | None
    covered_max_points: float | None
    score: float | None  # total / covered max: what the marts rank by
    rank_in_level: int | None
    status: str  # ranked, ceased or unknown
    successor: str | None
    as_of: datetime | None


def month_units(con: duckdb.DuckDBPyConnection, month: date | str) -> list[MonthUnit]:
    """Every unit with a scorecard row in ``month``, by level, then ranked ones by rank, then the others."""
    in_force = in_force_sql(con, "marts.scorecard_766")
    rows = con.execute(
        f"""
        select s.unit_code, s.unit_name, s.unit_level, c.numerator, c.denominator, c.rate,
               s.total_points, s.covered_max_points, s.total_points / nullif(s.covered_max_points, 0) as score,
               s.rank_in_level, s.{in_force} as in_force, s.as_of
        from marts.scorecard_766 as s
        left join marts.criteria_scores as c
          on c.unit_code = s.unit_code and c.period_grain = s.period_grain and c.period_start = s.period_start
         and c.criterion_code = '766.2.1'
        where s.period_grain = 'month' and s.period_start = ?
        order by {LEVEL_ORDER_SQL.format(col="s.unit_level")}, s.rank_in_level nulls last, s.unit_code
        """,
        [month],
    ).fetchall()
    after = successors(con)
    return [
        MonthUnit(
            unit_code=code,
            unit_name=name,
            unit_level=level,
            on_time=num,
            in_scope=den,
            on_time_rate=rate,
            total_points=total,
            covered_max_points=covered,
            score=score,
            rank_in_level=rank,
            status=status_of(bool(in_force), name),
            successor=after.get(code),
            as_of=as_of,
        )
        for code, name, level, num, den, rate, total, covered, score, rank, in_force, as_of in rows
    ]


@dataclass(frozen=True)
class UnitScore:
    """One unit's row of the level sheets and the ranking: the month, the running year, PAR."""

    unit_code: str
    unit_name: str | None
    unit_level: str | None  # None for a code the reference units do not know
    month: dict[str, Any] | None  # scorecard_766, grain month, the last closed month
    year: dict[str, Any] | None  # scorecard_766, grain year, the month's year (running: year to date)
    par: dict[str, Any] | None  # par_scorecard, the month's year
    status: str = RANKED  # in force (ranked), ceased or unknown: decided by the month row, else the year's
    successor: str | None = None


@dataclass
class ReportData:
    published_db: Path
    stamp: str  # the publication's stamp (versions/par_metrics-<stamp>.duckdb)
    month: date  # the last closed month
    as_of: datetime | None
    province_code: str | None
    province_name: str | None
    units: dict[str, list[UnitScore]]  # units in force, per level, in ranking order
    trend_months: list[date]
    trend: dict[str, dict[str, Any]]  # unit_code -> {name, level, in_force, points: {iso month: total_points}}
    overdue: list[dict[str, Any]]
    violations: list[dict[str, Any]]  # of dossiers received since ``violations_since``
    issue_counts: list[dict[str, Any]]  # per unit: overdue, without apology, due soon, per violation code
    violation_codes: list[str] = field(default_factory=list)
    violations_since: date | None = None
    apart: list[UnitScore] = field(default_factory=list)  # not ranked: ceased units, unknown unit codes
    due_soon: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[QualityWarning] = field(default_factory=list)
    clock: datetime | None = None  # the reference clock when the report was made
    clock_fixed: bool = False  # PARMETRICS_CLOCK (a frozen export, the demo) rather than the wall clock

    @property
    def year(self) -> int:
        return self.month.year

    def month_label(self) -> str:
        return f"{self.month.month:02d}/{self.month.year}"

    def ranked_counts(self) -> dict[str, int]:
        """Per level, the units ranked in the month (a rank in the month's scorecard)."""
        return {
            level: sum(1 for u in self.units[level] if u.month and u.month.get("rank_in_level") is not None)
            for level, _ in LEVELS
        }

    def apart_in_month(self, status: str = CEASED) -> list[UnitScore]:
        """The units shown apart that have a row in the month (``status``: ceased or unknown)."""
        return [u for u in self.apart if u.month is not None and u.status == status]


def publication_stamp(paths: Paths) -> str:
    """The stamp of the current publication (see :func:`stamp_of_file`)."""
    return stamp_of_file(paths.published_db)


def stamp_of_file(published: Path) -> str:
    """The stamp of the publication ``published``: the version file hard-linked to it.

    A crash between the swap and the link (publish.py) leaves no version entry; the file's
    modification time in the same format stands in then.
    """
    if not published.exists():
        raise ReportDataError(f"nothing published at {published}")
    versions = sorted((published.parent / "versions").glob("par_metrics-*.duckdb"), reverse=True)
    for version in versions:
        match = _STAMP.search(version.name)
        if match and os.path.samefile(version, published):
            return match.group(1)
    return datetime.fromtimestamp(published.stat().st_mtime, UTC).strftime("%Y%m%dT%H%M%S%fZ")


def clock_now() -> tuple[datetime, bool]:
    """The reference clock, and whether it is fixed (``PARMETRICS_CLOCK``) rather than the wall clock."""
    fixed = bool(os.environ.get("PARMETRICS_CLOCK") or os.environ.get("AIRFLOW_VAR_REFERENCE_CLOCK"))
    return reference_now(), fixed


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


def _unit_scores(con: duckdb.DuckDBPyConnection, month: date) -> tuple[dict[str, list[UnitScore]], list[UnitScore]]:
    """(units in force per level in ranking order, units shown apart in level and code order)."""
    year_start = date(month.year, 1, 1)
    groups = ", ".join(c for c, _, _ in GROUP_COLUMNS)
    in_force = in_force_sql(con, "marts.scorecard_766")
    card = (
        f"select unit_code, unit_name, unit_level, {groups}, total_points, covered_max_points, rank_in_level, "
        f"is_period_closed, as_of, {in_force} as in_force "
        "from marts.scorecard_766 where period_grain = ? and period_start = ?"
    )
    by_month = {r["unit_code"]: r for r in _dicts(con, card, ["month", month])}
    by_year = {r["unit_code"]: r for r in _dicts(con, card, ["year", year_start])}
    par_in_force = in_force_sql(con, "marts.par_scorecard")
    by_par = {
        r["unit_code"]: r
        for r in _dicts(
            con,
            "select unit_code, unit_name, unit_level, points, covered_max_points, score_pct, rank_in_level, "
            f"{par_in_force} as in_force from marts.par_scorecard where year = ?",
            [month.year],
        )
    }
    for rows in (by_month, by_year):
        for r in rows.values():
            r["score"] = _score(r["total_points"], r["covered_max_points"])
    after = successors(con)
    units: dict[str, list[UnitScore]] = {level: [] for level, _ in LEVELS}
    apart: list[UnitScore] = []
    for code in by_month.keys() | by_year.keys() | by_par.keys():
        # The month decides whether the unit is ranked: the month is what the ranking shows.
        first = by_month.get(code) or by_year.get(code) or by_par[code]
        level = first["unit_level"]
        status = status_of(bool(first["in_force"]), first["unit_name"])
        if level not in units and status != UNKNOWN:
            raise ReportDataError(f"unit {code} has an unknown level {level!r}")
        score = UnitScore(
            code,
            first["unit_name"],
            level,
            by_month.get(code),
            by_year.get(code),
            by_par.get(code),
            status,
            after.get(code),
        )
        (units[level] if score.status == RANKED else apart).append(score)
    for rows in units.values():
        # The month's ranking first (the marts' rank), then units in force without a month row by their
        # year rank.
        rows.sort(key=lambda u: (u.month is None, _rank_key(u.month), u.year is None, _rank_key(u.year), u.unit_code))
    order = {level: i for i, (level, _) in enumerate(LEVELS)}
    # A code the reference units do not know has no level: it comes last.
    apart.sort(key=lambda u: (order.get(u.unit_level, len(order)), u.status != CEASED, u.month is None, u.unit_code))
    return units, apart


def _trend(con: duckdb.DuckDBPyConnection, months: list[date]) -> dict[str, dict[str, Any]]:
    in_force = in_force_sql(con, "marts.scorecard_766")
    rows = con.execute(
        "select unit_code, unit_name, unit_level, period_start, total_points, covered_max_points, "
        f"{in_force} as in_force from marts.scorecard_766 where period_grain = 'month' "
        "and period_start between ? and ? "
        f"order by {LEVEL_ORDER_SQL.format(col='unit_level')}, unit_code, period_start",
        [months[0], months[-1]],
    ).fetchall()
    trend: dict[str, dict[str, Any]] = {}
    for code, name, level, start, total, covered, unit_in_force in rows:
        entry = trend.setdefault(code, {"name": name, "level": level, "points": {}, "covered": {}})
        entry["points"][start.isoformat()] = total
        entry["covered"][start.isoformat()] = covered
        entry["in_force"] = bool(unit_in_force)  # as of the newest month of the window with a row
    return trend


def _issue_counts(
    con: duckdb.DuckDBPyConnection, codes: list[str], since: date, due_soon: bool
) -> list[dict[str, Any]]:
    """Per unit with anything to act on: overdue dossiers (and those without an apology), dossiers due
    soon (and those due today), violations per rule of the dossiers received since ``since``."""
    # The codes come from the mart itself; quoting keeps an unexpected one from breaking the statement.
    quoted = [(c.replace("'", "''"), c.replace('"', '""')) for c in codes]
    per_code = "".join(f", count(*) filter (where violation_code = '{lit}') as \"{ident}\"" for lit, ident in quoted)
    selected = "".join(f', coalesce(v."{ident}", 0) as "{ident}"' for _, ident in quoted)
    soon_units = "union all select unit_code, unit_name, unit_level from marts.due_soon_dossiers" if due_soon else ""
    soon = (
        "select unit_code, count(*) as due_soon, count(*) filter (where working_days_left = 0) as due_today "
        "from marts.due_soon_dossiers group by unit_code"
        if due_soon
        else "select null::varchar as unit_code, 0 as due_soon, 0 as due_today where false"
    )
    return _dicts(
        con,
        f"""
        with units as (
            select unit_code, any_value(unit_name) as unit_name, any_value(unit_level) as unit_level
            from (
                select unit_code, unit_name, unit_level from marts.criteria_scores
                union all select unit_code, unit_name, unit_level from marts.overdue_dossiers
                {soon_units}
                union all select unit_code, unit_name, null from marts.dossier_violations
            )
            group by unit_code
        ),
        overdue as (
            select unit_code, count(*) as overdue, count(*) filter (where not has_apology) as overdue_without_apology,
                   max(working_days_overdue) as max_working_days_overdue
            from marts.overdue_dossiers group by unit_code
        ),
        soon as ({soon}),
        violations as (
            select unit_code, count(*) as violations{per_code} from marts.dossier_violations
            where received_at >= ? group by unit_code
        )
        select u.unit_code, u.unit_name, u.unit_level,
               coalesce(o.overdue, 0) as overdue,
               coalesce(o.overdue_without_apology, 0) as overdue_without_apology,
               o.max_working_days_overdue,
               coalesce(s.due_soon, 0) as due_soon,
               coalesce(s.due_today, 0) as due_today,
               coalesce(v.violations, 0) as violations{selected}
        from units as u
        left join overdue as o using (unit_code)
        left join soon as s using (unit_code)
        left join violations as v using (unit_code)
        where o.unit_code is not null or s.unit_code is not null or v.unit_code is not null
        order by {LEVEL_ORDER_SQL.format(col="u.unit_level")}, overdue desc, due_soon desc, violations desc,
                 u.unit_code
        """,
        [since],
    )


def load_report_data(paths: Paths, stamp: str | None = None, database: Path | None = None) -> ReportData:
    """Read everything both reports show from the current publication (or ``database``, its version file)."""
    stamp = stamp or publication_stamp(paths)
    clock, fixed = clock_now()
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
        # dossier_code (MaHoSo) is the number an officer types into the one-stop system; dossier_key,
        # its hash, only joins marts and stays out of the lists.
        overdue = _dicts(
            con,
            "select dossier_code, unit_code, unit_name, unit_level, procedure_code, received_at, due_at, "
            "working_days_overdue, has_apology, timeliness from marts.overdue_dossiers "
            "order by working_days_overdue desc, unit_code, dossier_code",
        )
        has_due_soon = _has_table(con, "marts.due_soon_dossiers")
        due_soon = (
            _dicts(
                con,
                "select dossier_code, unit_code, unit_name, unit_level, procedure_code, received_at, due_at, "
                "working_days_left from marts.due_soon_dossiers "
                "order by working_days_left, due_at, unit_code, dossier_code",
            )
            if has_due_soon
            else []
        )
        violations = _dicts(
            con,
            "select v.dossier_code, v.unit_code, v.unit_name, l.unit_level, v.procedure_code, v.violation_code, "
            "v.received_at, v.due_at, v.finished_at, v.timeliness "
            f"from marts.dossier_violations as v left join {levels} as l using (unit_code) "
            "where v.received_at >= ? order by v.unit_code, v.received_at desc, v.dossier_code, v.violation_code",
            [since],
        )
        units, apart = _unit_scores(con, month)
        return ReportData(
            published_db=paths.published_db,
            stamp=stamp,
            month=month,
            as_of=as_of,
            province_code=province[0] if province else None,
            province_name=province[1] if province else None,
            units=units,
            trend_months=months,
            trend=_trend(con, months),
            overdue=overdue,
            violations=violations,
            issue_counts=_issue_counts(con, codes, since, has_due_soon),
            violation_codes=codes,
            violations_since=since,
            apart=apart,
            due_soon=due_soon,
            warnings=load_warnings(con),
            clock=clock,
            clock_fixed=fixed,
        )
