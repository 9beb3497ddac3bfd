"""The floor: ONE hand-written DuckDB statement over the landing Parquet that computes exactly the monthly
766.2.1 rows of ``marts.criteria_scores`` (METRICS.md §2–3), written for speed as a competent user would.

Same semantics as the dbt path (stg → int_dossier_lifecycle → classify_dossiers → criteria counts →
criteria_scores), collapsed:
- latest version per dossier (``NgayCapNhat`` desc, ``_batch_id`` desc) and per event (MaHoSo, STT);
- ``finished_at`` by rules 1–4, the single closed supplement's pause, ``due_at`` = ``NgayHenTra`` or the
  catalogue's working-day limit (catalogue as of the receiving month), accepted dossiers only;
- months from each dossier's receiving month to the month it leaves the pool (``unnest(generate_series)``
  instead of a range join), *T* = the next month's first instant, or ``as_of`` for the running month;
- the five-class classification at *T* (more than one request, a single request open at *T*, finished,
  pending) — only "within the deadline" versus "classified" is needed for 766.2.1;
- unit rows (no null unit, never the province's own code) and the province roll-up of every record.

The working-day calendar is not landing data (it is the ``holidays`` package plus a seed): it is built in
Python exactly as the dbt model builds it and registered as a 5,844-row table before the statement runs.
"""

from __future__ import annotations

import glob
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from parmetrics.config import Paths

FLOOR_COLUMNS = ("period_start", "unit_code", "numerator", "denominator")
DOCUMENT_TABLES = ("van_ban_di", "van_ban_den", "ho_so_cong_viec", "nhiem_vu")


def working_day_calendar(first_year: int = 2015, last_year: int = 2030) -> pa.Table:
    """calendar_date, is_working_day, working_day_index: the same days as dbt's ``int_working_days``."""
    from parmetrics import workcalendar

    dates, working, index = [], [], []
    n = 0
    day, last = date(first_year, 1, 1), date(last_year, 12, 31)
    while day <= last:
        ok = workcalendar.is_working_day(day)
        n += int(ok)
        dates.append(day)
        working.append(ok)
        index.append(n)
        day += timedelta(days=1)
    return pa.table(
        {
            "calendar_date": pa.array(dates, pa.date32()),
            "is_working_day": pa.array(working, pa.bool_()),
            "working_day_index": pa.array(index, pa.int64()),
        }
    )


def _glob(paths: Paths, source: str, dataset: str) -> str | None:
    pattern = str(paths.dataset_landing(source, dataset) / "batch=*" / "*.parquet")
    return pattern if glob.glob(pattern) else None


def _parquet(pattern: str) -> str:
    return f"read_parquet('{pattern}', union_by_name = true)"


def floor_sql(paths: Paths) -> str:
    """The statement. Document tables move ``as_of`` too (dbt's int_as_of), so they are read when landed."""
    dossiers = _glob(paths, "dossier_api", "dossiers")
    events = _glob(paths, "dossier_api", "dossier_events")
    catalogue = _glob(paths, "reference", "thu_tuc_hanh_chinh")
    units = _glob(paths, "reference", "don_vi")
    if dossiers is None or catalogue is None or units is None:
        raise FileNotFoundError(f"the floor needs landed dossiers, procedures and units under {paths.landing}")
    event_source = (
        _parquet(events)
        if events
        else "(select null::varchar MaHoSo, null::int STT, null::int TrangThai, null::timestamp ThoiDiemXuLy, "
        "null::timestamp ThoiDiemGhiNhan, null::varchar _batch_id where false)"
    )
    # as_of = the newest change of any dated source, each after its own staging (latest version per id,
    # soft-deleted rows dropped for the document tables).
    change_sources = ["select max(NgayCapNhat) from d_all", "select max(ThoiDiemGhiNhan) from e_all"]
    for table in DOCUMENT_TABLES:
        pattern = _glob(paths, "document_db", table)
        if pattern:
            change_sources.append(
                "select max(u) from (select max(updated_at) as u, "
                "max_by(deleted_at, (updated_at, _batch_id)) as gone "
                f"from {_parquet(pattern)} group by id) where gone is null"
            )
    changes = "\n        union all ".join(change_sources)
    return f"""
with
d_all as (select * from {_parquet(dossiers)}),
e_all as (select * from {event_source}),
as_of as (
    select max(m) as as_of from (
        {changes}
    ) as c (m)
),
latest as (  -- the latest version of each dossier (by update time, then the newest batch)
    select MaHoSo as code,
           max_by(TrangThaiHoSo, (NgayCapNhat, _batch_id)) as status,
           max_by(NgayTiepNhan, (NgayCapNhat, _batch_id)) as received,
           max_by(MaDonVi, (NgayCapNhat, _batch_id)) as unit,
           max_by(MaTTHC, (NgayCapNhat, _batch_id)) as proc,
           max_by(NgayHenTra, (NgayCapNhat, _batch_id)) as due,
           max_by(NgayKetThucXuLy, (NgayCapNhat, _batch_id)) as fin,
           max_by(NgayTra, (NgayCapNhat, _batch_id)) as ret,
           max_by(DanhSachHoSoBoSung, (NgayCapNhat, _batch_id)) as sups
    from d_all
    group by MaHoSo
),
ev as (  -- the finishing statuses' times, from the latest recording of each (dossier, step)
    select code, min(t) filter (where st = 9) as first9, min(t) filter (where st = 10) as first10,
           max(t) filter (where st = 8) as last8
    from (
        select MaHoSo as code, max_by(TrangThai, (ThoiDiemGhiNhan, _batch_id)) as st,
               max_by(ThoiDiemXuLy, (ThoiDiemGhiNhan, _batch_id)) as t
        from e_all
        group by MaHoSo, STT
    )
    where st in (8, 9, 10)
    group by code
),
cat_rows as (  -- the newest file of each snapshot month
    select strptime(_snapshot_month, '%Y%m')::date as m, ma_tthc as proc, thoi_han_ngay_lam_viec as lim
    from {_parquet(catalogue)}
    qualify _source_file = max(_source_file) over (partition by _snapshot_month)
),
snaps as (  -- the months each snapshot answers for; before the oldest, the oldest
    select m, case when row_number() over (order by m) = 1 then date '0001-01-01' else m end as lo,
           coalesce(lead(m) over (order by m), date '9999-12-01') as hi
    from (select distinct m from cat_rows)
),
cat as (
    select distinct on (cat_rows.m, proc) proc, lim, lo, hi from cat_rows join snaps using (m)
),
f0 as (  -- accepted dossiers with finished_at (rules 1-4) and their first supplement request
    select latest.*, len(coalesce(sups, [])) as n, sups[1].NgayYeuCauBoSung as req,
           sups[1].NgayTiepNhanBoSung as supplied,
           case when fin is not null then fin
                when status in (9, 10) then coalesce(ev.first9, ret, ev.first10)
                when status = 8 then ev.last8 end as finished_at
    from latest left join ev using (code)
    where status not in (1, 3, 7) and received is not null
),
f as (  -- due_at (NgayHenTra, else the catalogue's working-day limit) and the effective finish
    select f0.unit, f0.received, f0.finished_at, f0.n, f0.req, f0.supplied,
           coalesce(f0.due, limit_day.calendar_date + interval 86399 second) as due,
           f0.finished_at - case
               when f0.n = 1 and f0.req is not null and f0.supplied is not null and f0.finished_at is not null
                   then greatest(least(f0.supplied, f0.finished_at) - f0.req, interval 0 second)
               else interval 0 second end as eff
    from f0
    left join cat on f0.due is null and cat.proc = f0.proc
        and date_trunc('month', f0.received) >= cat.lo and date_trunc('month', f0.received) < cat.hi
    left join calendar as recv_day on f0.due is null and recv_day.calendar_date = f0.received::date
    left join calendar as limit_day on limit_day.is_working_day and cat.lim > 0
        and limit_day.working_day_index = recv_day.working_day_index + cat.lim
),
pm as (  -- each dossier in each month whose pool it can be in, with the month's evaluation instant T
    select f.*, p.start,
           case when a.as_of >= p.start + interval 1 month then p.start + interval 1 month else a.as_of end as t
    from f cross join as_of as a,
         unnest(generate_series(
             date_trunc('month', f.received),
             date_trunc('month', least(greatest(coalesce(f.finished_at, a.as_of), f.received), a.as_of)),
             interval 1 month)) as p (start)
),
cls as (
    select start, unit, due, t, eff, req, n,
           finished_at is null or finished_at >= start as in_scope,
           coalesce(finished_at < t, false) as fin_t,
           coalesce(n = 1 and not coalesce(finished_at < t, false) and req < t
                    and (supplied is null or supplied >= t), false) as open_req
    from pm
    where received < t and greatest(coalesce(finished_at, 'infinity'::timestamp), received) >= start
),
counted as (
    select start, unit, grouping(unit) = 1 as rollup,
           count(*) filter (where in_scope and due is not null and case
               when n > 1 then not fin_t and t <= due
               when open_req then req::date < due::date or req <= due
               when fin_t then eff::date < due::date or eff <= due
               else t <= due end) as numerator,
           count(*) filter (where in_scope and due is not null) as denominator
    from cls
    group by grouping sets ((start, unit), (start))
),
province as (
    select ma_don_vi as code from {_parquet(units)}
    where _snapshot_month = (select max(_snapshot_month) from {_parquet(units)}) and cap = 'tinh'
    order by hieu_luc_den desc nulls first, ma_don_vi
    limit 1
)
select start::date as period_start, case when rollup then province.code else unit end as unit_code,
       numerator::double as numerator, denominator::double as denominator
from counted cross join province
where rollup or (unit is not null and unit != province.code)
order by 1, 2
"""


@dataclass(frozen=True)
class FloorResult:
    seconds: float
    rows: list[tuple]


def run_floor(paths: Paths, con: duckdb.DuckDBPyConnection | None = None) -> FloorResult:
    """Time the statement (the calendar is registered first and not timed: it is not landing data)."""
    own = con is None
    con = con or duckdb.connect()
    try:
        con.register("calendar", working_day_calendar())
        sql = floor_sql(paths)
        started = time.perf_counter()
        rows = con.execute(sql).fetchall()
        seconds = time.perf_counter() - started
    finally:
        if own:
            con.close()
    return FloorResult(seconds=seconds, rows=[(r[0], r[1], float(r[2]), float(r[3])) for r in rows])


def mart_rows(database: Path) -> list[tuple]:
    """The monthly 766.2.1 rows of ``marts.criteria_scores`` in the floor's shape and order."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select period_start, unit_code, numerator, denominator from marts.criteria_scores "
            "where criterion_code = '766.2.1' and period_grain = 'month' order by 1, 2"
        ).fetchall()
    return [(r[0], r[1], float(r[2]), float(r[3])) for r in rows]


class FloorMismatch(AssertionError):
    pass


def compare(floor: list[tuple], mart: list[tuple]) -> None:
    """Raise naming the first differing rows unless the two row sets are equal."""
    if floor == mart:
        return
    only_floor = sorted(set(floor) - set(mart))
    only_mart = sorted(set(mart) - set(floor))
    raise FloorMismatch(
        f"the floor's 766.2.1 rows differ from marts.criteria_scores: {len(floor)} vs {len(mart)} rows; "
        f"only in the floor {only_floor[:3]}; only in the mart {only_mart[:3]}"
    )
