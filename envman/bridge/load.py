"""bridge.yaml files read into one RuleSet: strict types, every error naming file:line:key."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envman.bridge import fsops
from envman.bridge.presets import PRESETS, preset_rules
from envman.bridge.rules import (
    COMMAND_RE,
    FLATPAK_ID_RE,
    RULE_ID_RE,
    FlatpakCommand,
    HostCommand,
    LiteralPath,
    Locator,
    Replacement,
    Rule,
    RuleProvenance,
    RuleSet,
)
from envman.errors import BridgeError, ProfileSchemaError, ProfileSyntaxError
from envman.profile.located import load_yaml
from envman.profile.reader import Reader
from envman.profile.validate import suggest

TOP_KEYS = ("presets", "rules")
RULE_KEYS = (
    "id",
    "dir",
    "glob",
    "json",
    "ini",
    "regex",
    "match",
    "replace",
    "mirror",
    "requires",
    "enabled",
)
_VAR_RE = re.compile(r"\$(\w+)|\$\{(\w+)\}")
MAX_RULES_SIZE = 64 * 1024  # real rule files are a few KiB; PyYAML reads ~100 KiB/s
MAX_FLOW_DEPTH = 32
MAX_MESSAGE = 400  # an error quoting a 60 KiB value is still one readable line
MAX_INDENT = 160
# What a parser meeting input it did not foresee raises (a value of an unexpected type deep in a
# library, a number too large to convert): never a crash of `envman bridge`, always file:line.
PARSE_FAILURES = (ArithmeticError, AttributeError, LookupError, TypeError, ValueError)


@dataclass(frozen=True)
class RuleFile:
    """One place rules come from: a label shown by `envman bridge rules`, and the file."""

    label: str
    path: Path


@dataclass(frozen=True)
class Expander:
    """Expands `~`, $HOME, $XDG_CONFIG_HOME, $XDG_DATA_HOME and $XDG_RUNTIME_DIR in rule paths."""

    home: Path
    config_home: Path
    data_home: Path
    runtime_dir: Path | None = None

    def allowed(self, path: Path) -> bool:
        """Whether the bridge may read and write in PATH: inside the home or the runtime dir."""
        roots = [self.home, Path(os.path.realpath(self.home)), self.runtime_dir]
        return any(
            root is not None and root != Path("/") and (root == path or root in path.parents)
            for root in roots
        )

    def __call__(self, text: str) -> Path:
        """An absolute, normalised path, or ValueError saying why not."""
        if text == "~" or text.startswith("~/"):
            text = str(self.home) + text[1:]
        values = {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.config_home),
            "XDG_DATA_HOME": str(self.data_home),
        }
        if self.runtime_dir is not None:
            values["XDG_RUNTIME_DIR"] = str(self.runtime_dir)

        def var(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(2)
            if name not in values:
                raise ValueError(
                    f"${name} is not expanded here "
                    "(only ~, $HOME, $XDG_CONFIG_HOME, $XDG_DATA_HOME, $XDG_RUNTIME_DIR)"
                )
            return values[name]

        text = _VAR_RE.sub(var, text)
        path = Path(text)
        if not path.is_absolute():
            raise ValueError(f"'{text}' is not an absolute path (start it with / or ~/)")
        if ".." in path.parts or "\0" in text or "\n" in text:
            raise ValueError(f"'{text}' may not contain '..', NUL or newlines")
        return path


def load_rules(files: Sequence[RuleFile], expand: Expander) -> RuleSet:
    """Read FILES in precedence order (lowest first); a later rule with the same id replaces one."""
    effective: dict[str, Rule] = {}
    overridden: list[tuple[Rule, RuleProvenance]] = []
    presets: list[tuple[str, RuleProvenance]] = []
    for rule_file in files:
        text = _read(rule_file.path)
        if text is None:
            continue
        parsed = _parse_or_fail(text, rule_file, expand)
        presets.extend(parsed.presets)
        for rule, enabled in parsed.rules:
            if rule.id in effective:
                overridden.append((effective.pop(rule.id), rule.source))
            if enabled:
                effective[rule.id] = rule
    return RuleSet(tuple(effective.values()), tuple(overridden), tuple(presets))


def _read(path: Path) -> str | None:
    """A rule file's text (None when it does not exist); BridgeError for anything unreadable."""
    try:
        data = fsops.read_regular(path, MAX_RULES_SIZE)
    except FileNotFoundError:
        return None
    except fsops.Unsafe as exc:
        raise BridgeError(f"{exc}", "rule files are small regular YAML files") from None
    except OSError as exc:
        raise BridgeError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BridgeError(f"{path}:{line}: not UTF-8 text") from None


def _parse_or_fail(text: str, rule_file: RuleFile, expand: Expander) -> _Parsed:
    """The one error boundary of a rule file: whatever its content, a BridgeError naming it."""
    deep = _too_deep(text)
    if deep is not None:
        raise BridgeError(
            f"{rule_file.path}:{deep}: nested too deeply to be read",
            "a rule file needs a handful of levels: flatten the lists and mappings there",
        )
    try:
        return _parse(text, rule_file, expand)
    except (ProfileSyntaxError, ProfileSchemaError) as exc:
        raise BridgeError(_clip(exc.message), exc.hint) from None
    except RecursionError:
        raise BridgeError(
            f"{rule_file.path}:{_deepest_line(text)}: nested too deeply to be read",
            "a rule file needs a handful of levels: flatten the lists and mappings there",
        ) from None
    except PARSE_FAILURES as exc:
        raise BridgeError(
            f"{rule_file.path}: cannot be read ({type(exc).__name__}: {str(exc)[:200]})",
            "check the file against docs/bridge.md",
        ) from None


def _clip(message: str, keep: int = MAX_MESSAGE) -> str:
    """MESSAGE shortened in the middle (where a quoted value sits) to about KEEP characters."""
    if len(message) <= keep:
        return message
    return f"{message[: keep - 60]} ... {message[-50:]}"


def _too_deep(text: str) -> int | None:
    """The line where TEXT nests beyond MAX_FLOW_DEPTH brackets or MAX_INDENT columns, if any.

    Checked before parsing: PyYAML's scanner slows down quadratically with open brackets and its
    composer recurses once per level. Over-counting (a bracket in a plain scalar) is harmless at
    these limits; real rule files use a few levels."""
    flow = 0
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) - len(line.lstrip(" -")) > MAX_INDENT:
            return number
        quote = ""
        for char in line:
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char in "[{":
                flow += 1
                if flow > MAX_FLOW_DEPTH:
                    return number
            elif char in "]}":
                flow = max(0, flow - 1)
    return None


def _deepest_line(text: str) -> int:
    """Where nesting peaks (open flow brackets, or indentation with "- "), for the message."""
    flow = 0
    best, where = -1, 1
    for number, line in enumerate(text.splitlines(), 1):
        peak = flow
        for char in line:
            flow = max(0, flow + (char in "[{") - (char in "]}"))
            peak = max(peak, flow)
        depth = max(2 * peak, len(line) - len(line.lstrip(" -")))
        if depth > best:
            best, where = depth, number
    return where


@dataclass
class _Parsed:
    presets: list[tuple[str, RuleProvenance]]
    rules: list[tuple[Rule, bool]]


def _parse(text: str, rule_file: RuleFile, expand: Expander) -> _Parsed:
    r = Reader(load_yaml(text, str(rule_file.path)))
    r.mapping((), TOP_KEYS)
    out = _Parsed([], [])
    for i, name in enumerate(r.strings(("presets",))):
        if name not in PRESETS:
            raise r.fail(
                ("presets", i),
                f"unknown preset '{name}'",
                suggest(name, PRESETS) or "see `envman bridge rules --presets`",
            )
        source = RuleProvenance(rule_file.label, str(rule_file.path), r.doc.line(("presets", i)))
        out.presets.append((name, source))
        out.rules.extend((rule, True) for rule in preset_rules(name, source, expand))
    items = r.expect(("rules",), list) or []
    seen: dict[str, int] = {}
    for i in range(len(items)):
        try:
            rule, enabled = _rule(r, ("rules", i), rule_file, expand)
        except PARSE_FAILURES as exc:
            raise r.fail(("rules", i), f"cannot be read ({type(exc).__name__}: {exc})") from None
        if rule.id in seen:
            raise r.fail(
                ("rules", i, "id"), f"rule '{rule.id}' is already defined on line {seen[rule.id]}"
            )
        seen[rule.id] = r.doc.line(("rules", i))
        out.rules.append((rule, enabled))
    return out


def _rule(
    r: Reader, at: tuple[str | int, ...], rule_file: RuleFile, expand: Expander
) -> tuple[Rule, bool]:
    body = r.mapping(at, RULE_KEYS)
    rule_id = r.string((*at, "id"))
    if not rule_id or not RULE_ID_RE.match(rule_id):
        raise r.fail(
            (*at, "id"),
            f"'{rule_id or ''}' is not a rule id",
            "lowercase letters, digits, '.', '_' and '-' (the id is required)",
        )
    source = RuleProvenance(rule_file.label, str(rule_file.path), r.doc.line(at))
    enabled = r.boolean((*at, "enabled"))
    if enabled is False:
        # `enabled: false` with an id switches off a rule of a preset or an earlier file.
        return Rule(
            rule_id, Path("/"), "", Locator("json", "/"), "", LiteralPath("/"), source=source
        ), False
    for key in ("dir", "glob", "match", "replace"):
        if key not in body:
            raise r.fail((*at, key), "is required")
    rule = Rule(
        id=rule_id,
        dir=_place(r, (*at, "dir"), expand),
        glob=_glob(r, (*at, "glob")),
        locator=_locator(r, at),
        match=_regex(r, (*at, "match"), groups=None),
        replace=_replacement(r, (*at, "replace"), expand),
        mirror=_place(r, (*at, "mirror"), expand) if "mirror" in body else None,
        requires=_path(r, (*at, "requires"), expand) if "requires" in body else None,
        source=source,
    )
    if rule.mirror == rule.dir:
        raise r.fail(
            (*at, "mirror"), "is the watched directory itself", "drop `mirror` to rewrite in place"
        )
    return rule, True


def _path(r: Reader, at: tuple[str | int, ...], expand: Expander) -> Path:
    try:
        return expand(r.string(at) or "")
    except ValueError as exc:
        raise r.fail(at, str(exc)) from None


def _place(r: Reader, at: tuple[str | int, ...], expand: Expander) -> Path:
    """A directory the bridge reads or writes: only in the user's own home or runtime dir."""
    path = _path(r, at, expand)
    if not expand.allowed(path):
        where = f"{expand.home}" + (f" or {expand.runtime_dir}" if expand.runtime_dir else "")
        raise r.fail(
            at,
            f"'{path}' is outside your home and runtime directory",
            f"the bridge only changes your own files, below {where}",
        )
    return path


def _glob(r: Reader, at: tuple[str | int, ...]) -> str:
    value = r.string(at) or ""
    if not value or "/" in value or value in (".", ".."):
        raise r.fail(
            at, f"'{value}' is not a file-name pattern", "a glob on names in `dir`, e.g. *.json"
        )
    return value


def _regex(r: Reader, at: tuple[str | int, ...], groups: int | None) -> str:
    value = r.string(at) or ""
    try:
        compiled = re.compile(value, re.MULTILINE)
    except (re.error, OverflowError) as exc:
        raise r.fail(at, f"is not a valid regular expression: {exc}") from None
    except RecursionError:
        raise r.fail(at, "is a regular expression nested too deeply") from None
    if not value:
        raise r.fail(
            at, "may not be empty", "name the known-bad values, e.g. /app/bin/keepassxc-proxy"
        )
    if groups is not None and compiled.groups != groups:
        raise r.fail(at, f"needs exactly {groups} capture group (the value), has {compiled.groups}")
    return value


def _locator(r: Reader, at: tuple[str | int, ...]) -> Locator:
    given = [k for k in ("json", "ini", "regex") if r.get((*at, k)) is not None]
    if len(given) != 1:
        raise r.fail(at, "needs exactly one of json, ini or regex (where the value is)")
    kind = given[0]
    if kind == "json":
        pointer = r.string((*at, "json")) or ""
        if not pointer.startswith("/"):
            raise r.fail((*at, "json"), f"'{pointer}' is not a JSON Pointer", "e.g. /path")
        return Locator("json", pointer)
    if kind == "regex":
        return Locator("regex", _regex(r, (*at, "regex"), groups=1))
    return _ini_locator(r, at)


def _ini_locator(r: Reader, at: tuple[str | int, ...]) -> Locator:
    r.mapping((*at, "ini"), ("section", "key"))
    section = r.string((*at, "ini", "section")) or ""
    key = r.string((*at, "ini", "key")) or ""
    for name, value in (("section", section), ("key", key)):
        if not value or any(c in value for c in "[]=\n"):
            raise r.fail((*at, "ini", name), f"'{value}' is not an ini {name} name")
    return Locator("ini", key, section)


def _replacement(r: Reader, at: tuple[str | int, ...], expand: Expander) -> Replacement:
    if isinstance(r.get(at), str):
        return LiteralPath(str(_path(r, at, expand)))
    body: dict[str, Any] = r.mapping(at, ("flatpak", "command", "host", "consumer"))
    consumer = r.string((*at, "consumer")) or "host"
    if consumer != "host" and not FLATPAK_ID_RE.match(consumer):
        raise r.fail((*at, "consumer"), f"'{consumer}' is neither host nor a Flatpak app ID")
    if "flatpak" in body and "host" in body:
        raise r.fail((*at, "host"), "give either `flatpak` + `command` or `host`, not both")
    if "flatpak" in body:
        return _flatpak_command(r, at, consumer)
    if "host" in body:
        if consumer == "host":
            raise r.fail(
                (*at, "consumer"),
                "a host program for a host consumer needs no wrapper",
                "write the path itself: replace: /usr/bin/...",
            )
        return HostCommand(str(_path(r, (*at, "host"), expand)), consumer)
    raise r.fail(at, "needs a path, or `flatpak` + `command`, or `host` + `consumer`")


def _flatpak_command(r: Reader, at: tuple[str | int, ...], consumer: str) -> FlatpakCommand:
    app = r.string((*at, "flatpak")) or ""
    command = r.string((*at, "command")) or ""
    if not FLATPAK_ID_RE.match(app):
        raise r.fail(
            (*at, "flatpak"), f"'{app}' is not a Flatpak app ID", "e.g. org.keepassxc.KeePassXC"
        )
    if not COMMAND_RE.match(command):
        raise r.fail((*at, "command"), f"'{command}' is not a command name in the app's /app/bin")
    return FlatpakCommand(app, command, consumer)
