"""`envman run` and `enter` over podman's API socket: one exec session, standard library only.

The podman CLI's own start-up is most of what `podman exec` costs; talking to the API service
directly skips it. Imports stay minimal (this is the `envman run` hot path): no http.client,
no json decoding beyond two small bodies, no typing at run time.

Where the API and the CLI differ, envman follows the CLI: a missing command exits 127 with one
line, a signal to envman ends the session (the command keeps its terminal's hang-up).
"""

from __future__ import annotations

import json
import os
import socket

from envman.errors import CommandNotFound, ContainerFailed, EngineUnavailable, EnvNotFound

API = "/v4.0.0/libpod"
PING_TIMEOUT = 0.05  # a service that does not answer this fast is not used for this call
FORCED_PING_TIMEOUT = 5.0  # with ENVMAN_RUN_VIA=api there is no fallback: wait for the service
STDOUT, STDERR = 1, 2
_CHUNK = 65536
_NOT_FOUND = (b"executable file not found", b"no such file or directory")


class NoService(Exception):
    """No API service answered in time: the caller execs `podman exec` instead."""


def candidates(environ: dict[str, str] | os._Environ[str], uid: int) -> list[str]:
    """Sockets to try, in podman's own order: CONTAINER_HOST, then the rootful or user socket,
    then the private service envman starts when there is none."""
    host = environ.get("CONTAINER_HOST", "")
    if host:
        return [host.removeprefix("unix://")] if host.startswith("unix://") else []
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    if uid == 0:
        return ["/run/podman/podman.sock", (runtime or "/run") + "/envman/podman.sock"]
    if not runtime:
        return []
    return [runtime + "/podman/podman.sock", runtime + "/envman/podman.sock"]


def connect(path: str, timeout: float | None) -> socket.socket:
    """A connected unix socket, or NoService."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise NoService(path) from None
    return sock


def _request(sock: socket.socket, method: str, path: str, body: object = None) -> None:
    data = b"" if body is None else json.dumps(body).encode()
    head = (
        f"{method} {API}{path} HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n"
    )
    if path.endswith("/start"):
        head += "Connection: Upgrade\r\nUpgrade: tcp\r\n"
    sock.sendall(head.encode("ascii") + b"\r\n" + data)


def _response(sock: socket.socket, limit: int = 1 << 20) -> tuple[int, bytes, bytes]:
    """(status, body, bytes after the head) of one response; the body only when it has a length."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(_CHUNK)
        if not chunk or len(buffer) > limit:
            raise NoService("the API closed the connection")
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = next(
        (
            int(v)
            for k, _, v in (h.partition(b":") for h in lines[1:])
            if k.lower() == b"content-length"
        ),
        None,
    )
    if length is None:
        return status, b"", rest
    while len(rest) < min(length, limit):
        chunk = sock.recv(_CHUNK)
        if not chunk:
            break
        rest += chunk
    return status, rest[:length], rest[length:]


def open_service(environ: dict[str, str] | os._Environ[str], uid: int) -> tuple[str, socket.socket]:
    """The first socket whose service answers a ping within PING_TIMEOUT, kept open for reuse."""
    forced = environ.get("ENVMAN_RUN_VIA") == "api"
    for path in candidates(environ, uid):
        try:
            sock = connect(path, FORCED_PING_TIMEOUT if forced else PING_TIMEOUT)
        except NoService:
            continue
        try:
            _request(sock, "GET", "/_ping")
            status, _, _ = _response(sock)
        except (OSError, NoService, ValueError, IndexError):
            sock.close()
            continue
        if status == 200:
            sock.settimeout(None)
            return path, sock
        sock.close()
    raise NoService("no podman API service answered")


def create_exec(
    sock: socket.socket,
    container: str,
    argv: list[str],
    *,
    user: str,
    workdir: str,
    env: list[str],
    tty: bool,
) -> str:
    """A new exec session in `container`; its id."""
    body = {
        "AttachStdin": True,
        "AttachStdout": True,
        "AttachStderr": True,
        "Tty": tty,
        "Cmd": argv,
        "Env": env,
        "WorkingDir": workdir,
        "User": user,
        "DetachKeys": "",
    }
    _request(sock, "POST", f"/containers/{container}/exec", body)
    status, payload, _ = _response(sock)
    if status == 201:
        return str(json.loads(payload)["Id"])
    message = _message(payload)
    if status == 404:
        raise EnvNotFound(f"the environment's container is gone ({message})")
    if status == 409:
        raise ContainerFailed(f"the environment's container is not running ({message})")
    raise ContainerFailed(f"podman refused the command: {message}")


def start_exec(sock: socket.socket, exec_id: str, tty: bool, size: tuple[int, int] | None) -> bytes:
    """Start the session; the connection then carries its stream (returns bytes past the head)."""
    body: dict[str, object] = {"Detach": False, "Tty": tty}
    if size is not None:
        body["h"], body["w"] = size
    _request(sock, "POST", f"/exec/{exec_id}/start", body)
    status, payload, rest = _response(sock)
    if status not in (101, 200):
        raise ContainerFailed(f"podman could not start the command: {_message(payload)}")
    return rest


def exit_code(path: str, exec_id: str) -> int:
    """The session's exit status (it is recorded a moment after the stream ends).

    The command has run by now: a service that does not answer must not look like no service
    (the caller would run the command again through `podman exec`), so that is an error.
    """
    import time

    answered = False
    for _ in range(200):
        try:
            sock = connect(path, None)
            try:
                _request(sock, "GET", f"/exec/{exec_id}/json")
                status, payload, _ = _response(sock)
            finally:
                sock.close()
        except (NoService, OSError, ValueError, IndexError):
            time.sleep(0.005)  # a busy service dropped the connection: ask again
            continue
        answered = True
        if status != 200:
            break
        info = json.loads(payload)
        if not info.get("Running"):
            return int(info.get("ExitCode") or 0)
        time.sleep(0.005)
    if not answered:
        raise EngineUnavailable(
            "the podman API service did not say the command's exit status",
            "the command ran; `envman doctor` checks the service",
        )
    return 125


def resize(path: str, exec_id: str, rows: int, cols: int) -> None:
    """Tell the session's terminal its new size (on SIGWINCH)."""
    try:
        sock = connect(path, 1.0)
        _request(sock, "POST", f"/exec/{exec_id}/resize?h={rows}&w={cols}")
        _response(sock)
        sock.close()
    except (OSError, NoService, ValueError, IndexError):
        pass


def _message(payload: bytes) -> str:
    try:
        return str(json.loads(payload).get("message", "")).strip() or payload.decode().strip()
    except (ValueError, AttributeError):
        return payload.decode(errors="replace").strip()


class Demux:
    """podman's non-TTY stream: frames of [stream, 0, 0, 0, size (big-endian 4 bytes), data]."""

    def __init__(self) -> None:
        self.pending = b""
        self.missing_command = b""

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """Whole frames (stream, bytes) out of what arrived; the rest waits for more."""
        self.pending += data
        frames = []
        while len(self.pending) >= 8:
            size = int.from_bytes(self.pending[4:8], "big")
            if len(self.pending) < 8 + size:
                break
            stream, body = self.pending[0], self.pending[8 : 8 + size]
            self.pending = self.pending[8 + size :]
            if stream == STDERR and self._podman_error(body):
                continue
            frames.append((STDERR if stream == STDERR else STDOUT, body))
        return frames

    def _podman_error(self, body: bytes) -> bool:
        """podman's own error lines for a command that could not start (shown as envman's)."""
        if not body.startswith(b"Error: "):
            return False
        if any(marker in body for marker in _NOT_FOUND) and b"exec failed" in body:
            self.missing_command = body
            return True
        return bool(self.missing_command) and b"attach" in body


def pump(sock: socket.socket, first: bytes, tty: bool) -> Demux:
    """Copy stdin to the session and its output to stdout/stderr until the output ends."""
    import select

    demux = Demux()
    reading = [sock.fileno(), 0]
    _deliver(first, tty, demux)
    while True:
        try:
            ready, _, _ = select.select(reading, [], [])
        except InterruptedError:
            continue
        if sock.fileno() in ready:
            data = sock.recv(_CHUNK)
            if not data:
                return demux
            if not _deliver(data, tty, demux):
                return demux
        if 0 in ready:
            data = _read_stdin()
            if data:
                sock.sendall(data)
            else:  # end of input: the command sees EOF, its output still comes
                reading.remove(0)
                if not tty:
                    sock.shutdown(socket.SHUT_WR)


def _read_stdin() -> bytes:
    try:
        return os.read(0, _CHUNK)
    except OSError:
        return b""


def _deliver(data: bytes, tty: bool, demux: Demux) -> bool:
    """Write output to our stdout/stderr; False once the reader went away (EPIPE)."""
    frames = [(STDOUT, data)] if tty else demux.feed(data)
    try:
        for fd, body in frames:
            _write_all(fd, body)
    except BrokenPipeError:
        return False
    return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def terminal_size() -> tuple[int, int] | None:
    """(rows, columns) of our terminal."""
    try:
        size = os.get_terminal_size(1)
    except OSError:
        return None
    return size.lines, size.columns


def run(
    environ: dict[str, str] | os._Environ[str],
    container: str,
    argv: list[str],
    *,
    user: str,
    workdir: str,
    env: list[str],
    tty: bool,
) -> int:
    """Run argv in the container over the API and return its exit status (NoService: no API)."""
    path, sock = open_service(environ, os.getuid())
    with sock:
        exec_id = create_exec(sock, container, argv, user=user, workdir=workdir, env=env, tty=tty)
        size = terminal_size() if tty else None
        first = start_exec(sock, exec_id, tty, size)
        demux = _pump_terminal(sock, first, path, exec_id) if tty else pump(sock, first, False)
    code = exit_code(path, exec_id)
    if demux.missing_command and code == 127:
        raise CommandNotFound(f"'{argv[0]}' was not found in the environment", "check its PATH")
    return code


def _pump_terminal(sock: socket.socket, first: bytes, path: str, exec_id: str) -> Demux:
    """The TTY case: our terminal raw while the session runs, its size followed on SIGWINCH."""
    import signal
    import termios
    import tty as ttymode

    def follow(_signum: int, _frame: object) -> None:
        size = terminal_size()
        if size is not None:
            resize(path, exec_id, *size)

    saved = termios.tcgetattr(0) if os.isatty(0) else None
    previous = signal.signal(signal.SIGWINCH, follow)
    try:
        if saved is not None:
            ttymode.setraw(0)
        return pump(sock, first, True)
    finally:
        if saved is not None:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)
        signal.signal(signal.SIGWINCH, previous)
