"""An in-memory container engine for fast tests of envman's decisions (no podman).

It keeps podman's rules that envman's safety depends on: removing a tag of an image with several
tags only untags it; removing an image that a container uses or that has no other tags fails
without force; force removes the containers of the image too (the data loss envman must avoid).
"""

from __future__ import annotations

import hashlib
import itertools
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from envman.engine.types import (
    BuildRequest,
    ContainerDetails,
    ContainerInfo,
    ContainerSpec,
    ImageInfo,
    LogSink,
    StepSink,
)
from envman.errors import BuildFailed, ContainerFailed

BASE = "localhost/debian:bookworm"  # the base image a fresh FakeEngine is given by the fixtures

ExecHandler = Callable[[str, list[str]], tuple[int, str]]


@dataclass
class FakeContainer:
    """A container as the fake keeps it."""

    id: str
    name: str
    image_id: str
    image: str
    labels: dict[str, str]
    spec: ContainerSpec | None = None
    state: str = "created"


@dataclass
class FakeEngine:
    """The Engine protocol over dictionaries; `calls` records every change for assertions."""

    images_by_id: dict[str, ImageInfo] = field(default_factory=dict)
    boxes: dict[str, FakeContainer] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    on_exec: ExecHandler | None = None
    on_run_once: ExecHandler | None = None  # (image, argv) -> (code, output)
    settings: dict[str, ContainerDetails] = field(default_factory=dict)  # by container id
    fail_build: bool = False
    published: dict[str, Mapping[str, str]] = field(default_factory=dict)  # ref -> labels
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # images

    def add_image(self, tags: tuple[str, ...], labels: Mapping[str, str] | None = None) -> str:
        """Put an image in the store (as a pull or an import would)."""
        image_id = hashlib.sha256(f"image-{next(self._ids)}".encode()).hexdigest()
        self.images_by_id[image_id] = ImageInfo(image_id, tags, dict(labels or {}), size=1000)
        return image_id

    def _find_image(self, ref: str) -> ImageInfo | None:
        for image in self.images_by_id.values():
            if ref in image.tags or (len(ref) >= 12 and image.id.startswith(ref)):
                return image
        return None

    def image(self, ref: str) -> ImageInfo | None:
        return self._find_image(ref)

    def images(self, labels: Mapping[str, str]) -> list[ImageInfo]:
        return [i for i in self.images_by_id.values() if _matches(i.labels, labels)]

    def build(
        self, request: BuildRequest, on_log: LogSink, on_step: StepSink | None = None
    ) -> ImageInfo:
        self.calls.append(("build", request.tag))
        if self.fail_build:
            raise BuildFailed(f"build of {request.tag} failed")
        digest = hashlib.sha256(request.containerfile.encode()).hexdigest()
        on_log(f"built {digest[:12]}")
        old = self._find_image(request.tag)
        if old is not None and old.id != digest:
            self._untag(old, request.tag)
        found = self.images_by_id.get(digest)
        tags = tuple(dict.fromkeys((*(found.tags if found else ()), request.tag)))
        labels = _last_label_step(request.containerfile)
        self.images_by_id[digest] = ImageInfo(digest, tags, labels, size=1000)
        return self.images_by_id[digest]

    def remove_image(self, image_id: str, *, force: bool = False) -> None:
        self.calls.append(("remove_image", image_id, str(force)))
        image = self._find_image(image_id)
        if image is None:
            raise ContainerFailed(f"podman could not remove image {image_id}: no such image")
        if image_id in image.tags and len(image.tags) > 1 and not force:
            self._untag(image, image_id)
            return
        users = [c for c in self.boxes.values() if c.image_id == image.id]
        if users and not force:
            raise ContainerFailed(
                f"podman could not remove image {image_id}: image is in use by a container"
            )
        for user in users:
            del self.boxes[user.id]
        del self.images_by_id[image.id]

    def _untag(self, image: ImageInfo, tag: str) -> None:
        self.images_by_id[image.id] = replace(image, tags=tuple(t for t in image.tags if t != tag))

    def tag(self, image_id: str, ref: str) -> None:
        self.calls.append(("tag", image_id, ref))
        image = self._find_image(image_id)
        assert image is not None, image_id
        for other in list(self.images_by_id.values()):
            if ref in other.tags and other.id != image.id:
                self._untag(other, ref)
        image = self.images_by_id[image.id]
        if ref not in image.tags:
            self.images_by_id[image.id] = replace(image, tags=(*image.tags, ref))

    def pull(self, ref: str, login: tuple[str, str] | None) -> ImageInfo:
        """The image published as `ref` (put there with `publish`), as a pull finds it."""
        self.calls.append(("pull", ref))
        found = self.published.get(ref)
        assert found is not None, f"nothing published as {ref}"
        image_id = self.add_image((ref.partition("@")[0],), found)
        return self.images_by_id[image_id]

    def push(self, image: str, destination: str, login: tuple[str, str] | None = None) -> None:
        self.calls.append(("push", image, destination))

    # containers

    def _box(self, name: str) -> FakeContainer | None:
        if name in self.boxes:
            return self.boxes[name]
        return next((c for c in self.boxes.values() if c.name == name), None)

    def _get(self, name: str) -> FakeContainer:
        box = self._box(name)
        if box is None:
            raise ContainerFailed(f"podman could not find container {name}")
        return box

    def container(self, name: str) -> ContainerInfo | None:
        box = self._box(name)
        return None if box is None else _info(box)

    def containers(self, labels: Mapping[str, str]) -> list[ContainerInfo]:
        return [_info(c) for c in self.boxes.values() if _matches(c.labels, labels)]

    def add_container(self, name: str, image: str, labels: Mapping[str, str] | None = None) -> str:
        """A container someone else made (podman create, toolbox create) from an image."""
        found = self._find_image(image)
        assert found is not None, image
        box_id = hashlib.sha256(f"box-{next(self._ids)}".encode()).hexdigest()
        inherited = {**found.labels, **dict(labels or {})}
        self.boxes[box_id] = FakeContainer(box_id, name, found.id, image, inherited)
        return box_id

    def create(self, spec: ContainerSpec) -> ContainerInfo:
        self.calls.append(("create", spec.name))
        if self._box(spec.name) is not None:
            raise ContainerFailed(f"podman could not create container {spec.name}: name in use")
        image = self._find_image(spec.image)
        if image is None:
            raise ContainerFailed(f"podman could not create {spec.name}: no image {spec.image}")
        box_id = self.add_container(spec.name, spec.image, dict(spec.labels))
        self.boxes[box_id].spec = spec
        return _info(self.boxes[box_id])

    def start(self, name: str) -> None:
        self.calls.append(("start", name))
        self._get(name).state = "running"

    def stop(self, name: str, timeout: int) -> None:
        self.calls.append(("stop", name))
        self._get(name).state = "exited"

    def remove(self, name: str) -> None:
        self.calls.append(("remove", name))
        del self.boxes[self._get(name).id]

    def rename(self, name: str, new_name: str) -> None:
        self.calls.append(("rename", name, new_name))
        if self._box(new_name) is not None:
            raise ContainerFailed(f"podman could not rename {name}: {new_name} is in use")
        self._get(name).name = new_name

    def exec(
        self, name: str, argv: list[str], *, user: str, env: Mapping[str, str]
    ) -> tuple[int, str]:
        self.calls.append(("exec", name, *argv[:1]))
        box = self._get(name)
        if box.state != "running":
            raise ContainerFailed(f"podman could not run {argv[0]} in {name}: not running")
        return self.on_exec(box.name, argv) if self.on_exec else (0, "")

    def read_file(self, name: str, path: str, limit: int) -> bytes:
        raise ContainerFailed(f"{path} in {name}: the fake engine has no files")

    def run_once(self, image: str, argv: list[str]) -> tuple[int, str]:
        return self.on_run_once(image, argv) if self.on_run_once else (0, "")

    def details(self, name: str) -> ContainerDetails | None:
        box = self._box(name)
        if box is None:
            return None
        found = self.settings.get(box.id)
        if found is not None:
            return replace(found, info=_info(box))
        spec = box.spec
        return ContainerDetails(
            info=_info(box),
            hostname=spec.hostname if spec else box.name,
            entrypoint=spec.entrypoint if spec else (),
            command=spec.command if spec else (),
            env=spec.env if spec else (),
            image_env=(),
            mounts=(),
            privileged=spec.privileged if spec else False,
            network="host" if spec is None or spec.host_network else "private",
            pid="host" if spec is None or spec.host_pid else "private",
            ipc="host" if spec is None or spec.host_ipc else "private",
        )

    # views for tests

    def names(self) -> list[str]:
        """Every container name, sorted."""
        return sorted(c.name for c in self.boxes.values())


def _last_label_step(containerfile: str) -> dict[str, str]:
    """The labels of the Containerfile's last LABEL step (where envman puts the image's own)."""
    start = containerfile.rfind("\nLABEL ")
    if start < 0:
        return {}
    text = containerfile[start + len("\nLABEL ") :].replace("\\\n", " ")
    pairs = (word.partition("=") for word in shlex.split(text.splitlines()[0]))
    return {key: value for key, _, value in pairs}


def _info(box: FakeContainer) -> ContainerInfo:
    return ContainerInfo(
        box.id,
        box.name,
        box.image_id,
        box.image,
        box.state,
        dict(box.labels),
        pid_file=f"/nonexistent/{box.id}.pid",
    )


def _matches(have: Mapping[str, str], want: Mapping[str, str]) -> bool:
    return all(k in have if v == "" else have.get(k) == v for k, v in want.items())
