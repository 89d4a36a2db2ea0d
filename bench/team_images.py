"""Team images: what a laptop downloads after a last-hook change, pull vs local rebuild, no-op cost.

Starts the test registry (tests/registry/testbed.py: docker-registry, TLS, htpasswd). CI (its own
HOME and XDG dirs) makes a key and publishes a profile whose first hook writes 30 MB and whose
last hook writes one line; a laptop (another HOME, the registry configured) runs `up` on it. Then,
ROUNDS times, interleaved: CI changes the last hook and publishes, its local tag is removed (one
rootful image store serves both "machines"), and the laptop's `up` pulls the new image, timed;
a builder without a registry makes the same kind of change and `up` rebuilds it with the layer
cache, timed. Bytes pulled are measured, not computed: the sizes the registry's access log gives
for the blob GETs of the laptop's `up`. Last, N pairs of no-op `up`: with a registry configured
and without. Prints numbers only (targets: bytes <= 10% of the image, pull >= 3x faster than the
rebuild, no-op difference <= 0.1 s). Run as root:  .venv/bin/python bench/team_images.py
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.envman_cli import BASE_IMAGE, Envman, make_envman, podman, unique
from tests.registry.conftest import write_auth_file
from tests.registry.testbed import TestRegistry, free_port

PASSPHRASE = {"ENVMAN_KEY_PASSPHRASE": "bench-passphrase"}
PROFILE = f"""\
envman: 1
image: {BASE_IMAGE}
hooks:
  - run: [sh, -c, "head -c 30000000 /dev/urandom > /opt/tools.bin"]
  - run: [sh, -c, "echo {{last}} > /etc/team-last"]
env: {{{{ROUND: "{{env}}"}}}}
"""
BLOB_PUT = re.compile(r'"PUT /v2/\S+/blobs/uploads/\S*digest=sha256%3A([0-9a-f]+) HTTP')
BLOB_GET = re.compile(r'"GET /v2/(\S+)/blobs/(sha256:[0-9a-f]+) HTTP/[0-9.]+" (\d+) (\d+)')


@dataclass
class Bench:
    """The registry, the three "machines", the two profile names, the team and its key."""

    registry: TestRegistry
    auth: Path
    ci: Envman
    laptop: Envman
    builder: Envman
    name: str  # published by CI, pulled by the laptop
    plain: str  # built by the builder, which has no registry configured
    team: str
    key: Path


def machine(root: Path, auth: Path) -> Envman:
    """A user on its own "machine": HOME, XDG dirs, the registry login."""
    (root / "home").mkdir(parents=True)
    return make_envman(root, user_env={"HOME": str(root / "home"), "REGISTRY_AUTH_FILE": str(auth)})


def timed_up(envman: Envman, name: str) -> tuple[float, dict[str, object]]:
    """Wall time of `envman up NAME --json` and its result."""
    start = time.perf_counter()
    result = envman.run("up", name, "--json")
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"envman up {name} failed ({result.returncode}):\n{result.stderr}")
    return elapsed, json.loads(result.stdout)


def blob_gets(registry: TestRegistry, skip: int) -> list[tuple[str, int]]:
    """(digest, bytes sent) of every successful blob GET after the first `skip` log lines."""
    lines = registry.log.read_text().splitlines()[skip:]
    found = []
    for line in lines:
        match = BLOB_GET.search(line)
        if match and match.group(3) == "200":
            found.append((match.group(2), int(match.group(4))))
    return found


def blob_puts(registry: TestRegistry, skip: int) -> set[str]:
    """Digests of the blobs uploaded after the first `skip` log lines (the upload's last PUT)."""
    lines = registry.log.read_text().splitlines()[skip:]
    return {f"sha256:{m.group(1)}" for line in lines if (m := BLOB_PUT.search(line))}


def manifest_layers(registry: TestRegistry, auth: Path, reference: str) -> list[tuple[str, int]]:
    """(digest, size) of the config and the layers of the published image, from the registry."""
    from envman.registry.client import RegistryClient

    repo, _, tag = reference.split("/", 1)[1].rpartition(":")
    manifest = RegistryClient(registry.host, auth_files=[auth]).get_manifest(repo, tag)
    data = json.loads(manifest.data)
    return [(data["config"]["digest"], data["config"]["size"])] + [
        (layer["digest"], layer["size"]) for layer in data["layers"]
    ]


def publish(ci: Envman, name: str, team: str, key: Path) -> dict[str, str]:
    """`envman publish NAME`, then remove CI's local tag of it (the laptop must pull)."""
    result = ci.run(
        "publish", name, "--registry", team, "--key", str(key), "--json", extra_env=PASSPHRASE
    )
    if result.returncode != 0:
        raise SystemExit(f"publish failed ({result.returncode}):\n{result.stderr}")
    [done] = json.loads(result.stdout)
    return dict(done)


def untag(name: str, content_hash: str) -> None:
    """Remove CI's local tag of this content hash (and so the image, if nothing else tags it)."""
    podman("rmi", f"localhost/envman/{name}:{content_hash[:12]}")


def timed_noop(envman: Envman, name: str) -> float:
    """Wall time of a plain `envman up NAME` (the form people type) that has nothing to do."""
    start = time.perf_counter()
    result = envman.run("up", name)
    elapsed = time.perf_counter() - start
    if result.returncode != 0 or "up-to-date" not in result.stdout + result.stderr:
        raise SystemExit(f"envman up {name} was not a no-op:\n{result.stdout}{result.stderr}")
    return elapsed


def noop_pairs(laptop: Envman, name: str, builder: Envman, plain: str, pairs: int) -> list[float]:
    """Differences (registry configured minus none) of no-op `up` times, pair by pair."""
    return [timed_noop(laptop, name) - timed_noop(builder, plain) for _ in range(pairs)]


def cleanup(names: list[str], team: str) -> None:
    """Remove the benchmark's containers and images (only these names)."""
    for name in names:
        podman("rm", "-f", name)
    ids: set[str] = set()
    for reference in [f"localhost/envman/{n}" for n in names] + [f"{team}/{n}" for n in names]:
        listed = podman("images", "-a", "--format", "{{.ID}}", "--filter", f"reference={reference}")
        ids.update(listed.stdout.split())
    if ids:
        podman("rmi", "-f", *sorted(ids))


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-n", type=int, default=15, help="no-op up pairs")
    args = parser.parse_args()
    print("load before:", Path("/proc/loadavg").read_text().strip())
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        registry = TestRegistry(work / "registry", free_port(), "htpasswd")
        registry.work.mkdir()
        name, plain = unique("bench-team"), unique("bench-local")
        team = f"{registry.host}/{unique('team')}"
        try:
            registry.start()
            auth = write_auth_file(work / "auth.json", registry.host)
            ci, laptop = machine(work / "ci", auth), machine(work / "laptop", auth)
            builder = machine(work / "builder", auth)
            ci.run("key", "generate", str(work / "team"), extra_env=PASSPHRASE, check=True)
            key = work / "team.private"
            laptop.run("config", "registry", "add", team, "--key", str(work / "team.pub"),
                       check=True)  # fmt: skip
            for envman, profile in ((ci, name), (laptop, name), (builder, plain)):
                envman.write_profile(profile, PROFILE.format(last="v0", env="0"))
            start = time.perf_counter()
            publish(ci, name, team, key)
            print(f"first publish (full build, push, sign): {time.perf_counter() - start:.1f} s")
            _, done = timed_up(laptop, name)  # CI's image is in the shared store: no pull
            print(f"laptop has the first image (built={done['built']}, "
                  f"pulled_from={done['pulled_from'] or '-'})")  # fmt: skip
            timed_up(builder, plain)  # the builder has it too (the layer cache)
            bench = Bench(registry, auth, ci, laptop, builder, name, plain, team, key)
            run_rounds(bench, args.rounds)
            differences = noop_pairs(laptop, name, builder, plain, args.n)
            print(
                f"no-op up, registry configured minus none, {args.n} pairs: median "
                f"{statistics.median(differences) * 1000:+.0f} ms, min "
                f"{min(differences) * 1000:+.0f} ms, max {max(differences) * 1000:+.0f} ms"
            )
        finally:
            cleanup([name, plain], team)
            registry.stop()
    print("load after:", Path("/proc/loadavg").read_text().strip())


def run_rounds(bench: Bench, rounds: int) -> None:
    """Change the last hook ROUNDS times: laptop pulls CI's image vs builder rebuilds locally."""
    registry, ci, laptop, builder = bench.registry, bench.ci, bench.laptop, bench.builder
    name, plain = bench.name, bench.plain
    pulls, builds, recreates = [], [], []
    for round_ in range(1, rounds + 1):
        text = PROFILE.format(last=f"v{round_}", env="0")
        ci.write_profile(name, text)
        before_publish = len(registry.log.read_text().splitlines())
        published = publish(ci, name, bench.team, bench.key)
        untag(name, published["content_hash"])
        layers = manifest_layers(registry, bench.auth, published["reference"])
        image_bytes = sum(size for _, size in layers)
        uploaded = blob_puts(registry, before_publish)
        mine = [size for digest, size in layers if digest in uploaded]
        print(
            f"round {round_}: publish uploaded {len(mine)} of the image's {len(layers)} blobs, "
            f"{sum(mine) / 1e3:.1f} kB (and {len(uploaded) - len(mine)} signature blobs)"
        )
        laptop.write_profile(name, text)
        mark = len(registry.log.read_text().splitlines())
        pull_time, done = timed_up(laptop, name)
        assert not done["built"] and done["pulled_from"], done
        got = blob_gets(registry, mark)
        pulled = sum(size for _, size in got)
        fetched = {digest for digest, _ in got}
        skipped = [size for digest, size in layers if digest not in fetched]
        builder.write_profile(plain, PROFILE.format(last=f"w{round_}", env="0"))
        build_time, built = timed_up(builder, plain)
        assert built["built"], built
        builder.write_profile(plain, PROFILE.format(last=f"w{round_}", env=str(round_)))
        recreate_time, recreated = timed_up(builder, plain)
        assert recreated["action"] == "recreated", recreated
        pulls.append(pull_time)
        builds.append(build_time)
        recreates.append(recreate_time)
        print(
            f"round {round_}: image {image_bytes / 1e6:.1f} MB in {len(layers)} blobs "
            f"(config + {len(layers) - 1} layers); pulled {len(got)} blobs, {pulled / 1e3:.1f} kB "
            f"= {100 * pulled / image_bytes:.4f}% of the image ({len(skipped)} blobs, "
            f"{sum(skipped) / 1e6:.1f} MB already here); up with pull {pull_time:.2f} s, "
            f"up with local rebuild {build_time:.2f} s: {build_time / pull_time:.1f}x; "
            f"up that only recreates the container {recreate_time:.2f} s"
        )
    print(
        f"median over {rounds} rounds: up with pull {statistics.median(pulls):.2f} s, "
        f"with local rebuild {statistics.median(builds):.2f} s, "
        f"rebuild/pull {statistics.median(builds) / statistics.median(pulls):.1f}x"
    )
    fixed = statistics.median(recreates)
    pull_part = statistics.median(pulls) - fixed
    build_part = statistics.median(builds) - fixed
    print(
        f"less an up that only recreates ({fixed:.2f} s, the part both share): image step by "
        f"pull ~{pull_part:.2f} s, by rebuild ~{build_part:.2f} s, ~{build_part / pull_part:.1f}x"
    )


if __name__ == "__main__":
    main()
