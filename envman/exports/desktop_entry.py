"""Desktop Entry files (freedesktop spec 1.5): a strict parser that keeps every line, and back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_GROUP_RE = re.compile(r"^\[([^\[\]\x00-\x1f\x7f]+)\]$")
_ENTRY_RE = re.compile(r"^([A-Za-z0-9-]+(?:\[[A-Za-z0-9_@.-]+\])?)[ \t]*=[ \t]*(.*)$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
MAIN_GROUP = "Desktop Entry"
ACTION_PREFIX = "Desktop Action "


class DesktopEntryError(ValueError):
    """The file is not a Desktop Entry file envman can read without guessing."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass
class Entry:
    """One `key=value` line; the key keeps its [locale] part."""

    key: str
    value: str

    @property
    def base_key(self) -> str:
        """The key without its locale: Name for Name[de]."""
        return self.key.split("[", 1)[0]


@dataclass
class Group:
    """A [group] and its lines in order: entries, comments and blank lines."""

    name: str
    lines: list[Entry | str] = field(default_factory=list)

    def entries(self) -> list[Entry]:
        """The key=value lines."""
        return [line for line in self.lines if isinstance(line, Entry)]

    def get(self, key: str) -> str | None:
        """The value of a key (exact, locale included), or None."""
        return next((e.value for e in self.entries() if e.key == key), None)

    def set(self, key: str, value: str) -> None:
        """Change a key in place, or append it after the last entry."""
        for entry in self.entries():
            if entry.key == key:
                entry.value = value
                return
        last = max((i for i, line in enumerate(self.lines) if isinstance(line, Entry)), default=-1)
        self.lines.insert(last + 1, Entry(key, value))

    def remove(self, base_key: str) -> None:
        """Drop a key and all its localised variants."""
        self.lines = [
            line
            for line in self.lines
            if not (isinstance(line, Entry) and line.base_key == base_key)
        ]


@dataclass
class DesktopFile:
    """Comments before the first group, then the groups in order."""

    head: list[str]
    groups: list[Group]

    @property
    def main(self) -> Group:
        """The [Desktop Entry] group (parse() guarantees it is there and first)."""
        return self.groups[0]

    def actions(self) -> list[Group]:
        """The [Desktop Action NAME] groups."""
        return [g for g in self.groups if g.name.startswith(ACTION_PREFIX)]


def parse(text: str) -> DesktopFile:
    """Read a Desktop Entry file; anything the spec does not allow is an error with its line."""
    head: list[str] = []
    groups: list[Group] = []
    seen: set[str] = set()
    # The spec's lines end at \n only: str.splitlines() would also split at U+2028, U+0085...
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    for number, raw in enumerate(lines, start=1):
        line = raw.removesuffix("\r")
        if _CONTROL_RE.search(line):
            raise DesktopEntryError(number, "control characters are not allowed")
        stripped = line.strip(" \t")  # ASCII blanks only, as GLib reads them
        header = _GROUP_RE.fullmatch(stripped)
        if not stripped or stripped.startswith("#"):
            (groups[-1].lines if groups else head).append(line)
        elif header:
            groups.append(_new_group(header.group(1), not groups, seen, number))
        else:
            _add_entry(line, groups, number)
    if not groups:
        raise DesktopEntryError(1, f"no [{MAIN_GROUP}] group")
    return DesktopFile(head, groups)


def _new_group(name: str, first: bool, seen: set[str], number: int) -> Group:
    """A [group] header: once each, [Desktop Entry] first."""
    if name in seen:
        raise DesktopEntryError(number, f"group [{name}] appears twice")
    if first and name != MAIN_GROUP:
        raise DesktopEntryError(number, f"the first group must be [{MAIN_GROUP}]")
    seen.add(name)
    return Group(name)


def _add_entry(line: str, groups: list[Group], number: int) -> None:
    """A key=value line into the current group, each key once."""
    entry = _ENTRY_RE.fullmatch(line)
    if entry is None:
        raise DesktopEntryError(number, f"not a key=value line or a [group]: {line[:60]!r}")
    if not groups:
        raise DesktopEntryError(number, f"a key before the [{MAIN_GROUP}] group")
    key, value = entry.group(1), entry.group(2)
    if groups[-1].get(key) is not None:
        raise DesktopEntryError(number, f"key {key} appears twice in [{groups[-1].name}]")
    groups[-1].lines.append(Entry(key, value))


def render(desktop: DesktopFile) -> str:
    """The file text: every line kept as read except the entries that were changed."""
    out = list(desktop.head)
    for group in desktop.groups:
        out.append(f"[{group.name}]")
        out.extend(f"{x.key}={x.value}" if isinstance(x, Entry) else x for x in group.lines)
    return "\n".join(out) + "\n"
