"""The generated parts of ``docs/``: tables the code already states, written into the Markdown between
markers so that the prose around them cannot drift from what runs.

Sources of truth: the landing schemas (``landing.schemas.LANDING_SCHEMAS``), the landing and mart suites
(``expectations/**.json``: each rule's severity — ``critical`` rejects, ``warning`` only warns; a rule
without one is critical, as GX treats it), the scoring seed (``dbt_project/seeds/scoring_rules.csv``) and
the marts' dbt YAML (``dbt_project/models/marts/**.yml``: contracts, column types, descriptions).

``make docs`` (``python -m parmetrics.docs``) rewrites every block; ``--check`` exits 1 naming each stale
block, and a test runs the check, so a change to any input that is not regenerated fails ``make test``.
A block is::

    <!-- BEGIN GENERATED landing-rules (make docs) -->
    …
    <!-- END GENERATED landing-rules -->
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from parmetrics.config import DBT_PROJECT_DIR, EXPECTATIONS_DIR, REPO_ROOT

DOCS_DIR = REPO_ROOT / "docs"
BLOCK = re.compile(
    r"(?P<begin><!-- BEGIN GENERATED (?P<name>[a-z0-9-]+) \(make docs\) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<end><!-- END GENERATED (?P=name) -->)",
    re.DOTALL,
)
FILE_SOURCES = ("finance", "reference")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ---- landing: schemas and rules --------------------------------------------------------------------------


def _arrow_type(t: pa.DataType) -> str:
    if pa.types.is_timestamp(t):
        return "timestamp (local, naive)"
    if pa.types.is_date32(t):
        return "date"
    if pa.types.is_string(t):
        return "text"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t):
        return "number"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_list(t):
        return "list of {" + ", ".join(f"{f.name}: {_arrow_type(f.type)}" for f in t.value_type) + "}"
    return str(t)


def landing_schemas() -> str:
    from parmetrics.landing.schemas import LANDING_SCHEMAS

    parts = []
    for (source, dataset), schema in sorted(LANDING_SCHEMAS.items()):
        rows = [
            (f"`{f.name}`", _arrow_type(f.type), "yes" if f.nullable else "no", "lineage" if f.name[0] == "_" else "")
            for f in schema
        ]
        parts.append(f"#### `{source}.{dataset}`\n\n" + _table(("column", "type", "null allowed", "note"), rows))
    return "\n\n".join(parts)


def severity(expectation: dict[str, Any]) -> str:
    """An expectation's severity; none stated is critical (GX's default, and the safe reading)."""
    value = expectation.get("severity") or (expectation.get("meta") or {}).get("severity") or "critical"
    return str(value).lower()


def _values(values: list[Any]) -> str:
    shown = [json.dumps(v, ensure_ascii=False) if isinstance(v, str) else str(v).lower() for v in values]
    return "{" + ", ".join(shown) + "}"


def describe(expectation: dict[str, Any]) -> str:
    """One short line saying what an expectation checks."""
    kind = expectation.get("type") or expectation.get("expectation_type", "")
    kw = expectation.get("kwargs", {})
    col = f"`{kw['column']}`" if "column" in kw else ""
    text = {
        "expect_column_values_to_not_be_null": f"{col} is never null",
        "expect_column_values_to_be_null": f"{col} is null (a value names a row breaking the rule)",
        "expect_column_values_to_be_unique": f"{col} is unique",
        "expect_compound_columns_to_be_unique": "("
        + ", ".join(f"`{c}`" for c in kw.get("column_list", []))
        + ") is unique",
        "expect_column_values_to_be_in_set": f"{col} ∈ {_values(kw.get('value_set', []))}",
        "expect_column_values_to_match_regex": f"{col} matches `{kw.get('regex')}`",
        "expect_table_row_count_to_be_between": "row count between "
        f"{kw.get('min_value', '−∞')} and {kw.get('max_value', '∞')}",
        "expect_table_columns_to_match_ordered_list": "columns are exactly, in order: "
        + ", ".join(f"`{c}`" for c in kw.get("column_list", [])),
    }.get(kind)
    if text is None and kind == "expect_column_values_to_be_between":
        lo, hi = kw.get("min_value"), kw.get("max_value")
        text = f"{col} " + (f"between {lo} and {hi}" if lo is not None and hi is not None else "")
        if hi is None:
            text = f"{col} ≥ {lo}"
        elif lo is None:
            text = f"{col} ≤ {hi}"
    if text is None:
        text = f"{kind.removeprefix('expect_').replace('_', ' ')} {col}".strip()
    if "mostly" in kw:
        text += f" (for at least {kw['mostly']:.0%} of rows)"
    return text


def _on_failure(source: str, level: str) -> str:
    if level == "critical":
        return "file quarantined" if source in FILE_SOURCES else "record quarantined"
    return "warning only (recorded, data lands)" if level == "warning" else f"{level}: recorded only"


def _suites(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    return [(p, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(folder.glob("*.json"))]


def landing_rules() -> str:
    parts = []
    for path, suite in _suites(EXPECTATIONS_DIR / "landing"):
        source = path.stem.split(".")[0]
        rows = [
            (
                describe(e),
                severity(e),
                _on_failure(source, severity(e)),
                (e.get("meta") or {}).get("notes", ""),
            )
            for e in suite.get("expectations", [])
        ]
        notes = (suite.get("meta") or {}).get("notes")
        head = f"#### `{path.name}`" + (f"\n\n{notes}" if notes else "")
        parts.append(head + "\n\n" + _table(("rule", "severity", "when broken", "why"), rows))
    return "\n\n".join(parts)


def mart_rules() -> str:
    parts = []
    for path, suite in _suites(EXPECTATIONS_DIR / "marts"):
        rows = [
            (
                describe(e),
                severity(e),
                "publication refused" if severity(e) == "critical" else "warning only",
            )
            for e in suite.get("expectations", [])
        ]
        meta = suite.get("meta") or {}
        about = meta.get("notes") or meta.get("table") or ""
        head = f"#### `{path.name}`" + (f"\n\n{about}" if about else "")
        parts.append(head + "\n\n" + _table(("rule", "severity", "when broken"), rows))
    return "\n\n".join(parts)


# ---- criteria: the scoring seed --------------------------------------------------------------------------


def _seed_rows() -> list[dict[str, str]]:
    with (DBT_PROJECT_DIR / "seeds" / "scoring_rules.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _bands(text: str, method: str) -> str:
    """``[[0.95, 1.0], [0.8, 0.5]]`` → ``≥0.95→1.0, ≥0.8→0.5`` (``≤`` for bands_max: lower is better)."""
    if not text:
        return ""
    try:
        bands = json.loads(text)
    except ValueError:
        return text
    sign = "≤" if method == "bands_max" else "≥"
    return ", ".join(f"{sign}{b[0]}→{b[1]}" if isinstance(b, list) else str(b) for b in bands)


def rule_versions() -> str:
    versions: dict[tuple[str, str, str], int] = {}
    for r in _seed_rows():
        key = (r["rule_version"], r["valid_from"], r["valid_to"] or "open")
        versions[key] = versions.get(key, 0) + 1
    rows = [(f"`{v}`", start, end, n) for (v, start, end), n in sorted(versions.items(), key=lambda kv: kv[0][1])]
    return _table(("rule version", "valid from", "valid to", "scoring rows"), rows)


def scoring_rules() -> str:
    parts = []
    by_version: dict[str, list[dict[str, str]]] = {}
    for r in _seed_rows():
        by_version.setdefault(r["rule_version"], []).append(r)
    for version, rows in sorted(by_version.items()):
        table = _table(
            ("code", "criterion", "unit level", "method", "max points", "target", "bands", "denominator 0"),
            (
                (
                    f"`{r['criterion_code']}`",
                    f"{r['criterion_name_en']} — {r['criterion_name_vi']}",
                    r["unit_level"] or "all",
                    r["method"],
                    r["max_points"],
                    r["target"],
                    _bands(r["bands"], r["method"]),
                    r["zero_denominator"],
                )
                for r in rows
            ),
        )
        start, end = rows[0]["valid_from"], rows[0]["valid_to"] or "open"
        parts.append(f"#### Rule version `{version}` ({start} → {end})\n\n{table}")
    return "\n\n".join(parts)


# ---- published tables: the marts' dbt YAML ---------------------------------------------------------------


def _mart_models() -> list[dict[str, Any]]:
    models = []
    for path in sorted((DBT_PROJECT_DIR / "models" / "marts").rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        models += doc.get("models") or []
    return sorted(models, key=lambda m: m["name"])


def _key(model: dict[str, Any]) -> str:
    """The mart's key as its quality gate checks it (the uniqueness expectation of its GX suite: keys of the
    published tables are checked there, not by dbt; dbt_project/README.md)."""
    suite = EXPECTATIONS_DIR / "marts" / f"{model['name']}.json"
    if not suite.exists():
        return ""
    for e in json.loads(suite.read_text(encoding="utf-8")).get("expectations", []):
        if e["type"] == "expect_compound_columns_to_be_unique":
            return ", ".join(f"`{c}`" for c in e["kwargs"]["column_list"])
        if e["type"] == "expect_column_values_to_be_unique":
            return f"`{e['kwargs']['column']}`"
    return ""


def _not_null(column: dict[str, Any]) -> bool:
    constraints = [c.get("type") for c in column.get("constraints") or []]
    tests = [t if isinstance(t, str) else next(iter(t)) for t in column.get("data_tests") or column.get("tests") or []]
    return "not_null" in constraints or "not_null" in tests


def marts() -> str:
    parts = []
    for model in _mart_models():
        config = model.get("config") or {}
        enforced = (config.get("contract") or {}).get("enforced", False)
        rows = [
            (f"`{c['name']}`", c.get("data_type", ""), "no" if _not_null(c) else "yes", c.get("description", ""))
            for c in model.get("columns") or []
        ]
        facts = ["contract enforced by dbt" if enforced else "no enforced contract"]
        if key := _key(model):
            facts.append(f"key: {key}")
        text = f"### `marts.{model['name']}`\n\n{model.get('description', '').strip()}\n\n*{'; '.join(facts)}.*"
        parts.append(text + "\n\n" + _table(("column", "type", "null allowed", "meaning"), rows))
    return "\n\n".join(parts)


# ---- the blocks and the files that hold them ---------------------------------------------------------------

GENERATORS: dict[str, Callable[[], str]] = {
    "landing-schemas": landing_schemas,
    "landing-rules": landing_rules,
    "mart-rules": mart_rules,
    "rule-versions": rule_versions,
    "scoring-rules": scoring_rules,
    "marts": marts,
}


def regenerate(text: str, generators: dict[str, Callable[[], str]] = GENERATORS) -> str:
    """``text`` with every generated block's body written afresh."""

    def body(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in generators:
            raise KeyError(f"unknown generated block {name!r}; known: {sorted(generators)}")
        return f"{match['begin']}\n{generators[name]().rstrip()}\n\n{match['end']}"

    return BLOCK.sub(body, text)


def doc_files(root: Path = DOCS_DIR) -> list[Path]:
    return sorted(p for p in root.rglob("*.md") if BLOCK.search(p.read_text(encoding="utf-8")))


def stale(root: Path = DOCS_DIR) -> list[str]:
    """``file: block`` for every generated block whose body differs from what the inputs give now."""
    out = []
    for path in doc_files(root):
        text = path.read_text(encoding="utf-8")
        fresh = {m["name"]: m.group(0) for m in BLOCK.finditer(regenerate(text))}
        for m in BLOCK.finditer(text):
            if fresh[m["name"]] != m.group(0):
                out.append(f"{path.relative_to(root.parent)}: {m['name']}")
    return out


def write(root: Path = DOCS_DIR) -> list[Path]:
    changed = []
    for path in doc_files(root):
        text = path.read_text(encoding="utf-8")
        fresh = regenerate(text)
        if fresh != text:
            path.write_text(fresh, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m parmetrics.docs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated block is stale; write nothing")
    args = parser.parse_args(argv)
    if args.check:
        blocks = stale()
        for block in blocks:
            print(f"stale generated block {block} (run make docs)", file=sys.stderr)
        return 1 if blocks else 0
    for path in write():
        print(f"regenerated {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
