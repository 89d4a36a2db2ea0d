"""distrobox-assemble ini reader: sections as Profiles, read as distrobox 1.x reads them."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import cast

from envman.profile import validate as v
from envman.profile.ini_lines import (
    BOOL_KEYS,
    SCALAR_KEYS,
    Section,
    Value,
    portable,
    split_sections,
)
from envman.profile.ini_syntax import SHELL_CHARS, quote_state, strip_home
from envman.profile.keys import KEYS
from envman.profile.model import (
    UNSHARE_OPTIONS,
    DistroboxCompat,
    Exports,
    FileLine,
    Hook,
    HookStage,
    HookWhen,
    Integration,
    Profile,
)

HOOK_STAGES: dict[str, HookStage] = {
    "pre_init_hooks": "before-packages",
    "init_hooks": "after-packages",
}
HOME_KEYS = ("home", "volume", "volumes", "exported_bins_path")
FLAG_ARGS = {"--env": "env", "-e": "env", "--volume": "volume", "-v": "volume"}
READ_HOOK_WHENS = ("build", "start")
LOCATION_KEYS = {
    ini: key.path
    for key in KEYS
    if key.kind in ("str", "bool")
    for ini, _ in key.ini
    if ini in (*SCALAR_KEYS, *BOOL_KEYS)
}
LOCATION_KEYS.update({f"unshare_{o}": f"integration.unshare[{o}]" for o in UNSHARE_OPTIONS})
LIST_LOCATIONS = {
    "packages": "packages",
    "volumes": "volumes",
    "apps": "exports.apps",
    "bins": "exports.bins",
    "includes": "include",
}


def read_ini_profiles(text: str, file: str, *, hooks_when: str = "build") -> list[Profile]:
    """Each section of an assemble file as a Profile (includes kept as names), in file order."""
    if hooks_when not in READ_HOOK_WHENS:
        raise ValueError(f"hooks_when must be one of {READ_HOOK_WHENS}, not {hooks_when!r}")
    sections = split_sections(text, file)
    headers = {s.name: s.header for s in sections}
    return [SectionReader(s, cast(HookWhen, hooks_when), headers).profile() for s in sections]


def check_literal(val: Value) -> None:
    """Refuse what distrobox 1.x expands or parses as shell on the host while 2.x keeps it as is."""
    words = val.text.split() if val.key in ("volume", "volumes") else [val.text]
    for word in words:
        rest = strip_home(word) if val.key in HOME_KEYS else word
        if "$" in rest or "`" in rest:
            raise v.schema_error(
                val.origin,
                val.key,
                f"'{word}' uses '$' or '`'",
                "distrobox 1.x expands it on the host that reads the file (2.x keeps it as "
                "text), so it means something else on each machine; write it out ($HOME or ~ "
                "may start home, volume and exported_bins_path)",
            )
    if val.key == "additional_flags":
        return  # split like the shell by split_flags, which refuses operators
    bad = SHELL_CHARS + ";"
    found = sorted({ch for ch in val.text if ch in bad})
    if found:
        raise v.schema_error(
            val.origin,
            val.key,
            f"'{found[0]}' in a value",
            "distrobox 1.x evaluates the value as shell code on the host (2.x reads it as "
            "text); write the value without it",
        )


class SectionReader:
    """Turns one section's decoded lines into a Profile."""

    def __init__(self, section: Section, hooks_when: HookWhen, headers: dict[str, str]) -> None:
        self.section = section
        self.hooks_when = hooks_when
        self.headers = headers
        self.ordered_before = False  # a hook or flag line came before (include order matters)
        self.seen: dict[str, Value] = {}
        self.scalars: dict[str, str] = {}
        self.bools: dict[str, bool | None] = {}
        self.lists: dict[str, list[str]] = {
            k: [] for k in ("packages", "volumes", "podman_args", "apps", "bins", "includes")
        }
        self.env: list[tuple[str, str]] = []
        self.hook_lines: dict[str, list[Value]] = {k: [] for k in HOOK_STAGES}
        self.warnings: list[str] = list(section.notes)
        self.locations: dict[str, FileLine] = {"name": section.origin}

    def warn(self, val: Value, message: str) -> None:
        """A warning located at the line of `val`."""
        self.warnings.append(f"{val.origin}: {val.key}: {message}")

    def profile(self) -> Profile:
        """Read every line, then assemble the Profile."""
        for val in self.section.values:
            self.read(val)
        return self.build()

    def read(self, val: Value) -> None:
        """Dispatch one line by the kind of its key."""
        self.warnings.extend(val.notes)
        if val.key in HOOK_STAGES or val.key == "additional_flags":
            self.ordered_before = True
        if val.key in HOOK_STAGES:
            self.hook_lines[val.key].append(val)
        elif val.text:  # distrobox 1.x ignores a line without a value (noted where it was read)
            check_literal(val)
            self.setting(val)

    def setting(self, val: Value) -> None:
        """Dispatch one line with a value that is not a hook."""
        if val.key in SCALAR_KEYS or val.key in BOOL_KEYS:
            self.locations[LOCATION_KEYS[val.key]] = val.origin
        if val.key in SCALAR_KEYS:
            self.once(val)
            self.scalar(val)
        elif val.key in BOOL_KEYS:
            self.boolean_line(val)
        elif val.key == "additional_flags":
            self.flags(val)
        elif val.key == "include":
            self.include(val)
        else:
            self.words(val)

    def once(self, val: Value) -> None:
        """Scalars may be set once: 1.x passes both values joined with '¤' (garbage)."""
        first = self.seen.get(val.key)
        if first is not None:
            raise v.schema_error(
                val.origin,
                val.key,
                f"set again (line {first.origin.line})",
                "distrobox 1.x joins both values with '¤', 2.x keeps the last",
            )
        self.seen[val.key] = val

    def scalar(self, val: Value) -> None:
        """image, clone, home, hostname, exported_bins_path."""
        checks = {"image": v.check_image, "clone": v.check_name, "hostname": v.check_hostname}
        check = checks.get(val.key, v.check_host_path)
        self.scalars[val.key] = check(val.text, val.origin, val.key)
        if val.spaced:
            self.warn(
                val,
                f"distrobox 1.x keeps the space before the value (' {val.text}'); "
                "envman reads it without; write key=value",
            )
        if val.key in HOME_KEYS:
            self.home_notes(val, val.text)

    def home_notes(self, val: Value, word: str) -> None:
        """Note where distrobox 1.x would not expand a home prefix that envman expands."""
        if val.quoted and word.startswith("~"):
            self.warn(val, "distrobox 1.x does not expand a quoted '~' (#1154); envman does")
        elif val.quoted == "'" and word.startswith("$"):
            self.warn(val, "distrobox 1.x does not expand $HOME in single quotes; envman does")
        elif val.key == "exported_bins_path" and not word.startswith("/"):
            self.warn(val, "distrobox 2.x requires an absolute path here; envman expands it")

    def boolean_line(self, val: Value) -> None:
        """A repeated switch is '1¤0' to 1.x: no number, so unset; 2.x keeps the last."""
        value = self.boolean(val)
        first = self.seen.setdefault(val.key, val)
        if first is val:
            self.bools[val.key] = value
            return
        self.bools[val.key] = None
        last = "true" if val.v2 in ("true", "1") else "false"
        self.warn(
            val,
            f"set again (line {first.origin.line}): distrobox 1.x joins the values with '¤' "
            f"and reads that as unset (as envman does), 2.x keeps the last ({last}); "
            "keep one line",
        )

    def boolean(self, val: Value) -> bool | None:
        """1.x: exactly true/false/1/0, anything else is unset ('[: Illegal number')."""
        raw = val.raw
        # after sourcing, /bin/sh's `[` reads "1" and " 1" as numbers too (go-ini: trimmed)
        if raw == "true" or val.text.strip() == "1":
            if val.key == "replace":
                self.warn(
                    val,
                    "distrobox 1.x (>= 1.8.0) also replaces the sections after this "
                    "one; 2.x ignores the key",
                )
            return True
        if raw == "false" or val.text.strip() == "0":
            return False
        v2_true = val.v2 in ("true", "1")
        if not v2_true and val.key != "entry" and val.text in ("false", "0"):
            return False  # unset and false mean the same for every switch but entry
        self.warn(
            val,
            f"'{raw}' is not true or false: distrobox 1.x reads it as unset "
            f"('[: Illegal number'; envman too), 2.x as {'true' if v2_true else 'false'}; "
            f"portable spelling: `{val.key}=true` or `{val.key}=false`",
        )
        return None

    def add(self, target: str, item: str, origin: FileLine) -> None:
        """Append to a list, remembering where each item was first written."""
        if target == "podman_args":
            self.locations[f"podman_args[{len(self.lists[target])}]"] = origin
        else:
            self.locations.setdefault(f"{LIST_LOCATIONS[target]}[{item}]", origin)
        self.lists[target].append(item)

    def words(self, val: Value) -> None:
        """The whitespace-split list keys."""
        checks = {
            "additional_packages": ("packages", v.check_package),
            "volume": ("volumes", v.check_volume),
            "volumes": ("volumes", v.check_volume),
            "exported_apps": ("apps", v.check_desktop_app),
            "exported_bins": ("bins", v.check_absolute_path),
        }
        if val.key == "volumes":
            self.warn(
                val,
                "distrobox 1.x ignores 'volumes' (envman too), 2.x mounts it; "
                f"portable spelling: `volume={val.text}`",
            )
            return
        target, check = checks[val.key]
        for word in val.text.split():
            self.add(target, check(word, val.origin, val.key), val.origin)
            if val.key in HOME_KEYS:
                self.home_notes(val, word)

    def include(self, val: Value) -> None:
        """include=NAME, repeatable; the store resolves it."""
        self.add("includes", val.text, val.origin)
        header = self.headers.get(val.text)
        if header is not None and header != f"[{val.text}]":
            raise v.schema_error(
                val.origin,
                val.key,
                f"[{val.text}] is written '{header}'",
                f"distrobox 1.x includes only a section whose line is exactly [{val.text}]; "
                "write the header so",
            )
        if self.ordered_before:
            self.warn(
                val,
                f"distrobox 1.x puts [{val.text}]'s lines here, envman before this section's "
                "own: hooks and flags above this line run in another order; put include= first",
            )
        if header is None:
            self.warn(
                val,
                f"no [{val.text}] in this file: distrobox looks only here, "
                f"envman also looks for a profile named '{val.text}'",
            )

    def flags(self, val: Value) -> None:
        """additional_flags: --env and --volume go to env and volumes, the rest to podman_args."""
        tokens = split_flags(val, self.warn)
        i = 0
        while i < len(tokens):
            flag, arg, i = _flag_at(tokens, i, val)
            if flag is None:
                self.add("podman_args", arg, val.origin)
            elif FLAG_ARGS[flag] == "volume":
                self.add("volumes", v.check_volume(arg, val.origin, val.key), val.origin)
            elif "=" in arg:
                name, _, value = arg.partition("=")
                v.check_env_key(name, val.origin, val.key)
                self.env.append((name, v.check_text(value, val.origin, val.key)))
                self.locations[f"env.{name}"] = val.origin
            else:
                # `--env NAME` copies the host's value: podman's meaning, kept as a podman arg
                self.add("podman_args", flag, val.origin)
                self.add("podman_args", arg, val.origin)

    def hooks(self) -> list[Hook]:
        """Hook lines chained as distrobox does: a line ending in ';' or '&&' continues."""
        hooks: list[Hook] = []
        for key, values in self.hook_lines.items():
            first = next((val for val in values[:-1] if val.text.endswith(";")), None)
            if first:
                self.warn(
                    first,
                    "distrobox 2.x reads ';' as a comment: it drops it and joins the "
                    "next line with '&&' (stopping at a failure; 1.x goes on)",
                )
            pending: list[Value] = []
            self.hook_notes(values)
            for val in values:
                check_hook_line(val)
                pending.append(val)
                if not val.text.endswith((";", "&&")):
                    hooks.append(self.hook(key, pending))
                    pending = []
            if pending:
                if pending[-1].text.endswith("&&"):
                    raise v.schema_error(
                        pending[-1].origin,
                        key,
                        "the last hook line ends in '&&'",
                        "distrobox's joined command would be a syntax error",
                    )
                hooks.append(self.hook(key, pending))
        return hooks

    def hook(self, key: str, lines: list[Value]) -> Hook:
        """One hook from its lines (joined with newlines, text as written)."""
        return Hook(
            when=self.hooks_when,
            sh="\n".join(val.text for val in lines),
            stage=HOOK_STAGES[key],
            origin=lines[0].origin,
        )

    def hook_notes(self, values: list[Value]) -> None:
        """distrobox 1.x evals the joined hooks once more on the host (#1141, #1370), quoted
        in "..." (then $, ` and \\ act on the host) or, when they hold a '"', in '...'."""
        joined = "".join(val.text for val in values)
        special = "'" if '"' in joined else "$`\\"
        val = next((val for val in values if any(ch in val.text for ch in special)), None)
        if val:
            self.warn(
                val,
                "distrobox 1.x evaluates hooks once more on the host: quotes, '$', "
                "backticks and backslashes may be lost or expanded there",
            )

    def build(self) -> Profile:
        """The Profile from everything read."""
        s, b, lists = self.scalars, self.bools, self.lists
        hooks = self.hooks()
        for i, hook in enumerate(hooks):
            if hook.origin is not None:
                self.locations[f"hooks[{i}]"] = hook.origin
        custom_home = s.get("home")
        return Profile(
            name=self.section.name,
            origin=self.section.origin,
            image=s.get("image"),
            packages=tuple(lists["packages"]),
            env=tuple(self.env),
            volumes=tuple(lists["volumes"]),
            hooks=tuple(hooks),
            exports=Exports(
                tuple(lists["apps"]), tuple(lists["bins"]), s.get("exported_bins_path")
            ),
            integration=Integration(
                home=True if custom_home else None,
                custom_home=custom_home,
                nvidia=b.get("nvidia"),
                init=b.get("init"),
                root=b.get("root"),
                unshare=tuple(o for o in UNSHARE_OPTIONS if b.get(f"unshare_{o}")),
            ),
            hostname=s.get("hostname"),
            podman_args=tuple(lists["podman_args"]),
            includes=tuple(lists["includes"]),
            distrobox=DistroboxCompat(
                entry=b.get("entry"),
                start_now=b.get("start_now"),
                pull=b.get("pull"),
                replace=b.get("replace"),
                clone=s.get("clone"),
            ),
            format="ini",
            warnings=tuple(self.warnings),
            locations=self.locations,
        )


def check_hook_line(val: Value) -> None:
    """Hook lines that break distrobox's '&&' chaining or shell quoting."""
    if quote_state(val.text):
        raise v.schema_error(
            val.origin,
            val.key,
            "unbalanced quotes in the hook",
            "close every quote on the same line",
        )
    if shell_comment(val.text):
        raise v.schema_error(
            val.origin,
            val.key,
            "a '#' that starts a shell comment",
            "distrobox 1.x joins all hook lines into one command line, so it would comment "
            "out every later hook; remove it",
        )
    if val.text.endswith(("&", "|")) and not val.text.endswith("&&"):
        raise v.schema_error(
            val.origin,
            val.key,
            f"a hook line ending in '{val.text[-1]}'",
            "distrobox appends '&&' after it, which is a syntax error",
        )


def shell_comment(text: str) -> bool:
    """Whether an unquoted '#' starts a word (a shell comment) in `text`."""
    return any(
        ch == "#" and (i == 0 or text[i - 1] in " ;&|()") and not quote_state(text[:i])
        for i, ch in enumerate(text)
    )


def split_flags(val: Value, warn: Callable[[Value, str], None]) -> list[str]:
    """additional_flags split like the shell (distrobox 1.x evals them); no shell operators."""
    try:
        tokens = shlex.split(val.text)
    except ValueError:
        raise v.schema_error(val.origin, val.key, "unbalanced quotes", "close the quote") from None
    lexer = shlex.shlex(val.text, posix=True, punctuation_chars=True)
    lexer.whitespace_split, lexer.commenters = True, ""
    if list(lexer) != tokens:
        raise v.schema_error(
            val.origin,
            val.key,
            "an unquoted shell operator (one of ();<>|&)",
            "distrobox 1.x evals the flags, 2.x does not; quote it",
        )
    if "\\" in val.text:
        warn(
            val,
            f"distrobox 1.x evaluates the backslashes (reads {shlex.join(tokens)}, as envman "
            f"does), 2.x keeps them; {portable(val.key, shlex.join(tokens))}",
        )
    elif tokens != val.text.split():
        warn(val, "distrobox 2.x splits flags on whitespace, so quoted values break there")
    for i, token in enumerate(tokens):
        if not token.startswith("~"):
            continue
        if i == 0 or tokens[i - 1] not in ("-v", "--volume"):
            raise v.schema_error(
                val.origin,
                val.key,
                f"'{token}' starts with '~'",
                "distrobox 1.x expands it, 2.x does not; use volume=~/...",
            )
        warn(
            val,
            f"distrobox 1.x expands '{token}' to your home (as envman does), 2.x passes it to "
            f"podman as written; portable spelling: `volume={token}`",
        )
    return tokens


def _flag_at(tokens: list[str], i: int, val: Value) -> tuple[str | None, str, int]:
    """(flag, argument, next index) for --env/--volume forms, or (None, token, next index)."""
    token = tokens[i]
    if token in FLAG_ARGS:
        if i + 1 == len(tokens):
            raise v.schema_error(
                val.origin,
                val.key,
                f"'{token}' without its value",
                "put the flag and its value on the same line",
            )
        return token, tokens[i + 1], i + 2
    for flag in ("--env", "--volume"):
        if token.startswith(f"{flag}="):
            return flag, token[len(flag) + 1 :], i + 1
    return None, token, i + 1
