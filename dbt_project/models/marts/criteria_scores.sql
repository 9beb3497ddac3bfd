-- One row per (period_grain, period_start, unit_code, criterion_code); contract in MARTS.md.
-- 766.2.1: early + on_time + pending_on_time over dossiers in scope (all five classes; unclassified
-- dossiers are left out of both). A row exists when the unit has an accepted dossier in scope or
-- received in the period, even with a denominator of 0.
with

timeliness as (
    select * from {{ ref('int_dossier_timeliness') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

units as (
    select * from {{ ref('stg_reference__units') }}
),

rules as (
    select * from {{ ref('scoring_rules') }}
),

province as (
    -- The province continues under one code; prefer the row still in force.
    select
        unit_code,
        unit_name
    from units
    where unit_level = 'province'
    qualify row_number() over (order by valid_to desc nulls first, unit_code asc) = 1
),

dossier_counts as (
    select
        period_grain,
        period_start,
        unit_code,
        count(*) filter (where timeliness in ('early', 'on_time', 'pending_on_time')) as numerator,
        count(*) filter (
            where timeliness in ('early', 'on_time', 'pending_on_time', 'late', 'pending_late')
        ) as denominator
    from timeliness
    group by period_grain, period_start, unit_code
),

unit_rows as (
    -- Dossiers coded to the province itself are part of the province roll-up, not a row of their own;
    -- dossiers without a unit code count only there too.
    select
        dossier_counts.period_grain,
        dossier_counts.period_start,
        dossier_counts.unit_code,
        units.unit_name,
        units.unit_level,
        dossier_counts.numerator,
        dossier_counts.denominator
    from dossier_counts
    left join units on dossier_counts.unit_code = units.unit_code
    where
        dossier_counts.unit_code is not null
        and dossier_counts.unit_code not in (select province.unit_code from province)
),

province_rows as (
    -- Count-based criteria roll up by summing numerators and denominators, never by averaging rates.
    select
        dossier_counts.period_grain,
        dossier_counts.period_start,
        province.unit_code,
        province.unit_name,
        'province' as unit_level,
        sum(dossier_counts.numerator) as numerator,
        sum(dossier_counts.denominator) as denominator
    from dossier_counts
    cross join province
    group by dossier_counts.period_grain, dossier_counts.period_start, province.unit_code, province.unit_name
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
        cast(all_rows.numerator as double) / nullif(all_rows.denominator, 0) as rate
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
-- A unit missing from don_vi has no level; it is scored by the all-levels rule (unit_level null).
inner join rules as scoring_rule
    on
        scoring_rule.criterion_code = '766.2.1'
        and {{ scoring_rule_applies('scoring_rule', 'rated.period_end', 'rated.unit_level') }}
