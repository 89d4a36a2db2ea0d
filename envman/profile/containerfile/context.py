"""The build context: the files COPY/ADD read, never outside the Containerfile's directory."""

from __future__ import annotations

import os
import posixpath
import re
import stat
from pathlib import Path, PurePosixPath

from envman.errors import ProfileSchemaError, ProfileSyntaxError
from envman.host.readfile import CONTEXT_FILE_MAX
from envman.profile.boundary import parse_failures, read_input_bytes, read_profile_text
from envman.profile.containerfile.ignore import IGNORE_FILES, IgnoreRules
from envman.profile.containerfile.instructions import Instruction
from envman.profile.containerfile.lexer import show
from envman.profile.containerfile.scope import Scope, expand, words
from envman.profile.containerfile.stages import parse_containerfile, walk

OUTSIDE_HINT = "profiles from a shared repository cannot reach outside their directory"
_REMOTE = r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|git@)"


def context_files(containerfile: Path) -> list[tuple[str, Path]]:
    """The context files COPY/ADD (and RUN --mount=type=bind) read: (relative path, absolute path).

    Sorted by relative path. Directories are listed file by file. A symbolic link is listed
    as itself (copy it as a link, never follow it); a link that a COPY source names directly
    also brings what it points to. Anything reaching outside the Containerfile's directory
    is a ProfileSchemaError naming file:line.
    """
    file = str(containerfile)
    cf = parse_containerfile(read_text(containerfile), file)
    root = containerfile.parent.resolve()
    collector = _Collector(root, _ignore_rules(root, file), file)
    with parse_failures(file, "a Containerfile"):
        for _, ins, scope in walk(cf):
            for source in _sources(ins, scope, file):
                collector.add_source(source, ins)
    return sorted(collector.picked.items())


def read_text(path: Path) -> str:
    """A UTF-8 file's text; a file that cannot be read is an EnvmanError naming it."""
    return read_profile_text(path)


def read_context_file(path: Path) -> bytes:
    """A build context file's bytes (a regular file of bounded size, never a FIFO)."""
    return read_input_bytes(path, CONTEXT_FILE_MAX)


def _ignore_rules(root: Path, file: str) -> IgnoreRules:
    """The first ignore file found in `root` (.containerignore wins), refusing outside links."""
    for name in IGNORE_FILES:
        path = root / name
        if path.is_symlink() and not _inside(_resolve(path, file, 0), root):
            raise ProfileSchemaError(f"{path}: a link leading outside the directory", OUTSIDE_HINT)
        if path.exists():  # read_text refuses a FIFO or a directory of that name
            return IgnoreRules.from_text(read_text(path), str(path))
    return IgnoreRules()


def _sources(ins: Instruction, scope: Scope, file: str) -> list[str]:
    if ins.keyword == "RUN":
        return _bind_mount_sources(ins)
    if ins.keyword not in ("COPY", "ADD") or ins.flag("from") is not None:
        return []
    items = _copy_items(ins, scope, file)
    if len(items) < 2 and not ins.heredocs:
        raise ProfileSyntaxError(
            f"{file}:{ins.line}: {ins.keyword} needs a source and a destination",
            f"{ins.keyword} SRC... DEST",
        )
    return [item for item in items[:-1] if _from_context(ins, item)]


def _copy_items(ins: Instruction, scope: Scope, file: str) -> list[str]:
    """A COPY's or ADD's sources and destination, variables expanded."""
    if ins.json_form:
        return [expand(ins, item, scope, file) for item in ins.argv]
    return words(ins, ins.args, scope, file)


def _from_context(ins: Instruction, source: str) -> bool:
    """Whether a source names build-context files (not a here-document, not ADD's URL)."""
    if ins.heredocs and source.startswith("<<"):
        return False
    return not (ins.keyword == "ADD" and re.match(_REMOTE, source))


def _bind_mount_sources(ins: Instruction) -> list[str]:
    """`RUN --mount=type=bind` without `from=` mounts part of the build context (all by default)."""
    sources: list[str] = []
    for item in ins.flags:
        if not item.startswith("--mount="):
            continue
        options = dict(option.partition("=")[::2] for option in item[len("--mount=") :].split(","))
        if options.get("type", "bind") == "bind" and "from" not in options:
            sources.append(options.get("source") or options.get("src") or ".")
    return sources


class _Collector:
    """Gathers context files for COPY sources, refusing anything outside `root`."""

    def __init__(self, root: Path, ignore: IgnoreRules, file: str) -> None:
        self.root = root
        self.ignore = ignore
        self.file = file
        self.picked: dict[str, Path] = {}

    def add_source(self, source: str, ins: Instruction) -> None:
        rel = self._checked(source, ins)
        matches = self._matches(rel)
        if not matches:
            raise ProfileSchemaError(
                f"{self.file}:{ins.line}: {ins.keyword} source {show(source)} matches no file "
                "in the Containerfile's directory",
                "add the file, fix the name, or check .containerignore/.dockerignore",
            )
        for match in matches:
            self._add_match(match, ins)

    def _checked(self, source: str, ins: Instruction) -> str:
        if not source:
            raise ProfileSchemaError(
                f"{self.file}:{ins.line}: {ins.keyword} has an empty source",
                "an ARG or ENV it uses is probably unset",
            )
        rel = posixpath.normpath(source)
        if source.startswith("/") or rel == ".." or rel.startswith("../") or "\0" in source:
            raise self._outside(ins, f"source {show(source)} is outside the directory")
        return rel

    def _outside(self, ins: Instruction, problem: str) -> ProfileSchemaError:
        return ProfileSchemaError(f"{self.file}:{ins.line}: {ins.keyword} {problem}", OUTSIDE_HINT)

    def _matches(self, rel: str) -> list[str]:
        if rel == ".":
            return ["."]
        if re.search(r"[*?\[]", rel):
            # The builders match like Go's filepath.Match, where `**` is just `*`.
            pattern = re.sub(r"\*{2,}", "*", rel)
            found = [path.relative_to(self.root).as_posix() for path in self.root.glob(pattern)]
        else:
            path = self.root / rel
            found = [rel] if path.is_symlink() or path.exists() else []
        return sorted(match for match in found if not self.ignore.excludes(match))

    def _add_match(self, rel: str, ins: Instruction) -> None:
        current = self.root
        for part in PurePosixPath(rel).parts:
            current = current / part
            if current.is_symlink():
                self._add_link(current, ins)
        real = self._resolved_inside(self.root / rel, ins)
        if real.is_dir():
            self._add_tree(real, ins)
        elif real.exists():
            self._add(real, ins)

    def _resolved_inside(self, path: Path, ins: Instruction) -> Path:
        real = _resolve(path, self.file, ins.line)
        if not _inside(real, self.root):
            rel = path.relative_to(self.root).as_posix()
            raise self._outside(ins, f"source {show(rel)} is a link leading outside the directory")
        return real

    def _add_link(self, link: Path, ins: Instruction) -> None:
        self._resolved_inside(link, ins)
        self._add(link, ins)

    def _add(self, path: Path, ins: Instruction) -> None:
        rel = path.relative_to(self.root).as_posix()
        if self.ignore.excludes(rel):
            return
        mode = path.lstat().st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            raise ProfileSchemaError(
                f"{self.file}:{ins.line}: {ins.keyword} would copy {show(rel)}, "
                "which is not a regular file (a FIFO, socket or device)",
                "remove it, or list it in .containerignore",
            )
        self.picked[rel] = path

    def _add_tree(self, top: Path, ins: Instruction) -> None:
        for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
            base = Path(dirpath)
            kept: list[str] = []
            for name in dirnames:
                path = base / name
                if path.is_symlink():
                    self._add_link(path, ins)
                elif not self.ignore.prunes(path.relative_to(self.root).as_posix()):
                    kept.append(name)
            dirnames[:] = kept
            for name in filenames:
                path = base / name
                if path.is_symlink():
                    self._add_link(path, ins)
                else:
                    self._add(path, ins)


def _resolve(path: Path, file: str, line: int) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        raise ProfileSchemaError(
            f"{file}:{line}: {path.name}: symbolic link loop", OUTSIDE_HINT
        ) from None


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)
