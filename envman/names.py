"""The one name check for environments, profiles and sources (no imports: `envman run` uses it)."""

from __future__ import annotations

from envman.errors import EnvNotFound

_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_REST = _FIRST | frozenset("_.-")
MAX_LENGTH = 63
RULE = (
    "use letters, digits, '.', '_' and '-', starting with a letter or digit (max 63); "
    "no '/' or '..'"
)


def is_name(value: object) -> bool:
    """Whether `value` is a plain name: it becomes a container name, a tag and a file name."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_LENGTH
        and value[0] in _FIRST
        and all(char in _REST for char in value)
        and ".." not in value
    )


def env_name(value: str) -> str:
    """An environment name about to become part of a path; anything else is no environment."""
    if not is_name(value):
        raise EnvNotFound(f"{value!r} is not an environment name", "see `envman ls`")
    return value
