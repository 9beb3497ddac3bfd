-- Every landed version of every work file, renamed and typed. Rows are re-extracted on every change:
-- int_work_files keeps the latest.
with

source as (
    select * from {{ source('document_db', 'ho_so_cong_viec') }}
),

renamed as (
    select
        cast(id as bigint) as work_file_id,
        cast(ma_don_vi as varchar) as unit_code,
        cast(ngay_mo as date) as opened_on,
        cast(ngay_dong as date) as closed_on,
        cast(xu_ly_tren_mang as boolean) as handled_online,
        cast(updated_at as timestamp) as updated_at,
        cast(deleted_at as timestamp) as deleted_at,
        cast(_batch_id as varchar) as batch_id
    from source
)

select * from renamed
