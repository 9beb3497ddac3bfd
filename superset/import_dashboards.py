"""Render the dashboards-as-code bundle for one data directory and import it into Superset.

``superset/dashboards`` holds Superset's import bundle as YAML (metadata.yaml, databases/, datasets/,
charts/, dashboards/). The only deployment-specific value is where the published DuckDB file lives:
the database YAML says ``${PARMETRICS_DATA_DIR}``, replaced here by an absolute path (``/data`` in
compose, a temporary directory in the tests).

Import goes through Superset's ``ImportAssetsCommand``, the importer meant for assets kept under
source control: it overwrites the database, datasets, charts and dashboards it finds by UUID, so a
changed chart in git replaces the stored one on the next start. (``superset import-dashboards``
overwrites dashboards only and keeps stale charts and datasets.)

    python superset/import_dashboards.py --data-dir /data --username admin
    python superset/import_dashboards.py --data-dir /data --zip out.zip   # the bundle only

The second form needs only the standard library; the first runs inside Superset's environment, with
``SUPERSET_CONFIG_PATH`` pointing at superset_config.py.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

BUNDLE_DIR = Path(__file__).resolve().parent / "dashboards"
PLACEHOLDER = "${PARMETRICS_DATA_DIR}"
# Superset reads bundles whose files sit under one top-level folder.
ZIP_ROOT = "par_metrics_dashboards"


def render_bundle(data_dir: str, bundle_dir: Path = BUNDLE_DIR) -> dict[str, str]:
    """Every YAML file of the bundle, keyed by its path in the bundle, with the data directory filled in."""
    if not data_dir.startswith("/"):
        raise ValueError(f"the data directory must be an absolute path, got {data_dir!r}")
    contents: dict[str, str] = {}
    for path in sorted(bundle_dir.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        contents[path.relative_to(bundle_dir).as_posix()] = text.replace(PLACEHOLDER, data_dir.rstrip("/"))
    if "metadata.yaml" not in contents:
        raise FileNotFoundError(f"no metadata.yaml under {bundle_dir}")
    if not any(PLACEHOLDER in (bundle_dir / name).read_text(encoding="utf-8") for name in contents):
        raise ValueError(f"no database in {bundle_dir} refers to {PLACEHOLDER}")
    return contents


def write_zip(contents: dict[str, str], out: Path) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, text in contents.items():
            bundle.writestr(f"{ZIP_ROOT}/{name}", text)


def import_into_superset(contents: dict[str, str], username: str) -> None:
    # Superset is only importable inside its own environment: import it here, not at module level.
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset.commands.exceptions import CommandInvalidError
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.utils.core import override_user

        from superset import security_manager

        user = security_manager.find_user(username=username)
        if user is None:
            raise SystemExit(f"no Superset user {username!r}: create it before importing")
        command = ImportAssetsCommand(contents)
        with override_user(user):
            try:
                command.validate()
            except CommandInvalidError as exc:
                # run() would hide these behind "Import failed for an unknown reason".
                raise SystemExit(f"the dashboards bundle does not validate: {exc.normalized_messages()}") from exc
            command.run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="absolute data directory holding published/")
    parser.add_argument("--username", help="import into Superset as this (admin) user")
    parser.add_argument("--zip", type=Path, help="write the rendered bundle to this ZIP file instead")
    args = parser.parse_args(argv)
    if (args.username is None) == (args.zip is None):
        parser.error("give exactly one of --username (import) or --zip (write the bundle)")
    contents = render_bundle(args.data_dir)
    if args.zip:
        write_zip(contents, args.zip)
        print(f"wrote {len(contents)} files to {args.zip}")
    else:
        import_into_superset(contents, args.username)
        print(f"imported {len(contents) - 1} assets from {BUNDLE_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
