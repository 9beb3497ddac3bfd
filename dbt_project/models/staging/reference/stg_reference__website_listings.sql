-- Every row of every landed monthly snapshot of the procedures listed on units' websites
-- (niem_yet_website), renamed and typed. int_website_listings keeps the newest snapshot.
with

source as (
    select * from {{ source('reference', 'niem_yet_website') }}
),

renamed as (
    select
        cast(ma_don_vi as varchar) as unit_code,
        cast(ma_tthc as varchar) as procedure_code,
        cast(ngay_kiem_tra as date) as checked_on,
        cast(strptime(_snapshot_month, '%Y%m') as date) as snapshot_month,
        cast(_source_file as varchar) as source_file
    from source
)

select * from renamed
