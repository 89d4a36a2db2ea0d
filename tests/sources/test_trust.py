"""Verified refs with real signatures: an SSH key made by the test, git's own verification."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from envman.errors import ExitCode, RefUnverified
from envman.ops import sources as ops
from envman.ops.build_inputs import Resolved, resolve_profile
from envman.ops.context import Context
from envman.sources.layout import read_sync_record
from envman.sources.registry import load_sources
from envman.sources.sync import source_dir
from tests.sources.conftest import Keys, TeamRepo, need, sh


def resolved(ctx: Context, arg: str) -> Resolved:
    return resolve_profile(ctx.paths, ctx.config, arg, host_cas={})


def refused(ctx: Context, arg: str) -> str:
    with pytest.raises(RefUnverified) as info:
        resolved(ctx, arg)
    assert info.value.exit_code == ExitCode.REF_UNVERIFIED
    assert info.value.hint and "nothing from this ref was built" in info.value.hint
    return info.value.message


@pytest.fixture
def signed_repo(make_repo: Callable[[str], TeamRepo], git_home: Keys) -> TeamRepo:
    """v1 signed by the trusted key; every kind of bad ref beside it."""
    repo = make_repo("team")
    repo.write("profiles/tool.yaml", "envman: 1\npackages: [one]\n")
    repo.commit("first")
    repo.tag("v1", sign=True)
    repo.tag("unsigned")
    repo.lightweight_tag("light")
    repo.tag("stranger", sign=True, key=git_home.untrusted)
    repo.badly_signed_tag("forged")
    # A good signed tag object, published under another name.
    repo.git("push", "--quiet", "origin", "refs/tags/v1:refs/tags/v9")
    return repo


def test_a_good_signed_tag_is_accepted_and_its_signer_recorded(
    ctx: Context, signed_repo: TeamRepo
) -> None:
    synced = ops.add(ctx, "team", str(signed_repo.remote), ref="v1", verify=True)
    assert synced.signer == "dev@example.com"
    assert read_sync_record(source_dir(ctx.paths, "team")).signer == "dev@example.com"  # type: ignore[union-attr]
    tool = resolved(ctx, "team/tool")
    assert tool.revision is not None and tool.revision.signer == "dev@example.com"
    assert tool.labels["envman.source.signer"] == "dev@example.com"
    assert resolved(ctx, "tool").profile.packages == ("one",)  # by name: verified as well


def test_unverified_and_badly_signed_refs_are_refused_naming_ref_and_reason(
    ctx: Context, signed_repo: TeamRepo
) -> None:
    ops.add(ctx, "team", str(signed_repo.remote), ref="v1", verify=True)
    assert "tag 'unsigned' is refused: the tag is not signed" in refused(ctx, "team/tool@unsigned")
    assert "tag 'light' is refused: it is a lightweight tag" in refused(ctx, "team/tool@light")
    assert "tag 'forged' is refused: its signature does not match its content" in refused(
        ctx, "team/tool@forged"
    )
    assert "tag 'stranger' is refused: it is signed by a key you have not marked" in refused(
        ctx, "team/tool@stranger"
    )
    assert "tag 'v9' is refused: the tag object is named 'v1', not 'v9'" in refused(
        ctx, "team/tool@v9"
    )
    assert "branch 'main' is refused: commit" in refused(ctx, "team/tool@main")
    commit = signed_repo.git("rev-parse", "HEAD")
    assert f"commit {commit[:12]} is not signed" in refused(ctx, f"team/tool@{commit}")


def test_signed_commits_verify_and_a_source_without_verify_takes_anything(
    ctx: Context, signed_repo: TeamRepo
) -> None:
    signed_repo.write("profiles/tool.yaml", "envman: 1\npackages: [two]\n")
    signed = signed_repo.commit("signed", sign=True)
    ops.add(ctx, "team", str(signed_repo.remote), ref="main", verify=True)
    assert resolved(ctx, "team/tool").profile.packages == ("two",)
    assert resolved(ctx, f"team/tool@{signed}").revision.signer == "dev@example.com"  # type: ignore[union-attr]
    ops.add(ctx, "open", str(signed_repo.remote), ref="main", verify=False)
    assert resolved(ctx, "open/tool@forged").revision.signer == ""  # type: ignore[union-attr]


def test_adding_an_unverified_ref_records_nothing(ctx: Context, signed_repo: TeamRepo) -> None:
    with pytest.raises(RefUnverified, match="tag 'forged' is refused"):
        ops.add(ctx, "team", str(signed_repo.remote), ref="forged", verify=True)
    assert load_sources(ctx.paths.sources_file) == []
    assert not source_dir(ctx.paths, "team").root.exists()


def test_a_force_push_to_an_unsigned_commit_keeps_the_last_verified_sync(
    ctx: Context, signed_repo: TeamRepo
) -> None:
    signed_repo.write("profiles/tool.yaml", "envman: 1\npackages: [two]\n")
    good = signed_repo.commit("signed", sign=True)
    ops.add(ctx, "team", str(signed_repo.remote), ref="main", verify=True)
    record = read_sync_record(source_dir(ctx.paths, "team"))
    signed_repo.write("profiles/tool.yaml", "envman: 1\npackages: [evil]\n")
    signed_repo.force_push("rewritten, unsigned")
    with pytest.raises(RefUnverified, match=r"branch 'main' is refused: commit \w+ is not signed"):
        ops.sync(ctx, "team")
    assert read_sync_record(source_dir(ctx.paths, "team")) == record
    assert record is not None and record.commit == good
    assert resolved(ctx, "team/tool").profile.packages == ("two",)  # still the verified one


def stop_agents(*homes: Path) -> None:
    """gpg starts an agent per keyring; the test's must not outlive it."""
    for home in homes:
        subprocess.run(
            ["gpgconf", "--kill", "gpg-agent"],
            env={**os.environ, "GNUPGHOME": str(home)},
            check=False,
            capture_output=True,
        )


def test_gpg_signed_tags_verify_against_the_users_keyring(
    ctx: Context,
    make_repo: Callable[[str], TeamRepo],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    need("gpg")
    gnupg = tmp_path / "gnupg"
    gnupg.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(gnupg))
    request.addfinalizer(lambda: stop_agents(gnupg, tmp_path / "other-gnupg"))
    identity = "Team GPG <gpg@example.com>"
    sh(
        "gpg",
        "--batch",
        "--passphrase",
        "",
        "--quick-gen-key",
        identity,
        "ed25519",
        "sign",
        "never",
    )
    repo = make_repo("team")
    repo.write("profiles/tool.yaml", "envman: 1\npackages: [gpg]\n")
    repo.commit("first")
    for setting in (("gpg.format", "openpgp"), ("user.signingkey", "gpg@example.com")):
        repo.git("config", *setting)
    repo.tag("v1", sign=True)
    ops.add(ctx, "team", str(repo.remote), ref="v1", verify=True)
    tool = resolved(ctx, "team/tool@v1")
    assert tool.revision is not None and tool.revision.signer == identity
    # A keyring without the signer's key: the same tag is refused, naming the reason.
    other = tmp_path / "other-gnupg"
    other.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(other))
    assert "it is signed by a key you have not marked as trusted" in refused(ctx, "team/tool@v1")
