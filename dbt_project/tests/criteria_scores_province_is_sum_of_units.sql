-- The province row is the sum of its units' rows plus the dossiers that no unit row carries (coded to
-- the province itself or to no unit). Count-based criteria only; procedure-based ones count distinct
-- procedures province-wide and do not add up.
with

scores as (
    select * from {{ ref('criteria_scores') }}
    where criterion_code = '766.2.1'
),

unit_sums as (
    select
        period_grain,
        period_start,
        criterion_code,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from scores
    where unit_level is distinct from 'province'
    group by period_grain, period_start, criterion_code
),

province as (
    select * from scores
    where unit_level = 'province'
),

uncarried as (
    -- Dossiers of the pool whose unit has no row of its own.
    select
        timeliness.period_grain,
        timeliness.period_start,
        count(*) filter (where timeliness.timeliness in ('early', 'on_time', 'pending_on_time')) as numerator,
        count(*) filter (
            where timeliness.timeliness in ('early', 'on_time', 'pending_on_time', 'late', 'pending_late')
        ) as denominator
    from {{ ref('int_dossier_timeliness') }} as timeliness
    where
        timeliness.unit_code is null
        or timeliness.unit_code in (select province.unit_code from province)
    group by timeliness.period_grain, timeliness.period_start
)

select
    province.period_grain,
    province.period_start,
    province.numerator,
    province.denominator,
    unit_sums.numerator as unit_numerator,
    unit_sums.denominator as unit_denominator
from province
left join unit_sums
    on
        province.period_grain = unit_sums.period_grain
        and province.period_start = unit_sums.period_start
        and province.criterion_code = unit_sums.criterion_code
left join uncarried
    on
        province.period_grain = uncarried.period_grain
        and province.period_start = uncarried.period_start
where
    province.numerator != coalesce(unit_sums.numerator, 0) + coalesce(uncarried.numerator, 0)
    or province.denominator != coalesce(unit_sums.denominator, 0) + coalesce(uncarried.denominator, 0)
