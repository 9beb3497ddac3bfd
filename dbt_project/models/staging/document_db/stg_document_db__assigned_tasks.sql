-- Rows are re-extracted on every change (updated_at): keep the latest version per id, then drop soft
-- deletes, so a deleted row disappears downstream (SOURCES.md §2).
with

source as (
    select * from {{ landing_relation('document_db', 'nhiem_vu') }}
),

latest as (
    select *
    from source
    qualify row_number() over (partition by id order by updated_at desc, _batch_id desc) = 1
),

renamed as (
    select
        cast(id as bigint) as task_id,
        cast(ma_don_vi as varchar) as unit_code,
        cast(so_van_ban_giao as varchar) as assigning_document_number,
        cast(ngay_giao as date) as assigned_on,
        cast(han_hoan_thanh as date) as due_on,
        cast(ngay_hoan_thanh as date) as completed_on,
        cast(trang_thai as varchar) as status,
        cast(updated_at as timestamp) as updated_at,
        cast(_batch_id as varchar) as batch_id
    from latest
    where deleted_at is null
)

select * from renamed
