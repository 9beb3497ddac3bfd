"""The Vietnamese civil-service working-day calendar (METRICS.md §1).

Base: Monday–Friday minus the days off in the ``holidays`` package (country VN, pinned in the lock
file); then the ``calendar_overrides`` seed adds make-up Saturdays and removes days the package lacks.
``working_day_index`` counts working days up to and including the date, so the number of working days
after date a up to and including date b is ``index(b) - index(a)`` — a plain join, no range scan.

The package's lunar holidays take seconds to compute, so the model is incremental: every row carries
``calendar_version`` (a hash of the package version, the overrides and the year range), and a build
whose version is already in the table adds nothing and keeps the table. A new version replaces every
row, and makes the rest of the build recompute everything (int_build_context). Python only lists the
days off; DuckDB builds the calendar, so no dataframe library is loaded on the way.
"""

import hashlib
from datetime import date
from importlib.metadata import version


def _literal(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + str(value).replace("'", "''") + "'"


def _values(rows, columns):
    """A VALUES list of ``rows`` (or an empty relation with those columns)."""
    if not rows:
        return "select " + ", ".join(f"cast(null as varchar) as {c}" for c in columns) + " where false"
    body = ",\n".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in rows)
    return f"select * from (values {body}) as v ({', '.join(columns)})"


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="calendar_date", incremental_strategy="delete_insert_logged")
    first_year = int(dbt.config.get("calendar_first_year") or 2015)
    last_year = int(dbt.config.get("calendar_last_year") or 2030)
    overrides = sorted(dbt.ref("calendar_overrides").fetchall())
    fingerprint = repr((version("holidays"), first_year, last_year, overrides))
    calendar_version = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]

    if dbt.is_incremental:
        built = session.execute(f"select distinct calendar_version from {dbt.this}").fetchall()
        if built == [(calendar_version,)]:
            return session.sql(f"select * from {dbt.this} where false")

    import holidays  # only when the calendar is rebuilt: the lunar calendar is the slow part

    days_off = holidays.VN(years=range(first_year, last_year + 1), language="vi")
    off_rows = [(day.isoformat(), name) for day, name in sorted(days_off.items())]
    override_rows = [(day.isoformat(), bool(working), reason) for day, working, reason in overrides]
    return session.sql(
        f"""
        with
        days as (
            select cast(day as date) as calendar_date
            from generate_series(date '{date(first_year, 1, 1)}', date '{date(last_year, 12, 31)}', interval 1 day)
                as days (day)
        ),
        days_off as ({_values(off_rows, ["day", "holiday_name"])}),
        overrides as ({_values(override_rows, ["day", "is_working_day", "override_reason"])}),
        flagged as (
            select
                days.calendar_date,
                coalesce(
                    cast(overrides.is_working_day as boolean),
                    isodow(days.calendar_date) <= 5 and days_off.day is null
                ) as is_working_day,
                cast(days_off.holiday_name as varchar) as holiday_name,
                cast(overrides.override_reason as varchar) as override_reason
            from days
            left join days_off on days.calendar_date = cast(days_off.day as date)
            left join overrides on days.calendar_date = cast(overrides.day as date)
        )
        select
            calendar_date,
            is_working_day,
            cast(sum(cast(is_working_day as bigint)) over (order by calendar_date) as bigint) as working_day_index,
            holiday_name,
            override_reason,
            '{calendar_version}' as calendar_version
        from flagged
        order by calendar_date
        """
    )
