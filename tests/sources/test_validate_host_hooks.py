"""validate refuses a host hook of an unverified source, as `up` does, with the hook's line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from envman.errors import ExitCode
from envman.ops import sources as ops
from envman.ops.context import Context
from envman.ops.profiles import show, validate
from tests.sources.conftest import TeamRepo

HOST_HOOK = "envman: 1\nhooks:\n  - run: [touch, {marker}]\n    when: host\n"


def test_validate_refuses_a_host_hook_of_an_unverified_source(
    ctx: Context, make_repo: Callable[[str], TeamRepo], tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    repo = make_repo("team")
    repo.write("profiles/tool.yaml", HOST_HOOK.format(marker=marker))
    repo.commit("host hook", sign=True)
    repo.tag("v1", sign=True)
    ops.add(ctx, "team", str(repo.remote), ref="v1", verify=False)
    [result] = validate(ctx, ["team/tool"])
    assert result.exit_code == ExitCode.HOOK_FAILED
    assert result.error is not None and "not verified" in result.error
    assert result.error.split(": ")[0].endswith("tool.yaml:3"), result.error
    assert show(ctx, "team/tool").name == "tool"  # still there to be reviewed
    assert not marker.exists()
