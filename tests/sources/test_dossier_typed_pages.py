"""The typed fast path of the dossier extractor lands exactly what the per-record path lands."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from parmetrics.lab.simulators.dossier_api import DATASETS, DossierStore, PageRequest, render_page
from parmetrics.landing.schemas import DOSSIER_EVENTS, DOSSIERS
from parmetrics.privacy import applicant_key, pseudonymise_dossier
from parmetrics.sources.dossier_records import TYPED_PAGES, applicant_keys, dossier_row, event_row, typed_page_table

KEY = b"typed-page-key"
CASES = [
    ("/api/v1/dossiers", "dossiers", DOSSIERS),
    ("/api/v1/dossier-events", "dossier_events", DOSSIER_EVENTS),
]


def _page(source_db, path: str) -> bytes:
    payloads, cursor, total = DossierStore(source_db).page(PageRequest(DATASETS[path], None, None, 300, None))
    return render_page(payloads, cursor, total)


def _slow_table(body: bytes, dataset: str, schema: pa.Schema) -> pa.Table:
    records = json.loads(body)["data"]
    if dataset == "dossiers":
        rows = [dossier_row(pseudonymise_dossier(r, KEY), "b1") for r in records]
    else:
        rows = [event_row(r, "b1") for r in records]
    return pa.Table.from_pylist(rows, schema=schema)


@pytest.mark.parametrize(("path", "dataset", "schema"), CASES)
def test_typed_table_equals_the_per_record_rows(source_db, path, dataset, schema):
    body = _page(source_db, path)
    page = TYPED_PAGES[dataset].decode(body)
    fast = typed_page_table(dataset, page.data, "b1", KEY)
    slow = _slow_table(body, dataset, schema)
    assert fast.num_rows == 300
    # Nested lists with timestamps, nulls and the pseudonymised key included.
    assert fast.equals(slow)
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


def test_batched_applicant_keys_equal_the_privacy_module():
    ids = ["001234567890", " 001234567890 ", "", "   ", None, 123456789012, "Ａ12"]
    assert applicant_keys(ids, KEY) == [applicant_key(v, KEY) for v in ids]
