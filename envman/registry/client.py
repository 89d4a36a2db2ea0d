"""Registry operations (manifests, blobs, tags) with podman's logins, Basic and Bearer tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlencode, urlsplit

from envman.errors import RegistryAuthFailed, RegistryError
from envman.registry import address, credentials, trust
from envman.registry.challenge import Challenge, parse_challenge
from envman.registry.transport import Response, Transport

if TYPE_CHECKING:
    from collections.abc import Mapping

MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # containers/image's limit too
MAX_BLOB_BYTES = 16 * 1024 * 1024  # configs and signature payloads, not layers
MAX_TOKEN_BYTES = 1024 * 1024
MAX_TAG_PAGES = 100
TOKEN_SLACK_SECONDS = 10.0

# Per process: the scheme each host asked for, and Bearer tokens by (host, scope).
_SCHEMES: dict[str, Challenge] = {}
_TOKENS: dict[tuple[str, str], tuple[str, float]] = {}


class DigestMismatch(RegistryError):
    """A manifest whose bytes do not hash to the digest asked for or claimed (exit 34 as any)."""


class Manifest(NamedTuple):
    """A manifest's exact bytes, its media type and its (verified) digest."""

    data: bytes
    media_type: str
    digest: str


def sha256_digest(data: bytes) -> str:
    """The `sha256:` digest of some bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


class RegistryClient:
    """One registry host; every call uses the login `podman login HOST` stored, if any."""

    def __init__(
        self,
        host: str,
        *,
        auth_files: list[Path] | None = None,
        certs_dirs: tuple[Path, ...] | None = None,
        connect_timeout: float = 2.0,
    ) -> None:
        self.host = host
        self._auth_files = credentials.auth_file_paths() if auth_files is None else auth_files
        self._certs_dirs = certs_dirs
        self._connect_timeout = connect_timeout
        self._transport = Transport(
            host, trust.ssl_context(host, certs_dirs), connect_timeout=connect_timeout
        )
        self._login: dict[str, credentials.Credentials | None] = {}

    @property
    def requests(self) -> int:
        """How many HTTP requests went to the registry itself so far."""
        return self._transport.requests

    def close(self) -> None:
        """Close the connection."""
        self._transport.close()

    def manifest_digest(self, repo: str, tag: str) -> str | None:
        """The digest `repo:tag` points at now (one HEAD once the login is known), or None."""
        target = f"/v2/{address.check_path(repo)}/manifests/{address.check_reference(tag)}"
        reply = self._send("HEAD", target, repo, {"Accept": ", ".join(MANIFEST_TYPES)})
        if reply.status == 404:
            return None
        self._expect(reply, (200,), repo, f"{repo}:{tag}")
        digest = reply.headers.get("Docker-Content-Digest", "")
        if address.is_digest(digest):
            return digest
        found = self.get_manifest(repo, tag)  # a registry that omits the header on HEAD
        return found.digest

    def get_manifest(self, repo: str, ref: str) -> Manifest:
        """The manifest at a tag or digest; its bytes must hash to the digest claimed or asked."""
        target = f"/v2/{address.check_path(repo)}/manifests/{address.check_reference(ref)}"
        headers = {"Accept": ", ".join(MANIFEST_TYPES)}
        reply = self._send("GET", target, repo, headers, max_body=MAX_MANIFEST_BYTES)
        self._expect(
            reply, (200,), repo, f"{repo}@{ref}" if address.is_digest(ref) else f"{repo}:{ref}"
        )
        digest = sha256_digest(reply.body)
        claimed = reply.headers.get("Docker-Content-Digest")
        expected = ref if address.is_digest(ref) else claimed
        if expected and expected != digest:
            raise DigestMismatch(
                f"registry {self.host} sent a manifest for {repo}@{expected} "
                f"whose content hashes to {digest}",
                "the registry or something in between altered it; nothing was used",
            )
        media_type = reply.headers.get("Content-Type", "").split(";")[0].strip()
        return Manifest(reply.body, _media_type(reply.body, media_type), digest)

    def get_blob(self, repo: str, digest: str, max_bytes: int = MAX_BLOB_BYTES) -> bytes:
        """A (small) blob by digest, checked against the digest."""
        target = f"/v2/{address.check_path(repo)}/blobs/{address.check_digest(digest)}"
        reply = self._send("GET", target, repo, {}, max_body=max_bytes)
        if reply.status in (301, 302, 303, 307, 308):
            reply = self._follow(reply, max_bytes)
        self._expect(reply, (200,), repo, f"{repo}@{digest}")
        if sha256_digest(reply.body) != digest:
            raise RegistryError(
                f"registry {self.host} sent a blob for {repo}@{digest} with other content",
                "the registry or something in between altered it; nothing was used",
            )
        return reply.body

    def blob_exists(self, repo: str, digest: str, *, push: bool = False) -> bool:
        """Whether the registry has the blob in `repo` (HEAD)."""
        target = f"/v2/{address.check_path(repo)}/blobs/{address.check_digest(digest)}"
        reply = self._send("HEAD", target, repo, {}, push=push)
        if reply.status == 404:
            return False
        self._expect(reply, (200, 307), repo, f"{repo}@{digest}")
        return True

    def put_blob(self, repo: str, data: bytes) -> str:
        """Upload a blob (monolithic POST then PUT), unless it is there already; its digest."""
        digest = sha256_digest(data)
        if self.blob_exists(repo, digest, push=True):
            return digest
        start = self._send(
            "POST", f"/v2/{address.check_path(repo)}/blobs/uploads/", repo, {}, push=True
        )
        self._expect(start, (202,), repo, f"{repo} (blob upload)")
        location = self._same_host_target(start.headers.get("Location", ""))
        joiner = "&" if "?" in location else "?"
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(len(data))}
        done = self._send(
            "PUT",
            f"{location}{joiner}{urlencode({'digest': digest})}",
            repo,
            headers,
            data,
            push=True,
        )
        self._expect(done, (201,), repo, f"{repo}@{digest}")
        return digest

    def put_manifest(self, repo: str, tag: str, data: bytes, media_type: str) -> str:
        """Store a manifest under a tag; the digest the registry confirmed."""
        target = f"/v2/{address.check_path(repo)}/manifests/{address.check_reference(tag)}"
        headers = {"Content-Type": media_type, "Content-Length": str(len(data))}
        reply = self._send("PUT", target, repo, headers, data, push=True)
        self._expect(reply, (201,), repo, f"{repo}:{tag}")
        digest = sha256_digest(data)
        claimed = reply.headers.get("Docker-Content-Digest")
        if claimed and claimed != digest:
            raise RegistryError(
                f"registry {self.host} stored {repo}:{tag} as {claimed}, not {digest}",
                "the registry changed the manifest; do not rely on this tag",
            )
        return digest

    def tags(self, repo: str, page_size: int = 1000) -> list[str]:
        """All tags of a repository (following pagination); empty when it does not exist."""
        found: list[str] = []
        target: str | None = f"/v2/{address.check_path(repo)}/tags/list?n={page_size:d}"
        for _page in range(MAX_TAG_PAGES):  # a registry that links pages in a circle ends here
            if target is None:
                break
            reply = self._send(
                "GET", target, repo, {"Accept": "application/json"}, max_body=MAX_MANIFEST_BYTES
            )
            if reply.status == 404:
                return found
            self._expect(reply, (200,), repo, f"{repo} (tags)")
            body = _json(reply.body, self.host)
            listed = body.get("tags")
            if isinstance(listed, list):
                found.extend(t for t in listed if isinstance(t, str))
            target = _next_link(reply.headers.get("Link"))
        return found

    # -- authentication -------------------------------------------------------------------

    def _send(
        self,
        method: str,
        target: str,
        repo: str,
        headers: Mapping[str, str],
        body: bytes | None = None,
        *,
        push: bool = False,
        max_body: int = 64 * 1024,
    ) -> Response:
        """One request with the best authorization known; on a 401 learn the scheme, retry once."""
        scope = f"repository:{repo}:{'pull,push' if push else 'pull'}"
        sent = self._authorization(repo, scope)
        reply = self._transport.request(method, target, {**headers, **sent}, body, max_body)
        if reply.status != 401:
            return reply
        challenge = parse_challenge(reply.headers.get("WWW-Authenticate"))
        if challenge is None:
            raise self._auth_failed(repo, reply.status)
        _SCHEMES[self.host] = challenge
        if challenge.scheme == "bearer":
            self._fetch_token(repo, scope, challenge)
        again = self._authorization(repo, scope)
        if again == sent:
            raise self._auth_failed(repo, reply.status)
        reply = self._transport.request(method, target, {**headers, **again}, body, max_body)
        if reply.status == 401:
            raise self._auth_failed(repo, reply.status)
        return reply

    def _authorization(self, repo: str, scope: str) -> dict[str, str]:
        """The Authorization header to send: a cached token, else Basic when there is a login."""
        scheme = _SCHEMES.get(self.host)
        token = _TOKENS.get((self.host, scope))
        if (token is None or token[1] <= time.monotonic()) and scheme and scheme.scheme == "bearer":
            # The host's token service is known: ask it now rather than spend a 401 round trip.
            self._fetch_token(repo, scope, Challenge("bearer", {**scheme.params, "scope": scope}))
            token = _TOKENS.get((self.host, scope))
        if token is not None and token[1] > time.monotonic():
            return {"Authorization": f"Bearer {token[0]}"}
        login = self._credentials(repo)
        # Basic up front when a login is stored: a Basic registry then answers in one request.
        if login is not None and (scheme is None or scheme.scheme == "basic"):
            return {"Authorization": "Basic " + _basic(login)}
        return {}

    def _credentials(self, repo: str) -> credentials.Credentials | None:
        """The stored login for this host and repository (read once per repository)."""
        if repo not in self._login:
            self._login[repo] = credentials.find_credentials(self.host, repo, self._auth_files)
        return self._login[repo]

    def _fetch_token(self, repo: str, scope: str, challenge: Challenge) -> None:
        """GET a token from the realm (with the stored login, if any) and cache it for `scope`."""
        realm = challenge.params.get("realm", "")
        parts = urlsplit(realm)
        if parts.scheme != "https" or not parts.netloc:
            raise RegistryError(
                f"registry {self.host} sent a token realm envman will not use: {realm!r}",
                "the realm must be an https:// URL",
            )
        # Ask for what this call needs and what the registry named (it may name less, or the
        # same actions in another order): a HEAD before a push must not cache a pull-only token.
        asked = challenge.params.get("scope")
        query = [("scope", scope)] + ([("scope", asked)] if asked and asked != scope else [])
        if challenge.params.get("service"):
            query.append(("service", challenge.params["service"]))
        login = self._credentials(repo)
        headers = {"Accept": "application/json"}
        if login is not None:
            headers["Authorization"] = "Basic " + _basic(login)
        target = (parts.path or "/") + "?" + "&".join(filter(None, (parts.query, urlencode(query))))
        realm_host = parts.netloc
        transport = (
            self._transport
            if realm_host == self.host
            else Transport(
                realm_host,
                trust.ssl_context(realm_host, self._certs_dirs),
                connect_timeout=self._connect_timeout,
            )
        )
        reply = transport.request("GET", target, headers, max_body=MAX_TOKEN_BYTES)
        if transport is not self._transport:
            transport.close()
        if reply.status in (401, 403):
            raise self._auth_failed(repo, reply.status)
        self._expect(reply, (200,), repo, f"{repo} (token from {realm_host})")
        body = _json(reply.body, realm_host)
        token = body.get("token") or body.get("access_token")
        if not isinstance(token, str) or not token:
            raise RegistryError(
                f"token server {realm_host} for registry {self.host} sent no token",
                "the registry's token service misbehaves; try again later",
            )
        lifetime = body.get("expires_in")
        seconds = float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else 60.0
        _TOKENS[(self.host, scope)] = (
            token,
            time.monotonic() + max(seconds - TOKEN_SLACK_SECONDS, 1.0),
        )

    def _auth_failed(self, repo: str, status: int) -> RegistryAuthFailed:
        """The exit-32 error: no login stored, or the stored one was refused."""
        login = self._credentials(repo)
        if login is None:
            looked = ", ".join(str(p) for p in self._auth_files)
            return RegistryAuthFailed(
                f"registry {self.host} wants a login for {repo}; none is stored "
                f"(looked in {looked})",
                f"run `podman login {self.host}`",
            )
        verb = "refused" if status == 401 else "denied access to " + repo + " for"
        return RegistryAuthFailed(
            f"registry {self.host} {verb} the login of {login.username!r} "
            f"from {login.source} (HTTP {status})",
            f"run `podman login {self.host}` again (or check your rights on {repo})",
        )

    # -- responses ------------------------------------------------------------------------

    def _expect(self, reply: Response, ok: tuple[int, ...], repo: str, what: str) -> None:
        """Raise the right error unless the status is one of `ok`."""
        if reply.status in ok:
            return
        if reply.status in (401, 403):
            raise self._auth_failed(repo, reply.status)
        detail = _error_detail(reply.body)
        if reply.status == 404:
            raise RegistryError(
                f"registry {self.host} has no {what}{detail}",
                "check the repository, tag or digest (and that it was published)",
            )
        raise RegistryError(
            f"registry {self.host} answered HTTP {reply.status} for {what}{detail}",
            "the registry may be overloaded or misconfigured; try again later",
        )

    def _same_host_target(self, location: str) -> str:
        """The path and query of an upload URL, which must stay on this registry."""
        parts = urlsplit(location)
        if parts.netloc and parts.netloc != self.host:
            raise RegistryError(
                f"registry {self.host} moved an upload to another host ({parts.netloc})",
                "envman uploads only to the registry itself",
            )
        if not parts.path.startswith("/v2/"):
            raise RegistryError(
                f"registry {self.host} sent an odd upload location: {location!r}",
                "the registry misbehaves; try again later",
            )
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _follow(self, reply: Response, max_bytes: int) -> Response:
        """A blob redirected to storage (S3 and the like): fetched without the registry's login."""
        parts = urlsplit(reply.headers.get("Location", ""))
        if parts.scheme != "https" or not parts.netloc:
            raise RegistryError(
                f"registry {self.host} redirected a blob to {parts.geturl()!r}",
                "only https:// redirects are followed",
            )
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        transport = Transport(
            parts.netloc,
            trust.ssl_context(parts.netloc, self._certs_dirs),
            connect_timeout=self._connect_timeout,
        )
        try:
            return transport.request("GET", target, {}, max_body=max_bytes)
        finally:
            transport.close()


def _basic(login: credentials.Credentials) -> str:
    """The Basic credentials value."""
    return base64.b64encode(f"{login.username}:{login.password}".encode()).decode("ascii")


def _json(body: bytes, host: str) -> dict[str, object]:
    """A JSON object from a registry, or a RegistryError."""
    try:
        value = json.loads(body)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise RegistryError(f"{host} sent something that is not a JSON object", "try again later")
    return value


def _media_type(body: bytes, header: str) -> str:
    """The Content-Type, else the manifest's own `mediaType`."""
    if header and header not in ("application/json", "application/octet-stream"):
        return header
    try:
        value = json.loads(body)
    except ValueError:
        return header
    media = value.get("mediaType") if isinstance(value, dict) else None
    return media if isinstance(media, str) else header


def _error_detail(body: bytes) -> str:
    """`: CODE message` from a distribution error body, else nothing."""
    try:
        errors = json.loads(body).get("errors")
        first = errors[0]
        return f": {first['code']} {first.get('message', '')}".rstrip()
    except (ValueError, AttributeError, LookupError, TypeError):
        return ""


def _next_link(header: str | None) -> str | None:
    """The path of a `Link: <...>; rel="next"` pagination header."""
    if not header or 'rel="next"' not in header:
        return None
    url = header.split(";")[0].strip().strip("<>")
    parts = urlsplit(url)
    if not parts.path.startswith("/v2/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def open_repository(
    text: str, *, auth_files: list[Path] | None = None, certs_dirs: tuple[Path, ...] | None = None
) -> tuple[RegistryClient, str]:
    """A client for `HOST[:PORT]/NAMESPACE/REPO` and the repository path to pass to it."""
    repository = address.parse_repository(text)
    client = RegistryClient(repository.host, auth_files=auth_files, certs_dirs=certs_dirs)
    return client, repository.path
