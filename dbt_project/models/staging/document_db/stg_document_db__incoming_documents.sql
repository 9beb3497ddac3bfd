-- Every landed version of every incoming official document, renamed and typed. Rows are re-extracted
-- on every change: int_incoming_documents keeps the latest.
with

source as (
    select * from {{ source('document_db', 'van_ban_den') }}
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
        cast(deleted_at as timestamp) as deleted_at,
        cast(_batch_id as varchar) as batch_id
    from source
)

select * from renamed
