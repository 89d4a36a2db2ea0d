"""A resolved profile -> its build plan: Containerfile, context files, image tag and labels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from envman.errors import ProfileNotFound, ProfileSchemaError
from envman.host.certs import host_ca_certificates
from envman.host.config import Config
from envman.host.readfile import SCRIPT_MAX
from envman.paths import Paths
from envman.profile.boundary import read_input_bytes, read_profile_text
from envman.profile.model import DEFAULT_IMAGE, FileLine, Hook, Profile
from envman.profile.resolver import Include, ProfileRef, Resolver, find
from envman.render.container import parse_podman_args
from envman.render.containerfile import (
    BuildPlan,
    HookScript,
    image_labels,
    render,
    seal,
)
from envman.sources.lookup import (
    Revision,
    lookup_dirs,
    revision_for_address,
    revision_for_file,
    source_address,
)
from envman.sources.provenance import (
    Provenance,
    check_host_hook,
    provenance_of,
    shadowing_includes,
)

RUNTIME_ONLY = (
    "$HOME",
    "${HOME}",
    "$USER",
    "${USER}",
    "XDG_RUNTIME_DIR",
    "/run/host/",
    "/run/user/",
    "flatpak-spawn",
    "host-spawn",
    "distrobox-host-exec",
    "systemctl --user",
    "DBUS_SESSION_BUS_ADDRESS",
    "SSH_AUTH_SOCK",
    "WAYLAND_DISPLAY",
    "$DISPLAY",
)


@dataclass(frozen=True)
class Resolved:
    """A profile ready to build: includes merged, defaults and host overrides applied."""

    ref: ProfileRef
    profile: Profile
    base_image: str
    plan: BuildPlan
    scripts: dict[str, Path]
    revision: Revision | None = None  # the team source and commit it came from, if any
    files: tuple[Path, ...] = ()  # the profile files read (itself and its includes)
    includes: tuple[Include, ...] = ()  # the include chain, parents first
    trust: Mapping[str, Provenance] = field(default_factory=dict)  # by file, as origins name it
    hostless_plan: BuildPlan | None = None  # the build without this host's CAs, when it has any

    @property
    def published_hash(self) -> str:
        """The content hash a team image is published under: the same on CI and every laptop
        (this host's own CA certificates, which `up` copies into local builds, left out)."""
        return (self.hostless_plan or self.plan).content_hash

    def provenance_of(self, origin: FileLine | None) -> Provenance:
        """Where the file of a value (a hook, say) comes from; unknown when not read for this."""
        file = str(self.ref.path) if origin is None else origin.file
        return self.trust.get(file, Provenance("unknown", file))

    @property
    def provenance(self) -> str:
        """Where the profile came from: its file, or `SOURCE/PROFILE@REF (commit ...)`."""
        if self.revision is None:
            return str(self.ref)
        return f"{self.revision.address(self.ref.name)} (commit {self.revision.commit})"

    @property
    def name(self) -> str:
        """The environment's (and container's) name."""
        return self.profile.name

    @property
    def tag(self) -> str:
        """Images are named by profile and content hash."""
        return f"localhost/envman/{self.name}:{self.plan.content_hash[:12]}"

    @property
    def image_labels(self) -> dict[str, str]:
        """The labels the image's last build step sets: the same on every machine."""
        return {**self.plan.labels, "envman.hash": self.plan.content_hash}

    @property
    def labels(self) -> dict[str, str]:
        """The container's labels: the image's, and where the profile came from on this host."""
        return {**self.image_labels, "envman.source": str(self.ref), **self._source_labels()}

    def _source_labels(self) -> dict[str, str]:
        if self.revision is None:
            return {}
        return {
            "envman.source": self.revision.address(self.ref.name),
            "envman.source.commit": self.revision.commit,
            "envman.source.signer": self.revision.signer,
        }


def resolve_profile(
    paths: Paths,
    config: Config,
    arg: str,
    *,
    host_cas: Mapping[str, bytes] | None = None,
    source_pins: Mapping[str, str] | None = None,
) -> Resolved:
    """Find, resolve and render a profile for this host (its local CAs read unless given).

    A profile of a team source (`SOURCE/PROFILE@REF`, or found by name in a source) resolves its
    includes and hook scripts in that source's checkout only.
    """
    ref, revision = find_profile(paths, arg)
    dirs, known = _search(paths, revision, source_pins)
    resolver = Resolver(dirs, paths.cwd)
    profile = resolver.resolve(ref)
    includes = tuple(resolver.includes)
    trust = {str(r.path): provenance_of(paths, r, known) for r in (*(i.ref for i in includes), ref)}
    profile = replace(
        profile,
        integration=profile.integration.with_defaults(),
        warnings=profile.warnings + shadowing_includes(paths, includes, trust),
    )
    check_usable(profile)
    image = config.base_image(profile.image or DEFAULT_IMAGE)
    script_paths = _script_paths(paths, ref, profile, () if revision else paths.hook_dirs)
    cas = host_ca_certificates() if host_cas is None else host_cas
    plan = _plan(ref, profile, config=config, image=image, script_paths=script_paths, host_cas=cas)
    hostless = None
    if cas:  # a team image is built without a host's own CAs: its hash must not depend on them
        hostless = _plan(
            ref, profile, config=config, image=image, script_paths=script_paths, host_cas={}
        )
    return Resolved(
        ref,
        profile,
        image,
        plan,
        script_paths,
        revision,
        resolver.files(),
        includes,
        trust,
        hostless,
    )


def _search(
    paths: Paths, revision: Revision | None, source_pins: Mapping[str, str] | None
) -> tuple[tuple[Path, ...], tuple[Revision, ...]]:
    """Where includes are looked up, and the source revisions they may come from: a source's
    profile its own checkout only, any other the lookup order."""
    if revision is not None:
        return revision.profile_dirs, (revision,)
    looked = lookup_dirs(paths, source_pins)
    return tuple(d.path for d in looked), tuple(d.revision for d in looked if d.revision)


def _script_paths(
    paths: Paths, ref: ProfileRef, profile: Profile, shared: tuple[Path, ...]
) -> dict[str, Path]:
    """The hooks/ file of each script hook."""
    return {
        h.script: _hook_file(paths, ref, h, shared) for h in profile.hooks if h.script is not None
    }


def find_profile(paths: Paths, arg: str) -> tuple[ProfileRef, Revision | None]:
    """The profile file `arg` selects (lookup order, path or source address), not yet read."""
    address = source_address(paths, arg)
    if address is not None:
        revision = revision_for_address(paths, address)
        return find(address.profile, revision.profile_dirs, revision.tree), revision
    ref = find(arg, tuple(d.path for d in lookup_dirs(paths)), paths.cwd)
    return ref, revision_for_file(paths, ref)


def _plan(
    ref: ProfileRef,
    profile: Profile,
    *,
    config: Config,
    image: str,
    script_paths: dict[str, Path],
    host_cas: Mapping[str, bytes],
) -> BuildPlan:
    if profile.format == "containerfile":
        text = _override_from(read_profile_text(ref.path), config, ref.path)
        return seal(text, _context(ref.path), image, image_labels(profile, image))
    scripts = {
        name: HookScript(name, read_input_bytes(path, SCRIPT_MAX))
        for name, path in script_paths.items()
    }
    user_file = None
    files: dict[str, tuple[bytes, int]] = {}
    if profile.containerfile is not None:
        path = _inside(ref.path.parent, profile.containerfile, profile, "build.containerfile")
        user_file = _override_from(read_profile_text(path), config, path)
        files = _context(path)
    clash = [p for p in files if p.startswith("envman/")]
    if clash:
        raise ProfileSchemaError(
            f"{profile.origin}: build context file '{clash[0]}' clashes with envman's own"
        )
    return render(profile, image, scripts, user_file, host_cas, user_context=files)


def _context(containerfile: Path) -> dict[str, tuple[bytes, int]]:
    """The files a Containerfile copies, with modes as git keeps them (the same on any host)."""
    from envman.profile.containerfile.context import read_context_file
    from envman.profile.containerfile_format import context_files

    return {
        rel: (read_context_file(path), 0o755 if path.stat().st_mode & 0o111 else 0o644)
        for rel, path in context_files(containerfile)
    }


def _override_from(text: str, config: Config, file: Path) -> str:
    """Host image overrides apply to FROM lines too (only exact matches of an overridden image)."""
    if not config.image_overrides:
        return text
    from envman.profile.containerfile.bases import replace_bases

    return replace_bases(text, config.image_overrides, str(file))


def _inside(directory: Path, relative: str, profile: Profile, key: str) -> Path:
    target = (directory / relative).resolve()
    if not target.is_relative_to(directory.resolve()):
        raise ProfileSchemaError(
            f"{profile.origin}: {key}: '{relative}' points outside {directory}"
        )
    if not target.is_file():
        raise ProfileNotFound(f"{profile.origin}: {key}: no file '{relative}' in {directory}")
    return target


def hook_dirs(paths: Paths, ref: ProfileRef, shared: tuple[Path, ...] | None = None) -> list[Path]:
    """Where a profile's `script:` hooks are looked up, first match wins.

    `shared` (default: ./hooks, the user's and envman's hooks) is empty for a source's profile.
    """
    here = ref.path.parent
    return [here.parent / "hooks", here / "hooks", *(paths.hook_dirs if shared is None else shared)]


def _hook_file(paths: Paths, ref: ProfileRef, hook: Hook, shared: tuple[Path, ...]) -> Path:
    assert hook.script is not None
    for directory in hook_dirs(paths, ref, shared):
        candidate = (directory / hook.script).resolve()
        if candidate.is_file() and candidate.is_relative_to(directory.resolve()):
            return candidate
    searched = ", ".join(str(d) for d in hook_dirs(paths, ref, shared))
    raise ProfileNotFound(
        f"{hook.origin}: hook script '{hook.script}' not found", f"looked in {searched}"
    )


def check_usable(profile: Profile) -> None:
    """Refuse, while resolving, every profile reason `up` has: validate, `up --dry-run` and `up`
    then agree, and nothing is built for a profile that cannot become an environment."""
    clone = profile.distrobox.clone
    if clone:
        where = profile.locations.get("distrobox.clone", profile.origin)
        raise ProfileSchemaError(
            f"{where}: clone: envman builds environments from profiles and does not copy "
            "containers",
            f"include the profile of '{clone}' instead",
        )
    check_build_hooks(profile.hooks)
    parse_podman_args(profile.podman_args, profile.origin, profile.locations)


def refuse_unverified_host_hooks(resolved: Resolved) -> None:
    """Host hooks run on the user's machine: each is judged by the file that declares it, and
    one from a source's file runs only when that source's refs are signed (all checked first).

    Not part of resolving: `profile show` must still let one review such a profile.
    """
    for hook in resolved.profile.hooks:
        if hook.when == "host":
            check_host_hook(
                resolved.provenance_of(hook.origin), hook.origin.line if hook.origin else 0
            )


def _runtime_marker(hook: Hook) -> str | None:
    """What in a hook's own words only the running container has (None: nothing)."""
    text = " ".join([*hook.run, hook.sh or "", *hook.args])
    marker = next((m for m in RUNTIME_ONLY if m in text), None)
    if marker is None and any(w.startswith("~/") or w == "~" for w in text.split()):
        return "~"
    return marker


def check_build_hooks(hooks: Iterable[Hook]) -> None:
    """Refuse build hooks that visibly need the running container, before any build starts.

    Only the hook's own words are read: a script from hooks/ may mention such things (to write
    wrappers that use them later) and is trusted to say its own policy.
    """
    for hook in hooks:
        marker = _runtime_marker(hook) if hook.when == "build" else None
        if marker is not None:
            raise ProfileSchemaError(
                f"{hook.origin}: this build hook uses {marker}: only the running container has it",
                "give it `when: create` (once, after the container and your user exist)",
            )
