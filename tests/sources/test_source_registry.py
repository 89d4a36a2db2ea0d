"""A team source's images/registry.yaml: its keys count only when the source's ref is verified."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from envman.errors import ProfileSchemaError
from envman.host.config import TeamRegistry
from envman.ops import sources as ops
from envman.ops.build_inputs import resolve_profile
from envman.ops.context import Context
from envman.ops.keys import generate_key
from envman.ops.team_images import registries_for
from envman.sources.images import registries_of
from envman.sources.lookup import Revision
from tests.sources.conftest import TeamRepo

COMMIT = "c" * 40
USER = TeamRegistry("registry.example.com/mine", ("/home/me/mine.pub",))


def revision(tmp_path: Path, text: str | None, *, signer: str = "") -> Revision:
    tree = tmp_path / "trees" / COMMIT
    (tree / "images").mkdir(parents=True)
    (tree / "images" / "team.pub").write_text("a key\n")
    if text is not None:
        (tree / "images" / "registry.yaml").write_text(text)
    return Revision("team", "v1", "tag", COMMIT, tree, signer)


DECLARED = "registry: registry.example.com/team\nkeys: [team.pub]\n"


def test_a_verified_source_brings_its_registry_and_keys_first(tmp_path: Path) -> None:
    found = registries_of(revision(tmp_path, DECLARED, signer="dev@example.com"), (USER,))
    key = str((tmp_path / "trees" / COMMIT / "images" / "team.pub").resolve())
    assert found.registries == (TeamRegistry("registry.example.com/team", (key,)), USER)
    assert found.notes == ()


def test_an_unverified_sources_keys_are_not_trusted(tmp_path: Path) -> None:
    found = registries_of(revision(tmp_path, DECLARED), (USER,))
    assert found.registries == (USER,)
    assert "is not verified, so its keys are not trusted" in found.notes[0]
    assert "envman config registry add registry.example.com/team" in found.notes[0]


def test_an_unverified_source_uses_the_keys_the_user_trusts_for_its_registry(
    tmp_path: Path,
) -> None:
    mine = TeamRegistry("registry.example.com/team", ("/home/me/team.pub",))
    found = registries_of(revision(tmp_path, DECLARED), (USER, mine))
    assert found.registries == (mine, USER) and found.notes == ()


def test_without_a_registry_file_the_users_registries_apply(tmp_path: Path) -> None:
    assert registries_of(revision(tmp_path, None), (USER,)).registries == (USER,)
    assert registries_of(None, (USER,)).registries == (USER,)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("registry: registry.example.com/team\nkeys: [../../x.pub]\n", "not a file in images/"),
        ("registry: team\nkeys: [team.pub]\n", "not a registry repository"),
        ("registry: registry.example.com/team\nkey: [team.pub]\n", "unknown key"),
    ],
)
def test_a_bad_registry_file_names_file_line_and_key(
    tmp_path: Path, text: str, problem: str
) -> None:
    with pytest.raises(ProfileSchemaError, match=problem) as raised:
        registries_of(revision(tmp_path, text, signer="dev@example.com"), ())
    assert "team@v1: images/registry.yaml:" in raised.value.message


def test_a_signed_source_brings_its_registry_through_sync_and_resolve(
    ctx: Context, make_repo: Callable[[str], TeamRepo], tmp_path: Path
) -> None:
    repo = make_repo("team")
    repo.write("profiles/tool.yaml", "envman: 1\n")
    repo.write("images/registry.yaml", DECLARED)
    repo.write("images/team.pub", generate_key_text(tmp_path))
    repo.commit("team images", sign=True)
    repo.tag("v1", sign=True)
    ops.add(ctx, "team", str(repo.remote), ref="v1", verify=True)
    resolved = resolve_profile(ctx.paths, ctx.config, "team/tool")
    teams = registries_for(ctx, resolved)
    assert [t.registry for t in teams] == ["registry.example.com/team"]
    assert Path(teams[0].keys[0]).read_text() == (repo.work / "images/team.pub").read_text()


def generate_key_text(tmp_path: Path) -> str:
    return Path(generate_key(tmp_path / "k", "pass").public).read_text()
