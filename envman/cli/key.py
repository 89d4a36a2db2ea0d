"""`envman key`: signing keys for team images, in cosign's format."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from envman.cli.common import JSON_OPTION
from envman.cli.output import emit_json, say
from envman.errors import UsageError

PASSPHRASE_ENV = "ENVMAN_KEY_PASSPHRASE"

app = typer.Typer(
    help="Signing keys for team images (cosign format).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command()
def generate(
    prefix: Annotated[Path, typer.Argument(help="Write PREFIX.private and PREFIX.pub.")],
    json_out: JSON_OPTION = False,
) -> None:
    """Make a key pair: PREFIX.private (encrypted, mode 0600) and PREFIX.pub (to share).

    The passphrase comes from ENVMAN_KEY_PASSPHRASE, else a prompt (typed twice).
    """
    from envman.ops.keys import check_free, generate_key

    check_free(prefix)
    pair = generate_key(prefix, passphrase(confirm=True))
    if json_out:
        emit_json(pair)
        return
    say(f"wrote {pair.private} (secret, mode 0600) and {pair.public} (share it)")
    say(f"key {pair.key_id}")


def passphrase(*, confirm: bool) -> str:
    """ENVMAN_KEY_PASSPHRASE, else a hidden prompt (typed twice with `confirm`)."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value is not None:
        return value
    if not _interactive():
        raise UsageError(
            "no passphrase for the private key", f"set {PASSPHRASE_ENV}, or run it in a terminal"
        )
    answer: str = typer.prompt(
        "Passphrase for the private key", hide_input=True, confirmation_prompt=confirm
    )
    return answer


def _interactive() -> bool:
    return sys.stdin.isatty()
