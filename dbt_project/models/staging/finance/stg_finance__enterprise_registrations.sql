-- Every row of every landed enterprise registration report (dang_ky_doanh_nghiep), renamed and typed.
-- A corrected re-send replaces its period's file: int_enterprise_registrations keeps the newest.
with

source as (
    select * from {{ source('finance', 'dang_ky_doanh_nghiep') }}
),

renamed as (
    select
        cast(strptime(ky_bao_cao, '%Y-%m') as date) as report_month,
        cast(ma_don_vi_hanh_chinh as varchar) as unit_code,
        cast(so_dn_thanh_lap_moi as bigint) as new_enterprises,
        cast(von_dang_ky as double) as registered_capital_bn,
        cast(so_du_an_moi as bigint) as new_investment_projects,
        cast(von_dau_tu_dang_ky as double) as registered_investment_bn,
        cast(_period as varchar) as report_period,
        cast(_version as integer) as file_version,
        cast(_source_file as varchar) as source_file
    from source
)

select * from renamed
