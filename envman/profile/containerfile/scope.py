"""What is in force at one point of a stage (ARG, ENV, labels, workdir) and words expanded in it."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from envman.errors import ProfileSyntaxError
from envman.profile.containerfile.expansion import LexError, expand_word, is_name, split_words
from envman.profile.containerfile.instructions import Instruction, head
from envman.profile.containerfile.lexer import show

MAX_ASSIGNED = 4 * 1024 * 1024  # characters ARG, ENV and LABEL may assign along one walk


@dataclass
class Budget:
    """What ARG, ENV and LABEL may still assign; shared by the scopes of one walk of a file."""

    left: int = MAX_ASSIGNED

    def charge(self, ins: Instruction, file: str, values: list[str]) -> None:
        """Count `values` against the budget; a file that exceeds it is a syntax error."""
        self.left -= sum(len(value) for value in values)
        if self.left < 0:
            raise ProfileSyntaxError(
                f"{file}:{ins.line}: ARG, ENV and LABEL values add up to more than "
                f"{MAX_ASSIGNED // (1024 * 1024)} MiB",
                "a variable that repeats itself grows with every line: build such values once",
            )


@dataclass
class Scope:
    """What is in force at one point of a stage: ARG and ENV values, labels and the workdir."""

    args: dict[str, str | None] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    budget: Budget = field(default_factory=Budget)

    def lookup(self, name: str) -> str | None:
        """A variable's value (ENV wins over ARG, as in the builders), None when unset."""
        if name in self.env:
            return self.env[name]
        return self.args.get(name)


def apply(ins: Instruction, scope: Scope, global_args: dict[str, str | None], file: str) -> None:
    """Update `scope` with what an ARG, ENV, LABEL or WORKDIR sets (other keywords set nothing)."""
    if ins.keyword == "ARG":
        apply_arg(ins, scope, global_args, file)
    elif ins.keyword == "ENV":
        scope.env.update(_charged(ins, scope, file))
    elif ins.keyword == "LABEL":
        scope.labels.update(_charged(ins, scope, file))
    elif ins.keyword == "WORKDIR":
        scope.workdir = container_path(expand(ins, ins.args, scope, file), scope.workdir)


def apply_arg(
    ins: Instruction, scope: Scope, global_args: dict[str, str | None], file: str
) -> None:
    """Declare an ARG's names; one without a default takes the global ARG's value, if any."""
    for word in words(ins, ins.args, scope, file):
        name, eq, default = word.partition("=")
        if not is_name(name):
            raise ProfileSyntaxError(f"{file}:{ins.line}: {show(name)} is not a valid ARG name")
        scope.budget.charge(ins, file, [default])
        scope.args[name] = default if eq else global_args.get(name)


def _charged(ins: Instruction, scope: Scope, file: str) -> list[tuple[str, str]]:
    pairs = key_values(ins, scope, file)
    scope.budget.charge(ins, file, [text for pair in pairs for text in pair])
    return pairs


def key_values(ins: Instruction, scope: Scope, file: str) -> list[tuple[str, str]]:
    """The pairs of a LABEL or ENV line, expanded (`KEY=VALUE ...` or the legacy `KEY VALUE`)."""
    items = words(ins, ins.args, scope, file)
    if items and "=" not in items[0]:
        key, value = head(ins.args)
        if not value:
            raise ProfileSyntaxError(
                f"{file}:{ins.line}: {ins.keyword} {show(key)} has no value",
                f"write {ins.keyword} KEY=VALUE",
            )
        return [(expand(ins, key, scope, file), expand(ins, value, scope, file))]
    pairs: list[tuple[str, str]] = []
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise ProfileSyntaxError(
                f"{file}:{ins.line}: {ins.keyword} expects KEY=VALUE, not {show(item)}",
                "quote values that contain spaces",
            )
        pairs.append((key, value))
    return pairs


def words(ins: Instruction, text: str, scope: Scope, file: str) -> list[str]:
    """Shell-like words of `text` (quotes removed, variables expanded from `scope`)."""
    try:
        return split_words(text, scope.lookup, ins.escape)
    except LexError as exc:
        raise ProfileSyntaxError(f"{file}:{ins.line}: {ins.keyword}: {exc}") from None


def expand(ins: Instruction, text: str, scope: Scope, file: str) -> str:
    """`text` as one word: quotes removed, variables expanded, whitespace kept."""
    try:
        return expand_word(text, scope.lookup, ins.escape, [])
    except LexError as exc:
        raise ProfileSyntaxError(f"{file}:{ins.line}: {ins.keyword}: {exc}") from None


def container_path(path: str, workdir: str) -> str:
    """An absolute, normalised path inside the image (relative ones start at `workdir`)."""
    joined = posixpath.join(workdir or "/", path)
    return posixpath.normpath("/" + joined.lstrip("/"))
