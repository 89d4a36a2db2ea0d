"""The swap journal: what a half-done container swap was doing, written before envman acts.

A crash (or a full disk) between two steps of a swap leaves this record; the next command that
takes the environment's lock finishes the swap (phase "commit") or undoes it (phase "swap").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from envman.history import History, history_from_data, history_to_data
from envman.host.files import remove_file
from envman.host.json_state import read_json_record, write_json_record
from envman.paths import Paths
from envman.state import EnvState, state_from_data

JOURNAL_VERSION = 1


@dataclass(frozen=True)
class Commit:
    """The records a swap ends with, and the tag that keeps the new generation's image."""

    state: EnvState
    history: History
    image_id: str = ""
    tag: str = ""


@dataclass(frozen=True)
class Journal:
    """One environment's swap in progress."""

    name: str
    phase: str  # "swap": containers are moving; "commit": the new one works, records follow
    old_id: str = ""
    new_id: str = ""
    commit: Commit | None = None

    def advanced(self, **changes: Any) -> Journal:
        """This journal one step further."""
        return replace(self, **changes)


def journal_file(paths: Paths, name: str) -> Path:
    """Where an environment's journal lives while a swap is under way."""
    return paths.state / "journal" / f"{name}.json"


def load_journal(paths: Paths, name: str) -> Journal | None:
    """The journal of a swap that did not finish, or None."""
    return read_json_record(journal_file(paths, name), JOURNAL_VERSION, "the swap journal", _decode)


def save_journal(paths: Paths, journal: Journal) -> None:
    """Write the journal (atomically) before the step it describes."""
    body: dict[str, Any] = {
        "name": journal.name,
        "phase": journal.phase,
        "old_id": journal.old_id,
        "new_id": journal.new_id,
    }
    if journal.commit is not None:
        body["commit"] = {
            "state": asdict(journal.commit.state),
            "history": history_to_data(journal.commit.history),
            "image_id": journal.commit.image_id,
            "tag": journal.commit.tag,
        }
    write_json_record(journal_file(paths, journal.name), JOURNAL_VERSION, body, mode=0o600)


def clear_journal(paths: Paths, name: str) -> None:
    """The swap is finished or undone."""
    remove_file(journal_file(paths, name))


def pending(paths: Paths) -> list[str]:
    """Environments with a half-done swap."""
    folder = paths.state / "journal"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def _decode(data: dict[str, Any]) -> Journal:
    found = data.get("commit")
    commit = None
    if found is not None:
        state = state_from_data(found["state"])
        commit = Commit(
            state,
            history_from_data(state.name, found["history"]),
            str(found["image_id"]),
            str(found["tag"]),
        )
    phase = str(data["phase"])
    if phase not in ("swap", "commit") or (phase == "commit") != (commit is not None):
        raise ValueError(f"phase {phase!r}")
    return Journal(str(data["name"]), phase, str(data["old_id"]), str(data["new_id"]), commit)
