"""YAML parsed into plain values that remember their line, with duplicate keys refused."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from envman.errors import ProfileSyntaxError

# Keys errors may print: a file that is not a profile (a symlink to a secret) must not show a line.
_PLAIN_KEY_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")

Path_ = tuple[str | int, ...]


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


def load_yaml(text: str, file: str) -> Located:
    """Parse one YAML document with safe types only; errors name file:line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        problem = exc.problem or exc.context or "invalid YAML"
        raise ProfileSyntaxError(
            f"{file}:{line}: {problem}", "check indentation and quoting around that line"
        ) from None
    except yaml.YAMLError as exc:
        raise ProfileSyntaxError(f"{file}: {exc}") from None
    lines: dict[Path_, int] = {}
    if node is None:
        return Located({}, {(): 1}, file)
    value = _convert(node, (), lines, file)
    return Located(value, lines, file)


SAFE_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _convert(node: yaml.Node, path: Path_, lines: dict[Path_, int], file: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if not isinstance(node, yaml.ScalarNode) and node.tag not in SAFE_COLLECTION_TAGS:
        raise ProfileSyntaxError(
            f"{file}:{lines[path]}: the tag {node.tag} is not allowed",
            "profiles use plain YAML only",
        )
    if isinstance(node, yaml.MappingNode):
        return _convert_mapping(node, path, lines, file)
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), lines, file) for i, item in enumerate(node.value)]
    return _construct_scalar(node, file)


def _convert_mapping(
    node: yaml.MappingNode, path: Path_, lines: dict[Path_, int], file: str
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = _construct_scalar(key_node, file)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise ProfileSyntaxError(f"{file}:{line}: key {key!r} is not a string", "quote the key")
        if key == "<<":
            raise ProfileSyntaxError(
                f"{file}:{line}: YAML merge keys (<<) are not supported",
                "use `include:` to compose profiles",
            )
        if key in result:
            first = lines[(*path, key)]
            raise ProfileSyntaxError(
                f"{file}:{line}: key '{shown_key(key)}' repeats the one on line {first}",
                "YAML keeps only one of them: remove the duplicate",
            )
        result[key] = _convert(value_node, (*path, key), lines, file)
        lines[(*path, key)] = line
    return result


def _construct_scalar(node: yaml.Node, file: str) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        line = node.start_mark.line + 1
        raise ProfileSyntaxError(f"{file}:{line}: a mapping or list cannot be a key")
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        line = node.start_mark.line + 1
        raise ProfileSyntaxError(f"{file}:{line}: {exc.problem}") from None
    finally:
        loader.dispose()
