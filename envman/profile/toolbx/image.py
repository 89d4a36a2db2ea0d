"""Linting a built image: the in-image check script, its output parsed, the image's config."""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources

from envman.profile import validate as v
from envman.profile.containerfile.profile import TOOLBOX_LABELS
from envman.profile.model import FileLine
from envman.profile.toolbx.findings import TOOLBOX_LABEL_MESSAGE, Finding, clean, ordered
from envman.profile.toolbx.requirements import FAMILIES, REQUIREMENTS, WRITABLE_DIRS

# Run as root inside the image (see image_lint_command); parse its stdout with
# parse_image_lint. Every id it prints is a key of REQUIREMENTS.
IMAGE_LINT_SCRIPT = (
    resources.files("envman").joinpath("data", "toolbx-lint.sh").read_text(encoding="utf-8")
)

_RESULT_ID = re.compile(r"[a-z0-9-]+")
_OS_RELEASE = re.compile(r"ID=(\S*) ID_LIKE=(.*) VERSION_ID=")


def image_lint_command(image: str) -> list[str]:
    """The podman argv that runs IMAGE_LINT_SCRIPT in `image` as root, offline.

    `--no-hosts` keeps podman from mounting its own /etc/hosts over the image's, which
    the script must see; `--pull=never` because only a built, local image is linted.
    """
    v.check_image(image, FileLine("image"), "image")
    return [
        "podman",
        "run",
        "--rm",
        "--pull=never",
        "--network",
        "none",
        "--no-hosts",
        "--user",
        "0:0",
        "--entrypoint",
        "/bin/sh",
        image,
        "-c",
        IMAGE_LINT_SCRIPT,
    ]


def parse_image_lint(output: str) -> list[Finding]:
    """Findings for the script's failed checks (the image's stdout), MUST first."""
    results, stray = _result_lines(output)
    if not results:
        return [
            Finding(
                "must",
                "lint-no-output",
                "the image printed no lint results: it may lack a POSIX /bin/sh",
            )
        ]
    family = _family(results)
    findings = [
        _image_finding(key, detail, family) for status, key, detail in results if status == "fail"
    ]
    missing = [key for key in REQUIREMENTS if key not in {key for _, key, _ in results}]
    if missing:
        findings.append(
            Finding(
                "must",
                "lint-incomplete",
                f"the lint stopped early; unchecked: {', '.join(missing)}",
            )
        )
    if stray:
        findings.append(
            Finding(
                "info", "lint-output", f"{len(stray)} unexpected output line(s), first: {stray[0]}"
            )
        )
    return ordered(findings)


def _result_lines(output: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    results: list[tuple[str, str, str]] = []
    stray: list[str] = []
    for line in output.splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3 and parts[0] in ("ok", "fail") and _RESULT_ID.fullmatch(parts[1]):
            results.append((parts[0], parts[1], clean(parts[2])))
        elif line.strip():
            stray.append(clean(line))
    return results, stray


def _family(results: list[tuple[str, str, str]]) -> str | None:
    for _, key, detail in results:
        match = _OS_RELEASE.search(detail) if key == "os-release" else None
        if match:
            names = {match.group(1), *match.group(2).split()}
            for family, members in FAMILIES:
                if names & set(members):
                    return family
    return None


def _image_finding(key: str, detail: str, family: str | None) -> Finding:
    requirement = REQUIREMENTS.get(key)
    if requirement is None:
        return Finding("should", key, f"unknown check failed: {detail}")
    level = requirement.level
    if key in WRITABLE_DIRS and detail.endswith("not writable by root"):
        level = "must"
    fix = requirement.fix(family)
    message = f"{requirement.text}: {detail}" + (f"; fix: {fix}" if fix else "")
    return Finding(level, key, message)


def lint_image_config(
    entrypoint: Sequence[str] | None, user: str | None, labels: dict[str, str]
) -> list[Finding]:
    """Findings for an image's config as `podman image inspect` shows it."""
    findings: list[Finding] = []
    if entrypoint and any(entrypoint):
        findings.append(
            Finding(
                "must",
                "entrypoint-set",
                f"the image has an entry point {list(entrypoint)!r}; toolbx and envman need none: "
                "add `ENTRYPOINT []` to the Containerfile",
            )
        )
    name = (user or "").split(":", 1)[0]
    if name not in ("", "root", "0"):
        findings.append(
            Finding(
                "must",
                "user-not-root",
                f"the image runs as {clean(name)!r}; toolbx and envman start containers as root: "
                "end the Containerfile with `USER root`",
            )
        )
    if not any(labels.get(key) == "true" for key in TOOLBOX_LABELS):
        findings.append(Finding("info", "toolbox-label", TOOLBOX_LABEL_MESSAGE))
    return findings
