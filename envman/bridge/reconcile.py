"""One reconcile pass: a watched file's rules applied through fsops; what was (or would be) done."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from envman.bridge import fsops
from envman.bridge.rewrite import Outcome, rewrite
from envman.bridge.rules import FlatpakCommand, HostCommand, Rule, RuleSet
from envman.bridge.wrapper import (
    WRAPPER_MODE,
    Places,
    program_key,
    replacement_value,
    wrapper_path,
    wrapper_text,
)


@dataclass(frozen=True)
class BridgeEnv:
    """What besides the rules decides a rewrite: where wrappers and backups go, the host flatpak."""

    places: Places
    backups: Path
    flatpak_bin: str
    roots: fsops.Roots


@dataclass(frozen=True)
class RuleVerdict:
    """One rule's verdict on one file.

    status: rewrite | mirror | remove (with `done` once written), ok, custom, missing, malformed,
    skipped (unsafe), inactive (`requires` absent), absent (no directory yet),
    changed (raced a writer).
    """

    rule: str
    path: str
    status: str
    detail: str = ""
    old: str | None = None
    new: str | None = None
    diff: str = ""
    done: bool = False


def _matches(name: str, rules: list[Rule]) -> bool:
    """Whether some rule's glob matches a file name (envman's own temporary files never)."""
    return not fsops.is_temp_name(name) and any(fnmatchcase(name, r.glob) for r in rules)


RACED = "the file changed while being rewritten; its next event retries"


def _diff(path: str, before: bytes | None, after: bytes | None) -> str:
    a = (before or b"").decode("utf-8", "replace").splitlines(keepends=True)
    b = (after or b"").decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, f"{path} (now)", f"{path} (bridged)"))


@dataclass
class Reconciler:
    """Applies RULES; with dry_run it only reports. Not thread-safe: one caller at a time."""

    rules: RuleSet
    env: BridgeEnv
    dry_run: bool = False
    _values: dict[str, str] = field(default_factory=dict)
    _equivalent: dict[str, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._values = {
            r.id: replacement_value(r.replace, self.env.places) for r in self.rules.rules
        }
        by_program: dict[tuple[str, ...], set[str]] = {}
        for r in self.rules.rules:
            by_program.setdefault(program_key(r.replace), set()).add(self._values[r.id])
        self._equivalent = {
            r.id: frozenset(by_program.get(program_key(r.replace), ())) for r in self.rules.rules
        }

    def everything(self) -> list[RuleVerdict]:
        """Every file in every rule's directory (what `once` and the periodic resync do)."""
        actions: list[RuleVerdict] = []
        for directory in sorted(self.rules.dirs()):
            actions += self.directory(directory)
        return actions

    def directory(self, directory: Path) -> list[RuleVerdict]:
        """Every file of DIRECTORY that some rule's glob matches."""
        rules = [r for r in self.rules.rules if r.dir == directory]
        try:
            names = self._names(directory)
        except FileNotFoundError:
            return [
                RuleVerdict(r.id, str(directory), "absent", "the directory does not exist (yet)")
                for r in rules
            ]
        except (fsops.Unsafe, OSError) as exc:
            return [RuleVerdict(r.id, str(directory), "skipped", str(exc)) for r in rules]
        actions: list[RuleVerdict] = []
        for name in names:
            if _matches(name, rules):
                actions += self.file(directory, name)
        return actions

    def _names(self, directory: Path) -> list[str]:
        with fsops.open_dir(directory, self.env.roots) as dir_fd:
            return sorted(e.name for e in os.scandir(dir_fd))

    def file(self, directory: Path, name: str) -> list[RuleVerdict]:
        """Apply the rules of DIRECTORY/NAME: in-place rewrites first, then mirrors of that."""
        try:
            return self._file(directory, name)
        except Exception as exc:  # a bug costs this one file, never the daemon and its other rules
            detail = f"internal error, please report it: {type(exc).__name__}: {exc}"
            path = str(directory / name)
            return [
                RuleVerdict(r.id, path, "skipped", detail)
                for r in self.rules.for_file(directory, name)
            ]

    def _file(self, directory: Path, name: str) -> list[RuleVerdict]:
        path = str(directory / name)
        actions, rules = self._active_rules(self.rules.for_file(directory, name), path)
        if not rules:
            return actions
        try:
            snap, content, done = self._read_and_rewrite(directory, name, rules)
        except FileNotFoundError:
            return actions
        except (fsops.Unsafe, OSError) as exc:
            return actions + [RuleVerdict(r.id, path, "skipped", str(exc)) for r in rules]
        actions += done
        if any(a.status == "changed" for a in done):
            return actions
        return actions + [
            self._mirror(rule, rule.mirror, name, snap, content)
            for rule in rules
            if rule.mirror is not None
        ]

    def _read_and_rewrite(
        self, directory: Path, name: str, rules: list[Rule]
    ) -> tuple[fsops.Snapshot | None, bytes | None, list[RuleVerdict]]:
        """The file as read, as rewritten in place by the rules without a mirror, and verdicts."""
        with fsops.open_dir(directory, self.env.roots) as dir_fd:
            snap = fsops.read_file(dir_fd, name)
            in_place = [r for r in rules if not r.mirror]
            return snap, *self._in_place(dir_fd, directory, snap, in_place)

    def _active_rules(self, rules: list[Rule], path: str) -> tuple[list[RuleVerdict], list[Rule]]:
        """An `inactive` verdict for each rule whose `requires` is absent, and the other rules."""
        active = [r for r in rules if self._active(r)]
        inactive = [r for r in rules if r not in active]
        return [
            RuleVerdict(r.id, path, "inactive", f"{r.requires} does not exist") for r in inactive
        ], active

    def _active(self, rule: Rule) -> bool:
        return rule.requires is None or os.path.lexists(rule.requires)

    def _in_place(
        self, dir_fd: int, directory: Path, snap: fsops.Snapshot | None, rules: Iterable[Rule]
    ) -> tuple[bytes | None, list[RuleVerdict]]:
        if snap is None:
            return None, []
        path = str(directory / snap.name)
        content, pending, actions = self._judge(snap.content, rules, path)
        if not pending:
            return content, actions
        diff = _diff(path, snap.content, content)
        try:
            done = self._write(dir_fd, directory, snap, content, [r for r, _ in pending])
        except fsops.Changed:
            return snap.content, [
                *actions,
                *(RuleVerdict(r.id, path, "changed", RACED) for r, _ in pending),
            ]
        actions += [
            RuleVerdict(r.id, path, "rewrite", out.detail, out.old, out.new, diff, done)
            for r, out in pending
        ]
        return content, actions

    def _judge(
        self, content: bytes, rules: Iterable[Rule], path: str
    ) -> tuple[bytes, list[tuple[Rule, Outcome]], list[RuleVerdict]]:
        """Each rule's rewrite applied in turn: the content, the pending rewrites, the verdicts
        of the rules with nothing to rewrite."""
        pending: list[tuple[Rule, Outcome]] = []
        actions: list[RuleVerdict] = []
        for rule in rules:
            out = rewrite(content, rule.locator, rule.pattern, self._values[rule.id])
            if out.status == "rewrite" and out.content is not None:
                pending.append((rule, out))
                content = out.content
                continue
            if out.status == "ok" and not self.dry_run:
                self._ensure_wrapper(rule)  # the file names it: it must exist
            actions.append(RuleVerdict(rule.id, path, out.status, out.detail, out.old))
        return content, pending, actions

    def _write(
        self, dir_fd: int, directory: Path, snap: fsops.Snapshot, content: bytes, rules: list[Rule]
    ) -> bool:
        """Write the rewritten file (wrappers first, the original backed up once); False on a
        dry run. fsops.Changed when the file changed since it was read."""
        if self.dry_run:
            return False
        for rule in rules:
            self._ensure_wrapper(rule)
        fsops.backup_once(self.env.backups, directory / snap.name, snap.content, self.env.roots)
        fsops.replace_file(dir_fd, snap.name, content, snap.mode, snap)
        return True

    def _mirror(
        self,
        rule: Rule,
        mirror: Path,
        name: str,
        snap: fsops.Snapshot | None,
        content: bytes | None,
    ) -> RuleVerdict:
        path = str(mirror / name)
        try:
            if snap is None or content is None:
                with fsops.open_dir(mirror, self.env.roots) as dir_fd:
                    return self._unmirror(rule, dir_fd, path, fsops.read_file(dir_fd, name))
            return self._mirror_to(rule, mirror, path, content, snap.mode)
        except FileNotFoundError:
            return RuleVerdict(rule.id, path, "absent", f"{mirror} does not exist")
        except fsops.Changed:
            return RuleVerdict(rule.id, path, "changed", "the copy changed while being written")
        except (fsops.Unsafe, OSError) as exc:
            return RuleVerdict(rule.id, path, "skipped", str(exc))

    def _mirror_to(
        self, rule: Rule, mirror: Path, path: str, content: bytes, mode: int
    ) -> RuleVerdict:
        """The copy of CONTENT in MIRROR: bridged if the source value is bad, as is if right."""
        value = self._values[rule.id]
        out = rewrite(
            content, rule.locator, rule.pattern, value, equivalent=self._equivalent[rule.id]
        )
        if out.status not in ("rewrite", "ok"):
            detail = f"source: {out.detail}" if out.detail else "source value"
            return RuleVerdict(rule.id, path, out.status, detail, out.old)
        desired = out.content if out.content is not None else content
        try:
            with fsops.open_dir(mirror, self.env.roots, create=self._create) as dir_fd:
                current = fsops.read_file(dir_fd, Path(path).name)
                return self._write_mirror(rule, dir_fd, path, current, desired, mode=mode)
        except FileNotFoundError:
            if not self.dry_run:
                raise
            return RuleVerdict(rule.id, path, "mirror", diff=_diff(path, None, desired), new=value)

    @property
    def _create(self) -> int | None:
        """The mode of directories the bridge makes; a dry run makes none."""
        return None if self.dry_run else 0o755

    def _owned(self, rule: Rule, current: fsops.Snapshot) -> tuple[bool, Outcome]:
        """Whether the copy is envman's (it holds one of envman's values), and its verdict."""
        known = self._equivalent[rule.id] | {self._values[rule.id]}
        verdict = rewrite(
            current.content, rule.locator, rule.pattern, self._values[rule.id], equivalent=known
        )
        return verdict.status == "ok" or verdict.old in known, verdict

    def _write_mirror(
        self,
        rule: Rule,
        dir_fd: int,
        path: str,
        current: fsops.Snapshot | None,
        desired: bytes,
        *,
        mode: int,
    ) -> RuleVerdict:
        if current is not None and current.content == desired:
            if not self.dry_run:
                self._ensure_wrapper(rule)
            return RuleVerdict(rule.id, path, "ok")
        if current is not None:
            ours, verdict = self._owned(rule, current)
            if not ours:
                # Not written by envman: maybe the app's own file, or one seen through a link.
                # A known-bad value in it is for an in-place rule on that directory (which
                # keeps a backup), never for a mirror.
                status = {"malformed": "malformed", "rewrite": "skipped"}.get(
                    verdict.status, "custom"
                )
                return RuleVerdict(
                    rule.id,
                    path,
                    status,
                    "the copy holds a value envman did not write; left alone",
                    verdict.old,
                )
        diff = _diff(path, current.content if current else None, desired)
        if self.dry_run:
            return RuleVerdict(rule.id, path, "mirror", diff=diff, new=self._values[rule.id])
        self._ensure_wrapper(rule)
        fsops.replace_file(
            dir_fd, Path(path).name, desired, current.mode if current else mode, current
        )
        return RuleVerdict(rule.id, path, "mirror", diff=diff, new=self._values[rule.id], done=True)

    def _unmirror(
        self, rule: Rule, dir_fd: int, path: str, current: fsops.Snapshot | None
    ) -> RuleVerdict:
        """The source is gone (the app unticked that browser): drop the copy if it is still ours."""
        if current is None:
            return RuleVerdict(rule.id, path, "ok", "source and copy are both absent")
        if self._owned(rule, current)[1].status != "ok":
            return RuleVerdict(
                rule.id, path, "custom", "source removed; the copy is not envman's, kept"
            )
        if not self.dry_run:
            fsops.remove_file(dir_fd, current.name, current)
        return RuleVerdict(rule.id, path, "remove", "source removed", done=not self.dry_run)

    def _ensure_wrapper(self, rule: Rule) -> None:
        if isinstance(rule.replace, FlatpakCommand | HostCommand):
            text = wrapper_text(rule.replace, self.env.flatpak_bin)
            fsops.write_if_changed(
                wrapper_path(rule.replace, self.env.places),
                text.encode(),
                WRAPPER_MODE,
                self.env.roots,
            )
