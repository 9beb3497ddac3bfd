"""What a landing dataset declaration is made of: fields, key, version, personal data, rules.

A dataset is declared once (``catalogue/datasets.py``); the Arrow schema, the dbt ``sources:`` file, the
landing suites, the asset list and the record checks all come from that declaration.

Rules come in the two kinds of ARCHITECTURE.md (*Two kinds of rules*): a dataset's ``contract`` holds the
rules SOURCES.md states (a record or file breaking one is quarantined, GX severity ``critical``); its
``anomalies`` describe legal but surprising data (GX severity ``warning``: recorded and shown, never a
rejection). Every rule says why it is of its kind (``why``), and that text travels into the suite.

A rule is evaluated in two places that must agree: per record (``record_sql``: one boolean per row of a
page, chunk or file, in DuckDB) and per batch (``expectations``: Great Expectations on the landed
batch). A NULL never counts as a pass: a derived check is ``coalesce(…, false)``, and a column whose
contract forbids nulls has its own :class:`NotNull` rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa

Origin = Literal["source", "derived", "lineage"]
Kind = Literal["contract", "anomaly"]
SEVERITY: dict[str, str] = {"contract": "critical", "anomaly": "warning"}


def quote(name: str) -> str:
    """A SQL identifier as DuckDB reads it (source names are mixed case)."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


@dataclass(frozen=True)
class Field:
    """One landing column. ``origin``: ``source`` (a field of the source's record or file), ``derived``
    (computed at extraction, e.g. ``applicant_key``) or ``lineage`` (where the row came from).
    ``nullable=False`` makes the Arrow field non-null (and is a contract rule of its own).
    ``summed``: a file's ``Tổng cộng`` row states this column's total (SOURCES.md §3)."""

    name: str
    type: pa.DataType
    description: str
    nullable: bool = True
    origin: Origin = "source"
    summed: bool = False

    @property
    def arrow(self) -> pa.Field:
        return pa.field(self.name, self.type, nullable=self.nullable)


# ---- rules ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    why: str

    @property
    def rule_id(self) -> str:
        raise NotImplementedError

    @property
    def columns(self) -> tuple[str, ...]:
        """Landing columns the rule reads (for the suite's query and for quoting the offending value)."""
        return ()

    @property
    def row_level(self) -> bool:
        """Decided by one row alone: checked per record (pages, chunks, file rows) as well as per batch."""
        return True

    def record_sql(self) -> str:
        """A boolean, never NULL, true when one row of ``batch`` keeps the rule."""
        raise NotImplementedError

    def expectation(self) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def derived_column(self, subject_sql: str) -> str | None:
        """SQL for a column the suite's query must compute for this rule (``… as <name>``), if any."""
        return None

    def file_rule(self) -> str:
        """How a refused file's reason names the rule (SOURCES.md §3 wording)."""
        return "invalid value"

    def describe(self, row: Mapping[str, Any]) -> str:
        """One line: what ``row`` does wrong. Quotes at most the offending value."""
        raise NotImplementedError


def shown(value: Any, limit: int = 40) -> str:
    """An offending value as a reason quotes it: repr, cut short, on one line."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class NotNull(Rule):
    column: str = ""

    @property
    def rule_id(self) -> str:
        return f"{self.column}_not_null"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def record_sql(self) -> str:
        return f"({quote(self.column)} is not null)"

    def expectation(self) -> tuple[str, dict[str, Any]]:
        return "expect_column_values_to_not_be_null", {"column": self.column}

    def file_rule(self) -> str:
        return "missing value"

    def describe(self, row: Mapping[str, Any]) -> str:
        return f"{self.column} is missing"


@dataclass(frozen=True)
class InSet(Rule):
    column: str = ""
    values: tuple[Any, ...] = ()

    @property
    def rule_id(self) -> str:
        return f"{self.column}_in_set"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def record_sql(self) -> str:
        values = ", ".join(literal(v) for v in self.values)
        # A null is not a code: whether it is allowed is a NotNull rule's business.
        return f"({quote(self.column)} is null or {quote(self.column)} in ({values}))"

    def expectation(self) -> tuple[str, dict[str, Any]]:
        return "expect_column_values_to_be_in_set", {"column": self.column, "value_set": list(self.values)}

    def describe(self, row: Mapping[str, Any]) -> str:
        allowed = ", ".join(str(v) for v in self.values)
        return f"{self.column}: unknown code {shown(row.get(self.column))} (expected one of {allowed})"


@dataclass(frozen=True)
class AtLeast(Rule):
    """``column`` (or, with ``item``, every ``item`` of the structs in list ``column``) ≥ ``minimum``."""

    column: str = ""
    minimum: float = 0
    item: str | None = None

    @property
    def rule_id(self) -> str:
        target = f"{self.column}.{self.item}" if self.item else self.column
        return f"{target}_at_least_{self.minimum:g}"

    @property
    def columns(self) -> tuple[str, ...]:
        # A nested value reaches the suite as its derived minimum, not as the whole list.
        return () if self.item else (self.column,)

    def _value_sql(self) -> str:
        if self.item:
            return f"list_min(list_transform({quote(self.column)}, lambda x: x.{quote(self.item)}))"
        return quote(self.column)

    def record_sql(self) -> str:
        return f"({self._value_sql()} is null or {self._value_sql()} >= {self.minimum!r})"

    def _checked_column(self) -> str:
        return f"{self.column}_{self.item}_min" if self.item else self.column

    def derived_column(self, subject_sql: str) -> str | None:
        return f"{self._value_sql()} as {quote(self._checked_column())}" if self.item else None

    def expectation(self) -> tuple[str, dict[str, Any]]:
        return "expect_column_values_to_be_between", {"column": self._checked_column(), "min_value": self.minimum}

    def file_rule(self) -> str:
        return "negative amount" if self.minimum == 0 else "invalid value"

    def offending(self, row: Mapping[str, Any]) -> Any:
        if not self.item:
            return row.get(self.column)
        values = [x.get(self.item) for x in row.get(self.column) or () if x and x.get(self.item) is not None]
        return min(values) if values else None

    def describe(self, row: Mapping[str, Any]) -> str:
        target = f"{self.column}: a {self.item} of" if self.item else f"{self.column}:"
        return f"{target} {shown(self.offending(row))} is below {self.minimum:g}"


@dataclass(frozen=True)
class Unique(Rule):
    """The key is unique within one batch (a file, a window). Enforced per batch only: extraction folds
    repeated keys of a window to their newest version, and a file with a repeated key is refused whole."""

    key: tuple[str, ...] = ()

    @property
    def rule_id(self) -> str:
        return "_".join(self.key) + "_unique"

    @property
    def columns(self) -> tuple[str, ...]:
        return self.key

    @property
    def row_level(self) -> bool:
        return False

    def expectation(self) -> tuple[str, dict[str, Any]]:
        if len(self.key) == 1:
            return "expect_column_values_to_be_unique", {"column": self.key[0]}
        return "expect_compound_columns_to_be_unique", {"column_list": list(self.key)}

    def file_rule(self) -> str:
        return "duplicate key"

    def describe(self, row: Mapping[str, Any]) -> str:
        return "duplicate key " + ", ".join(f"{k}={shown(row.get(k))}" for k in self.key)


@dataclass(frozen=True)
class NotEmpty(Rule):
    """A batch holds at least one row (a reference snapshot is complete, so never empty)."""

    @property
    def rule_id(self) -> str:
        return "not_empty"

    @property
    def row_level(self) -> bool:
        return False

    def expectation(self) -> tuple[str, dict[str, Any]]:
        return "expect_table_row_count_to_be_between", {"min_value": 1}

    def file_rule(self) -> str:
        return "empty file"

    def describe(self, row: Mapping[str, Any]) -> str:
        return "no rows"


@dataclass(frozen=True)
class Check(Rule):
    """A rule in SQL over one row of ``batch`` (qualify columns as ``batch.<col>`` inside subqueries).

    ``passes`` is true when the row keeps the rule; NULL counts as broken. The suite computes a column
    ``name`` holding ``subject`` (what the rule is about: the record's key by default, or e.g. its unit)
    for rows that break it and NULL otherwise, and expects it to be null: the failing sample lists
    subjects, never whole rows. ``message`` is a ``str.format`` template over the row's values.
    Anomaly checks may read other landing datasets (``landing_<source>_<dataset>`` views); a contract
    check must be decidable from the row alone.
    """

    name: str = ""
    passes: str = ""
    message: str = ""
    reads: tuple[str, ...] = ()
    subject: str | None = None
    label: str = "invalid value"

    @property
    def rule_id(self) -> str:
        return self.name

    @property
    def columns(self) -> tuple[str, ...]:
        return self.reads

    def record_sql(self) -> str:
        return f"coalesce(({self.passes}), false)"

    def expectation(self) -> tuple[str, dict[str, Any]]:
        return "expect_column_values_to_be_null", {"column": self.name}

    def derived_column(self, subject_sql: str) -> str:
        # The subject of a broken row is never null: a null would pass the suite's not-null expectation.
        subject = f"coalesce(cast({self.subject or subject_sql} as varchar), 'null')"
        return f"case when {self.record_sql()} then null else {subject} end as {quote(self.name)}"

    def file_rule(self) -> str:
        return self.label

    def describe(self, row: Mapping[str, Any]) -> str:
        return self.message.format_map({k: _Shown(v) for k, v in row.items()})


class _Shown:
    """A value in a Check's message: ``{x}`` prints it, ``{x!r}`` quotes it cut short."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return shown(self.value)


@dataclass(frozen=True)
class Suite:
    """A hand-written suite of the dataset (``expectations/landing/<source>.<dataset>.<name>.json``) for a
    rule that is not about rows (the batch's manifest, months against each other). Its expectations carry
    the severity of ``kind``; the catalogue test holds them to it."""

    name: str
    kind: Kind
    why: str


# ---- datasets ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    # "records": record-based (a malformed record is quarantined on its own, its neighbours land);
    # "files": file drops (a file that breaks the contract is quarantined whole).
    kind: Literal["records", "files"]

    @property
    def asset_name(self) -> str:
        return f"landing.{self.name}"

    @property
    def asset_uri(self) -> str:
        return f"parmetrics://landing/{self.name}"


@dataclass(frozen=True)
class Dataset:
    source: Source
    name: str
    description: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    # The column that orders versions of one key (staging keeps the newest).
    version_column: str
    contract: tuple[Rule, ...] = ()
    anomalies: tuple[Rule, ...] = ()
    suites: tuple[Suite, ...] = ()
    # Source fields that are personal data: removed before anything is written (ARCHITECTURE.md).
    personal_fields: tuple[str, ...] = ()
    # Personal fields that survive only as a keyed hash: source field → landing column.
    pseudonymised: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.source.name}.{self.name}"

    @property
    def landing_path(self) -> str:
        """Relative to the data directory."""
        return f"landing/{self.source.name}/{self.name}"

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([f.arrow for f in self.fields])

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field_named(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.full_name} has no field {name!r}")

    @property
    def source_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.origin == "source")

    @property
    def record_fields(self) -> tuple[str, ...]:
        """The fields of a source record in contract order, personal ones included (at the place of the
        column that replaces them, else after the source fields)."""
        names: list[str] = []
        replaced = {landing: source for source, landing in self.pseudonymised.items()}
        for f in self.fields:
            if f.origin == "source":
                names.append(f.name)
            elif f.name in replaced:
                names.extend(p for p in self.personal_fields if p not in names)
        names.extend(p for p in self.personal_fields if p not in names)
        return tuple(names)

    @property
    def contract_rules(self) -> tuple[Rule, ...]:
        """The contract as declared, with a not-null rule for every non-null field first."""
        implicit = tuple(
            NotNull(
                why="The landing schema cannot hold a null here (SOURCES.md: a key or required field).", column=f.name
            )
            for f in self.fields
            if not f.nullable and f.origin != "lineage" and f.origin != "derived"
        )
        declared = {r.rule_id for r in self.contract}
        return tuple(r for r in implicit if r.rule_id not in declared) + self.contract

    def rules(self) -> tuple[tuple[Kind, Rule], ...]:
        return tuple(("contract", r) for r in self.contract_rules) + tuple(("anomaly", r) for r in self.anomalies)

    def domain_rule(self, column: str) -> InSet:
        """The contract's code domain rule of ``column``."""
        for r in self.contract_rules:
            if isinstance(r, InSet) and r.column == column:
                return r
        raise KeyError(f"{self.full_name} declares no code domain for {column!r}")

    def domain(self, column: str) -> tuple[Any, ...]:
        return self.domain_rule(column).values

    def subject_sql(self) -> str:
        """What a broken row is called in a suite's failing sample: its key."""
        if len(self.key) == 1:
            return quote(self.key[0])
        return (
            "concat_ws(' ', "
            + ", ".join(f"'{k}=' || coalesce(cast({quote(k)} as varchar), 'null')" for k in self.key)
            + ")"
        )
