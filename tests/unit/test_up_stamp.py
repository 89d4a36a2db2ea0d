"""ops/up_stamp.py: what a stamp is keyed on, when one is written, and that any doubt in reading
it means the full run. The real runs are in tests/integration/test_up_stamp.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from envman.engine.api_reader import inspected
from envman.host.read_trace import Trace
from envman.ops import up_stamp

ENVMAN = Path(up_stamp.__file__).resolve().parent.parent


def test_terminal_variables_do_not_count_and_every_other_one_does() -> None:
    env = {"HOME": "/home/u", "PATH": "/usr/bin", "WINDOWID": "1", "SHLVL": "1", "_": "/a"}
    key = up_stamp.host_key(env)
    assert up_stamp.host_key({**env, "WINDOWID": "2", "SHLVL": "4", "_": "/b"}) == key
    assert up_stamp.host_key({**env, "PATH": "/usr/local/bin:/usr/bin"}) != key
    assert up_stamp.host_key({**env, "SOMETHING_NEW": ""}) != key
    assert "/home/u" not in key  # a digest: no variable's value is kept


def test_no_terminal_variable_left_out_is_read_below_the_cli() -> None:
    """The CLI may size its output by COLUMNS; nothing that decides what `up` does reads them."""
    sources = "\n".join(
        p.read_text()
        for p in ENVMAN.rglob("*.py")
        if p.name != "up_stamp.py" and p.parent.name != "cli"
    )
    for name in up_stamp.SESSION_ENV - {"_"}:
        assert not re.search(rf"[\"']{re.escape(name)}[\"']", sources), name


def write_stamp(tmp_path: Path, **changes: object) -> dict[str, str]:
    env = {"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    stamp = {
        "format": up_stamp.FORMAT,
        "arg": "box",
        "cwd": str(Path.cwd()),
        "host": up_stamp.host_key(env),
        "socket": str(tmp_path / "no.sock"),
        "paths": [],
        "api": [],
        "said": {"image": "localhost/envman/box:1", "pulled_from": "", "warnings": ["w"]},
        **changes,
    }
    path = Path(up_stamp.stamp_file(str(tmp_path / "state" / "envman"), "box"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stamp))
    lock = tmp_path / "state" / "envman" / "locks" / "env-box.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.touch()
    return env


def test_a_stamp_that_holds_says_what_was_said(tmp_path: Path) -> None:
    env = write_stamp(tmp_path)
    said = up_stamp.replay("box", env)
    assert said is not None
    assert (said.name, said.image, said.warnings) == ("box", "localhost/envman/box:1", ["w"])


@pytest.mark.parametrize(
    "changes",
    [
        {"format": up_stamp.FORMAT + 1},
        {"arg": "other"},
        {"cwd": "/elsewhere"},
        {"host": "0" * 64},
        {"paths": [["/nonexistent-envman-input", "stat", "directory"]]},
        {"api": [["/containers/box/json", "null"]]},  # podman does not answer on no.sock
        {"said": {}},
        {"paths": "not a list"},
    ],
)
def test_any_doubt_means_the_full_run(tmp_path: Path, changes: dict[str, object]) -> None:
    env = write_stamp(tmp_path, **changes)
    assert up_stamp.replay("box", env) is None


def test_a_missing_damaged_or_foreign_stamp_means_the_full_run(tmp_path: Path) -> None:
    env = write_stamp(tmp_path)
    stamp = Path(up_stamp.stamp_file(str(tmp_path / "state" / "envman"), "box"))
    assert up_stamp.replay("not/a name", env) is None
    assert up_stamp.replay("other", env) is None
    stamp.write_text("{not json")
    assert up_stamp.replay("box", env) is None
    stamp.write_bytes(b"\xff\xfe")
    assert up_stamp.replay("box", env) is None
    for text in ("[]", "[" * 100_000, '{"format": 1, "arg": "box", "cwd": 5}', "null"):
        stamp.write_text(text)
        assert up_stamp.replay("box", env) is None
    (tmp_path / "state" / "envman" / "locks" / "env-box.lock").unlink()
    write_stamp(tmp_path)
    (tmp_path / "state" / "envman" / "locks" / "env-box.lock").unlink()
    assert up_stamp.replay("box", env) is None


def recorder(**api: str | None) -> up_stamp._Recorder:
    found = up_stamp._Recorder()
    found.api = dict(api) or {"/containers/box/json": "{}"}
    found.sockets = {"/run/podman/podman.sock"}
    return found


def result(**changes: object) -> SimpleNamespace:
    base = {"action": "up-to-date", "name": "box", "exported": (), "unexported": ()}
    return SimpleNamespace(**{**base, **changes})


def test_only_a_whole_record_of_a_run_that_did_nothing_is_stamped() -> None:
    trace = Trace("/")
    trace.sockets = {"/run/podman/podman.sock"}
    stampable = up_stamp._stampable
    assert stampable("box", result(), trace, recorder())  # type: ignore[arg-type]
    for changed in (
        result(action="started"),
        result(name="other"),
        result(exported=("app",)),
    ):
        assert not stampable("box", changed, trace, recorder())  # type: ignore[arg-type]
    assert not stampable("box", result(), trace, recorder(**{"/images/json": None}))  # type: ignore[arg-type]
    noted = recorder()
    noted.notes.append("repaired")
    assert not stampable("box", result(), trace, noted)  # type: ignore[arg-type]
    elsewhere = Trace("/")
    elsewhere.sockets = {"('203.0.113.1', 443)"}
    assert not stampable("box", result(), elsewhere, recorder())  # type: ignore[arg-type]
    opaque = Trace("/")
    opaque.refuse("it ran a process")
    assert not stampable("box", result(), opaque, recorder())  # type: ignore[arg-type]


def test_an_inspect_that_answered_differently_within_the_run_is_not_stamped() -> None:
    found = up_stamp._Recorder()
    found.listen("/s", "/containers/box/json", {"Id": "a", "State": {"Status": "running"}})
    found.listen("/s", "/containers/box/json", {"Id": "a", "State": {"Status": "exited"}})
    assert found.moved


def test_a_recently_changed_input_leaves_no_stamp_and_written_files_are_exempt(
    tmp_path: Path,
) -> None:
    profile, state = tmp_path / "profile.yaml", tmp_path / "state.json"
    profile.write_text("x")
    state.write_text("{}")
    trace = Trace(str(tmp_path))
    trace.read = {str(profile), str(state)}
    trace.written = {str(state), str(tmp_path / ".tmp-gone")}
    long_after = profile.stat().st_mtime_ns + 10_000_000_000
    found = up_stamp._path_signatures(trace, long_after)
    assert found is not None
    assert [p for p, _, _ in found] == [str(profile), str(state)]  # the gone temporary left out
    right_after = profile.stat().st_ctime_ns + 1
    assert up_stamp._path_signatures(trace, right_after) is None
    trace.read = {str(state)}
    assert up_stamp._path_signatures(trace, right_after) is not None


def test_the_inspect_projection_keeps_only_what_envman_reads() -> None:
    answer = {"Id": "c1", "State": {"Status": "running", "Pid": 4}, "ExecIDs": ["e1"]}
    view = inspected("/containers/box/json", answer)
    assert view is not None
    assert json.loads(view)["State.Status"] == "running"
    moved_on = {**answer, "ExecIDs": ["e1", "e2"], "State": {"Status": "running", "Pid": 4}}
    assert inspected("/containers/box/json", moved_on) == view
    assert inspected("/containers/box/json", None) == "null"
    assert inspected("/containers/json?all=true", []) is None
    assert inspected("/info", {}) is None
