"""One name check for environments, profiles and sources, wherever a name is read."""

from __future__ import annotations

import pytest

from envman.errors import EnvNotFound, ExitCode, ProfileSchemaError, SourceNameError
from envman.exports.ledger import ledger_envs, ledger_file
from envman.history import history_file
from envman.names import is_name
from envman.paths import Paths
from envman.profile.model import FileLine
from envman.profile.validate import check_name
from envman.profile.yaml_format import read_yaml_profile
from envman.sources.names import check_source_name, parse_address
from envman.sources.sync import source_dir
from envman.state import run_file, state_file

BAD = [
    "x\n",
    "x\r",
    "\nx",
    "x\x1b[31m",
    "../x",
    "..",
    "a..b",
    "a/b",
    "/x",
    ".x",
    "-x",
    "_x",
    "",
    "x y",
    "x\x00",
    "é",
    "x" * 64,
]
ORIGIN = FileLine("test.yaml", 1)
GOOD = ["x", "ansible", "python3.9", "a_b-c.d", "X" * 63, "0day"]


@pytest.mark.parametrize("value", BAD)
def test_bad_names_are_refused_everywhere(value: str, paths: Paths) -> None:
    assert not is_name(value)
    with pytest.raises(ProfileSchemaError):
        check_name(value, ORIGIN)
    with pytest.raises(SourceNameError) as source:
        check_source_name(value)
    assert source.value.exit_code == ExitCode.SOURCE_NAME
    for to_path in (state_file, run_file, history_file, ledger_file):
        with pytest.raises(EnvNotFound):
            to_path(paths, value)
    with pytest.raises(SourceNameError):
        source_dir(paths, value)
    assert parse_address(f"{value}/tool@v1") is None
    assert parse_address(f"team/{value}") is None


@pytest.mark.parametrize("value", GOOD)
def test_plain_names_are_accepted(value: str, paths: Paths) -> None:
    assert is_name(value)
    assert check_name(value, ORIGIN) == value
    assert check_source_name(value) == value
    assert state_file(paths, value).name == f"{value}.json"


def test_a_profile_name_with_a_newline_fails_validation_not_up() -> None:
    with pytest.raises(ProfileSchemaError, match="is not a valid name"):
        read_yaml_profile('envman: 1\nname: "x\\n"\nimage: debian\n', "p.yaml", "p")
    with pytest.raises(ProfileSchemaError, match="is not a valid name"):
        read_yaml_profile("envman: 1\nimage: debian\n", "x\n.yaml", "x\n")


def test_ledgers_of_names_that_are_not_names_are_skipped(paths: Paths) -> None:
    directory = paths.state / "exports"
    directory.mkdir(parents=True)
    for stem in ("ok", "x\n", ".hidden", "a..b"):
        (directory / f"{stem}.json").write_text("{}")
    assert ledger_envs(paths) == ["ok"]
