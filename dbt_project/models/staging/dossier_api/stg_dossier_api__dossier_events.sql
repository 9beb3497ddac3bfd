-- An event can be corrected after it was first recorded: keep its latest recording per (dossier, step).
with

source as (
    select * from {{ landing_relation('dossier_api', 'dossier_events') }}
),

latest as (
    select *
    from source
    qualify row_number() over (
            partition by MaHoSo, STT
            order by ThoiDiemGhiNhan desc, _batch_id desc
        ) = 1
),

renamed as (
    select
        cast(MaHoSo as varchar) as dossier_id,
        cast(STT as integer) as seq,
        cast(TrangThai as integer) as status,
        cast(ThoiDiemXuLy as timestamp) as processed_at,
        cast(ThoiDiemGhiNhan as timestamp) as recorded_at,
        cast(PhongBanXuLy as varchar) as department,
        cast(NgayKetThucTheoQuyDinh as timestamp) as step_due_at,
        cast(_batch_id as varchar) as batch_id
    from latest
)

select * from renamed
