-- One row per (period_grain, period_start, unit_code, criterion_code); contract in MARTS.md. Every
-- computable criterion of METRICS.md §5–6 from int_criteria_counts, scored by the scoring_rules version
-- valid at the period's end for the unit's level (a criterion without a rule for a level — e.g. 766.1.x
-- below the province — has no row there). Not available from these sources, so absent: 766.5.3,
-- 766.6.1, 766.6.2. Unit rows never carry the province's own code: records coded to the province count
-- in its roll-up row only, as do records with no unit code.
with

counts as (
    select * from {{ ref('int_criteria_counts') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

units as (
    select * from {{ ref('int_unit_history') }}
),

rules as (
    select * from {{ ref('scoring_rules') }}
),

province as (
    select distinct
        province_unit_code as unit_code,
        unit_name
    from units
    where is_the_province
),

unit_rows as (
    select
        counts.period_grain,
        counts.period_start,
        counts.unit_code,
        units.unit_name,
        units.unit_level,
        counts.criterion_code,
        counts.numerator,
        counts.denominator
    from counts
    left join units on counts.unit_code = units.unit_code
    where
        not counts.is_province_rollup
        and counts.unit_code is not null
        and counts.unit_code not in (select province.unit_code from province)
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
        counts.denominator
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

select
    cast(rated.period_grain as varchar) as period_grain,
    cast(rated.period_start as date) as period_start,
    cast(rated.period_end as date) as period_end,
    cast(rated.unit_code as varchar) as unit_code,
    cast(rated.unit_name as varchar) as unit_name,
    cast(rated.unit_level as varchar) as unit_level,
    cast(scoring_rule.criterion_code as varchar) as criterion_code,
    cast(scoring_rule.criterion_group as varchar) as criterion_group,
    cast(scoring_rule.criterion_name_vi as varchar) as criterion_name_vi,
    cast(scoring_rule.criterion_name_en as varchar) as criterion_name_en,
    cast(rated.numerator as double) as numerator,
    cast(rated.denominator as double) as denominator,
    cast(rated.rate as double) as rate,
    cast({{ score_points('scoring_rule', 'rated.rate', 'rated.numerator', 'rated.denominator') }} as double) as points,
    cast(scoring_rule.max_points as double) as max_points,
    cast(scoring_rule.target as double) as target,
    cast(scoring_rule.rule_version as varchar) as rule_version,
    cast(rated.is_period_closed as boolean) as is_period_closed,
    cast(rated.as_of as timestamp) as as_of
from rated
-- A unit missing from don_vi has no level; it is scored by the all-levels rules (unit_level null).
inner join rules as scoring_rule
    on
        rated.criterion_code = scoring_rule.criterion_code
        and {{ scoring_rule_applies('scoring_rule', 'rated.period_end', 'rated.unit_level') }}
