"""envman's JSON records (ledger, generations): damaged or newer files are clear errors."""

from __future__ import annotations

import pytest

from envman.errors import ExitCode, StateCorrupt
from envman.exports.ledger import load_ledger
from envman.generations import load_history
from envman.paths import Paths


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
