"""One writer for the team sources: concurrent add/sync/rm never report success and lose it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from envman.errors import ExitCode
from envman.host.writer_locks import hold, sources_lock
from envman.paths import Paths
from tests.integration.envman_cli import ENVMAN, Envman
from tests.sources.conftest import Keys, TeamRepo
from tests.sources.test_cli import error_lines

BUSY = "envman: error: busy: another envman"


@pytest.fixture
def envman(git_home: Keys, tmp_path: Path) -> Envman:
    return Envman(tmp_path, dict(os.environ))


@pytest.fixture
def repo(make_repo: Callable[[str], TeamRepo]) -> TeamRepo:
    repo = make_repo("team")
    repo.write("profiles/tool.yaml", "envman: 1\npackages: [one]\n")
    repo.commit("first")
    return repo


def start(envman: Envman, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [ENVMAN, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=envman.env,
        cwd=envman.work,
    )


def finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        outcomes.append((proc.returncode, out, err))
    return outcomes


def recorded(envman: Envman) -> list[str]:
    return [row["name"] for row in envman.json("source", "list")]


def busy(rc: int, err: str) -> bool:
    return rc == ExitCode.BUSY and err.startswith(BUSY) and "--wait" in err


def test_concurrent_adds_are_all_recorded_or_refused_as_busy(
    envman: Envman, repo: TeamRepo
) -> None:
    names = [f"team{i}" for i in range(4)]
    procs = [start(envman, "source", "add", name, str(repo.remote)) for name in names]
    outcomes = finish(procs)
    kept = recorded(envman)
    for name, (rc, out, err) in zip(names, outcomes, strict=True):
        if rc == 0:
            assert out.startswith(f"{name}: synced branch main at "), out
            assert name in kept, f"{name} said synced but was lost: {kept}"
        else:
            assert busy(rc, err), (rc, err)
            assert name not in kept
    assert any(rc == 0 for rc, _, _ in outcomes)


def test_two_adds_of_one_name_one_wins(envman: Envman, repo: TeamRepo) -> None:
    procs = [start(envman, "source", "add", "team", str(repo.remote)) for _ in range(2)]
    outcomes = sorted(finish(procs))
    assert outcomes[0][0] == 0, outcomes
    rc, _, err = outcomes[1]
    taken = rc == ExitCode.SOURCE_NAME and "a source named 'team' exists" in err
    assert taken or busy(rc, err), outcomes
    assert recorded(envman) == ["team"]
    assert envman.json("profile", "show", "team/tool")["profile"]["packages"] == ["one"]


def test_concurrent_add_sync_and_rm_keep_the_list_true(envman: Envman, repo: TeamRepo) -> None:
    envman.run("source", "add", "old", str(repo.remote), check=True)
    procs = [
        start(envman, "source", "add", "new", str(repo.remote), "--wait"),
        start(envman, "source", "rm", "old", "--wait"),
        start(envman, "source", "sync", "--wait"),
    ]
    outcomes = finish(procs)
    assert [rc for rc, _, _ in outcomes[:2]] == [0, 0], outcomes
    rc, out, err = outcomes[2]
    # The sync ran before, between or after the others: whatever it synced stays recorded.
    assert rc == 0 and "Traceback" not in err, (rc, err)
    assert recorded(envman) == ["new"]
    data = Path(envman.env["XDG_DATA_HOME"]) / "envman" / "sources"
    assert sorted(p.name for p in data.iterdir()) == ["new"], out


@pytest.fixture
def held(envman: Envman) -> Iterator[None]:
    paths = Paths.from_env(cwd=envman.work)
    with hold(sources_lock(paths), "the team sources", wait=0):
        yield


def test_a_held_lock_makes_each_writer_say_busy(envman: Envman, repo: TeamRepo, held: None) -> None:
    for args in (
        ["source", "add", "team", str(repo.remote)],
        ["source", "sync"],
        ["source", "rm", "team"],
    ):
        result = envman.run(*args)
        assert result.returncode == ExitCode.BUSY, (args, result.stderr)
        lines = error_lines(result)
        assert lines[0] == (
            f"envman: error: busy: another envman (pid {os.getpid()}) is changing the team sources"
        )
        assert "--wait" in lines[1]
    assert recorded(envman) == []


def test_wait_waits_for_the_holder(envman: Envman, repo: TeamRepo) -> None:
    paths = Paths.from_env(cwd=envman.work)
    with hold(sources_lock(paths), "the team sources", wait=0):
        proc = start(envman, "source", "add", "team", str(repo.remote), "--wait")
        # Longer than the default wait: a command without --wait would have given up by now.
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=8)
    rc, out, err = finish([proc])[0]
    assert rc == 0, err
    assert out.startswith("team: synced branch main")
    assert recorded(envman) == ["team"]
