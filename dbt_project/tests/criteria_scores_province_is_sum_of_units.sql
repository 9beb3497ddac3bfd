-- For the count-based criteria (province_rollup 'sum', declared where each criterion is counted:
-- macros/criterion_rows.sql) the province row is the sum of its units' rows plus the records that no
-- unit row carries (coded to the province itself or to no unit). Procedure-based criteria count distinct
-- procedures province-wide and do not add up (tests/procedure_criteria_province_is_distinct.sql); some
-- criteria exist for the province only. A relation between a mart and the counts behind it: a dbt test
-- (dbt_project/README.md, "Which rule is checked where").
with

counts as (
    select * from {{ ref('int_criteria_counts') }}
),

scores as (
    select * from {{ ref('criteria_scores') }}
    where criterion_code not in (
            select distinct counts.criterion_code from counts
            where counts.province_rollup != 'sum'
        )
),

province as (
    select * from scores
    where unit_level = 'province'
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

uncarried as (
    -- Unit-level counts that no unit row carries: no unit code, the province's own code, or a criterion
    -- not scored for the unit's level.
    select
        counts.period_grain,
        counts.period_start,
        counts.criterion_code,
        sum(counts.numerator) as numerator,
        sum(counts.denominator) as denominator
    from counts
    where
        not counts.is_province_rollup
        and not exists (
            select 1
            from scores
            where
                scores.unit_code = counts.unit_code
                and scores.unit_level is distinct from 'province'
                and scores.period_grain = counts.period_grain
                and scores.period_start = counts.period_start
                and scores.criterion_code = counts.criterion_code
        )
    group by counts.period_grain, counts.period_start, counts.criterion_code
)

select
    province.period_grain,
    province.period_start,
    province.criterion_code,
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
        and province.criterion_code = uncarried.criterion_code
where
    -- Amounts (PAR.6, PAR.8) are doubles summed in different orders: compare within a relative 1e-9.
    abs(province.numerator - (coalesce(unit_sums.numerator, 0) + coalesce(uncarried.numerator, 0)))
    > 1e-9 * greatest(1, abs(province.numerator))
    or abs(province.denominator - (coalesce(unit_sums.denominator, 0) + coalesce(uncarried.denominator, 0)))
    > 1e-9 * greatest(1, abs(province.denominator))
