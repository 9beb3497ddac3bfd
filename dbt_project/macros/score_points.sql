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
