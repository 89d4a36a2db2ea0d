"""HTTPS requests to one registry host over a kept-alive connection, with short timeouts."""

from __future__ import annotations

import ipaddress
import socket
import ssl
from typing import TYPE_CHECKING, NamedTuple

from envman.errors import RegistryError, RegistryUnreachable
from envman.registry.address import split_host_port

if TYPE_CHECKING:
    import http.client
    from collections.abc import Mapping

CONNECT_TIMEOUT = 2.0  # offline must fail fast, never hang
READ_TIMEOUT = 30.0
DRAIN_BYTES = 64 * 1024


def resolve(name: str, port: int, timeout: float) -> tuple[str, int]:
    """The first address of `name`, within `timeout` (glibc's resolver can block for 10 s and more).

    The lookup runs in a daemon thread; one that never returns is left behind, not waited for.
    """
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return name, port
    import threading

    found: list[tuple[str, int]] = []
    failed: list[OSError] = []

    def lookup() -> None:
        try:
            info = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
            found.append((str(info[0][4][0]), port))
        except OSError as exc:
            failed.append(exc)

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(timeout)
    if found:
        return found[0]
    if failed:
        raise failed[0]
    raise TimeoutError(f"looking up {name} took longer than {timeout:g} s (offline?)")


class Response(NamedTuple):
    """A finished response: status, headers (case-insensitive) and the body read so far."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes


class Transport:
    """One registry host (`HOST[:PORT]`), one connection reused across requests."""

    def __init__(
        self,
        host: str,
        context: ssl.SSLContext,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.host = host
        self._context = context
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._conn: http.client.HTTPSConnection | None = None
        self.requests = 0  # how many requests went out (the lookup path promises one)

    def request(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes | None = None,
        max_body: int = DRAIN_BYTES,
    ) -> Response:
        """Send one request; a dropped kept-alive connection is reopened once."""
        import http.client

        for attempt in (1, 2):
            conn = self._connection()
            self.requests += 1
            try:
                conn.request(method, target, body=body, headers=dict(headers))
                reply = conn.getresponse()
                return self._finish(reply, max_body)
            except (
                http.client.RemoteDisconnected,
                BrokenPipeError,
                ConnectionResetError,
                ssl.SSLEOFError,
                ssl.SSLZeroReturnError,
            ):
                self.close()
                if attempt == 2:
                    raise self._unreachable("the connection was dropped") from None
            except TimeoutError:
                self.close()
                raise self._unreachable("no answer in time") from None
            except ssl.SSLError as exc:
                self.close()
                raise self._unreachable(f"TLS failed: {exc.reason or exc}") from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise self._unreachable(str(exc) or type(exc).__name__) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Drop the connection (the next request opens a new one)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> http.client.HTTPSConnection:
        """The open connection, or a new one (TCP and TLS within the connect timeout)."""
        import http.client

        if self._conn is not None:
            return self._conn
        name, port = split_host_port(self.host)
        conn = http.client.HTTPSConnection(
            name, port, timeout=self._connect_timeout, context=self._context
        )
        try:
            address = resolve(name, port, self._connect_timeout)
            raw = socket.create_connection(address, timeout=self._connect_timeout)
            # Without it the request right after TLS's Finished waits for a delayed ACK (~40 ms).
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.sock = self._context.wrap_socket(raw, server_hostname=name)
        except ssl.SSLCertVerificationError as exc:
            conn.close()
            raise RegistryUnreachable(
                f"registry {self.host}: its TLS certificate is not trusted ({exc.verify_message})",
                f"put the registry's CA certificate in /etc/containers/certs.d/{self.host}/ca.crt",
            ) from None
        except (OSError, ssl.SSLError) as exc:
            conn.close()
            raise self._unreachable(str(exc) or type(exc).__name__) from None
        if conn.sock is not None:
            conn.sock.settimeout(self._read_timeout)
        self._conn = conn
        return conn

    def _finish(self, reply: http.client.HTTPResponse, max_body: int) -> Response:
        """Read the body (up to `max_body`; an error body only in part) and keep the connection."""
        ok = 200 <= reply.status < 300
        limit = max_body if ok else DRAIN_BYTES
        body = reply.read(limit + 1)  # also for HEAD: the connection is reusable only after a read
        if not reply.isclosed():
            self.close()  # a body left unread (chunked past the limit): start afresh next time
        if len(body) > limit:
            self.close()
            if ok:
                raise RegistryError(
                    f"registry {self.host} sent more than {limit} bytes for one object",
                    "the registry or something in between misbehaves; nothing was used",
                )
            body = body[:limit]
        if reply.will_close:
            self.close()
        return Response(reply.status, reply.headers, body)

    def _unreachable(self, reason: str) -> RegistryUnreachable:
        """The exit-7 error for this host."""
        return RegistryUnreachable(
            f"registry {self.host} did not answer: {reason}",
            "check the network (or VPN) and the registry address; nothing was changed",
        )
