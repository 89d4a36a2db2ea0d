"""Typed, line-aware access to a parsed YAML document: every wrong type names file:line:key."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from envman.profile.located import Located, Path_, shown_key
from envman.profile.model import FileLine
from envman.profile.validate import schema_error, suggest

_TYPE_NAMES = {
    str: "a string",
    bool: "true or false",
    int: "a whole number",
    list: "a list",
    dict: "a mapping",
}


def key_name(path: Path_) -> str:
    """`hooks[2].run` style rendering of a path."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{shown_key(part)}" if out else shown_key(part)
    return out or "(document)"


class Reader:
    """Wraps a Located document; methods return checked Python values or raise schema errors."""

    def __init__(self, doc: Located) -> None:
        self.doc = doc

    def origin(self, path: Path_) -> FileLine:
        """The file:line of a path."""
        return FileLine(self.doc.file, self.doc.line(path))

    def get(self, path: Path_) -> Any:
        """The raw value at `path`, or None when absent."""
        value: Any = self.doc.value
        for part in path:
            if isinstance(part, int):
                value = value[part] if isinstance(value, list) and part < len(value) else None
            else:
                value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                return None
        return value

    def fail(self, path: Path_, problem: str, hint: str | None = None) -> Exception:
        """A schema error located at `path`."""
        return schema_error(self.origin(path), key_name(path), problem, hint)

    def expect(self, path: Path_, kind: type) -> Any:
        """The value at `path` if it is of `kind`; None when absent."""
        value = self.get(path)
        if value is None:
            return None
        if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            got = type(value).__name__
            hint = "quote it to make it a string" if kind is str else None
            # A number or a boolean is shown; text is not: the file may not be a profile at all.
            shown = f" ({value!r})" if isinstance(value, int | float) else ""
            raise self.fail(path, f"must be {_TYPE_NAMES[kind]}, not {got}{shown}", hint)
        return value

    def string(
        self, path: Path_, check: Callable[[str, FileLine, str], str] | None = None
    ) -> str | None:
        """A string (numbers are accepted and kept as written), optionally checked."""
        value = self.expect(path, str)
        if value is not None and check is not None:
            check(value, self.origin(path), key_name(path))
        return value  # type: ignore[no-any-return]

    def boolean(self, path: Path_) -> bool | None:
        """A strict YAML boolean."""
        return self.expect(path, bool)  # type: ignore[no-any-return]

    def strings(
        self,
        path: Path_,
        check: Callable[[str, FileLine, str], str] | None = None,
        *,
        scalar_ok: bool = False,
    ) -> tuple[str, ...]:
        """A list of strings; a lone string is accepted where `scalar_ok`."""
        if scalar_ok and isinstance(self.get(path), str):
            return (self.string(path, check) or "",)
        items = self.expect(path, list)
        if items is None:
            return ()
        return tuple(self.string((*path, i), check) or "" for i in range(len(items)))

    def mapping(self, path: Path_, allowed: Iterable[str] | None = None) -> dict[str, Any]:
        """A mapping, with unknown keys refused when `allowed` is given."""
        value = self.expect(path, dict) or {}
        if allowed is not None:
            known = list(allowed)
            for key in value:
                if key not in known:
                    raise self.fail(
                        (*path, key),
                        "unknown key",
                        suggest(key, known) or f"known keys: {', '.join(known)}",
                    )
        return value

    def string_map(
        self, path: Path_, check_key: Callable[[str, FileLine, str], str]
    ) -> tuple[tuple[str, str], ...]:
        """A mapping of names to strings (numbers become strings; booleans must be quoted)."""
        pairs = []
        for key in self.mapping(path):
            check_key(key, self.origin((*path, key)), key_name((*path, key)))
            pairs.append((key, self.string((*path, key)) or ""))
        return tuple(pairs)
