"""Passes over one window: pages become landing rows, folded to one (the newest) version per key.

A record that cannot land — it does not parse (SOURCES.md §1: a bad timestamp, a missing key) or it
breaks a contract rule of the catalogue (an unknown status or channel code, a missing unit, a negative
fee) — is quarantined on its own; its neighbours land. A record can be served broken once and whole
the next time (a transient corruption): when a pass quarantined anything, the window is read again
(``reconcile.py``) and a record that reads whole in any pass lands; only what stays broken is
quarantined.

Each page becomes an Arrow table at once: a page whose records all passed the typed decoding is built
column by column (``typed_page_table``); any other page record by record. Both go through the same
contract check. Only the key bookkeeping (duplicates across pages and passes) runs per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from parmetrics.catalogue import dataset as catalogue_dataset
from parmetrics.landing.contract import ContractChecker
from parmetrics.landing.quarantine import Quarantined
from parmetrics.landing.writer import BatchWriter
from parmetrics.privacy import pseudonymise_dossier
from parmetrics.sources.dossier_api.http import Page, json_decode
from parmetrics.sources.dossier_api.quarantine import dedupe_key, fingerprint, quarantined
from parmetrics.sources.dossier_records import MalformedRecord, dossier_row, event_row, typed_page_table
from parmetrics.timestamps import format_ts

SOURCE = "dossier_api"
_EPOCH = datetime(1970, 1, 1)


@dataclass
class _Broken:
    entry: Quarantined
    key: Any = None  # the dedupe key, when the record has one
    fp: int | None = None  # the fingerprint of a keyless record


@dataclass
class WindowRows:
    """The rows of one window across passes, streamed to the writer's part files."""

    dataset: str
    writer: BatchWriter
    key: bytes
    rows_per_part: int
    pages: int = 0
    read: int = 0
    duplicates: int = 0
    passes: int = 0
    fingerprinting: bool = False
    pass_keys: set[Any] = field(default_factory=set)
    pass_quarantine: list[_Broken] = field(default_factory=list)
    _fingerprints: set[int] = field(default_factory=set)
    # The pages not yet flushed, and for each of their rows (in order) whether it is still the newest.
    _tables: list[pa.Table] = field(default_factory=list)
    _alive: list[bool] = field(default_factory=list)
    # key -> (version in epoch seconds, where): where >= 0 is a flushed part's number, where < 0 the
    # buffered row -(i + 1). Compact on purpose: one entry per distinct record of the window.
    _seen: dict[Any, tuple[int, int]] = field(default_factory=dict)
    _superseded: dict[int, set[tuple[Any, int]]] = field(default_factory=dict)
    _parts: int = 0
    _buffered: int = 0
    _checker: ContractChecker | None = None

    def __post_init__(self) -> None:
        self._checker = ContractChecker(catalogue_dataset(SOURCE, self.dataset))

    def close(self) -> None:
        if self._checker is not None:
            self._checker.close()

    def start_pass(self) -> None:
        self.passes += 1
        self.pass_keys = set()
        self.pass_quarantine = []
        # From the second pass on, whole records are fingerprinted to resolve keyless broken ones.
        self.fingerprinting = self.passes > 1

    @property
    def pass_accounted(self) -> int:
        return len(self.pass_keys) + len(self.pass_quarantine)

    @property
    def quarantine(self) -> list[Quarantined]:
        """The last pass's broken records that no pass read whole."""
        out = []
        for broken in self.pass_quarantine:
            if broken.key is not None and broken.key in self._seen:
                continue
            if broken.key is None and broken.fp is not None and broken.fp in self._fingerprints:
                continue
            out.append(broken.entry)
        return out

    @property
    def _schema(self) -> pa.Schema:
        return self.writer.schema

    def add_page(self, page: Page | list[Any]) -> None:
        records, typed = (page.data, page.typed) if isinstance(page, Page) else (page, False)
        self.pages += 1
        self.read += len(records)
        table, originals = None, None
        # Fingerprints (second pass on) need the records as JSON values: those pages go record by record.
        if typed and not self.fingerprinting:
            table = typed_page_table(self.dataset, records, self.writer.batch_id, self.key)
        if table is None:
            if typed:  # decoded again as the plain JSON values the per-record path expects
                records = json_decode(page.raw)["data"]
            rows, originals = [], []
            for raw in records:
                parsed = self._parse(raw)
                if parsed is not None:
                    rows.append(parsed[0])
                    originals.append(parsed[1])
            table = pa.Table.from_pylist(rows, schema=self._schema)
        table, violations = self._checker.split(table)
        if violations:
            if originals is None:  # a typed page: its records, in order, are the table's rows
                originals = [self._clean(r) for r in json_decode(page.raw)["data"]]
            for v in violations:
                self._set_aside(originals[v.row], v.reason(), v.rule.rule_id)
        if self.fingerprinting and originals is not None:
            broken = {v.row for v in violations}
            self._fingerprints.update(fingerprint(r) for i, r in enumerate(originals) if i not in broken)
        self._add_table(table)
        if self._buffered >= self.rows_per_part:
            self._flush()

    def _clean(self, raw: Any) -> Any:
        """The record as it may be written anywhere: personal fields removed (dossiers)."""
        if self.dataset == "dossiers" and isinstance(raw, dict):
            return pseudonymise_dossier(raw, self.key)
        return raw

    def _parse(self, raw: Any) -> tuple[dict[str, Any], Any] | None:
        """(the landing row, the cleaned record) of one record; None when it is quarantined (this pass)."""
        record = self._clean(raw)
        parse = dossier_row if self.dataset == "dossiers" else event_row
        try:
            return parse(record, self.writer.batch_id), record
        except MalformedRecord as exc:
            self._set_aside(record, str(exc), "parse")
            return None

    def _set_aside(self, record: Any, problem: str, rule: str) -> None:
        key = dedupe_key(record, self.dataset)
        entry = quarantined(record, self.dataset, problem, rule)
        self.pass_quarantine.append(_Broken(entry, key, None if key is not None else fingerprint(record)))

    def _keys(self, table: pa.Table) -> list[Any]:
        codes = table["MaHoSo"].to_pylist()
        if self.dataset == "dossiers":
            return codes
        return list(zip(codes, table["STT"].to_pylist(), strict=True))

    def _versions(self, table: pa.Table) -> list[int]:
        column = "NgayCapNhat" if self.dataset == "dossiers" else "ThoiDiemGhiNhan"
        return table[column].cast(pa.int64()).to_pylist()

    def _add_table(self, table: pa.Table) -> None:
        base = len(self._alive)
        self._alive.extend([True] * table.num_rows)
        self._tables.append(table)
        self._buffered += table.num_rows
        seen, pass_keys, alive = self._seen, self.pass_keys, self._alive
        for i, (key, version) in enumerate(zip(self._keys(table), self._versions(table), strict=True)):
            in_pass = key in pass_keys
            pass_keys.add(key)
            previous = seen.get(key)
            if previous is not None:
                if in_pass:
                    self.duplicates += 1
                old_version, where = previous
                if version <= old_version:
                    alive[base + i] = False
                    self._buffered -= 1
                    continue
                if where < 0:
                    alive[-where - 1] = False
                    self._buffered -= 1
                else:
                    self._superseded.setdefault(where, set()).add((key, old_version))
            seen[key] = (version, -(base + i) - 1)

    def _flush(self) -> None:
        tables, alive = self._tables, self._alive
        self._tables, self._alive, self._buffered = [], [], 0
        if not tables:
            return
        table = pa.concat_tables(tables)
        if not all(alive):
            table = table.filter(pa.array(alive, pa.bool_()))
        if table.num_rows == 0:
            return
        part = self._parts
        self.writer.write_table(table)
        self._parts += 1
        for key in self._keys(table):
            self._seen[key] = (self._seen[key][0], part)

    def finish(self) -> None:
        self._flush()
        for part, stale in self._superseded.items():
            self.writer.rewrite_part(part, lambda table, stale=stale: self._drop_rows(table, stale))

    def _drop_rows(self, table: pa.Table, stale: set[tuple[Any, int]]) -> pa.Table:
        keys = zip(self._keys(table), self._versions(table), strict=True)
        return table.filter(pa.array([k not in stale for k in keys], pa.bool_()))

    def landed_versions(self, keys: set[str]) -> list[tuple[str, str]]:
        """(key, version as ``yyyyMMddHHmmss``) of the landed rows whose key (as text) is in ``keys``."""
        out = []
        for text in keys:
            key: Any = text
            if self.dataset == "dossier_events":
                code, _, stt = text.rpartition("#")
                key = (code, int(stt)) if stt.lstrip("-").isdigit() else None
            hit = self._seen.get(key)
            if hit is not None:
                out.append((text, format_ts(_EPOCH + timedelta(seconds=hit[0]))))
        return out

    @property
    def landed(self) -> int:
        return self.writer.rows
