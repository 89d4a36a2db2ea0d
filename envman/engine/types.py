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
    """Everything `podman create` gets; hashed to decide whether a container must be recreated."""

    name: str
    image: str
    hostname: str
    user: str = "root:root"
    userns: str | None = None
    network: str = "host"
    pid: str = "host"
    ipc: str = "host"
    privileged: bool = True
    security_opt: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    entrypoint: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    cap_add: tuple[str, ...] = ()
    systemd: bool = False
    stop_timeout: int = 5
    pids_limit: int | None = None
    shm_size: str | None = None  # a private /dev/shm of this size (podman --shm-size)


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
class EngineInfo:
    """Facts about the podman behind the API."""

    version: str
    rootless: bool
    socket: str
    started_service: bool


class Engine(Protocol):
    """The container engine operations the core uses."""

    info: EngineInfo

    def image(self, ref: str) -> ImageInfo | None: ...
    def images(self, labels: Mapping[str, str]) -> list[ImageInfo]: ...
    def build(
        self, request: BuildRequest, on_log: LogSink, on_step: StepSink | None = None
    ) -> ImageInfo: ...
    def remove_image(self, image_id: str, *, force: bool = False) -> None: ...
    def tag(self, image_id: str, ref: str) -> None: ...
    def commit(self, container: str, ref: str) -> ImageInfo: ...
    def container(self, name: str) -> ContainerInfo | None: ...
    def containers(self, labels: Mapping[str, str]) -> list[ContainerInfo]: ...
    def create(self, spec: ContainerSpec) -> ContainerInfo: ...
    def start(self, name: str) -> None: ...
    def stop(self, name: str, timeout: int) -> None: ...
    def remove(self, name: str) -> None: ...
    def rename(self, name: str, new_name: str) -> None: ...
    def exec(
        self, name: str, argv: list[str], *, user: str, env: Mapping[str, str]
    ) -> tuple[int, str]: ...
    def read_file(self, name: str, path: str, limit: int) -> bytes: ...
    def run_once(self, image: str, argv: list[str]) -> tuple[int, str]: ...
