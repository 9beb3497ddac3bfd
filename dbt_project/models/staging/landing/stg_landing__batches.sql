-- Every committed landing batch, one row per manifest: which dataset it belongs to, its id, a
-- fingerprint of its manifest (whose text holds committed_at and the checksum of every part file, so a
-- rerun of the window gives another fingerprint) and when it was committed. int_landing_batches
-- compares them with what the last completed build processed.
with

source as (
    select * from {{ source('landing', 'batch_manifests') }}
),

renamed as (
    select
        regexp_extract(filename, '/landing/([^/]+)/[^/]+/batch=[^/]+/_manifest\.json$', 1) as source_name,
        regexp_extract(filename, '/landing/[^/]+/([^/]+)/batch=[^/]+/_manifest\.json$', 1) as dataset,
        regexp_extract(filename, '/batch=([^/]+)/_manifest\.json$', 1) as batch_id,
        md5(content) as fingerprint,
        json_extract_string(content, '$.committed_at') as committed_at
    from source
)

select * from renamed
