{#- Points of a criterion row under the METRICS.md §4 methods, from a scoring_rules row aliased `rule`.
    Every threshold comes from the seed; this macro only knows the shapes of the methods. `bands` is JSON
    text, e.g. [[1.0, 2.0], [0.98, 1.5], [0, 0]], read in order (the first matching band wins). -#}
{% macro score_points(rule, rate, numerator, denominator) -%}
    case
        when {{ denominator }} = 0
            then case when {{ rule }}.zero_denominator = 'full' then {{ rule }}.max_points end
        when {{ rule }}.method = 'proportional'
            then {{ rule }}.max_points * least(1.0, {{ rate }} / coalesce(nullif({{ rule }}.target, 0), 1.0))
        when {{ rule }}.method = 'bands'
            then coalesce(
                list_filter(cast({{ rule }}.bands as double [] []), lambda band: band[1] <= {{ rate }})[1][2],
                0.0
            )
        when {{ rule }}.method = 'bands_max'
            then coalesce(
                list_filter(cast({{ rule }}.bands as double [] []), lambda band: {{ rate }} <= band[1])[1][2],
                0.0
            )
        when {{ rule }}.method = 'zero_is_full'
            then case when {{ numerator }} = 0 then {{ rule }}.max_points else 0.0 end
        -- Context only (max 0): reported, never scored.
        when {{ rule }}.method = 'reported' then 0.0
    end
{%- endmacro %}


{#- The scoring_rules row that scores a period: the version valid at the period's end date, for the
    unit's level or for every level. -#}
{% macro scoring_rule_applies(rule, period_end, unit_level) -%}
    {{ period_end }} >= {{ rule }}.valid_from
    and {{ period_end }} <= coalesce({{ rule }}.valid_to, cast('9999-12-31' as date))
    and ({{ rule }}.unit_level is null or {{ rule }}.unit_level = {{ unit_level }})
{%- endmacro %}


{#- The scored rows of criteria_scores (and criteria_scores_restated) from a relation `rated` with
    period_grain, period_start, period_end, unit_code, unit_name, unit_level, criterion_code, numerator,
    denominator, rate, is_period_closed and as_of: each row scored by the scoring_rules version valid at
    the period's end for the unit's level (a criterion without a rule for a level — e.g. 766.1.1–766.1.3
    below the province — has no row there). `extra_columns` are appended after the contract's columns. -#}
{% macro scored_criteria(rated, extra_columns=[]) -%}
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
    {%- for column in extra_columns %},
    {{ column }}
    {%- endfor %}
from {{ rated }} as rated
-- A unit missing from don_vi has no level; it is scored by the all-levels rules (unit_level null).
inner join {{ ref('int_scoring_rules') }} as scoring_rule
    on
        rated.criterion_code = scoring_rule.criterion_code
        and {{ scoring_rule_applies('scoring_rule', 'rated.period_end', 'rated.unit_level') }}
{%- endmacro %}
