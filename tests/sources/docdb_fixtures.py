"""A small document database (SOURCES.md §2) in SQLite or PostgreSQL, written through SQLAlchemy."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa

DDL = {
    "van_ban_di": "id BIGINT PRIMARY KEY, ma_don_vi TEXT, so_ky_hieu TEXT, loai_van_ban TEXT, ngay_ban_hanh DATE, "
    "do_mat TEXT, phat_hanh_dien_tu BOOLEAN, ky_so BOOLEAN, gui_qua_truc BOOLEAN, noi_nhan_ngoai INTEGER",
    "van_ban_den": "id BIGINT PRIMARY KEY, ma_don_vi TEXT, ngay_den DATE, nhan_qua TEXT, han_xu_ly DATE, "
    "ngay_xu_ly_xong DATE, trang_thai TEXT",
    "ho_so_cong_viec": "id BIGINT PRIMARY KEY, ma_don_vi TEXT, ngay_mo DATE, ngay_dong DATE, xu_ly_tren_mang BOOLEAN",
    "nhiem_vu": "id BIGINT PRIMARY KEY, ma_don_vi TEXT, so_van_ban_giao TEXT, ngay_giao DATE, han_hoan_thanh DATE, "
    "ngay_hoan_thanh DATE, trang_thai TEXT",
}
START = datetime(2026, 1, 1, 8, 0)


def _row(table: str, i: int, rng: random.Random) -> dict:
    day = date(2026, 1, 1) + timedelta(days=i % 300)
    unit = f"H30.{1 + i % 20:02d}"
    if table == "van_ban_di":
        return {
            "ma_don_vi": unit,
            "so_ky_hieu": f"{i}/QĐ-UBND",
            "loai_van_ban": rng.choice(["QD", "CV", "TB"]),
            "ngay_ban_hanh": day,
            "do_mat": rng.choice(["thuong", "thuong", "mat"]),
            "phat_hanh_dien_tu": rng.random() < 0.9,
            "ky_so": rng.random() < 0.8,
            "gui_qua_truc": rng.random() < 0.7,
            "noi_nhan_ngoai": rng.randint(0, 5),
        }
    if table == "van_ban_den":
        done = rng.random() < 0.8
        return {
            "ma_don_vi": unit,
            "ngay_den": day,
            "nhan_qua": rng.choice(["truc_lien_thong", "thu_dien_tu", "giay"]),
            "han_xu_ly": day + timedelta(days=10) if rng.random() < 0.7 else None,
            "ngay_xu_ly_xong": day + timedelta(days=rng.randint(1, 15)) if done else None,
            "trang_thai": "da_xu_ly" if done else "dang_xu_ly",
        }
    if table == "ho_so_cong_viec":
        return {
            "ma_don_vi": unit,
            "ngay_mo": day,
            "ngay_dong": day + timedelta(days=30) if rng.random() < 0.6 else None,
            "xu_ly_tren_mang": rng.random() < 0.5,
        }
    done = rng.random() < 0.6
    return {
        "ma_don_vi": unit,
        "so_van_ban_giao": f"{i}/UBND-KGVX",
        "ngay_giao": day,
        "han_hoan_thanh": day + timedelta(days=20),
        "ngay_hoan_thanh": day + timedelta(days=rng.randint(5, 30)) if done else None,
        "trang_thai": "hoan_thanh" if done else "dang_thuc_hien",
    }


def write_document_db(engine: sa.Engine, rows_per_table: int = 1500, seed: int = 1) -> dict[str, list[dict]]:
    """Creates and fills the four tables; every tenth row is later updated, every 50th soft-deleted.

    Returns the rows as stored (the ground truth), by table.
    """
    rng = random.Random(seed)
    truth: dict[str, list[dict]] = {}
    with engine.begin() as conn:
        for table, columns in DDL.items():
            ts = "TIMESTAMP" if engine.dialect.name != "sqlite" else "TEXT"
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
            conn.execute(sa.text(f"CREATE TABLE {table} ({columns}, updated_at {ts} NOT NULL, deleted_at {ts} NULL)"))
            rows = []
            for i in range(1, rows_per_table + 1):
                row = {"id": i, **_row(table, i, rng)}
                updated = START + timedelta(minutes=97 * i)
                deleted = None
                if i % 10 == 0:  # updated later: its newest version is what counts
                    updated += timedelta(days=40)
                if i % 50 == 0:  # soft-deleted: reappears with deleted_at set
                    deleted = updated + timedelta(days=1)
                    updated = deleted
                row["updated_at"] = updated
                row["deleted_at"] = deleted
                rows.append(row)
            stored = [
                {
                    **r,
                    "updated_at": _ts(engine, r["updated_at"]),
                    "deleted_at": _ts(engine, r["deleted_at"]),
                }
                for r in rows
            ]
            cols = list(stored[0])
            conn.execute(
                sa.text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"),
                stored,
            )
            truth[table] = rows
    return truth


def _ts(engine: sa.Engine, value: datetime | None):
    if value is None or engine.dialect.name != "sqlite":
        return value
    return value.isoformat(sep=" ")
