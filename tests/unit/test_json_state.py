"""envman's JSON records (state, generations, journal, ledger, sync record): clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import envman
from envman.errors import ExitCode, StateCorrupt
from envman.exports.ledger import load_ledger
from envman.history import load_history
from envman.host.readfile import STATE_MAX
from envman.journal import Journal, journal_file, load_journal, save_journal
from envman.paths import Paths
from envman.sources.layout import SourceDir, SyncRecord, read_sync_record, write_sync_record
from envman.state import load_state, state_file

ENVMAN = Path(envman.__file__).parent


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "Expecting property name"),
        ("[1, 2]", "not a JSON object"),
        ('{"version": 99, "exports": []}', "written by a newer envman"),
        ('{"version": 1, "exports": [{"kind": "app"}]}', "unexpected content"),
    ],
)
def test_a_damaged_ledger_is_a_clear_error(paths: Paths, text: str, message: str) -> None:
    path = paths.state / "exports" / "dev.json"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(StateCorrupt) as caught:
        load_ledger(paths, "dev")
    assert message in caught.value.message and caught.value.exit_code == ExitCode.STATE_CORRUPT
    assert str(path) in caught.value.message


def test_missing_records_are_empty(paths: Paths) -> None:
    assert load_ledger(paths, "dev").exports == ()
    assert load_history(paths, "dev").generations == ()


@pytest.mark.parametrize("current", ["1e999", "Infinity", "NaN"])
def test_a_history_with_an_endless_number_is_damaged_not_a_crash(
    paths: Paths, current: str
) -> None:
    path = paths.state / "generations" / "dev.json"
    path.parent.mkdir(parents=True)
    path.write_text(f'{{"version": 1, "generations": [], "current": {current}}}')
    with pytest.raises(StateCorrupt, match="unexpected content"):
        load_history(paths, "dev")


def test_a_damaged_history_names_its_file(paths: Paths) -> None:
    path = paths.state / "generations" / "dev.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "generations": [{"number": "x"}], "current": 1}')
    with pytest.raises(StateCorrupt) as caught:
        load_history(paths, "dev")
    assert f"{path}: unexpected content" in caught.value.message
    assert caught.value.hint is not None and "envman rm dev --force-state" in caught.value.hint


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "not a JSON object"),
        ('{"name": 5}', "'name' holds int"),
        ('{"visible_paths": [1]}', "'visible_paths' holds tuple"),
        ('{"state_version": "1"}', "state_version is not a number"),
        ('{"name": "\\ud800"}', "surrogates not allowed"),
        ("[" * 100_000 + "]" * 100_000, "maximum recursion depth"),
    ],
)
def test_a_damaged_state_file_names_rm_force_state(paths: Paths, text: str, message: str) -> None:
    path = state_file(paths, "dev")
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(StateCorrupt) as caught:
        load_state(paths, "dev")
    assert caught.value.message.startswith(str(path)) and message in caught.value.message
    assert caught.value.hint is not None and "`envman rm dev --force-state`" in caught.value.hint


def test_a_damaged_journal_is_a_clear_error(paths: Paths) -> None:
    path = journal_file(paths, "dev")
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "name": "dev"}')
    with pytest.raises(StateCorrupt) as caught:
        load_journal(paths, "dev")
    assert f"{path}: unexpected content" in caught.value.message
    path.write_text('{"version": 7, "name": "dev", "phase": "swap"}')
    with pytest.raises(StateCorrupt, match="written by a newer envman"):
        load_journal(paths, "dev")


def test_a_journal_round_trips(paths: Paths) -> None:
    journal = Journal("dev", "swap", old_id="a", new_id="b")
    save_journal(paths, journal)
    assert load_journal(paths, "dev") == journal


def _synced_dir(paths: Paths) -> SourceDir:
    directory = SourceDir(paths.sources / "team")
    (directory.root / "mirror-1").mkdir(parents=True)
    return directory


RECORD = SyncRecord("mirror-1", "main", "branch", "c" * 40, "https://h/t.git", "2026-01-01T00:00Z")


def test_a_sync_record_round_trips_through_the_shared_writer(paths: Paths) -> None:
    directory = _synced_dir(paths)
    write_sync_record(directory, RECORD)
    assert read_sync_record(directory) == RECORD
    assert json.loads(directory.record_file.read_text())["record_version"] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "Expecting property name"),
        ("[]", "not a JSON object"),
        ('{"record_version": "1"}', "record_version is not a number"),
        ('{"record_version": 9}', "written by a newer envman"),
        ('{"mirror": "m"}', "unexpected content"),
        (
            '{"mirror": 5, "ref": "r", "kind": "k", "commit": "c", "url": "u", "synced": "s"}',
            "'mirror' holds int",
        ),
        (
            '{"mirror": "../x", "ref": "r", "kind": "k", "commit": "c", "url": "u", "synced": "s"}',
            "bad mirror name",
        ),
        (
            '{"mirror": "", "ref": "r", "kind": "k", "commit": "c", "url": "u", "synced": "s"}',
            "bad mirror name",
        ),
        ('{"ref": "\\ud800"}', "surrogates not allowed"),
    ],
)
def test_a_damaged_sync_record_is_a_clear_error(paths: Paths, text: str, message: str) -> None:
    directory = _synced_dir(paths)
    directory.record_file.write_text(text)
    with pytest.raises(StateCorrupt) as caught:
        read_sync_record(directory)
    assert caught.value.message.startswith(str(directory.record_file))
    assert message in caught.value.message and caught.value.exit_code == ExitCode.STATE_CORRUPT
    newer = "newer" in message
    assert caught.value.hint == (
        "install a newer envman (`envman upgrade` upgrades environments, not envman)"
        if newer
        else "run `envman source sync` to replace it"
    )


def test_a_huge_sync_record_is_refused_not_read(paths: Paths) -> None:
    directory = _synced_dir(paths)
    directory.record_file.write_text('{"ref": "' + "x" * (STATE_MAX + 10) + '"}')
    with pytest.raises(StateCorrupt, match="more than envman reads"):
        read_sync_record(directory)


def test_every_record_kind_reads_through_json_state() -> None:
    # One reader: no record module parses JSON or writes its file itself.
    for module in (
        "state.py",
        "history.py",
        "journal.py",
        "exports/ledger.py",
        "sources/layout.py",
    ):
        text = (ENVMAN / module).read_text()
        assert "json.loads" not in text and "json.dumps" not in text, module
        assert "read_json_record" in text or "from envman.history" in text, module
