"""Incremental builds give exactly what a full rebuild gives (dbt_project/README.md, "Incremental builds").

One warehouse is built incrementally while landing grows in steps; after each step its marts (and the
intermediate tables behind them) are compared, row for row both ways (EXCEPT ALL) and by count, with a
`dbt build --full-refresh` of the same landing in a fresh database. The steps cover what makes
incremental logic go wrong:

1. history: dossiers of 2023–2024 (early, late, long-pending, two supplement requests, an open single
   request, a status-9 dossier finished by its event, a withdrawn one), events, the catalogue and the
   units, documents, tasks, finance — the first build, which builds everything;
2. a new month and a rerun of the first window: the new batch finishes a long-pending dossier, moves
   one to another unit and brings new dossiers; the re-landed first batch has lost a dossier (and its
   events), changes a finish time, answers an open request and corrects an event;
3. a late update of a 2023 dossier, a soft-deleted document, new reference snapshots (a unit renamed,
   a procedure's time limit changed from a month on, which moves the due time of a dossier without
   NgayHenTra) and an event that revisits a recorded step;
4. only the clock: a document changes in the next month, so as_of moves into a new month without any
   dossier change (pending dossiers turn late, periods close and open), and an empty dossier window
   commits a batch without part files;
5. an interrupted build: a new batch is merged into staging by a partial run, then a whole build must
   notice and recompute everything;
6. an upgrade: a build file written before a contract column existed (dossier_code) gets it in place,
   filled on every row by the build that notices the new code.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dbt_support import Warehouse, dbt_invoke, ts, write_batch

from parmetrics.config import Paths
from parmetrics.transform.dbt_runner import DbtResult, build, run_dbt

MARTS = [
    "criteria_scores",
    "scorecard_766",
    "par_scorecard",
    "year_end_forecast",
    "dossier_facts",
    "dossier_violations",
    "overdue_dossiers",
    "due_soon_dossiers",
    "expired_procedures_listed",
]
INTERMEDIATE = [
    "intermediate.int_dossiers",
    "intermediate.int_dossier_event_summary",
    "intermediate.int_dossier_lifecycle",
    "intermediate.int_dossier_period_counts",
    "intermediate.int_unit_procedure_months",
    "intermediate.int_criteria_counts",
    "intermediate.int_working_days",
]


def dossier(
    dossier_id: str,
    unit: str,
    procedure: str,
    status: int,
    received: str | None,
    due: str | None,
    finished: str | None = None,
    *,
    updated: str,
    channel: int = 1,
    supplements: list[tuple[str | None, str | None]] | None = None,
    apologies: list[str] | None = None,
    rating: int | None = None,
    fees: list[float] | None = None,
    paid: int = 0,
    linked: bool = True,
) -> dict:
    return {
        "MaHoSo": dossier_id,
        "MaDonVi": unit,
        "MaTTHC": procedure,
        "KenhThucHien": channel,
        "LoaiDoiTuong": 1,
        "applicant_key": "k-" + dossier_id,
        "NgayNopHoSo": ts(received),
        "NgayTiepNhan": ts(received),
        "NgayHenTra": ts(due),
        "NgayKetThucXuLy": ts(finished),
        "TrangThaiHoSo": status,
        "DuocThanhToanTrucTuyen": paid,
        "DanhSachLePhi": [{"MaPhiLePhi": "L", "Gia": g} for g in fees or []],
        "TaiLieuNop": [
            {
                "MaThanhPhanHoSo": "TP",
                "DuongDanTaiTepTin": "f" if linked else None,
                "DuocSoHoa": 1,
                "TaiSuDung": 0,
                "DuocLayTuKhoDMQG": 0,
            }
        ],
        "DanhSachGiayToKetQua": [{"MaGiayTo": "KQ", "DuongDanTepTinKetQua": "kq"}] if finished else [],
        "DanhSachHoSoBoSung": [
            {"NgayYeuCauBoSung": ts(req), "NgayTiepNhanBoSung": ts(sup)} for req, sup in supplements or []
        ],
        "DanhSachPhieuXinLoi": [{"NgayXinLoi": ts(a), "NgayHenTraMoi": None, "LyDo": "trễ"} for a in apologies or []],
        "MucDoHaiLong": rating,
        "TaiKhoanDuocXacThucVoiVNeID": 1,
        "NgayDongBoDVCQG": ts(received),
        "NgayCapNhat": ts(updated),
        "_batch_id": "x",
    }


def event(dossier_id: str, seq: int, status: int, processed: str, recorded: str) -> dict:
    return {
        "MaHoSo": dossier_id,
        "STT": seq,
        "TrangThai": status,
        "ThoiDiemXuLy": ts(processed),
        "ThoiDiemGhiNhan": ts(recorded),
        "PhongBanXuLy": "VP",
        "NgayKetThucTheoQuyDinh": None,
        "_batch_id": "x",
    }


def procedure(code: str, month: str, limit: int, **overrides) -> dict:
    row = {
        "ma_tthc": code,
        "ten_tthc": "Thủ tục " + code,
        "cap_thuc_hien": "tinh",
        "linh_vuc": "Tư pháp",
        "thoi_han_ngay_lam_viec": limit,
        "muc_do_dvc": "toan_trinh",
        "du_dieu_kien_toan_trinh": True,
        "co_phi_le_phi": True,
        "ket_qua_la_giay_to": True,
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


def units(month: str, s01_name: str = "Sở Tư pháp") -> list[dict]:
    rows = [
        ("T01", "Tỉnh Hòa Bình", "tinh", None, None),
        ("S01", s01_name, "so", "T01", None),
        ("H01", "Huyện Lạc Sơn", "huyen", "T01", None),
        ("X01", "Phường Mới", "xa", "T01", None),
        ("X02", "Xã Cũ", "xa", "H01", "X01"),
        ("X03", "Xã Cũ Hơn", "xa", "H01", "X01"),
    ]
    return [
        {
            "ma_don_vi": code,
            "ten_don_vi": name,
            "cap": cap,
            "ma_don_vi_cha": parent,
            "hieu_luc_tu": date(2008, 8, 1),
            "hieu_luc_den": date(2025, 6, 30) if cap == "huyen" or successor else None,
            "ma_don_vi_ke_thua": successor,
            "_snapshot_month": month,
            "_source_file": f"don_vi_{month}.csv",
        }
        for code, name, cap, parent, successor in rows
    ]


def document(doc_id: int, unit: str, issued: date, *, updated: str, deleted: str | None = None) -> dict:
    return {
        "id": doc_id,
        "ma_don_vi": unit,
        "so_ky_hieu": f"{doc_id}/VB",
        "loai_van_ban": "CV",
        "ngay_ban_hanh": issued,
        "do_mat": "thuong",
        "phat_hanh_dien_tu": True,
        "ky_so": doc_id % 2 == 0,
        "gui_qua_truc": True,
        "noi_nhan_ngoai": 2,
        "updated_at": ts(updated),
        "deleted_at": ts(deleted),
        "_batch_id": "x",
    }


def task(task_id: int, unit: str, due: date, done: date | None) -> dict:
    return {
        "id": task_id,
        "ma_don_vi": unit,
        "so_van_ban_giao": "1/UBND",
        "ngay_giao": date(2024, 1, 2),
        "han_hoan_thanh": due,
        "ngay_hoan_thanh": done,
        "trang_thai": "hoan_thanh" if done else "dang_xu_ly",
        "updated_at": ts("2024-06-01 00:00"),
        "deleted_at": None,
        "_batch_id": "x",
    }


# -- the history (step 1) and its rerun (step 2) ----------------------------------------------------


def first_window(rerun: bool) -> tuple[list[dict], list[dict]]:
    """Dossiers and events updated up to 2024-06-28 — as first landed, or as a rerun lands it later."""
    dossiers = [
        # Received before the catalogue's first snapshot month, due by its 5-day limit.
        dossier("D01", "S01", "P1", 10, "2024-03-04 08:00", None, "2024-03-07 10:00", updated="2024-03-07 10:00"),
        dossier("D02", "S01", "P1", 4, "2024-04-01 08:00", "2024-04-05 17:00", updated="2024-04-01 08:00"),
        dossier(
            "D03",
            "H01",
            "P2",
            10,
            "2023-11-20 08:00",
            "2023-11-24 17:00",
            "2023-11-23 10:00" if rerun else "2024-01-10 10:00",
            apologies=["2023-11-23 08:00"],
            updated="2024-01-10 10:00",
        ),
        dossier(
            "D04",
            "X02",
            "P1",
            4,
            "2024-05-02 08:00",
            "2024-05-09 17:00",
            supplements=[("2024-05-03 08:00", "2024-05-04 08:00"), ("2024-05-06 08:00", None)],
            updated="2024-05-06 08:00",
        ),
        dossier(
            "D05",
            "X03",
            "P3",
            10 if rerun else 5,
            "2024-05-06 08:00",
            "2024-05-15 17:00",
            "2024-05-22 10:00" if rerun else None,
            supplements=[("2024-05-10 08:00", "2024-05-20 08:00" if rerun else None)],
            updated="2024-05-22 10:00" if rerun else "2024-05-10 08:00",
        ),
        # Status 9 without NgayKetThucXuLy: finished by its earliest status-9 event.
        dossier("D06", "S01", "P1", 9, "2024-05-10 08:00", "2024-05-17 17:00", updated="2024-05-16 09:00"),
        dossier("D07", "S01", "P1", 7, "2024-05-13 08:00", "2024-05-20 17:00", updated="2024-05-14 08:00"),
        dossier(
            "D08",
            "X02",
            "P2",
            10,
            "2024-06-03 08:00",
            "2024-06-10 17:00",
            "2024-06-07 10:00",
            channel=2,
            fees=[50000],
            paid=1,
            rating=3,
            updated="2024-06-07 10:00",
        ),
        dossier(
            "D09",
            "S01",
            "P1",
            4,
            "2024-06-20 08:00",
            "2024-06-28 17:00",
            supplements=[("2024-06-21 08:00", "2024-06-24 08:00")],
            updated="2024-06-24 08:00",
        ),
        dossier("D10", "H01", "P1", 4, "2024-06-25 08:00", "2024-07-02 17:00", updated="2024-06-28 12:00"),
    ]
    events = [
        event("D01", 1, 2, "2024-03-04 08:00", "2024-03-04 08:01"),
        event("D01", 2, 10, "2024-03-07 10:00", "2024-03-07 10:01"),
        event("D03", 1, 9, "2024-01-10 10:00", "2024-01-10 10:05"),
        event("D06", 1, 2, "2024-05-10 08:00", "2024-05-10 08:01"),
        event("D06", 2, 9, "2024-05-16 09:00", "2024-05-16 09:00"),
        event("D08", 1, 10, "2024-06-07 10:00", "2024-06-09 10:00"),
    ]
    if rerun:
        # D01 is no longer in the window (nor anywhere): it disappears, with its events. D06's finishing
        # event was corrected: a later recording of STT 2 with another processing time.
        dossiers = [d for d in dossiers if d["MaHoSo"] != "D01"]
        events = [e for e in events if e["MaHoSo"] != "D01" and not (e["MaHoSo"] == "D06" and e["STT"] == 2)]
        events.append(event("D06", 2, 9, "2024-05-18 09:00", "2024-05-20 09:00"))
    return dossiers, events


def land_step_1(data_dir: Path) -> None:
    dossiers, events = first_window(rerun=False)
    write_batch(data_dir, "dossier_api", "dossiers", "w202406", dossiers)
    write_batch(data_dir, "dossier_api", "dossier_events", "w202406", events)
    write_batch(data_dir, "reference", "don_vi", "202401", units("202401"))
    write_batch(
        data_dir,
        "reference",
        "thu_tuc_hanh_chinh",
        "202401",
        [procedure("P1", "202401", 5), procedure("P2", "202401", 3), procedure("P3", "202401", 8)],
    )
    write_batch(
        data_dir,
        "document_db",
        "van_ban_di",
        "w202406",
        [
            document(1, "S01", date(2024, 3, 1), updated="2024-03-01 09:00"),
            document(2, "H01", date(2024, 5, 2), updated="2024-05-02 09:00"),
        ],
    )
    write_batch(
        data_dir,
        "document_db",
        "nhiem_vu",
        "w202406",
        [task(1, "S01", date(2024, 3, 31), date(2024, 3, 30)), task(2, "H01", date(2024, 6, 15), None)],
    )


def land_step_2(data_dir: Path) -> None:
    dossiers, events = first_window(rerun=True)
    write_batch(data_dir, "dossier_api", "dossiers", "w202406", dossiers)  # replaces the first window
    write_batch(data_dir, "dossier_api", "dossier_events", "w202406", events)
    write_batch(
        data_dir,
        "dossier_api",
        "dossiers",
        "w202407",
        [
            # The long-pending D02 finishes; D10 moves to S01 and is still pending.
            dossier(
                "D02",
                "S01",
                "P1",
                10,
                "2024-04-01 08:00",
                "2024-04-05 17:00",
                "2024-07-15 10:00",
                updated="2024-07-15 10:00",
            ),
            dossier("D10", "S01", "P1", 5, "2024-06-25 08:00", "2024-07-02 17:00", updated="2024-07-03 08:00"),
            dossier("D11", "X01", "P1", 10, "2024-07-08 08:00", None, "2024-07-12 10:00", updated="2024-07-12 10:00"),
            dossier("D12", "S01", "P2", 4, "2024-07-20 08:00", "2024-07-25 17:00", updated="2024-07-25 12:00"),
        ],
    )
    write_batch(
        data_dir,
        "dossier_api",
        "dossier_events",
        "w202407",
        [
            event("D02", 1, 10, "2024-07-15 10:00", "2024-07-15 10:01"),
            event("D11", 1, 10, "2024-07-12 10:00", "2024-07-12 10:01"),
            event("D12", 1, 2, "2024-07-20 08:00", "2024-07-20 08:01"),
        ],
    )


def land_step_3(data_dir: Path) -> None:
    write_batch(
        data_dir,
        "dossier_api",
        "dossiers",
        "w202408",
        [
            # A late update of a 2023 dossier (a rating given months later).
            dossier(
                "D03",
                "H01",
                "P2",
                10,
                "2023-11-20 08:00",
                "2023-11-24 17:00",
                "2023-11-23 10:00",
                apologies=["2023-11-23 08:00"],
                rating=3,
                updated="2024-08-05 10:00",
            ),
        ],
    )
    # D12's first step recorded again, with another status: revisits a kept STT.
    write_batch(
        data_dir,
        "dossier_api",
        "dossier_events",
        "w202408",
        [event("D12", 1, 4, "2024-07-20 08:00", "2024-08-01 08:00")],
    )
    # Document 2 is soft-deleted.
    write_batch(
        data_dir,
        "document_db",
        "van_ban_di",
        "w202408",
        [document(2, "H01", date(2024, 5, 2), updated="2024-08-02 09:00", deleted="2024-08-02 09:00")],
    )
    # New snapshots: S01 renamed; P1's limit is 10 working days from July (D11, received in July
    # without NgayHenTra, gets a later due time).
    write_batch(data_dir, "reference", "don_vi", "202408", units("202408", s01_name="Sở Tư pháp (mới)"))
    write_batch(
        data_dir,
        "reference",
        "thu_tuc_hanh_chinh",
        "202407",
        [procedure("P1", "202407", 10), procedure("P2", "202407", 3), procedure("P3", "202407", 8)],
    )


def land_step_4(data_dir: Path) -> None:
    # Nothing about dossiers: as_of moves to September through the document database alone. The
    # dossier window of the same night found nothing: its batch is a manifest without part files.
    write_batch(data_dir, "dossier_api", "dossiers", "w202409", [])
    write_batch(
        data_dir,
        "document_db",
        "van_ban_di",
        "w202409",
        [document(3, "S01", date(2024, 9, 2), updated="2024-09-02 09:00")],
    )


def land_step_5(data_dir: Path) -> None:
    write_batch(
        data_dir,
        "dossier_api",
        "dossiers",
        "w202410",
        [
            dossier(
                "D12",
                "S01",
                "P2",
                10,
                "2024-07-20 08:00",
                "2024-07-25 17:00",
                "2024-10-01 10:00",
                updated="2024-10-01 10:00",
            )
        ],
    )


# -- comparing ----------------------------------------------------------------------------------------


def differences(incremental: Path, full: Path, relation: str) -> dict[str, int]:
    con = duckdb.connect()
    try:
        con.execute(f"attach '{incremental}' as inc (read_only)")
        con.execute(f"attach '{full}' as ful (read_only)")
        columns = [
            r[0]
            for r in con.execute(
                "select column_name from duckdb_columns() where database_name = 'ful' and schema_name = ? "
                "and table_name = ? order by column_index",
                relation.split("."),
            ).fetchall()
        ]
        cols = ", ".join(f'"{c}"' for c in columns)
        a, b = f"inc.{relation}", f"ful.{relation}"
        return {
            "rows_incremental": con.execute(f"select count(*) from {a}").fetchone()[0],
            "rows_full": con.execute(f"select count(*) from {b}").fetchone()[0],
            "only_incremental": con.execute(
                f"select count(*) from (select {cols} from {a} except all select {cols} from {b})"
            ).fetchone()[0],
            "only_full": con.execute(
                f"select count(*) from (select {cols} from {b} except all select {cols} from {a})"
            ).fetchone()[0],
        }
    finally:
        con.close()


class Pipeline:
    """A data directory built incrementally, step after step."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.data.mkdir(parents=True)
        self.last: DbtResult | None = None

    @property
    def db(self) -> Path:
        return self.data / "warehouse" / "par_metrics_build.duckdb"

    def build(self) -> Warehouse:
        """``dbt build`` through the pipeline's runner, as the build DAG runs it."""
        self.last = build(Paths(self.data))
        return Warehouse(self.db)

    def full_rebuild(self, step: int) -> Path:
        """A full refresh of the same landing in a fresh database (its data tests skipped: the incremental
        build ran them)."""
        fresh = Paths(self.root / f"fresh{step}" / "data")
        shutil.copytree(self.data / "landing", fresh.landing)
        result = run_dbt(fresh, "build", "--full-refresh", "--exclude", "resource_type:test")
        assert result.full_refresh and not result.incremental_nodes
        return fresh.build_db

    def assert_equals_full_rebuild(self, step: int) -> None:
        full = self.full_rebuild(step)
        found = {}
        for relation in [f"marts.{m}" for m in MARTS] + INTERMEDIATE:
            diff = differences(self.db, full, relation)
            if diff["only_incremental"] or diff["only_full"] or diff["rows_incremental"] != diff["rows_full"]:
                found[relation] = diff
        assert not found, f"step {step}: incremental build differs from a full rebuild: {found}"

    def context(self) -> dict:
        return Warehouse(self.db).dicts("select * from intermediate.int_build_context")[0]

    def merged(self) -> dict[str, int]:
        """Rows each incremental model merged in the last build, as the runner reports them."""
        assert self.last is not None
        return {n.name: n.rows_affected for n in self.last.incremental_nodes}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    return Pipeline(tmp_path_factory.mktemp("incremental"))


def test_step_1_history_builds_everything(pipeline: Pipeline) -> None:
    land_step_1(pipeline.data)
    wh = pipeline.build()
    assert pipeline.context()["refresh_all"] is True
    # A first build creates every table: nothing ran incrementally.
    assert not pipeline.last.incremental_nodes
    nodes = {n.name: n for n in pipeline.last.nodes}
    assert (nodes["dossier_facts"].materialized, nodes["dossier_facts"].rows_affected) == ("incremental", 10)
    assert wh.scalar("select count(*) from marts.dossier_facts") == 10
    # The state of the next build: every batch processed, with this build's as_of.
    assert wh.rows("select distinct as_of from intermediate.int_processed_batches") == [(ts("2024-06-28 12:00"),)]
    # The lists at T = Fri 2024-06-28 12:00. Overdue: D02 (due Fri 04-05; working days to 06-28: April 14
    # without 04-18, 04-29, 04-30; May 23 with the make-up Saturday 05-04, without 05-01; June 20) and D04
    # (two requests, due Thu 05-09: May 16 + June 20). D05 is past due too, but waits for the applicant on
    # one request made in time: not overdue. Due soon: D09 (due today 17:00; its one request was answered,
    # so it is pending) and D10 (due Tue 07-02, the 2nd working day after Friday).
    assert dict(wh.rows("select dossier_code, working_days_overdue from marts.overdue_dossiers")) == {
        "D02": 57,
        "D04": 36,
    }
    assert dict(wh.rows("select dossier_code, working_days_left from marts.due_soon_dossiers")) == {"D09": 0, "D10": 2}


def test_step_2_new_month_and_rerun_window(pipeline: Pipeline) -> None:
    land_step_2(pipeline.data)
    wh = pipeline.build()
    context = pipeline.context()
    assert context["refresh_all"] is False
    changes = dict(wh.rows("select change, count(*) from intermediate.int_landing_batches group by 1"))
    assert changes == {"new": 2, "replaced": 2, "unchanged": 4}
    merged = pipeline.merged()
    # int_dossiers rewrote the dossiers of the two batches: the rerun window's nine (D01 no longer among them)
    # and the new month's D11 and D12 (D02 and D10 are in both).
    assert merged["int_dossiers"] == 11
    assert wh.scalar("select count(*) from marts.dossier_facts where dossier_key = md5('D01')") == 0
    pipeline.assert_equals_full_rebuild(2)


def test_step_3_late_update_soft_delete_and_new_reference_snapshots(pipeline: Pipeline) -> None:
    land_step_3(pipeline.data)
    wh = pipeline.build()
    assert pipeline.context()["refresh_all"] is False
    flags = wh.dicts("select * from intermediate.int_dossier_changes order by dossier_id")
    by_id = {f["dossier_id"]: f for f in flags}
    assert by_id["D03"]["in_dossier_batch"]
    assert by_id["D12"]["reread_events"]  # STT 1 recorded again
    assert by_id["D11"]["catalogue_affected"]  # received in July, after the new 202407 snapshot
    assert "D04" not in by_id
    merged = pipeline.merged()
    assert merged["int_dossiers"] == 1  # D03 only
    assert merged["int_dossier_lifecycle"] == 3  # D03, D11 and D12
    assert (
        wh.scalar("select unit_name from marts.dossier_violations where unit_code = 'S01' limit 1")
        == "Sở Tư pháp (mới)"
    )
    pipeline.assert_equals_full_rebuild(3)


def test_step_4_only_the_clock_moves(pipeline: Pipeline) -> None:
    before = Warehouse(pipeline.db).scalar("select as_of from intermediate.int_as_of")
    land_step_4(pipeline.data)
    wh = pipeline.build()
    assert pipeline.context()["refresh_all"] is False
    assert (before, wh.scalar("select as_of from intermediate.int_as_of")) == (
        ts("2024-08-05 10:00"),
        ts("2024-09-02 09:00"),
    )
    merged = pipeline.merged()
    assert merged["int_dossiers"] == 0  # no dossier changed ...
    assert 0 < merged["dossier_facts"] < 11  # ... but the pending ones are re-evaluated ...
    # ... and the violations only of those whose class moved (none: D04, D10 and D12 were late already).
    assert merged["dossier_violations"] == 0
    assert merged["int_working_days"] == 0  # the calendar is kept
    report = pipeline.last.format_nodes()
    assert "dossier_facts" in report and "incremental" in report
    pipeline.assert_equals_full_rebuild(4)


def test_step_5_an_interrupted_build_is_recomputed_whole(pipeline: Pipeline) -> None:
    land_step_5(pipeline.data)
    # A build that stops after merging the new batch into int_dossiers (as if killed there) ...
    dbt_invoke(
        pipeline.data,
        pipeline.root / "partial",
        "run",
        "--select",
        "int_landing_batches int_build_context int_dossier_changes int_dossiers",
    )
    # ... leaves the next build to recompute everything (still through the incremental tables).
    pipeline.build()
    assert pipeline.context()["refresh_all"] is True
    assert pipeline.merged()["dossier_facts"] == 11
    pipeline.assert_equals_full_rebuild(5)
    # And the build after that is incremental again.
    wh = pipeline.build()
    assert pipeline.context()["refresh_all"] is False
    assert pipeline.merged()["int_dossiers"] == 0
    assert wh.scalar("select count(*) from marts.dossier_facts") == 11


def test_step_6_a_build_file_of_the_previous_contract_upgrades_in_place(pipeline: Pipeline) -> None:
    # A build file written by the code before dossier_code: the two incremental marts that carry it lack
    # the column, and the state records another code version.
    con = duckdb.connect(str(pipeline.db))
    try:
        con.execute("alter table marts.dossier_facts drop column dossier_code")
        con.execute("alter table marts.dossier_violations drop column dossier_code")
        con.execute("update intermediate.int_processed_batches set code_version = 'before-dossier-code'")
    finally:
        con.close()
    wh = pipeline.build()
    assert pipeline.context()["refresh_all"] is True
    assert pipeline.merged()["dossier_facts"] == 11
    for mart in ("dossier_facts", "dossier_violations"):
        last = wh.scalar(
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ? "
            "order by ordinal_position desc limit 1",
            [mart],
        )
        assert last == "dossier_code"
        assert wh.scalar(f"select count(*) from marts.{mart} where dossier_code is null") == 0
    pipeline.assert_equals_full_rebuild(6)
