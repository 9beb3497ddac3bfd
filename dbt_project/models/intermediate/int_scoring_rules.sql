-- sqlfluff:indentation:template_blocks_indent:false
-- The scoring rules in force (METRICS.md §4): the `scoring_rules` seed — or, for tests only, a CSV of the
-- same columns named by `--vars '{scoring_rules_csv: /path/to/rules.csv}'`, so a test can score with
-- rule versions of its own without touching the real numbers. Every consumer reads the rules here.
-- depends_on: {{ ref('scoring_rules') }}
{{ config(materialized='view') }}
{%- set override = var('scoring_rules_csv', none) %}

{%- if override %}

-- noqa: disable=LT02, AM04
select * from read_csv(
    '{{ override }}',
    header = true,
    auto_detect = false,
    columns = {
        'criterion_code': 'varchar',
        'criterion_group': 'varchar',
        'criterion_name_vi': 'varchar',
        'criterion_name_en': 'varchar',
        'rule_version': 'varchar',
        'valid_from': 'date',
        'valid_to': 'date',
        'unit_level': 'varchar',
        'method': 'varchar',
        'max_points': 'double',
        'target': 'double',
        'bands': 'varchar',
        'zero_denominator': 'varchar'
    }
)
-- noqa: enable=LT02, AM04

{%- else %}

select * from {{ ref('scoring_rules') }}  -- noqa: AM04

{%- endif %}
