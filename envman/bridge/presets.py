"""Built-in rule sets: a native-messaging host app (KeePassXC, 1Password) with one browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from envman.bridge.rules import FlatpakCommand, HostCommand, Locator, Rule, RuleProvenance

JSON_PATH = Locator("json", "/path")


@dataclass(frozen=True)
class Browser:
    """Where a browser reads per-user native-messaging manifests, on the host and as a Flatpak."""

    name: str
    host_dir: str
    flatpak_id: str
    flatpak_dir: str  # below ~/.var/app/<flatpak_id>/


@dataclass(frozen=True)
class HostApp:
    """A native-messaging host: its manifest name, its Flatpak command and/or its host program."""

    name: str
    manifest: str
    flatpak_app: str | None
    flatpak_command: str | None
    host_program: str | None


# research/path-bridge.md section 1.2 (browser directories) and 1.3/2.1 (what the apps write).
BROWSERS = (
    Browser(
        "firefox",
        "~/.mozilla/native-messaging-hosts",
        "org.mozilla.firefox",
        ".mozilla/native-messaging-hosts",
    ),
    Browser(
        "librewolf",
        "~/.librewolf/native-messaging-hosts",
        "io.gitlab.librewolf-community",
        ".librewolf/native-messaging-hosts",
    ),
    Browser(
        "chromium",
        "~/.config/chromium/NativeMessagingHosts",
        "org.chromium.Chromium",
        "config/chromium/NativeMessagingHosts",
    ),
    Browser(
        "ungoogled-chromium",
        "~/.config/chromium/NativeMessagingHosts",
        "io.github.ungoogled_software.ungoogled_chromium",
        "config/chromium/NativeMessagingHosts",
    ),
    Browser(
        "chrome",
        "~/.config/google-chrome/NativeMessagingHosts",
        "com.google.Chrome",
        "config/google-chrome/NativeMessagingHosts",
    ),
    Browser(
        "brave",
        "~/.config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
        "com.brave.Browser",
        "config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
    ),
    Browser(
        "vivaldi",
        "~/.config/vivaldi/NativeMessagingHosts",
        "com.vivaldi.Vivaldi",
        "config/vivaldi/NativeMessagingHosts",
    ),
    Browser(
        "edge",
        "~/.config/microsoft-edge/NativeMessagingHosts",
        "com.microsoft.Edge",
        "config/microsoft-edge/NativeMessagingHosts",
    ),
)

HOST_APPS = (
    HostApp(
        "keepassxc",
        "org.keepassxc.keepassxc_browser.json",
        "org.keepassxc.KeePassXC",
        "keepassxc-proxy",
        "/usr/bin/keepassxc-proxy",
    ),
    HostApp(
        "1password",
        "com.1password.1password.json",
        None,
        None,
        "/opt/1Password/1Password-BrowserSupport",
    ),
)

PRESETS: dict[str, tuple[HostApp, Browser]] = {
    f"{app.name}-{browser.name}": (app, browser) for app in HOST_APPS for browser in BROWSERS
}

Expand = Callable[[str], Path]


def flatpak_bad_values(flatpak_app: str, command: str) -> str:
    """What a Flatpak build writes that no browser in another sandbox can run."""
    return re.escape(f"/app/bin/{command}") + r"|.*/exports/bin/" + re.escape(flatpak_app)


def preset_rules(name: str, source: RuleProvenance, expand: Expand) -> list[Rule]:
    """The rules of preset NAME, all labelled with SOURCE (where the preset was enabled)."""
    app, browser = PRESETS[name]
    var_app = f"~/.var/app/{browser.flatpak_id}"
    flatpak_dir = f"{var_app}/{browser.flatpak_dir}"
    rules: list[Rule] = []

    def add(
        variant: str,
        directory: str,
        match: str,
        replace: FlatpakCommand | HostCommand,
        mirror: str | None,
    ) -> None:
        rules.append(
            Rule(
                id=f"{name}.{variant}",
                dir=expand(directory),
                glob=app.manifest,
                locator=JSON_PATH,
                match=match,
                replace=replace,
                mirror=expand(mirror) if mirror else None,
                requires=None if replace.consumer == "host" else expand(var_app),
                source=RuleProvenance(f"preset {name}", source.file, source.line),
            )
        )

    if app.flatpak_app and app.flatpak_command:
        in_app, command = app.flatpak_app, app.flatpak_command
        # A host browser can run the exported wrapper; only the in-sandbox path is broken for it.
        add(
            "flatpak-app-host-browser",
            browser.host_dir,
            re.escape(f"/app/bin/{command}"),
            FlatpakCommand(in_app, command),
            None,
        )
        for_browser = FlatpakCommand(in_app, command, browser.flatpak_id)
        add(
            "flatpak-app-flatpak-browser",
            browser.host_dir,
            flatpak_bad_values(in_app, command),
            for_browser,
            flatpak_dir,
        )
        add(
            "flatpak-app-flatpak-browser-dir",
            flatpak_dir,
            flatpak_bad_values(in_app, command),
            for_browser,
            None,
        )
    if app.host_program:
        host = HostCommand(app.host_program, browser.flatpak_id)
        add(
            "host-app-flatpak-browser",
            browser.host_dir,
            re.escape(app.host_program),
            host,
            flatpak_dir,
        )
        add("host-app-flatpak-browser-dir", flatpak_dir, re.escape(app.host_program), host, None)
    return rules
