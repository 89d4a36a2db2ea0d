"""Lint findings: levels, the Finding record, ordering and cleaning untrusted text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["must", "should", "info"]
LEVELS: tuple[Level, ...] = ("must", "should", "info")

TOOLBOX_LABEL_MESSAGE = (
    'no com.github.containers.toolbox="true" label; envman adds it at build, '
    "add it yourself for images used with plain toolbox"
)


@dataclass(frozen=True)
class Finding:
    """One lint result: how bad (`must` breaks toolbx/envman), a stable id, what to do, where."""

    level: Level
    id: str
    message: str
    origin: str | None = None


def ordered(findings: list[Finding]) -> list[Finding]:
    """MUST first, then SHOULD, then INFO; by line within a level (no line sorts first)."""

    def key(finding: Finding) -> tuple[int, int]:
        line = finding.origin.rsplit(":", 1)[-1] if finding.origin else ""
        return LEVELS.index(finding.level), int(line) if line.isdigit() else 0

    return sorted(findings, key=key)


def clean(text: str) -> str:
    """Image output is untrusted: printable and short."""
    text = "".join(char if char.isprintable() else "?" for char in text)
    return text if len(text) <= 200 else text[:197] + "..."
