-- The procedure catalogue keeps every monthly snapshot: criteria read it as of the time they describe
-- (METRICS.md §2). A `_v<N>` re-send replaces its own month's snapshot as a whole file.
with

source as (
    select * from {{ landing_relation('reference', 'thu_tuc_hanh_chinh') }}
),

newest_file_per_month as (
    select *
    from source
    qualify _source_file = max(_source_file) over (partition by _snapshot_month)
),

deduplicated as (
    select *
    from newest_file_per_month
    qualify row_number() over (partition by _snapshot_month, ma_tthc order by ma_tthc) = 1
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
    from deduplicated
)

select * from renamed
