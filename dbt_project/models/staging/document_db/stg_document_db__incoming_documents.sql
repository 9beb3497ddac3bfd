-- Rows are re-extracted on every change (updated_at): keep the latest version per id, then drop soft
-- deletes, so a deleted row disappears downstream (SOURCES.md §2).
with

source as (
    select * from {{ landing_relation('document_db', 'van_ban_den') }}
),

latest as (
    select *
    from source
    qualify row_number() over (partition by id order by updated_at desc, _batch_id desc) = 1
),

renamed as (
    select
        cast(id as bigint) as document_id,
        cast(ma_don_vi as varchar) as unit_code,
        cast(ngay_den as date) as received_on,
        cast(nhan_qua as varchar) as received_via,
        cast(han_xu_ly as date) as due_on,
        cast(ngay_xu_ly_xong as date) as handled_on,
        cast(trang_thai as varchar) as status,
        cast(updated_at as timestamp) as updated_at,
        cast(_batch_id as varchar) as batch_id
    from latest
    where deleted_at is null
)

select * from renamed
