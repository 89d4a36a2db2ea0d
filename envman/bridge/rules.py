"""The path-bridge rule model: what to watch, where the value is, what is bad, what replaces it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

Format = Literal["json", "ini", "regex"]
FORMATS: tuple[Format, ...] = ("json", "ini", "regex")

FLATPAK_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*){2,}$")
COMMAND_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")
RULE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class Locator:
    """Where the value lives in a file: a JSON Pointer, an ini section+key, or a regex's group 1."""

    format: Format
    key: str
    section: str = ""

    def describe(self) -> str:
        """`json /path`, `ini [Desktop Entry] Exec`, `regex ...`."""
        if self.format == "ini":
            return f"ini [{self.section}] {self.key}"
        return f"{self.format} {self.key}"


@dataclass(frozen=True)
class LiteralPath:
    """Replace with this absolute path, as written."""

    path: str

    def describe(self) -> str:
        """For `envman bridge rules`."""
        return self.path


@dataclass(frozen=True)
class FlatpakCommand:
    """Replace with a generated wrapper that runs COMMAND inside the Flatpak APP.

    `consumer` is who executes the wrapper: "host", or the Flatpak ID of a sandboxed consumer, which
    then reaches the host through `flatpak-spawn --host`.
    """

    app: str
    command: str
    consumer: str = "host"

    def describe(self) -> str:
        """For `envman bridge rules`."""
        return f"wrapper: flatpak run --command={self.command} {self.app} (for {self.consumer})"


@dataclass(frozen=True)
class HostCommand:
    """Replace with a wrapper inside the consumer Flatpak's directory that runs a host program."""

    program: str
    consumer: str

    def describe(self) -> str:
        """For `envman bridge rules`."""
        return f"wrapper: flatpak-spawn --host {self.program} (for {self.consumer})"


Replacement = LiteralPath | FlatpakCommand | HostCommand


@dataclass(frozen=True)
class RuleProvenance:
    """Where a rule was defined: a label (user, team, profile NAME, preset NAME) and file:line."""

    label: str
    file: str
    line: int = 0

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{self.label} ({where})"


@dataclass(frozen=True)
class Rule:
    """One rule: files matching `glob` in `dir` get known-bad values at `locator` replaced.

    With `mirror`, the source file is left alone and the rewritten copy goes to `mirror`/<name>.
    With `requires`, the rule only acts while that path exists (e.g. a Flatpak's ~/.var/app dir).
    """

    id: str
    dir: Path
    glob: str
    locator: Locator
    match: str
    replace: Replacement
    mirror: Path | None = None
    requires: Path | None = None
    source: RuleProvenance = field(default=RuleProvenance("built-in", "-"), compare=False)

    @property
    def pattern(self) -> re.Pattern[str]:
        """The compiled `match` (validated when the rule was loaded)."""
        return _compiled(self.match)

    @property
    def consumer(self) -> str:
        """Who executes the replacement: "host" or a Flatpak ID."""
        return "host" if isinstance(self.replace, LiteralPath) else self.replace.consumer


_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    if pattern not in _CACHE:
        _CACHE[pattern] = re.compile(pattern)
    return _CACHE[pattern]


@dataclass(frozen=True)
class RuleSet:
    """The effective rules in precedence order, plus the rules that later sources overrode."""

    rules: tuple[Rule, ...] = ()
    overridden: tuple[tuple[Rule, RuleProvenance], ...] = ()
    presets: tuple[tuple[str, RuleProvenance], ...] = ()

    def dirs(self) -> set[Path]:
        """Every directory a rule reads from."""
        return {rule.dir for rule in self.rules}

    def for_file(self, directory: Path, name: str) -> list[Rule]:
        """The rules that apply to DIRECTORY/NAME: in-place rules first, mirrors after."""
        hits = [r for r in self.rules if r.dir == directory and fnmatchcase(name, r.glob)]
        return sorted(hits, key=lambda r: r.mirror is not None)
