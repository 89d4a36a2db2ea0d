"""The bad inputs the safety issue reported, each through the real CLI: an exit code, no hang.

Each runs in a child with a memory cap and a generous timeout: before the fixes these hung,
blew up or ended in "internal error"; now each is one or two lines naming the file.
"""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import ENVMAN, Envman, make_envman, unique

HANG = 60  # seconds: far beyond what any of these takes now (well under one)
MEMORY = 2 * 1024**3  # bytes of address space the child may map


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


@pytest.fixture
def envman(tmp_path: Path) -> Envman:
    return make_envman(tmp_path)


def run(envman: Envman, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [ENVMAN, *args],
            capture_output=True,
            text=True,
            env=envman.env,
            cwd=str(cwd or envman.work),
            timeout=HANG,
            preexec_fn=_cap_memory,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"envman {' '.join(args)} hung (no answer in {HANG} s)")


def assert_error(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    """The run failed with `code`, in at most two lines, without a traceback; its first line."""
    err = result.stderr + result.stdout
    assert result.returncode == code, err
    assert "Traceback" not in err and "internal error" not in err, err
    lines = result.stderr.strip().splitlines()
    error_at = next((i for i, line in enumerate(lines) if "error:" in line), 0)
    assert all(line.startswith("envman: ") for line in lines[:error_at]), result.stderr
    assert len(lines[error_at:]) <= 2, result.stderr
    for needle in needles:
        assert needle in err, err
    return err


def validate(envman: Envman, name: str, code: int, *needles: str) -> str:
    """`profile show NAME` fails as expected (show prints the error itself, unlike validate)."""
    return assert_error(run(envman, "profile", "show", name), code, *needles)


def alias_bomb() -> str:
    lines = ["envman: 1", 'a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


YAML_CASES = {
    "alias-bomb": (alias_bomb(), ":7: the document holds more than"),
    "self-alias": ("envman: 1\npackages: &a [*a]\n", ":2: the alias *a is inside"),
    "nesting": ("envman: 1\npackages: " + "[" * 1000 + "]" * 1000 + "\n", ":2: lists and"),
    "long-int": ("envman: 1\nversion: " + "1" * 5000 + "\n", ":2: '111"),
    "surrogate": ('envman: 1\nversion: "\\ud800"\n', ":2: a lone surrogate"),
    "bad-date": ("envman: 1\nversion: 2001-13-45\n", ":2: '2001-13-45' is not a valid"),
}


@pytest.mark.parametrize("case", sorted(YAML_CASES))
def test_hostile_yaml_is_a_syntax_error_with_file_and_line(envman: Envman, case: str) -> None:
    text, needle = YAML_CASES[case]
    path = envman.write_profile(case, text)
    validate(envman, case, ExitCode.PROFILE_SYNTAX, f"{path}{needle}")
    result = run(envman, "profile", "validate", case)
    assert_error(result, ExitCode.PROFILE_SYNTAX, f"{path}{needle}")


def test_a_huge_yaml_profile_is_refused_unread(envman: Envman) -> None:
    path = envman.write_profile("huge", "envman: 1\npackages:\n" + "  - git\n" * 1_300_000)
    validate(envman, "huge", ExitCode.PROFILE_SYNTAX, f"{path}: is larger than 64 KiB")


def test_diamond_includes_are_resolved_once_each(envman: Envman) -> None:
    depth = 30  # 2**30 resolutions without memoizing: hours
    envman.write_profile(f"a{depth}", "envman: 1\npackages: [git]\n")
    envman.write_profile(f"b{depth}", "envman: 1\npackages: [vim]\n")
    for level in range(depth):
        below = f"[a{level + 1}, b{level + 1}]"
        for side in "ab":
            envman.write_profile(f"{side}{level}", f"envman: 1\ninclude: {below}\n")
    result = run(envman, "profile", "show", "--json", "a0")
    assert result.returncode == 0, result.stderr
    assert '"git"' in result.stdout and '"vim"' in result.stdout


def containerfile_profile(envman: Envman, name: str, text: str) -> Path:
    directory = envman.work / "profiles" / name
    directory.mkdir(parents=True)
    (directory / "Containerfile").write_text(text, encoding="utf-8")
    return directory


def test_an_arg_expansion_bomb_is_a_syntax_error(envman: Envman) -> None:
    lines = ["ARG A0=" + "x" * 1000]
    lines += [f"ARG A{i}=" + f"$A{i - 1}" * 8 for i in range(1, 12)]
    text = "\n".join(["FROM docker.io/library/debian:bookworm", *lines, 'LABEL v="$A11"', ""])
    directory = containerfile_profile(envman, "argbomb", text)
    path = directory / "Containerfile"
    assert_error(
        run(envman, "profile", "show", str(path)),
        ExitCode.PROFILE_SYNTAX,
        f"{path}:6: ARG: variables expand to more than 1 MiB",
    )


def test_a_long_parser_directive_line_is_read_in_linear_time(envman: Envman) -> None:
    # The directive regex was quadratic in the spaces: this line took minutes.
    directive = "# check=a" + " " * 60_000 + "b"
    text = f"{directive}\nFROM docker.io/library/debian:bookworm\n"
    directory = containerfile_profile(envman, "directive", text)
    result = run(envman, "profile", "show", str(directory / "Containerfile"))
    assert result.returncode == 0, result.stderr


def test_a_fifo_as_build_context_file_is_refused(envman: Envman) -> None:
    text = "FROM docker.io/library/debian:bookworm\nCOPY pipe /pipe\n"
    directory = containerfile_profile(envman, "fifo", text)
    os.mkfifo(directory / "pipe")
    assert_error(
        run(envman, "profile", "show", str(directory / "Containerfile")),
        ExitCode.PROFILE_SCHEMA,
        f"{directory / 'Containerfile'}:2: COPY would copy 'pipe', which is not a regular file",
    )


def test_a_fifo_as_containerignore_is_refused(envman: Envman) -> None:
    text = "FROM docker.io/library/debian:bookworm\nCOPY data /data\n"
    directory = containerfile_profile(envman, "ignore", text)
    (directory / "data").write_text("x\n", encoding="utf-8")
    os.mkfifo(directory / ".containerignore")
    assert_error(
        run(envman, "profile", "show", str(directory / "Containerfile")),
        ExitCode.PROFILE_SYNTAX,
        f"{directory / '.containerignore'}: is a FIFO, not a regular file",
    )


def test_a_backtracking_ignore_pattern_does_not_hang(envman: Envman) -> None:
    name = "a" * 200  # a regex for this pattern backtracks for hours on this name
    text = f"FROM docker.io/library/debian:bookworm\nCOPY {name} /data\n"
    directory = containerfile_profile(envman, "globs", text)
    (directory / name).write_text("x\n", encoding="utf-8")
    (directory / ".containerignore").write_text("*a*a*a*a*a*a*a*a*b\n", encoding="utf-8")
    result = run(envman, "profile", "show", str(directory / "Containerfile"))
    assert result.returncode == 0, result.stderr


def test_a_non_utf8_build_containerfile_names_file_and_line(envman: Envman) -> None:
    envman.write_profile("latin", "envman: 1\nbuild: {containerfile: latin.Containerfile}\n")
    containerfile = envman.work / "profiles" / "latin.Containerfile"
    containerfile.write_bytes(b"FROM docker.io/library/debian:bookworm\nLABEL a=\xe9t\xe9\n")
    validate(envman, "latin", ExitCode.PROFILE_SYNTAX, f"{containerfile}:2: is not UTF-8 text")


def test_import_of_a_missing_file_is_profile_not_found(envman: Envman) -> None:
    missing = envman.root / "nonexistent.ini"
    result = run(envman, "profile", "import", str(missing))
    assert_error(result, ExitCode.PROFILE_NOT_FOUND, f"{missing}: No such file or directory")


def write_run_file(envman: Envman, name: str, data: bytes) -> Path:
    path = envman.root / "state" / "envman" / "run" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"container=x\nid=abc\nuser=\xff\n", "is not UTF-8 text"),
        (b"container=x\nuser=me\n", "has no container id"),
    ],
)
def test_a_damaged_run_file_is_state_corrupt(envman: Envman, data: bytes, problem: str) -> None:
    name = unique("itest-runfile")
    path = write_run_file(envman, name, data)
    result = run(envman, "run", name, "--", "true")
    err = assert_error(result, ExitCode.STATE_CORRUPT, str(path), problem)
    assert f"envman rm {name} --force-state" in err


@pytest.mark.podman
def test_a_state_file_holding_a_list_is_state_corrupt(envman: Envman) -> None:
    name = unique("itest-state")
    path = envman.root / "state" / "envman" / "envs" / f"{name}.json"
    path.parent.mkdir(parents=True)
    path.write_text("[]\n", encoding="utf-8")
    result = run(envman, "rm", "--yes", name)
    err = assert_error(result, ExitCode.STATE_CORRUPT, f"{path}: not a JSON object")
    assert f"envman rm {name} --force-state" in err


@pytest.mark.podman
def test_a_fifo_as_the_recorded_pidfile_does_not_hang_run(envman: Envman) -> None:
    name = unique("itest-pidfile")
    fifo = envman.root / "pidfile"
    os.mkfifo(fifo)
    write_run_file(envman, name, f"container={name}\nid={name}-gone\npidfile={fifo}\n".encode())
    result = run(envman, "run", name, "--", "true")
    assert_error(result, ExitCode.CONTAINER_FAILED, f"cannot start environment '{name}'")
