"""Bad input through the real CLI: a line naming file:line and key, a hint, a distinct code."""

from __future__ import annotations

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import Envman


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("text", "code", "first_line"),
    [
        ("envman: 1\npackages: [git\n", ExitCode.PROFILE_SYNTAX, "envman: error: {p}:3:"),
        (
            "envman: 1\npackges: [git]\n",
            ExitCode.PROFILE_SCHEMA,
            "envman: error: {p}:2: packges: unknown key",
        ),
        (
            "envman: 1\nintegration: {audio: 3}\n",
            ExitCode.PROFILE_SCHEMA,
            "envman: error: {p}:2: integration.audio: must be true or false",
        ),
    ],
)
def test_bad_profiles(envman: Envman, text: str, code: int, first_line: str) -> None:
    path = envman.write_profile("bad", text)
    for command in (["up", "bad"], ["profile", "show", "bad"], ["profile", "validate", "bad"]):
        result = envman.run(*command)
        assert result.returncode == code, (command, result.stderr, result.stdout)
        if command[1] != "validate":
            out = lines(result.stderr)
            assert out[0].startswith(first_line.format(p=path)), out
            assert len(out) <= 2 and "Traceback" not in result.stderr


def test_missing_profile(envman: Envman) -> None:
    result = envman.run("up", "does-not-exist")
    assert result.returncode == ExitCode.PROFILE_NOT_FOUND
    assert lines(result.stderr) == [
        "envman: error: no profile named 'does-not-exist'",
        lines(result.stderr)[1],
    ] and lines(result.stderr)[1].startswith("hint: looked in ")


def test_usage_error_exit_code(envman: Envman) -> None:
    assert envman.run("up").returncode == ExitCode.USAGE
    assert envman.run("run").returncode == ExitCode.USAGE


@pytest.mark.parametrize(
    "args",
    [
        ["profile", "export", "box", "--format", "toml"],
        ["profile", "export", "box", "-f", ""],
        ["config", "keep-generations", "0"],
        ["config", "keep-generations", "-1"],
        ["gc", "--keep", "-1"],
        ["gc", "--keep", "x"],
    ],
)
def test_bad_option_values_are_usage_errors(envman: Envman, args: list[str]) -> None:
    envman.write_profile("box", "envman: 1\nimage: debian\n")
    result = envman.run(*args)
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert "Traceback" not in result.stderr


def test_every_container_failure_has_a_hint() -> None:
    from envman.errors import ContainerFailed

    assert ContainerFailed("podman said no").hint
    assert ContainerFailed("podman said no", "a better one").hint == "a better one"
