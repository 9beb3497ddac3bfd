"""Independent oracles for turning dossier API records into landing rows: hand-typed records and the
rows they must become (tests/sources/dossier_oracle_records.py), checked against the contract document
first, then against ``dossier_row`` / ``event_row`` / ``pseudonymise_dossier`` and the typed fast path."""

from __future__ import annotations

import json

import pytest

from parmetrics.landing.schemas import DOSSIER_PERSONAL_FIELDS
from parmetrics.privacy import pseudonymise_dossier
from parmetrics.sources.dossier_records import TYPED_PAGES, dossier_row, event_row, typed_page_table
from tests.dossier_api_contract import personal_fields, schema_validator

from .dossier_oracle_records import DOSSIERS, EVENTS, ORACLE_KEY, PERSONAL_FIELDS


def test_the_hand_typed_records_honour_the_contract():
    for record, _ in DOSSIERS:
        assert not [e.message for e in schema_validator("Dossier").iter_errors(record)]
    for record, _ in EVENTS:
        assert not [e.message for e in schema_validator("DossierEvent").iter_errors(record)]


def test_the_personal_fields_are_the_five_the_contract_names():
    assert personal_fields() == list(PERSONAL_FIELDS)
    assert tuple(DOSSIER_PERSONAL_FIELDS) == PERSONAL_FIELDS


@pytest.mark.parametrize(("record", "expected"), DOSSIERS, ids=[r["MaHoSo"] for r, _ in DOSSIERS])
def test_pseudonymise_then_dossier_row_gives_the_typed_out_row(record, expected):
    clean = pseudonymise_dossier(record, ORACLE_KEY)
    assert not set(PERSONAL_FIELDS) & set(clean)
    assert clean["applicant_key"] == expected["applicant_key"]
    assert record["ChuHoSo"] not in json.dumps(clean, ensure_ascii=False)
    assert dossier_row(clean, "batch-7") == {**expected, "_batch_id": "batch-7"}


@pytest.mark.parametrize(("record", "expected"), EVENTS, ids=[f"STT{r['STT']}" for r, _ in EVENTS])
def test_event_row_gives_the_typed_out_row(record, expected):
    assert event_row(record, "batch-7") == {**expected, "_batch_id": "batch-7"}


def test_the_typed_fast_path_gives_the_same_typed_out_rows():
    for dataset, pairs in (("dossiers", DOSSIERS), ("dossier_events", EVENTS)):
        body = json.dumps({"data": [r for r, _ in pairs], "next_cursor": None, "total": len(pairs)})
        page = TYPED_PAGES[dataset].decode(body.encode())
        table = typed_page_table(dataset, page.data, "batch-7", ORACLE_KEY)
        assert table.to_pylist() == [{**expected, "_batch_id": "batch-7"} for _, expected in pairs]
