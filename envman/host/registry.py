"""Asking a registry for an image's current digest (skopeo, where installed); never required."""

from __future__ import annotations

from envman import runner

TIMEOUT_SECONDS = 20.0


def registry_digest(image: str) -> str | None:
    """The digest the registry serves for `image` now, or None (local image, no skopeo, offline)."""
    if image.startswith("localhost/") or "/" not in image:
        return None
    skopeo = runner.which("skopeo")
    if skopeo is None:
        return None
    result = runner.run(
        [skopeo, "inspect", "--format", "{{.Digest}}", f"docker://{image}"],
        timeout=TIMEOUT_SECONDS,
    )
    digest = result.stdout.strip()
    return digest if result.ok and digest.startswith("sha256:") else None
