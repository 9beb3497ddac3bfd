-- Every row of every landed public-investment disbursement report (giai_ngan_dau_tu_cong), renamed and
-- typed. A corrected re-send replaces its period's file: int_public_investment keeps the newest.
with

source as (
    select * from {{ source('finance', 'giai_ngan_dau_tu_cong') }}
),

renamed as (
    select
        cast(strptime(ky_bao_cao, '%Y-%m') as date) as report_month,
        cast(ma_don_vi as varchar) as unit_code,
        cast(ma_du_an as varchar) as project_code,
        cast(ten_du_an as varchar) as project_name,
        cast(ke_hoach_von_nam as double) as annual_plan,
        cast(giai_ngan_luy_ke as double) as disbursed_ytd,
        cast(_period as varchar) as report_period,
        cast(_version as integer) as file_version,
        cast(_source_file as varchar) as source_file
    from source
)

select * from renamed
