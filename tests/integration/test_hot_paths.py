"""`envman ls` and a no-change `envman up NAME` load neither typer nor podman-py, nor the
registry client and cryptography a team-image lookup needs (issue 13); `ls` not even yaml.

Each runs the real entry point in a subprocess that reports, when it exits, which of the heavy
modules it loaded; the same command through typer (run_app) must print the same.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from tests.integration.envman_cli import PROFILE_IMAGE, Envman, make_envman, unique

pytestmark = pytest.mark.podman

HEAVY = ("typer", "rich", "podman", "requests", "http.client", "tarfile", "yaml", "cryptography")
REPORT = (
    "import atexit, sys; "
    f"atexit.register(lambda: sys.stderr.write('\\nloaded: ' + ' '.join("
    f"m for m in {HEAVY!r} if m in sys.modules)))"
)
ENTRY = REPORT + "; from envman.cli import main; sys.argv[0] = 'envman'; main()"
TYPER = REPORT + "; from envman.cli.app import run_app; run_app(sys.argv[1:])"


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Envman, str]]:
    envman = make_envman(tmp_path_factory.mktemp("hot"))
    name = unique("itest-hot")
    envman.write_profile(name, f"envman: 1\nimage: {PROFILE_IMAGE}\n")
    envman.run("up", name, check=True)
    yield envman, name
    envman.run("rm", "--yes", name)


def python(envman: Envman, code: str, *argv: str) -> tuple[int, str, str, list[str]]:
    """(exit code, stdout, stderr, heavy modules loaded) of `code` run with argv."""
    result = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        env=envman.env,
        cwd=envman.work,
        check=False,
        timeout=300,
    )
    err, _, loaded = result.stderr.rpartition("\nloaded: ")
    return result.returncode, result.stdout, err, loaded.split()


def row(out: str, name: str) -> str:
    return next(line for line in out.splitlines() if line.split()[:1] == [name])


def test_ls_lists_without_typer_or_podman_py(box: tuple[Envman, str]) -> None:
    envman, name = box
    code, out, _, loaded = python(envman, ENTRY, "ls")
    assert (code, loaded) == (0, [])
    assert out.splitlines()[0].split() == ["NAME", "STATE", "VERSION", "HASH", "IMAGE", "PROFILE"]
    assert row(out, name).split()[1:2] == ["running"]
    typer_code, typer_out, _, typer_loaded = python(envman, TYPER, "ls")
    assert typer_code == 0 and "typer" in typer_loaded
    assert row(out, name) == row(typer_out, name)


def test_a_no_change_up_runs_without_typer_or_podman_py(box: tuple[Envman, str]) -> None:
    envman, name = box
    code, out, err, loaded = python(envman, ENTRY, "up", name)
    assert (code, err, loaded) == (0, "", ["yaml"])  # the profile is YAML
    assert out.startswith(f"{name}: up-to-date (image localhost/envman/{name}:")
    assert python(envman, TYPER, "up", name)[:3] == (code, out, err)


def test_errors_on_the_plain_path_are_the_clis(box: tuple[Envman, str]) -> None:
    envman, name = box
    typo = name[:-1] + ("x" if name[-1] != "x" else "y")
    code, out, err, _ = python(envman, ENTRY, "up", typo)
    assert (code, out) == (ExitCode.PROFILE_NOT_FOUND, "")
    assert err.splitlines()[0] == f"envman: error: no profile named '{typo}'"
    assert err.splitlines()[1].startswith(f"hint: did you mean '{name}'?")
    assert python(envman, TYPER, "up", typo)[:3] == (code, out, err)


def test_a_service_still_starting_gets_woken_and_run_execs_podman(
    box: tuple[Envman, str], tmp_path: Path
) -> None:
    # A socket-activated service that is not running: systemd accepts the connection and holds
    # it until podman is up. envman waits no longer than its ping timeout, leaves the service
    # coming up for the next call, and runs this one with `podman exec`.
    envman, name = box
    sock_path = tmp_path / "envman" / "podman.sock"
    sock_path.parent.mkdir(mode=0o700)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(sock_path))
        listener.listen(4)
        result = envman.run(
            "run", name, "--", "echo", "via-exec", extra_env={"XDG_RUNTIME_DIR": str(tmp_path)}
        )
        assert (result.returncode, result.stdout, result.stderr) == (0, "via-exec\n", "")
        listener.setblocking(False)
        woken, _ = listener.accept()  # the connection that starts the service was made
        woken.close()
    finally:
        listener.close()
