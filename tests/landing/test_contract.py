"""The per-record contract check (Arrow compute) means exactly what the suites check (the rules' SQL).

Extraction judges every page with ``landing/contract.py``; the landing suite judges the batch with the
SQL of the same rules. If the two disagreed, a batch whose records all passed could fail its contract
suite and be rejected whole. Edge cases are typed out per kind of rule.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa
import pytest

from parmetrics import catalogue
from parmetrics.catalogue.model import AtLeast, InSet, NotNull
from parmetrics.landing.contract import ContractChecker, arrow_keeps


def sql_keeps(rule, table: pa.Table) -> list[bool]:
    with duckdb.connect() as con:
        con.register("batch", table)
        return [v for (v,) in con.execute(f"select {rule.record_sql()} from batch").fetchall()]


def edge_values(rule, column_type: pa.DataType) -> list:
    if isinstance(rule, NotNull):
        sample = {pa.string(): "x", pa.int32(): 1, pa.int64(): 1, pa.timestamp("s"): datetime(2025, 1, 1)}
        return [None, sample.get(column_type)]
    if isinstance(rule, InSet):
        outside = 99 if pa.types.is_integer(column_type) else "khong_co"
        return [None, rule.values[0], rule.values[-1], outside]
    if isinstance(rule, AtLeast) and rule.item:
        return [None, [], [{rule.item: None}], [{rule.item: rule.minimum}], [{rule.item: rule.minimum - 1}]]
    return [None, rule.minimum, rule.minimum - 1, rule.minimum + 0.5]


CASES = [
    (d, rule)
    for d in catalogue.DATASETS
    for rule in d.contract_rules
    if isinstance(rule, NotNull | InSet | AtLeast)
    and not (isinstance(rule, NotNull) and not d.field_named(rule.column).nullable)
]


@pytest.mark.parametrize(("dataset", "rule"), CASES, ids=lambda x: getattr(x, "full_name", None) or x.rule_id)
def test_arrow_and_sql_agree_on_every_rule(dataset, rule):
    field = dataset.field_named(rule.column)
    table = pa.table({rule.column: pa.array(edge_values(rule, field.type), type=field.type)})
    arrow = arrow_keeps(rule, table).to_pylist()
    assert arrow == sql_keeps(rule, table)
    assert None not in arrow


def test_the_edge_cases_come_out_as_the_contract_says():
    dossiers = catalogue.dataset("dossier_api", "dossiers")
    fees = next(r for r in dossiers.contract_rules if r.rule_id == "DanhSachLePhi.Gia_at_least_0")
    table = pa.table(
        {
            "DanhSachLePhi": pa.array(
                [
                    None,
                    [],
                    [{"MaPhiLePhi": "a", "Gia": None}],
                    [{"MaPhiLePhi": "a", "Gia": 0.0}],
                    [{"MaPhiLePhi": "a", "Gia": 50000.0}, {"MaPhiLePhi": "b", "Gia": -1.0}],
                ],
                type=dossiers.field_named("DanhSachLePhi").type,
            )
        }
    )
    assert arrow_keeps(fees, table).to_pylist() == [True, True, True, True, False]
    channel = dossiers.domain_rule("KenhThucHien")
    table = pa.table({"KenhThucHien": pa.array([None, 1, 3, 0, 99], pa.int32())})
    # null counts as 1 (SOURCES.md §1): a null channel is legal; 0 and 99 are not codes.
    assert arrow_keeps(channel, table).to_pylist() == [True, True, True, False, False]


def test_a_check_rule_is_judged_in_sql():
    revenue = catalogue.dataset("finance", "thu_ngan_sach")
    rows = [
        {"ky_bao_cao": "2026-10", "ma_khu_vuc": "FDI", "_period": "202610", "_version": 0, "_source_file": "f"},
        {"ky_bao_cao": "2026-11", "ma_khu_vuc": "NQD", "_period": "202610", "_version": 0, "_source_file": "f"},
    ]
    with ContractChecker(revenue) as checker:
        [violation] = checker.violations(pa.Table.from_pylist(rows, schema=revenue.schema))
    assert violation.row == 1
    assert violation.reason() == "ky_bao_cao '2026-11' is not the period of the file name (202610)"
