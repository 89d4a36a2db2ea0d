"""Replacing an environment's container without a window where nothing works, crash-safe.

The new container is created under the environment's own name (so `/run/.containerenv` names
the environment) once the old one is renamed aside; it is set up, then the records are written.
Every step is journaled first: a crash or a full disk at any point leaves either the old
environment (undo) or the new one with its records (finish), and the next command repairs it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from envman import faults
from envman.engine.types import ContainerInfo, ContainerSpec, Engine
from envman.errors import HookFailed
from envman.history import CreateStep, save_history
from envman.journal import Commit, Journal, clear_journal, load_journal, save_journal
from envman.ops.context import Context
from envman.ops.listing import OLD_SUFFIX, TEMP_SUFFIX, owns
from envman.render.containerfile import data_file
from envman.render.prompt import PROMPT_FILE, prompt_snippet
from envman.state import save_state


def replace_container(
    ctx: Context,
    engine: Engine,
    spec: ContainerSpec,
    existing: ContainerInfo | None,
    steps: tuple[CreateStep, ...],
) -> ContainerInfo:
    """Move the old container aside, create and set up the new one; undo all on any failure.

    On return the journal stays in phase "swap": the caller ends it with `commit`.
    """
    name = spec.name
    _remove_leftovers(engine, name)
    journal = Journal(name, "swap", old_id=existing.id if existing else "")
    save_journal(ctx.paths, journal)
    try:
        if existing is not None:
            engine.rename(existing.id, name + OLD_SUFFIX)
            faults.point("swap:old-moved")
        _prepare_host_dirs(spec)
        created = engine.create(spec)
        journal = journal.advanced(new_id=created.id)
        save_journal(ctx.paths, journal)
        faults.point("swap:created")
        engine.start(created.id)
        _setup(ctx, engine, created.id, steps, dict(spec.env)["HOME"])
        faults.point("swap:set-up")
    except BaseException:
        undo(ctx, engine, journal)
        raise
    info = engine.container(created.id)
    assert info is not None
    return info


def commit(ctx: Context, engine: Engine, name: str, done: Commit) -> None:
    """Write what now runs: journal first, then tag, state, history; then drop the old container."""
    journal = load_journal(ctx.paths, name) or Journal(name, "swap")
    try:
        save_journal(ctx.paths, journal.advanced(phase="commit", commit=done))
    except BaseException:
        undo(ctx, engine, journal)
        raise
    faults.point("commit:journaled")
    finish(ctx, engine, journal.advanced(phase="commit", commit=done))


def finish(ctx: Context, engine: Engine, journal: Journal) -> None:
    """Apply a committed journal; every step is idempotent, so a repair simply runs it again."""
    done = journal.commit
    assert done is not None
    if done.tag:
        engine.tag(done.image_id, done.tag)
    save_state(ctx.paths, done.state)
    faults.point("commit:state-written")
    save_history(ctx.paths, done.history)
    faults.point("commit:history-written")
    old = engine.container(journal.old_id) if journal.old_id else None
    if old is not None and old.id != done.state.container_id:
        engine.remove(old.id)
    clear_journal(ctx.paths, journal.name)


def undo(ctx: Context, engine: Engine, journal: Journal) -> None:
    """Put the old container back under its name and remove the half-made new one."""
    name = journal.name
    current = engine.container(name)
    if current is not None and current.id != journal.old_id:
        made_here = current.id == journal.new_id or (not journal.new_id and owns(current, name))
        if made_here:
            engine.remove(current.id)
    if journal.old_id:
        old = engine.container(journal.old_id)
        if old is not None and old.name != name:
            engine.rename(old.id, name)
    clear_journal(ctx.paths, name)


def repair(ctx: Context, engine: Engine, name: str) -> str:
    """Finish or undo a swap a crash left half-done (the caller holds the lock); what it did."""
    journal = load_journal(ctx.paths, name)
    if journal is None:
        return ""
    if journal.phase == "commit":
        finish(ctx, engine, journal)
        return f"{name}: finished a container swap an earlier envman left half-done"
    undo(ctx, engine, journal)
    return f"{name}: undid a container swap an earlier envman left half-done"


def _remove_leftovers(engine: Engine, name: str) -> None:
    """Swap containers of an older envman (or of a repair that could not finish)."""
    for leftover in (name + TEMP_SUFFIX, name + OLD_SUFFIX):
        found = engine.container(leftover)
        if found is not None and owns(found, name):
            engine.remove(found.id)


def _prepare_host_dirs(spec: ContainerSpec) -> None:
    """A custom home is created on the host (and never removed: it holds the user's data)."""
    home = dict(spec.env).get("HOME")
    if home and not Path(home).exists():
        Path(home).mkdir(parents=True, mode=0o700)


def _setup(
    ctx: Context, engine: Engine, container: str, steps: tuple[CreateStep, ...], home: str
) -> None:
    """Once per container: the prompt snippet, the host user inside, then the `create` hooks."""
    _install_prompt(ctx, engine, container)
    facts = ctx.facts
    if facts.uid != 0:
        argv = [
            "/bin/sh",
            "-c",
            data_file("user-setup.sh"),
            "envman-user-setup",
            facts.user,
            str(facts.uid),
            str(facts.gid),
            home,
            facts.shell,
        ]
        code, output = engine.exec(container, argv, user="root", env={})
        if code != 0:
            raise HookFailed(
                f"setting up user {facts.user} in the new container failed: "
                f"{output.strip()[-500:]}",
                "the new container was removed; the previous one (if any) is untouched",
            )
    for step in steps:
        _run_create_step(ctx, engine, container, step, home)


def _install_prompt(ctx: Context, engine: Engine, container: str) -> None:
    """/etc/profile.d/envman-prompt.sh: a prompt that says where it is (a nicety: never fatal)."""
    script = 'mkdir -p "${2%/*}" && printf "%s" "$1" >"$2"'
    argv = ["/bin/sh", "-c", script, "envman-prompt", prompt_snippet(), PROMPT_FILE]
    code, output = engine.exec(container, argv, user="root", env={})
    if code != 0:
        ctx.notify(f"warning: could not write {PROMPT_FILE}: {output.strip()[-200:]}")


def _run_create_step(
    ctx: Context, engine: Engine, container: str, step: CreateStep, home: str
) -> None:
    env = {"HOME": home if step.user != "root" else "/root", "USER": step.user}
    ctx.notify(f"create hook ({step.origin}) as {step.user}")
    code, output = engine.exec(container, list(step.argv), user=step.user, env=env)
    for line in output.splitlines():
        ctx.log(line)
    if code != 0:
        raise HookFailed(
            f"{step.origin}: create hook exited with status {code}",
            "the new container was removed; the previous one (if any) is untouched",
        )


def spec_named(spec: ContainerSpec, name: str) -> ContainerSpec:
    """A spec under another container name."""
    return replace(spec, name=name)
