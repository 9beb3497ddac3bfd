-- Every row of every landed monthly snapshot of the procedure catalogue (thu_tuc_hanh_chinh), renamed
-- and typed. int_procedure_snapshots keeps one file per month and one row per procedure in it.
with

source as (
    select * from {{ source('reference', 'thu_tuc_hanh_chinh') }}
),

renamed as (
    select
        cast(ma_tthc as varchar) as procedure_code,
        cast(ten_tthc as varchar) as procedure_name,
        case cap_thuc_hien
            when 'tinh' then 'province'
            when 'huyen' then 'district'
            when 'xa' then 'commune'
        end as handling_level,
        cast(linh_vuc as varchar) as field,
        cast(thoi_han_ngay_lam_viec as integer) as time_limit_working_days,
        cast(muc_do_dvc as varchar) as online_service_level,
        cast(du_dieu_kien_toan_trinh as boolean) as eligible_fully_online,
        cast(co_phi_le_phi as boolean) as is_fee_bearing,
        cast(ket_qua_la_giay_to as boolean) as result_is_document,
        cast(ngay_qd_cong_bo as date) as published_decision_on,
        cast(ngay_hieu_luc as date) as effective_from,
        cast(ngay_het_hieu_luc as date) as effective_to,
        cast(ngay_cong_khai_csdl as date) as made_public_on,
        cast(day_du_bo_phan as boolean) as has_all_parts,
        cast(strptime(_snapshot_month, '%Y%m') as date) as snapshot_month,
        cast(_source_file as varchar) as source_file
    from source
)

select * from renamed
