"""adopt's reading of distrobox/toolbx settings and the profile it writes (in-memory engine)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from envman.engine.types import ContainerDetails, ContainerInfo, MountDetails
from envman.errors import (
    Aborted,
    ContainerFailed,
    EnvNotFound,
    NameClash,
    NotAdoptable,
    UsageError,
)
from envman.exports.foreign import find_exports
from envman.host.facts import HostFacts
from envman.ops import listing
from envman.ops.adopt import adopt
from envman.ops.adopt_settings import entry_args, kind_of, settings_of
from envman.ops.context import Context
from envman.paths import Paths
from envman.state import load_state, save_state
from tests.fake_engine import BASE, FakeEngine
from tests.helpers import assert_golden

HOME = "/home/ana"
FACTS = HostFacts("ana", 1000, 1000, HOME, "/bin/bash", "laptop", None, True, frozenset())
# distrobox 1.8.2.5's entrypoint arguments for the fixture's [devbox] (assemble-dry-run.txt)
DEVBOX_ARGS = (
    "--verbose",
    "--name",
    "ana",
    "--user",
    "1000",
    "--group",
    "1000",
    "--home",
    HOME,
    "--init",
    "0",
    "--nvidia",
    "1",
    "--pre-init-hooks",
    "",
    "--additional-packages",
    "  git vim",
    "--",
    ": ;  touch /etc/devbox-ready",
)


def bind(source: str, target: str, *, ro: bool = False) -> MountDetails:
    return MountDetails("bind", source, target, read_only=ro, propagation="rslave")


DEVBOX_MOUNTS = (
    bind("/tmp", "/tmp"),
    bind("/usr/bin/distrobox-init", "/usr/bin/entrypoint", ro=True),
    bind("/usr/bin/distrobox-export", "/usr/bin/distrobox-export", ro=True),
    bind("/usr/bin/distrobox-host-exec", "/usr/bin/distrobox-host-exec", ro=True),
    bind(HOME, HOME),
    bind("/etc", "/run/host/etc"),
    bind("/usr", "/run/host/usr"),
    bind("/dev", "/dev"),
    bind("/sys", "/sys"),
    MountDetails("volume", "/var/lib/containers/storage/volumes/x/_data", "/dev/pts", "a" * 64),
    bind("/dev/null", "/dev/ptmx"),
    bind("/etc/hosts", "/etc/hosts", ro=True),
    bind("/run/user/1000", "/run/user/1000"),
    bind("/srv/data", "/srv/data", ro=True),
    MountDetails("volume", "/var/lib/containers/storage/volumes/cache/_data", "/cache", "cache"),
)


def details(box_id: str, name: str, **changes: object) -> ContainerDetails:
    info = ContainerInfo(box_id, name, "imageid", BASE, "running", {"manager": "distrobox"})
    made = ContainerDetails(
        info=info,
        hostname="laptop",
        entrypoint=("/usr/bin/entrypoint",),
        command=DEVBOX_ARGS,
        env=(
            ("SHELL", "bash"),
            ("HOME", HOME),
            ("container", "podman"),
            ("CONTAINER_ID", name),
            ("PATH", "/usr/bin:/bin"),
            ("EDITOR", "vim"),
        ),
        image_env=(("PATH", "/usr/bin:/bin"),),
        mounts=DEVBOX_MOUNTS,
        privileged=True,
        network="host",
        pid="host",
        ipc="host",
        devices=("/dev/fuse",),
        security_opt=("label=disable", "apparmor=unconfined", "seccomp=unconfined"),
    )
    return replace(made, **changes)  # type: ignore[arg-type]


@pytest.fixture
def engine() -> FakeEngine:
    fake = FakeEngine()
    fake.add_image((BASE,))
    fake.on_exec = lambda _name, _argv: (0, "apt-mark showmanual\nbash\ngit\nhello\n")
    fake.on_run_once = lambda _image, _argv: (0, "apt-mark showmanual\nbash\n")
    return fake


@pytest.fixture
def ctx(paths: Paths, engine: FakeEngine) -> Context:
    paths = replace(paths, home=paths.cwd.parent / "home")  # distrobox's files are looked for there
    context = Context(paths=paths, _engine=engine, wait=0)  # type: ignore[arg-type]
    context._facts = replace(FACTS, home=str(paths.home))
    return context


def distrobox_box(engine: FakeEngine, name: str = "devbox", **changes: object) -> str:
    box_id = engine.add_container(name, BASE, {"manager": "distrobox"})
    engine.boxes[box_id].state = "running"
    engine.settings[box_id] = details(box_id, name, **changes)
    return box_id


def test_entry_args_are_read_as_distrobox_init_takes_them() -> None:
    args = entry_args(DEVBOX_ARGS)
    assert args.additional_packages == ("git", "vim")
    assert args.init_hooks == "touch /etc/devbox-ready"
    assert (args.init, args.nvidia, args.home) == (False, True, HOME)
    assert entry_args(("--init", "1", "--", "")).init_hooks == ""
    assert entry_args(("--", ": ; a && b")).init_hooks == "a && b"


def test_kind_needs_the_creators_marks() -> None:
    made = details("1", "devbox")
    assert kind_of(made) == "distrobox"
    toolbx_image_only = replace(
        made,
        info=replace(made.info, labels={"com.github.containers.toolbox": "true"}),
        command=("sleep", "1"),
    )
    assert kind_of(toolbx_image_only) is None  # a toolbx image's label alone
    toolbx = replace(toolbx_image_only, command=("toolbox", "init-container", "--home", HOME))
    assert kind_of(toolbx) == "toolbx"


def test_distrobox_own_mounts_and_env_are_left_out() -> None:
    settings = settings_of(details("1", "devbox"), "distrobox", ("laptop",), HOME)
    assert settings.volumes == ("/srv/data:/srv/data:ro", "cache:/cache")
    assert settings.env == (("EDITOR", "vim"),)
    assert settings.unshare == ()
    assert settings.hostname is None
    assert settings.podman_args == ("--device", "/dev/fuse", "--security-opt", "seccomp=unconfined")


def test_unshared_namespaces_custom_home_and_hostname() -> None:
    made = details(
        "1",
        "initbox",
        network="private",
        pid="private",
        hostname="initbox",
        env=(("HOME", "/home/ana/boxes/i"), ("DISTROBOX_HOST_HOME", HOME)),
        mounts=(bind("/home/ana/boxes/i", "/home/ana/boxes/i"), bind("/tmp", "/tmp")),
    )
    made = replace(made, info=replace(made.info, labels={"distrobox.unshare_groups": "1"}))
    settings = settings_of(made, "distrobox", ("laptop",), HOME)
    assert settings.unshare == ("netns", "process", "devsys", "groups")
    assert settings.custom_home == "/home/ana/boxes/i"
    assert settings.volumes == ()
    assert settings.hostname == "initbox"
    init = replace(made, command=("--init", "1"))
    assert settings_of(init, "distrobox", (), HOME).unshare == ("netns", "devsys")


def test_the_written_profile(ctx: Context, engine: FakeEngine) -> None:
    distrobox_box(engine)
    result = adopt(ctx, "devbox")
    text = (ctx.paths.cwd / "profiles" / "devbox.yaml").read_text()
    assert_golden("adopt/devbox.yaml", text)
    assert result.packages_found_by == "apt-mark showmanual, compared with the image's"
    assert not result.taken_over and load_state(ctx.paths, "devbox") is None
    assert [c for c in engine.calls if c[0] != "exec"] == []  # the container is only read


def test_packages_cannot_be_told(ctx: Context, engine: FakeEngine) -> None:
    box = distrobox_box(engine)
    engine.boxes[box].state = "exited"
    result = adopt(ctx, "devbox", output=Path("stopped.yaml"))
    assert "stopped" in result.notes[0]
    assert "hello" not in (ctx.paths.cwd / "stopped.yaml").read_text()
    engine.boxes[box].state = "running"
    engine.on_exec = lambda _n, _a: (3, "")
    result = adopt(ctx, "devbox", output=Path("none.yaml"))
    assert "no package manager" in result.notes[0]


def test_refusals(ctx: Context, engine: FakeEngine) -> None:
    with pytest.raises(EnvNotFound):
        adopt(ctx, "nothing")
    plain = engine.add_container("plain", BASE)
    engine.settings[plain] = replace(details(plain, "plain"), entrypoint=(), command=())
    engine.settings[plain] = replace(
        engine.settings[plain], info=replace(engine.settings[plain].info, labels={})
    )
    with pytest.raises(NotAdoptable):
        adopt(ctx, "plain")
    distrobox_box(engine)
    with pytest.raises(UsageError):
        adopt(ctx, "devbox", name="other", take_over=True)
    with pytest.raises(UsageError):
        adopt(ctx, "devbox", name="bad/name")
    adopt(ctx, "devbox")
    with pytest.raises(Aborted):
        adopt(ctx, "devbox")
    adopt(ctx, "devbox", force=True, take_over=True)
    with pytest.raises(NotAdoptable):  # envman's own now
        adopt(ctx, "devbox", force=True)


def test_take_over_records_the_container(ctx: Context, engine: FakeEngine) -> None:
    box = distrobox_box(engine)
    with pytest.raises(NameClash):  # no label says it is envman's: not its environment yet
        from envman.ops import envs

        envs.stop(ctx, "devbox")
    result = adopt(ctx, "devbox", take_over=True)
    assert result.taken_over
    state = load_state(ctx.paths, "devbox")
    assert state is not None and state.container_id == box and state.image_id == ""
    assert [row.name for row in listing.list_envs(ctx)] == ["devbox"]
    with pytest.raises(NotAdoptable):  # envman's now
        adopt(ctx, "devbox", force=True, take_over=True, output=Path("again.yaml"))
    other = distrobox_box(engine, "devbox2")
    save_state(ctx.paths, replace(state, name="devbox2", container_id="gone"))
    with pytest.raises(NameClash):  # a record of another container of that name
        adopt(ctx, "devbox2", take_over=True)
    assert engine.boxes[other].state == "running"


def test_distrobox_exports_on_the_host(tmp_path: Path) -> None:
    apps, bins = tmp_path / "applications", tmp_path / "bin"
    apps.mkdir()
    bins.mkdir()
    (apps / "devbox-org.gnome.gedit.desktop").write_text(
        "[Desktop Entry]\nName=Gedit (on devbox)\nExec=/usr/bin/distrobox-enter  -n devbox  --"
        "   gedit %U\n"
    )
    (apps / "devbox-other.desktop").write_text("[Desktop Entry]\nExec=other\n")
    (apps / "devbox2-x.desktop").write_text("Exec=distrobox enter -n devbox2 -- x\n")
    (bins / "rg").write_text(
        '#!/bin/sh\n# distrobox_binary\n# name: devbox\nif [ -z "${CONTAINER_ID}" ]; then\n'
        '\texec "/usr/bin/distrobox-enter"  -n devbox  --  \'/usr/bin/rg\'  "$@"\nfi\n'
    )
    (bins / "fd").write_text("#!/bin/sh\n# distrobox_binary\n# name: devbox2\n")
    (bins / "mine").write_text("#!/bin/sh\nexec distrobox-enter -n devbox -- /usr/bin/mine\n")
    found = find_exports((apps,), bins, "devbox")
    assert [(e.kind, e.key) for e in found] == [("app", "org.gnome.gedit"), ("bin", "/usr/bin/rg")]


def test_a_failed_take_over_leaves_everything_as_it_was(ctx: Context, engine: FakeEngine) -> None:
    distrobox_box(engine)
    apps = ctx.paths.home / ".local/share/applications"
    apps.mkdir(parents=True)
    launcher = apps / "devbox-hello.desktop"
    text = "[Desktop Entry]\nExec=/usr/bin/distrobox-enter -n devbox -- hello\n"
    launcher.write_text(text)

    def refuse(_name: str, argv: list[str]) -> tuple[int, str]:
        if "envman-pkg-manual" in argv:  # the package listing works; exporting then fails
            return 0, "apt-mark showmanual\nhello\n"
        raise ContainerFailed("podman could not run sh in devbox: gone")

    engine.on_exec = refuse
    with pytest.raises(ContainerFailed):
        adopt(ctx, "devbox", take_over=True)
    assert launcher.read_text() == text  # put back
    assert not (ctx.paths.state / "adopted" / "devbox" / "applications" / launcher.name).exists()
    assert load_state(ctx.paths, "devbox") is None
    assert listing.list_envs(ctx) == []


def test_podman_inspect_read_as_details() -> None:
    from envman.engine.podman_api import _details

    attrs = {
        "Id": "c1",
        "Name": "devbox",
        "Image": "i1",
        "ImageName": BASE,
        "State": {"Status": "running"},
        "Args": ["--init", "0", "--", ": ; true"],
        "Config": {
            "Hostname": "laptop",
            "Entrypoint": "/usr/bin/entrypoint",
            "Env": ["HOME=/root", "A=b=c"],
            "Labels": {"manager": "distrobox"},
            "CreateCommand": ["podman", "create", "--ipc", "host", "--network=host", BASE],
        },
        "HostConfig": {"Privileged": True, "NetworkMode": "host", "IpcMode": "shareable"},
        "Mounts": [{"Type": "bind", "Source": "/srv", "Destination": "/srv", "RW": False}],
    }
    made = _details(attrs, {"Config": {"Env": ["PATH=/bin"]}})
    assert made.ipc == "host"  # podman 4.3 says "shareable" for `--ipc host`
    assert made.network == "host" and made.pid == ""
    assert made.entrypoint == ("/usr/bin/entrypoint",)
    assert made.env == (("HOME", "/root"), ("A", "b=c"))
    assert made.image_env == (("PATH", "/bin"),)
    assert made.mounts == (MountDetails("bind", "/srv", "/srv", read_only=True),)
    assert kind_of(made) == "distrobox"
