"""The package's floors: the pipeline never imports the lab or the CLI, and the CLI assembles its
commands with plain imports (no ``__import__``/``importlib`` hiding an import circle)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "include" / "parmetrics"


def package_of(path: Path) -> str:
    """The dotted package a file under ``include/`` belongs to (DAG files belong to none)."""
    if not path.is_relative_to(REPO / "include"):
        return ""
    return ".".join(path.relative_to(REPO / "include").parts[:-1])


def imported_modules(path: Path, package: str) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included), made absolute."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def pipeline_files() -> list[Path]:
    return [
        p
        for p in PACKAGE.rglob("*.py")
        if p.relative_to(PACKAGE).parts[0] not in {"lab", "cli"} and "__pycache__" not in p.parts
    ]


def test_the_pipeline_never_imports_the_lab_or_the_cli() -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(
            m for m in imported_modules(path, package_of(path)) if m.startswith(("parmetrics.lab", "parmetrics.cli"))
        )
        for path in [*pipeline_files(), *(REPO / "dags").glob("*.py")]
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_pipeline_is_most_of_the_package_and_the_lab_is_apart() -> None:
    # The check above must look at something: the pipeline's packages and the lab's exist where they are said to.
    pipeline = {p.relative_to(PACKAGE).parts[0] for p in pipeline_files()}
    assert {"sources", "landing", "quality", "transform", "reports", "orchestration"} <= pipeline
    assert {p.name for p in (PACKAGE / "lab").iterdir() if p.is_dir() and p.name != "__pycache__"} >= {
        "simulators",
        "soak",
        "bench",
        "runners",
    }


def test_the_cli_imports_plainly() -> None:
    for path in (PACKAGE / "cli").glob("*.py"):
        text = path.read_text()
        assert "__import__(" not in text and "importlib" not in text, path.name


def test_the_import_check_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    # A wrong walker would pass every real file; this one must catch both shapes of the import.
    sample = tmp_path / "probe.py"
    sample.write_text("def f():\n    from parmetrics.lab.demo import run_demo\n\nfrom ..lab import soak\n")
    found = imported_modules(sample, "parmetrics.orchestration")
    assert "parmetrics.lab.demo" in found
    assert "parmetrics.lab" in found and "parmetrics.lab.soak" in found
