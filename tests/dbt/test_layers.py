"""The dbt project is layered as its anchors layer it (STYLE.md, issue 17), read from dbt's own manifest.

- Staging is one view per source table that reads that source and nothing else (no ref: no join with a
  model, no state), and every landing source table has exactly one staging model.
- Nothing after staging reads landing: no ``source()``, no table function over files (``read_parquet``,
  ``read_text``, ``glob`` …) in its SQL as written or as compiled, no macro that reads files (followed
  through the macros it calls), no relation of the landing schema.
- Every model has its YAML beside it (``<model>.yml`` next to ``<model>.sql``) saying its grain and key.

``manifest.json`` says what dbt resolved (``depends_on``, ``raw_code``, ``compiled_code``), so a ref or a
source hidden in a macro is caught where a grep of the model file would miss it. The checks run on the
manifest of a real build (the empty-landing build of conftest.py) and on a copy of the project with one
planted violation of each kind, which they must name.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from dbt_support import DBT_PROJECT, Warehouse, dbt_invoke

# DuckDB's table functions over files: the only ways SQL reads landing without a source.
FILE_READERS = ("read_parquet(", "parquet_scan(", "read_text(", "read_blob(", "read_csv", "read_json", "glob(")
LANDING_SCHEMA = '."landing".'
# A file a model may read that is not landing, and why.
NOT_LANDING = {
    # `--vars '{scoring_rules_csv: …}'` swaps the scoring_rules seed for a test's own rule versions.
    ("int_scoring_rules", "read_csv"),
}


def _files_read_by_macros(manifest: dict[str, Any]) -> set[str]:
    """Unique ids of the project's macros that read files, directly or through a macro they call."""
    macros = {uid: m for uid, m in manifest["macros"].items() if m["package_name"] == _project(manifest)}
    reading = {uid for uid, m in macros.items() if any(f in m["macro_sql"].lower() for f in FILE_READERS)}
    while True:
        more = {
            uid
            for uid, m in macros.items()
            if uid not in reading and reading & set(m.get("depends_on", {}).get("macros", []))
        }
        if not more:
            return reading
        reading |= more


def _project(manifest: dict[str, Any]) -> str:
    return manifest["metadata"]["project_name"]


def _models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        uid: n
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] == "model" and n["package_name"] == _project(manifest)
    }


def layer_violations(manifest: dict[str, Any]) -> list[str]:
    """One line per broken layering rule, naming the model and what it reads."""
    out = []
    readers = _files_read_by_macros(manifest)
    staged_sources: dict[str, list[str]] = {}
    for node in _models(manifest).values():
        name, layer = node["name"], node["fqn"][1]
        upstream = node["depends_on"]["nodes"]
        sources = sorted(u for u in upstream if u.startswith("source."))
        refs = sorted(u for u in upstream if not u.startswith("source."))
        if layer == "staging":
            if refs:
                out.append(f"{name}: a staging model refs {', '.join(refs)}")
            if len(sources) != 1:
                out.append(f"{name}: a staging model reads {len(sources)} sources, not one")
            if node["config"]["materialized"] != "view":
                out.append(f"{name}: a staging model is a {node['config']['materialized']}, not a view")
            for s in sources:
                staged_sources.setdefault(s, []).append(name)
            continue
        if sources:
            out.append(f"{name}: {layer} reads {', '.join(sources)}")
        code = (node.get("raw_code") or "") + "\n" + (node.get("compiled_code") or "")
        for reader in FILE_READERS:
            if reader in code.lower() and (name, reader.rstrip("(")) not in NOT_LANDING:
                out.append(f"{name}: {layer} reads files with {reader.rstrip('(')}")
        if LANDING_SCHEMA in code:
            out.append(f"{name}: {layer} reads the landing schema")
        for macro in sorted(set(node["depends_on"]["macros"]) & readers):
            out.append(f"{name}: {layer} calls {macro.split('.')[-1]}, which reads files")
    for uid, source in manifest["sources"].items():
        if source["package_name"] != _project(manifest):
            continue
        readers_of = staged_sources.get(uid, [])
        if len(readers_of) != 1:
            out.append(f"{source['source_name']}.{source['name']}: {len(readers_of)} staging models, not one")
    return sorted(out)


def yaml_violations(manifest: dict[str, Any]) -> list[str]:
    """Models whose YAML is not ``<model>.yml`` beside the model, or does not state grain and key."""
    out = []
    for node in _models(manifest).values():
        beside = str(Path(node["original_file_path"]).with_suffix(".yml"))
        patch = (node.get("patch_path") or "").split("://", 1)[-1]
        if patch != beside:
            out.append(f"{node['name']}: described in {patch or 'no YAML'}, not {beside}")
        description = node.get("description") or ""
        if "Grain:" not in description or "Key:" not in description:
            out.append(f"{node['name']}: its description does not state its grain and key")
    return sorted(out)


def _manifest(target: Path) -> dict[str, Any]:
    return json.loads((target / "manifest.json").read_text())


def test_the_built_project_is_layered(empty_warehouse: Warehouse) -> None:
    manifest = _manifest(empty_warehouse.path.parents[2] / "dbt_target")
    # A build compiled every model: the checks read the SQL that ran, not only the SQL as written.
    compiled = [n for n in _models(manifest).values() if n.get("compiled_code")]
    assert len(compiled) == len(_models(manifest)) > 50
    assert layer_violations(manifest) == []
    assert yaml_violations(manifest) == []
    staging = sorted(n["name"] for n in _models(manifest).values() if n["fqn"][1] == "staging")
    assert staging == [
        "stg_document_db__assigned_tasks",
        "stg_document_db__incoming_documents",
        "stg_document_db__outgoing_documents",
        "stg_document_db__work_files",
        "stg_dossier_api__dossier_events",
        "stg_dossier_api__dossiers",
        "stg_finance__budget_revenue",
        "stg_finance__enterprise_registrations",
        "stg_finance__public_investment",
        "stg_landing__batches",
        "stg_reference__procedures",
        "stg_reference__units",
        "stg_reference__website_listings",
    ]


PLANTED = {
    # A staging model that joins a model downstream of staging.
    "models/staging/dossier_api/stg_dossier_api__with_units.sql": (
        "select d.* from {{ source('dossier_api', 'dossiers') }} as d\n"
        "inner join {{ ref('int_units') }} as u on d.MaDonVi = u.unit_code\n"
    ),
    # An intermediate model reading a source, one reading files itself, one through a macro.
    "models/intermediate/int_raw_dossiers.sql": "select * from {{ source('dossier_api', 'dossiers') }}\n",
    "models/intermediate/int_raw_events.sql": (
        "select * from read_parquet('{{ env_var(\"PARMETRICS_DATA_DIR\") }}/landing/dossier_api/dossier_events/*/*')\n"
    ),
    "macros/raw_manifests.sql": (
        "{% macro raw_manifests() %}read_text('landing/*/*/batch=*/_manifest.json'){% endmacro %}\n"
    ),
    "macros/all_manifests.sql": "{% macro all_manifests() %}{{ raw_manifests() }}{% endmacro %}\n",
    "models/marts/manifest_counts.sql": "select count(*) as manifests from {{ all_manifests() }}\n",
    # A staging model that is not a view.
    "models/staging/reference/stg_reference__units_table.sql": (
        "{{ config(materialized='table') }}\nselect * from {{ source('reference', 'don_vi') }}\n"
    ),
}


def test_a_planted_violation_of_each_kind_is_named(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    for relative, text in PLANTED.items():
        (project / relative).write_text(text)
    # A model whose YAML sits in a shared file instead of beside it.
    (project / "models" / "marts" / "year_end_forecast.yml").rename(project / "models" / "marts" / "_shared.yml")
    data = tmp_path / "data"
    dbt_invoke(data, tmp_path, "parse", project=project)
    manifest = _manifest(tmp_path / "dbt_target")
    assert layer_violations(manifest) == [
        "dossier_api.dossiers: 2 staging models, not one",
        "int_raw_dossiers: intermediate reads source.parmetrics.dossier_api.dossiers",
        "int_raw_events: intermediate reads files with read_parquet",
        "manifest_counts: marts calls all_manifests, which reads files",
        "reference.don_vi: 2 staging models, not one",
        "stg_dossier_api__with_units: a staging model refs model.parmetrics.int_units",
        "stg_reference__units_table: a staging model is a table, not a view",
    ]
    assert yaml_violations(manifest) == [
        "int_raw_dossiers: described in no YAML, not models/intermediate/int_raw_dossiers.yml",
        "int_raw_dossiers: its description does not state its grain and key",
        "int_raw_events: described in no YAML, not models/intermediate/int_raw_events.yml",
        "int_raw_events: its description does not state its grain and key",
        "manifest_counts: described in no YAML, not models/marts/manifest_counts.yml",
        "manifest_counts: its description does not state its grain and key",
        "stg_dossier_api__with_units: described in no YAML, not "
        "models/staging/dossier_api/stg_dossier_api__with_units.yml",
        "stg_dossier_api__with_units: its description does not state its grain and key",
        "stg_reference__units_table: described in no YAML, not models/staging/reference/stg_reference__units_table.yml",
        "stg_reference__units_table: its description does not state its grain and key",
        "year_end_forecast: described in models/marts/_shared.yml, not models/marts/year_end_forecast.yml",
    ]
