"""Cost of one registry lookup from a fresh process, against the same process without it.

Starts the test registry (tests/registry/testbed.py: docker-registry, TLS, htpasswd), pushes a
manifest, then interleaves N runs of `python -c pass`-with-envman-imports and N runs that also
import envman.registry.client and call manifest_digest() once; prints medians and the difference
(target: a registry adds <= 0.1 s to a no-op `up`). Run as root:
  .venv/bin/python bench/registry_lookup.py [-n 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.registry.conftest import write_auth_file
from tests.registry.testbed import TestRegistry, free_port

BASE = "import envman.cli.app, envman.ops.envs"  # what a no-op `up` has loaded anyway
LOOKUP = (
    "from envman.registry.client import RegistryClient; "
    "c = RegistryClient({host!r}); assert c.manifest_digest('bench/app', 'v1'); "
    "assert c.requests == 1"
)


def timed(code: str, env: dict[str, str]) -> float:
    """Wall time of one fresh interpreter running `code`."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return time.perf_counter() - start


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=30)
    runs = parser.parse_args().n
    with tempfile.TemporaryDirectory() as work:
        registry = TestRegistry(Path(work), free_port(), "htpasswd")
        try:
            registry.start()
            auth = write_auth_file(Path(work) / "auth.json", registry.host)
            env = {**os.environ, "REGISTRY_AUTH_FILE": str(auth)}
            from envman.registry.client import RegistryClient

            client = RegistryClient(registry.host, auth_files=[auth])
            config = client.put_blob("bench/app", b"{}")
            manifest = (
                '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
                f'"config":{{"mediaType":"application/vnd.oci.image.config.v1+json",'
                f'"digest":"{config}","size":2}},"layers":[]}}'
            ).encode()
            client.put_manifest(
                "bench/app", "v1", manifest, "application/vnd.oci.image.manifest.v1+json"
            )
            base, lookup = [], []
            for _ in range(runs):
                base.append(timed(BASE, env))
                lookup.append(timed(f"{BASE}; {LOOKUP.format(host=registry.host)}", env))
        finally:
            registry.stop()
    for label, pick in (("median", statistics.median), ("min", min)):
        b, x = pick(base), pick(lookup)
        print(
            f"{label}: without a registry {b * 1000:.1f} ms, with one lookup {x * 1000:.1f} ms, "
            f"added {(x - b) * 1000:.1f} ms ({runs} pairs)"
        )


if __name__ == "__main__":
    main()
