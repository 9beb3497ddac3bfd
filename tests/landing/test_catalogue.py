"""The dataset catalogue and what comes from it agree (issue 17: each dataset declared once).

A declaration's generated parts — the landing suite, dbt's ``sources:`` file (from which the landing
views are made), the Arrow schema, the asset — must match it; a stale committed file fails here with the command
that regenerates it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess

import pyarrow as pa
import yaml

from parmetrics import catalogue
from parmetrics.catalogue import generate
from parmetrics.catalogue.model import Field
from parmetrics.config import DBT_PROJECT_DIR, EXPECTATIONS_DIR, REPO_ROOT

LANDING = EXPECTATIONS_DIR / "landing"


def test_the_committed_generated_files_are_current():
    stale = [str(p.relative_to(REPO_ROOT)) for p in generate.stale_files()]
    assert stale == [], f"stale: {stale}; run: python -m parmetrics.catalogue --write"


def test_a_changed_declaration_makes_its_generated_file_stale(monkeypatch):
    nhiem_vu = catalogue.dataset("document_db", "nhiem_vu")
    extra = Field("muc_do_uu_tien", pa.string(), "Priority.")
    changed = dataclasses.replace(nhiem_vu, fields=(*nhiem_vu.fields[:-3], extra, *nhiem_vu.fields[-3:]))
    datasets = tuple(changed if d is nhiem_vu else d for d in catalogue.DATASETS)
    monkeypatch.setattr(generate, "DATASETS", datasets)
    assert generate.stale_files() == [generate.SOURCES_YAML]


def test_every_landing_suite_is_generated_or_declared_and_carries_its_kind():
    generated = {generate.suite_path(d).name for d in catalogue.DATASETS}
    declared = {generate.suite_path(d, s.name).name: s.kind for d in catalogue.DATASETS for s in d.suites}
    files = {p.name for p in LANDING.glob("*.json")}
    assert files == generated | set(declared)
    assert sorted(declared.items()) == [
        ("dossier_api.dossier_events.reconciliation.json", "contract"),
        ("dossier_api.dossiers.reconciliation.json", "contract"),
        ("finance.thu_ngan_sach.month_on_month.json", "anomaly"),
    ]
    for name in files:
        suite = json.loads((LANDING / name).read_text())
        for e in suite["expectations"]:
            # No share of a window decides anything: a result must not depend on how data was batched.
            assert "mostly" not in e["kwargs"], (name, e)
            assert e["meta"]["notes"], (name, e)
            assert (e["meta"]["kind"], e["severity"]) in {("contract", "critical"), ("anomaly", "warning")}, (name, e)
            if name in declared:
                assert e["meta"]["kind"] == declared[name], (name, e)


def test_the_nhiem_vu_suite_says_what_the_declaration_says():
    suite = json.loads((LANDING / "document_db.nhiem_vu.json").read_text())
    got = [
        (e["type"], e["kwargs"].get("column") or e["kwargs"].get("column_list"), e["severity"])
        for e in suite["expectations"]
    ]
    assert got == [
        ("expect_column_values_to_not_be_null", "id", "critical"),
        ("expect_column_values_to_not_be_null", "updated_at", "critical"),
        ("expect_column_values_to_not_be_null", "han_hoan_thanh", "critical"),
        ("expect_column_values_to_be_in_set", "trang_thai", "critical"),
        ("expect_column_values_to_be_unique", "id", "critical"),
        ("expect_column_values_to_be_null", "deadline_not_before_assignment", "warning"),
    ]
    assert suite["expectations"][3]["kwargs"]["value_set"] == ["dang_thuc_hien", "hoan_thanh", "qua_han"]


def test_the_dbt_sources_file_lists_every_landing_column_with_its_type():
    sources = yaml.safe_load(generate.SOURCES_YAML.read_text())["sources"]
    assert [s["name"] for s in sources] == ["dossier_api", "document_db", "finance", "reference", "landing"]
    # Every source table is a view of the build file's landing schema (macros/landing_views.sql).
    assert {s["schema"] for s in sources} == {"landing"}
    events = next(t for s in sources for t in s["tables"] if t["name"] == "dossier_events")
    assert events["identifier"] == "dossier_api__dossier_events"
    assert [(c["name"], c["data_type"]) for c in events["columns"]] == [
        ("MaHoSo", "varchar"),
        ("STT", "integer"),
        ("TrangThai", "integer"),
        ("ThoiDiemXuLy", "timestamp"),
        ("ThoiDiemGhiNhan", "timestamp"),
        ("PhongBanXuLy", "varchar"),
        ("NgayKetThucTheoQuyDinh", "timestamp"),
        ("_batch_id", "varchar"),
        # Added by the landing view to every row: where it was read from.
        ("filename", "varchar"),
        ("file_row_number", "bigint"),
    ]
    assert events["meta"] == {
        "landing_path": "landing/dossier_api/dossier_events",
        "batches": "batch=*/*.parquet",
        "format": "parquet",
        "key": ["MaHoSo", "STT"],
        "version_column": "ThoiDiemGhiNhan",
    }
    manifests = next(s for s in sources if s["name"] == "landing")["tables"]
    assert [(t["name"], t["identifier"], t["meta"]) for t in manifests] == [
        (
            "batch_manifests",
            "landing__batch_manifests",
            {"landing_path": "landing", "batches": "*/*/batch=*/_manifest.json", "format": "text"},
        )
    ]
    dossiers = next(t for s in sources for t in s["tables"] if t["name"] == "dossiers")
    fees = next(c for c in dossiers["columns"] if c["name"] == "DanhSachLePhi")
    assert fees["data_type"] == 'struct("MaPhiLePhi" varchar, "Gia" double)[]'
    assert dossiers["meta"]["personal_fields_removed"] == ["ChuHoSo", "SoDinhDanh", "SoDienThoai", "Email", "DiaChi"]


def test_the_arrow_schemas_and_assets_come_from_the_catalogue():
    from parmetrics.landing.schemas import DOSSIER_EVENTS, LANDING_SCHEMAS

    assert (
        pa.schema(
            [
                pa.field("MaHoSo", pa.string(), nullable=False),
                pa.field("STT", pa.int32(), nullable=False),
                pa.field("TrangThai", pa.int32()),
                pa.field("ThoiDiemXuLy", pa.timestamp("s")),
                pa.field("ThoiDiemGhiNhan", pa.timestamp("s"), nullable=False),
                pa.field("PhongBanXuLy", pa.string()),
                pa.field("NgayKetThucTheoQuyDinh", pa.timestamp("s")),
                pa.field("_batch_id", pa.string(), nullable=False),
            ]
        )
        == DOSSIER_EVENTS
    )
    assert len(LANDING_SCHEMAS) == 12
    from parmetrics.orchestration.assets import LANDING_ASSETS

    assert [(a.name, a.uri) for a in LANDING_ASSETS] == [
        ("landing.dossier_api", "parmetrics://landing/dossier_api"),
        ("landing.document_db", "parmetrics://landing/document_db"),
        ("landing.finance", "parmetrics://landing/finance"),
        ("landing.reference", "parmetrics://landing/reference"),
    ]


def test_the_landing_view_of_an_empty_dataset_has_the_generated_sources_columns(tmp_path):
    data = tmp_path / "data"
    (data / "warehouse").mkdir(parents=True)
    env = {
        **os.environ,
        "PARMETRICS_DATA_DIR": str(data),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    proc = subprocess.run(
        [
            str(REPO_ROOT / ".venv" / "bin" / "dbt"),
            "compile",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--inline",
            "{{ landing_select(graph.sources['source.parmetrics.finance.dang_ky_doanh_nghiep'], "
            "env_var('PARMETRICS_DATA_DIR')) }}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    compiled = proc.stdout[proc.stdout.index("Compiled inline node is:") :]
    casts = [line.strip().rstrip(",") for line in compiled.splitlines() if line.strip().startswith("cast(")]
    assert casts == [
        'cast(null as varchar) as "ky_bao_cao"',
        'cast(null as varchar) as "ma_don_vi_hanh_chinh"',
        'cast(null as bigint) as "so_dn_thanh_lap_moi"',
        'cast(null as double) as "von_dang_ky"',
        'cast(null as bigint) as "so_du_an_moi"',
        'cast(null as double) as "von_dau_tu_dang_ky"',
        'cast(null as varchar) as "_period"',
        'cast(null as integer) as "_version"',
        'cast(null as varchar) as "_source_file"',
        'cast(null as varchar) as "filename"',
        'cast(null as bigint) as "file_row_number"',
    ]
