"""`envman config`: the user's settings (base image overrides, generations, team registries)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envman.cli.common import JSON_OPTION, context
from envman.cli.output import emit_json, say

app = typer.Typer(
    help="Show and change envman's settings.", no_args_is_help=True, rich_markup_mode=None
)


@app.command()
def show(json_out: JSON_OPTION = False) -> None:
    """Print the settings and where they are kept."""
    ctx = context()
    config = ctx.config  # read (and refused when damaged) before anything is printed
    if json_out:
        emit_json(
            {
                "file": str(ctx.paths.config_file),
                "image_overrides": config.image_overrides,
                "keep_generations": config.keep_generations,
                "registries": config.registries,
            }
        )
        return
    say(f"# {ctx.paths.config_file}")
    for image, local in sorted(config.image_overrides.items()):
        say(f"image-override {image} -> {local}")
    say(f"keep-generations {config.keep_generations}")
    for team in config.registries:
        say(f"registry {team.registry} keys {' '.join(team.keys)}")


@app.command("keep-generations")
def keep_generations(
    keep: Annotated[int, typer.Argument(help="Generations gc keeps per environment.")],
) -> None:
    """How many generations `envman gc` keeps per environment (default 2; pinned ones on top)."""
    from envman.ops.config import set_keep_generations

    set_keep_generations(context(), keep)
    say(f"gc keeps {keep} generation(s) per environment")


@app.command("image-override")
def image_override(
    image: Annotated[
        str,
        typer.Argument(
            help="The image profiles name, e.g. registry.fedoraproject.org/fedora-toolbox:41."
        ),
    ],
    local: Annotated[str | None, typer.Argument(help="The image to build from instead.")] = None,
    unset: Annotated[bool, typer.Option("--unset", help="Remove the override for IMAGE.")] = False,
) -> None:
    """Build profiles that use IMAGE from LOCAL instead (hosts without a registry)."""
    from envman.ops.config import set_image_override, unset_image_override

    if unset:
        unset_image_override(context(), image)
        say(f"override for {image} removed")
        return
    if local is None:
        raise typer.BadParameter("give LOCAL, or --unset")
    set_image_override(context(), image, local)
    say(f"{image} -> {local}")


registry_app = typer.Typer(
    help="Team registries: where prebuilt team images live and the keys that sign them.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(registry_app, name="registry")


@registry_app.command("add")
def registry_add(
    registry: Annotated[
        str, typer.Argument(help="HOST[:PORT]/NAMESPACE, e.g. registry.example.com/team.")
    ],
    key: Annotated[
        list[Path],
        typer.Option("--key", help="A trusted cosign public key file (repeat for more)."),
    ],
) -> None:
    """Pull team images from REGISTRY in `envman up`, when signed by one of these keys.

    Adding a registry again replaces its keys.
    """
    from envman.ops.config import add_registry

    entry = add_registry(context(), registry, key)
    say(f"registry {entry.registry}: up pulls images signed by {', '.join(entry.keys)}")


@registry_app.command("remove")
def registry_remove(
    registry: Annotated[str, typer.Argument(help="HOST[:PORT]/NAMESPACE as added.")],
) -> None:
    """Stop pulling team images from REGISTRY (images already here stay)."""
    from envman.ops.config import remove_registry

    remove_registry(context(), registry)
    say(f"registry {registry} removed")
