"""The typed fast path of the dossier extractor lands the rows the contract implies (the soak's
independent expected rows, themselves checked against hand-typed rows), as the per-record path does."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from parmetrics.lab.simulators.dossier_api import DATASETS, DossierStore, PageRequest, render_page
from parmetrics.lab.soak.expected_rows import expected_dossier_row, expected_event_row
from parmetrics.landing.schemas import DOSSIER_EVENTS, DOSSIERS
from parmetrics.privacy import applicant_key
from parmetrics.sources.dossier_records import TYPED_PAGES, applicant_keys, typed_page_table

KEY = b"typed-page-key"
CASES = [
    ("/api/v1/dossiers", "dossiers", DOSSIERS),
    ("/api/v1/dossier-events", "dossier_events", DOSSIER_EVENTS),
]


def _page(source_db, path: str) -> bytes:
    payloads, cursor, total = DossierStore(source_db).page(PageRequest(DATASETS[path], None, None, 300, None))
    return render_page(payloads, cursor, total)


def _expected_table(body: bytes, dataset: str, schema: pa.Schema) -> pa.Table:
    records = json.loads(body)["data"]
    if dataset == "dossiers":
        rows = [expected_dossier_row(r, KEY, "b1") for r in records]
    else:
        rows = [expected_event_row(r, "b1") for r in records]
    assert None not in rows
    return pa.Table.from_pylist(rows, schema=schema)


@pytest.mark.parametrize(("path", "dataset", "schema"), CASES)
def test_typed_table_equals_the_contracts_rows(source_db, path, dataset, schema):
    body = _page(source_db, path)
    page = TYPED_PAGES[dataset].decode(body)
    fast = typed_page_table(dataset, page.data, "b1", KEY)
    expected = _expected_table(body, dataset, schema)
    assert fast.num_rows == 300
    # Nested lists with timestamps, nulls and the pseudonymised key included.
    assert fast.equals(expected)
    if dataset == "dossiers":
        assert "SoDinhDanh" not in fast.column_names and fast["applicant_key"].null_count < fast.num_rows


def test_a_timestamp_that_is_not_a_real_instant_sends_the_page_the_slow_way(source_db):
    body = json.loads(_page(source_db, "/api/v1/dossiers"))
    # Fourteen digits (so the decoder's pattern accepts it) but 30 February.
    body["data"][5]["NgayHenTra"] = "20250230120000"
    page = TYPED_PAGES["dossiers"].decode(json.dumps(body).encode())
    assert typed_page_table("dossiers", page.data, "b1", KEY) is None


def test_a_record_breaking_a_rule_fails_typed_decoding(source_db):
    import msgspec

    body = json.loads(_page(source_db, "/api/v1/dossier-events"))
    body["data"][0]["TrangThai"] = 42
    with pytest.raises(msgspec.ValidationError):
        TYPED_PAGES["dossier_events"].decode(json.dumps(body).encode())


def test_batched_applicant_keys_are_the_hmac_of_the_trimmed_id():
    # Computed outside Python: printf %s 001234567890 | openssl dgst -sha256 -hmac typed-page-key
    first = "4c411521985eb2d360c43be279a7c17299fa2fbdcb7599ab7e6d25bd154ce360"
    number = "e7d5a2a906b9bbfd8a5f97a4c42a5d8a3c9660ce10e1433add2d8e2ded9b3fc3"
    wide = "573cbf2c12dae9be77f0056263cc1e0036e345260c373a38ffbac45a29d984a8"
    ids = ["001234567890", " 001234567890 ", "", "   ", None, 123456789012, "Ａ12"]
    expected = [first, first, None, None, None, number, wide]
    assert applicant_keys(ids, KEY) == expected
    assert [applicant_key(v, KEY) for v in ids] == expected
