-- sqlfluff:indentation:template_blocks_indent:false
-- Every committed landing batch at the start of this build, with what changed since the last completed
-- build (int_processed_batches): new, replaced (same batch id, another manifest: a rerun of the window),
-- removed, or unchanged (a manifest's fingerprint, stg_landing__batches). Taken once, before any model
-- reads new batches (those models ref this one), so the state written at the end never claims a batch
-- the build did not read; a batch committed during the build is simply new next time.
{%- set previous = previous_relation('int_processed_batches') %}

with

manifests as (
    select * from {{ ref('stg_landing__batches') }}
),

previous as (
    {%- if previous is not none %}
    select
        source_name,
        dataset,
        batch_id,
        fingerprint
    from {{ previous }}
    {%- else %}
    select
        cast(null as varchar) as source_name,
        cast(null as varchar) as dataset,
        cast(null as varchar) as batch_id,
        cast(null as varchar) as fingerprint
    where false
    {%- endif %}
)

select
    coalesce(manifests.source_name, previous.source_name) as source_name,
    coalesce(manifests.dataset, previous.dataset) as dataset,
    coalesce(manifests.batch_id, previous.batch_id) as batch_id,
    manifests.fingerprint,
    manifests.committed_at,
    case
        when previous.batch_id is null then 'new'
        when manifests.batch_id is null then 'removed'
        when manifests.fingerprint != previous.fingerprint then 'replaced'
        else 'unchanged'
    end as change  -- noqa: RF04
from manifests
full outer join previous
    on
        manifests.source_name = previous.source_name
        and manifests.dataset = previous.dataset
        and manifests.batch_id = previous.batch_id
