-- Units carry their own validity dates, so the newest snapshot is authoritative (SOURCES.md §4); older
-- snapshots stay in landing as history.
with

source as (
    select * from {{ landing_relation('reference', 'don_vi') }}
),

newest_snapshot as (
    select *
    from source
    where _snapshot_month = (select max(s._snapshot_month) from source as s)
    -- A snapshot month is one file; a duplicated code inside it keeps the latest file's row.
    qualify row_number() over (
            partition by ma_don_vi
            order by _source_file desc
        ) = 1
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
        cast(_snapshot_month as varchar) as snapshot_month,
        cast(_source_file as varchar) as source_file
    from newest_snapshot
)

select * from renamed
