"""Team registries in the user's settings, and podman's policy for the same keys (golden)."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.errors import KeyInvalid, ProfileSchemaError, RegistryError, UsageError
from envman.host.config import TeamRegistry, load_config
from envman.ops.config import add_registry, podman_trust, remove_registry
from envman.ops.context import Context
from envman.ops.keys import generate_key
from envman.paths import Paths
from envman.render.podman_policy import podman_policy
from tests.helpers import assert_golden


@pytest.fixture
def ctx(paths: Paths) -> Context:
    return Context(paths=paths, wait=0)


@pytest.fixture
def pubkey(tmp_path: Path) -> Path:
    return Path(generate_key(tmp_path / "team", "pass").public)


def test_a_registry_and_its_keys_are_kept_and_replaced(ctx: Context, pubkey: Path) -> None:
    add_registry(ctx, "127.0.0.1:5000/team/", [pubkey])
    config = load_config(ctx.paths.config_file)
    assert config.registries == (TeamRegistry("127.0.0.1:5000/team", (str(pubkey),)),)
    add_registry(Context(paths=ctx.paths), "127.0.0.1:5000/team", [pubkey, pubkey])
    assert len(load_config(ctx.paths.config_file).registries[0].keys) == 2
    remove_registry(Context(paths=ctx.paths), "127.0.0.1:5000/team")
    assert load_config(ctx.paths.config_file).registries == ()


def test_a_file_that_is_not_a_public_key_is_refused(ctx: Context, tmp_path: Path) -> None:
    bad = tmp_path / "not.pub"
    bad.write_text("hello\n")
    with pytest.raises(KeyInvalid, match=r"not\.pub"):
        add_registry(ctx, "registry.example.com/team", [bad])
    assert not ctx.paths.config_file.exists()


def test_a_malformed_registry_is_refused(ctx: Context, pubkey: Path) -> None:
    with pytest.raises(RegistryError, match="not a registry repository"):
        add_registry(ctx, "team", [pubkey])


def test_a_hand_edited_entry_names_file_and_key(ctx: Context) -> None:
    ctx.paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    ctx.paths.config_file.write_text(
        "registries:\n  - registry: reg.example.com/t\n    keys: [x]\n"
    )
    with pytest.raises(ProfileSchemaError, match=r"config.yaml:3.*absolute"):
        load_config(ctx.paths.config_file)


def test_show_policy_without_a_registry_says_how_to_add_one(ctx: Context) -> None:
    with pytest.raises(UsageError, match="no team registry"):
        podman_trust(ctx)


def test_podman_policy_is_deterministic() -> None:
    teams = {
        "registry.example.com/team": ("/etc/envman/team.pub",),
        "127.0.0.1:5000/ci": ("/keys/a.pub", "/keys/b.pub"),
    }
    policy = podman_policy(teams)
    assert policy == podman_policy(dict(reversed(teams.items())))
    assert_golden("policy/policy.json", policy.policy_json)
    assert_golden("policy/registries.d.yaml", policy.registries_d)
