-- Every landed version of every outgoing official document, renamed and typed. Rows are re-extracted
-- on every change: int_outgoing_documents keeps the latest.
with

source as (
    select * from {{ source('document_db', 'van_ban_di') }}
),

renamed as (
    select
        cast(id as bigint) as document_id,
        cast(ma_don_vi as varchar) as unit_code,
        cast(so_ky_hieu as varchar) as document_number,
        cast(loai_van_ban as varchar) as document_type,
        cast(ngay_ban_hanh as date) as issued_on,
        cast(do_mat as varchar) as secrecy,
        cast(phat_hanh_dien_tu as boolean) as issued_electronically,
        cast(ky_so as boolean) as digitally_signed,
        cast(gui_qua_truc as boolean) as via_national_axis,
        -- A missing count of external recipients counts as none (METRICS.md §6).
        cast(coalesce(noi_nhan_ngoai, 0) as integer) as external_recipients,
        cast(updated_at as timestamp) as updated_at,
        cast(deleted_at as timestamp) as deleted_at,
        cast(_batch_id as varchar) as batch_id
    from source
)

select * from renamed
