"""envman's JSON records (ledger, generations): damaged or newer files are clear errors."""

from __future__ import annotations

import pytest

from envman.errors import ExitCode, StateCorrupt
from envman.exports.ledger import load_ledger
from envman.history import load_history
from envman.paths import Paths
from envman.state import load_state, state_file


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
