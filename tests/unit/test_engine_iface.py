"""The engine interface: a neutral spec, podman's terms only in the adapter, fakes in step."""

from __future__ import annotations

import inspect
from dataclasses import asdict, replace

import pytest

from envman.engine.podman_api import PodmanEngine, _create_kwargs
from envman.engine.types import ContainerSpec, Engine
from envman.history import spec_from_data
from envman.host.facts import HostFacts
from envman.profile.model import FileLine, Integration, Profile
from envman.render.container import container_spec
from tests.fake_engine import FakeEngine

SPEC = ContainerSpec(name="dev", image="i", hostname="h")
PROTOCOL_METHODS = sorted(
    name
    for name, value in vars(Engine).items()
    if inspect.isfunction(value) and not name.startswith("_")
)


@pytest.mark.parametrize("engine", [FakeEngine, PodmanEngine])
@pytest.mark.parametrize("method", PROTOCOL_METHODS)
def test_engines_implement_every_protocol_method_with_its_signature(
    engine: type, method: str
) -> None:
    assert inspect.signature(getattr(engine, method)) == inspect.signature(getattr(Engine, method))


@pytest.mark.parametrize("method", PROTOCOL_METHODS)
def test_every_protocol_method_is_documented(method: str) -> None:
    assert inspect.getdoc(getattr(Engine, method))


def test_keep_user_ids_is_keep_id_only_for_rootless_podman() -> None:
    spec = replace(SPEC, keep_user_ids=True)
    assert _create_kwargs(spec, rootless=True)["userns_mode"] == "keep-id"
    assert "userns_mode" not in _create_kwargs(spec, rootless=False)
    assert "userns_mode" not in _create_kwargs(SPEC, rootless=True)


def test_namespaces_gpus_and_labels_in_podmans_terms() -> None:
    shared = _create_kwargs(SPEC, rootless=False)
    assert (shared["network_mode"], shared["pid_mode"], shared["ipc_mode"]) == ("host",) * 3
    assert shared["security_opt"] == ["label=disable"] and shared["devices"] == []
    own = replace(
        SPEC,
        host_network=False,
        host_pid=False,
        host_ipc=False,
        gpus=True,
        label_confinement=True,
        devices=("/dev/fuse",),
        security_opt=("seccomp=unconfined",),
    )
    kwargs = _create_kwargs(own, rootless=False)
    assert "network_mode" not in kwargs
    assert (kwargs["pid_mode"], kwargs["ipc_mode"]) == ("private", "private")
    assert kwargs["devices"] == ["/dev/fuse", "nvidia.com/gpu=all"]
    assert kwargs["security_opt"] == ["seccomp=unconfined"]


FACTS = HostFacts(
    user="alice",
    uid=1000,
    gid=1000,
    home="/home/alice",
    shell="/bin/bash",
    hostname="laptop",
    runtime_dir="/run/user/1000",
    rootless=True,
    existing=frozenset(),
)


def test_rendered_spec_has_no_podman_words() -> None:
    integration = Integration(nvidia=True, unshare=("netns",)).with_defaults()
    profile = Profile(name="dev", origin=FileLine("dev.yaml"), integration=integration)
    spec = container_spec(profile, FACTS, name="dev", image="i", labels={})
    assert spec.gpus and spec.keep_user_ids and not spec.host_network
    assert spec.devices == () and spec.security_opt == ()
    text = repr(asdict(spec))
    for word in ("keep-id", "nvidia.com/gpu", "label=disable", "private"):
        assert word not in text


def test_a_generation_saved_with_podmans_words_loads_as_the_same_container() -> None:
    old = {
        **{k: v for k, v in asdict(SPEC).items() if k not in ("keep_user_ids", "host_network")},
        "userns": "keep-id",
        "network": "private",
        "pid": "host",
        "ipc": "private",
        "security_opt": ["label=disable", "seccomp=unconfined"],
        "devices": ["/dev/fuse", "nvidia.com/gpu=all"],
    }
    for key in ("host_pid", "host_ipc", "gpus", "label_confinement"):
        old.pop(key)
    spec = spec_from_data(old)
    assert spec.keep_user_ids and not spec.host_network and spec.host_pid and not spec.host_ipc
    assert spec.gpus and spec.devices == ("/dev/fuse",)
    assert not spec.label_confinement and spec.security_opt == ("seccomp=unconfined",)
    assert spec_from_data(asdict(spec)) == spec
