"""The export ledger: every file an export wrote (path, checksum), per environment, on disk."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from envman.host.files import remove_file
from envman.host.json_state import read_json_record, write_json_record
from envman.names import env_name, is_name
from envman.paths import Paths

LEDGER_VERSION = 1
Kind = Literal["app", "bin"]
RequestedBy = Literal["profile", "cli"]
FileStatus = Literal["ours", "changed", "missing"]


@dataclass(frozen=True)
class FileRecord:
    """One file envman wrote, and the checksum of what it wrote."""

    path: str
    sha256: str


@dataclass(frozen=True)
class ExportRecord:
    """One export: an app or a binary, who asked for it, from which image, and its files."""

    kind: Kind
    key: str
    origin: RequestedBy
    image_id: str
    files: tuple[FileRecord, ...]


@dataclass(frozen=True)
class Ledger:
    """All exports of one environment."""

    env: str
    exports: tuple[ExportRecord, ...] = ()

    def find(self, kind: Kind, key: str) -> ExportRecord | None:
        """The record of one export, if any."""
        return next((e for e in self.exports if e.kind == kind and e.key == key), None)

    def without(self, kind: Kind, key: str) -> Ledger:
        """This ledger minus one export."""
        kept = tuple(e for e in self.exports if not (e.kind == kind and e.key == key))
        return replace(self, exports=kept)

    def with_record(self, record: ExportRecord) -> Ledger:
        """This ledger with one export added or replaced, kept in a stable order."""
        others = self.without(record.kind, record.key).exports
        ordered = sorted((*others, record), key=lambda e: (e.kind, e.key))
        return replace(self, exports=tuple(ordered))

    def owner_of(self, path: str) -> ExportRecord | None:
        """The export that wrote a file, if this ledger has it."""
        return next((e for e in self.exports for f in e.files if f.path == path), None)


def ledger_dir(paths: Paths) -> Path:
    """Where the ledgers live."""
    return paths.state / "exports"


def ledger_file(paths: Paths, env: str) -> Path:
    """The ledger of one environment."""
    return ledger_dir(paths) / f"{env_name(env)}.json"


def ledger_envs(paths: Paths) -> list[str]:
    """Environments that have a ledger."""
    directory = ledger_dir(paths)
    if not directory.is_dir():
        return []
    return sorted(p.stem for p in directory.glob("*.json") if is_name(p.stem))


def load_ledger(paths: Paths, env: str) -> Ledger:
    """The ledger of an environment (empty when there is none)."""
    path = ledger_file(paths, env)
    found = read_json_record(
        path,
        LEDGER_VERSION,
        "the export ledger",
        lambda data: Ledger(env, tuple(_record(e) for e in data["exports"])),
    )
    return found if found is not None else Ledger(env)


def _record(data: dict[str, Any]) -> ExportRecord:
    files = tuple(FileRecord(str(f["path"]), str(f["sha256"])) for f in data["files"])
    return ExportRecord(data["kind"], data["key"], data["origin"], data["image_id"], files)


def save_ledger(paths: Paths, ledger: Ledger) -> None:
    """Write the ledger atomically; an empty ledger is removed."""
    path = ledger_file(paths, ledger.env)
    if not ledger.exports:
        remove_file(path)
        return
    body = {"env": ledger.env, "exports": [asdict(e) for e in ledger.exports]}
    write_json_record(path, LEDGER_VERSION, body, mode=0o600)


def checksum(data: bytes) -> str:
    """The checksum the ledger records."""
    return hashlib.sha256(data).hexdigest()


def file_status(record: FileRecord) -> FileStatus:
    """Whether a recorded file is still what envman wrote."""
    path = Path(record.path)
    try:
        if path.is_symlink() or not path.is_file():
            return "changed" if path.exists() or path.is_symlink() else "missing"
        return "ours" if checksum(path.read_bytes()) == record.sha256 else "changed"
    except FileNotFoundError:
        return "missing"
