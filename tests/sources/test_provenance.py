"""What each profile file is (local, shipped, a source's commit) and whose host hooks may run."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.errors import ExitCode, HookFailed
from envman.paths import Paths
from envman.profile.resolver import ProfileRef
from envman.sources.lookup import Revision
from envman.sources.provenance import Provenance, check_host_hook, provenance_of

COMMIT = "a" * 40


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    dirs = {name: tmp_path / name for name in ("home", "config", "data", "state", "cache", "run")}
    return Paths(
        **{k: v for k, v in dirs.items() if k != "run"},
        runtime=dirs["run"],
        cwd=tmp_path / "work",
        shipped=tmp_path / "shipped",
    )


def ref(path: Path) -> ProfileRef:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("envman: 1\n", encoding="utf-8")
    return ProfileRef(path.stem, path, "yaml")


def tree(paths: Paths, name: str = "team", commit: str = COMMIT) -> Path:
    return paths.sources / name / "trees" / commit


def test_a_file_of_a_known_revision_is_as_verified_as_its_ref(paths: Paths) -> None:
    h = ref(tree(paths) / "profiles" / "h.yaml")
    signed = Revision("team", "v1", "tag", COMMIT, tree(paths), "dev@example.com")
    came_from = provenance_of(paths, h, [signed])
    assert (came_from.kind, came_from.path, came_from.address) == (
        "source",
        "profiles/h.yaml",
        "team/h@v1",
    )
    assert came_from.verified
    unsigned = Revision("team", "main", "branch", COMMIT, tree(paths))
    assert not provenance_of(paths, h, [unsigned]).verified


def test_a_checkout_no_revision_names_is_an_unverified_sources(paths: Paths) -> None:
    h = ref(tree(paths, commit="b" * 40) / "profiles" / "h.yaml")
    signed = Revision("team", "v1", "tag", COMMIT, tree(paths), "dev@example.com")
    came_from = provenance_of(paths, h, [signed])
    assert (came_from.kind, came_from.path, came_from.verified) == (
        "source",
        "profiles/h.yaml",
        False,
    )
    assert came_from.revision is not None and came_from.revision.source == "team"


def test_local_and_shipped_files_are_trusted(paths: Paths) -> None:
    local = provenance_of(paths, ref(paths.cwd / "profiles" / "l.yaml"), [])
    shipped = provenance_of(paths, ref(paths.shipped / "profiles" / "s.yaml"), [])
    assert (local.kind, local.verified, shipped.kind, shipped.verified) == (
        "local",
        True,
        "shipped",
        True,
    )
    check_host_hook(local, 3)  # no refusal


def test_a_host_hook_envman_cannot_place_is_refused() -> None:
    with pytest.raises(HookFailed) as info:
        check_host_hook(Provenance("unknown", "/x/y.yaml"), 4)
    assert info.value.exit_code == ExitCode.HOOK_FAILED
    assert info.value.message == (
        "/x/y.yaml:4: a host hook of an unread file would run on this machine, and envman "
        "cannot vouch for it"
    )
