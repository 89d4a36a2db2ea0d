"""podman's own enforcement of the team keys: policy.json and registries.d snippets (pure)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from envman.host.config import TeamRegistry

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


def _requirement(team: TeamRegistry) -> dict[str, object]:
    """containers/image's sigstoreSigned rule; several keys need `keyPaths` (c/image 5.29+)."""
    keys: dict[str, object] = (
        {"keyPath": team.keys[0]} if len(team.keys) == 1 else {"keyPaths": list(team.keys)}
    )
    return {
        "type": "sigstoreSigned",
        **keys,
        "signedIdentity": {"type": "matchRepoDigestOrExact"},
    }


def podman_policy(teams: Sequence[TeamRegistry]) -> PodmanPolicy:
    """What makes podman refuse what envman refuses, for these registries (sorted, stable)."""
    ordered = sorted(teams, key=lambda t: t.registry)
    docker = {team.registry: [_requirement(team)] for team in ordered}
    policy = json.dumps({"transports": {"docker": docker}}, indent=4) + "\n"
    lines = ["docker:"]
    for team in ordered:
        lines += [f"  {team.registry}:", "    use-sigstore-attachments: true"]
    return PodmanPolicy(policy, "\n".join(lines) + "\n")
