"""`envman trust`: the trust envman enforces for team images, in podman's own terms."""

from __future__ import annotations

import typer

from envman.cli.common import JSON_OPTION, context
from envman.cli.output import emit_json, say

app = typer.Typer(
    help="Team image trust, as podman's policy.json and registries.d would enforce it.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command("show-policy")
def show_policy(json_out: JSON_OPTION = False) -> None:
    """Print the policy.json and registries.d snippets that make podman check the same keys.

    For hosts whose podman supports sigstore (Fedora); Debian 12's podman refuses every
    sigstoreSigned image. Merge the `transports` entries into the existing policy.json.
    """
    from envman.ops.config import podman_trust
    from envman.render.podman_policy import POLICY_FILES, REGISTRIES_D_FILES

    policy = podman_trust(context())
    if json_out:
        emit_json(policy)
        return
    say(f'# policy.json ({" or ".join(POLICY_FILES)}): merge into its "transports"')
    say(policy.policy_json.rstrip("\n"))
    say(f"# registries.d ({' or '.join(REGISTRIES_D_FILES)})")
    say(policy.registries_d.rstrip("\n"))
