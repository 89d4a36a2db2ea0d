"""host/read_trace.py records every host path a call opens, lists, stat's or changes, and says
when it cannot see everything; the stamp's signatures and its "too recent to tell" rule."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from envman.host.read_trace import changed_since, recording, signature


def test_reads_listings_probes_and_writes_are_recorded(tmp_path: Path) -> None:
    read, listed, written = tmp_path / "read", tmp_path / "dir", tmp_path / "written"
    read.write_text("x")
    listed.mkdir()
    with recording() as trace:
        read.read_text()
        os.listdir(listed)
        (tmp_path / "absent").exists()
        os.path.lexists(tmp_path / "link")
        written.write_text("y")
        (tmp_path / "moved").write_text("z")
        os.replace(tmp_path / "moved", tmp_path / "there")
        os.unlink(tmp_path / "there")
    assert {str(read), str(listed)} <= trace.read
    assert str(tmp_path / "absent") in trace.probed
    assert str(tmp_path / "link") in trace.lprobed
    assert {str(written), str(tmp_path / "moved"), str(tmp_path / "there")} <= trace.written
    assert not trace.opaque


def test_relative_paths_are_recorded_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with recording() as trace:
        Path("here").exists()
    assert str(tmp_path / "here") in trace.probed


def test_python_importing_a_module_is_not_an_input(tmp_path: Path) -> None:
    (tmp_path / "trace_probe_module.py").write_text("VALUE = 1\n")
    sys.path.insert(0, str(tmp_path))
    try:
        with recording() as trace:
            importlib.import_module("trace_probe_module")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("trace_probe_module", None)
    assert not any(p.startswith(str(tmp_path)) for p in trace.read | trace.probed)


def test_a_process_makes_the_record_opaque() -> None:
    with recording() as trace:
        subprocess.run(["true"], check=True)
    assert "process" in trace.opaque


def test_a_listing_by_descriptor_makes_the_record_opaque(tmp_path: Path) -> None:
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        with recording() as trace:
            os.listdir(fd)
    finally:
        os.close(fd)
    assert "descriptor" in trace.opaque


def test_os_stat_is_itself_again_afterwards_and_nothing_is_recorded_when_idle(
    tmp_path: Path,
) -> None:
    real = os.stat, os.lstat
    with recording() as trace:
        pass
    assert (os.stat, os.lstat) == real
    (tmp_path / "later").exists()
    assert not trace.probed


def test_signatures_say_what_each_use_needs(tmp_path: Path) -> None:
    file, folder = tmp_path / "file", tmp_path / "folder"
    file.write_text("abc")
    folder.mkdir()
    (tmp_path / "link").symlink_to(file)
    assert signature(str(tmp_path / "absent"), "stat") is None
    assert signature(str(folder), "stat") == "directory"
    assert isinstance(signature(str(folder), "read"), tuple)  # a listing: its content counts
    sig = signature(str(file), "stat")
    assert isinstance(sig, tuple) and sig[3] == 3
    assert signature(str(tmp_path / "link"), "lstat") != sig  # the link itself
    assert signature(str(tmp_path / "link"), "stat") == sig
    assert signature(str(file / "below"), "stat") is None


def test_a_file_changed_just_before_the_record_began_is_not_trusted() -> None:
    second = 1_000_000_000
    start = 1000 * second + 500_000_000
    fine_old = (0o100000, 1, 2, 3, start - second, start - second)
    fine_recent = (0o100000, 1, 2, 3, start - 50_000_000, start - 50_000_000)
    coarse_recent = (0o100000, 1, 2, 3, start - 500_000_000, start - 500_000_000)
    assert not changed_since(fine_old, start)
    assert changed_since(fine_recent, start)
    assert changed_since(coarse_recent, start)  # a whole-second clock: two seconds of doubt
    assert not changed_since(None, start) and not changed_since("directory", start)
