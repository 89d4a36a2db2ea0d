"""Verified refs: signed tags and commits, checked by git with the keys the user configured."""

from __future__ import annotations

from pathlib import Path

from envman.errors import RefUnverified
from envman.sources import git
from envman.sources.git import GitRef

SIGNATURE_MARKERS = ("-----BEGIN PGP SIGNATURE-----", "-----BEGIN SSH SIGNATURE-----")
_HINT = (
    "use a ref signed with a key you trust (gpg.ssh.allowedSignersFile for SSH keys, your GPG "
    "keyring for GPG keys); nothing from this ref was built"
)


def reason_from(output: str) -> str:
    """What went wrong, in a few words, from git verify-tag/verify-commit output."""
    lowered = output.lower()
    if "no principal matched" in lowered or "no public key" in lowered:
        return "it is signed by a key you have not marked as trusted"
    if "allowedsignersfile" in lowered:
        return "gpg.ssh.allowedSignersFile is not configured, so no SSH signature can be checked"
    if "incorrect signature" in lowered or "bad signature" in lowered:
        return "its signature does not match its content (bad signature)"
    if "expired" in lowered or "revoked" in lowered:
        return "it is signed by an expired or revoked key"
    return git.last_line(output)


def signer_from(output: str) -> str:
    """The signer git reported for a good signature ('' when it did not say)."""
    for line in output.splitlines():
        if line.startswith("Good ") and " for " in line:
            return line.split(" for ", 1)[1].split(" with ", 1)[0].strip()
        if line.startswith("gpg: Good signature from "):
            return line.removeprefix("gpg: Good signature from ").split(" [", 1)[0].strip('"')
    return ""


def _refuse(source: str, ref: GitRef, reason: str) -> RefUnverified:
    return RefUnverified(f"source '{source}': {ref.kind} '{ref.name}' is refused: {reason}", _HINT)


def _check_tag_signed(mirror: Path, ref: GitRef, source: str) -> None:
    """An annotated tag object of the same name, carrying a signature."""
    text = git.object_text(mirror, "tag", ref.target)
    if text is None:
        raise _refuse(source, ref, "it is a lightweight tag, which carries no signature")
    named = next((ln[4:] for ln in text.splitlines() if ln.startswith("tag ")), "")
    if named != ref.name:
        raise _refuse(source, ref, f"the tag object is named '{named}', not '{ref.name}'")
    if not any(marker in text for marker in SIGNATURE_MARKERS):
        raise _refuse(source, ref, "the tag is not signed")


def _check_commit_signed(mirror: Path, ref: GitRef, source: str) -> None:
    """A commit whose header carries a gpgsig."""
    text = git.object_text(mirror, "commit", ref.commit) or ""
    header = text.split("\n\n", 1)[0]
    if not any(ln.startswith("gpgsig") for ln in header.splitlines()):
        raise _refuse(source, ref, f"commit {ref.commit[:12]} is not signed")


def verify(mirror: Path, ref: GitRef, source: str) -> str:
    """Check a ref's signature: a tag's own, else its commit's; returns the signer."""
    if ref.kind == "tag":
        _check_tag_signed(mirror, ref, source)
        good, output = git.verify_object(mirror, "tag", ref.target)
    else:
        _check_commit_signed(mirror, ref, source)
        good, output = git.verify_object(mirror, "commit", ref.commit)
    if not good:
        raise _refuse(source, ref, reason_from(output))
    return signer_from(output) or "a trusted key"
