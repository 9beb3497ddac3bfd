-- The int_dossier_lifecycle rows of the dossiers this build recomputes (int_dossier_changes), as the last
-- completed build left them: int_periods_to_refresh compares each dossier's old and new place in the
-- period counts. Read before int_dossier_lifecycle is updated (it depends on this model). Empty when
-- the build recomputes everything.
{{ config(materialized='table') }}
-- depends_on: {{ ref('int_build_context') }}
{%- set lifecycle = previous_relation('int_dossier_lifecycle') if not refresh_everything() else none %}

{%- if lifecycle is not none %}

select previous.*
from {{ lifecycle }} as previous
inner join {{ ref('int_dossier_changes') }} as changes on previous.dossier_id = changes.dossier_id

{%- else %}

select *
from {{ ref('int_dossier_changes') }}
where false

{%- endif %}
