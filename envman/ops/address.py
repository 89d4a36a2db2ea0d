"""Which profile an environment is made from: its address, the same from every directory.

Containers are global, the profile lookup order starts in `./profiles`: so `up` records where the
profile it built was found (its file, or `SOURCE/PROFILE@REF`), and every later command finds
the environment's profile by that address, not by looking its name up again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from envman.engine.types import ContainerInfo
from envman.errors import EnvNotFound, ProfileMoved, ProfileNotFound
from envman.paths import Paths
from envman.state import load_state

if TYPE_CHECKING:  # `envman ls` reads addresses only: it imports no profile or build code
    from envman.ops.build_inputs import Resolved


def address_of(resolved: Resolved) -> str:
    """What finds this profile again from anywhere: `SOURCE/PROFILE@REF`, or its absolute file."""
    if resolved.revision is not None:
        return resolved.revision.address(resolved.ref.name)
    ref = resolved.ref
    path = ref.path.resolve()
    return f"{path}#{ref.section}" if ref.section else str(path)


def is_address(text: str) -> bool:
    """Whether a recorded `text` finds one profile from anywhere (older envman kept bare names).

    Recorded addresses are absolute files or `SOURCE/PROFILE@REF`, so their shape tells.
    """
    return text.startswith("/") or "/" in text.partition("@")[0]


def same_profile(one: str, other: str) -> bool:
    """Two addresses of the same profile: the same file (and section), or the same source profile
    at any ref (moving a source profile to another ref is an update, not a move)."""
    return _identity(one) == _identity(other)


def _identity(address: str) -> str:
    from envman.sources.names import parse_address

    source = parse_address(address)
    if source is not None:
        return f"{source.source}/{source.profile}"
    path, _, section = address.partition("#")
    return f"{Path(path).resolve()}#{section}"


def recorded_address(paths: Paths, name: str, container: ContainerInfo | None = None) -> str | None:
    """The address the environment was made from: envman's record, else its container's label."""
    state = load_state(paths, name)
    if state is not None and is_address(state.address):
        return state.address
    from envman.history import load_history  # records older than the state's address only

    history = load_history(paths, name)
    newest = max(history.generations, key=lambda g: g.number, default=None)
    if newest is not None and is_address(newest.address):
        return newest.address
    label = container.labels.get("envman.source", "") if container is not None else ""
    return label if is_address(label) else None


def address_for_up(paths: Paths, arg: str) -> str:
    """What `up ARG` builds: ARG when it finds a profile here, else the address of the
    environment named ARG (so `up NAME` works from any directory)."""
    from envman.ops.build_inputs import find_profile

    try:
        find_profile(paths, arg)
    except ProfileNotFound:
        recorded = recorded_address(paths, arg) if "/" not in arg else None
        if recorded is None:
            raise
        try:
            find_profile(paths, recorded)
        except ProfileNotFound as exc:
            raise profile_gone(arg, recorded, exc) from None
        return recorded
    return arg


def profile_gone(name: str, address: str, exc: ProfileNotFound) -> ProfileNotFound:
    """The error for an environment whose own profile cannot be read any more."""
    return ProfileNotFound(
        f"environment '{name}' was made from {address}: {exc.message}",
        f"`envman up PROFILE --replace` remakes it from another profile; `envman rm {name}`",
    )


def check_not_moved(
    paths: Paths, resolved: Resolved, arg: str, container: ContainerInfo | None
) -> None:
    """`up` refuses to remake an environment from another profile than it was made from."""
    recorded = recorded_address(paths, resolved.name, container)
    now = address_of(resolved)
    if recorded is None or same_profile(recorded, now):
        return
    gone = recorded.startswith("/") and not Path(recorded.partition("#")[0]).is_file()
    raise ProfileMoved(
        f"environment '{resolved.name}' was made from {recorded}"
        + (" (no longer there)" if gone else "")
        + f", and '{arg}' finds {now} here",
        ("" if gone else f"`envman up {recorded}` updates it from its own profile; ")
        + f"`envman up {arg} --replace` remakes it from {now}",
    )


def env_address(paths: Paths, name: str, container: ContainerInfo | None) -> str:
    """The profile address of an existing environment, for commands that take its name.

    An environment made by an older envman (no address recorded) is looked up by name.
    """
    recorded = recorded_address(paths, name, container)
    if recorded is not None:
        return recorded
    if container is None and load_state(paths, name) is None:
        raise EnvNotFound(
            f"no environment named '{name}'", f"see `envman ls`; create it with `envman up {name}`"
        )
    return name
