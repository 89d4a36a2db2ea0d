"""podman's own enforcement of the team keys: policy.json and registries.d snippets (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

POLICY_FILES = ("/etc/containers/policy.json", "~/.config/containers/policy.json")
REGISTRIES_D_FILES = (
    "/etc/containers/registries.d/envman.yaml",
    "~/.config/containers/registries.d/envman.yaml",
)


@dataclass(frozen=True)
class PodmanPolicy:
    """The `transports` part of policy.json and a registries.d file, for the same registries."""

    policy_json: str
    registries_d: str


def _requirement(keys: Sequence[str]) -> dict[str, object]:
    """containers/image's sigstoreSigned rule; several keys need `keyPaths` (c/image 5.29+)."""
    paths: dict[str, object] = {"keyPath": keys[0]} if len(keys) == 1 else {"keyPaths": list(keys)}
    return {
        "type": "sigstoreSigned",
        **paths,
        "signedIdentity": {"type": "matchRepoDigestOrExact"},
    }


def podman_policy(teams: Mapping[str, Sequence[str]]) -> PodmanPolicy:
    """What makes podman refuse what envman refuses, for these registries and their key files
    (sorted, stable)."""
    ordered = sorted(teams)
    docker = {registry: [_requirement(teams[registry])] for registry in ordered}
    policy = json.dumps({"transports": {"docker": docker}}, indent=4) + "\n"
    lines = ["docker:"]
    for registry in ordered:
        lines += [f"  {registry}:", "    use-sigstore-attachments: true"]
    return PodmanPolicy(policy, "\n".join(lines) + "\n")
