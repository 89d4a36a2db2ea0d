"""The signed payload: written as Go's json.Marshal does, read as strictly as containers/image."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from envman.signing.gojson import marshal

SIGNATURE_TYPE = "cosign container image signature"
_INT64 = 2**63


class PayloadInvalid(ValueError):
    """A payload that containers/image would refuse to parse."""


@dataclass(frozen=True)
class Payload:
    """What a payload claims: the image identity and manifest digest, and optional metadata."""

    docker_reference: str
    manifest_digest: str
    creator: str | None = None
    timestamp: int | None = None


def payload_bytes(payload: Payload) -> bytes:
    """The payload blob a signer writes (and signs)."""
    if not payload.docker_reference or not payload.manifest_digest:
        raise ValueError("a payload needs an identity and a manifest digest")
    optional: dict[str, Any] = {}
    if payload.creator is not None:
        optional["creator"] = payload.creator
    if payload.timestamp is not None:
        optional["timestamp"] = payload.timestamp
    return marshal(
        {
            "critical": {
                "identity": {"docker-reference": payload.docker_reference},
                "image": {"docker-manifest-digest": payload.manifest_digest},
                "type": SIGNATURE_TYPE,
            },
            "optional": optional,
        },
        sort_keys=True,
    )


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its key/value pairs in order, so duplicate keys stay visible."""


def parse_payload(data: bytes) -> Payload:
    """Parse a payload strictly: exact keys at every level of `critical`, no duplicates."""
    try:
        root = json.loads(
            data.decode("utf-8"), object_pairs_hook=_Pairs, parse_constant=_no_constant
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadInvalid(f"the payload is not JSON: {exc}") from None
    top = _exact(root, "the payload", ("critical", "optional"))
    critical = _exact(top["critical"], "critical", ("type", "image", "identity"))
    creator, timestamp = _optional(top["optional"])
    kind = _string(critical["type"], "critical.type")
    if kind != SIGNATURE_TYPE:
        raise PayloadInvalid(f"unrecognised signature type {kind!r}")
    image = _exact(critical["image"], "critical.image", ("docker-manifest-digest",))
    identity = _exact(critical["identity"], "critical.identity", ("docker-reference",))
    return Payload(
        docker_reference=_string(identity["docker-reference"], "docker-reference"),
        manifest_digest=_string(image["docker-manifest-digest"], "docker-manifest-digest"),
        creator=creator,
        timestamp=timestamp,
    )


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, _Pairs):
        raise PayloadInvalid(f"{where} is not a JSON object")
    result: dict[str, Any] = {}
    for key, item in value:
        if key in result:
            raise PayloadInvalid(f"{where} has the key {key!r} twice")
        result[key] = item
    return result


def _exact(value: Any, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
    result = _object(value, where)
    for key in result:
        if key not in keys:
            raise PayloadInvalid(f"{where} has an unknown key {key!r}")
    for key in keys:
        if key not in result:
            raise PayloadInvalid(f"{where} has no key {key!r}")
    return result


def _optional(value: Any) -> tuple[str | None, int | None]:
    # cosign writes "optional": null when there are no annotations.
    if value is None:
        return None, None
    fields = _object(value, "optional")
    creator = _string(fields["creator"], "optional.creator") if "creator" in fields else None
    timestamp = _timestamp(fields["timestamp"]) if "timestamp" in fields else None
    return creator, timestamp


def _string(value: Any, where: str) -> str:
    # Go leaves a string field empty for a JSON null, without an error.
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadInvalid(f"{where} is not a string")
    return value


def _timestamp(value: Any) -> int:
    # Go decodes it as a float64 and requires an integral value.
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadInvalid("optional.timestamp is not a number")
    try:
        number = float(value)
    except OverflowError:
        raise PayloadInvalid("optional.timestamp is out of range") from None
    if not number.is_integer() or not -_INT64 <= number < _INT64:
        raise PayloadInvalid("optional.timestamp is not an integer")
    return int(number)
