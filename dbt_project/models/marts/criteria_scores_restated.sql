-- criteria_scores restated across the 2025-07-01 reorganisation (domain-notes §h), for trend charts
-- under today's units. A commune that merged into another commune (following the chain to today's,
-- int_unit_restatement) is shown under its successor: the successor's row sums the numerators and
-- denominators of its predecessors and itself, and its rate and points are recomputed from those sums
-- (never averaged), by the rule version valid at the period's end for the successor's level. The
-- procedure-based criteria count distinct procedures across the merged communes instead of summing
-- (int_criteria__procedure_counts_restated). Districts, departments, the province and communes that did
-- not merge are carried as criteria_scores has them (the same roll-up and rating,
-- macros/criteria_scores.sql). Every row says whether it is restated and from which historic units;
-- the history itself stays attributed to the historic units in criteria_scores.
with

{{ criteria_rollup_inputs() }}

restated_procedure_counts as (
    select * from {{ ref('int_criteria__procedure_counts_restated') }}
    where not is_province_rollup
),

restatement as (
    select * from {{ ref('int_unit_restatement') }}
),

summed as (
    -- Each unit row under the unit it is restated under.
    select
        unit_counts.period_grain,
        unit_counts.period_start,
        coalesce(restatement.restated_unit_code, unit_counts.unit_code) as unit_code,
        unit_counts.criterion_code,
        sum(unit_counts.numerator) as numerator,
        sum(unit_counts.denominator) as denominator,
        list_sort(list_distinct(coalesce(
            list(unit_counts.unit_code) filter (
                where unit_counts.unit_code != coalesce(restatement.restated_unit_code, unit_counts.unit_code)
            ),
            []
        ))) as restated_from
    from unit_counts
    left join restatement on unit_counts.unit_code = restatement.unit_code
    group by all
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

{{ rate_and_score(
    'unit_rows',
    province_columns=['cast([] as varchar[]) as restated_from'],
    extra_columns=[
        'cast(len(rated.restated_from) > 0 as boolean) as is_restated',
        "cast(nullif(array_to_string(rated.restated_from, ','), '') as varchar) as restated_from_unit_codes",
        'cast(len(rated.restated_from) as integer) as restated_from_unit_count',
    ],
) }}
