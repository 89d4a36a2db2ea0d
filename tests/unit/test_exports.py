"""Exported launchers and wrappers: Desktop Entry parsing, Exec quoting, names, the ledger."""

from __future__ import annotations

from pathlib import Path

import pytest

from envman.exports import names
from envman.exports.desktop_entry import DesktopEntryError, parse, render
from envman.exports.exec_line import Arg, ExecError, join_exec, split_exec
from envman.exports.launcher import NotLaunchable, exported_entry, launcher_shim, wrapper_script
from envman.exports.ledger import (
    ExportRecord,
    FileRecord,
    Ledger,
    checksum,
    file_status,
    load_ledger,
    save_ledger,
)
from envman.paths import Paths
from tests.helpers import REPO, assert_golden

DATA = REPO / "tests" / "data" / "desktop"
SHIM = ["/home/u/.local/share/envman/bin/envman"]


def entry(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def export(name: str, **kwargs: object) -> str:
    options: dict[str, object] = {
        "env": "dev",
        "app_id": name,
        "launcher": SHIM,
        "icons": {},
        "label": True,
    }
    options.update(kwargs)
    return render(exported_entry(parse(entry(name)), **options))  # type: ignore[arg-type]


# --- Desktop Entry files ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["firefox-esr.desktop", "gedit.desktop", "hostile.desktop"])
def test_parse_then_render_keeps_every_line(name: str) -> None:
    assert render(parse(entry(name))) == entry(name)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Name=x\n", 1, "before the [Desktop Entry]"),
        ("[Other]\nName=x\n", 1, "first group"),
        ("[Desktop Entry]\nName=a\nName=b\n", 3, "appears twice"),
        ("[Desktop Entry]\n[Desktop Entry]\n", 2, "appears twice"),
        ("[Desktop Entry]\njust words\n", 2, "not a key=value"),
        ("[Desktop Entry]\nName=a\x1bb\n", 2, "control characters"),
        ("# only a comment\n", 1, "no [Desktop Entry]"),
    ],
)
def test_malformed_entries_are_refused_with_their_line(text: str, line: int, message: str) -> None:
    with pytest.raises(DesktopEntryError) as caught:
        parse(text)
    assert caught.value.line == line
    assert message in str(caught.value)


# --- Exec --------------------------------------------------------------------------------------


def test_split_exec_reads_quoting_escapes_and_field_codes() -> None:
    args = split_exec(r'sh -c "echo \\"$HOME\\" \\\\ done" 100%% %F %i')
    assert args == [
        Arg("sh"),
        Arg("-c"),
        Arg('echo "$HOME" \\ done'),
        Arg("100%"),
        Arg("%F", field_code=True),
        Arg("%i", field_code=True),
    ]


def test_deprecated_field_codes_are_dropped() -> None:
    assert split_exec("app %d %D %n %N %v %m %f") == [Arg("app"), Arg("%f", field_code=True)]


@pytest.mark.parametrize(
    "value",
    ['app "unterminated', "app x%uy", 'app "%u"', "%u app", 'app a"b', "", 'app "a"b'],
)
def test_exec_values_that_need_guessing_are_refused(value: str) -> None:
    with pytest.raises(ExecError):
        split_exec(value)


NASTY = [
    "plain",
    "with space",
    'double"quote',
    "single'quote",
    "back\\slash",
    "$(touch /tmp/pwned)",
    "`id`",
    "a;b&&c|d>e<f",
    "~/tilde",
    "glob*?#()",
    "percent%u%%",
    "",
    "é ü 中文",
]


@pytest.mark.parametrize("text", NASTY)
def test_join_then_split_gives_back_every_argument(text: str) -> None:
    args = [Arg("/usr/bin/app"), Arg(text), Arg("%U", field_code=True)]
    assert split_exec(join_exec(args)) == args


def test_control_characters_never_reach_an_exec_line() -> None:
    with pytest.raises(ExecError):
        join_exec([Arg("app"), Arg("two\nlines")])


# --- the exported launcher ---------------------------------------------------------------------


def test_firefox_launcher_golden() -> None:
    text = export("firefox-esr.desktop", icons={"firefox-esr": "envman-dev-firefox-esr"})
    assert_golden("exports/envman-dev-firefox-esr.desktop", text)


def test_gedit_launcher_golden_without_label() -> None:
    text = export("gedit.desktop", label=False)
    assert_golden("exports/envman-dev-gedit.desktop", text)
    assert "TryExec" not in text
    assert "DBusActivatable" not in text
    assert "StartupWMClass=gedit\n" in text


def test_hostile_launcher_quotes_everything_it_passes_on() -> None:
    text = export("hostile.desktop", env="my env", icons={"../../../../etc/evil": ""})
    launcher = parse(text)
    args = split_exec(launcher.main.get("Exec") or "")
    assert [a.text for a in args[:4]] == [*SHIM, "run", "my env", "--"]
    assert [a.text for a in args[4:]] == [
        "sh",
        "-c",
        'echo "$HOME"; touch /tmp/pwned',
        "'quoted",
        "arg'",
        "a;b",
        "`id`",
        "100%",
        "%F",
    ]
    assert args[-1].field_code
    assert "Icon" not in text
    assert_golden("exports/envman-hostile.desktop", text)


def test_every_action_runs_through_envman() -> None:
    launcher = parse(export("firefox-esr.desktop"))
    for group in launcher.actions():
        args = split_exec(group.get("Exec") or "")
        assert [a.text for a in args[:4]] == [*SHIM, "run", "dev", "--"]


LOCALISED_EXEC = (
    "[Desktop Entry]\n"
    "Type=Application\n"
    "Name=x\n"
    "Exec=app %u\n"
    "Exec[de]=sh -c 'touch /tmp/pwned'\n"
    "Exec[sr@latin] = rm -rf ~\n"
    "Actions=new;\n"
    "\n"
    "[Desktop Action new]\n"
    "Name=New\n"
    "Exec=app --new\n"
    "Exec[fr]=evil --new\n"
    "\n"
    "[X-Other Group]\n"
    "Exec=other\n"
)


def test_no_exec_variant_reaches_the_host_unwrapped() -> None:
    desktop = exported_entry(
        parse(LOCALISED_EXEC), env="dev", app_id="x.desktop", launcher=SHIM, icons={}, label=True
    )
    for group in desktop.groups:
        execs = [e for e in group.entries() if e.base_key == "Exec"]
        assert [e.key for e in execs] == ["Exec"], group.name
        args = split_exec(execs[0].value)
        assert [a.text for a in args[:4]] == [*SHIM, "run", "dev", "--"]
    assert "pwned" not in render(desktop) and "evil" not in render(desktop)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x1c", "\x0b", "\x0c"])
def test_lines_end_at_newline_only(separator: str) -> None:
    """A Unicode line separator is not a line end for the spec (nor for GLib)."""
    text = f"[Desktop Entry]\nType=Application\nName=x{separator}Exec=evil\nExec=app\n"
    try:
        desktop = parse(text)
    except DesktopEntryError as exc:
        assert exc.line == 3
        return
    assert desktop.main.get("Exec") == "app"
    assert desktop.main.get("Name") == f"x{separator}Exec=evil"


def test_names_get_the_environment_as_suffix() -> None:
    launcher = parse(export("firefox-esr.desktop"))
    assert launcher.main.get("Name") == "Firefox ESR (dev)"
    assert launcher.main.get("Name[de]") == "Firefox ESR (dev)"
    assert launcher.main.get("StartupWMClass") == "Firefox-esr"


def test_non_applications_and_dbus_only_entries_are_not_launchable() -> None:
    link = parse("[Desktop Entry]\nType=Link\nName=x\nURL=https://example.org\n")
    with pytest.raises(NotLaunchable):
        exported_entry(link, env="e", app_id="x.desktop", launcher=SHIM, icons={}, label=True)
    dbus = parse("[Desktop Entry]\nType=Application\nName=x\nDBusActivatable=true\n")
    with pytest.raises(NotLaunchable):
        exported_entry(dbus, env="e", app_id="x.desktop", launcher=SHIM, icons={}, label=True)


def test_wrapper_and_shim_golden() -> None:
    wrapper = wrapper_script("dev", "/usr/bin/ansible-playbook", SHIM)
    shim = launcher_shim(["/opt/envman/venv/bin/envman"])
    assert_golden("exports/wrapper.sh", wrapper + "\n# ---- shim ----\n" + shim)


def test_wrapper_quotes_hostile_names() -> None:
    text = wrapper_script("dev", "/opt/it's $(here)/bin", SHIM)
    assert "'/opt/it'\"'\"'s $(here)/bin'" in text


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["../x", "a b", "a'b", "a;b", "..desktop", "/abs", "a/b", ""])
def test_unsafe_desktop_ids_are_refused(value: str) -> None:
    with pytest.raises(names.UnsafeName):
        names.desktop_id(value)


def test_desktop_ids_follow_the_spec() -> None:
    assert names.desktop_id("org.gnome.gedit") == "org.gnome.gedit.desktop"
    assert names.desktop_id_of("/usr/share", "/usr/share/applications/kde4/okular.desktop") == (
        "kde4-okular.desktop"
    )
    assert names.desktop_id_of("/usr/share", "/usr/local/share/applications/x.desktop") is None


@pytest.mark.parametrize("value", ["../../etc/evil", "a b", "x*", "a/b", "$(id)", ".."])
def test_unsafe_icon_names_are_refused(value: str) -> None:
    with pytest.raises(names.UnsafeName):
        names.icon_name(value)


@pytest.mark.parametrize("value", ["relative/bin", "/usr/bin/a b", "/usr/bin/..", "/usr/bin/$x"])
def test_unsafe_binaries_are_refused(value: str) -> None:
    with pytest.raises(names.UnsafeName):
        names.bin_name(value)


# --- the ledger --------------------------------------------------------------------------------


def test_ledger_round_trip_and_file_status(paths: Paths, tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    ours.write_text("written by envman")
    changed = tmp_path / "changed"
    changed.write_text("written by envman")
    record = ExportRecord(
        "bin",
        "/usr/bin/x",
        "cli",
        "sha256:1",
        (
            FileRecord(str(ours), checksum(b"written by envman")),
            FileRecord(str(changed), checksum(b"written by envman")),
            FileRecord(str(tmp_path / "gone"), checksum(b"x")),
        ),
    )
    save_ledger(paths, Ledger("dev").with_record(record))
    changed.write_text("the user's own edit")
    loaded = load_ledger(paths, "dev")
    assert loaded.find("bin", "/usr/bin/x") == record
    assert [file_status(f) for f in record.files] == ["ours", "changed", "missing"]
    save_ledger(paths, loaded.without("bin", "/usr/bin/x"))
    assert not (paths.state / "exports" / "dev.json").exists()


def test_a_symlink_in_place_of_an_exported_file_is_not_ours(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_text("x")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert file_status(FileRecord(str(link), checksum(b"x"))) == "changed"
