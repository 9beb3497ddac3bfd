-- sqlfluff:indentation:template_blocks_indent:false
-- The int_dossier_lifecycle rows of the dossiers this build recomputes (int_dossier_changes), as the last
-- completed build left them: int_periods_to_refresh compares each dossier's old and new place in the
-- period counts. Read before int_dossier_lifecycle is updated (it depends on this model). Empty when
-- the build recomputes everything.
{{ config(materialized='table') }}
-- depends_on: {{ ref('int_build_context') }}
{%- set lifecycle = previous_relation('int_dossier_lifecycle') if not refresh_everything() else none %}

{%- if lifecycle is not none %}

select *  -- noqa: AM04
from {{ rows_with_keys(lifecycle, 'k.dossier_id', 'select dossier_id from ' ~ ref('int_dossier_changes')) }}

{%- else %}

select *  -- noqa: AM04
from {{ ref('int_dossier_changes') }}
where false

{%- endif %}
