-- Rows are re-extracted on every change (updated_at): keep the latest version per id, then drop soft
-- deletes, so a deleted row disappears downstream (SOURCES.md §2).
with

source as (
    select * from {{ landing_relation('document_db', 'ho_so_cong_viec') }}
),

latest as (
    select *
    from source
    qualify row_number() over (partition by id order by updated_at desc, _batch_id desc) = 1
),

renamed as (
    select
        cast(id as bigint) as work_file_id,
        cast(ma_don_vi as varchar) as unit_code,
        cast(ngay_mo as date) as opened_on,
        cast(ngay_dong as date) as closed_on,
        cast(xu_ly_tren_mang as boolean) as handled_online,
        cast(updated_at as timestamp) as updated_at,
        cast(_batch_id as varchar) as batch_id
    from latest
    where deleted_at is null
)

select * from renamed
