"""Every row of the scoring_rules seed, in both rule versions, agrees with METRICS.md §4–6: which levels a
criterion is scored for, its group, method, maximum, target, bands and zero-denominator rule.

The expected table is typed from METRICS.md, not read from the seed:
- §5: 766.1.1–766.1.3 are the province's only; every other 766 criterion (766.1.4 included: dossiers,
  so a row per unit by §3) applies to every level. Groups of 18 / 20 / 12 / 10 / 22 / 18 points (766.5.3,
  766.6.1 and 766.6.2 are not available and have no rule).
- §6: PAR.7.work_files_online has a target per level; PAR.8.enterprise_revenue_share and
  PAR.8.revenue_vs_estimate are the province's; PAR.8.new_enterprises the province's, districts' and
  communes'. Bands as the examples of §6; "else 0" is the method's default.
- §4: a zero denominator gives full points only where the denominator counts failures (PAR.3.apology:
  late dossiers); elsewhere the criterion is not applicable (PAR.3.expired_listed counts listed
  procedures, not failures).
"""

from __future__ import annotations

import csv
import json

from dbt_support import DBT_PROJECT

NA = "not_applicable"
ALL = ""  # a null unit_level: every level

# (criterion, level) -> (group, method, max, target, bands, zero denominator)
EXPECTED = {
    ("766.1.1", "province"): ("766.1", "proportional", 6, 1, None, NA),
    ("766.1.2", "province"): ("766.1", "proportional", 4, 1, None, NA),
    ("766.1.3", "province"): ("766.1", "proportional", 2, 1, None, NA),
    ("766.1.4", ALL): ("766.1", "proportional", 6, 1, None, NA),
    ("766.2.1", ALL): ("766.2", "proportional", 20, 1, None, NA),
    ("766.3.1", ALL): ("766.3", "proportional", 4, 0.8, None, NA),
    ("766.3.2", ALL): ("766.3", "proportional", 2, 1, None, NA),
    ("766.3.3", ALL): ("766.3", "proportional", 6, 0.5, None, NA),
    ("766.4.1", ALL): ("766.4", "proportional", 2, 0.8, None, NA),
    ("766.4.2", ALL): ("766.4", "proportional", 2, 0.8, None, NA),
    ("766.4.3", ALL): ("766.4", "proportional", 6, 1, None, NA),
    ("766.5.1", ALL): ("766.5", "proportional", 6, 1, None, NA),
    ("766.5.2", ALL): ("766.5", "proportional", 4, 0.8, None, NA),
    ("766.5.4", ALL): ("766.5", "proportional", 2, 0.8, None, NA),
    ("766.5.5", ALL): ("766.5", "proportional", 4, 1, None, NA),
    ("766.5.6", ALL): ("766.5", "proportional", 2, 1, None, NA),
    ("766.5.7", ALL): ("766.5", "proportional", 2, 1, None, NA),
    ("766.6.3", ALL): ("766.6", "proportional", 6, 0.9, None, NA),
    ("PAR.3.ontime", ALL): ("PAR.3", "bands", 2, None, [[1.0, 2.0], [0.98, 1.5], [0.95, 1.0], [0.9, 0.5]], NA),
    ("PAR.3.apology", ALL): ("PAR.3", "bands", 1, None, [[1.0, 1.0], [0.8, 0.5]], "full"),
    ("PAR.3.online_payment", ALL): ("PAR.3", "proportional", 1, 0.5, None, NA),
    ("PAR.3.online_dossiers", ALL): ("PAR.3", "proportional", 1, 0.5, None, NA),
    ("PAR.3.digitisation", ALL): ("PAR.3", "proportional", 1, 0.8, None, NA),
    ("PAR.3.components_attached", ALL): ("PAR.3", "bands", 1, None, [[1.0, 1.0], [0.95, 0.5]], NA),
    ("PAR.3.backdated", ALL): ("PAR.3", "bands_max", 1, None, [[0.0, 1.0], [0.01, 0.5]], NA),
    ("PAR.3.expired_listed", ALL): ("PAR.3", "zero_is_full", 0.5, None, None, NA),
    ("PAR.7.e_documents", ALL): ("PAR.7", "bands", 1, None, [[0.95, 1.0], [0.8, 0.5]], NA),
    ("PAR.7.national_axis", ALL): ("PAR.7", "proportional", 0.5, 0.9, None, NA),
    ("PAR.7.work_files_online", "province"): ("PAR.7", "proportional", 1, 0.9, None, NA),
    ("PAR.7.work_files_online", "department"): ("PAR.7", "proportional", 1, 0.9, None, NA),
    ("PAR.7.work_files_online", "district"): ("PAR.7", "proportional", 1, 0.8, None, NA),
    ("PAR.7.work_files_online", "commune"): ("PAR.7", "proportional", 1, 0.6, None, NA),
    ("PAR.1.tasks_on_time", ALL): ("PAR.1", "bands", 1.5, None, [[1.0, 1.5], [0.9, 1.0], [0.8, 0.5]], NA),
    ("PAR.6.disbursement", ALL): ("PAR.6", "bands", 1, None, [[0.95, 1.0], [0.8, 0.5]], NA),
    ("PAR.8.enterprise_revenue_share", "province"): ("PAR.8", "reported", 0, None, None, NA),
    ("PAR.8.revenue_vs_estimate", "province"): ("PAR.8", "bands", 0.5, None, [[1.0, 0.5]], NA),
    ("PAR.8.new_enterprises", "province"): ("PAR.8", "bands", 0.5, None, [[1.0, 0.5]], NA),
    ("PAR.8.new_enterprises", "district"): ("PAR.8", "bands", 0.5, None, [[1.0, 0.5]], NA),
    ("PAR.8.new_enterprises", "commune"): ("PAR.8", "bands", 0.5, None, [[1.0, 0.5]], NA),
}


def seed_rows() -> list[dict[str, str]]:
    with (DBT_PROJECT / "seeds" / "scoring_rules.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def as_expected(row: dict[str, str]) -> tuple:
    def number(text: str) -> float | None:
        return float(text) if text else None

    return (
        row["criterion_group"],
        row["method"],
        number(row["max_points"]),
        number(row["target"]),
        json.loads(row["bands"]) if row["bands"] else None,
        row["zero_denominator"],
    )


def test_every_row_of_both_versions_agrees_with_metrics_md() -> None:
    rows = seed_rows()
    for version in ("2022.1", "2025.1"):
        got = {(r["criterion_code"], r["unit_level"]): as_expected(r) for r in rows if r["rule_version"] == version}
        assert set(got) == set(EXPECTED), version
        differing = {key: (got[key], EXPECTED[key]) for key in EXPECTED if got[key] != EXPECTED[key]}
        assert not differing, (version, differing)
    assert {r["rule_version"] for r in rows} == {"2022.1", "2025.1"}


def test_the_766_groups_add_up_to_the_published_points() -> None:
    # Transparency 18, progress 20, online service 12, online payment 10, digitisation 22 (with 766.5.3's 2,
    # not available), satisfaction 18 (with 766.6.1 and 766.6.2's 6 + 6): 100 in all.
    unavailable = {"766.5": 2, "766.6": 12}
    totals: dict[str, float] = {}
    for r in seed_rows():
        if r["rule_version"] == "2025.1" and r["criterion_code"].startswith("766."):
            totals[r["criterion_group"]] = totals.get(r["criterion_group"], 0) + float(r["max_points"])
    with_unavailable = {g: p + unavailable.get(g, 0) for g, p in totals.items()}
    assert with_unavailable == {"766.1": 18, "766.2": 20, "766.3": 12, "766.4": 10, "766.5": 22, "766.6": 18}
