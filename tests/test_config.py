"""Secret files are private (0600) from their first byte, whatever the umask."""

from __future__ import annotations

import json
import os
import stat
import threading

import pytest

from parmetrics.config import Paths, write_private_file


@pytest.fixture
def open_umask():
    """The most permissive umask: a file created with the default mode would be world-readable."""
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.fixture
def creations(monkeypatch, tmp_path):
    """The mode of every file under ``tmp_path`` at the moment it was created or linked into place,
    through any of the calls that can create one."""
    seen: list[tuple[str, int]] = []

    def record(path) -> None:
        path = os.fspath(path)
        if path.startswith(str(tmp_path)) and os.path.lexists(path):
            seen.append((os.path.basename(path), stat.S_IMODE(os.lstat(path).st_mode)))

    real_open, real_io_open, real_link, real_replace = os.open, __import__("io").open, os.link, os.replace

    def os_open(path, flags, mode=0o777, *a, **k):
        existed = os.path.lexists(path)
        fd = real_open(path, flags, mode, *a, **k)
        if not existed:
            record(path)
        return fd

    def io_open(file, mode="r", *a, **k):
        existed = isinstance(file, (str, os.PathLike)) and os.path.lexists(file)
        fh = real_io_open(file, mode, *a, **k)
        if isinstance(file, (str, os.PathLike)) and not existed:
            record(file)
        return fh

    def link(src, dst, *a, **k):
        real_link(src, dst, *a, **k)
        record(dst)

    def replace(src, dst, *a, **k):
        real_replace(src, dst, *a, **k)
        record(dst)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr("io.open", io_open)
    monkeypatch.setattr("builtins.open", io_open)
    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(os, "replace", replace)
    return seen


def test_the_demo_secrets_file_is_0600_from_its_first_byte(tmp_path, open_umask, creations):
    from parmetrics.lab.demo import demo_secrets

    values = demo_secrets(Paths(tmp_path))
    assert sorted(values) == ["dossier_api_token", "pseudonym_key"]
    assert ("secrets.json", 0o600) in creations
    assert creations and all(mode == 0o600 for _, mode in creations), creations
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secrets.json"]  # no temporary left behind
    # Generated once: a second call reads the same values.
    assert demo_secrets(Paths(tmp_path)) == values


def test_racing_writers_agree_on_one_secret_and_an_existing_file_wins(tmp_path, open_umask):
    target = tmp_path / "secrets.json"
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            write_private_file(target, json.dumps({"writer": i}), replace=False)
        except FileExistsError:
            pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    first = json.loads(target.read_text())
    with pytest.raises(FileExistsError):
        write_private_file(target, json.dumps({"writer": "late"}), replace=False)
    assert json.loads(target.read_text()) == first
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secrets.json"]


def test_a_planted_symlink_at_the_temporary_name_is_never_followed(tmp_path, open_umask, monkeypatch):
    outside = tmp_path / "outside.txt"
    outside.write_text("untouched")
    monkeypatch.setattr(os, "urandom", lambda n: b"\x00" * n)
    (tmp_path / f".args.json.{os.getpid()}.00000000.tmp").symlink_to(outside)
    with pytest.raises(FileExistsError):
        write_private_file(tmp_path / "args.json", "{}")
    assert outside.read_text() == "untouched"
