"""`envman profile`: list, show, explain, diff, validate, lint, import and export profiles."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envman.cli.common import JSON_OPTION, context
from envman.cli.output import emit_json, note, printable, say, table
from envman.errors import LintFailed

if TYPE_CHECKING:
    from envman.ops.profile_diff import ProfileDiff
    from envman.ops.profiles import ExplainRow, IncludeRow
    from envman.profile.diff import Change

app = typer.Typer(
    help="Work with profiles (envman YAML, distrobox ini, toolbx Containerfile).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

PROFILE = Annotated[
    str, typer.Argument(help="Profile name (lookup order) or file path (FILE.ini#SECTION).")
]


@app.command("list")
def list_profiles(json_out: JSON_OPTION = False) -> None:
    """List profiles in lookup order: ./profiles, ~/.config/envman/profiles, sources, shipped."""
    from envman.ops.profiles import list_all

    entries = list_all(context())
    if json_out:
        emit_json(entries)
        return
    rows = [
        (
            e.name,
            e.format,
            "yes" if e.selected else "shadowed",
            f"{e.address} ({e.commit[:12]})" if e.origin == "source" else e.path,
        )
        for e in entries
    ]
    sys.stdout.write(table(rows, ("NAME", "FORMAT", "SELECTED", "SOURCE")))


@app.command()
def show(
    profile: PROFILE,
    containerfile: Annotated[
        bool, typer.Option("--containerfile", help="Print the rendered Containerfile.")
    ] = False,
    json_out: JSON_OPTION = False,
) -> None:
    """Print the resolved profile (includes merged, defaults applied) and its content hash."""
    import yaml

    from envman.ops.profiles import show as do_show

    shown = do_show(context(), profile)
    for warning in shown.warnings:
        note(f"warning: {warning}")
    if json_out:
        emit_json(shown)
        return
    if containerfile:
        sys.stdout.write(shown.containerfile)
        return
    say(f"# source: {shown.source}")
    say(f"# content hash: {shown.content_hash}")
    if shown.published_hash != shown.content_hash:
        say(f"# team image hash (without this host's CAs): {shown.published_hash}")
    say(f"# image: {shown.image_tag} (base {shown.base_image})")
    sys.stdout.write(yaml.safe_dump(shown.profile, sort_keys=False, default_flow_style=False))


@app.command()
def explain(profile: PROFILE, json_out: JSON_OPTION = False) -> None:
    """Show where every resolved value comes from: file, line and source revision."""
    from envman.ops.profiles import explain as do_explain

    explained = do_explain(context(), profile)
    for warning in explained.warnings:
        note(f"warning: {warning}")
    if json_out:
        emit_json(explained)
        return
    for i in explained.includes:  # paths vary in length: lines, not a table
        say(f"{'  ' * (i.depth - 1)}include {i.name} from {i.included_at} -> {_resolved_to(i)}")
    if explained.includes:
        say("")
    rows = [(_list_key(row.key, row.value), row.value, _written_at(row)) for row in explained.rows]
    sys.stdout.write(table(rows, ("KEY", "VALUE", "FROM")))


def _resolved_to(include: IncludeRow) -> str:
    """The file an include resolved to, and for a source's file its address and commit."""
    if not include.revision:
        return f"{include.file} (shipped)" if include.kind == "shipped" else include.file
    trust = "" if include.verified else ", not verified"
    return f"{include.file} @ {include.revision} (commit {include.commit[:12]}{trust})"


def _list_key(key: str, value: str) -> str:
    """`packages[git]` is shown as `packages`: the value column already says `git`."""
    return key.removesuffix(f"[{value}]")


def _written_at(row: ExplainRow) -> str:
    if not row.file:
        return "(default)"
    where = f"{row.file}:{row.line}" if row.line else row.file
    return f"{where} @ {row.revision} (commit {row.commit[:12]})" if row.revision else where


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="A profile: name, path or SOURCE/PROFILE@REF.")],
    new: Annotated[
        str,
        typer.Argument(help="The other profile; after SOURCE/PROFILE@REF also just REF or @REF."),
    ],
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit with 1 when the profiles differ.")
    ] = False,
    json_out: JSON_OPTION = False,
) -> None:
    """Show what changed between two versions of a profile, and whether it means a rebuild."""
    from envman.ops.profile_diff import diff as do_diff

    result = do_diff(context(), old, new)
    if json_out:
        emit_json(result)
    else:
        sys.stdout.write(_diff_text(result))
    if exit_code and not result.identical:
        raise typer.Exit(1)


ACTIONS = {
    "rebuilt": "up: would be rebuilt (the build content differs: a new image, a new container)",
    "recreated": "up: would be recreated (the same image; the runtime settings differ)",
    "up-to-date": "up: up-to-date (an environment made from one runs what the other says)",
}
MARKS = {"added": "+", "removed": "-", "changed": "~"}


def _diff_text(result: ProfileDiff) -> str:
    lines = [
        f"--- {result.old.source}  content {result.old.content_hash[:12]}",
        f"+++ {result.new.source}  content {result.new.content_hash[:12]}",
    ]
    lines += [_change_line(change) for change in result.changes]
    lines += [f"{MARKS[f.kind]} build file: {f.key}" for f in result.files]
    if result.identical:
        lines.append("no differences")
    lines.append(ACTIONS[result.action])
    return "\n".join(lines) + "\n"


def _change_line(change: Change) -> str:
    from envman.profile.locations import value_text

    if change.kind == "changed":
        return f"~ {change.key}: {value_text(change.old)} -> {value_text(change.new)}"
    value = change.new if change.kind == "added" else change.old
    return f"{MARKS[change.kind]} {change.key}: {value_text(value)}"


@app.command()
def validate(
    profiles: Annotated[
        list[str] | None, typer.Argument(help="Profiles to check (default: all).")
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Fail on warnings too (ini lines 2.x reads otherwise)."),
    ] = False,
    json_out: JSON_OPTION = False,
) -> None:
    """Check that profiles parse, resolve and render; exit non-zero if any does not.

    An ini file given without #SECTION is checked section by section.
    """
    from envman.ops.profiles import validate as do_validate

    results = do_validate(context(), list(profiles or []), strict=strict)
    if json_out:
        emit_json(results)
    else:
        for r in results:
            if r.error is None:
                say(f"ok    {r.target}")
            else:
                say(
                    f"FAIL  {printable(r.target)}\n      {printable(r.error)}"
                    + (f"\n      hint: {printable(r.hint)}" if r.hint else "")
                )
            for warning in r.warnings:
                say(f"      warning: {printable(warning)}")
    failed = [r for r in results if r.error is not None]
    if failed:
        raise typer.Exit(failed[0].exit_code)


@app.command()
def lint(
    profile: PROFILE,
    image: Annotated[
        bool, typer.Option("--image/--no-image", help="Also check the built image.")
    ] = True,
    json_out: JSON_OPTION = False,
) -> None:
    """Check toolbx's image requirements so the image also works with `toolbox`."""
    from envman.ops.lint import lint as do_lint

    report = do_lint(context(), profile, check_image=image)
    if json_out:
        emit_json(report)
    else:
        for finding in report.findings:
            where = f" ({finding.origin})" if finding.origin else ""
            text = printable(f"{finding.message}{where}")
            say(f"{finding.level.upper():6} {finding.id}: {text}")
        if report.image_checked is False and image:
            say(f"info   image-not-built: run `envman up {report.name}`, then lint again")
        say(f"{report.name}: {report.summary}")
    if any(f.level == "must" for f in report.findings):
        raise LintFailed(
            f"{report.name} does not meet toolbx's MUST requirements", "see the list above"
        )


@app.command("import")
def import_profile(
    source: Annotated[Path, typer.Argument(help="A distrobox-assemble .ini or a Containerfile.")],
    output_dir: Annotated[
        Path,
        typer.Option(
            "--output",
            "--output-dir",
            "-o",
            metavar="DIR",
            help="Where to write the YAML (as in export, -o is where the output goes).",
        ),
    ] = Path("profiles"),
    hooks_as: Annotated[
        str,
        typer.Option(metavar="WHEN", help="distrobox hooks become build (default) or start hooks."),
    ] = "build",
    force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
    json_out: JSON_OPTION = False,
) -> None:
    """Convert profiles to envman YAML (one file per ini section)."""
    from envman.ops.profiles import import_profiles

    if hooks_as not in ("build", "start"):
        raise typer.BadParameter("--hooks-as is build or start")
    result = import_profiles(source, output_dir, hooks_as=hooks_as, force=force)
    for warning in result.warnings:
        note(f"warning: {warning}")
    if json_out:
        emit_json(result)
        return
    for path in result.written:
        say(f"wrote {path}")


@app.command()
def export(
    profile: PROFILE,
    to: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="ini (distrobox assemble) or yaml.")
    ] = "ini",
    ini: Annotated[bool, typer.Option("--ini", help="Same as --format ini (the default).")] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write to a file instead of stdout."),
    ] = None,
) -> None:
    """Write the resolved profile as a distrobox-assemble ini section or as envman YAML."""
    from envman.host.files import write_atomic
    from envman.ops.profiles import export_profile

    if to not in ("ini", "yaml"):
        raise typer.BadParameter(f"{to!r}: the formats are ini and yaml", param_hint="--format")
    if ini and to != "ini":
        raise typer.BadParameter("--ini and --format yaml contradict each other")
    exported = export_profile(context(), profile, to)
    for warning in exported.warnings:
        note(f"warning: {warning}")
    if output is None:
        sys.stdout.write(exported.text)
    else:
        write_atomic(output, exported.text)
        say(f"wrote {output}")
