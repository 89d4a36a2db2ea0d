"""Host hooks of team sources run on the user's machine: only from sources with verified refs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from envman.errors import HookFailed
from envman.ops import sources as ops
from envman.ops.build_inputs import resolve_profile
from envman.ops.context import Context
from envman.ops.envs import run_host_hooks
from tests.sources.conftest import TeamRepo

HOST_HOOK = "envman: 1\nhooks:\n  - run: [touch, {marker}]\n    when: host\n"


def publish(make_repo: Callable[[str], TeamRepo], marker: Path) -> TeamRepo:
    repo = make_repo("team")
    repo.write("profiles/tool.yaml", HOST_HOOK.format(marker=marker))
    repo.commit("host hook", sign=True)
    repo.tag("v1", sign=True)
    return repo


def test_an_unverified_source_cannot_run_host_hooks(
    ctx: Context, make_repo: Callable[[str], TeamRepo], tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    repo = publish(make_repo, marker)
    ops.add(ctx, "team", str(repo.remote), ref="v1", verify=False)
    resolved = resolve_profile(ctx.paths, ctx.config, "team/tool", host_cas={})
    with pytest.raises(HookFailed) as info:
        run_host_hooks(ctx, resolved)
    assert "not verified" in info.value.message and "--verify" in (info.value.hint or "")
    assert not marker.exists()


def test_a_verified_source_runs_its_host_hooks(
    ctx: Context, make_repo: Callable[[str], TeamRepo], tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    repo = publish(make_repo, marker)
    ops.add(ctx, "team", str(repo.remote), ref="v1", verify=True)
    resolved = resolve_profile(ctx.paths, ctx.config, "team/tool", host_cas={})
    run_host_hooks(ctx, resolved)
    assert marker.exists()


LOCAL_HOOK = "envman: 1\nhooks:\n  - run: [touch, {marker}]\n    when: host\n"


def include_from_local(ctx: Context, name: str, includes: str) -> Path:
    path = ctx.paths.cwd / "profiles" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"envman: 1\ninclude: [{includes}]\n", encoding="utf-8")
    return path


def test_a_local_profile_cannot_bring_in_an_unverified_sources_host_hook(
    ctx: Context, make_repo: Callable[[str], TeamRepo], tmp_path: Path
) -> None:
    marker, mine = tmp_path / "ran", tmp_path / "mine-ran"
    repo = publish(make_repo, marker)
    ops.add(ctx, "team", str(repo.remote), ref="v1", verify=False)
    local = ctx.paths.cwd / "profiles" / "mine.yaml"
    local.parent.mkdir(parents=True)
    local.write_text(LOCAL_HOOK.format(marker=mine), encoding="utf-8")
    include_from_local(ctx, "l", "mine, tool")
    resolved = resolve_profile(ctx.paths, ctx.config, "profiles/l.yaml", host_cas={})
    with pytest.raises(HookFailed) as info:
        run_host_hooks(ctx, resolved)
    commit = repo.git("rev-parse", "v1^{commit}")
    assert info.value.message == (
        f"profiles/tool.yaml:3: a host hook of source 'team' (team/tool@v1, commit {commit[:12]}) "
        "would run on this machine, and the source's refs are not verified"
    )
    assert "--verify" in (info.value.hint or "")
    # Refused before any host hook ran, the local one listed first included.
    assert not marker.exists() and not mine.exists()


def test_a_local_profile_may_include_a_verified_sources_host_hook(
    ctx: Context, make_repo: Callable[[str], TeamRepo], tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    repo = publish(make_repo, marker)
    ops.add(ctx, "team", str(repo.remote), ref="v1", verify=True)
    include_from_local(ctx, "l", "tool")
    resolved = resolve_profile(ctx.paths, ctx.config, "l", host_cas={})
    run_host_hooks(ctx, resolved)
    assert marker.exists()


def test_a_verify_flag_added_by_hand_after_the_sync_does_not_trust_it(
    ctx: Context, make_repo: Callable[[str], TeamRepo], tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    repo = publish(make_repo, marker)
    ops.add(ctx, "team", str(repo.remote), ref="v1", verify=False)
    sources = ctx.paths.sources_file
    sources.write_text(sources.read_text().replace("verify: false", "verify: true"))
    include_from_local(ctx, "l", "tool")
    resolved = resolve_profile(ctx.paths, ctx.config, "l", host_cas={})
    with pytest.raises(HookFailed):
        run_host_hooks(ctx, resolved)
    assert not marker.exists()
