"""The user's list of team sources, $XDG_CONFIG_HOME/envman/sources.yaml, in the order added."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from envman.errors import EnvmanError, ProfileSyntaxError, SourceNotFound
from envman.host.files import write_atomic
from envman.profile.located import Path_, load_yaml
from envman.profile.reader import Reader, key_name
from envman.sources.names import check_ref, check_source_name, check_url

KEYS = ("name", "url", "ref", "verify")


@dataclass(frozen=True)
class TeamSource:
    """One team source: a git repository with profiles/ and hooks/."""

    name: str
    url: str
    ref: str | None = None  # None: the remote's default branch
    verify: bool = False  # refs must carry a good signature (git verify-tag / verify-commit)


def load_sources(path: Path) -> list[TeamSource]:
    """The sources in the order they were added; a missing file means none."""
    if not path.is_file():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileSyntaxError(f"{path}: cannot read: {exc}") from None
    r = Reader(load_yaml(text, str(path)))
    r.mapping((), ("sources",))
    items = r.expect(("sources",), list) or []
    sources: list[TeamSource] = []
    for i in range(len(items)):
        r.mapping(("sources", i), KEYS)
        name = r.string(("sources", i, "name"))
        url = r.string(("sources", i, "url"))
        if not name or not url:
            raise r.fail(("sources", i), "a source needs a name and a url")
        _check_entry(r, i, name, url)
        if any(s.name == name for s in sources):
            raise r.fail(("sources", i, "name"), f"{name!r} is listed twice")
        ref = r.string(("sources", i, "ref"))
        if ref is not None:
            _located(r, ("sources", i, "ref"), check_ref, ref, name)
        sources.append(TeamSource(name, url, ref, bool(r.boolean(("sources", i, "verify")))))
    return sources


def _check_entry(r: Reader, i: int, name: str, url: str) -> None:
    """The same checks `source add` makes: the file may have been edited by hand."""
    _located(r, ("sources", i, "name"), check_source_name, name)
    _located(r, ("sources", i, "url"), check_url, url)


def _located(r: Reader, path: Path_, check: Callable[..., str], *args: str) -> None:
    """Run a check; its error names sources.yaml's file:line and key, code and hint kept."""
    try:
        check(*args)
    except EnvmanError as exc:
        where = f"{r.origin(path)}: {key_name(path)}"
        raise type(exc)(f"{where}: {exc.message}", exc.hint) from None


def save_sources(path: Path, sources: list[TeamSource]) -> None:
    """Write the list atomically, keeping its order."""
    items = []
    for source in sources:
        item: dict[str, str | bool] = {"name": source.name, "url": source.url}
        if source.ref is not None:
            item["ref"] = source.ref
        item["verify"] = source.verify
        items.append(item)
    write_atomic(path, yaml.safe_dump({"sources": items}, sort_keys=False))


def find_source(sources: list[TeamSource], name: str) -> TeamSource:
    """The source of that name, or a clear error."""
    for source in sources:
        if source.name == name:
            return source
    known = ", ".join(s.name for s in sources) or "none yet"
    raise SourceNotFound(
        f"no source named '{name}'",
        f"sources: {known}; add one with `envman source add {name} GIT_URL`",
    )
