-- Every landed version of every task assigned by the provincial People's Committee (nhiem_vu),
-- renamed and typed. Rows are re-extracted on every change: int_assigned_tasks keeps the latest.
with

source as (
    select * from {{ source('document_db', 'nhiem_vu') }}
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
        cast(deleted_at as timestamp) as deleted_at,
        cast(_batch_id as varchar) as batch_id
    from source
)

select * from renamed
