"""What the core sees of the container engine: plain data in and out, no podman-py types."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

LogSink = Callable[[str], None]


@dataclass(frozen=True)
class BuildStep:
    """A step boundary in a build's output: step `number` of `total` starts, or (`cached`)
    turned out to come from the layer cache."""

    number: int
    total: int
    instruction: str
    cached: bool = False


StepSink = Callable[[BuildStep], None]


@dataclass(frozen=True)
class Mount:
    """A bind mount from the host into the container."""

    source: str
    target: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContainerSpec:
    """What a container should be, in engine-neutral terms; the engine adapter maps each field
    to its own flags. Hashed (as a whole) to decide whether a container must be recreated."""

    name: str
    image: str
    hostname: str
    user: str = "root:root"
    keep_user_ids: bool = False  # the user's uid/gid are the same inside as on the host
    host_network: bool = True  # share the host's network namespace, else a private network
    host_pid: bool = True  # share the host's process namespace
    host_ipc: bool = True  # share the host's IPC namespace (SysV shm, POSIX queues)
    privileged: bool = True  # all capabilities and host devices
    label_confinement: bool = False  # SELinux labelling of the container's processes and files
    gpus: bool = False  # every GPU of the host
    security_opt: tuple[str, ...] = ()  # the profile's own engine options, passed through
    mounts: tuple[Mount, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    entrypoint: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()  # host device paths (HOST[:CONTAINER[:PERMISSIONS]])
    cap_add: tuple[str, ...] = ()
    systemd: bool = False  # the main process is systemd (an init profile)
    stop_timeout: int = 5
    pids_limit: int | None = None
    # Settings the profile's key table passes through by a neutral name (profile/keys.py
    # `engine_option`), e.g. ("shm_size", "1g"); each engine maps the names it knows.
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ContextFile:
    """One file of a build context."""

    data: bytes
    mode: int = 0o644


@dataclass(frozen=True)
class BuildRequest:
    """A build: Containerfile text (image labels in its last step), its context files, the tag.

    No build-time labels: podman adds them to every step's image, where they would vary per
    build (the content hash) and per machine (the profile's path).
    """

    containerfile: str
    files: Mapping[str, ContextFile]
    tag: str
    pull: bool = False
    no_cache: bool = False


@dataclass(frozen=True)
class ImageInfo:
    """An image as envman needs it."""

    id: str
    tags: tuple[str, ...]
    labels: Mapping[str, str]
    created: str = ""
    size: int = 0
    entrypoint: tuple[str, ...] | None = None
    user: str = ""
    digest: str = ""  # the manifest digest (sha256:...), when podman knows it
    layers: tuple[str, ...] = ()  # its layers' diff ids, bottom first (a base's come first)


@dataclass(frozen=True)
class ContainerInfo:
    """A container as envman needs it."""

    id: str
    name: str
    image_id: str
    image: str
    state: str
    labels: Mapping[str, str] = field(default_factory=dict)
    pid_file: str = ""
    created: str = ""

    @property
    def running(self) -> bool:
        """Whether the container is up."""
        return self.state == "running"


@dataclass(frozen=True)
class MountDetails:
    """A mount of an existing container, as podman reports it."""

    kind: str  # bind, volume, tmpfs, devpts
    source: str
    target: str
    name: str = ""  # a named volume's name ("" for binds)
    read_only: bool = False
    propagation: str = ""


@dataclass(frozen=True)
class ContainerDetails:
    """An existing container's create-time settings, for adopting one envman did not make."""

    info: ContainerInfo
    hostname: str
    entrypoint: tuple[str, ...]
    command: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    image_env: tuple[tuple[str, str], ...]  # what the image itself sets (not the creator)
    mounts: tuple[MountDetails, ...]
    privileged: bool
    network: str  # host, private, none, ...
    pid: str
    ipc: str
    devices: tuple[str, ...] = ()
    cap_add: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()
    systemd: bool = False
    create_command: tuple[str, ...] = ()  # the `podman create` argv podman kept, when it did


class Engine(Protocol):
    """The container engine operations the core uses (podman_api.PodmanEngine is the real one,
    tests/fake_engine.FakeEngine an in-memory one).

    Every method raises envman errors only: EngineUnavailable when the engine cannot be reached,
    ContainerFailed when it refuses a change, unless its docstring names others.
    """

    def image(self, ref: str) -> ImageInfo | None:
        """The image of that tag or id, or None when there is none."""
        ...

    def images(self, labels: Mapping[str, str]) -> list[ImageInfo]:
        """Every image carrying all of these labels (a "" value matches any value)."""
        ...

    def build(
        self, request: BuildRequest, on_log: LogSink, on_step: StepSink | None = None
    ) -> ImageInfo:
        """Build and tag an image, passing each output line to `on_log` as it comes and each
        step boundary to `on_step`; returns the new image.

        Raises BuildFailed when a step fails, RegistryUnreachable when a base cannot be pulled.
        """
        ...

    def remove_image(self, image_id: str, *, force: bool = False) -> None:
        """Remove an image, or only untag it when given one of its several tags; `force` removes
        an image under several tags, and the containers using it too."""
        ...

    def tag(self, image_id: str, ref: str) -> None:
        """Give an image another tag (taking the tag from any image that had it)."""
        ...

    def pull(self, ref: str, login: tuple[str, str] | None) -> ImageInfo:
        """Pull `REPOSITORY@sha256:DIGEST` with this login (user, password), if any.

        Raises RegistryUnreachable when the registry cannot be reached, RegistryError otherwise.
        """
        ...

    def push(self, image: str, destination: str, login: tuple[str, str] | None = None) -> None:
        """Push a local image to REGISTRY/REPO:TAG (with `login` as user and password, if given).

        Raises RegistryAuthFailed when the registry refuses the login, RegistryError otherwise.
        """
        ...

    def container(self, name: str) -> ContainerInfo | None:
        """The container of that name or id, or None when there is none."""
        ...

    def containers(self, labels: Mapping[str, str]) -> list[ContainerInfo]:
        """Every container, running or not, carrying all of these labels ("" matches any)."""
        ...

    def create(self, spec: ContainerSpec) -> ContainerInfo:
        """Create (not start) a container as the spec says; returns it.

        Raises ContainerFailed when the name is taken or the image is missing.
        """
        ...

    def start(self, name: str) -> None:
        """Start a container; nothing happens when it runs already."""
        ...

    def stop(self, name: str, timeout: int) -> None:
        """Stop a container, killing it after `timeout` seconds."""
        ...

    def remove(self, name: str) -> None:
        """Remove a container, stopping it first if it runs."""
        ...

    def rename(self, name: str, new_name: str) -> None:
        """Rename a container; ContainerFailed when `new_name` is taken."""
        ...

    def exec(
        self, name: str, argv: list[str], *, user: str, env: Mapping[str, str]
    ) -> tuple[int, str]:
        """Run argv as `user` with `env` in a running container; returns its exit code and its
        output (stdout, then stderr). A non-zero exit code is returned, not raised."""
        ...

    def read_file(self, name: str, path: str, limit: int) -> bytes:
        """The bytes of one regular file in a container; ContainerFailed when it is not a regular
        file or is larger than `limit` bytes."""
        ...

    def run_once(self, image: str, argv: list[str]) -> tuple[int, str]:
        """Run argv as root in a throwaway, network-less container of `image` (removed
        afterwards); returns its exit code and output."""
        ...

    def details(self, name: str) -> ContainerDetails | None:
        """The create-time settings of the container of that name or id (its mounts,
        environment, entrypoint, namespaces), or None when there is none."""
        ...
