-- Every landed version of every dossier, renamed to English (PRODUCT.md glossary) and typed, with its
-- lineage. The source re-sends a dossier on every change and overlapping windows land it more than once:
-- int_dossiers keeps the latest version. The nested lists are summarised here, row by row, into the
-- counts and first times every criterion reads (a province's history holds tens of millions of list
-- entries; keeping them past staging would cost more than the rest of the build). "Empty values"
-- (METRICS.md §2): a null, empty or blank file link is no link; a fee list is non-empty with one entry,
-- whatever the amounts.
with

source as (
    select * from {{ source('dossier_api', 'dossiers') }}
),

coded as (
    select
        *,
        -- One pass over the components codes each as bits (8 attached, 4 digitised, reused or from the
        -- data store, 2 from the data store, 1 reused); the counts below read the codes.
        -- noqa: disable=RF01
        list_transform(
            coalesce(TaiLieuNop, []),
            lambda c:
            8 * cast({{ is_file_link('c.DuongDanTaiTepTin') }} as integer)
            + 4 * cast(coalesce(c.DuocSoHoa = 1 or c.TaiSuDung = 1 or c.DuocLayTuKhoDMQG = 1, false) as integer)
            + 2 * cast(coalesce(c.DuocLayTuKhoDMQG = 1, false) as integer)
            + cast(coalesce(c.TaiSuDung = 1, false) as integer)
        ) as component_codes
        -- noqa: enable=RF01
    from source
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
        -- Lambda parameters (f, r, s, a, v) are not tables.
        -- noqa: disable=RF01
        cast(len(coalesce(DanhSachLePhi, [])) as integer) as fee_count,
        cast(coalesce(list_sum(list_transform(DanhSachLePhi, lambda f: coalesce(f.Gia, 0.0))), 0.0) as double)
            as fee_total,
        cast(len(coalesce(TaiLieuNop, [])) as integer) as components_total,
        cast(len(list_filter(component_codes, lambda v: v >= 8)) as integer) as components_attached,
        cast(len(list_filter(component_codes, lambda v: v % 8 >= 4)) as integer) as components_digitised,
        cast(len(list_filter(component_codes, lambda v: v % 2 = 1)) as integer) as components_reused,
        cast(len(list_filter(component_codes, lambda v: v % 4 >= 2)) as integer) as components_from_data_store,
        cast(len(list_filter(
            coalesce(DanhSachGiayToKetQua, []), lambda r: {{ is_file_link('r.DuongDanTepTinKetQua') }}
        )) as integer) as results_with_link,
        cast(len(coalesce(DanhSachHoSoBoSung, [])) as integer) as supplement_request_count,
        cast(DanhSachHoSoBoSung[1].NgayYeuCauBoSung as timestamp) as first_supplement_requested_at,
        cast(DanhSachHoSoBoSung[1].NgayTiepNhanBoSung as timestamp) as first_supplement_supplied_at,
        cast(len(list_filter(coalesce(DanhSachHoSoBoSung, []), lambda s: s.NgayYeuCauBoSung is null)) as integer)
            as supplement_requests_without_time,
        cast(len(coalesce(DanhSachPhieuXinLoi, [])) as integer) as apology_count,
        cast(list_min(list_transform(DanhSachPhieuXinLoi, lambda a: a.NgayXinLoi)) as timestamp) as first_apologised_at,
        -- noqa: enable=RF01
        cast(MucDoHaiLong as integer) as satisfaction,
        cast(TaiKhoanDuocXacThucVoiVNeID as integer) as vneid_authenticated,
        cast(NgayDongBoDVCQG as timestamp) as synced_to_national_portal_at,
        cast(NgayCapNhat as timestamp) as updated_at,
        cast(_batch_id as varchar) as batch_id,
        {{ landing_lineage() }}
    from coded
)

select * from renamed
