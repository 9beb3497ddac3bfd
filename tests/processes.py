"""Scanning this machine's processes without tripping over the ones that cannot be read.

``psutil.process_iter(attrs)`` gives ``None`` for an attribute it may not read — a zombie's command line,
another user's environment — and a process can vanish between the listing and the read. Every process
scan in the tests goes through here so that any real machine (which has both) passes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psutil


def processes_where(attr: str, matches: Callable[[Any], bool]) -> list[psutil.Process]:
    """The processes whose ``attr`` (``cmdline``, ``environ``, …) could be read and ``matches`` it."""
    empty: Any = {} if attr == "environ" else []
    found = []
    for proc in psutil.process_iter([attr]):
        try:
            value = proc.info.get(attr)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        if matches(value if value is not None else empty):
            found.append(proc)
    return found


def processes_with_module(module: str) -> list[psutil.Process]:
    """Processes started as ``python -m module`` (or with it anywhere on their command line)."""
    return processes_where("cmdline", lambda cmdline: module in cmdline)


def processes_with_env(name: str, value: str) -> list[psutil.Process]:
    return processes_where("environ", lambda environ: environ.get(name) == value)
