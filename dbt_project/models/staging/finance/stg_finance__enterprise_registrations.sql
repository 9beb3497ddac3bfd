-- One batch per reporting period; a corrected re-send (a higher _version) replaces its period's file as
-- a whole (SOURCES.md §3), so only the newest version of each period is read.
with

source as (
    select * from {{ landing_relation('finance', 'dang_ky_doanh_nghiep') }}
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
        cast(ma_don_vi_hanh_chinh as varchar) as unit_code,
        cast(so_dn_thanh_lap_moi as bigint) as new_enterprises,
        cast(von_dang_ky as double) as registered_capital_bn,
        cast(so_du_an_moi as bigint) as new_investment_projects,
        cast(von_dau_tu_dang_ky as double) as registered_investment_bn,
        cast(_period as varchar) as report_period,
        cast(_version as integer) as file_version,
        cast(_source_file as varchar) as source_file
    from newest_version
)

select * from renamed
