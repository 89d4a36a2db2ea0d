"""`envman publish` (push and sign team images) and `envman ci` (the pipeline that runs it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envman.cli.common import JSON_OPTION, QUIET_OPTION, VERBOSE_OPTION, context
from envman.cli.output import emit_json, say

if TYPE_CHECKING:
    from envman.ops.publish import PublishResult


def _complete_profile(incomplete: str) -> list[str]:
    from envman.cli.names import complete_profile

    return complete_profile(incomplete)


PROFILES = Annotated[
    list[str] | None,
    typer.Argument(
        help="Profiles: names, files or SOURCE/PROFILE@REF.",
        metavar="PROFILE...",
        autocompletion=_complete_profile,
        show_default=False,
    ),
]
REGISTRY = Annotated[
    str,
    typer.Option(
        "--registry",
        metavar="HOST/NAMESPACE",
        help="Where images go: HOST[:PORT]/NAMESPACE; each profile becomes a repository in it.",
    ),
]


def publish(
    profiles: PROFILES = None,
    *,
    registry: REGISTRY,
    key: Annotated[
        Path,
        typer.Option(
            "--key", metavar="KEYFILE", help="The signing key (PREFIX.private of `key generate`)."
        ),
    ],
    all_profiles: Annotated[
        bool, typer.Option("--all", help="Every profile in ./profiles (a team source checkout).")
    ] = False,
    json_out: JSON_OPTION = False,
    quiet: QUIET_OPTION = False,
    verbose: VERBOSE_OPTION = False,
) -> None:
    """Build (or reuse), push and sign team images: REGISTRY/NAMESPACE/PROFILE:<content hash>
    and the profile's version as a moving tag, with cosign signatures in the registry.

    A content hash already pushed and signed with this key is left as it is (nothing pushed,
    nothing signed). The key's passphrase comes from ENVMAN_KEY_PASSPHRASE, else a prompt; the
    registry login is podman's (`podman login HOST`).
    """
    from envman.cli.key import passphrase
    from envman.cli.progress import build_view
    from envman.ops.publish import publish as do_publish

    secret = passphrase(confirm=False)
    view = build_view(quiet=quiet, verbose=verbose)
    try:
        results = do_publish(
            context(view=view),
            list(profiles or ()),
            registry=registry,
            key_file=key,
            passphrase=secret,
            all_profiles=all_profiles,
        )
    finally:
        view.close()
    if json_out:
        emit_json([{**_data(r), "already_published": r.already_published} for r in results])
        return
    for result in results:
        say(f"{result.profile}: {_summary(result)}")
        say(f"  {result.reference}")
        if result.version_reference:
            say(f"  {result.version_reference}")
        say(f"  digest {result.digest}")


def _data(result: PublishResult) -> dict[str, object]:
    from envman.cli.output import to_data

    data = to_data(result)
    assert isinstance(data, dict)
    return data


def _summary(result: PublishResult) -> str:
    """`already published`, or what was done: `built, pushed, signed, tagged`."""
    if result.already_published:
        return "already published"
    done = [
        word
        for word, flag in (
            ("built", result.built),
            ("pushed", result.pushed),
            ("signed", bool(result.signed)),
            ("tagged", result.tagged),
        )
        if flag
    ]
    return ", ".join(done)


def register(app: typer.Typer) -> None:
    """Add `envman publish` and `envman ci` to the root app."""
    app.command()(publish)
    app.add_typer(ci_app, name="ci")


ci_app = typer.Typer(
    help="Print a CI pipeline that validates and publishes a team source's profiles.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
CI_REGISTRY = Annotated[
    str | None,
    typer.Option(
        "--registry",
        metavar="HOST/NAMESPACE",
        help="Where images go: HOST[:PORT]/NAMESPACE (GitLab default: $CI_REGISTRY_IMAGE).",
    ),
]
INSTALL = Annotated[
    str | None,
    typer.Option(
        "--install", metavar="COMMAND", help="The shell line that installs envman in the job."
    ),
]


@ci_app.command()
def gitlab(
    registry: CI_REGISTRY = None,
    image: Annotated[
        str, typer.Option("--image", metavar="IMAGE", help="The jobs' image (it needs podman).")
    ] = "quay.io/podman/stable",
    install: INSTALL = None,
) -> None:
    """Print a .gitlab-ci.yml: `profile validate --strict` on merge requests, `publish --all`
    on the default branch and on tags."""
    from envman.render.ci import CiOptions
    from envman.render.ci import gitlab as render

    options = CiOptions(
        _registry(registry or "$CI_REGISTRY_IMAGE"),
        image,
        install or f"dnf -y install python3-pip && python3 -m pip install {_package()}",
    )
    sys.stdout.write(render(options))


@ci_app.command()
def github(
    registry: CI_REGISTRY = None,
    branch: Annotated[
        str, typer.Option("--branch", metavar="BRANCH", help="The branch that publishes.")
    ] = "main",
    install: INSTALL = None,
) -> None:
    """Print a GitHub Actions workflow (.github/workflows/envman.yml): `profile validate
    --strict` on pull requests, `publish --all` on BRANCH and on tags."""
    from envman.errors import UsageError
    from envman.render.ci import CiOptions
    from envman.render.ci import github as render

    if registry is None:
        raise UsageError(
            "envman ci github needs --registry", "e.g. --registry ghcr.io/YOUR-ORG (lower case)"
        )
    options = CiOptions(
        _registry(registry), "", install or f"pipx install {_package()}", branch=branch
    )
    sys.stdout.write(render(options))


def _registry(text: str) -> str:
    """A registry as given; HOST/NAMESPACE is checked unless it is a CI variable."""
    if not text.startswith("$"):
        from envman.ops.publish import check_registry

        check_registry(text)
    return text


def _package() -> str:
    """The envman this pipeline was generated with, pinned."""
    from envman import __version__

    return f"envman=={__version__}"
