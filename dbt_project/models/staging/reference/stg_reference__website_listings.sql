-- Listings carry their own check dates, so the newest snapshot is authoritative (SOURCES.md §4).
with

source as (
    select * from {{ landing_relation('reference', 'niem_yet_website') }}
),

newest_snapshot as (
    select *
    from source
    where _snapshot_month = (select max(s._snapshot_month) from source as s)
    qualify _source_file = max(_source_file) over ()
),

deduplicated as (
    select distinct
        ma_don_vi,
        ma_tthc,
        ngay_kiem_tra,
        _snapshot_month,
        _source_file
    from newest_snapshot
),

renamed as (
    select
        cast(ma_don_vi as varchar) as unit_code,
        cast(ma_tthc as varchar) as procedure_code,
        cast(ngay_kiem_tra as date) as checked_on,
        cast(strptime(_snapshot_month, '%Y%m') as date) as snapshot_month,
        cast(_source_file as varchar) as source_file
    from deduplicated
)

select * from renamed
