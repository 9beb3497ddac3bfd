"""docs/ stands on its own and stays true: every generated table matches the code it is generated from,
the generator notices a stale one, and every relative link of README.md and docs/ resolves inside the
repository (to a file, and to a heading where the link names one)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from parmetrics import docs
from tests.conftest import REPO

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def test_every_generated_block_is_current():
    assert docs.stale() == [], "run make docs and commit the result"
    names = {m["name"] for p in docs.doc_files() for m in docs.BLOCK.finditer(p.read_text(encoding="utf-8"))}
    assert names == set(docs.GENERATORS), "every generator has its block, and no block is unknown"


def test_a_stale_block_is_named(tmp_path: Path):
    root = tmp_path / "docs"
    shutil.copytree(REPO / "docs", root)
    sources = root / "sources.md"
    text = sources.read_text(encoding="utf-8")
    assert "| `MaHoSo` | text | no |" in text
    sources.write_text(text.replace("| `MaHoSo` | text | no |", "| `MaHoSo` | text | yes |", 1), encoding="utf-8")
    assert docs.stale(root) == ["docs/sources.md: landing-schemas"]
    docs.write(root)
    assert docs.stale(root) == []
    assert sources.read_text(encoding="utf-8") == text


def test_an_expectation_without_severity_is_critical_and_a_warning_only_warns():
    no_severity = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "ma_khu_vuc"}}
    assert docs.severity(no_severity) == "critical"
    assert docs.severity({**no_severity, "severity": "warning"}) == "warning"
    assert docs.severity({**no_severity, "meta": {"severity": "WARNING"}}) == "warning"
    assert docs.describe(no_severity) == "`ma_khu_vuc` is never null"
    bounded = {"type": "expect_column_values_to_be_between", "kwargs": {"column": "x", "min_value": 0, "mostly": 0.99}}
    assert docs.describe(bounded) == "`x` ≥ 0 (for at least 99% of rows)"


def test_rules_say_what_breaking_them_does(tmp_path: Path, monkeypatch):
    suites = tmp_path / "expectations" / "landing"
    suites.mkdir(parents=True)
    (suites / "finance.thu_ngan_sach.json").write_text(
        '{"name": "s", "expectations": ['
        '{"type": "expect_column_values_to_be_unique", "kwargs": {"column": "ma_khu_vuc"}},'
        '{"type": "expect_column_values_to_be_between", "kwargs": {"column": "change", "max_value": 3},'
        ' "severity": "warning"}]}'
    )
    (suites / "dossier_api.dossiers.json").write_text(
        '{"name": "d", "expectations": [{"type": "expect_column_values_to_be_in_set",'
        ' "kwargs": {"column": "TrangThaiHoSo", "value_set": [1, 2]}}]}'
    )
    monkeypatch.setattr(docs, "EXPECTATIONS_DIR", tmp_path / "expectations")
    table = docs.landing_rules()
    assert "| `ma_khu_vuc` is unique | critical | file quarantined |" in table
    assert "| `change` ≤ 3 | warning | warning only (recorded, data lands) |" in table
    assert "| `TrangThaiHoSo` ∈ {1, 2} | critical | record quarantined |" in table


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {_slug(line.lstrip("#")) for line in lines if line.startswith("#")}


MARKDOWN = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


@pytest.mark.parametrize("page", MARKDOWN, ids=[str(p.relative_to(REPO)) for p in MARKDOWN])
def test_every_relative_link_resolves_inside_the_repository(page: Path):
    text = page.read_text(encoding="utf-8")
    links = [m for m in LINK.findall(text) if not re.match(r"^[a-z]+:", m)]
    for link in links:
        target, _, anchor = link.partition("#")
        resolved = (page.parent / target).resolve() if target else page
        assert resolved.is_relative_to(REPO), f"{link} leaves the repository"
        assert resolved.exists(), f"{page.name}: {link} does not exist"
        if anchor and resolved.suffix == ".md":
            assert anchor in _anchors(resolved), f"{page.name}: {link} names no heading of {resolved.name}"
