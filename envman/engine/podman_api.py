"""The podman engine: podman-py (its only importer) for every change, errors made envman's.

podman-py is imported on the first call that changes something: reads go through the small
stdlib client in api_reader.py, so commands that only look stay fast.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, cast

from envman.engine.api_reader import ApiReader, label_query, quoted
from envman.engine.service import Endpoint
from envman.engine.types import (
    BuildRequest,
    BuildStep,
    ContainerDetails,
    ContainerInfo,
    ContainerSpec,
    ImageInfo,
    LogSink,
    MountDetails,
    StepSink,
)
from envman.errors import (
    BuildFailed,
    ContainerFailed,
    EngineUnavailable,
    RegistryAuthFailed,
    RegistryError,
    RegistryUnreachable,
)

CONTAINERFILE_NAME = ".envman.Containerfile"
# podman 4.3's build endpoint commits OCI images but, without this parameter, looks for cached
# steps of another format: no step ever comes from the cache. The CLI always sends it.
OCI_FORMAT = "application/vnd.oci.image.manifest.v1+json"
BUILD_ATTEMPTS = 3
RETRY_NOTE = "an image went away while podman searched its cache; building again"
CACHE_LOOKUP_RACE = re.compile(
    r"checking if cached image exists from a previous build: .*(layer|image) not known"
)
REGISTRY_FAILURE = re.compile(
    r"(pinging container registry|no such host|dial tcp|connection refused|network is unreachable"
    r"|initializing source|i/o timeout|name resolution)",
    re.IGNORECASE,
)
PUSH_AUTH_FAILURE = re.compile(
    r"(unauthorized|authentication required|denied|401 Unauthorized|403 Forbidden)", re.IGNORECASE
)
STEP_LINE = re.compile(r"STEP (\d+)/(\d+): (.*)")
CACHED_LINE = "--> Using cache "


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """podman-py and requests exceptions -> envman errors that name what was being done."""
    import podman.errors
    import requests.exceptions

    try:
        yield
    except (requests.exceptions.ConnectionError, ConnectionError) as exc:
        raise EngineUnavailable(
            f"lost the podman API while trying to {what}: {exc}",
            "check that podman works: podman info",
        ) from None
    except podman.errors.APIError as exc:
        reason = getattr(exc, "explanation", None) or str(exc)
        raise ContainerFailed(f"podman could not {what}: {reason}", ContainerFailed.HINT) from None


def _image_info(attrs: Mapping[str, Any]) -> ImageInfo:
    config = attrs.get("Config") or {}
    entrypoint = config.get("Entrypoint")
    return ImageInfo(
        id=str(attrs.get("Id", "")).removeprefix("sha256:"),
        tags=tuple(attrs.get("RepoTags") or attrs.get("Names") or ()),
        labels=dict(attrs.get("Labels") or _or_empty(config, "Labels")),
        created=str(attrs.get("Created", "")),
        size=int(attrs.get("Size") or 0),
        entrypoint=tuple(entrypoint) if isinstance(entrypoint, list) else None,
        user=str(config.get("User") or ""),
        digest=_digest(attrs),
        layers=tuple(_or_empty(_or_empty(attrs, "RootFS"), "Layers")),
    )


def _or_empty(data: Mapping[str, Any], key: str) -> Any:
    """data[key], with None or a missing key as empty (podman's inspect leaves either)."""
    return data.get(key) or {}


def _digest(attrs: Mapping[str, Any]) -> str:
    digest = str(attrs.get("Digest") or "")
    if digest:
        return digest
    repo_digests = attrs.get("RepoDigests") or []
    return str(repo_digests[0]).rpartition("@")[2] if repo_digests else ""


def _container_from_inspect(attrs: Mapping[str, Any]) -> ContainerInfo:
    return ContainerInfo(
        id=attrs["Id"],
        name=str(attrs.get("Name", "")).lstrip("/"),
        image_id=str(attrs.get("Image", "")),
        image=str(attrs.get("ImageName", "")),
        state=str((attrs.get("State") or {}).get("Status", "unknown")),
        labels=dict((attrs.get("Config") or {}).get("Labels") or {}),
        pid_file=str(attrs.get("PidFile", "")),
        created=str(attrs.get("Created", "")),
    )


def _container_from_list(attrs: Mapping[str, Any]) -> ContainerInfo:
    names = attrs.get("Names") or [""]
    return ContainerInfo(
        id=attrs["Id"],
        name=str(names[0]).lstrip("/"),
        image_id=str(attrs.get("ImageID", "")),
        image=str(attrs.get("Image", "")),
        state=str(attrs.get("State", "unknown")),
        labels=dict(attrs.get("Labels") or {}),
        created=str(attrs.get("Created", "")),
    )


def _first(labels: Mapping[str, str]) -> dict[str, str]:
    # podman 4.3 matches nothing when given two label filters: filter on one, check the rest here.
    return dict(list(labels.items())[:1])


def _has_labels(have: Mapping[str, str], want: Mapping[str, str]) -> bool:
    # an empty wanted value asks only that the label is there, as podman's `label=KEY` filter
    return all(k in have if v == "" else have.get(k) == v for k, v in want.items())


def context_tar(request: BuildRequest) -> bytes:
    """The build context as an uncompressed tar, with fixed owners and times (deterministic)."""
    import io
    import tarfile  # here, not at the top: `envman ls` and a no-change `up` never need it

    buffer = io.BytesIO()
    entries = {CONTAINERFILE_NAME: (request.containerfile.encode(), 0o644)}
    entries.update({path: (f.data, f.mode) for path, f in request.files.items()})
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(entries):
            data, mode = entries[path]
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class _LineBuffer:
    """podman streams build output in arbitrary chunks; the user sees whole lines, live.

    podman's `STEP N/M: ...` and `--> Using cache` lines also go to `on_step`, as step boundaries.
    """

    def __init__(self, sink: LogSink, on_step: StepSink | None = None) -> None:
        self.sink = sink
        self.on_step = on_step
        self.step: BuildStep | None = None
        self.pending = ""
        self.last = ""

    def feed(self, text: str) -> None:
        self.pending += text
        *complete, self.pending = self.pending.split("\n")
        for line in complete:
            self._line(line)
            self.last = line or self.last

    def flush(self) -> None:
        if self.pending:
            self._line(self.pending)
            self.last = self.pending
            self.pending = ""

    def _line(self, line: str) -> None:
        found = STEP_LINE.fullmatch(line)
        if found is not None:
            self.step = BuildStep(int(found[1]), int(found[2]), found[3])
            self._step(self.step)
        self.sink(line)
        if line.startswith(CACHED_LINE) and self.step is not None:
            self._step(replace(self.step, cached=True))

    def _step(self, step: BuildStep) -> None:
        if self.on_step is not None:
            self.on_step(step)


class PodmanEngine:
    """Engine implementation over a podman API socket."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.reader = ApiReader(endpoint.path)
        self.socket = endpoint.path
        self.rootless = os.getuid() != 0
        self._client: Any = None

    @property
    def client(self) -> Any:
        """podman-py's client, created (and imported) on first use."""
        if self._client is None:
            import podman

            self._client = podman.PodmanClient(base_url=f"unix://{self.socket}", timeout=600)
        return self._client

    # images

    def image(self, ref: str) -> ImageInfo | None:
        """An image by tag or id, or None."""
        found = self.reader.get(f"/images/{quoted(ref)}/json")
        return None if found is None else _image_info(found)

    def images(self, labels: Mapping[str, str]) -> list[ImageInfo]:
        """Images carrying all of these labels."""
        found = self.reader.get("/images/json", label_query(_first(labels))) or []
        return [i for i in map(_image_info, found) if _has_labels(i.labels, labels)]

    def remove_image(self, image_id: str, *, force: bool = False) -> None:
        """Remove an image or one of its tags; `force` removes an image under several tags."""
        with _translated(f"remove image {image_id[:12]}"):
            self.client.images.remove(image_id, force=force)

    def tag(self, image_id: str, ref: str) -> None:
        """Give an image another name."""
        repo, _, tag = ref.rpartition(":")
        with _translated(f"tag {image_id[:12]} as {ref}"):
            self.client.images.get(image_id).tag(repo, tag)

    def pull(self, ref: str, login: tuple[str, str] | None) -> ImageInfo:
        """Pull by reference through the API; the service's `error` line fails it.

        podman-py's images.pull() neither takes a digest reference nor raises when the pull is
        refused, so the endpoint is called directly and its lines are read.
        """
        from podman import api

        auth = api.encode_auth_header({"username": login[0], "password": login[1]}) if login else ""
        params = {"reference": ref, "policy": "always", "tlsVerify": True, "quiet": True}
        with _translated(f"pull {ref}"):
            response = self.client.api.post(
                "/images/pull", params=params, headers={"X-Registry-Auth": auth}, stream=True
            )
            image_id = _pulled_id(response, ref)
        info = self.image(image_id)
        if info is None:
            raise RegistryError(f"podman reported image {image_id[:12]} but it does not exist")
        return info

    def build(
        self, request: BuildRequest, on_log: LogSink, on_step: StepSink | None = None
    ) -> ImageInfo:
        """Build, streaming podman's output line by line to `on_log` as it happens (and the
        start of each step to `on_step`).

        podman 4.3 looks through every image for cached steps and fails the build when another
        client removes one meanwhile; such a build is tried again (BUILD_ATTEMPTS in all).
        """
        for _ in range(BUILD_ATTEMPTS - 1):
            try:
                return self._build_once(request, on_log, on_step)
            except BuildFailed as exc:
                if not CACHE_LOOKUP_RACE.search(exc.message):
                    raise
                on_log(f"envman: {RETRY_NOTE}")
        return self._build_once(request, on_log, on_step)

    def _build_once(
        self, request: BuildRequest, on_log: LogSink, on_step: StepSink | None
    ) -> ImageInfo:
        params: dict[str, Any] = {
            "dockerfile": CONTAINERFILE_NAME,
            "t": request.tag,
            "outputformat": OCI_FORMAT,
            "networkmode": "host",
            "layers": True,
            "rm": True,
            "forcerm": True,
            "pull": request.pull,
            "nocache": request.no_cache,
        }
        with _translated("build an image"):
            response = self.client.api.post(
                "/build",
                params=params,
                data=context_tar(request),
                headers={"Content-type": "application/x-tar"},
                stream=True,
            )
            image_id = self._follow_build(response, _LineBuffer(on_log, on_step), request.tag)
        info = self.image(image_id)
        if info is None:
            raise BuildFailed(f"podman reported image {image_id[:12]} but it does not exist")
        return info

    def _follow_build(self, response: Any, lines: _LineBuffer, tag: str) -> str:
        if response.status_code >= 400:
            raise BuildFailed(f"podman refused the build of {tag}: {response.text.strip()}")
        image_id = ""
        for event in _events(response):
            if "error" in event:
                lines.flush()
                message = str(event["error"]).strip()
                if REGISTRY_FAILURE.search(message):
                    raise RegistryUnreachable(
                        f"could not pull the base image for {tag}: {message}",
                        "pull it when online, or map it to a local image: "
                        "envman config image-override IMAGE LOCAL_IMAGE",
                    )
                raise BuildFailed(
                    f"build of {tag} failed: {message}",
                    "the previous image and container are untouched; the lines above show the step",
                )
            lines.feed(str(event.get("stream", "")))
            if "aux" in event and isinstance(event["aux"], dict):
                image_id = str(event["aux"].get("ID", image_id))
        lines.flush()
        if not image_id and lines.last:
            image_id = lines.last.strip()
        return image_id.removeprefix("sha256:")

    def push(self, image: str, destination: str, login: tuple[str, str] | None = None) -> None:
        """Push a local image to `destination` (REGISTRY/REPO:TAG) with podman's certs.d.

        `login` (user, password) goes to the service with the request: the service's own auth
        file may not be the caller's. Raises RegistryAuthFailed or RegistryError.
        """
        from podman.api import encode_auth_header

        host = destination.partition("/")[0]
        headers = {}
        if login is not None:
            auth = {"username": login[0], "password": login[1], "serveraddress": host}
            headers["X-Registry-Auth"] = encode_auth_header(auth).decode("ascii")
        params = {"destination": destination, "tlsVerify": "true", "quiet": "false"}
        with _translated(f"push {image} to {destination}"):
            response = self.client.api.post(
                f"/images/{quoted(image)}/push", params=params, headers=headers, stream=True
            )
            try:
                failure = _push_failure(response)
            finally:
                response.close()
        if failure is not None:
            if PUSH_AUTH_FAILURE.search(failure):
                raise RegistryAuthFailed(
                    f"registry {host} refused the push of {destination}: {failure}",
                    f"run `podman login {host}` (with a user that may push there)",
                )
            raise RegistryError(
                f"podman could not push {destination}: {failure}",
                "check the registry address, that podman trusts its CA (certs.d), and try again",
            )

    # containers

    def container(self, name: str) -> ContainerInfo | None:
        """A container by name or id, or None."""
        found = self.reader.get(f"/containers/{quoted(name)}/json")
        return None if found is None else _container_from_inspect(found)

    def containers(self, labels: Mapping[str, str]) -> list[ContainerInfo]:
        """All containers (running or not) carrying all of these labels ("" matches any value)."""
        found = self.reader.get("/containers/json", label_query(_first(labels), all="true"))
        return [c for c in map(_container_from_list, found or []) if _has_labels(c.labels, labels)]

    def create(self, spec: ContainerSpec) -> ContainerInfo:
        """`podman create` from a spec."""
        with _translated(f"create container {spec.name}"):
            container = self.client.containers.create(**_create_kwargs(spec, self.rootless))
            return _container_from_inspect(container.inspect())

    def start(self, name: str) -> None:
        """Start a container (no-op when running)."""
        with _translated(f"start {name}"):
            self.client.containers.get(name).start()

    def stop(self, name: str, timeout: int) -> None:
        """Stop a container, killing it after `timeout` seconds."""
        with _translated(f"stop {name}"):
            self.client.containers.get(name).stop(timeout=timeout)

    def remove(self, name: str) -> None:
        """Remove a container, stopping it first if needed."""
        with _translated(f"remove {name}"):
            self.client.containers.get(name).remove(force=True)

    def rename(self, name: str, new_name: str) -> None:
        """Rename a container."""
        with _translated(f"rename {name} to {new_name}"):
            self.client.containers.get(name).rename(new_name)

    def exec(
        self, name: str, argv: list[str], *, user: str, env: Mapping[str, str]
    ) -> tuple[int, str]:
        """Run argv in a running container and collect its exit code and output."""
        with _translated(f"run {argv[0]} in {name}"):
            code, output = self.client.containers.get(name).exec_run(
                argv, user=user, environment=dict(env), demux=True
            )
        out, err = cast(tuple[bytes | None, bytes | None], output)
        text = (out or b"").decode(errors="replace") + (err or b"").decode(errors="replace")
        return int(code or 0), text

    def read_file(self, name: str, path: str, limit: int) -> bytes:
        """The bytes of one regular file in a container (at most `limit` of them)."""
        with _translated(f"read {path} in {name}"):
            stream, _ = self.client.containers.get(name).get_archive(path)
            archive = _bounded(stream, limit + 64 * 1024)
        import io
        import tarfile

        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            member = tar.next()
            if member is None or not member.isfile():
                raise ContainerFailed(
                    f"{path} in {name} is not a regular file",
                    "envman copies only regular files out of a container",
                )
            if member.size > limit:
                raise ContainerFailed(
                    f"{path} in {name} is larger than {limit} bytes",
                    "envman copies only files up to that size out of a container",
                )
            handle = tar.extractfile(member)
            assert handle is not None
            return handle.read()

    def run_once(self, image: str, argv: list[str]) -> tuple[int, str]:
        """Run argv in a throwaway container of `image` (removed afterwards): code and output."""
        with _translated(f"run {argv[0]} in a container of {image}"):
            container = self.client.containers.create(**_run_once_kwargs(image, argv))
            try:
                container.start()
                code = int(container.wait())
                output = container.logs(stdout=True, stderr=True)
            finally:
                container.remove(force=True)
        chunks = [output] if isinstance(output, bytes) else list(output)
        return code, b"".join(chunks).decode(errors="replace")

    def details(self, name: str) -> ContainerDetails | None:
        """A container's create-time settings (and its image's own environment), or None."""
        found = self.reader.get(f"/containers/{quoted(name)}/json")
        if found is None:
            return None
        image = self.reader.get(f"/images/{quoted(str(found.get('Image', '')))}/json")
        return _details(found, image)


def _details(attrs: Mapping[str, Any], image_attrs: Mapping[str, Any] | None) -> ContainerDetails:
    """An inspected container's create-time settings in envman's terms."""
    config = _section(attrs, "Config")
    host = _section(attrs, "HostConfig")
    command = _strings(config.get("CreateCommand"))
    entrypoint = config.get("Entrypoint") or ()
    return ContainerDetails(
        info=_container_from_inspect(attrs),
        hostname=_text(config.get("Hostname")),
        entrypoint=(entrypoint,) if isinstance(entrypoint, str) else tuple(entrypoint),
        command=_strings(attrs.get("Args") or config.get("Cmd")),
        env=_pairs(config.get("Env")),
        image_env=_pairs(_section(image_attrs or {}, "Config").get("Env")),
        mounts=tuple(_mount_details(m) for m in attrs.get("Mounts") or ()),
        privileged=bool(host.get("Privileged")),
        # podman 4.3 reports `--ipc host` as "shareable": the create command says what was asked
        network=_asked(command, "--network", "--net") or _text(host.get("NetworkMode")),
        pid=_asked(command, "--pid") or _text(host.get("PidMode")),
        ipc=_asked(command, "--ipc") or _text(host.get("IpcMode")),
        devices=tuple(str(d.get("PathOnHost", "")) for d in host.get("Devices") or ()),
        cap_add=_strings(host.get("CapAdd")),
        security_opt=_strings(host.get("SecurityOpt")),
        systemd=config.get("SystemdMode") is True or _asked(command, "--systemd") == "always",
        create_command=command,
    )


def _section(attrs: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """An inspect sub-object; podman gives null for some that were never set."""
    return attrs.get(key) or {}


def _strings(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())


def _text(value: Any) -> str:
    return str(value or "")


def _pairs(env: Any) -> tuple[tuple[str, str], ...]:
    pairs = (str(item).partition("=") for item in env or ())
    return tuple((key, value) for key, _, value in pairs)


def _mount_details(mount: Mapping[str, Any]) -> MountDetails:
    return MountDetails(
        kind=str(mount.get("Type", "")),
        source=str(mount.get("Source", "")),
        target=str(mount.get("Destination", "")),
        name=str(mount.get("Name") or ""),
        read_only=mount.get("RW") is False,
        propagation=str(mount.get("Propagation") or ""),
    )


def _asked(command: tuple[str, ...], *flags: str) -> str:
    """The value given to one of `flags` in a kept `podman create` argv ("" when absent)."""
    found = ""
    for i, word in enumerate(command):
        name, equals, value = word.partition("=")
        if name in flags:
            found = value if equals else (command[i + 1] if i + 1 < len(command) else "")
    return found


def _events(response: Any) -> Iterator[dict[str, Any]]:
    """The JSON objects of a streamed build, pull or push answer, one per line; podman's
    stream may hold blank or non-JSON lines, which are no events."""
    for raw in response.iter_lines():
        try:
            event = json.loads(raw) if raw else None
        except ValueError:
            continue
        if isinstance(event, dict):
            yield event


def _push_failure(response: Any) -> str | None:
    """The error of a push: its HTTP status, or an `error` line of the progress stream."""
    if response.status_code >= 400:
        return _api_message(response.text)
    for event in _events(response):
        message = event.get("errorMessage") or event.get("error")
        if isinstance(message, dict):
            message = message.get("message")
        if message:
            return str(message).strip()
    return None


def _api_message(text: str) -> str:
    """The `message` of a JSON error body, else the body."""
    try:
        body = json.loads(text)
    except ValueError:
        return text.strip()
    return str(body.get("message") or text).strip() if isinstance(body, dict) else text.strip()


def _bounded(stream: Any, limit: int) -> bytes:
    """Collect a streamed body, refusing to hold more than `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise ContainerFailed(
                f"the file is larger than {limit} bytes",
                "envman copies only files up to that size out of a container",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _run_once_kwargs(image: str, argv: list[str]) -> dict[str, Any]:
    # No network and the image's own /etc/hosts: a throwaway look at the image as it is.
    return {
        "image": image,
        "command": argv[1:],
        "entrypoint": argv[:1],
        "user": "0:0",
        "network_mode": "none",
        "use_image_hosts": True,
        "labels": {"envman.managed": "1"},
    }


def _create_kwargs(spec: ContainerSpec, rootless: bool) -> dict[str, Any]:
    """The spec in podman's terms (podman-py's `containers.create` keywords)."""
    kwargs: dict[str, Any] = {
        "image": spec.image,
        "name": spec.name,
        "hostname": spec.hostname,
        "user": spec.user,
        "privileged": spec.privileged,
        "security_opt": [*_label_opts(spec), *spec.security_opt],
        **_mounts(spec),
        "environment": dict(spec.env),
        "labels": dict(spec.labels),
        "entrypoint": list(spec.entrypoint),
        "command": list(spec.command) or None,
        # NVIDIA's container toolkit names the host's GPUs by CDI: every one of them
        "devices": [*spec.devices, *(["nvidia.com/gpu=all"] if spec.gpus else [])],
        "cap_add": list(spec.cap_add) or None,
        "stop_timeout": spec.stop_timeout,
        "systemd": "always" if spec.systemd else "false",
        "pid_mode": "host" if spec.host_pid else "private",
        "ipc_mode": "host" if spec.host_ipc else "private",
    }
    return {**kwargs, **_optional_kwargs(spec, rootless)}


# The neutral options of ContainerSpec.options as podman-py's create() keywords.
PODMAN_OPTIONS = {"shm_size": "shm_size"}


def _label_opts(spec: ContainerSpec) -> list[str]:
    return [] if spec.label_confinement else ["label=disable"]


def _optional_kwargs(spec: ContainerSpec, rootless: bool) -> dict[str, Any]:
    """Keywords given only when the spec sets them (podman's defaults otherwise)."""
    optional = {
        "network_mode": "host" if spec.host_network else None,
        # Rootful podman runs the user's ids as themselves already; rootless maps them (keep-id).
        "userns_mode": "keep-id" if spec.keep_user_ids and rootless else None,
        "pids_limit": spec.pids_limit,
        **{PODMAN_OPTIONS[name]: value for name, value in spec.options},
    }
    return {key: value for key, value in optional.items() if value is not None}


def _mounts(spec: ContainerSpec) -> dict[str, Any]:
    """Bind mounts of host paths, named volumes for the rest."""
    mounts, volumes = [], {}
    for m in spec.mounts:
        if not m.source.startswith("/"):
            volumes[m.source] = {"bind": m.target, "mode": ",".join(m.options) or "rw"}
            continue
        mount: dict[str, Any] = {"type": "bind", "source": m.source, "target": m.target}
        for option in m.options:
            if option == "ro":
                mount["read_only"] = True
            elif option in ("rslave", "rshared", "rprivate", "slave", "shared", "private"):
                mount["propagation"] = option
        mounts.append(mount)
    return {"mounts": mounts, "volumes": volumes}


def _pulled_id(response: Any, ref: str) -> str:
    """The image id of a finished pull, from the API's JSON lines; an `error` line raises."""
    if response.status_code >= 400:
        raise RegistryError(f"podman refused to pull {ref}: {response.text.strip()}")
    image_id = ""
    for event in _events(response):
        if "error" in event:
            message = str(event["error"]).strip()
            if REGISTRY_FAILURE.search(message):
                raise RegistryUnreachable(f"could not pull {ref}: {message}")
            raise RegistryError(f"podman could not pull {ref}: {message}")
        image_id = str(event.get("id") or image_id)
    if not image_id:
        raise RegistryError(f"podman's pull of {ref} ended without an image")
    return image_id.removeprefix("sha256:")
