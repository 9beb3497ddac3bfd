"""The contract rules of a dataset, checked on rows before they land (ARCHITECTURE.md, *Two kinds of rules*).

Every row-level contract rule of the catalogue becomes one boolean in a DuckDB query over an Arrow table
of landing rows (a page of the dossier API, a chunk of the document DB, a whole file): the rows that
break a rule come back with the rules they break. Record-based sources quarantine those records on
their own and land the others; file drops refuse the file. The same rules, as GX expectations, check
the batch again before it is swapped in (``quality/landing_gate.py``); both read one declaration, so a
batch whose records passed here passes its contract suite.

A NULL never counts as a pass: every rule's SQL is non-null by construction (``model.Rule.record_sql``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from parmetrics.catalogue.model import Dataset, Rule

ROW = "__row"


@dataclass(frozen=True)
class Violation:
    """Row ``row`` of the checked table breaks ``rules`` (in declaration order)."""

    row: int
    rules: tuple[Rule, ...]
    values: dict[str, Any]

    @property
    def rule(self) -> Rule:
        return self.rules[0]

    def reason(self) -> str:
        """One line: the first rule broken and the offending value (the record's key is the caller's)."""
        return "; ".join(r.describe(self.values) for r in self.rules)


class ContractChecker:
    """Checks tables of one dataset's landing rows against its row-level contract rules.

    Holds one in-memory DuckDB connection: create one per extraction and use it from one thread.
    """

    def __init__(self, dataset: Dataset, *, rules: tuple[Rule, ...] | None = None) -> None:
        self.dataset = dataset
        self.rules = tuple(r for r in (rules if rules is not None else dataset.contract_rules) if r.row_level)
        self._con: duckdb.DuckDBPyConnection | None = None
        if self.rules:
            flags = ", ".join(f"not {r.record_sql()}" for r in self.rules)
            every = " and ".join(r.record_sql() for r in self.rules)
            self._sql = f"select {ROW}, [{flags}] as broken from batch where not ({every}) order by {ROW}"

    def violations(self, table: pa.Table) -> list[Violation]:
        """The rows of ``table`` (landing rows of the dataset) that break a contract rule, in row order."""
        if not self.rules or table.num_rows == 0:
            return []
        if self._con is None:
            self._con = duckdb.connect()
        numbered = table.append_column(ROW, pa.array(range(table.num_rows), pa.int64()))
        self._con.register("batch", numbered)
        try:
            found = self._con.execute(self._sql).fetchall()
        finally:
            self._con.unregister("batch")
        if not found:
            return []
        out = []
        for row, broken in found:
            rules = tuple(r for r, b in zip(self.rules, broken, strict=True) if b)
            values = table.slice(row, 1).to_pylist()[0]
            out.append(Violation(row, rules, values))
        return out

    def split(self, table: pa.Table) -> tuple[pa.Table, list[Violation]]:
        """(the rows that keep every rule, the violations)."""
        bad = self.violations(table)
        if not bad:
            return table, []
        drop = {v.row for v in bad}
        keep = pa.array([i not in drop for i in range(table.num_rows)], pa.bool_())
        return table.filter(keep), bad

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> ContractChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
