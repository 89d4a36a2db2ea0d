"""Each decision of `up` on the in-memory engine: up does what --dry-run and status say it would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from envman.engine.types import BuildRequest, ImageInfo
from envman.errors import ImageNotPublished
from envman.history import load_history
from envman.ops import envs, generations, team_images
from envman.ops.build_inputs import Resolved
from envman.ops.context import Context
from envman.ops.lockfile import resolve_for_up
from envman.ops.plan import Plan, Published
from envman.ops.team_images import Pulled
from envman.state import load_state
from tests.fake_engine import FakeEngine
from tests.unit.test_envs_fake import write


def steps(plan: Plan) -> list[str]:
    return [step.kind for step in plan.steps]


def planned(ctx: Context, *, no_cache: bool = False) -> Plan:
    """The plan as --dry-run shows it, checked to be the one status shows (of a made env)."""
    plan = envs.plan_up(ctx, "box", no_cache=no_cache)
    if not no_cache and load_state(ctx.paths, "box") is not None:
        shown = envs.status(ctx, "box")
        assert shown.plan == plan
        assert shown.reasons == tuple(f"{s.kind}: {s.reason}" for s in plan.steps)
    return plan


def up_as_planned(ctx: Context, *, no_cache: bool = False) -> Plan:
    """Plan, then up: up reports the plan's word and executes its steps."""
    plan = planned(ctx, no_cache=no_cache)
    result = envs.up(ctx, "box", no_cache=no_cache)
    assert result.action == plan.action
    assert result.plan is not None and steps(result.plan) == steps(plan)
    assert result.built == plan.has("build")
    return plan


def made(ctx: Context) -> None:
    write(ctx.paths)
    envs.up(ctx, "box")


def rolled_back(ctx: Context) -> None:
    made(ctx)
    write(ctx.paths, build="2")
    envs.up(ctx, "box")
    generations.rollback(ctx, "box")


def test_no_container_builds_and_creates(ctx: Context) -> None:
    write(ctx.paths)
    plan = up_as_planned(ctx)
    assert (plan.action, steps(plan)) == ("created", ["build", "create"])


def test_an_image_without_a_container_is_only_created(ctx: Context, engine: FakeEngine) -> None:
    made(ctx)
    engine.remove("box")
    plan = up_as_planned(ctx)
    assert (plan.action, steps(plan)) == ("created", ["create"])


def test_nothing_changed_and_running_is_up_to_date(ctx: Context, engine: FakeEngine) -> None:
    made(ctx)
    plan = up_as_planned(ctx)
    assert (plan.action, steps(plan)) == ("up-to-date", [])
    assert envs.status(ctx, "box").stale is False


def test_stopped_is_started(ctx: Context, engine: FakeEngine) -> None:
    made(ctx)
    engine.stop("box", timeout=0)
    plan = up_as_planned(ctx)
    assert (plan.action, steps(plan)) == ("started", ["start"])
    assert engine.container("box") is not None and engine.container("box").running  # type: ignore[union-attr]


def test_a_runtime_change_recreates(ctx: Context) -> None:
    made(ctx)
    write(ctx.paths, greeting="changed")
    plan = up_as_planned(ctx)
    assert (plan.action, steps(plan)) == ("recreated", ["recreate"])
    assert plan.steps[0].reason == "runtime settings changed: env"


def test_a_content_change_rebuilds(ctx: Context) -> None:
    made(ctx)
    write(ctx.paths, build="2")
    plan = up_as_planned(ctx)
    assert (plan.action, steps(plan)) == ("rebuilt", ["build", "recreate"])
    assert plan.rebuilt_layers and plan.reused_layers >= 1


def test_rolled_back_and_unchanged_keeps_and_status_says_only_that(ctx: Context) -> None:
    rolled_back(ctx)
    plan = up_as_planned(ctx)
    assert (plan.action, steps(plan), plan.generation) == ("kept", ["keep"], 1)
    shown = envs.status(ctx, "box")
    assert shown.reasons == (
        "keep: rolled back to generation 1: up keeps it until the profile changes "
        "(`envman rollback box 2` goes forward again)",
    )
    assert not any("rebuild" in reason for reason in shown.reasons)
    assert load_history(ctx.paths, "box").current == 1


def test_rolled_back_and_stopped_keeps_and_starts(ctx: Context, engine: FakeEngine) -> None:
    rolled_back(ctx)
    engine.stop("box", timeout=0)
    plan = up_as_planned(ctx)
    assert (plan.action, steps(plan)) == ("kept", ["keep", "start"])


def test_rolled_back_then_a_runtime_change_recreates(ctx: Context) -> None:
    rolled_back(ctx)
    write(ctx.paths, build="2", greeting="changed")
    plan = up_as_planned(ctx)
    assert (plan.action, steps(plan)) == ("recreated", ["recreate"])
    assert plan.steps[0].reason.startswith("the profile changed since the rollback to generation 1")
    assert load_history(ctx.paths, "box").held_against == ""


def test_rolled_back_then_a_content_change_rebuilds(ctx: Context) -> None:
    rolled_back(ctx)
    write(ctx.paths, build="3")
    plan = up_as_planned(ctx)
    assert (plan.action, steps(plan)) == ("rebuilt", ["build", "recreate"])


def _fresh_builds(engine: FakeEngine) -> None:
    """As podman without its cache: every build makes a new image id (new timestamps)."""
    original: Callable[..., ImageInfo] = engine.build
    count = [0]

    def build(request: BuildRequest, *args: object) -> ImageInfo:
        count[0] += 1
        fresh = f"{request.containerfile}# {count[0]}\n"
        return original(replace(request, containerfile=fresh), *args)

    engine.build = build  # type: ignore[method-assign]


@pytest.mark.parametrize("before", [made, rolled_back])
def test_no_cache_builds_and_recreates_even_a_kept_rollback(
    ctx: Context, engine: FakeEngine, before: Callable[[Context], None]
) -> None:
    before(ctx)
    _fresh_builds(engine)
    plan = up_as_planned(ctx, no_cache=True)
    assert (plan.action, steps(plan)) == ("rebuilt", ["build", "recreate"])
    assert plan.steps[0].reason.startswith("a rebuild without the layer cache was asked for")


def test_rollback_holds_by_the_key_up_computes(ctx: Context) -> None:
    made(ctx)
    history = load_history(ctx.paths, "box")
    newest = history.get(history.current)
    assert newest is not None
    resolved = resolve_for_up(ctx, "box")
    assert envs.spec_key(newest.content_hash, newest.spec) == envs.profile_key(ctx, resolved)


# Team images: gather asks the registry only when the image is missing; up pulls what it found.
DIGEST = "sha256:" + "e" * 64


def _registry_says(
    monkeypatch: pytest.MonkeyPatch, engine: FakeEngine, published: Published
) -> list[str]:
    """Lookups answer `published`; a pull gives the fake's published image. The lookups made."""
    asked: list[str] = []

    def lookup(ctx: Context, resolved: Resolved, *, strict: bool = True) -> Published:
        asked.append(resolved.plan.content_hash)
        return published

    def pull(ctx: Context, eng: FakeEngine, resolved: Resolved, found: Published) -> Pulled:
        ref = found.image.rpartition(":")[0] + "@" + found.digest
        image = eng.pull(ref, None)
        eng.tag(image.id, resolved.tag)
        return Pulled(image, ref, "sha256:key")

    monkeypatch.setattr(team_images, "lookup", lookup)
    monkeypatch.setattr(team_images, "pull_verified", pull)
    return asked


def _found(ctx: Context) -> Published:
    content = resolve_for_up(ctx, "box").plan.content_hash
    return Published("found", f"registry.example.com/team/box:{content}", DIGEST)


def test_a_local_image_means_no_registry_lookup(
    ctx: Context, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    made(ctx)
    engine.remove("box")
    asked = _registry_says(monkeypatch, engine, Published("found", "x", DIGEST))
    plan = up_as_planned(ctx)
    assert (plan.action, steps(plan), asked) == ("created", ["create"], [])


def test_a_published_image_is_pulled_and_recorded_not_built(
    ctx: Context, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(ctx.paths)
    found = _found(ctx)
    engine.published[f"registry.example.com/team/box@{DIGEST}"] = {"team": "yes"}
    asked = _registry_says(monkeypatch, engine, found)
    plan = up_as_planned(ctx)
    assert (plan.action, steps(plan)) == ("created", ["pull", "create"])
    assert not [c for c in engine.calls if c[0] == "build"] and asked
    history = load_history(ctx.paths, "box")
    current = history.get(history.current)
    assert current is not None
    assert current.pulled_from == f"registry.example.com/team/box@{DIGEST}"
    assert envs.status(ctx, "box").pulled_from == current.pulled_from
    write(ctx.paths, greeting="changed")  # a new container of the same pulled image
    assert envs.up(ctx, "box").pulled_from == current.pulled_from


def test_no_build_with_nothing_published_builds_nothing(
    ctx: Context, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(ctx.paths)
    _registry_says(monkeypatch, engine, Published("absent", "registry.example.com/team/box:x"))
    with pytest.raises(ImageNotPublished):
        envs.up(ctx, "box", no_build=True)
    assert not [c for c in engine.calls if c[0] in ("build", "create")]
