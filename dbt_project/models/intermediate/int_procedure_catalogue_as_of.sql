-- Every catalogue snapshot with the months it answers for (METRICS.md §2): a moment in month m reads the
-- newest snapshot exported in or before m; months before the oldest snapshot read the oldest one.
-- Grain: one row per (snapshot_month, procedure_code). Join on
-- `applies_from_month <= m and m < applies_to_month`.
with

procedures as (
    select * from {{ ref('int_procedure_snapshots') }}
),

snapshots as (
    select distinct snapshot_month from procedures
),

ranges as (
    select
        snapshot_month,
        case
            when row_number() over (order by snapshot_month) = 1 then cast('0001-01-01' as date)
            else snapshot_month
        end as applies_from_month,
        coalesce(
            lead(snapshot_month) over (order by snapshot_month), cast('9999-12-01' as date)
        ) as applies_to_month
    from snapshots
)

select
    procedures.*,  -- noqa: AM04
    ranges.applies_from_month,
    ranges.applies_to_month
from procedures
inner join ranges on procedures.snapshot_month = ranges.snapshot_month
