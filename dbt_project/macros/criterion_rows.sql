{#- The rows of int_criteria_counts from relation `criteria`, which holds one struct `criterion` (code,
    numerator, denominator) per row, unnested from the list of criteria a count row feeds: every count
    model ends with it, so they all give the same columns and types.

    `province_rollup` (SQL) says how the criterion's province row relates to its unit rows, declared where
    the criterion is counted and read by the dbt tests of the roll-up (tests/criteria_scores_province_*):
      sum                  count-based: the province row is the sum of every record's counts, so of its
                           unit rows plus the records no unit row carries (METRICS.md §3);
      distinct_procedures  procedure-based: distinct procedures province-wide, never a sum;
      province_only        the criterion has a province row only. -#}
{% macro criterion_rows(criteria, province_rollup="'sum'") -%}
select
    period_grain,
    period_start,
    unit_code,
    is_province_rollup,
    criterion.code as criterion_code,
    cast(criterion.numerator as double) as numerator,
    cast(criterion.denominator as double) as denominator,
    cast({{ province_rollup }} as varchar) as province_rollup
from {{ criteria }}
{%- endmacro %}
