-- One batch per reporting period; a corrected re-send (a higher _version) replaces its period's file as
-- a whole (SOURCES.md §3), so only the newest version of each period is read.
with

source as (
    select * from {{ landing_relation('finance', 'thu_ngan_sach') }}
),

newest_version as (
    select *
    from source
    qualify
        _version = max(_version) over (partition by _period)
        and _source_file = max(_source_file) over (partition by _period, _version)
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
    from newest_version
)

select * from renamed
