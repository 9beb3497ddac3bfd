"""Every criterion of METRICS.md §5–6, the scorecards, the actionable lists and the forecast, end to end
against numbers worked out by hand. One landing, one dbt build for the whole module.

as_of = 2025-02-10 12:00 (E3's update). So 2024 and every month of it are closed (T = the first instant
after the period; May 2024: T = 2024-06-01 00:00); 2025, Q1 2025 and February 2025 are running.

Catalogue (snapshots 202401 and 202406; a dossier reads the newest snapshot in or before its receiving
month, else the oldest; procedure criteria of P read the one as of P's calendar end):
  P1 limit 5 (202406: 10), toan_trinh, fee-bearing, result is a document, all parts
  P2 limit 0, khong, no fee, no document result, all parts
  P3 limit 10, mot_phan, no fee, result is a document only from 202406, parts missing
  P4 expired 2024-03-31; P5 decided 05-02, public 05-08, effective Mon 05-20; P6 decided 05-15,
  effective Fri 05-17, never made public, khong, parts missing. P9 is in no snapshot (unknown).

Dossiers of May 2024 (E early, O on time, L late, PO/PL pending on time/late, U unclassified):
  S01 A1 P1 recv Mon 05-06, no NgayHenTra -> due 5 wd later 05-13 23:59:59 (202401 limit; 202406's
      10 would give 05-20), finished 05-13 10:00 ...................... O (same day, not early)
          online, citizen, VNeID, fee 50 000 paid (1), 2 components linked (digitised; reused), e-result,
          rated 1, synced
      A2 P1 recv 05-07, due Tue 05-14 17:00, finished 05-14 16:00 ....... O, but its finishing event
          (processed 05-14 16:00) was recorded 05-16 10:00 -> backdated; returned 05-14 15:00 (before
          finish); 2 apologies; fee list [0] (non-empty, total 0); component without link; result link
          blank; rated 3; organisation; in person; not synced
      A3 P3 recv 05-08, due Mon 05-20 17:00, finished 05-20 17:30 ....... L wdl 0; first apology 05-20
          (deadline Fri 05-17) -> not in time; no components, no results; P3's result is not a document
          as of May (202401) -> out of 766.5.1; online citizen without VNeID; synced
      A4 P9 (unknown) recv 05-09, no NgayHenTra ......................... U; online organisation VNeID,
          fee 20 000 paid (2), one component from the data store, unfinished, synced
      A5 P2 recv 05-10, due Fri 05-17 17:00, one closed request Mon 05-13 08:00 - Thu 05-16 08:00 (3 d),
          finished Mon 05-20 10:00 -> effective finish 05-17 10:00 ....... O (same date as due)
          in person citizen VNeID, no fees, one digitised component, rated 2, synced
      A6 P1 recv 05-13, due Mon 05-20 17:00, two requests, unfinished ... PL wdl 9 (21-24, 27-31 May)
          online citizen VNeID, fee 30 000 unpaid, one digitised component, no apology, not synced
      A7 P1 recv 04-22, due Fri 05-03 17:00, a single request open since Thu 05-02 09:00, unfinished
          .................................................................. Apr PO, May E (judged at
          the request; 05-02 < 05-03); in person, citizen, one linked undigitised component
      A8 withdrawn (7), A9 refused (3): never counted
  S02 F1 P1 recv 05-02, due 05-09, finished 05-03 ..................... E; everything good
  H01 B1 P1 recv 05-06, due 05-10, finished 05-09 ..................... E; online citizen VNeID, paid
      B2 P2 recv 05-15, no NgayHenTra, P2's limit is 0 .................. U (row stays)
      B0 P1 recv 2023-12-04 (before the oldest snapshot -> reads 202401: limit 5 -> due 2023-12-11)
  T01 C1 P1 recv 05-20, due 05-27 17:00, finished 05-27 18:00 .......... L (province roll-up only)
2025 (S01): E1 recv 01-06 finished 01-09 (E), E2 recv 02-03 finished 02-06 (E), E3 recv 02-05 due
  02-12 unfinished (PO at as_of).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from dbt_support import Warehouse, build_warehouse, ts, write_batch

AS_OF = datetime(2025, 2, 10, 12, 0)
MAY = date(2024, 5, 1)
Y2024 = date(2024, 1, 1)


def comp(link: str | None = "f", digitised: int = 0, reused: int = 0, store: int = 0) -> dict:
    return {
        "MaThanhPhanHoSo": "TP",
        "DuongDanTaiTepTin": link,
        "DuocSoHoa": digitised,
        "TaiSuDung": reused,
        "DuocLayTuKhoDMQG": store,
    }


def dossier(
    dossier_id: str,
    unit: str,
    procedure: str,
    status: int,
    received: str | None,
    due: str | None,
    finished: str | None = None,
    *,
    channel: int | None = 1,
    applicant: int = 1,
    vneid: int = 0,
    fees: list[float] | None = None,
    paid: int = 0,
    components: list[dict] | None = None,
    results: list[str | None] | None = None,
    supplements: list[tuple[str | None, str | None]] | None = None,
    apologies: list[str] | None = None,
    returned: str | None = None,
    rating: int | None = None,
    synced: str | None = None,
    updated: str = "2024-12-01 00:00",
) -> dict:
    return {
        "MaHoSo": dossier_id,
        "MaDonVi": unit,
        "MaTTHC": procedure,
        "KenhThucHien": channel,
        "LoaiDoiTuong": applicant,
        "applicant_key": "k-" + dossier_id,
        "NgayNopHoSo": ts(received),
        "NgayTiepNhan": ts(received),
        "NgayHenTra": ts(due),
        "NgayKetThucXuLy": ts(finished),
        "NgayTra": ts(returned),
        "TrangThaiHoSo": status,
        "DuocThanhToanTrucTuyen": paid,
        "DanhSachLePhi": [{"MaPhiLePhi": "L", "Gia": g} for g in fees or []],
        "TaiLieuNop": components or [],
        "DanhSachGiayToKetQua": [{"MaGiayTo": "KQ", "DuongDanTepTinKetQua": r} for r in results or []],
        "DanhSachHoSoBoSung": [
            {"NgayYeuCauBoSung": ts(req), "NgayTiepNhanBoSung": ts(sup)} for req, sup in supplements or []
        ],
        "DanhSachPhieuXinLoi": [{"NgayXinLoi": ts(a), "NgayHenTraMoi": None, "LyDo": "trễ"} for a in apologies or []],
        "MucDoHaiLong": rating,
        "TaiKhoanDuocXacThucVoiVNeID": vneid,
        "NgayDongBoDVCQG": ts(synced),
        "NgayCapNhat": ts(updated),
        "_batch_id": "b1",
    }


DOSSIERS = [
    dossier(
        "A1",
        "S01",
        "P1",
        10,
        "2024-05-06 08:00",
        None,
        "2024-05-13 10:00",
        channel=2,
        vneid=1,
        fees=[50000],
        paid=1,
        components=[comp(digitised=1), comp(reused=1)],
        results=["kq"],
        rating=1,
        synced="2024-05-06 09:00",
    ),
    dossier(
        "A2",
        "S01",
        "P1",
        10,
        "2024-05-07 08:00",
        "2024-05-14 17:00",
        "2024-05-14 16:00",
        applicant=2,
        fees=[0],
        components=[comp(link=None)],
        results=["  "],
        apologies=["2024-05-10 09:00", "2024-05-12 09:00"],
        returned="2024-05-14 15:00",
        rating=3,
    ),
    dossier(
        "A3",
        "S01",
        "P3",
        9,
        "2024-05-08 08:00",
        "2024-05-20 17:00",
        "2024-05-20 17:30",
        channel=2,
        apologies=["2024-05-20 09:00"],
        synced="2024-06-20 00:00",
    ),
    dossier(
        "A4",
        "S01",
        "P9",
        4,
        "2024-05-09 08:00",
        None,
        channel=2,
        applicant=2,
        vneid=1,
        fees=[20000],
        paid=2,
        components=[comp(store=1)],
        synced="2024-05-09 09:00",
    ),
    dossier(
        "A5",
        "S01",
        "P2",
        10,
        "2024-05-10 08:00",
        "2024-05-17 17:00",
        "2024-05-20 10:00",
        vneid=1,
        components=[comp(digitised=1)],
        supplements=[("2024-05-13 08:00", "2024-05-16 08:00")],
        rating=2,
        synced="2024-05-10 09:00",
    ),
    dossier(
        "A6",
        "S01",
        "P1",
        5,
        "2024-05-13 08:00",
        "2024-05-20 17:00",
        channel=2,
        vneid=1,
        fees=[30000],
        components=[comp(digitised=1)],
        supplements=[("2024-05-14 08:00", "2024-05-15 08:00"), ("2024-05-16 08:00", None)],
    ),
    dossier(
        "A7",
        "S01",
        "P1",
        5,
        "2024-04-22 08:00",
        "2024-05-03 17:00",
        components=[comp()],
        supplements=[("2024-05-02 09:00", None)],
    ),
    dossier("A8", "S01", "P1", 7, "2024-05-15 08:00", "2024-05-22 17:00", channel=2),
    dossier("A9", "S01", "P1", 3, None, None),
    dossier(
        "F1",
        "S02",
        "P1",
        10,
        "2024-05-02 08:00",
        "2024-05-09 17:00",
        "2024-05-03 10:00",
        channel=2,
        vneid=1,
        fees=[10000],
        paid=1,
        components=[comp(digitised=1, reused=1, store=1)],
        results=["kq"],
        rating=1,
        synced="2024-05-02 09:00",
    ),
    dossier(
        "B1",
        "H01",
        "P1",
        10,
        "2024-05-06 08:00",
        "2024-05-10 17:00",
        "2024-05-09 10:00",
        channel=2,
        vneid=1,
        fees=[10000],
        paid=1,
        components=[comp(digitised=1)],
        results=["kq"],
        rating=1,
        synced="2024-05-06 09:00",
    ),
    dossier("B2", "H01", "P2", 4, "2024-05-15 08:00", None, components=[comp()]),
    dossier("B0", "H01", "P1", 10, "2023-12-04 08:00", None, "2023-12-08 10:00", components=[comp()]),
    dossier(
        "C1",
        "T01",
        "P1",
        10,
        "2024-05-20 08:00",
        "2024-05-27 17:00",
        "2024-05-27 18:00",
        applicant=2,
        fees=[5000],
        components=[comp(digitised=1)],
        results=["kq"],
        rating=1,
        synced="2024-05-20 09:00",
    ),
    dossier("E1", "S01", "P1", 10, "2025-01-06 08:00", "2025-01-10 17:00", "2025-01-09 10:00"),
    dossier("E2", "S01", "P1", 10, "2025-02-03 08:00", "2025-02-07 17:00", "2025-02-06 10:00"),
    dossier("E3", "S01", "P1", 4, "2025-02-05 08:00", "2025-02-12 17:00", updated="2025-02-10 12:00"),
]


def event(dossier_id: str, seq: int, status: int, processed: str, recorded: str) -> dict:
    return {
        "MaHoSo": dossier_id,
        "STT": seq,
        "TrangThai": status,
        "ThoiDiemXuLy": ts(processed),
        "ThoiDiemGhiNhan": ts(recorded),
        "PhongBanXuLy": "VP",
        "NgayKetThucTheoQuyDinh": None,
        "_batch_id": "e1",
    }


EVENTS = [
    event("A1", 1, 10, "2024-05-13 10:00", "2024-05-13 10:05"),
    event("A2", 1, 10, "2024-05-14 16:00", "2024-05-16 10:00"),  # backdated past due 05-14 17:00
    event("A3", 1, 9, "2024-05-20 17:30", "2024-05-20 17:31"),
]


def procedure(code: str, month: str, **overrides) -> dict:
    row = {
        "ma_tthc": code,
        "ten_tthc": "Thủ tục " + code,
        "cap_thuc_hien": "tinh",
        "linh_vuc": "Tư pháp",
        "thoi_han_ngay_lam_viec": 5,
        "muc_do_dvc": "toan_trinh",
        "du_dieu_kien_toan_trinh": True,
        "co_phi_le_phi": False,
        "ket_qua_la_giay_to": False,
        "ngay_qd_cong_bo": date(2019, 1, 2),
        "ngay_hieu_luc": date(2020, 1, 1),
        "ngay_het_hieu_luc": None,
        "ngay_cong_khai_csdl": date(2019, 1, 3),
        "day_du_bo_phan": True,
        "_snapshot_month": month,
        "_source_file": f"thu_tuc_hanh_chinh_{month}.csv",
    }
    row.update(overrides)
    return row


def catalogue(month: str) -> list[dict]:
    later = month >= "202406"
    return [
        procedure("P1", month, thoi_han_ngay_lam_viec=10 if later else 5, co_phi_le_phi=True, ket_qua_la_giay_to=True),
        procedure("P2", month, thoi_han_ngay_lam_viec=0, muc_do_dvc="khong"),
        procedure(
            "P3",
            month,
            thoi_han_ngay_lam_viec=10,
            muc_do_dvc="mot_phan",
            ket_qua_la_giay_to=later,
            day_du_bo_phan=False,
        ),
        procedure("P4", month, ngay_het_hieu_luc=date(2024, 3, 31)),
        procedure(
            "P5",
            month,
            ngay_qd_cong_bo=date(2024, 5, 2),
            ngay_cong_khai_csdl=date(2024, 5, 8),
            ngay_hieu_luc=date(2024, 5, 20),
        ),
        procedure(
            "P6",
            month,
            ngay_qd_cong_bo=date(2024, 5, 15),
            ngay_cong_khai_csdl=None,
            ngay_hieu_luc=date(2024, 5, 17),
            muc_do_dvc="khong",
            day_du_bo_phan=False,
        ),
    ]


UNITS = [
    ("T01", "Tỉnh Hòa Bình", "tinh", None, None),
    ("S01", "Sở Tư pháp", "so", "T01", None),
    ("S02", "Sở Y tế", "so", "T01", None),
    ("H01", "Huyện Lạc Sơn", "huyen", "T01", None),
    ("X01", "Xã Mới", "xa", "T01", None),
    ("X02", "Xã Cũ", "xa", "H01", "X01"),
    ("X03", "Xã Cũ Hơn", "xa", "H01", "X02"),
]


def units() -> list[dict]:
    return [
        {
            "ma_don_vi": code,
            "ten_don_vi": name,
            "cap": cap,
            "ma_don_vi_cha": parent,
            "hieu_luc_tu": date(2008, 8, 1),
            "hieu_luc_den": date(2025, 6, 30) if cap == "huyen" or successor else None,
            "ma_don_vi_ke_thua": successor,
            "_snapshot_month": "202407",
            "_source_file": "don_vi_202407.csv",
        }
        for code, name, cap, parent, successor in UNITS
    ]


def listing(unit: str, code: str, checked: date, month: str = "202412") -> dict:
    return {
        "ma_don_vi": unit,
        "ma_tthc": code,
        "ngay_kiem_tra": checked,
        "_snapshot_month": month,
        "_source_file": f"niem_yet_website_{month}.csv",
    }


def doc(
    doc_id: int,
    unit: str,
    issued: date,
    secrecy: str,
    electronic: bool,
    signed: bool,
    axis: bool,
    external: int | None,
    *,
    updated: str = "2024-12-01 00:00",
    deleted: str | None = None,
) -> dict:
    return {
        "id": doc_id,
        "ma_don_vi": unit,
        "so_ky_hieu": f"{doc_id}/VB",
        "loai_van_ban": "CV",
        "ngay_ban_hanh": issued,
        "do_mat": secrecy,
        "phat_hanh_dien_tu": electronic,
        "ky_so": signed,
        "gui_qua_truc": axis,
        "noi_nhan_ngoai": external,
        "updated_at": ts(updated),
        "deleted_at": ts(deleted),
        "_batch_id": "d1",
    }


def work_file(file_id: int, unit: str, closed: date | None, online: bool) -> dict:
    return {
        "id": file_id,
        "ma_don_vi": unit,
        "ngay_mo": date(2023, 12, 1),
        "ngay_dong": closed,
        "xu_ly_tren_mang": online,
        "updated_at": ts("2024-12-01 00:00"),
        "deleted_at": None,
        "_batch_id": "d1",
    }


def task(task_id: int, unit: str, due: date, done: date | None, status: str) -> dict:
    return {
        "id": task_id,
        "ma_don_vi": unit,
        "so_van_ban_giao": "1/UBND",
        "ngay_giao": date(2024, 1, 2),
        "han_hoan_thanh": due,
        "ngay_hoan_thanh": done,
        "trang_thai": status,
        "updated_at": ts("2024-12-01 00:00"),
        "deleted_at": None,
        "_batch_id": "d1",
    }


def finance(period: str, version: int, **row) -> dict:
    return {
        "ky_bao_cao": f"{period[:4]}-{period[4:]}",
        **row,
        "_period": period,
        "_version": version,
        "_source_file": f"x_{period}_v{version}.csv",
    }


def _land(data_dir: Path) -> None:
    write_batch(data_dir, "dossier_api", "dossiers", "b1", DOSSIERS)
    write_batch(data_dir, "dossier_api", "dossier_events", "e1", EVENTS)
    write_batch(data_dir, "reference", "don_vi", "202407", units())
    for month in ("202401", "202406"):
        write_batch(data_dir, "reference", "thu_tuc_hanh_chinh", month, catalogue(month))
    # An older listing snapshot is ignored; in the newest, each unit's latest check counts.
    write_batch(data_dir, "reference", "niem_yet_website", "202406", [listing("S01", "P2", date(2024, 6, 1), "202406")])
    write_batch(
        data_dir,
        "reference",
        "niem_yet_website",
        "202412",
        [
            listing("S01", "P6", date(2024, 6, 1)),  # an earlier check of S01: not its latest
            listing("S01", "P1", date(2024, 11, 15)),
            listing("S01", "P3", date(2024, 11, 15)),
            listing("S01", "P4", date(2024, 11, 15)),  # expired 2024-03-31
            listing("H01", "P1", date(2024, 10, 1)),
            listing("H01", "P2", date(2024, 10, 1)),
        ],
    )
    write_batch(
        data_dir,
        "document_db",
        "van_ban_di",
        "d1",
        [
            doc(1, "S01", date(2024, 2, 1), "thuong", True, True, True, 2),
            doc(2, "S01", date(2024, 3, 1), "thuong", True, True, False, None, updated="2024-03-01 00:00"),
            doc(3, "S01", date(2024, 3, 5), "mat", True, True, True, 1),
            doc(4, "S01", date(2024, 4, 1), "thuong", True, True, False, 1),
            doc(5, "S01", date(2024, 5, 1), "thuong", True, True, True, 3, updated="2024-05-01 00:00"),
            doc(6, "S01", date(2024, 6, 1), "thuong", False, True, False, 1),
        ],
    )
    write_batch(
        data_dir,
        "document_db",
        "van_ban_di",
        "d2",
        [
            # Document 2 was corrected (no longer signed), document 5 was deleted.
            doc(2, "S01", date(2024, 3, 1), "thuong", True, False, False, None, updated="2024-06-01 00:00"),
            doc(
                5,
                "S01",
                date(2024, 5, 1),
                "thuong",
                True,
                True,
                True,
                3,
                updated="2024-06-01 00:00",
                deleted="2024-06-01 00:00",
            ),
        ],
    )
    write_batch(
        data_dir,
        "document_db",
        "ho_so_cong_viec",
        "d1",
        [
            work_file(1, "S01", date(2024, 3, 1), True),
            work_file(2, "S01", date(2024, 7, 1), False),
            work_file(3, "S01", None, True),
            work_file(4, "S01", date(2023, 12, 30), True),
            work_file(5, "H01", date(2024, 5, 5), True),
            work_file(6, "X01", date(2024, 8, 1), False),
            work_file(7, "X01", date(2024, 8, 2), True),
        ],
    )
    write_batch(
        data_dir,
        "document_db",
        "nhiem_vu",
        "d1",
        [
            task(1, "S01", date(2024, 3, 31), date(2024, 3, 30), "hoan_thanh"),
            task(2, "S01", date(2024, 6, 30), date(2024, 7, 2), "hoan_thanh"),
            task(3, "S01", date(2024, 9, 30), None, "hoan_thanh"),
            task(4, "S01", date(2024, 12, 31), date(2024, 12, 31), "qua_han"),
            task(5, "S01", date(2025, 3, 31), None, "dang_thuc_hien"),
        ],
    )
    revenue = [
        ("DNNN_TW", 90, 100),
        ("FDI", 150, 200),
        ("NQD", 250, 300),
        ("TNCN", 100, 150),
        ("TIEN_SD_DAT", 400, 500),
        ("XO_SO", 40, 50),
    ]
    write_batch(
        data_dir,
        "finance",
        "thu_ngan_sach",
        "202406",
        [
            finance("202406", 0, ma_khu_vuc=code, ten_khu_vuc=code, du_toan_nam=est, thuc_hien_luy_ke=act / 2)
            for code, est, act in revenue
        ],
    )
    write_batch(
        data_dir,
        "finance",
        "thu_ngan_sach",
        "202412",
        [
            finance("202412", 0, ma_khu_vuc=code, ten_khu_vuc=code, du_toan_nam=est, thuc_hien_luy_ke=act)
            for code, est, act in revenue
        ],
    )

    def project(period: str, version: int, unit: str, code: str, plan: float, disbursed: float) -> dict:
        return finance(
            period,
            version,
            ma_don_vi=unit,
            ma_du_an=code,
            ten_du_an=code,
            ke_hoach_von_nam=plan,
            giai_ngan_luy_ke=disbursed,
        )

    write_batch(
        data_dir,
        "finance",
        "giai_ngan_dau_tu_cong",
        "202412",
        [
            project("202412", 0, "S01", "DA1", 100, 90),
            project("202412", 0, "S01", "DA2", 100, 10),
            project("202412", 0, "H01", "DA3", 50, 50),
        ],
    )
    # The corrected re-send of December supersedes the first send (DA2: 70, not 10).
    write_batch(
        data_dir,
        "finance",
        "giai_ngan_dau_tu_cong",
        "202412_v1",
        [
            project("202412", 1, "S01", "DA1", 100, 90),
            project("202412", 1, "S01", "DA2", 100, 70),
            project("202412", 1, "H01", "DA3", 50, 50),
        ],
    )

    def firms(period: str, unit: str, count: int) -> dict:
        return finance(
            period,
            0,
            ma_don_vi_hanh_chinh=unit,
            so_dn_thanh_lap_moi=count,
            von_dang_ky=1.0,
            so_du_an_moi=0,
            von_dau_tu_dang_ky=0.0,
        )

    for period, rows in {
        "202301": [("X01", 4), ("H01", 3)],
        "202302": [("X01", 4), ("H01", 2)],
        "202303": [("X01", 10), ("H01", 9)],
        "202401": [("X01", 5), ("H01", 2)],
        "202402": [("X01", 7), ("H01", 1)],
    }.items():
        write_batch(data_dir, "finance", "dang_ky_doanh_nghiep", period, [firms(period, u, n) for u, n in rows])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build_warehouse(tmp_path_factory, "criteria", _land)


def score(wh: Warehouse, grain: str, start: date, unit: str, code: str) -> tuple:
    rows = wh.rows(
        "select numerator, denominator, rate, points, max_points from marts.criteria_scores "
        "where period_grain = ? and period_start = ? and unit_code = ? and criterion_code = ?",
        [grain, start, unit, code],
    )
    assert len(rows) == 1, (grain, start, unit, code, rows)
    return rows[0]


def approx(row: tuple) -> tuple:
    return tuple(None if v is None else pytest.approx(v, abs=1e-6) for v in row)


# (unit, criterion) -> (numerator, denominator, points) for May 2024 (month grain).
MAY_EXPECTED = {
    # received in May A1-A6 (A7 in April; A8, A9 never accepted); synced A1, A3 (weeks later still counts),
    # A4, A5; every unit has its own row (METRICS.md §3): 6 x 4/6
    ("S01", "766.1.4"): (4, 6, 4.0),
    ("S02", "766.1.4"): (1, 1, 6.0),
    # B1 synced, B2 not: 6 x 1/2
    ("H01", "766.1.4"): (1, 2, 3.0),
    # S01: A1 O, A2 O, A3 L, A4 U, A5 O, A6 PL, A7 E -> 4 of 6 classified; 20 x 4/6
    ("S01", "766.2.1"): (4, 6, 20 * 4 / 6),
    # online A1, A3, A4, A6 of 6 received; target 0.5 -> capped at 6
    ("S01", "766.3.3"): (4, 6, 6.0),
    # fee total > 0: A1, A4, A6 (A2's list totals 0); paid online A1 (1), A4 (2); 6 x 2/3
    ("S01", "766.4.3"): (2, 3, 4.0),
    # finished in May, not stopped, result is a document as of the dossier: A1, A2 (A3's P3 only from
    # 202406, A5's P2 never); e-result A1 only (A2's link is blank); 6 x 1/2
    ("S01", "766.5.1"): (1, 2, 3.0),
    # every component digitised/reused/from store: A1, A4, A5, A6 (A2 not, A3 has none); 4 x (4/6)/0.8
    ("S01", "766.5.2"): (4, 6, 4 * (4 / 6) / 0.8),
    # reused: A1; 2 x (1/6)/0.8
    ("S01", "766.5.4"): (1, 6, 2 * (1 / 6) / 0.8),
    # data store: A4; 4 x 1/6
    ("S01", "766.5.5"): (1, 6, 4 / 6),
    # online with VNeID: A1, A4, A6 of online A1, A3, A4, A6; 2 x 3/4
    ("S01", "766.5.7"): (3, 4, 1.5),
    # classified, not late/pending_late, not rated 3: A1, A5, A7 (A2 rated 3); 6 x 0.5/0.9
    ("S01", "766.6.3"): (3, 6, 6 * 0.5 / 0.9),
    # in force at 05-31 (202401) and received in the 12 months: P1, P2, P3 (P9 unknown); online P1, P3
    ("S01", "766.3.1"): (2, 3, 4 * (2 / 3) / 0.8),
    # online procedures with dossiers in May: P1, P3 (P2 is 'khong'); both used online
    ("S01", "766.3.2"): (2, 2, 2.0),
    # fee-bearing procedures with dossiers: P1; A1 carries a fee list; target 0.8 -> 2
    ("S01", "766.4.1"): (1, 1, 2.0),
    # P1 has an online payment (A1)
    ("S01", "766.4.2"): (1, 1, 2.0),
    # procedures with a citizen dossier: P1 (A1, A6), P3 (A3), P2 (A5); with VNeID: P1, P2
    ("S01", "766.5.6"): (2, 3, 2 * 2 / 3),
    # H01: B1 early, B2 unclassified (P2's limit 0)
    ("H01", "766.2.1"): (1, 1, 20.0),
    # Province: decided in May P5, P6; P5 decided 05-02 <= 05-13 (5 wd before Mon 05-20), P6 05-15 >
    # 05-10 (5 wd before Fri 05-17); 6 x 1/2
    ("T01", "766.1.1"): (1, 2, 3.0),
    # P5 public 05-08 <= 05-09 (decision 05-02 + 5 wd); P6 never made public; 4 x 1/2
    ("T01", "766.1.2"): (1, 2, 2.0),
    # in force at 05-31: P1, P2, P3, P5, P6 (P4 expired); with all parts P1, P2, P5; 2 x 3/5
    ("T01", "766.1.3"): (3, 5, 1.2),
    # received in May 10 (S01 6, S02 1, H01 2, T01 1); synced A1, A3 (weeks later still counts), A4, A5, F1,
    # B1, C1 = 7 = the units' 4 + 1 + 1 and C1, coded to the province itself; 6 x 0.7
    ("T01", "766.1.4"): (7, 10, 4.2),
    # classified S01 6 + S02 1 + H01 1 + T01 1 = 9; within 4 + 1 + 1 + 0 = 6; 20 x 6/9
    ("T01", "766.2.1"): (6, 9, 20 * 6 / 9),
    # all in-force procedures: P1, P2, P3, P5, P6; online P1, P3, P5; 4 x 0.6/0.8
    ("T01", "766.3.1"): (3, 5, 3.0),
    # distinct online procedures province-wide P1, P3, both used online
    ("T01", "766.3.2"): (2, 2, 2.0),
    # distinct citizen procedures P1, P2, P3; with VNeID P1, P2
    ("T01", "766.5.6"): (2, 3, 2 * 2 / 3),
}


@pytest.mark.parametrize(("unit", "code"), list(MAY_EXPECTED))
def test_may_2024_scores(warehouse: Warehouse, unit: str, code: str) -> None:
    numerator, denominator, points = MAY_EXPECTED[(unit, code)]
    got = score(warehouse, "month", MAY, unit, code)
    assert approx(got[:4]) == (numerator, denominator, numerator / denominator, points)


# (unit, criterion) -> (numerator, denominator, points) for the closed year 2024.
YEAR_EXPECTED = {
    # same classes as May (A7's request is still open at 2025-01-01): 4/6 < 0.9 -> 0
    ("S01", "PAR.3.ontime"): (4, 6, 0.0),
    # late/pending_late A3 (apology 05-20 after the 05-17 deadline), A6 (none)
    ("S01", "PAR.3.apology"): (0, 2, 0.0),
    # as 766.4.3 over the year (A7 has no fee): 2/3 >= target 0.5 -> 1
    ("S01", "PAR.3.online_payment"): (2, 3, 1.0),
    # received in 2024: A1-A7 = 7; online A1, A3, A4, A6 -> 4/7 >= 0.5
    ("S01", "PAR.3.online_dossiers"): (4, 7, 1.0),
    # digitised A1, A4, A5, A6 (A7's component is not); 1 x (4/7)/0.8
    ("S01", "PAR.3.digitisation"): (4, 7, (4 / 7) / 0.8),
    # every component linked: A1, A4, A5, A6, A7 (A2 has a null link, A3 none): 5/7 < 0.95 -> 0
    ("S01", "PAR.3.components_attached"): (5, 7, 0.0),
    # finished with a finishing event: A1, A2, A3 (A5 has none); backdated A2; 1/3 > 0.01 -> 0
    ("S01", "PAR.3.backdated"): (1, 3, 0.0),
    # latest check 11-15: P1, P3, P4; P4 expired 03-31 -> 1 expired -> zero_is_full gives 0
    ("S01", "PAR.3.expired_listed"): (1, 3, 0.0),
    ("H01", "PAR.3.expired_listed"): (0, 2, 0.5),
    # non-secret: 1, 2 (corrected: unsigned), 4, 6 (5 deleted, 3 secret); e-issued and signed 1, 4 -> 0.5
    ("S01", "PAR.7.e_documents"): (2, 4, 0.0),
    # e-issued with external recipients: 1, 4 (2 has null = 0); via the axis 1; 0.5 x 0.5/0.9
    ("S01", "PAR.7.national_axis"): (1, 2, 0.5 * 0.5 / 0.9),
    # closed in 2024: 1 (online), 2; department target 0.9
    ("S01", "PAR.7.work_files_online"): (1, 2, 0.5 / 0.9),
    # district target 0.8, 1/1 -> 1
    ("H01", "PAR.7.work_files_online"): (1, 1, 1.0),
    # commune target 0.6: 0.5/0.6
    ("X01", "PAR.7.work_files_online"): (1, 2, 0.5 / 0.6),
    # due in 2024: 1 (on time), 2 (late), 3 (not done; status ignored), 4 (on time; status ignored)
    ("S01", "PAR.1.tasks_on_time"): (2, 4, 0.0),
    # December v1: (90 + 70) / 200 = 0.8 -> 0.5 (v0 would give 0.5 -> 0)
    ("S01", "PAR.6.disbursement"): (160, 200, 0.5),
    ("H01", "PAR.6.disbursement"): (50, 50, 1.0),
    ("T01", "PAR.6.disbursement"): (210, 250, 0.5),
    # December: enterprises 100 + 200 + 300 of domestic 100 + 200 + 300 + 150 (no land-use, lottery)
    ("T01", "PAR.8.enterprise_revenue_share"): (600, 750, 0.0),
    # 750 / (90 + 150 + 250 + 100) = 1.27 >= 1 -> 0.5 (a ratio above 1)
    ("T01", "PAR.8.revenue_vs_estimate"): (750, 590, 0.5),
    # Jan-Feb 2024 against Jan-Feb 2023: X01 12/8, H01 3/5, province 15/13
    ("X01", "PAR.8.new_enterprises"): (12, 8, 0.5),
    ("H01", "PAR.8.new_enterprises"): (3, 5, 0.0),
    ("T01", "PAR.8.new_enterprises"): (15, 13, 0.5),
}


@pytest.mark.parametrize(("unit", "code"), list(YEAR_EXPECTED))
def test_year_2024_scores(warehouse: Warehouse, unit: str, code: str) -> None:
    numerator, denominator, points = YEAR_EXPECTED[(unit, code)]
    got = score(warehouse, "year", Y2024, unit, code)
    assert approx(got[:4]) == (numerator, denominator, numerator / denominator, points)


def test_zero_denominators(warehouse: Warehouse) -> None:
    # H01 had nothing late in 2024 (B1 early, B2 unclassified): apology gets full points, rate null.
    assert score(warehouse, "year", Y2024, "H01", "PAR.3.apology") == (0.0, 0.0, None, 1.0, 1.0)
    # H01 in June: only B2 (unclassified) -> 766.2.1 row exists with 0/0, not applicable.
    assert score(warehouse, "month", date(2024, 6, 1), "H01", "766.2.1") == (0.0, 0.0, None, None, 20.0)
    # 2023 enterprises have no 2022 to compare with.
    assert score(warehouse, "year", date(2023, 1, 1), "X01", "PAR.8.new_enterprises")[1:4] == (0.0, None, None)


def test_every_code_for_the_levels_it_applies_to(warehouse: Warehouse) -> None:
    codes = dict(
        warehouse.rows(
            "select unit_level, list(distinct criterion_code order by criterion_code) from marts.criteria_scores "
            "where period_start >= '2024-01-01' and period_start < '2025-01-01' group by unit_level"
        )
    )
    all_766 = [
        "766.1.1",
        "766.1.2",
        "766.1.3",
        "766.1.4",
        "766.2.1",
        "766.3.1",
        "766.3.2",
        "766.3.3",
        "766.4.1",
        "766.4.2",
        "766.4.3",
        "766.5.1",
        "766.5.2",
        "766.5.4",
        "766.5.5",
        "766.5.6",
        "766.5.7",
        "766.6.3",
    ]
    par = [
        "PAR.1.tasks_on_time",
        "PAR.3.apology",
        "PAR.3.backdated",
        "PAR.3.components_attached",
        "PAR.3.digitisation",
        "PAR.3.expired_listed",
        "PAR.3.online_dossiers",
        "PAR.3.online_payment",
        "PAR.3.ontime",
        "PAR.6.disbursement",
        "PAR.7.e_documents",
        "PAR.7.national_axis",
        "PAR.7.work_files_online",
    ]
    par8 = ["PAR.8.enterprise_revenue_share", "PAR.8.new_enterprises", "PAR.8.revenue_vs_estimate"]
    assert codes["province"] == sorted(all_766 + par + par8)
    # 766.1.1-766.1.3 are the province's only (METRICS.md §5); 766.1.4 counts dossiers, so every unit has it.
    assert codes["department"] == sorted([c for c in all_766 if c not in ("766.1.1", "766.1.2", "766.1.3")] + par)
    assert "PAR.8.new_enterprises" in codes["district"] and "766.1.4" in codes["district"]
    assert not {"766.1.1", "766.1.2", "766.1.3"} & set(codes["district"])
    assert not {"766.5.3", "766.6.1", "766.6.2"} & set(codes["province"])
    grains = warehouse.rows("select distinct period_grain from marts.criteria_scores where criterion_code like 'PAR.%'")
    assert grains == [("year",)]


def test_dossier_facts_and_catalogue_as_of(warehouse: Warehouse) -> None:
    facts = {
        r["dossier_id"]: r
        for r in warehouse.dicts(
            "select dossier_id, due_at, due_at_source, is_apology_in_time, is_backdated from "
            "intermediate.int_dossier_lifecycle"
        )
    }
    # 202401's limit 5 (not 202406's 10); B0 predates every snapshot and reads the oldest.
    assert facts["A1"]["due_at"] == datetime(2024, 5, 13, 23, 59, 59)
    assert facts["A1"]["due_at_source"] == "catalogue"
    assert facts["B0"]["due_at"] == datetime(2023, 12, 11, 23, 59, 59)
    assert facts["A4"]["due_at"] is None and facts["B2"]["due_at"] is None
    assert facts["A2"]["is_backdated"] and not facts["A1"]["is_backdated"]
    assert not facts["A3"]["is_apology_in_time"]
    published = warehouse.dicts(
        "select timeliness, working_days_late, paid_online, components_total, components_attached, digitised, "
        "apologies, supplement_requests from marts.dossier_facts where dossier_key = md5('A6')"
    )
    # At as_of A6 (two requests, due 2024-05-20) is pending late.
    assert published[0]["timeliness"] == "pending_late"
    assert published[0]["supplement_requests"] == 2 and published[0]["paid_online"] is False
    assert warehouse.scalar("select count(*) from marts.dossier_facts") == len(DOSSIERS)
    assert warehouse.scalar("select count(*) from marts.dossier_facts where timeliness is null") == 2  # A8, A9


def test_overdue_and_violations(warehouse: Warehouse) -> None:
    overdue = warehouse.rows(
        "select dossier_key, dossier_code, has_apology, timeliness, working_days_overdue from marts.overdue_dossiers"
    )
    # Unfinished past due at as_of: A6 (two requests: pending late; 2024-05-21 .. 2025-02-10). A7 is past
    # due too, but waits for the applicant on its one request, made in time: its clock is stopped, not
    # overdue. A4, B2 have no due date; E3 is due 2025-02-12. Working days from Tue 2024-05-21 to Mon
    # 2025-02-10: May 9, Jun 20, Jul 23, Aug 22, Sep 19 (09-02, 09-03 off), Oct 23, Nov 21, Dec 22, Jan 17
    # (01-01 and Tết 01-27..01-31 off), Feb 6 (02-03..02-07, 02-10) = 182.
    assert overdue == [(_md5("A6"), "A6", False, "pending_late", 182)]
    violations = warehouse.rows("select dossier_key, violation_code from marts.dossier_violations")
    by_dossier: dict[str, set[str]] = {}
    for key, code in violations:
        by_dossier.setdefault(key, set()).add(code)
    assert by_dossier[_md5("A2")] == {
        "due_date_reset_more_than_once",
        "returned_before_finished",
        "no_electronic_result",
        "components_not_attached",
        "backdated_completion",
    }
    assert by_dossier[_md5("A3")] == {"late_without_timely_apology", "components_not_attached"}
    assert by_dossier[_md5("A6")] == {"late_without_timely_apology", "multiple_supplement_requests"}
    assert _md5("A1") not in by_dossier
    # Every row carries the dossier number beside its key.
    codes = warehouse.rows("select distinct dossier_key, dossier_code from marts.dossier_violations")
    assert all(key == _md5(code) for key, code in codes) and {c for _, c in codes} >= {"A2", "A3", "A6"}
    listed = warehouse.rows("select unit_code, procedure_code, unit_name from marts.expired_procedures_listed")
    assert listed == [("S01", "P4", "Sở Tư pháp")]


def _md5(text: str) -> str:
    import hashlib

    return hashlib.md5(text.encode()).hexdigest()  # a stable key, not a secret


def test_scorecard_766(warehouse: Warehouse) -> None:
    rows = warehouse.dicts(
        "select * from marts.scorecard_766 where period_grain = 'month' and period_start = '2024-05-01' "
        "and unit_level = 'department' order by unit_code"
    )
    s01 = rows[0]
    assert s01["unit_code"] == "S01"
    # progress 20 x 4/6; online service 3.3333 + 2 + 6; payment 2 + 2 + 4;
    # digitisation 3 + 3.3333 + 0.4167 + 0.6667 + 1.3333 + 1.5 = 10.25; satisfaction 3.3333
    # transparency: 766.1.4 only (6 x 4/6); 766.1.1-766.1.3 are the province's
    assert s01["transparency_points"] == pytest.approx(4.0)
    assert s01["progress_points"] == pytest.approx(40 / 3)
    assert s01["online_service_points"] == pytest.approx(34 / 3)
    assert s01["online_payment_points"] == pytest.approx(8.0)
    assert s01["digitisation_points"] == pytest.approx(10.25)
    assert s01["satisfaction_points"] == pytest.approx(10 / 3)
    assert s01["total_points"] == pytest.approx(50.25)
    # covered: 6 (1.4) + 20 + 12 + 10 + 20 (digitisation without 766.5.3) + 6 (6.3 only)
    assert s01["covered_max_points"] == 74.0
    # S02 (F1 is perfect) ranks above S01.
    assert [(r["unit_code"], r["rank_in_level"]) for r in rows] == [("S01", 2), ("S02", 1)]


def test_par_scorecard(warehouse: Warehouse) -> None:
    row = warehouse.dicts("select * from marts.par_scorecard where year = 2024 and unit_code = 'S01'")[0]
    # S01 2024 points: digitisation 0.714286 + online payment 1 + online dossiers 1 + axis 0.277778 +
    # work files 0.555556 + disbursement 0.5 (every other criterion 0)
    expected = (4 / 7) / 0.8 + 1 + 1 + 0.5 * 0.5 / 0.9 + 0.5 / 0.9 + 0.5
    assert row["points"] == pytest.approx(expected)
    # max: ontime 2, apology 1, payment 1, dossiers 1, digitisation 1, attached 1, backdated 1, listed 0.5,
    # e-documents 1, axis 0.5, work files 1, tasks 1.5, disbursement 1
    assert row["covered_max_points"] == pytest.approx(13.5)
    assert row["score_pct"] == pytest.approx(expected / 13.5)
    assert row["par_3_online_payment_points"] == 1.0


def test_year_end_forecast(warehouse: Warehouse) -> None:
    row = warehouse.dicts(
        "select * from marts.year_end_forecast where unit_code = 'S01' and criterion_code = '766.2.1'"
    )[0]
    # 2025 to date: A6 PL, A7 E, E1 E, E2 E, E3 PO -> 4/5. Last year's S01 monthly denominators after
    # February: Apr 1 (A7), May 6, Jun-Dec 2 each (A6, A7) = 21; same period (Jan-Feb 2024) 0 -> growth 1.
    # Trailing 3 months Nov 1/2, Dec 1/2, Jan 2/3 (A7, E1 of A6, A7, E1) -> 4/7.
    # projected: 5 + 21 = 26; 4 + 21 x 4/7 = 16; points 20 x 16/26.
    assert (row["year"], row["ytd_numerator"], row["ytd_denominator"]) == (2025, 4.0, 5.0)
    assert row["projected_denominator"] == pytest.approx(26.0)
    assert row["projected_numerator"] == pytest.approx(16.0)
    assert row["projected_points"] == pytest.approx(20 * 16 / 26)
    assert "growth=1" in row["method"]


def test_unit_history(warehouse: Warehouse) -> None:
    rows = dict(warehouse.rows("select unit_code, final_successor_unit_code from intermediate.int_unit_history"))
    assert rows["X03"] == "X01" and rows["X02"] == "X01" and rows["H01"] is None
