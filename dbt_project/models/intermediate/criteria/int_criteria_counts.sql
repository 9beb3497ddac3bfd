-- sqlfluff:indentation:template_blocks_indent:false
-- Every computable criterion's numerator and denominator (METRICS.md §5–6), per unit and for the
-- province roll-up (`is_province_rollup`, unit_code null), before scoring. Grain: one row per
-- (period_grain, period_start, unit_code, is_province_rollup, criterion_code). Unit rows with a null
-- unit code (records coded to no unit) count only in the province roll-up. `province_rollup` says how
-- each criterion's province row relates to its unit rows (macros/criterion_rows.sql).
{%- for counts in [
    'int_criteria__dossier_counts',
    'int_criteria__procedure_counts',
    'int_criteria__document_counts',
    'int_criteria__finance_counts',
    'int_criteria__listing_counts',
] %}
select
    period_grain,
    period_start,
    unit_code,
    is_province_rollup,
    criterion_code,
    numerator,
    denominator,
    province_rollup
from {{ ref(counts) }}
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
