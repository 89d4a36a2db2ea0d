"""The include merge rules: lists append, maps merge, the including profile's scalars win."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TypeVar

from envman.profile.locations import merge_locations
from envman.profile.model import DistroboxCompat, Exports, Integration, Origin, Profile

T = TypeVar("T")


def unique(items: Iterable[T]) -> tuple[T, ...]:
    """Items in first-seen order, duplicates dropped."""
    return tuple(dict.fromkeys(items))


def _scalar(own: T | None, base: T | None) -> T | None:
    return own if own is not None else base


def _merge_env(
    base: tuple[tuple[str, str], ...], own: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, str], ...]:
    merged = dict(base)
    merged.update(own)
    return tuple(merged.items())


def merge(base: Profile, own: Profile) -> Profile:
    """`own` includes `base`: the result keeps own's name and origin."""
    return replace(
        own,
        version=_scalar(own.version, base.version),
        description=_scalar(own.description, base.description),
        image=_scalar(own.image, base.image),
        packages=unique(base.packages + own.packages),
        containerfile=_scalar(own.containerfile, base.containerfile),
        build_steps=base.build_steps + own.build_steps,
        env=_merge_env(base.env, own.env),
        volumes=unique(base.volumes + own.volumes),
        hooks=base.hooks + own.hooks,
        exports=_merge_exports(base.exports, own.exports),
        integration=_merge_integration(base.integration, own.integration),
        hostname=_scalar(own.hostname, base.hostname),
        podman_args=base.podman_args + own.podman_args,
        distrobox=_merge_distrobox(base.distrobox, own.distrobox),
        warnings=base.warnings + own.warnings,
        locations=_locations(base, own),
    )


def _locations(base: Profile, own: Profile) -> dict[str, Origin]:
    lengths = {
        "build.steps": len(base.build_steps),
        "podman_args": len(base.podman_args),
        "hooks": len(base.hooks),
    }
    merged = merge_locations(base.locations, own.locations, lengths)
    # A custom home from base is what `integration.home` shows even when own sets home: true.
    home = base.locations.get("integration.home")
    if own.integration.custom_home is None and base.integration.custom_home and home:
        merged["integration.home"] = home
    return merged


def _merge_exports(base: Exports, own: Exports) -> Exports:
    return Exports(
        apps=unique(base.apps + own.apps),
        bins=unique(base.bins + own.bins),
        bins_path=_scalar(own.bins_path, base.bins_path),
        label=_scalar(own.label, base.label),
    )


def _merge_integration(base: Integration, own: Integration) -> Integration:
    switches = {
        name: _scalar(getattr(own, name), getattr(base, name))
        for name in (
            "home",
            "custom_home",
            "display",
            "audio",
            "dbus",
            "ssh_agent",
            "gpg_agent",
            "kerberos",
            "host_certificates",
            "nvidia",
            "init",
            "root",
        )
    }
    return Integration(unshare=unique(base.unshare + own.unshare), **switches)


def _merge_distrobox(base: DistroboxCompat, own: DistroboxCompat) -> DistroboxCompat:
    return DistroboxCompat(
        entry=_scalar(own.entry, base.entry),
        start_now=_scalar(own.start_now, base.start_now),
        pull=_scalar(own.pull, base.pull),
        replace=_scalar(own.replace, base.replace),
        clone=_scalar(own.clone, base.clone),
    )


def conflicting_scalars(base: Profile, own: Profile) -> list[str]:
    """Scalars both set to different values (distrobox resolves these differently from envman)."""
    pairs = [
        ("image", base.image, own.image),
        ("hostname", base.hostname, own.hostname),
        ("exported_bins_path", base.exports.bins_path, own.exports.bins_path),
        ("home", base.integration.custom_home, own.integration.custom_home),
    ]
    for name in ("init", "nvidia", "root"):
        pairs.append((name, getattr(base.integration, name), getattr(own.integration, name)))
    for name in ("entry", "start_now", "pull", "replace", "clone"):
        pairs.append((name, getattr(base.distrobox, name), getattr(own.distrobox, name)))
    return [name for name, b, o in pairs if b is not None and o is not None and b != o]
