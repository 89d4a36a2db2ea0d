"""YAML parsed into plain values that remember their line, with duplicate keys refused.

The document is built from parser events, not from PyYAML's composer: that keeps nesting
depth and alias expansion bounded (a 500-byte "billion laughs" file, an alias inside its own
anchor, or 1000 nested lists are errors naming file:line, not a hang or a RecursionError).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from envman.errors import ProfileSyntaxError

# Keys errors may print: a file that is not a profile (a symlink to a secret) must not show a line.
_PLAIN_KEY_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")

Path_ = tuple[str | int, ...]

MAX_DEPTH = 64
MAX_VALUES = 100_000  # every key, item and scalar, counting what aliases repeat

SAFE_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_STR_TAG = "tag:yaml.org,2002:str"
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Located:
    """A parsed YAML document plus the line of every key and item, by path."""

    value: Any
    lines: dict[Path_, int]
    file: str

    def line(self, path: Path_) -> int:
        """The line of `path`, or of its nearest parent that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def shown_key(key: str) -> str:
    """A key as errors print it: a plain word, else a placeholder (never a line of the file)."""
    return key if _PLAIN_KEY_RE.fullmatch(key) else "<key>"


class _TooDeep(yaml.MarkedYAMLError):
    """Flow collections (`[[[...`) nested beyond MAX_DEPTH, found by the scanner."""


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing deep flow nesting as it scans.

    PyYAML's scanner looks ahead up to 1024 characters for a possible simple key and checks
    every flow level for each one: 1000 `[` cost a second before any event reached envman.
    """

    def fetch_flow_collection_start(self, TokenClass: type) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise _TooDeep(problem=_DEEP, problem_mark=self.get_mark())
        super().fetch_flow_collection_start(TokenClass)


_DEEP = f"lists and mappings nest more than {MAX_DEPTH} deep"


def load_yaml(text: str, file: str) -> Located:
    """Parse one YAML document with safe types only; errors name file:line."""
    builder = _Builder(file)
    try:
        for event in yaml.parse(text, Loader=_Loader):
            builder.feed(event)
    except _TooDeep as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise builder.fail(line, _DEEP, "flatten the data") from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file) from None
    except yaml.YAMLError as exc:
        raise ProfileSyntaxError(f"{file}: {exc}") from None
    finally:
        builder.loader.dispose()
    if builder.root is None:
        return Located({}, {(): 1}, file)
    return Located(builder.root.value, builder.lines, file)


def _syntax_error(exc: yaml.MarkedYAMLError, file: str) -> ProfileSyntaxError:
    """file:line and the parser's problem."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    problem = exc.problem or exc.context or "invalid YAML"
    return ProfileSyntaxError(
        f"{file}:{line}: {problem}", "check indentation and quoting around that line"
    )


@dataclass
class _Built:
    """A finished value and the lines of everything inside it (paths relative to it)."""

    value: Any
    lines: list[tuple[Path_, int]]


@dataclass
class _Open:
    """A mapping or sequence being built."""

    path: Path_
    value: dict[str, Any] | list[Any]
    anchor: str | None
    first: int  # where this collection's lines start in the builder's `order`
    key: str | None = None  # a mapping's key waiting for its value
    key_line: int = 0
    keys: dict[str, int] = field(default_factory=dict)


class _Builder:
    """Turns parser events into plain values and the line of every path."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.loader = yaml.SafeLoader("")
        self.stack: list[_Open] = []
        self.lines: dict[Path_, int] = {}
        self.order: list[tuple[Path_, int]] = []  # lines in document order, for anchors
        self.anchors: dict[str, _Built] = {}
        self.open_anchors: set[str] = set()
        self.values = 0
        self.documents = 0
        self.root: _Built | None = None

    def fail(self, line: int, problem: str, hint: str | None = None) -> ProfileSyntaxError:
        return ProfileSyntaxError(f"{self.file}:{line}: {problem}", hint)

    def feed(self, event: yaml.Event) -> None:
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise self.fail(line, "expected a single document, but found another document")
        elif isinstance(event, yaml.ScalarEvent):
            self._scalar(event, line)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event, line)
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            self._start(event, line)
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            self._end()

    def _count(self, n: int, line: int) -> None:
        self.values += n
        if self.values > MAX_VALUES:
            raise self.fail(
                line,
                f"the document holds more than {MAX_VALUES} values (counting what aliases repeat)",
                "a profile is a short list of settings: remove the repeated aliases",
            )

    def _path(self) -> Path_:
        """The path the next value goes to."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.value, list):
            return (*top.path, len(top.value))
        assert top.key is not None
        return (*top.path, top.key)

    def _want_key(self) -> bool:
        return (
            bool(self.stack)
            and isinstance(self.stack[-1].value, dict)
            and self.stack[-1].key is None
        )

    def _scalar(self, event: yaml.ScalarEvent, line: int) -> None:
        self._count(1, line)
        value = self._construct(event, line)
        built = _Built(value, [((), line)])
        if event.anchor is not None:
            self.anchors[event.anchor] = built
        if self._want_key():
            self._key(value, line)
            return
        self._place(built)

    def _construct(self, event: yaml.ScalarEvent, line: int) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(  # type: ignore[no-untyped-call]
                yaml.ScalarNode, event.value, event.implicit
            )
        if event.style == '"' and _SURROGATE.search(event.value):
            raise self.fail(line, "a lone surrogate (\\ud800-\\udfff) is not text")
        if tag == _STR_TAG:
            return event.value
        node = yaml.ScalarNode(tag, event.value, style=event.style)
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise self.fail(line, str(exc.problem)) from None
        except (ValueError, OverflowError) as exc:
            reason = str(exc).split(":")[0].split(";")[0]
            raise self.fail(
                line,
                f"'{_short(event.value)}' is not a valid {tag.rsplit(':', 1)[-1]} ({reason})",
                "quote it to make it a string",
            ) from None
        finally:
            self.loader.constructed_objects.clear()

    def _key(self, key: Any, line: int) -> None:
        top = self.stack[-1]
        if not isinstance(key, str):
            raise self.fail(line, f"key {_short(repr(key))} is not a string", "quote the key")
        if key == "<<":
            raise self.fail(
                line, "YAML merge keys (<<) are not supported", "use `include:` to compose profiles"
            )
        if key in top.keys:
            raise self.fail(
                line,
                f"key '{shown_key(key)}' repeats the one on line {top.keys[key]}",
                "YAML keeps only one of them: remove the duplicate",
            )
        top.key, top.key_line = key, line

    def _alias(self, event: yaml.AliasEvent, line: int) -> None:
        anchor = event.anchor or ""
        if anchor in self.open_anchors:
            raise self.fail(
                line, f"the alias *{anchor} is inside the value its anchor &{anchor} names"
            )
        built = self.anchors.get(anchor)
        if built is None:
            raise self.fail(line, f"found undefined alias *{anchor}")
        self._count(len(built.lines), line)
        if self._want_key():
            if not isinstance(built.value, str):
                raise self.fail(line, "a mapping or list cannot be a key")
            self._key(built.value, line)
            return
        self._place(built)

    def _start(self, event: yaml.CollectionStartEvent, line: int) -> None:
        self._count(1, line)
        if self._want_key():
            raise self.fail(line, "a mapping or list cannot be a key")
        if len(self.stack) >= MAX_DEPTH:
            raise self.fail(line, _DEEP, "flatten the data")
        is_map = isinstance(event, yaml.MappingStartEvent)
        tag = event.tag
        if tag is not None and tag != "!" and tag not in SAFE_COLLECTION_TAGS:
            raise self.fail(line, f"the tag {tag} is not allowed", "profiles use plain YAML only")
        path = self._path()
        value: dict[str, Any] | list[Any] = {} if is_map else []
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Open(path, value, event.anchor, len(self.order)))
        self._record(path, line)

    def _end(self) -> None:
        top = self.stack.pop()
        if top.anchor is not None:
            self.open_anchors.discard(top.anchor)
            depth = len(top.path)
            rel = [(path[depth:], line) for path, line in self.order[top.first :]]
            self.anchors[top.anchor] = _Built(top.value, rel)
        self._attach(top.value)

    def _place(self, built: _Built) -> None:
        """A finished value (a scalar, or what an alias repeats) at the current path."""
        path = self._path()
        for rel, rel_line in built.lines:
            self._record((*path, *rel), rel_line)
        self._attach(built.value)

    def _record(self, path: Path_, line: int) -> None:
        self.lines[path] = line
        self.order.append((path, line))

    def _attach(self, value: Any) -> None:
        if not self.stack:
            self.root = _Built(value, [])
            return
        top = self.stack[-1]
        if isinstance(top.value, list):
            top.value.append(value)
            return
        assert top.key is not None
        top.value[top.key] = value
        top.keys[top.key] = top.key_line
        self._record((*top.path, top.key), top.key_line)
        top.key = None


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
