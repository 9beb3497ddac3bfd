"""``python -m parmetrics.catalogue --write`` regenerates the files that come from the catalogue;
``--check`` exits 1 naming the stale ones."""

from __future__ import annotations

import argparse
import sys

from parmetrics.catalogue.generate import stale_files, write_files
from parmetrics.config import REPO_ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite the generated files")
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated file is stale")
    args = parser.parse_args(argv)
    if args.write:
        for path in write_files():
            print(f"wrote {path.relative_to(REPO_ROOT)}")
        return 0
    stale = stale_files()
    for path in stale:
        print(f"stale: {path.relative_to(REPO_ROOT)} (run python -m parmetrics.catalogue --write)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
