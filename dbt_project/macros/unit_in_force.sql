{#- A unit is in force at a period's end (METRICS.md §5) when its validity (don_vi hieu_luc_tu ..
    hieu_luc_den, int_unit_history `u`) contains that day: valid_from <= period_end and valid_to null or
    >= period_end. A missing valid_from is read as no start bound. A unit code that don_vi does not know
    (u.unit_code null after a left join) cannot be shown to be in force, so it is not: only units in force
    are ranked, and a ceased or unknown unit keeps its rows and points with a null rank. -#}
{% macro is_unit_in_force(u, period_end) -%}
    coalesce(
        {{ u }}.unit_code is not null
        and ({{ u }}.valid_from is null or {{ u }}.valid_from <= {{ period_end }})
        and ({{ u }}.valid_to is null or {{ u }}.valid_to >= {{ period_end }}),
        false
    )
{%- endmacro %}


{#- rank() within the level among the units in force only; null for the others. `order_by` is the
    ranking expression (higher first), `partition_by` the period columns. -#}
{% macro rank_in_force(partition_by, order_by, in_force='is_unit_in_force') -%}
    case
        when {{ in_force }}
            then rank() over (
                partition by {{ partition_by }}, unit_level, {{ in_force }}
                order by {{ order_by }} desc nulls last
            )
    end
{%- endmacro %}


{#- The rows of `relation` (a CTE with unit_code and a period end column) with is_unit_in_force at that
    period's end, for the scorecards, which rank only the units in force. -#}
{% macro with_unit_in_force(relation, period_end) -%}
select
        {{ relation }}.*,
        {{ is_unit_in_force('units', relation ~ '.' ~ period_end) }} as is_unit_in_force
    from {{ relation }}
    left join {{ ref('int_unit_history') }} as units on {{ relation }}.unit_code = units.unit_code
{%- endmacro %}
