"""Several names, --all, image boxes, throwaway boxes and upgrade, on the in-memory engine."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from envman.engine.types import BuildRequest
from envman.errors import (
    BuildFailed,
    EnvNotFound,
    ExitCode,
    ProfileMoved,
    RegistryUnreachable,
    UsageError,
)
from envman.ops import boxes, envs, many, upgrade
from envman.ops.context import Context
from envman.ops.envs import UpResult
from envman.paths import Paths
from envman.registry.probe import check_reachable, registry_host
from envman.state import state_file
from tests.fake_engine import BASE, FakeEngine


def box(ctx: Context, name: str, image: str = BASE) -> UpResult:
    return boxes.up_image(ctx, name, image, lambda file: envs.up(ctx, file))


def write_profile(paths: Paths, name: str) -> None:
    folder = paths.cwd / "profiles"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(f"envman: 1\nname: {name}\nimage: {BASE}\n")


# several names


def test_each_goes_on_after_a_failure_and_the_exit_code_names_it() -> None:
    def operation(name: str) -> str:
        if name.startswith("missing"):
            raise EnvNotFound(f"no environment named '{name}'", "see `envman ls`")
        return name.upper()

    outcomes = list(many.each(["a", "missing", "b"], operation))
    assert [(o.name, o.ok, o.result) for o in outcomes] == [
        ("a", True, "A"),
        ("missing", False, None),
        ("b", True, "B"),
    ]
    assert outcomes[1].exit_code == ExitCode.ENV_NOT_FOUND and outcomes[1].hint
    assert many.failed(outcomes) == ["missing"]
    assert many.exit_code(outcomes) == ExitCode.ENV_NOT_FOUND
    mixed = [*outcomes, many.Outcome[str]("c", False, exit_code=ExitCode.BUSY)]
    assert many.exit_code(mixed) == ExitCode.FAILURE
    assert many.exit_code(outcomes[:1]) == ExitCode.OK


def test_each_stops_at_an_interrupt() -> None:
    def operation(name: str) -> str:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(many.each(["a", "b"], operation))


def test_targets_are_the_names_once_or_with_all_every_environment_of_this_envman(
    ctx: Context, engine: FakeEngine
) -> None:
    box(ctx, "one")
    box(ctx, "two")
    engine.add_image(("docker.io/library/alpine:3",))
    engine.boxes["x"] = type(engine.boxes[next(iter(engine.boxes))])(
        "x", "not-envmans", "id", "alpine", {"envman.env": "someone-else"}
    )
    kind = type(engine.boxes[next(iter(engine.boxes))])
    engine.boxes["y"] = kind("y", "theirs", "id", "alpine", {"envman.env": "theirs"})
    state_file(ctx.paths, "recorded").parent.mkdir(parents=True, exist_ok=True)
    state_file(ctx.paths, "recorded").write_text("{}")
    assert many.targets(ctx, ["b", "a", "b"], everything=False, command="rm") == ["b", "a"]
    assert many.targets(ctx, [], everything=True, command="rm") == ["one", "recorded", "two"]
    with pytest.raises(UsageError):
        many.targets(ctx, ["a"], everything=True, command="rm")
    with pytest.raises(UsageError):
        many.targets(ctx, [], everything=False, command="stop")


def test_stop_of_several_names_stops_each_and_reports_the_missing_one(
    ctx: Context, engine: FakeEngine
) -> None:
    box(ctx, "one")
    box(ctx, "two")
    outcomes = list(many.each(["one", "missing", "two"], lambda n: envs.stop(ctx, n)))
    assert [o.ok for o in outcomes] == [True, False, True]
    assert {b.name: b.state for b in engine.boxes.values()} == {"one": "exited", "two": "exited"}
    assert many.exit_code(outcomes) == ExitCode.ENV_NOT_FOUND


def test_up_of_an_ini_file_of_several_sections_is_each_section(paths: Paths) -> None:
    ini = paths.cwd / "team.ini"
    ini.write_text(f"[alpha]\nimage={BASE}\n\n[beta]\nimage={BASE}\n")
    single = paths.cwd / "one.ini"
    single.write_text(f"[gamma]\nimage={BASE}\n")
    found = many.expand_files(paths.cwd, ["team.ini", "team.ini#beta", "one.ini", "dev"])
    assert found == ["team.ini#alpha", "team.ini#beta", "one.ini", "dev"]


def test_up_of_each_section_of_an_ini_file(ctx: Context) -> None:
    (ctx.paths.cwd / "team.ini").write_text(f"[alpha]\nimage={BASE}\n\n[beta]\nimage={BASE}\n")
    targets = many.expand_files(ctx.paths.cwd, ["team.ini"])
    outcomes = list(many.each(targets, lambda arg: envs.up(ctx, arg)))
    assert [(o.ok, o.result.action if o.result else "") for o in outcomes] == [
        (True, "created"),
        (True, "created"),
    ]


# image boxes


def test_an_image_box_is_a_profile_envman_writes_and_rm_removes(
    ctx: Context, engine: FakeEngine
) -> None:
    assert box(ctx, "scratch").action == "created"
    file = boxes.box_file(ctx.paths, "scratch")
    assert f'image: "{BASE}"' in file.read_text()
    assert envs.up(ctx, "scratch").action == "up-to-date"  # by its recorded address
    assert box(ctx, "scratch").action == "up-to-date"
    assert envs.status(ctx, "scratch").stale is False
    planned = boxes.remove(ctx, "scratch", dry_run=True)
    assert str(file) in planned.files and file.exists()
    removed = boxes.remove(ctx, "scratch")
    assert str(file) in removed.files
    assert not file.parent.exists() and engine.names() == []


def test_another_image_rebuilds_the_box(ctx: Context, engine: FakeEngine) -> None:
    engine.add_image(("localhost/other:1",))
    box(ctx, "scratch")
    assert box(ctx, "scratch", "localhost/other:1").action == "rebuilt"


def test_an_image_box_does_not_take_over_an_environment_of_a_profile(ctx: Context) -> None:
    write_profile(ctx.paths, "dev")
    envs.up(ctx, "dev")
    with pytest.raises(ProfileMoved, match=r"made from .*dev\.yaml, not from an image"):
        box(ctx, "dev")
    assert not boxes.box_file(ctx.paths, "dev").exists()
    assert boxes.up_image(
        ctx, "dev", BASE, lambda f: envs.up(ctx, f, replace_profile=True), replace_profile=True
    ).action in ("recreated", "rebuilt")


def test_a_box_that_never_came_up_leaves_no_file(ctx: Context, engine: FakeEngine) -> None:
    engine.fail_build = True
    with pytest.raises(BuildFailed):
        box(ctx, "broken")
    assert not boxes.box_file(ctx.paths, "broken").exists()


def test_bad_box_names_and_images_are_usage_errors(ctx: Context) -> None:
    with pytest.raises(UsageError):
        box(ctx, "../x")
    with pytest.raises(Exception, match="not an image reference"):
        box(ctx, "fine", "bad image")


# throwaway boxes


def test_a_throwaway_box_is_removed_after_the_command(ctx: Context, engine: FakeEngine) -> None:
    box(ctx, "keeper")
    throwaway = boxes.new_throwaway(ctx, image=BASE)
    seen = []

    def inside(name: str) -> int:
        seen.append((name, sorted(engine.names())))
        return 3

    code = boxes.ephemeral(ctx, throwaway, lambda f: envs.up(ctx, f), inside)
    assert code == 3
    assert seen == [(throwaway.name, sorted(["keeper", throwaway.name]))]
    assert engine.names() == ["keeper"]
    assert not throwaway.file.exists()


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit(143), RuntimeError("boom")])
def test_a_throwaway_box_is_removed_on_interrupts_and_failures(
    ctx: Context, engine: FakeEngine, error: BaseException | type[BaseException]
) -> None:
    throwaway = boxes.new_throwaway(ctx, image=BASE)

    def inside(name: str) -> int:
        raise error

    with pytest.raises(type(error) if isinstance(error, BaseException) else error):
        boxes.ephemeral(ctx, throwaway, lambda f: envs.up(ctx, f), inside)
    assert engine.names() == []
    assert not throwaway.file.exists()


def test_a_throwaway_box_whose_build_fails_leaves_nothing(ctx: Context, engine: FakeEngine) -> None:
    engine.fail_build = True
    throwaway = boxes.new_throwaway(ctx, image=BASE)
    with pytest.raises(BuildFailed):
        boxes.ephemeral(ctx, throwaway, lambda f: envs.up(ctx, f), lambda _: 0)
    assert engine.names() == [] and not throwaway.file.parent.exists()


def test_a_throwaway_box_of_a_profile_includes_it(ctx: Context, engine: FakeEngine) -> None:
    write_profile(ctx.paths, "dev")
    throwaway = boxes.new_throwaway(ctx, profile="dev")
    result = envs.up(ctx, str(throwaway.file))
    assert result.name == throwaway.name and result.name.startswith("ephemeral-")
    with pytest.raises(UsageError):
        boxes.new_throwaway(ctx)
    with pytest.raises(UsageError):
        boxes.new_throwaway(ctx, image=BASE, profile="dev")
    with pytest.raises(UsageError):
        boxes.new_throwaway(ctx, profile="./dev.yaml")


# upgrade


def recording(engine: FakeEngine) -> list[BuildRequest]:
    requests: list[BuildRequest] = []
    build = engine.build

    def recorded(request: BuildRequest, *args: Any) -> Any:
        requests.append(request)
        return build(request, *args)

    engine.build = recorded  # type: ignore[method-assign]
    return requests


def test_upgrade_rebuilds_without_cache_and_keeps_a_local_base(
    ctx: Context, engine: FakeEngine
) -> None:
    box(ctx, "dev")
    requests = recording(engine)
    done = upgrade.upgrade(ctx, "dev")
    assert done.kept_local == (BASE,) and done.pulled == ()
    # the fake builds the same image from the same Containerfile: up then recreates nothing
    assert done.result.plan is not None and done.result.plan.has("build")
    assert [(r.no_cache, r.pull) for r in requests] == [(True, False)]


def test_upgrade_pulls_a_registry_base_when_the_registry_answers(
    ctx: Context, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = "registry.example.com/team/base:1"
    engine.add_image((remote,))
    box(ctx, "dev", remote)
    probed: list[str] = []
    monkeypatch.setattr(upgrade, "check_reachable", probed.append)
    requests = recording(engine)
    done = upgrade.upgrade(ctx, "dev")
    assert done.pulled == (remote,) and probed == ["registry.example.com"]
    assert [(r.no_cache, r.pull) for r in requests] == [(True, True)]


def test_upgrade_offline_fails_before_building(
    ctx: Context, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = "registry.example.com/team/base:1"
    engine.add_image((remote,))
    box(ctx, "dev", remote)

    def offline(host: str) -> None:
        raise RegistryUnreachable(f"registry {host} cannot be reached")

    monkeypatch.setattr(upgrade, "check_reachable", offline)
    requests = recording(engine)
    with pytest.raises(RegistryUnreachable):
        upgrade.upgrade(ctx, "dev")
    assert requests == []


def test_upgrade_of_no_such_environment(ctx: Context) -> None:
    with pytest.raises(EnvNotFound):
        upgrade.upgrade(ctx, "nothing")


def test_which_bases_are_pulled() -> None:
    assert registry_host("localhost/debian:bookworm") is None
    assert registry_host("debian:bookworm") is None
    assert registry_host("localhost:5000/x/y:1") is None
    assert registry_host("127.0.0.1:5000/x/y:1") == "127.0.0.1:5000"
    assert registry_host("docker.io/library/debian:12") == "registry-1.docker.io"
    assert upgrade.bases_to_pull(["quay.io/a/b:1", "localhost/c:1"]) == ((), ("localhost/c:1",))
    assert upgrade.bases_to_pull(["quay.io/a/b:1"]) == (("quay.io/a/b:1",), ())


def test_an_unreachable_registry_fails_fast() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RegistryUnreachable, match=f"127.0.0.1:{port} cannot be reached"):
        check_reachable(f"127.0.0.1:{port}", timeout=2)


# the CLI


def test_upgrade_is_a_command_and_no_longer_suggests_update(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from envman.cli.app import run_app

    with pytest.raises(SystemExit) as exited:
        run_app(["upgrade", "--help"])
    out, err = capsys.readouterr()
    assert exited.value.code in (0, None), err
    assert "distrobox upgrade" in out and "envman upgrade --all" in out


def test_a_newer_envmans_file_says_to_install_envman_not_to_run_upgrade(paths: Paths) -> None:
    from envman.errors import StateCorrupt
    from envman.state import load_state

    file = state_file(paths, "dev")
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text('{"state_version": 99}')
    with pytest.raises(StateCorrupt) as raised:
        load_state(paths, "dev")
    assert raised.value.hint is not None and raised.value.hint.startswith("install a newer envman")


def test_up_all_brings_each_up_from_its_own_profile(ctx: Context) -> None:
    write_profile(ctx.paths, "dev")
    envs.up(ctx, "dev")
    box(ctx, "scratch")
    own = {name: many.own_address(ctx, name) for name in many.all_envs(ctx)}
    assert own == {
        "dev": str((ctx.paths.cwd / "profiles" / "dev.yaml").resolve()),
        "scratch": str(boxes.box_file(ctx.paths, "scratch")),
    }
    assert [envs.up(ctx, arg).action for arg in own.values()] == ["up-to-date", "up-to-date"]
    assert many.own_address(ctx, "unknown") == "unknown"


def test_files_md_names_where_box_profiles_live(paths: Paths) -> None:
    page = (Path(__file__).parents[2] / "docs" / "files.md").read_text(encoding="utf-8")
    assert f"`{boxes.box_file(paths, 'NAME').relative_to(paths.state)}`" in page


def test_a_throwaway_box_of_no_such_profile_writes_nothing(ctx: Context) -> None:
    from envman.errors import ProfileNotFound

    with pytest.raises(ProfileNotFound, match="no profile named 'true'"):
        boxes.new_throwaway(ctx, profile="true")
    assert not (ctx.paths.state / "boxes").exists()


def test_removing_a_throwaway_box_is_tried_again_when_podman_fails(
    ctx: Context, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from envman.errors import EngineUnavailable

    monkeypatch.setattr(boxes.time, "sleep", lambda _: None)
    throwaway = boxes.new_throwaway(ctx, image=BASE)
    envs.up(ctx, str(throwaway.file))
    remove = engine.remove
    failures = iter([EngineUnavailable("podman's API stopped answering: timed out")])

    def flaky(name: str) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        remove(name)

    engine.remove = flaky  # type: ignore[method-assign]
    assert boxes.remove_throwaway(ctx, throwaway) == []
    assert engine.names() == [] and not throwaway.file.exists()

    stuck = boxes.new_throwaway(ctx, image=BASE)
    envs.up(ctx, str(stuck.file))

    def down(name: str) -> None:
        raise EngineUnavailable("podman's API stopped answering: timed out")

    engine.remove = down  # type: ignore[method-assign]
    problems = boxes.remove_throwaway(ctx, stuck)
    assert problems[-1] == f"remove it with `envman rm --yes {stuck.name}`"
    assert stuck.file.exists()  # kept, so that `envman rm` still finds what to remove
