"""The contract rules of a dataset, checked on rows before they land (ARCHITECTURE.md, *Two kinds of rules*).

Every row-level contract rule of the catalogue is evaluated on an Arrow table of landing rows (a page
of the dossier API, a chunk of the document DB, a whole file): the rows that break a rule come back
with the rules they break. Record-based sources quarantine those records on their own and land the
others; file drops refuse the file. The same rules, as GX expectations, check the batch again before
it is swapped in (``quality/landing_gate.py``); both read one declaration, so a batch whose records
passed here passes its contract suite.

Not-null, code-domain and minimum rules are evaluated with Arrow compute (a page costs microseconds,
and extraction runs this on every page); a ``Check`` rule, which is SQL, in an in-memory DuckDB. Each
kind's Arrow evaluation means exactly its SQL (``Rule.record_sql``), which the GX suite runs:
``tests/landing/test_contract.py`` holds the two equal on typed-out edge cases.

A NULL never counts as a pass: a rule's result is never null (a null value is judged by the rule — a
`NotNull` rule fails it, a code domain or a minimum has nothing to judge).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from parmetrics.catalogue.model import AtLeast, Check, Dataset, InSet, NotNull, Rule

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
        """One line: the rules broken and the offending values (the record's key is the caller's)."""
        return "; ".join(r.describe(self.values) for r in self.rules)


def arrow_keeps(rule: Rule, table: pa.Table) -> pa.Array | None:
    """Per row, whether it keeps ``rule`` (never null), or None when the rule needs SQL."""
    n = table.num_rows
    if isinstance(rule, NotNull):
        return pc.is_valid(table[rule.column]).combine_chunks()
    if isinstance(rule, InSet):
        column = table[rule.column]
        allowed = pc.is_in(column, value_set=pa.array(rule.values, type=column.type))
        return pc.or_(pc.is_null(column), allowed).combine_chunks()
    if isinstance(rule, AtLeast):
        column = table[rule.column].combine_chunks()
        if not rule.item:
            return pc.fill_null(pc.greater_equal(column, rule.minimum), True)
        items = pc.list_flatten(column)
        below = pc.fill_null(
            pc.less(pc.struct_field(items, [items.type.get_field_index(rule.item)]), rule.minimum), False
        )
        broken = pc.filter(pc.list_parent_indices(column), below)
        return pc.invert(pc.is_in(pa.array(range(n), pa.int64()), value_set=broken.cast(pa.int64())))
    return None


class ContractChecker:
    """Checks tables of one dataset's landing rows against its row-level contract rules.

    A dataset with ``Check`` rules holds one in-memory DuckDB connection for them: create one checker
    per extraction and use it from one thread.
    """

    def __init__(self, dataset: Dataset, *, rules: tuple[Rule, ...] | None = None) -> None:
        self.dataset = dataset
        self.rules = tuple(r for r in (rules if rules is not None else dataset.contract_rules) if r.row_level)
        self._sql_rules = tuple(r for r in self.rules if isinstance(r, Check))
        self._con: Any = None

    def _sql_keeps(self, table: pa.Table) -> dict[Rule, pa.Array]:
        if not self._sql_rules:
            return {}
        if self._con is None:
            import duckdb  # only datasets with Check rules (file drops) pay for it

            self._con = duckdb.connect()
        self._con.register("batch", table)
        try:
            columns = ", ".join(f"{r.record_sql()} as k{i}" for i, r in enumerate(self._sql_rules))
            result = self._con.sql(f"select {columns} from batch").to_arrow_table()
        finally:
            self._con.unregister("batch")
        return {r: result.column(i).combine_chunks() for i, r in enumerate(self._sql_rules)}

    def violations(self, table: pa.Table) -> list[Violation]:
        """The rows of ``table`` (landing rows of the dataset) that break a contract rule, in row order."""
        if not self.rules or table.num_rows == 0:
            return []
        from_sql = self._sql_keeps(table)
        keeps = [from_sql[r] if r in from_sql else arrow_keeps(r, table) for r in self.rules]
        every = keeps[0]
        for k in keeps[1:]:
            every = pc.and_(every, k)
        if pc.all(every).as_py():
            return []
        bad = pc.indices_nonzero(pc.invert(every)).to_pylist()
        flags = [k.to_pylist() for k in keeps]
        out = []
        for row in bad:
            rules = tuple(r for r, f in zip(self.rules, flags, strict=True) if not f[row])
            out.append(Violation(row, rules, table.slice(row, 1).to_pylist()[0]))
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
