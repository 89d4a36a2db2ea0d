"""Sources on real git repositories: addressing, lookup order, scoping, atomic and offline syncs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from envman.errors import (
    ExitCode,
    ProfileNotFound,
    ProfileSchemaError,
    RefNotFound,
    SourceInvalid,
    SourceNotFound,
    SourceUnreachable,
)
from envman.ops import sources as ops
from envman.ops.build_inputs import Resolved, resolve_profile
from envman.ops.context import Context
from envman.ops.profiles import list_all, validate
from envman.paths import SHIPPED_ROOT
from envman.sources import git as source_git
from envman.sources.layout import read_sync_record
from envman.sources.registry import TeamSource, load_sources, save_sources
from envman.sources.sync import source_dir
from tests.sources.conftest import TeamRepo

TOOL = "envman: 1\ninclude: [base]\nhooks:\n  - script: setup.sh\n"


def resolved(ctx: Context, arg: str) -> Resolved:
    return resolve_profile(ctx.paths, ctx.config, arg, host_cas={})


def script_text(r: Resolved) -> str:
    return r.scripts["setup.sh"].read_text()


def team_repo(make_repo: Callable[[str], TeamRepo], name: str = "team") -> TeamRepo:
    """Tag v1 and v2 of a tool profile whose include and hook script change between them."""
    repo = make_repo(name)
    repo.write("profiles/base.yaml", "envman: 1\npackages: [one]\n")
    repo.write("profiles/tool.yaml", TOOL)
    repo.write("hooks/setup.sh", "#!/bin/sh\necho v1\n", 0o755)
    repo.write("README.md", "not a profile\n")
    repo.commit("first")
    repo.tag("v1")
    repo.write("profiles/base.yaml", "envman: 1\npackages: [two]\n")
    repo.write("hooks/setup.sh", "#!/bin/sh\necho v2\n", 0o755)
    repo.commit("second")
    repo.tag("v2")
    return repo


def test_add_then_tag_branch_and_commit_addresses(
    ctx: Context, make_repo: Callable[[str], TeamRepo]
) -> None:
    repo = team_repo(make_repo)
    first = repo.git("rev-parse", "v1^{commit}")
    synced = ops.add(ctx, "team", str(repo.remote), ref=None, verify=False)
    assert (synced.ref, synced.kind, synced.previous) == ("main", "branch", None)
    assert synced.commit == repo.git("rev-parse", "HEAD")
    assert load_sources(ctx.paths.sources_file) == [TeamSource("team", str(repo.remote))]

    assert resolved(ctx, "team/tool").profile.packages == ("two",)  # the source's ref: main
    v1 = resolved(ctx, "team/tool@v1")
    assert v1.profile.packages == ("one",) and "echo v1" in script_text(v1)
    assert v1.revision is not None and v1.revision.commit == first
    assert (v1.revision.kind, v1.revision.ref) == ("tag", "v1")
    assert resolved(ctx, "team/tool@v2").profile.packages == ("two",)
    assert resolved(ctx, "team/tool@main").revision.kind == "branch"  # type: ignore[union-attr]
    by_commit = resolved(ctx, f"team/tool@{first}")
    assert by_commit.revision is not None and by_commit.revision.kind == "commit"
    assert resolved(ctx, f"team/tool@{first[:10]}").profile.packages == ("one",)
    assert v1.plan.content_hash == by_commit.plan.content_hash  # the same content, the same hash

    with pytest.raises(RefNotFound) as info:
        resolved(ctx, "team/tool@v9")
    assert info.value.exit_code == ExitCode.REF_NOT_FOUND and "'v9'" in info.value.message
    with pytest.raises(ProfileNotFound):
        resolved(ctx, "team/nope@v1")
    with pytest.raises(SourceNotFound) as missing:
        resolved(ctx, "other/tool")
    assert missing.value.exit_code == ExitCode.SOURCE_NOT_FOUND


def test_provenance_in_labels_show_and_list(
    ctx: Context, make_repo: Callable[[str], TeamRepo]
) -> None:
    repo = team_repo(make_repo)
    ops.add(ctx, "team", str(repo.remote), ref="v1", verify=False)
    commit = repo.git("rev-parse", "v1^{commit}")
    labels = resolved(ctx, "team/tool").labels
    assert labels["envman.source"] == "team/tool@v1"
    assert labels["envman.source.commit"] == commit
    assert resolved(ctx, "team/tool").provenance == f"team/tool@v1 (commit {commit})"
    rows = [e for e in list_all(ctx) if e.origin == "source"]
    assert {(e.name, e.address, e.commit) for e in rows} == {
        ("base", "team/base@v1", commit),
        ("tool", "team/tool@v1", commit),
    }
    assert all(v.error is None for v in validate(ctx, [])), validate(ctx, [])


def test_lookup_order_user_dirs_then_sources_in_order_added_then_shipped(
    ctx: Context, make_repo: Callable[[str], TeamRepo]
) -> None:
    first, second = make_repo("first"), make_repo("second")
    for repo in (first, second):
        repo.write("profiles/ansible.yaml", f"envman: 1\ndescription: {repo.remote.stem}\n")
        repo.write("profiles/mine.yaml", f"envman: 1\ndescription: {repo.remote.stem}\n")
        repo.write(f"profiles/only-{repo.remote.stem}.yaml", "envman: 1\n")
        repo.commit("profiles")
    ops.add(ctx, "b-first", str(first.remote), ref=None, verify=False)
    ops.add(ctx, "a-second", str(second.remote), ref=None, verify=False)  # names do not sort
    (ctx.paths.config / "profiles").mkdir(parents=True)
    (ctx.paths.config / "profiles" / "mine.yaml").write_text("envman: 1\ndescription: config\n")

    assert resolved(ctx, "ansible").profile.description == "first"  # sources before shipped
    assert resolved(ctx, "mine").profile.description == "config"  # the user's own first
    assert resolved(ctx, "a-second/ansible").profile.description == "second"
    assert resolved(ctx, "only-second").revision.source == "a-second"  # type: ignore[union-attr]
    (ctx.paths.cwd / "profiles").mkdir()
    (ctx.paths.cwd / "profiles" / "ansible.yaml").write_text("envman: 1\ndescription: cwd\n")
    assert resolved(ctx, "ansible").profile.description == "cwd"
    assert resolved(ctx, "ansible").revision is None

    ansible = [(e.origin, e.selected, e.address) for e in list_all(ctx) if e.name == "ansible"]
    shipped = str(SHIPPED_ROOT / "profiles" / "ansible.yaml")
    assert ansible[:4] == [
        ("cwd", True, str(ctx.paths.cwd / "profiles" / "ansible.yaml")),
        ("source", False, "b-first/ansible@main"),
        ("source", False, "a-second/ansible@main"),
        ("shipped", False, shipped),
    ]


def test_includes_and_hooks_stay_inside_the_source_at_its_revision(
    ctx: Context, make_repo: Callable[[str], TeamRepo]
) -> None:
    repo = team_repo(make_repo)
    ops.add(ctx, "team", str(repo.remote), ref="v1", verify=False)
    # The user's own base profile and hook script must not leak into the source's profile.
    (ctx.paths.cwd / "profiles").mkdir()
    (ctx.paths.cwd / "profiles" / "base.yaml").write_text("envman: 1\npackages: [local]\n")
    (ctx.paths.cwd / "profiles" / "user-only.yaml").write_text("envman: 1\n")
    (ctx.paths.cwd / "hooks").mkdir()
    (ctx.paths.cwd / "hooks" / "setup.sh").write_text("echo local\n")
    (ctx.paths.cwd / "hooks" / "local.sh").write_text("echo local\n")

    tool = resolved(ctx, "tool")  # found by name in the source: scoped to it all the same
    assert tool.revision is not None and tool.profile.packages == ("one",)
    assert "echo v1" in script_text(tool)
    assert tool.scripts["setup.sh"].is_relative_to(tool.revision.tree)
    assert resolved(ctx, "team/tool@v2").profile.packages == ("two",)
    assert resolved(ctx, "base").profile.packages == ("local",)  # the user's own, unchanged

    repo.write("profiles/leaky.yaml", "envman: 1\ninclude: [user-only]\n")
    repo.write(
        "profiles/escape.yaml", "envman: 1\ninclude: [../../../../work/profiles/base.yaml]\n"
    )
    repo.write("profiles/hooky.yaml", "envman: 1\nhooks:\n  - script: local.sh\n")
    repo.write("profiles/dotdot.yaml", "envman: 1\nhooks:\n  - script: ../profiles/base.yaml\n")
    repo.commit("attempts")
    repo.tag("v3")
    ops.sync(ctx, "team")
    with pytest.raises(ProfileNotFound, match="include: no profile named 'user-only'"):
        resolved(ctx, "team/leaky@v3")
    with pytest.raises(ProfileSchemaError, match="points outside"):
        resolved(ctx, "team/escape@v3")
    with pytest.raises(ProfileNotFound, match=r"hook script 'local\.sh' not found"):
        resolved(ctx, "team/hooky@v3")
    with pytest.raises(ProfileSchemaError, match="must be a relative path inside"):
        resolved(ctx, "team/dotdot@v3")


def test_a_symlink_out_of_the_source_is_refused(
    ctx: Context, make_repo: Callable[[str], TeamRepo]
) -> None:
    repo = team_repo(make_repo)
    ops.add(ctx, "team", str(repo.remote), ref="v1", verify=False)
    (repo.work / "profiles" / "passwd.yaml").symlink_to("/etc/passwd")
    repo.commit("a link out")
    repo.tag("linked")
    ops.sync(ctx, "team")  # the source's own ref, v1, is fine
    with pytest.raises(SourceInvalid) as info:
        resolved(ctx, "team/tool@linked")
    assert "profiles/passwd.yaml is a symbolic link to /etc/passwd" in info.value.message
    directory = source_dir(ctx.paths, "team")
    assert not [p for p in directory.trees.iterdir() if p.name.startswith(".")]  # no leftovers


def test_a_repository_without_profiles_is_not_a_source(
    ctx: Context, make_repo: Callable[[str], TeamRepo]
) -> None:
    repo = make_repo("plain")
    repo.write("README.md", "hello\n")
    repo.commit("first")
    with pytest.raises(SourceInvalid, match="has no profiles/"):
        ops.add(ctx, "plain", str(repo.remote), ref=None, verify=False)
    assert load_sources(ctx.paths.sources_file) == []
    assert not source_dir(ctx.paths, "plain").root.exists()


def test_sync_follows_a_force_pushed_branch(
    ctx: Context, make_repo: Callable[[str], TeamRepo]
) -> None:
    repo = team_repo(make_repo)
    before = ops.add(ctx, "team", str(repo.remote), ref="main", verify=False).commit
    assert ops.sync(ctx, "team")[0].synced.changed is False  # type: ignore[union-attr]
    repo.write("profiles/base.yaml", "envman: 1\npackages: [rewritten]\n")
    after = repo.force_push("history rewritten")
    assert after != before
    assert resolved(ctx, "team/tool").profile.packages == ("two",)  # not until a sync
    synced = ops.sync(ctx, None)[0].synced
    assert synced is not None and (synced.previous, synced.commit) == (before, after)
    assert resolved(ctx, "team/tool").profile.packages == ("rewritten",)
    assert resolved(ctx, "tool").profile.packages == ("rewritten",)
    mirrors = list(source_dir(ctx.paths, "team").root.glob("mirror-*"))
    assert len(mirrors) == 1  # the previous mirror is dropped once the new one is in place


def test_a_failed_sync_keeps_the_last_good_one_and_everything_works_offline(
    ctx: Context, make_repo: Callable[[str], TeamRepo]
) -> None:
    repo = team_repo(make_repo)
    ops.add(ctx, "team", str(repo.remote), ref="main", verify=False)
    directory = source_dir(ctx.paths, "team")
    record = read_sync_record(directory)
    repo.write("profiles/base.yaml", "envman: 1\npackages: [unseen]\n")
    repo.commit("never fetched")
    # The remote becomes unreachable: nothing changes, and every ref of the last sync still works.
    sources = load_sources(ctx.paths.sources_file)
    save_sources(
        ctx.paths.sources_file, [TeamSource("team", "http://127.0.0.1:1/team.git", "main")]
    )
    outcome = ops.sync(ctx, None)[0]
    assert outcome.synced is None and outcome.exit_code == ExitCode.SOURCE_UNREACHABLE
    with pytest.raises(SourceUnreachable, match=r"cannot reach http://127\.0\.0\.1:1/team\.git"):
        ops.sync(ctx, "team")
    assert read_sync_record(directory) == record
    assert [p.name for p in directory.root.glob("mirror-*")] == [record.mirror]  # type: ignore[union-attr]
    shutil.rmtree(repo.remote)  # gone for good: offline
    save_sources(ctx.paths.sources_file, sources)
    with pytest.raises(SourceInvalid, match="is not a git repository"):
        ops.sync(ctx, "team")
    assert read_sync_record(directory) == record
    assert resolved(ctx, "team/tool").profile.packages == ("two",)
    assert resolved(ctx, "team/tool@v1").profile.packages == ("one",)  # first use, offline
    assert resolved(ctx, "tool").profile.packages == ("two",)


def test_an_interrupted_sync_keeps_the_last_good_one(
    ctx: Context, make_repo: Callable[[str], TeamRepo], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = team_repo(make_repo)
    ops.add(ctx, "team", str(repo.remote), ref="main", verify=False)
    directory = source_dir(ctx.paths, "team")
    record = read_sync_record(directory)
    repo.write("profiles/base.yaml", "envman: 1\npackages: [three]\n")
    repo.commit("third")
    real_fetch = source_git.fetch

    def interrupted(mirror: Path, url: str, what: str, *, update_head: bool) -> None:
        real_fetch(mirror, url, what, update_head=update_head)  # the objects arrive ...
        raise KeyboardInterrupt  # ... then Ctrl-C before the sync is recorded

    monkeypatch.setattr(source_git, "fetch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ops.sync(ctx, "team")
    assert read_sync_record(directory) == record
    assert [p.name for p in directory.root.glob("mirror-*")] == [record.mirror]  # type: ignore[union-attr]
    assert resolved(ctx, "team/tool").profile.packages == ("two",)
    monkeypatch.setattr(source_git, "fetch", real_fetch)
    assert ops.sync(ctx, "team")[0].synced.changed  # type: ignore[union-attr]
    assert resolved(ctx, "team/tool").profile.packages == ("three",)


def test_a_ref_that_does_not_exist_is_refused_at_add(
    ctx: Context, make_repo: Callable[[str], TeamRepo]
) -> None:
    repo = team_repo(make_repo)
    with pytest.raises(RefNotFound, match="no tag, branch or commit 'v9'"):
        ops.add(ctx, "team", str(repo.remote), ref="v9", verify=False)
    assert load_sources(ctx.paths.sources_file) == []
    assert not source_dir(ctx.paths, "team").root.exists()


def test_list_and_rm(ctx: Context, make_repo: Callable[[str], TeamRepo]) -> None:
    repo = team_repo(make_repo)
    ops.add(ctx, "team", str(repo.remote), ref="v2", verify=False)
    [row] = ops.list_sources(ctx)
    assert (row.name, row.ref, row.synced_ref, row.kind, row.verify) == (
        "team",
        "v2",
        "v2",
        "tag",
        False,
    )
    assert row.commit == repo.git("rev-parse", "v2^{commit}")
    record = json.loads(source_dir(ctx.paths, "team").record_file.read_text())
    assert record["commit"] == row.commit
    removed = ops.remove(ctx, "team")
    assert removed.data_removed and not source_dir(ctx.paths, "team").root.exists()
    assert ops.list_sources(ctx) == []
    with pytest.raises(SourceNotFound):
        ops.remove(ctx, "team")
