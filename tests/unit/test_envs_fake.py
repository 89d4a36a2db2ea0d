"""up, rm, gc, rollback and swap repair against the in-memory engine: decisions without podman."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.errors import ContainerFailed, HookFailed, NameClash
from envman.journal import load_journal
from envman.ops import envs, generations, listing, swap
from envman.ops.context import Context
from envman.paths import Paths
from envman.state import load_state
from tests.fake_engine import BASE, FakeEngine

PROFILE = """\
envman: 1
name: {name}
image: {base}
env: {{GREETING: "{greeting}"}}
hooks:
  - run: [sh, -c, "echo {build} > /etc/marker"]
"""


def write(paths: Paths, name: str = "box", greeting: str = "hi", build: str = "1") -> None:
    folder = paths.cwd / "profiles"
    folder.mkdir(exist_ok=True)
    text = PROFILE.format(name=name, base=BASE, greeting=greeting, build=build)
    (folder / f"{name}.yaml").write_text(text)


def test_up_creates_then_is_up_to_date_then_recreates(ctx: Context, engine: FakeEngine) -> None:
    write(ctx.paths)
    assert envs.up(ctx, "box").action == "created"
    assert envs.up(ctx, "box").action == "up-to-date"
    write(ctx.paths, greeting="changed")
    assert envs.up(ctx, "box").action == "recreated"
    write(ctx.paths, build="2")
    assert envs.up(ctx, "box").action == "rebuilt"
    assert engine.names() == ["box"]
    state = load_state(ctx.paths, "box")
    assert state is not None and state.container_id == engine.boxes[state.container_id].id
    assert load_journal(ctx.paths, "box") is None


def test_the_new_container_gets_the_real_name_and_the_owner_label(
    ctx: Context, engine: FakeEngine
) -> None:
    write(ctx.paths)
    envs.up(ctx, "box")
    write(ctx.paths, greeting="changed")
    envs.up(ctx, "box")
    creates = [c for c in engine.calls if c[0] == "create"]
    assert creates == [("create", "box"), ("create", "box")]
    (box,) = engine.boxes.values()
    assert box.labels[listing.OWNER_LABEL] == "box"


def test_a_failing_create_hook_puts_the_old_container_back(
    ctx: Context, engine: FakeEngine
) -> None:
    write(ctx.paths)
    envs.up(ctx, "box")
    before = {c.id for c in engine.boxes.values()}
    text = (ctx.paths.cwd / "profiles/box.yaml").read_text()
    hook = "  - run: [sh, -c, exit 3]\n    when: create\n"
    (ctx.paths.cwd / "profiles/box.yaml").write_text(text + hook)
    engine.on_exec = lambda _name, argv: (3, "no") if argv[-1] == "exit 3" else (0, "")
    with pytest.raises(HookFailed):
        envs.up(ctx, "box")
    assert {c.id for c in engine.boxes.values()} == before
    assert engine.names() == ["box"]
    assert load_journal(ctx.paths, "box") is None


def test_rm_keeps_an_image_a_foreign_container_uses(ctx: Context, engine: FakeEngine) -> None:
    write(ctx.paths)
    result = envs.up(ctx, "box")
    engine.add_container("mine", result.image)
    removed = envs.rm(ctx, "box")
    assert engine.names() == ["mine"]
    assert removed.images == ()
    assert removed.images_kept and "used by container(s) mine" in removed.images_kept[0]
    assert not any(call[0] == "remove_image" and call[2] == "True" for call in engine.calls)


def test_rm_removes_images_nothing_else_uses(ctx: Context, engine: FakeEngine) -> None:
    write(ctx.paths)
    result = envs.up(ctx, "box")
    removed = envs.rm(ctx, "box")
    assert removed.images == (result.image_id[:12],)
    assert engine.image(result.image_id) is None
    assert engine.image(BASE) is not None
    assert engine.names() == []


def test_an_image_built_from_an_envman_image_is_not_envmans(
    ctx: Context, engine: FakeEngine
) -> None:
    write(ctx.paths)
    result = envs.up(ctx, "box")
    inherited = dict(engine.images_by_id[result.image_id].labels)
    child = engine.add_image(("localhost/mine:latest",), inherited)
    envs.rm(ctx, "box")
    assert engine.image(child) is not None


def test_a_container_with_inherited_labels_is_not_listed_or_taken(
    ctx: Context, engine: FakeEngine
) -> None:
    write(ctx.paths)
    result = envs.up(ctx, "box")
    engine.add_container("toolbox-box", result.image)
    assert [r.name for r in listing.list_envs(ctx)] == ["box"]
    write(ctx.paths, name="toolbox-box")
    with pytest.raises(NameClash):
        envs.up(ctx, "toolbox-box")
    with pytest.raises(NameClash):
        envs.rm(ctx, "toolbox-box")
    assert "toolbox-box" in engine.names()


def test_gc_keeps_an_image_a_foreign_container_uses(ctx: Context, engine: FakeEngine) -> None:
    write(ctx.paths)
    first = envs.up(ctx, "box")
    engine.add_container("mine", first.image_id)
    for build in ("2", "3"):
        write(ctx.paths, build=build)
        envs.up(ctx, "box")
    notes: list[str] = []
    ctx.notify = notes.append
    collected = generations.gc(ctx, keep=1)
    assert collected[0].generations == (1, 2)
    assert first.image_id[:12] not in collected[0].images
    assert engine.image(first.image_id) is not None
    assert any("used by container(s) mine" in n for n in notes)
    assert "mine" in engine.names()


def test_rollback_then_up_keeps_and_swaps_by_journal(ctx: Context, engine: FakeEngine) -> None:
    write(ctx.paths)
    envs.up(ctx, "box")
    write(ctx.paths, build="2")
    envs.up(ctx, "box")
    back = generations.rollback(ctx, "box")
    assert (back.from_generation, back.to_generation, back.kept) == (2, 1, True)
    assert envs.up(ctx, "box").action == "kept"
    assert engine.names() == ["box"]


class Crash(BaseException):
    """Stands for the process dying between two steps."""


def _crash_on(engine: FakeEngine, method: str, after: int = 0) -> None:
    original = getattr(engine, method)
    seen = [0]

    def crashing(*args: object, **kwargs: object) -> object:
        if seen[0] >= after:
            raise Crash
        seen[0] += 1
        return original(*args, **kwargs)

    setattr(engine, method, crashing)


@pytest.mark.parametrize("method", ["rename", "create", "start", "tag", "remove"])
def test_repair_after_a_crash_leaves_one_working_environment(
    ctx: Context, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    write(ctx.paths)
    envs.up(ctx, "box")
    old = load_state(ctx.paths, "box")
    write(ctx.paths, greeting="changed")
    _crash_on(engine, method)
    with monkeypatch.context() as dying:  # a dead process undoes nothing either
        dying.setattr(swap, "undo", _die)
        with pytest.raises(Crash):
            envs.up(ctx, "box")
    monkeypatch.setattr(engine, method, getattr(FakeEngine, method).__get__(engine))
    assert load_journal(ctx.paths, "box") is not None
    assert [r.name for r in listing.list_envs(ctx)] == ["box"]  # ls repairs
    assert load_journal(ctx.paths, "box") is None
    assert engine.names() == ["box"]
    state = load_state(ctx.paths, "box")
    assert state is not None and state.container_id in engine.boxes
    if method in ("rename", "create", "start"):  # undone: the old one runs again
        assert old is not None and state.container_id == old.container_id
    assert envs.up(ctx, "box").action in ("recreated", "up-to-date")
    assert engine.names() == ["box"]


def _die(*_args: object) -> None:
    raise Crash


def test_rm_of_a_busy_environment_is_refused(ctx: Context, tmp_path: Path) -> None:
    from envman.errors import Busy
    from envman.host.writer_locks import env_lock, hold

    write(ctx.paths)
    envs.up(ctx, "box")
    with hold(env_lock(ctx.paths, "box"), "box"), pytest.raises(Busy):
        envs.rm(ctx, "box")


def test_remove_image_without_force_never_takes_containers(engine: FakeEngine) -> None:
    image = engine.add_image(("localhost/envman/x:1",))
    engine.add_container("mine", image)
    with pytest.raises(ContainerFailed):
        engine.remove_image("localhost/envman/x:1")
    assert engine.names() == ["mine"]


def test_exports_gc_spares_an_environment_in_the_middle_of_a_swap(
    ctx: Context, tmp_path: Path
) -> None:
    from envman.exports.ledger import ExportRecord, FileRecord, Ledger, checksum, save_ledger
    from envman.journal import Journal, save_journal
    from envman.ops import exports

    wrapper = tmp_path / "bin-wrapper"
    wrapper.write_text("#!/bin/sh\n")
    record = ExportRecord(
        "bin", "/usr/bin/x", "cli", "0" * 64, (FileRecord(str(wrapper), checksum(b"#!/bin/sh\n")),)
    )
    save_ledger(ctx.paths, Ledger("box", (record,)))
    save_journal(ctx.paths, Journal("box", "swap", old_id="gone"))  # old renamed aside
    assert exports.gc(ctx) == [] and wrapper.exists()
    (ctx.paths.state / "journal" / "box.json").unlink()
    assert [r.env for r in exports.gc(ctx)] == ["box"] and not wrapper.exists()
