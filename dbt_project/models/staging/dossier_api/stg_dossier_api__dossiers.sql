-- The source re-sends a dossier on every change, and overlapping extraction windows land it more than
-- once: keep the latest version (by update time, then the newest batch).
with

source as (
    select * from {{ landing_relation('dossier_api', 'dossiers') }}
),

latest as (
    select *
    from source
    qualify row_number() over (
            partition by MaHoSo
            order by NgayCapNhat desc, _batch_id desc
        ) = 1
),

renamed as (
    select
        cast(MaHoSo as varchar) as dossier_id,
        cast(MaDonVi as varchar) as unit_code,
        cast(MaTTHC as varchar) as procedure_code,
        -- A missing channel means the desk did not record one: the source's contract reads it as in person.
        cast(coalesce(KenhThucHien, 1) as integer) as channel,
        cast(LoaiDoiTuong as integer) as applicant_type,
        cast(applicant_key as varchar) as applicant_key,
        cast(NgayNopHoSo as timestamp) as submitted_at,
        cast(NgayTiepNhan as timestamp) as received_at,
        cast(NgayHenTra as timestamp) as due_at,
        cast(NgayKetThucXuLy as timestamp) as finished_at,
        cast(NgayTra as timestamp) as returned_at,
        cast(TrangThaiHoSo as integer) as status,
        cast(DuocThanhToanTrucTuyen as integer) as paid_online,
        list_transform(
            DanhSachLePhi,
            lambda f: { 'fee_code': f.MaPhiLePhi, 'amount': cast(f.Gia as double) }
        ) as fees,
        list_transform(
            TaiLieuNop,
            lambda c: {
                'component_code': c.MaThanhPhanHoSo,
                'file_link': c.DuongDanTaiTepTin,
                'digitised': c.DuocSoHoa,
                'reused': c.TaiSuDung,
                'from_data_store': c.DuocLayTuKhoDMQG
            }
        ) as components,
        list_transform(
            DanhSachGiayToKetQua,
            lambda r: { 'document_code': r.MaGiayTo, 'file_link': r.DuongDanTepTinKetQua }
        ) as results,
        list_transform(
            DanhSachHoSoBoSung,
            lambda s: {
                'requested_at': cast(s.NgayYeuCauBoSung as timestamp),
                'supplied_at': cast(s.NgayTiepNhanBoSung as timestamp)
            }
        ) as supplement_requests,
        list_transform(
            DanhSachPhieuXinLoi,
            lambda a: {
                'apologised_at': cast(a.NgayXinLoi as timestamp),
                'new_due_at': cast(a.NgayHenTraMoi as timestamp),
                'reason': a.LyDo
            }
        ) as apologies,
        cast(MucDoHaiLong as integer) as satisfaction,
        cast(TaiKhoanDuocXacThucVoiVNeID as integer) as vneid_authenticated,
        cast(NgayDongBoDVCQG as timestamp) as synced_to_national_portal_at,
        cast(NgayCapNhat as timestamp) as updated_at,
        cast(_batch_id as varchar) as batch_id
    from latest
)

select * from renamed
