"""`envman doctor`'s checks on fake probes, temp dirs, a journal and a lock held by a child."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from envman.host.writer_locks import env_lock
from envman.journal import Journal, save_journal
from envman.ops import doctor
from envman.ops.context import Context
from envman.paths import Paths
from envman.runner import Completed

INFO = {
    "host": {
        "ociRuntime": {"name": "crun"},
        "cgroupVersion": "v2",
        "cgroupManager": "systemd",
        "security": {"rootless": True},
    },
    "version": {"Version": "4.9.3"},
}
HOLDER = """
import sys, time
from pathlib import Path
from envman.host.writer_locks import hold
with hold(Path(sys.argv[1]), "x", wait=0):
    print("held", flush=True)
    time.sleep(60)
"""


def runner_of(info: Completed) -> doctor.Probes:
    def run(argv: Sequence[str], timeout: float) -> Completed:
        if argv[1:2] == ["--version"]:
            return Completed(tuple(argv), 0, "podman version 4.9.3\n", "")
        return info

    return doctor.Probes(uid=1000, run=run, which=lambda _: "/usr/bin/podman")


def pinging(
    answering: set[str], slow: frozenset[str] = frozenset(), uid: int = 1000
) -> doctor.Probes:
    def ping(path: str, timeout: float) -> bool:
        return path in answering or (path in slow and timeout >= doctor.SLOW_PING)

    return doctor.Probes(uid=uid, ping=ping)


def by_name(checks: list[doctor.Check], name: str) -> list[doctor.Check]:
    return [c for c in checks if c.name == name]


@pytest.fixture
def ctx(paths: Paths) -> Context:
    return Context(paths=paths, environ={"XDG_RUNTIME_DIR": str(paths.runtime.parent)})


def _info(rootless: bool, cgroups: str) -> Completed:
    data = json.loads(json.dumps(INFO))
    data["host"]["security"]["rootless"] = rootless
    data["host"]["cgroupVersion"] = cgroups
    return Completed(("podman",), 0, json.dumps(data), "")


def test_podman_info_is_summarised() -> None:
    version, info = doctor.podman_checks(runner_of(_info(True, "v2")))
    assert (version.status, version.detail) == ("ok", "/usr/bin/podman 4.9.3")
    assert (info.status, info.detail) == ("ok", "rootless, runtime crun, cgroups v2 (systemd)")


def test_rootless_on_cgroups_v1_warns() -> None:
    info = doctor.podman_checks(runner_of(_info(True, "v1")))[1]
    assert info.status == "warn"
    assert "systemd.unified_cgroup_hierarchy=1" in info.fix


def test_rootful_podman_for_a_user_warns() -> None:
    info = doctor.podman_checks(runner_of(_info(False, "v2")))[1]  # runner_of: uid 1000
    assert (info.status, info.detail) == (
        "warn",
        "rootful, runtime crun, cgroups v2 (systemd), but you are uid 1000",
    )


def test_podman_info_that_is_not_json_fails() -> None:
    done = Completed(("podman",), 0, "<html>", "")
    assert doctor.podman_checks(runner_of(done))[1].status == "fail"


def test_podman_missing_fails_with_the_install_line() -> None:
    [check] = doctor.podman_checks(doctor.Probes(which=lambda _: None))
    assert check.status == "fail"
    assert "apt install podman" in check.fix


def test_podman_info_failing_fails_with_its_last_line_and_the_version() -> None:
    done = Completed(("podman",), 125, "", "WARN noise\nError: cannot open runtime\n")
    version, info = doctor.podman_checks(runner_of(done))
    assert (version.status, version.detail) == ("ok", "/usr/bin/podman (podman version 4.9.3)")
    assert (info.status, info.detail) == ("fail", "Error: cannot open runtime")


def test_podman_info_timing_out_is_a_failure_not_a_hang() -> None:
    done = Completed(("podman",), 124, "", "podman: timed out after 10.0s")
    assert doctor.podman_checks(runner_of(done))[1].status == "fail"


def test_run_path_is_the_first_socket_that_answers(tmp_path: Path) -> None:
    env = {"XDG_RUNTIME_DIR": str(tmp_path)}
    check = doctor.run_path(env, pinging({f"{tmp_path}/envman/podman.sock"}))
    assert (check.status, check.detail) == ("ok", f"API: {tmp_path}/envman/podman.sock")
    both = {f"{tmp_path}/envman/podman.sock", f"{tmp_path}/podman/podman.sock"}
    assert doctor.run_path(env, pinging(both)).detail == f"API: {tmp_path}/podman/podman.sock"


def test_run_path_without_a_service_is_the_fallback_with_a_fix(tmp_path: Path) -> None:
    check = doctor.run_path({"XDG_RUNTIME_DIR": str(tmp_path)}, pinging(set()))
    assert check.status == "warn"
    assert check.detail.startswith("fallback: podman exec")
    assert "systemctl --user enable --now podman.socket" in check.fix
    root = doctor.run_path({}, pinging(set(), uid=0))
    assert "/run/podman/podman.sock" in root.detail
    assert root.fix.startswith("systemctl enable")


def test_a_service_too_slow_for_run_is_named(tmp_path: Path) -> None:
    sock = tmp_path / "podman" / "podman.sock"
    sock.parent.mkdir()
    sock.touch()
    check = doctor.run_path(
        {"XDG_RUNTIME_DIR": str(tmp_path)}, pinging(set(), frozenset({str(sock)}))
    )
    assert check.status == "warn"
    assert f"{sock} answered, but not within 50 ms" in check.detail


def test_run_via_forces_or_forbids_the_fallback(tmp_path: Path) -> None:
    answering = pinging({f"{tmp_path}/envman/podman.sock"})
    env = {"XDG_RUNTIME_DIR": str(tmp_path), "ENVMAN_RUN_VIA": "podman"}
    assert doctor.run_path(env, answering).detail.startswith("fallback: podman exec (forced")
    env["ENVMAN_RUN_VIA"] = "api"
    assert doctor.run_path(env, pinging(set())).status == "fail"
    assert doctor.run_path(env, answering).status == "ok"


def test_container_host_only_that_socket() -> None:
    assert doctor.container_host({}, pinging(set())).status == "ok"
    env = {"CONTAINER_HOST": "unix:///x/podman.sock"}
    assert doctor.container_host(env, pinging({"/x/podman.sock"})).status == "ok"
    down = doctor.container_host(env, pinging(set()))
    assert (down.status, down.fix) == (
        "fail",
        "start the service behind it, or unset CONTAINER_HOST",
    )
    assert doctor.run_path(env, pinging(set())).detail.endswith("(no answer from /x/podman.sock)")
    remote = doctor.container_host(
        {"CONTAINER_HOST": "ssh://me@box/run/podman.sock"}, pinging(set())
    )
    assert remote.status == "info"


def _subids(tmp_path: Path, uid_text: str, gid_text: str, uid: int = 0) -> doctor.Probes:
    (tmp_path / "subuid").write_text(uid_text)
    (tmp_path / "subgid").write_text(gid_text)
    return doctor.Probes(uid=uid, subuid=tmp_path / "subuid", subgid=tmp_path / "subgid")


def test_subids_of_a_rootless_user(tmp_path: Path) -> None:
    me = doctor.Probes(uid=1000).user
    good = _subids(tmp_path, f"other:1:5\n{me}:100000:65536\n", "1000:100000:65536\n", 1000)
    assert doctor.subids(good).status == "ok"  # by name in one file, by uid in the other
    missing = doctor.subids(_subids(tmp_path, "other:100000:65536\n", f"{me}:1:65536\n", 1000))
    assert missing.status == "fail"
    assert str(tmp_path / "subuid") in missing.detail
    assert str(tmp_path / "subgid") not in missing.detail
    assert missing.fix.startswith("sudo usermod --add-subuids 100000-165535")
    short = _subids(tmp_path, f"{me}:100000:1000\n", f"{me}:100000:65536\n", 1000)
    assert doctor.subids(short).status == "fail"
    assert doctor.subids(_subids(tmp_path, "", "", 0)).status == "ok"  # rootful needs none


def test_xdg_dirs_writable_or_not(tmp_path: Path, ctx: Context) -> None:
    checks = doctor.xdg_dirs(ctx, doctor.Probes(uid=1000))
    assert [c.status for c in checks] == ["ok"] * 4
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = {"XDG_STATE_HOME": str(blocker / "state"), "XDG_RUNTIME_DIR": str(tmp_path)}
    bad = Context(paths=Paths.from_env(env), environ=env)
    [state] = by_name(doctor.xdg_dirs(bad, doctor.Probes(uid=1000)), "state dir")
    assert state.status == "fail"
    assert "XDG_STATE_HOME" in state.fix


def test_a_user_without_runtime_dir_is_warned(paths: Paths) -> None:
    plain = Context(paths=paths, environ={})
    [runtime] = by_name(doctor.xdg_dirs(plain, doctor.Probes(uid=1000)), "runtime dir")
    assert runtime.status == "warn"


@pytest.fixture
def held(ctx: Context) -> Iterator[subprocess.Popen[str]]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(env_lock(ctx.paths, "web"))],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    yield child
    child.kill()
    child.wait()


def test_a_held_lock_is_info_with_its_pid(ctx: Context, held: subprocess.Popen[str]) -> None:
    [check] = doctor.held_locks(ctx)
    assert (check.status, check.detail) == (
        "info",
        f"env-web is held by pid {held.pid} (an envman at work)",
    )


def test_a_lock_file_of_a_dead_process_is_no_warning(ctx: Context) -> None:
    stale = env_lock(ctx.paths, "old")
    stale.parent.mkdir(parents=True)
    stale.write_text("999999\n")
    assert [c.status for c in doctor.held_locks(ctx)] == ["ok"]


def test_a_half_done_swap_warns_with_the_repair(ctx: Context) -> None:
    assert [c.status for c in doctor.half_done_swaps(ctx)] == ["ok"]
    save_journal(ctx.paths, Journal("api", "swap", "old", "new"))
    [check] = doctor.half_done_swaps(ctx)
    assert (check.status, check.fix) == (
        "warn",
        "`envman up api` (or `envman ls`) finishes or undoes it",
    )


def test_a_swap_under_way_is_info(ctx: Context, held: subprocess.Popen[str]) -> None:
    save_journal(ctx.paths, Journal("web", "swap", "old", "new"))
    [check] = doctor.half_done_swaps(ctx)
    assert (check.status, check.detail) == ("info", f"web: being swapped now (pid {held.pid})")


def test_bridge_not_installed_is_fine(ctx: Context) -> None:
    check = doctor.bridge_unit(ctx)
    assert (check.status, check.detail) == ("ok", "not installed (only Flatpak apps need it)")


def test_an_installed_bridge_that_is_not_running_warns(ctx: Context) -> None:
    unit = ctx.paths.config.parent / "systemd" / "user" / "envman-bridge.service"
    unit.parent.mkdir(parents=True)
    unit.write_text("[Service]\n")
    # No systemd user manager here (and PATH empty: systemctl is not found): status says why.
    check = doctor.bridge_unit(Context(paths=ctx.paths, environ={"PATH": "/nonexistent"}))
    assert check.status == "warn"
    assert check.fix


def test_registry_is_not_configured_yet(ctx: Context) -> None:
    assert doctor.registry(ctx).status == "info"


def test_diagnose_runs_every_check_with_fakes(ctx: Context, tmp_path: Path) -> None:
    probes = runner_of(_info(True, "v2"))
    names = [c.name for c in doctor.diagnose(ctx, probes)]
    assert names[:5] == ["podman", "podman info", "run path", "CONTAINER_HOST", "subuid/subgid"]
    assert names[-2:] == ["bridge", "registry"]
    assert all(c.status in doctor.STATUSES for c in doctor.diagnose(ctx, probes))


def _fake_systemctl(tmp_path: Path, shown: str) -> dict[str, str]:
    """A `systemctl` that answers `show` with `shown` (no user manager runs here)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "systemctl"
    script.write_text(f"#!/bin/sh\nprintf '{shown}'\n")
    script.chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin"}


@pytest.mark.parametrize(
    ("shown", "status"),
    [
        ("UnitFileState=enabled\\nActiveState=active\\n", "ok"),
        ("UnitFileState=disabled\\nActiveState=inactive\\n", "warn"),
        ("UnitFileState=disabled\\nActiveState=active\\n", "warn"),
    ],
)
def test_an_installed_bridge_enabled_or_not(
    ctx: Context, tmp_path: Path, shown: str, status: str
) -> None:
    unit = ctx.paths.config.parent / "systemd" / "user" / "envman-bridge.service"
    unit.parent.mkdir(parents=True)
    unit.write_text("[Service]\n")
    check = doctor.bridge_unit(Context(paths=ctx.paths, environ=_fake_systemctl(tmp_path, shown)))
    assert check.status == status
    if "disabled" in shown:
        assert check.fix


def test_a_socket_activated_service_that_was_stopped_is_the_api_path(tmp_path: Path) -> None:
    sock = tmp_path / "podman" / "podman.sock"
    sock.parent.mkdir()
    sock.touch()
    asked: list[float] = []

    def ping(path: str, timeout: float) -> bool:
        # systemd holds the first connection until podman is up; then it answers at once
        asked.append(timeout)
        return path == str(sock) and (timeout >= doctor.SLOW_PING or len(asked) > 2)

    check = doctor.run_path({"XDG_RUNTIME_DIR": str(tmp_path)}, doctor.Probes(uid=1000, ping=ping))
    assert (check.status, check.detail) == ("ok", f"API: {sock} ({doctor.STARTED})")
    assert asked == [0.05, doctor.SLOW_PING, 0.05]
