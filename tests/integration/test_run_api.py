"""`envman run` over podman's API socket, side by side with `podman exec` on the same container.

ENVMAN_RUN_VIA=api makes envman refuse the `podman exec` fallback, so these tests fail rather than
pass on the old path; ENVMAN_RUN_VIA=podman forces the fallback.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pty
import struct
import subprocess
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import ENVMAN, PROFILE_IMAGE, Envman, make_envman, podman, unique
from tests.integration.terminal import exit_status, read_until

pytestmark = pytest.mark.podman

API = {"ENVMAN_RUN_VIA": "api"}


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Envman, str]]:
    envman = make_envman(tmp_path_factory.mktemp("api"))
    name = unique("itest-api")
    envman.write_profile(name, f"envman: 1\nimage: {PROFILE_IMAGE}\n")
    envman.run("up", name, check=True)
    yield envman, name
    envman.run("rm", "--yes", name)


def both(
    envman: Envman, name: str, argv: list[str], stdin: bytes = b""
) -> tuple[subprocess.CompletedProcess[bytes], subprocess.CompletedProcess[bytes]]:
    """The same command through envman (API path) and through `podman exec -i`."""
    ours = subprocess.run(
        [ENVMAN, "run", name, "--", *argv],
        input=stdin,
        capture_output=True,
        env={**envman.env, **API},
        cwd="/",
        check=False,
        timeout=120,
    )
    theirs = subprocess.run(
        ["podman", "exec", "-i", "-w", "/", name, *argv],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=120,
    )
    return ours, theirs


def test_stdout_and_stderr_stay_apart_and_the_status_passes(box: tuple[Envman, str]) -> None:
    envman, name = box
    ours, theirs = both(envman, name, ["sh", "-c", "echo out; echo err >&2; echo out2; exit 3"])
    assert (ours.stdout, ours.stderr, ours.returncode) == (b"out\nout2\n", b"err\n", 3)
    assert (ours.stdout, ours.stderr, ours.returncode) == (
        theirs.stdout,
        theirs.stderr,
        theirs.returncode,
    )


def test_stdin_is_piped_through_to_eof(box: tuple[Envman, str]) -> None:
    envman, name = box
    data = os.urandom(1_000_000)
    ours, theirs = both(envman, name, ["sha256sum"], stdin=data)
    assert ours.stdout == theirs.stdout
    assert ours.stdout.split()[0].decode() == hashlib.sha256(data).hexdigest()
    small, _ = both(envman, name, ["cat"], stdin=b"hi\n")
    assert small.stdout == b"hi\n"


def test_ten_megabytes_of_binary_output_are_byte_exact(
    box: tuple[Envman, str], tmp_path: Path
) -> None:
    envman, name = box
    blob = Path("/tmp") / f"envman-blob-{unique('b')}"  # /tmp is shared with the container
    blob.write_bytes(os.urandom(10_000_000))
    try:
        ours, theirs = both(envman, name, ["cat", str(blob)])
        assert ours.returncode == 0 and ours.stdout == blob.read_bytes() == theirs.stdout
    finally:
        blob.unlink()


def test_a_missing_command_is_one_line_and_127(box: tuple[Envman, str]) -> None:
    envman, name = box
    ours, theirs = both(envman, name, ["no-such-command-here"])
    assert ours.returncode == theirs.returncode == 127
    lines = ours.stderr.decode().splitlines()
    assert lines[0] == "envman: error: 'no-such-command-here' was not found in the environment"
    assert "runc" not in ours.stderr.decode()


def _spawn_in_pty(envman: Envman, argv: list[str], rows: int, cols: int) -> tuple[int, int]:
    pid, master = pty.fork()
    if pid == 0:  # the child: envman on a terminal of the given size
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.chdir("/")
        os.execve(ENVMAN, [ENVMAN, *argv], {**envman.env, **API, "TERM": "xterm"})
    return pid, master


def test_a_terminal_gets_raw_mode_its_size_and_resizes(box: tuple[Envman, str]) -> None:
    envman, name = box
    script = "stty size; stty -a | grep -o -- '-icanon' || true; read x; stty size; exit 4"
    pid, master = _spawn_in_pty(envman, ["run", name, "--", "sh", "-c", script], 33, 111)
    try:
        assert b"33 111" in read_until(master, b"33 111")
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        time.sleep(0.5)  # SIGWINCH reaches envman, which resizes the session
        os.write(master, b"\n")
        assert b"40 120" in read_until(master, b"40 120")
    finally:
        assert exit_status(pid) == 4
        os.close(master)


def test_ctrl_c_on_a_terminal_reaches_the_command(box: tuple[Envman, str]) -> None:
    envman, name = box
    script = "trap 'echo got-int; exit 7' INT; echo ready; while :; do sleep 0.1; done"
    pid, master = _spawn_in_pty(envman, ["run", name, "--", "sh", "-c", script], 24, 80)
    try:
        assert b"ready" in read_until(master, b"ready")
        os.write(master, b"\x03")
        assert b"got-int" in read_until(master, b"got-int")
    finally:
        assert exit_status(pid) == 7
        os.close(master)


def test_a_stopped_environment_is_started_first(box: tuple[Envman, str]) -> None:
    envman, name = box
    envman.run("stop", name, check=True)
    ours, _ = both(envman, name, ["echo", "back"])
    assert ours.returncode == 0 and ours.stdout == b"back\n"


def test_fallback_without_a_service_is_podman_exec(box: tuple[Envman, str]) -> None:
    envman, name = box
    result = envman.run(
        "run",
        name,
        "--",
        "sh",
        "-c",
        "echo via-cli; exit 6",
        extra_env={"ENVMAN_RUN_VIA": "podman"},
    )
    assert (result.stdout, result.returncode) == ("via-cli\n", 6)
    dead = envman.run("run", name, "--", "true", extra_env={"XDG_RUNTIME_DIR": "/nonexistent"})
    assert dead.returncode == 0


def test_a_container_removed_meanwhile_is_a_clear_error(tmp_path: Path) -> None:
    envman = make_envman(tmp_path)
    name = unique("itest-gone")
    envman.write_profile(name, f"envman: 1\nimage: {PROFILE_IMAGE}\n")
    envman.run("up", name, check=True)
    try:
        podman("rm", "-f", name)
        gone = envman.run("run", name, "--", "true", extra_env=API)
        assert gone.returncode in (ExitCode.ENV_NOT_FOUND, ExitCode.CONTAINER_FAILED), gone.stderr
        assert gone.stderr.startswith("envman: error:") and "\nhint: " in gone.stderr
        assert "envman up" in gone.stderr
    finally:
        envman.run("rm", "--yes", name)
