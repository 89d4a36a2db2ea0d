"""`envman profile lint`: a profile's Containerfile and built image against toolbx's needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from envman.ops.build_inputs import Resolved, resolve_profile
from envman.ops.context import Context
from envman.profile.containerfile.context import read_text
from envman.profile.containerfile.instructions import parse_instructions
from envman.profile.toolbx.findings import LEVELS, Finding, ordered
from envman.profile.toolbx.image import IMAGE_LINT_SCRIPT, lint_image_config, parse_image_lint
from envman.profile.toolbx.static import lint_containerfile

RENDERED = "rendered Containerfile"
# envman's build labels every image it builds.
_LABELLED_BY_ENVMAN = frozenset({"toolbox-label"})
# envman's layers follow a build.containerfile in its final stage: they switch back to root
# and clear the entry point.
_RESET_BY_ENVMAN = _LABELLED_BY_ENVMAN | {"entrypoint-set", "user-not-root"}
# Only says "lint the built image"; once that is done it adds nothing.
_SUPERSEDED_BY_IMAGE = frozenset({"base-not-toolbx"})


@dataclass(frozen=True)
class LintReport:
    """What `profile lint` found: MUST first, and whether the built image was checked too."""

    name: str
    findings: tuple[Finding, ...]
    image_checked: bool
    containerfile: str
    image: str
    summary: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "summary", summarize(self.findings, self.image_checked))


def summarize(findings: tuple[Finding, ...], image_checked: bool) -> str:
    """E.g. `2 MUST, 1 SHOULD unmet` or `meets toolbx's requirements`; notes an unchecked image."""
    counts = {level: sum(f.level == level for f in findings) for level in LEVELS}
    unmet = [f"{counts[level]} {level.upper()}" for level in ("must", "should") if counts[level]]
    text = f"{', '.join(unmet)} unmet" if unmet else "meets toolbx's requirements"
    return text if image_checked else f"{text} (image not checked)"


def lint(ctx: Context, arg: str, *, check_image: bool = True) -> LintReport:
    """Lint a profile's Containerfile and, when asked and already built, its image."""
    resolved = resolve_profile(ctx.paths, ctx.config, arg)
    linted, findings = _static(resolved)
    image_findings = _image(ctx, resolved) if check_image else None
    if image_findings is not None:
        findings = _merged(findings, image_findings)
    return LintReport(
        resolved.name, tuple(ordered(findings)), image_findings is not None, linted, resolved.tag
    )


def _merged(static: list[Finding], image: list[Finding]) -> list[Finding]:
    # A static finding names the line to change; the image's says the same, less precisely.
    seen = {f.id for f in static}
    kept = [f for f in static if f.id not in _SUPERSEDED_BY_IMAGE]
    return kept + [f for f in image if f.id not in seen]


def _static(resolved: Resolved) -> tuple[str, list[Finding]]:
    """What was linted (a file, or envman's rendered Containerfile) and its findings."""
    profile = resolved.profile
    if profile.format == "containerfile":
        return str(resolved.ref.path), _lint_file(resolved.ref.path)
    if profile.containerfile is not None:
        path = resolved.ref.path.parent / profile.containerfile
        findings = [f for f in _lint_file(path) if f.id not in _RESET_BY_ENVMAN]
        return str(path), findings
    text = resolved.plan.containerfile
    findings = lint_containerfile(parse_instructions(text, RENDERED), RENDERED)
    return RENDERED, [f for f in findings if f.id not in _LABELLED_BY_ENVMAN]


def _lint_file(path: Path) -> list[Finding]:
    file = str(path)
    return lint_containerfile(parse_instructions(read_text(path), file), file)


def _image(ctx: Context, resolved: Resolved) -> list[Finding] | None:
    """Findings for the profile's built image (its config, then the script), None if not built."""
    engine = ctx.engine()
    info = engine.image(resolved.tag)
    if info is None:
        return None
    findings = lint_image_config(info.entrypoint, info.user, dict(info.labels))
    _, output = engine.run_once(resolved.tag, ["/bin/sh", "-c", IMAGE_LINT_SCRIPT])
    return findings + parse_image_lint(output)
