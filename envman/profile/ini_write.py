"""distrobox-assemble ini writer: resolved profiles as a file distrobox >= 1.5 reads alike."""

from __future__ import annotations

import shlex

from envman.errors import ProfileSchemaError
from envman.profile.ini_syntax import SHELL_CHARS, quote_state, strip_home
from envman.profile.keys import ini_lost, ini_since
from envman.profile.model import UNSHARE_OPTIONS, FileLine, Hook, Profile

FILE_HEADER = "# Written by envman for distrobox >= 1.5: distrobox assemble create --file FILE\n"
# first distrobox release whose assemble knows the key (assemble itself appeared in 1.5.0)
SINCE = ini_since()
SWITCHES = ("display", "audio", "dbus", "ssh_agent", "gpg_agent", "kerberos")
HOOK_KEYS = {"before-packages": "pre_init_hooks", "after-packages": "init_hooks"}
SKIPPED_HOOKS = {
    "create": "distrobox has no create-time hooks, and it runs init_hooks at every start",
    "host": "distrobox hooks run inside the container, never on the host",
    "script": "a hook script file cannot be carried in the ini",
}
REEVALUATED = "$`\"'\\"


def write_ini_profiles(profiles: list[Profile]) -> tuple[str, list[str]]:
    """An assemble file for the (resolved) profiles, plus warnings for what it cannot express."""
    warnings: list[str] = []
    blocks = [SectionWriter(p, warnings).text() for p in profiles]
    return "\n".join([FILE_HEADER, *blocks]), warnings


def portable_lines(key: str, value: str) -> list[str] | None:
    """The lines `profile export --ini` writes for one value (as distrobox 1.x reads it), which
    both versions read alike; None when no such spelling exists."""
    writer = SectionWriter(Profile("portable", FileLine("-", 1)), [])
    try:
        if key in HOOK_KEYS.values():
            lines = writer.split_at_semicolons(key, value)
            return [f"{key}={writer.hook_value(key, line)}" for line in lines]
        home_ok = key in ("home", "volume", "exported_bins_path")
        quotes_ok = key == "additional_flags"
        text = writer.literal(key, value, home_ok=home_ok, quotes_ok=quotes_ok)
        return [f"{key}={writer.quote(key, text)}"]
    except ProfileSchemaError:
        return None


class SectionWriter:
    """One profile as a `[name]` block, keys in a fixed order."""

    def __init__(self, profile: Profile, warnings: list[str]) -> None:
        self.p = profile
        self.warnings = warnings
        self.lines: list[str] = []
        self.keys: set[str] = set()

    def fail(self, key: str, problem: str, hint: str | None = None) -> ProfileSchemaError:
        """distrobox would read the value as something else: refuse to write it."""
        return ProfileSchemaError(f"{self.p.name}: {key}: {problem}", hint)

    def warn(self, key: str, message: str) -> None:
        """Something the ini cannot express; the file is still written."""
        self.warnings.append(f"{self.p.name}: {key}: {message}")

    def put(self, key: str, value: str) -> None:
        """One `key=value` line (the value already checked and quoted)."""
        if key in SINCE and key not in self.keys:
            self.warn(key, f"needs distrobox >= {SINCE[key]}")
        self.keys.add(key)
        self.lines.append(f"{key}={value}")

    def text(self) -> str:
        """The whole block, ending in a newline."""
        self.header()
        self.scalars()
        self.booleans()
        self.lists()
        self.hooks()
        self.exports()
        self.unexpressed()
        return "\n".join(self.lines) + "\n"

    def header(self) -> None:
        """Name, version and description as comment lines (never inline)."""
        p = self.p
        if p.name == "DEFAULT":
            raise self.fail("name", "[DEFAULT] is reserved", "distrobox 2.x reads no box from it")
        self.lines.append(f"# {p.name}" + (f" (version {p.version})" if p.version else ""))
        for line in (p.description or "").splitlines():
            self.lines.append(f"# {line}".rstrip())
        self.lines.append(f"[{p.name}]")

    def scalars(self) -> None:
        """image, clone, hostname, home."""
        p = self.p
        for key, value in (
            ("image", p.image),
            ("clone", p.distrobox.clone),
            ("hostname", p.hostname),
            ("home", p.integration.custom_home),
        ):
            if value is not None:
                self.put(key, self.quote(key, self.literal(key, value, home_ok=key == "home")))

    def booleans(self) -> None:
        """Integration switches, unshare options and the distrobox-only switches."""
        i, d = self.p.integration, self.p.distrobox
        flags = [("init", i.init), ("nvidia", i.nvidia), ("root", i.root)]
        flags += [(f"unshare_{o}", True) for o in UNSHARE_OPTIONS if o in i.unshare]
        flags += [
            ("entry", d.entry),
            ("start_now", d.start_now),
            ("pull", d.pull),
            ("replace", d.replace),
        ]
        for key, value in flags:
            if value is not None:
                self.put(key, "true" if value else "false")
        if d.replace:
            self.warn(
                "replace",
                "distrobox 1.x (>= 1.8.0) also replaces the sections after this "
                "one; 2.x ignores the key",
            )

    def lists(self) -> None:
        """Packages on one line; one line per volume, per env entry, and for the podman args."""
        p = self.p
        if p.packages:
            words = [self.word("additional_packages", pkg) for pkg in p.packages]
            self.put("additional_packages", self.quote("additional_packages", " ".join(words)))
        for volume in p.volumes:
            self.put("volume", self.word("volume", volume, home_ok=True))
        for name, value in p.env:
            pair = self.literal("additional_flags", f"{name}={value}", quotes_ok=True)
            self.flags(f"--env {shlex.quote(pair)}")
        if p.podman_args:
            for arg in p.podman_args:
                self.literal("additional_flags", arg, quotes_ok=True)
            self.flags(shlex.join(p.podman_args))

    def flags(self, line: str) -> None:
        """One additional_flags line; distrobox 2.x splits it on whitespace."""
        if shlex.split(line) != line.split():
            self.warn(
                "additional_flags", f"distrobox 2.x splits flags on whitespace, which breaks {line}"
            )
        self.put("additional_flags", self.quote("additional_flags", line))

    def exports(self) -> None:
        """exported_apps, exported_bins (one line each) and exported_bins_path."""
        e = self.p.exports
        for key, items in (("exported_apps", e.apps), ("exported_bins", e.bins)):
            if items:
                self.put(key, self.quote(key, " ".join(self.word(key, item) for item in items)))
        if e.bins_path is not None:
            path = self.literal("exported_bins_path", e.bins_path, home_ok=True)
            self.put("exported_bins_path", self.quote("exported_bins_path", path))

    def literal(
        self, key: str, value: str, *, home_ok: bool = False, quotes_ok: bool = False
    ) -> str:
        """A non-hook value both distrobox versions read as written, or a ProfileSchemaError."""
        self.one_trimmed_line(key, value)
        rest = strip_home(value) if home_ok else value
        if "$" in rest or "`" in rest:
            raise self.fail(
                key,
                f"'$' or '`' in {value!r}",
                "distrobox 1.x would expand it on the host; write the value out",
            )
        bad = [c for c in ("\\" if quotes_ok else SHELL_CHARS) if c in value]
        if bad:
            raise self.fail(
                key, f"'{bad[0]}' in {value!r}", "distrobox 1.x would read it as shell syntax"
            )
        return value

    def one_trimmed_line(self, key: str, value: str) -> None:
        """Refuse what either version reads differently: padding, line breaks, comment marks."""
        if not value or value != value.strip() or any(c in value for c in "\n\r\t\0"):
            raise self.fail(
                key,
                f"{value!r} is empty, padded or spans lines",
                "distrobox reads one trimmed line per value",
            )
        for char in "#;":
            if char in value:
                raise self.fail(
                    key, f"'{char}' in {value!r}", "distrobox 2.x would start a comment there"
                )

    def word(self, key: str, value: str, *, home_ok: bool = False) -> str:
        """An item of a whitespace-split list."""
        if " " in value:
            raise self.fail(
                key, f"{value!r} contains a space", "distrobox splits this key on whitespace"
            )
        return self.literal(key, value, home_ok=home_ok)

    def quote(self, key: str, value: str) -> str:
        """Double quotes around a value with spaces; the other kind when it holds double quotes."""
        if " " not in value and value[:1] not in ("'", '"'):
            return value
        for mark in ('"', "'"):
            if mark not in value:
                return f"{mark}{value}{mark}"
        raise self.fail(
            key, f"{value!r} holds both kinds of quotes", "distrobox could not read it back"
        )

    def hooks(self) -> None:
        """sh and run hooks as pre_init_hooks/init_hooks lines; other kinds are skipped."""
        chains: dict[str, list[list[str]]] = {key: [] for key in HOOK_KEYS.values()}
        whens: set[str] = set()
        for hook in self.p.hooks:
            lines = self.hook_lines(hook)
            if lines:
                chains[HOOK_KEYS[hook.stage]].append(lines)
                whens.add(hook.when)
        for key, hooks in chains.items():
            for n, lines in enumerate(hooks):
                self.chain_end(key, lines[-1], last=n + 1 == len(hooks))
                for line in lines:
                    self.put(key, self.hook_value(key, line))
        self.hook_notes(
            [line for hooks in chains.values() for lines in hooks for line in lines], whens
        )

    def hook_lines(self, hook: Hook) -> list[str] | None:
        """The lines of one hook; every line but the last ends in ';' or '&&'."""
        key = HOOK_KEYS[hook.stage]
        kind = "script" if hook.kind == "script" else hook.when
        if kind in SKIPPED_HOOKS:
            self.warn(key, f"skipped a {kind} hook: {SKIPPED_HOOKS[kind]}")
            return None
        if hook.kind == "run":
            prefix = " ".join(shlex.quote(f"{k}={v}") for k, v in hook.env)
            return [f"env {prefix} {shlex.join(hook.run)}" if prefix else shlex.join(hook.run)]
        if hook.env:
            self.warn(key, "skipped an sh hook with env: distrobox hooks have no environment")
            return None
        return self.sh_lines(key, hook.sh or "")

    def sh_lines(self, key: str, sh: str) -> list[str]:
        """An sh hook's lines as distrobox joins them: each but the last ends in ';' or '&&'."""
        lines = [part for raw in sh.split("\n") for part in self.split_at_semicolons(key, raw)]
        for line in lines[:-1]:
            if not line.endswith((";", "&&")):
                raise self.fail(
                    key,
                    f"the hook line {line!r} does not end in ';' or '&&'",
                    "distrobox joins hook lines with '&&'; end each line of a "
                    "multi-line sh hook with ';' or '&&'",
                )
        return lines

    def split_at_semicolons(self, key: str, line: str) -> list[str]:
        """`a; b` as `a;` and `b`: distrobox 1.x joins them back with a space."""
        parts: list[str] = []
        start = 0
        for i, char in enumerate(line):
            if char == ";" and not quote_state(line[:i]):
                parts.append(line[start : i + 1].strip())
                start = i + 1
        parts.append(line[start:].strip())
        if ";" in parts:
            raise self.fail(key, f"';;' in {line!r}", "distrobox would join it into a syntax error")
        return [part for part in parts if part]

    def chain_end(self, key: str, line: str, *, last: bool) -> None:
        """A hook's last line must not chain into the next hook (or into nothing)."""
        if line.endswith("&&"):
            raise self.fail(
                key,
                f"the hook ends in '&&' ({line!r})",
                "distrobox would chain it into the next hook, or fail on the last",
            )
        if line.endswith(";") and not last:
            self.warn(
                key,
                f"the hook ending in {line!r} joins the next one: distrobox runs "
                "that even if this one fails",
            )

    def hook_value(self, key: str, line: str) -> str:
        """A hook line both versions read as written, quoted when that is safe."""
        checks = (
            (any(c in line for c in "\n\r\t\0"), "spans lines or holds a tab"),
            ("#" in line, "holds '#', which distrobox reads as a comment"),
            (";" in line[:-1], "holds ';' inside, after which distrobox 2.x drops the rest"),
            (line.endswith("\\"), "ends in '\\', so distrobox 2.x joins the next line"),
            (line.startswith(("`", '"""')), "starts with a quote distrobox 2.x reads specially"),
            (line.endswith(("&", "|")) and not line.endswith("&&"), "ends in '&' or '|'"),
            (bool(quote_state(line)), "has unbalanced quotes"),
            (line.endswith(";") and line[0] in "\"'", "starts with a quote and ends in ';'"),
        )
        for failed, problem in checks:
            if failed:
                raise self.fail(key, f"{line!r} {problem}", "rewrite the hook (or keep it in YAML)")
        return line if line.endswith(";") else self.quote(key, line)

    def hook_notes(self, written: list[str], whens: set[str]) -> None:
        """Warnings that hold for the written hooks as a whole."""
        if "build" in whens:
            self.warn(
                "hooks",
                "distrobox runs pre_init_hooks and init_hooks at every container "
                "start; envman runs build hooks once",
            )
        if any(line.endswith(";") for line in written):
            self.warn("hooks", "distrobox 2.x drops a final ';' and joins the next line with '&&'")
        if any(c in line for line in written for c in REEVALUATED):
            self.warn(
                "hooks",
                "distrobox 1.x evaluates hooks once more on the host: quotes, '$', "
                "backticks and backslashes may be lost or expanded there",
            )

    def unexpressed(self) -> None:
        """Warnings for settings the ini cannot carry."""
        p, i = self.p, self.p.integration
        for name in SWITCHES:
            if getattr(i, name) is False:
                self.warn(f"integration.{name}", "distrobox always shares it with the host")
        if i.home is False:
            self.warn("integration.home", "distrobox always mounts a home; false is lost")
        for key, warning in ini_lost(p):
            self.warn(key, warning)
        for key, value in (("version", p.version), ("description", p.description)):
            if value:
                self.warn(key, "kept only as a comment")
