-- Every row of every landed budget revenue report (thu_ngan_sach), renamed and typed. A corrected
-- re-send (a higher _version) replaces its period's file as a whole: int_budget_revenue keeps the newest.
with

source as (
    select * from {{ source('finance', 'thu_ngan_sach') }}
),

renamed as (
    select
        cast(strptime(ky_bao_cao, '%Y-%m') as date) as report_month,
        cast(ma_khu_vuc as varchar) as sector_code,
        cast(ten_khu_vuc as varchar) as sector_name,
        cast(du_toan_nam as double) as annual_estimate,
        cast(thuc_hien_luy_ke as double) as actual_ytd,
        cast(_period as varchar) as report_period,
        cast(_version as integer) as file_version,
        cast(_source_file as varchar) as source_file
    from source
)

select * from renamed
