"""Host hooks of team sources run on the user's machine: only from sources with verified refs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from envman.errors import HookFailed
from envman.ops import sources as ops
from envman.ops.build import resolve_profile
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
