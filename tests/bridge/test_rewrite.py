"""Pure rewrites of real manifest contents: only known-bad values, strict parsing, fixpoints."""

from __future__ import annotations

import json
import re

import pytest

from envman.bridge.presets import flatpak_bad_values
from envman.bridge.rewrite import rewrite
from envman.bridge.rules import Locator
from tests.bridge.conftest import DATA

PATH = Locator("json", "/path")
KPXC_BAD = re.compile(flatpak_bad_values("org.keepassxc.KeePassXC", "keepassxc-proxy"))
WRAPPER = "/var/home/ada/.local/share/envman/bridge/bin/org.keepassxc.KeePassXC.keepassxc-proxy"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_keepassxc_firefox_manifest_only_path_changes() -> None:
    original = data("keepassxc-firefox.json")
    out = rewrite(original, PATH, KPXC_BAD, WRAPPER)
    assert out.status == "rewrite"
    assert (out.old, out.new) == ("/app/bin/keepassxc-proxy", WRAPPER)
    assert out.content is not None
    # Qt's layout (4 spaces, key order, final newline) survives: only the path line differs.
    before, after = original.decode().splitlines(), out.content.decode().splitlines()
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [6]
    assert after[6] == f'    "path": "{WRAPPER}",'
    assert out.content.endswith(b"}\n")


def test_flathub_exports_path_in_a_chromium_manifest() -> None:
    out = rewrite(data("keepassxc-chromium-flathub.json"), PATH, KPXC_BAD, WRAPPER)
    assert out.status == "rewrite"
    assert out.content is not None
    doc = json.loads(out.content)
    assert doc["path"] == WRAPPER
    assert doc["allowed_origins"][1] == "chrome-extension://oboonakemofpalcgghocfoadofidjkkk/"


def test_two_space_manifest_keeps_its_indent_and_order() -> None:
    original = data("1password-firefox.json")
    out = rewrite(
        original,
        PATH,
        re.compile(re.escape("/opt/1Password/1Password-BrowserSupport")),
        "/x/host.1Password-BrowserSupport",
    )
    assert out.content is not None
    assert out.content.decode() == original.decode().replace(
        "/opt/1Password/1Password-BrowserSupport", "/x/host.1Password-BrowserSupport"
    )


def test_compact_manifest_stays_compact_without_final_newline() -> None:
    original = data("bitwarden-chrome-compact.json")
    out = rewrite(original, PATH, re.compile("/app/bin/desktop_proxy"), "/w/desktop_proxy")
    assert out.content == original.replace(b"/app/bin/desktop_proxy", b"/w/desktop_proxy")


def test_rewrite_is_a_fixpoint() -> None:
    first = rewrite(data("keepassxc-firefox.json"), PATH, KPXC_BAD, WRAPPER)
    assert first.content is not None
    again = rewrite(first.content, PATH, KPXC_BAD, WRAPPER)
    assert again.status == "ok"
    assert again.content is None


@pytest.mark.parametrize(
    "value",
    [
        "/usr/bin/keepassxc-proxy",
        "/home/ada/bin/my-proxy",
        "/run/user/1000/doc/ab12/keepassxc-proxy",
    ],
)
def test_user_customisations_are_left_alone(value: str) -> None:
    text = data("keepassxc-firefox.json").replace(b"/app/bin/keepassxc-proxy", value.encode())
    out = rewrite(text, PATH, KPXC_BAD, WRAPPER)
    assert (out.status, out.content, out.old) == ("custom", None, value)


def test_every_truncation_of_a_manifest_is_left_alone() -> None:
    # KeePassXC truncates and rewrites in place: any prefix may be read mid-write.
    original = data("keepassxc-firefox.json")
    for cut in range(len(original) - 1):
        out = rewrite(original[:cut], PATH, KPXC_BAD, WRAPPER)
        assert out.status == "malformed", (cut, out)
        assert out.content is None


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b'{"path": "/app/bin/keepassxc-proxy", "path": "/x"}', "duplicate key"),
        (b'{"path": "/app/bin/keepassxc-proxy", "n": NaN}', "NaN"),
        (b'["/app/bin/keepassxc-proxy"]', "not a JSON object"),
        (b'\xff\xfe{"path": 1}', "not UTF-8"),
        (b'{"path": "/app/bin/keepassxc-proxy"} trailing', "not valid JSON"),
    ],
)
def test_malformed_json(text: bytes, detail: str) -> None:
    out = rewrite(text, PATH, KPXC_BAD, WRAPPER)
    assert out.status == "malformed"
    assert detail in out.detail


def test_missing_and_non_string_values() -> None:
    assert rewrite(b'{"name": "x"}\n', PATH, KPXC_BAD, WRAPPER).status == "missing"
    assert rewrite(b'{"path": 3}\n', PATH, KPXC_BAD, WRAPPER).status == "custom"


def test_json_pointer_into_nested_values() -> None:
    text = b'{"a/b": {"list": ["keep", "/app/bin/keepassxc-proxy"]}}\n'
    out = rewrite(text, Locator("json", "/a~1b/list/1"), KPXC_BAD, WRAPPER)
    assert out.content is not None
    assert json.loads(out.content) == {"a/b": {"list": ["keep", WRAPPER]}}


def test_equivalent_wrappers_count_as_bad() -> None:
    other = "/var/home/ada/.var/app/org.mozilla.firefox/data/envman-bridge/x"
    text = data("keepassxc-firefox.json").replace(b"/app/bin/keepassxc-proxy", other.encode())
    assert rewrite(text, PATH, KPXC_BAD, WRAPPER).status == "custom"
    out = rewrite(text, PATH, KPXC_BAD, WRAPPER, equivalent=frozenset({other}))
    assert (out.status, out.new) == ("rewrite", WRAPPER)


def test_crlf_and_non_ascii_are_kept() -> None:
    text = '{\r\n    "description": "Schlüssel",\r\n    "path": "/app/bin/keepassxc-proxy"\r\n}\r\n'
    out = rewrite(text.encode(), PATH, KPXC_BAD, WRAPPER)
    assert out.content == text.replace("/app/bin/keepassxc-proxy", WRAPPER).encode()


def test_ini_replaces_group_one_in_its_section_only() -> None:
    original = data("keepassxc.desktop")
    exec_ = Locator("ini", "Exec", "Desktop Entry")
    out = rewrite(original, exec_, re.compile("(/app/bin/keepassxc)( .*)?"), "/usr/bin/kpxc-wrap")
    assert out.status == "rewrite"
    assert out.content is not None
    text = out.content.decode()
    assert "Exec=/usr/bin/kpxc-wrap %f\n" in text
    assert "Exec[de]=/app/bin/keepassxc %f" in text  # another key
    assert "Exec=/app/bin/keepassxc --lock" in text  # another section
    assert "# the sandbox path breaks outside the Flatpak" in text
    again = rewrite(
        out.content, exec_, re.compile("(/app/bin/keepassxc)( .*)?"), "/usr/bin/kpxc-wrap"
    )
    assert again.status == "ok"


@pytest.mark.parametrize(
    ("text", "status"),
    [
        (b"[Desktop Entry]\nExec=/app/bin/keepassxc\nExec=/x\n", "malformed"),
        (b"[Desktop Entry\nExec=/app/bin/keepassxc\n", "malformed"),
        (b"[Desktop Entry]\nnot a key value line\n", "malformed"),
        (b"[Desktop Entry]\nExec=/app/bin/keepassxc", "malformed"),  # cut before its newline
        (b"[Other]\nExec=/app/bin/keepassxc\n", "missing"),
    ],
)
def test_ini_strictness(text: bytes, status: str) -> None:
    out = rewrite(
        text, Locator("ini", "Exec", "Desktop Entry"), re.compile("/app/bin/keepassxc"), "/w"
    )
    assert out.status == status


def test_regex_format_on_gpg_agent_conf() -> None:
    pinentry = Locator("regex", r"^pinentry-program\s+(\S+)$")
    out = rewrite(
        data("gpg-agent.conf"), pinentry, re.compile(r"/app/bin/pinentry-.*"), "/usr/bin/pinentry"
    )
    assert out.content is not None
    assert out.content.decode().splitlines() == [
        "# gpg-agent options",
        "default-cache-ttl 600",
        "pinentry-program /usr/bin/pinentry",
        "allow-loopback-pinentry",
    ]
    assert (
        rewrite(
            out.content, pinentry, re.compile(r"/app/bin/pinentry-.*"), "/usr/bin/pinentry"
        ).status
        == "ok"
    )


def test_regex_format_rewrites_every_bad_match() -> None:
    text = b"Host a\n  ProxyCommand /app/bin/devpod ssh a\nHost b\n  ProxyCommand /usr/bin/nc b\n"
    proxy = Locator("regex", r"ProxyCommand (\S+)")
    out = rewrite(text, proxy, re.compile("/app/bin/devpod"), "/w/devpod")
    assert out.content == text.replace(b"/app/bin/devpod", b"/w/devpod")
    assert rewrite(b"Host a\n", proxy, re.compile("x"), "/w").status == "missing"


DEEP = "[" * 1000 + "]" * 1000  # 2 KB that once crashed the bridge with a RecursionError


@pytest.mark.parametrize(
    "text",
    [DEEP, '{"path": ' + DEEP + "}\n", '{"path": "/app/bin/keepassxc-proxy", "x": ' + DEEP + "}"],
)
def test_deeply_nested_json_is_malformed_not_a_crash(text: str) -> None:
    out = rewrite(text.encode(), PATH, KPXC_BAD, WRAPPER)
    assert (out.status, out.content) == ("malformed", None)
    assert "nested deeper than 64 levels" in out.detail


def test_nesting_up_to_the_limit_still_rewrites_and_brackets_in_strings_do_not_count() -> None:
    nested = "[" * 63 + "]" * 63
    text = '{"path": "/app/bin/keepassxc-proxy", "x": ' + nested + ', "s": "' + "[" * 99 + '"}'
    out = rewrite(text.encode(), PATH, KPXC_BAD, WRAPPER)
    assert out.status == "rewrite"
    assert out.content is not None
    assert json.loads(out.content)["x"] == json.loads(nested)
