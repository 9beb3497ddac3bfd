"""The dashboards bundle holds together before any Superset reads it (fast: part of `make test`).

Superset's importer accepts a chart that names a column its dataset lacks, and the chart then fails only
when someone opens it; these checks find such a slip in the YAML at once. The render in a real Superset
(test_dashboards.py, `make test-superset`) is what shows the charts work.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

BUNDLE = Path(__file__).resolve().parents[2] / "superset" / "dashboards"
CONFIG = BUNDLE.parent / "superset_config.py"
GROUP_METRICS = (
    "avg_transparency_points",
    "avg_progress_points",
    "avg_online_service_points",
    "avg_online_payment_points",
    "avg_digitisation_points",
    "avg_satisfaction_points",
)


def load(kind: str) -> dict[str, dict[str, Any]]:
    return {
        doc["uuid"]: doc
        for doc in (yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((BUNDLE / kind).rglob("*.yaml")))
    }


DATABASES, DATASETS, CHARTS, DASHBOARDS = (load(k) for k in ("databases", "datasets", "charts", "dashboards"))


def names(dataset: dict[str, Any]) -> tuple[set[str], set[str]]:
    return {c["column_name"] for c in dataset["columns"]}, {m["metric_name"] for m in dataset["metrics"]}


def _chart_nodes(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in dashboard["position"].values() if isinstance(n, dict) and n.get("type") == "CHART"]


def chart_references(params: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The columns and the saved metrics a chart's parameters name."""
    columns: set[str] = set()
    for key in ("all_columns", "groupby", "groupbyRows", "groupbyColumns"):
        columns.update(params.get(key) or [])
    if params.get("x_axis"):
        columns.add(params["x_axis"])
    columns.update(json.loads(entry)[0] for entry in params.get("order_by_cols") or [])
    columns.update(f["subject"] for f in params.get("adhoc_filters") or [] if f.get("expressionType") == "SIMPLE")
    metrics = set(params.get("metrics") or [])
    for key in ("metric", "timeseries_limit_metric"):
        if params.get(key):
            metrics.add(params[key])
    return columns, metrics


@pytest.mark.parametrize("uuid", sorted(CHARTS), ids=lambda u: CHARTS[u]["slice_name"])
def test_every_chart_names_only_what_its_dataset_has(uuid: str) -> None:
    chart = CHARTS[uuid]
    dataset = DATASETS[chart["dataset_uuid"]]
    assert dataset["database_uuid"] in DATABASES
    columns, metrics = names(dataset)
    used_columns, used_metrics = chart_references(chart["params"])
    assert used_columns <= columns, f"columns not in {dataset['table_name']}: {used_columns - columns}"
    assert used_metrics <= metrics, f"metrics not in {dataset['table_name']}: {used_metrics - metrics}"
    assert set(chart["params"].get("column_config") or {}) <= columns | metrics
    sort = chart["params"].get("x_axis_sort")
    assert sort is None or sort in used_metrics | {chart["params"].get("x_axis")}, "sorted by what it draws"


@pytest.mark.parametrize("uuid", sorted(DASHBOARDS), ids=lambda u: DASHBOARDS[u]["slug"])
def test_every_dashboard_places_bundle_charts_and_filters_bundle_columns(uuid: str) -> None:
    dashboard = DASHBOARDS[uuid]
    placed = {node["meta"]["chartId"]: node["meta"]["uuid"] for node in _chart_nodes(dashboard)}
    assert set(placed.values()) <= set(CHARTS), "every chart placed is in the bundle"
    assert len(set(placed.values())) == len(placed), "each chart placed once, under its own local id"
    for node in _chart_nodes(dashboard):
        assert node["meta"]["sliceName"] == CHARTS[node["meta"]["uuid"]]["slice_name"]
    for native in dashboard["metadata"]["native_filter_configuration"]:
        for target in native["targets"]:
            assert target["column"]["name"] in names(DATASETS[target["datasetUuid"]])[0], native["name"]
        assert set(native["scope"]["excluded"]) <= set(placed), f"{native['name']} excludes charts it places"


def test_each_criterion_group_has_one_colour_in_every_chart() -> None:
    """Superset colours a chart's series from its scheme in the order it lists them: charts that draw the
    groups list them by name, and the names start with the group's code, so the order (and the colour) of
    each group is the same in every chart and every view."""
    scorecard = next(d for d in DATASETS.values() if d["table_name"] == "scorecard_766_for_dashboards")
    verbose = {m["metric_name"]: m["verbose_name"] for m in scorecard["metrics"]}
    labels = [verbose[m] for m in GROUP_METRICS]
    assert [label.split(" ")[0] for label in labels] == ["766.1", "766.2", "766.3", "766.4", "766.5", "766.6"]
    assert sorted(labels) == labels
    drawing_groups = [c for c in CHARTS.values() if set(c["params"].get("metrics") or []) & set(GROUP_METRICS)]
    assert len(drawing_groups) >= 2, "the 766 dashboard and the unit trend both draw the groups"
    for chart in drawing_groups:
        assert chart["params"]["color_scheme"] == "par_766_groups", chart["slice_name"]
        assert chart["params"]["sort_series_type"] == "name" and chart["params"]["sort_series_ascending"]
    spec = importlib.util.spec_from_file_location("bundle_superset_config", CONFIG)
    config = importlib.util.module_from_spec(spec)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SUPERSET_SECRET_KEY", "x" * 32)
        spec.loader.exec_module(config)
    schemes = {s["id"]: s["colors"] for s in config.EXTRA_CATEGORICAL_COLOR_SCHEMES}
    assert len(set(schemes["par_766_groups"])) == len(GROUP_METRICS), "six distinct colours, one per group"
    for chart in CHARTS.values():
        scheme = chart["params"].get("color_scheme")
        assert scheme is None or scheme in schemes or scheme == "supersetColors", chart["slice_name"]
    for dashboard in DASHBOARDS.values():
        if any(CHARTS[n["meta"]["uuid"]]["params"].get("color_scheme") in schemes for n in _chart_nodes(dashboard)):
            # A dashboard scheme would repaint the charts with its own colours.
            assert dashboard["metadata"]["color_scheme"] is None, dashboard["slug"]


def _chart_named(file_name: str) -> dict[str, Any]:
    return yaml.safe_load((BUNDLE / "charts" / file_name).read_text(encoding="utf-8"))


def test_every_dossier_list_shows_the_dossier_number_first() -> None:
    for file_name in ("overdue_list.yaml", "violations_list.yaml", "due_soon_list.yaml"):
        chart = _chart_named(file_name)
        assert chart["params"]["all_columns"][0] == "dossier_code", file_name
        assert "dossier_key" not in chart["params"]["all_columns"], f"{file_name}: the hash stays out of sight"
        dataset = DATASETS[chart["dataset_uuid"]]
        verbose = {c["column_name"]: c.get("verbose_name") for c in dataset["columns"]}
        assert verbose["dossier_code"] == "Số hồ sơ", file_name


def test_the_due_soon_row_sits_between_overdue_and_violations_outside_the_year_filter() -> None:
    lists = next(d for d in DASHBOARDS.values() if d["slug"] == "ho-so-qua-han-vi-pham")
    assert lists["position"]["GRID_ID"]["children"] == [
        "ROW-overdue",
        "ROW-due-soon",
        "ROW-violations",
        "ROW-violation-list",
    ]
    due_soon = lists["position"]["ROW-due-soon"]["children"]
    ids = {lists["position"][node]["meta"]["uuid"]: lists["position"][node]["meta"]["chartId"] for node in due_soon}
    count, listed = _chart_named("due_soon_count.yaml"), _chart_named("due_soon_list.yaml")
    assert set(ids) == {count["uuid"], listed["uuid"]}
    assert DATASETS[count["dataset_uuid"]]["sql"].count("from marts.due_soon_dossiers") == 1
    year = next(
        f for f in lists["metadata"]["native_filter_configuration"] if f["id"] == "NATIVE_FILTER-violations-year"
    )
    overdue = [lists["position"][node]["meta"]["chartId"] for node in lists["position"]["ROW-overdue"]["children"]]
    assert set(year["scope"]["excluded"]) == set(overdue) | set(ids.values()), "only violations follow the year"


def test_the_766_charts_rank_by_the_marts_units_in_force() -> None:
    scorecard = next(d for d in DATASETS.values() if d["table_name"] == "scorecard_766_for_dashboards")
    assert "union all by name" not in scorecard["sql"].lower(), "the marts publish is_unit_in_force"
    columns = {c["column_name"] for c in scorecard["columns"]}
    assert {"is_unit_in_force", "rank_in_level"} <= columns and "rank_shown" not in columns
    ranking = []
    for chart in CHARTS.values():
        filters = chart["params"].get("adhoc_filters") or []
        if any(f.get("filterOptionName", "").endswith("_ranked") for f in filters):
            ranking.append(chart)
            (ranked,) = [f for f in filters if f["filterOptionName"].endswith("_ranked")]
            assert (ranked["subject"], ranked["operator"]) == ("is_unit_in_force", "IS TRUE"), chart["slice_name"]
    assert len(ranking) >= 4, "the ranking table, the level charts and the group averages"
