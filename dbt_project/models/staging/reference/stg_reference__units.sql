-- Every row of every landed monthly snapshot of the administrative units (don_vi), renamed and typed,
-- with the levels in English. int_units keeps the newest snapshot.
with

source as (
    select * from {{ source('reference', 'don_vi') }}
),

renamed as (
    select
        cast(ma_don_vi as varchar) as unit_code,
        cast(ten_don_vi as varchar) as unit_name,
        case cap
            when 'tinh' then 'province'
            when 'so' then 'department'
            when 'huyen' then 'district'
            when 'xa' then 'commune'
        end as unit_level,
        cast(ma_don_vi_cha as varchar) as parent_unit_code,
        cast(hieu_luc_tu as date) as valid_from,
        cast(hieu_luc_den as date) as valid_to,
        cast(ma_don_vi_ke_thua as varchar) as successor_unit_code,
        cast(strptime(_snapshot_month, '%Y%m') as date) as snapshot_month,
        cast(_source_file as varchar) as source_file
    from source
)

select * from renamed
