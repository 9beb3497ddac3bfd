-- Every landed recording of every dossier status event, renamed to English and typed, with its lineage.
-- An event can be corrected after it was first recorded: int_dossier_events keeps the latest recording
-- per (dossier, step), and int_dossier_event_summary summarises them per dossier for the build.
with

source as (
    select * from {{ source('dossier_api', 'dossier_events') }}
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
        cast(_batch_id as varchar) as batch_id,
        {{ landing_lineage() }}
    from source
)

select * from renamed
