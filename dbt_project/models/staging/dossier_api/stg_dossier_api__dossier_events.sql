-- An event can be corrected after it was first recorded: keep its latest recording per (dossier, step)
-- (by ThoiDiemGhiNhan, then the newest batch; the landing position breaks the remaining ties). A view
-- over landing, for drilling down to a dossier's history: the build reads events through
-- int_dossier_event_summary, which keeps the same recordings.
with

source as (
    select
        *,
        {{ landing_lineage() }}
    from {{ landing_relation('dossier_api', 'dossier_events', lineage=true) }}
),

latest as (
    select *
    from source
    qualify row_number() over (
            partition by MaHoSo, STT
            order by {{ latest_version_order('ThoiDiemGhiNhan', '_batch_id') }}
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
