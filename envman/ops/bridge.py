"""Path-bridge operations: effective rules, one-shot reconcile, the user unit, the daemon."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from envman.bridge import flatpak, fsops, systemd
from envman.bridge.daemon import Bridge, serve
from envman.bridge.load import Expander, RuleFile, load_rules
from envman.bridge.presets import PRESETS
from envman.bridge.reconcile import BridgeEnv, Reconciler, RuleVerdict
from envman.bridge.rules import FlatpakCommand, Rule, RuleSet
from envman.bridge.unit import UNIT_NAME, exec_start, render_unit
from envman.bridge.wrapper import Places, replacement_value
from envman.errors import BridgeError
from envman.host.files import write_atomic
from envman.ops.context import Context
from envman.paths import Paths
from envman.profile.validate import suggest

RULES_FILE = "bridge.yaml"
RULES_DIR = "bridge.d"


def rule_files(paths: Paths) -> list[RuleFile]:
    """Rule sources, lowest precedence first: bridge.d/, then bridge.yaml."""
    drop_in = paths.config / RULES_DIR
    presets = sorted(drop_in.glob("*.yaml")) if drop_in.is_dir() else []
    return [
        *(RuleFile("user", p) for p in presets),
        RuleFile("user", paths.config / RULES_FILE),
    ]


def runtime_dir(paths: Paths) -> Path | None:
    """The user's runtime directory; not /run, where Paths puts root without XDG_RUNTIME_DIR."""
    base = paths.runtime.parent
    return None if base == Path("/run") else base


def expander(paths: Paths) -> Expander:
    """Rule paths expand against the real home and the XDG base directories, and must stay in
    the home or the runtime directory."""
    return Expander(paths.home, paths.config.parent, paths.data.parent, runtime_dir(paths))


def bridge_env(paths: Paths) -> BridgeEnv:
    """Where wrappers and backups go for this user, and the roots the bridge may act below."""
    home = paths.home
    runtime = runtime_dir(paths)
    roots = (home, Path(os.path.realpath(home)), paths.data.parent, paths.state.parent)
    return BridgeEnv(
        Places(home, paths.data),
        paths.state / "bridge" / "backups",
        flatpak.flatpak_binary(),
        fsops.Roots(roots + ((runtime,) if runtime else ())),
    )


def load(ctx: Context) -> RuleSet:
    """The effective rules (BridgeError names file:line:key for a bad one)."""
    return load_rules(rule_files(ctx.paths), expander(ctx.paths))


@dataclass(frozen=True)
class RuleView:
    """One effective rule as `envman bridge rules` shows it."""

    id: str
    source: str
    dir: str
    glob: str
    where: str
    match: str
    replace: str
    value: str
    mirror: str | None
    requires: str | None
    active: bool
    consumer: str


@dataclass(frozen=True)
class RulesReport:
    """The effective rules, the ones later sources replaced, and the files that were read."""

    rules: list[RuleView]
    overridden: list[tuple[str, str, str]]
    files: list[str]


def _view(rule: Rule, places: Places) -> RuleView:
    return RuleView(
        id=rule.id,
        source=str(rule.source),
        dir=str(rule.dir),
        glob=rule.glob,
        where=rule.locator.describe(),
        match=rule.match,
        replace=rule.replace.describe(),
        value=replacement_value(rule.replace, places),
        mirror=str(rule.mirror) if rule.mirror else None,
        requires=str(rule.requires) if rule.requires else None,
        active=rule.requires is None or os.path.lexists(rule.requires),
        consumer=rule.consumer,
    )


def list_rules(ctx: Context) -> RulesReport:
    """The effective rules and where each comes from."""
    files = rule_files(ctx.paths)
    rules = load_rules(files, expander(ctx.paths))
    places = bridge_env(ctx.paths).places
    return RulesReport(
        rules=[_view(r, places) for r in rules.rules],
        overridden=[(r.id, str(r.source), str(by)) for r, by in rules.overridden],
        files=[str(f.path) for f in files if f.path.exists()],
    )


def list_presets() -> dict[str, str]:
    """Preset name -> what it bridges."""
    return {
        name: f"{app.name} with {browser.name} (host, or Flatpak {browser.flatpak_id})"
        for name, (app, browser) in PRESETS.items()
    }


@dataclass(frozen=True)
class OnceReport:
    """What one reconcile of every rule did (or, with dry_run, would do)."""

    dry_run: bool
    actions: list[RuleVerdict]

    @property
    def changes(self) -> int:
        """Files written (or that would be)."""
        return sum(1 for a in self.actions if a.status in ("rewrite", "mirror", "remove"))


def once(ctx: Context, *, dry_run: bool) -> OnceReport:
    """Reconcile every rule's files once."""
    reconciler = Reconciler(load(ctx), bridge_env(ctx.paths), dry_run=dry_run)
    return OnceReport(dry_run, reconciler.everything())


def run(ctx: Context) -> int:
    """The daemon, in the foreground; the exit status for the process."""
    paths = ctx.paths
    bridge = Bridge(
        load=lambda: load(ctx),
        env=bridge_env(paths),
        reload_dirs=(paths.config, paths.config / RULES_DIR),
    )
    return serve(bridge)


@dataclass(frozen=True)
class PermissionView:
    """A Flatpak permission a rule needs, what it allows, and what happened to it."""

    consumer: str
    command: str
    revoke: str
    explanation: str
    state: str


def _permissions(ctx: Context, rules: RuleSet, apply_for: set[str]) -> list[PermissionView]:
    installs = flatpak.installations(ctx.environ, ctx.paths.data.parent)
    views = []
    for consumer in sorted({r.consumer for r in rules.rules if r.consumer != "host"}):
        perm = flatpak.permission_for(consumer)
        if flatpak.permission_granted(consumer, installs):
            state = "granted"
        elif consumer not in apply_for:
            state = "needed: not applied (run the command)"
        elif flatpak.locate(consumer, installs) is None:
            state = f"not applied: {consumer} is not installed (run the command once it is)"
        else:
            done, err = flatpak.apply_permission(perm, ctx.environ)
            state = "applied" if done else f"failed: {err}"
        views.append(
            PermissionView(
                consumer, " ".join(perm.grant), " ".join(perm.revoke), perm.explanation, state
            )
        )
    return views


@dataclass(frozen=True)
class InstallReport:
    """What `envman bridge install` wrote, enabled and granted."""

    unit_path: str
    exec_start: list[str]
    preset_file: str | None
    permissions: list[PermissionView]


def _enable_preset(ctx: Context, preset: str) -> Path:
    if preset not in PRESETS:
        raise BridgeError(
            f"unknown preset '{preset}'",
            suggest(preset, PRESETS) or "see `envman bridge rules --presets`",
        )
    path = ctx.paths.config / RULES_DIR / f"preset-{preset}.yaml"
    write_atomic(
        path,
        f"# Written by `envman bridge install --preset {preset}`; delete this file to turn "
        f"the preset off.\npresets:\n  - {preset}\n",
    )
    return path


def unit_file(paths: Paths) -> Path:
    """Where the unit goes: $XDG_CONFIG_HOME/systemd/user."""
    return systemd.unit_path(paths.config.parent)


def install(ctx: Context, *, preset: str | None, print_only: bool) -> InstallReport:
    """Enable PRESET, check the rules, write and (re)start the unit, grant or print permissions."""
    preset_file = _enable_preset(ctx, preset) if preset else None
    rules = load(ctx)
    argv = exec_start(sys.executable)
    unit = unit_file(ctx.paths)
    systemd.install_and_start(unit, render_unit(argv, ctx.environ), ctx.environ)
    preset_consumers = {r.consumer for r in rules.rules if preset and r.id.startswith(f"{preset}.")}
    permissions = _permissions(ctx, rules, set() if print_only else preset_consumers)
    return InstallReport(str(unit), argv, str(preset_file) if preset_file else None, permissions)


def uninstall(ctx: Context) -> list[str]:
    """Stop, disable and remove the unit (rules, wrappers and backups stay); what was done."""
    return systemd.stop_and_remove(unit_file(ctx.paths), ctx.environ)


@dataclass(frozen=True)
class StatusReport:
    """The unit's state, the apps the rules run, the permissions, and what needs attention."""

    unit_path: str
    installed: bool
    service: dict[str, str]
    rules: int
    apps: dict[str, str]
    backups: list[str]
    permissions: list[PermissionView]
    problems: list[str]


def _unit_problems(unit: Path, service: dict[str, str]) -> list[str]:
    if not unit.exists():
        return ["the unit is not installed: run `envman bridge install`"]
    if service.get("ActiveState") not in (None, "active"):
        return [f"the unit is {service.get('ActiveState')}: see journalctl --user -u {UNIT_NAME}"]
    return []


def _backups(root: Path) -> list[str]:
    """The original files the bridge backed up, as the host paths they came from."""
    return sorted("/" + str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def status(ctx: Context) -> StatusReport:
    """The unit's state and restarts, the daemon's STATUS text, the apps and permissions."""
    unit = unit_file(ctx.paths)
    rules = load(ctx)
    service, trouble = systemd.show(ctx.environ)
    problems = [trouble] if trouble else []
    problems += _unit_problems(unit, service)
    installs = flatpak.installations(ctx.environ, ctx.paths.data.parent)
    permissions = _permissions(ctx, rules, set())
    problems += [
        f"{p.consumer} cannot run its wrapper yet: {p.command}"
        for p in permissions
        if p.state != "granted" and flatpak.locate(p.consumer, installs) is not None
    ]
    commands = {
        (r.replace.app, r.replace.command)
        for r in rules.rules
        if isinstance(r.replace, FlatpakCommand)
    }
    backups = _backups(ctx.paths.state / "bridge" / "backups")
    return StatusReport(
        str(unit),
        unit.exists(),
        service,
        len(rules.rules),
        flatpak.describe(commands, installs),
        backups,
        permissions,
        problems,
    )
