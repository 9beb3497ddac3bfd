"""Write the workbook and the HTML report of a publication beside it, under ``published/reports/``.

Layout (all relative links, so the folder can be copied or served as it is)::

    published/reports/par_metrics_<stamp>.xlsx    one per publication, kept as long as publish keeps
    published/reports/par_metrics_<stamp>.html    the publication's version file
    published/reports/par_metrics_latest.{xlsx,html}   the current one (swapped in atomically)
    published/reports/dbt_docs.html               dbt's static docs (one self-contained file)

Each report is read from the publication's version file (``published/versions/``), which never
changes, so a publish racing ``parmetrics report`` cannot mix two publications in one report.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from parmetrics.config import DBT_PROJECT_DIR, Paths
from parmetrics.publish import KEEP_VERSIONS
from parmetrics.reports.data import ReportData, load_report_data, publication_stamp
from parmetrics.reports.excel import write_workbook
from parmetrics.reports.html import Link, render_html

log = logging.getLogger(__name__)
PREFIX = "par_metrics_"
LATEST = "latest"
DBT_DOCS = "dbt_docs.html"
_DBT_DOCS_KEY = ".dbt_docs.json"
_REPORT = re.compile(rf"^{PREFIX}(\d{{8}}T\d+Z)\.(xlsx|html)$")
# Everything dbt's docs are made of; the target, logs and installed packages are outputs or caches.
_DBT_SKIP = {"target", "logs", "dbt_packages"}
DEBRIS_AGE_S = 3600


@dataclass(frozen=True)
class ReportFiles:
    workbook: Path
    html: Path
    latest_workbook: Path
    latest_html: Path
    dbt_docs: Path | None
    gx_docs: Path | None


def reports_dir(paths: Paths) -> Path:
    return paths.published / "reports"


def gx_docs_index(paths: Paths) -> Path:
    # Where the quality gate renders Data Docs (quality/runner.py build_data_docs).
    return paths.root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


def _replace_atomically(source: Path, final: Path, *, link: bool = False) -> None:
    """Put ``source`` at ``final`` so a reader sees the old file or the new one, never half of one."""
    tmp = final.parent / f".{final.name}.{uuid.uuid4().hex}.tmp"
    if link:
        os.link(source, tmp)  # the latest copy shares the versioned file's bytes
    else:
        shutil.copyfile(source, tmp)
    os.replace(tmp, final)


def dbt_project_fingerprint() -> str:
    """A hash of the dbt project's files: the docs change only when the project does."""
    digest = hashlib.sha256()
    for path in sorted(DBT_PROJECT_DIR.rglob("*")):
        rel = path.relative_to(DBT_PROJECT_DIR)
        if rel.parts[0] in _DBT_SKIP or not path.is_file():
            continue
        digest.update(str(rel).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_dbt_docs(paths: Paths, out_dir: Path, *, force: bool = False) -> Path:
    """dbt's static docs, regenerated only when the dbt project changed since the last copy.

    ``dbt docs generate`` costs tens of seconds and every landing triggers a build and a publication;
    the docs describe the project (models, columns, lineage), which a publication does not change.
    ``--static`` inlines the manifest and catalog into one page that opens from a file (the plain
    index.html fetches them, which browsers refuse over file://). ``--no-compile`` reuses the
    build's parse: docs show each model's SQL, not its compiled form.
    """
    from parmetrics.transform.dbt_runner import run_dbt

    target = out_dir / DBT_DOCS
    key_file = out_dir / _DBT_DOCS_KEY
    fingerprint = dbt_project_fingerprint()
    fresh = target.exists() and key_file.exists() and json.loads(key_file.read_text()).get("project_sha256")
    if not force and fresh == fingerprint:
        return target
    result = run_dbt(paths, "docs", "generate", "--static", "--no-compile")
    static = result.target_path / "static_index.html"
    if not static.exists():
        raise FileNotFoundError(f"dbt docs generate wrote no {static}")
    _replace_atomically(static, target)
    tmp = out_dir / f".{_DBT_DOCS_KEY}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps({"project_sha256": fingerprint}))
    os.replace(tmp, key_file)
    return target


def _links(out_dir: Path, workbook: Path, dbt_docs: Path | None, gx: Path) -> list[Link]:
    return [
        Link("Bảng tính Excel của bản công bố này", workbook.name),
        Link(
            "Tài liệu mô hình dữ liệu (dbt docs)",
            os.path.relpath(dbt_docs, out_dir) if dbt_docs and dbt_docs.exists() else None,
            "chưa tạo được (xem nhật ký của bước công bố)",
        ),
        Link(
            "Kết quả kiểm tra chất lượng dữ liệu (GX Data Docs)",
            os.path.relpath(gx, out_dir) if gx.exists() else None,
            "chưa có (cổng chất lượng chưa chạy với Data Docs)",
        ),
    ]


def _prune(out_dir: Path, paths: Paths, keep_stamp: str) -> None:
    """Keep the reports of the publications publish keeps (versions/), and the current one."""
    kept = {
        m.group(1)
        for v in (paths.published / "versions").glob("par_metrics-*.duckdb")
        if (m := re.search(r"par_metrics-(\d{8}T\d+Z)\.duckdb$", v.name))
    }
    stamps = sorted(kept | {keep_stamp})[-max(KEEP_VERSIONS, 1) :]
    for path in out_dir.iterdir():
        match = _REPORT.match(path.name)
        if match and match.group(1) not in stamps:
            path.unlink(missing_ok=True)
    # A crashed run leaves hidden temporary files; a running one (`parmetrics report` beside a publish)
    # owns its own for seconds, so only old ones are debris.
    for debris in out_dir.glob(".*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            if time.time() - debris.stat().st_mtime > DEBRIS_AGE_S:
                debris.unlink(missing_ok=True)


def publication_version(paths: Paths, stamp: str) -> Path | None:
    """The never-changing version file of publication ``stamp``, if publish still keeps it."""
    version = paths.published / "versions" / f"par_metrics-{stamp}.duckdb"
    return version if version.exists() else None


def generate_reports(paths: Paths, *, stamp: str | None = None, dbt_docs: bool = True) -> ReportFiles:
    """Write both reports of the current publication (or of ``stamp``); returns where they are."""
    stamp = stamp or publication_stamp(paths)
    out_dir = reports_dir(paths)
    out_dir.mkdir(parents=True, exist_ok=True)
    data: ReportData = load_report_data(paths, stamp, database=publication_version(paths, stamp))
    docs = None
    if dbt_docs:
        try:
            docs = ensure_dbt_docs(paths, out_dir)
        except Exception:
            # The reports are worth writing without fresh docs (dbt may be holding the build file for
            # the next build when `parmetrics report` runs): link the previous docs if any.
            log.exception("dbt docs could not be generated; the report links to the previous ones, if any")
    if docs is None and (out_dir / DBT_DOCS).exists():
        docs = out_dir / DBT_DOCS
    workbook = out_dir / f"{PREFIX}{stamp}.xlsx"
    html = out_dir / f"{PREFIX}{stamp}.html"
    gx = gx_docs_index(paths)
    links = _links(out_dir, workbook, docs, gx)

    tmp_book = out_dir / f".{workbook.name}.{uuid.uuid4().hex}.tmp"
    tmp_html = out_dir / f".{html.name}.{uuid.uuid4().hex}.tmp"
    try:
        docs_text = {
            link.label: f"{link.href} (đường dẫn tương đối từ thư mục của tệp này)" if link.href else link.missing
            for link in links[1:]
        }
        write_workbook(data, tmp_book, docs_text)
        tmp_html.write_text(render_html(data, links), encoding="utf-8")
        os.replace(tmp_book, workbook)
        os.replace(tmp_html, html)
    finally:
        tmp_book.unlink(missing_ok=True)
        tmp_html.unlink(missing_ok=True)

    latest_book = out_dir / f"{PREFIX}{LATEST}.xlsx"
    latest_html = out_dir / f"{PREFIX}{LATEST}.html"
    _replace_atomically(workbook, latest_book, link=True)
    _replace_atomically(html, latest_html, link=True)
    _prune(out_dir, paths, stamp)
    log.info("reports of publication %s: %s, %s", stamp, workbook, html)
    return ReportFiles(workbook, html, latest_book, latest_html, docs, gx if gx.exists() else None)
