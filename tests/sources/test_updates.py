"""What moved in a source since a profile was built: a branch's new commit, newer tags."""

from __future__ import annotations

from collections.abc import Callable

from envman.ops import sources as ops
from envman.ops.context import Context
from envman.sources.updates import ref_now
from tests.sources.conftest import TeamRepo


def test_ref_now_reports_a_moved_branch_and_newer_tags(
    ctx: Context, make_repo: Callable[[str], TeamRepo]
) -> None:
    repo = make_repo("team")
    repo.write("profiles/tool.yaml", "envman: 1\npackages: [one]\n")
    first = repo.commit("first")
    repo.tag("v1.9")
    ops.add(ctx, "team", str(repo.remote), ref=None, verify=False)
    assert ref_now(ctx.paths, "team", "main").commit == first
    assert ref_now(ctx.paths, "team", "v1.9").newer_tags == ()

    repo.write("profiles/tool.yaml", "envman: 1\npackages: [two]\n")
    second = repo.commit("second")
    repo.tag("v1.10")
    repo.tag("v2.0")
    ops.sync(ctx, "team")
    assert ref_now(ctx.paths, "team", "main").commit == second
    assert ref_now(ctx.paths, "team", "v1.9").newer_tags == ("v2.0", "v1.10")
    assert ref_now(ctx.paths, "team", "v2.0").newer_tags == ()
