-- criteria_scores restated across the 2025-07-01 reorganisation (domain-notes §h), for trend charts
-- under today's units. A commune that merged into another commune (following the chain to today's,
-- int_unit_restatement) is shown under its successor: the successor's row sums the numerators and
-- denominators of its predecessors and itself, and its rate and points are recomputed from those sums
-- (never averaged), by the rule version valid at the period's end for the successor's level. The
-- procedure-based criteria count distinct procedures across the merged communes instead of summing
-- (int_criteria__procedure_counts_restated). Districts, departments, the province and communes that did
-- not merge are carried as criteria_scores has them. Every row says whether it is restated and from
-- which historic units; the history itself stays attributed to the historic units in criteria_scores.
-- Grain: one row per (period_grain, period_start, unit_code, criterion_code).
with

counts as (
    select * from {{ ref('int_criteria_counts') }}
),

restated_procedure_counts as (
    select * from {{ ref('int_criteria__procedure_counts_restated') }}
    where not is_province_rollup
),

restatement as (
    select * from {{ ref('int_unit_restatement') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

units as (
    select * from {{ ref('int_unit_history') }}
),

province as (
    select distinct
        province_unit_code as unit_code,
        unit_name
    from units
    where is_the_province
),

unit_counts as (
    -- The unit rows criteria_scores scores (not the roll-up, not the province's own code), each under
    -- the unit it is restated under.
    select
        counts.period_grain,
        counts.period_start,
        coalesce(restatement.restated_unit_code, counts.unit_code) as unit_code,
        counts.unit_code as historic_unit_code,
        counts.criterion_code,
        counts.numerator,
        counts.denominator
    from counts
    left join restatement on counts.unit_code = restatement.unit_code
    where
        not counts.is_province_rollup
        and counts.unit_code is not null
        and counts.unit_code not in (select province.unit_code from province)
),

summed as (
    select
        period_grain,
        period_start,
        unit_code,
        criterion_code,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        list_sort(list_distinct(coalesce(list(historic_unit_code) filter (where historic_unit_code != unit_code), [])))
            as restated_from
    from unit_counts
    group by period_grain, period_start, unit_code, criterion_code
),

unit_rows as (
    select
        summed.period_grain,
        summed.period_start,
        summed.unit_code,
        units.unit_name,
        units.unit_level,
        summed.criterion_code,
        -- Distinct procedures across the merged communes, where the criterion counts procedures.
        coalesce(restated_procedure_counts.numerator, summed.numerator) as numerator,
        coalesce(restated_procedure_counts.denominator, summed.denominator) as denominator,
        summed.restated_from
    from summed
    left join units on summed.unit_code = units.unit_code
    left join restated_procedure_counts
        on
            len(summed.restated_from) > 0
            and summed.period_grain = restated_procedure_counts.period_grain
            and summed.period_start = restated_procedure_counts.period_start
            and summed.unit_code = restated_procedure_counts.unit_code
            and summed.criterion_code = restated_procedure_counts.criterion_code
),

province_rows as (
    select
        counts.period_grain,
        counts.period_start,
        province.unit_code,
        province.unit_name,
        'province' as unit_level,
        counts.criterion_code,
        counts.numerator,
        counts.denominator,
        cast([] as varchar[]) as restated_from
    from counts
    cross join province
    where counts.is_province_rollup
),

all_rows as (
    select * from unit_rows
    union all
    select * from province_rows
),

rated as (
    select
        all_rows.*,
        periods.period_end,
        periods.is_period_closed,
        periods.as_of,
        all_rows.numerator / nullif(all_rows.denominator, 0) as rate
    from all_rows
    inner join periods
        on
            all_rows.period_grain = periods.period_grain
            and all_rows.period_start = periods.period_start
)

{{ scored_criteria('rated', extra_columns=[
    'cast(len(rated.restated_from) > 0 as boolean) as is_restated',
    "cast(nullif(array_to_string(rated.restated_from, ','), '') as varchar) as restated_from_unit_codes",
    'cast(len(rated.restated_from) as integer) as restated_from_unit_count',
]) }}
