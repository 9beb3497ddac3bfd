-- sqlfluff:exclude_rules:LT02
{#- (A Jinja loop inside a select list puts SQL where sqlfluff cannot judge its indentation.) -#}
{#- The roll-up and rating of criteria_scores and criteria_scores_restated, in one place (METRICS.md
    §3–4). A model reads its inputs with criteria_rollup_inputs(), builds `unit_rows` (its unit rows:
    period_grain, period_start, unit_code, unit_name, unit_level, criterion_code, numerator, denominator,
    plus any columns of its own) and ends with rate_and_score('unit_rows').

    Unit rows never carry the province's own code: records coded to the province, like records coded to
    no unit, count in the province's roll-up row only. The province row is the roll-up counted over every
    record (int_criteria_counts.is_province_rollup), named after the province of the newest units
    snapshot: count-based criteria sum numerators and denominators (never average rates),
    procedure-based ones count distinct procedures province-wide. -#}


{#- CTEs `counts`, `periods`, `units`, `province` and `unit_counts` (comma-terminated): the unit-level
    counts a unit row may come from. -#}
{% macro criteria_rollup_inputs() -%}
counts as (
    select * from {{ ref('int_criteria_counts') }}
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
    select *
    from counts
    where
        not counts.is_province_rollup
        and counts.unit_code is not null
        and counts.unit_code not in (select province.unit_code from province)
),
{%- endmacro %}


{#- The province rows added to `unit_rows`, every row rated (rate = numerator / denominator, null when
    the denominator is 0) in its period and scored (scored_criteria). `province_columns` give the
    province rows' values of the model's own columns, `extra_columns` the model's own output columns. -#}
{% macro rate_and_score(unit_rows, province_columns=[], extra_columns=[]) -%}
province_rows as (
    select
        {%- for column in province_columns %}
        {{ column }},
        {%- endfor %}
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
    select * from {{ unit_rows }}
    union all by name
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

{{ scored_criteria('rated', extra_columns) }}
{%- endmacro %}
