"""distrobox-assemble ini reader: refuses the lines distrobox 1.x and 2.x would read differently."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from envman.errors import ProfileSyntaxError
from envman.profile import validate as v
from envman.profile.model import (
    UNSHARE_OPTIONS,
    DistroboxCompat,
    Exports,
    Hook,
    HookStage,
    HookWhen,
    Integration,
    Origin,
    Profile,
)

SCALAR_KEYS = ("image", "clone", "home", "hostname", "exported_bins_path")
UNSHARE_KEYS = tuple(f"unshare_{option}" for option in UNSHARE_OPTIONS)
BOOL_KEYS = ("entry", "start_now", "pull", "replace", "init", "nvidia", "root", *UNSHARE_KEYS)
LIST_KEYS = (
    "additional_packages",
    "additional_flags",
    "volume",
    "volumes",
    "exported_apps",
    "exported_bins",
)
HOOK_STAGES: dict[str, HookStage] = {
    "pre_init_hooks": "before-packages",
    "init_hooks": "after-packages",
}
KNOWN_KEYS = (*SCALAR_KEYS, *BOOL_KEYS, *LIST_KEYS, *HOOK_STAGES, "include")
HOME_KEYS = ("home", "volume", "volumes", "exported_bins_path")
HOME_PREFIXES = ("${HOME}", "$HOME", "~")
SHELL_CHARS = "\"'\\&|<>()"
FLAG_ARGS = {"--env": "env", "-e": "env", "--volume": "volume", "-v": "volume"}
READ_HOOK_WHENS = ("build", "start")
LOCATION_KEYS = {
    "image": "image",
    "hostname": "hostname",
    "home": "integration.home",
    "exported_bins_path": "exports.bins_path",
    "clone": "distrobox.clone",
    **{key: f"distrobox.{key}" for key in ("entry", "start_now", "pull", "replace")},
    **{key: f"integration.{key}" for key in ("init", "nvidia", "root")},
    **{f"unshare_{option}": f"integration.unshare[{option}]" for option in UNSHARE_OPTIONS},
}
LIST_LOCATIONS = {
    "packages": "packages",
    "volumes": "volumes",
    "apps": "exports.apps",
    "bins": "exports.bins",
    "includes": "include",
}


@dataclass(frozen=True)
class Value:
    """One `key=value` line, decoded the way both distrobox versions agree on."""

    key: str
    text: str
    origin: Origin
    spaced: bool = False
    quoted: str = ""
    semicolon: bool = False


@dataclass
class Section:
    """A `[name]` block and its lines, in file order."""

    name: str
    origin: Origin
    values: list[Value] = field(default_factory=list)


def syntax_error(origin: Origin, key: str, problem: str, hint: str = "") -> ProfileSyntaxError:
    """The 'file:line: key: problem' error for the file's structure."""
    return ProfileSyntaxError(f"{origin}: {key}: {problem}", hint or None)


def quote_state(text: str) -> str:
    """The shell quote still open at the end of `text`: '"', "'" or ''."""
    state, escaped = "", False
    for ch in text:
        if state == "'":
            state = "" if ch == "'" else state
        elif escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"' or (not state and ch == "'"):
            state = "" if state == ch else ch
    return state


def read_ini_profiles(text: str, file: str, *, hooks_when: str = "build") -> list[Profile]:
    """Each section of an assemble file as a Profile (includes kept as names), in file order."""
    if hooks_when not in READ_HOOK_WHENS:
        raise ValueError(f"hooks_when must be one of {READ_HOOK_WHENS}, not {hooks_when!r}")
    sections = split_sections(text, file)
    names = {s.name for s in sections}
    return [SectionReader(s, cast(HookWhen, hooks_when), names).profile() for s in sections]


def split_sections(text: str, file: str) -> list[Section]:
    """The file's sections with their decoded lines; comments and blank lines dropped."""
    if text.startswith("\ufeff"):
        raise syntax_error(
            Origin(file, 1),
            "file",
            "starts with a byte-order mark",
            "distrobox 1.x cannot read the first line; save the file as plain UTF-8",
        )
    sections: list[Section] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        origin = Origin(file, number)
        # distrobox 1.x turns tabs into spaces before it looks for ' #'
        line = raw.replace("\t", " ").rstrip()
        stripped = line.lstrip()
        if "\0" in line:
            raise syntax_error(origin, "line", "contains a NUL byte", "save the file as text")
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith(";"):
            raise syntax_error(
                origin,
                "line",
                "';' comments are not understood by distrobox 1.x",
                "start comment lines with '#'",
            )
        if stripped.startswith("["):
            sections.append(_section(line, origin, sections))
        elif "=" not in line:
            raise syntax_error(
                origin,
                "line",
                "not a [section], a # comment or key=value",
                "write key=value ('key: value' is read only by distrobox 2.x)",
            )
        elif not sections:
            key = line.split("=", 1)[0].strip() or "line"
            raise syntax_error(
                origin,
                key,
                "key before the first [section]",
                "distrobox 2.x rejects it, 1.x silently adds it to the first "
                "section; move it under a [section]",
            )
        else:
            sections[-1].values.append(decode_line(line, origin))
    return sections


def _section(line: str, origin: Origin, sections: list[Section]) -> Section:
    if not line.startswith("["):
        raise syntax_error(
            origin,
            "section",
            "indented section header",
            "distrobox 1.x sees a section only when '[' is the first character",
        )
    close = line.find("]")
    if close < 0:
        raise syntax_error(origin, "section", "no closing ']'", "write [name]")
    name, rest = line[1:close].strip(), line[close + 1 :].strip()
    if rest and not rest.startswith("#"):
        raise syntax_error(
            origin,
            "section",
            f"unexpected '{rest}' after the section header",
            "only a '# comment' may follow [name]",
        )
    if "]" in rest:
        raise syntax_error(
            origin,
            "section",
            "']' in the comment after the header",
            "distrobox 2.x takes the name up to the last ']' on the line",
        )
    if name == "DEFAULT":
        raise v.schema_error(
            origin,
            "section",
            "[DEFAULT] is reserved",
            "distrobox 2.x treats its keys as keys outside any section; rename it",
        )
    v.check_name(name, origin, "section")
    for earlier in sections:
        if earlier.name == name:
            raise syntax_error(
                origin,
                "section",
                f"[{name}] repeats line {earlier.origin.line}",
                "distrobox 1.x creates it twice, 2.x merges both; keep one",
            )
    return Section(name, origin)


def decode_line(line: str, origin: Origin) -> Value:
    """Split `key=value`, cut a trailing comment and one pair of quotes, refusing ambiguity."""
    key, _, raw = line.partition("=")
    key = key.strip()
    if not key:
        raise syntax_error(origin, "line", "no key before '='", "write key=value")
    if key not in KNOWN_KEYS:
        raise v.schema_error(
            origin,
            key,
            "unknown key",
            v.suggest(key, KNOWN_KEYS) or f"distrobox-assemble keys: {', '.join(KNOWN_KEYS)}",
        )
    body = raw.strip()
    if body.startswith(("`", '"""')):
        raise v.schema_error(
            origin,
            key,
            f"a value starting with {body[0]!r}",
            "distrobox 2.x reads it as a multi-line quoted value, 1.x does not",
        )
    if body.endswith("\\"):
        raise v.schema_error(
            origin,
            key,
            "a value ending in '\\'",
            "distrobox 2.x joins the next line to it, 1.x does not",
        )
    cut, semicolon = _comment_start(key, raw, origin)
    return _unquote(key, raw[:cut], origin, semicolon)


def _comment_start(key: str, raw: str, origin: Origin) -> tuple[int, bool]:
    """Where the value ends. go-ini (distrobox 2.x) ends it at the first '#' or ';' anywhere;
    distrobox 1.x only at ' #', and at a ']' that has a '#' after it."""
    marks = [i for i in (raw.find("#"), raw.find(";")) if i >= 0]
    if not marks:
        return len(raw), False
    i = min(marks)
    bracket = raw.find("]")
    if 0 <= bracket < i and "#" in raw[bracket:]:
        raise v.schema_error(
            origin,
            key,
            "']' followed by '#' on the same line",
            "distrobox 1.x drops everything from that ']'; remove the comment",
        )
    char = raw[i]
    if quote_state(raw[:i]):
        raise v.schema_error(
            origin,
            key,
            f"'{char}' inside quotes",
            f"distrobox 2.x ends the value at any '{char}', even inside quotes",
        )
    if char == "#":
        if i > 0 and raw[i - 1] == " ":
            return i, False
        raise v.schema_error(
            origin,
            key,
            "'#' right after other text",
            "distrobox 1.x keeps it, 2.x starts a comment there; "
            "put a space before a comment (a literal '#' cannot be written)",
        )
    rest = raw[i + 1 :]
    if not rest.strip() or (rest.startswith(" ") and rest.lstrip().startswith("#")):
        return i + 1, True
    raise v.schema_error(
        origin,
        key,
        "';' followed by more text",
        "distrobox 2.x drops everything from ';' (1.x keeps it); "
        "end the line with ';' and put the rest on its own line",
    )


def _unquote(key: str, value: str, origin: Origin, semicolon: bool) -> Value:
    spaced = value[:1] == " "
    text, quoted = value.strip(), ""
    if text[:1] in ("'", '"'):
        quote = text[0]
        if len(text) < 2 or text[-1] != quote or quote in text[1:-1]:
            raise v.schema_error(
                origin,
                key,
                f"unbalanced {quote} quotes",
                "a value starting with a quote must end with it, none inside",
            )
        if spaced:
            raise v.schema_error(
                origin,
                key,
                "a quoted value after a space",
                'distrobox 1.x keeps the space and quotes; write key="value"',
            )
        text, quoted = text[1:-1], quote
        if text != text.strip() and key not in HOOK_STAGES:
            raise v.schema_error(
                origin,
                key,
                "spaces inside the quotes",
                "both distrobox versions keep them; remove them",
            )
        text = text.strip()
    if not text:
        raise v.schema_error(origin, key, "has no value", "give a value or remove the line")
    if semicolon and key not in HOOK_STAGES:
        raise v.schema_error(
            origin, key, "';' in a value", "distrobox 2.x reads ';' as the start of a comment"
        )
    return Value(key, text, origin, spaced, quoted, semicolon)


def strip_home(word: str) -> str:
    """`word` without a leading $HOME, ${HOME} or ~ (kept symbolic, expanded by envman)."""
    for prefix in HOME_PREFIXES:
        if word.startswith(prefix) and word[len(prefix) : len(prefix) + 1] in ("", "/", ":"):
            return word[len(prefix) :]
    return word


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
                "distrobox 1.x expands it on the host while reading, 2.x does "
                "not; write it out ($HOME or ~ may start home, volume and "
                "exported_bins_path)",
            )
    bad = "\\" if val.key == "additional_flags" else SHELL_CHARS
    found = sorted({ch for ch in val.text if ch in bad})
    if found:
        raise v.schema_error(
            val.origin,
            val.key,
            f"'{found[0]}' in a value",
            "distrobox 1.x reads it as shell syntax, 2.x as text",
        )


class SectionReader:
    """Turns one section's decoded lines into a Profile."""

    def __init__(self, section: Section, hooks_when: HookWhen, names: set[str]) -> None:
        self.section = section
        self.hooks_when = hooks_when
        self.names = names
        self.seen: dict[str, Value] = {}
        self.scalars: dict[str, str] = {}
        self.bools: dict[str, bool] = {}
        self.lists: dict[str, list[str]] = {
            k: [] for k in ("packages", "volumes", "podman_args", "apps", "bins", "includes")
        }
        self.env: list[tuple[str, str]] = []
        self.hook_lines: dict[str, list[Value]] = {k: [] for k in HOOK_STAGES}
        self.warnings: list[str] = []
        self.locations: dict[str, Origin] = {"name": section.origin}

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
        if val.key in HOOK_STAGES:
            self.hook_lines[val.key].append(val)
            return
        check_literal(val)
        if val.key in SCALAR_KEYS or val.key in BOOL_KEYS:
            self.once(val)
            self.locations[LOCATION_KEYS[val.key]] = val.origin
        if val.key in SCALAR_KEYS:
            self.scalar(val)
        elif val.key in BOOL_KEYS:
            self.bools[val.key] = self.boolean(val)
        elif val.key == "additional_flags":
            self.flags(val)
        elif val.key == "include":
            self.include(val)
        else:
            self.words(val)

    def once(self, val: Value) -> None:
        """Scalars and booleans may be set once: the two versions disagree on repeats."""
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

    def boolean(self, val: Value) -> bool:
        """Exactly true/false/1/0: distrobox 1.x reads anything else (and ' true') as false."""
        if val.quoted:
            raise v.schema_error(
                val.origin,
                val.key,
                "a quoted boolean",
                'distrobox 1.x reads "true" as false; write true or false',
            )
        if val.text in ("true", "1"):
            if val.spaced:
                raise v.schema_error(
                    val.origin,
                    val.key,
                    f"' {val.text}' with a space before it",
                    "distrobox 1.x reads it as false, 2.x as true; write key=true",
                )
            if val.key == "replace":
                self.warn(
                    val,
                    "distrobox 1.x (>= 1.8.0) also replaces the sections after this "
                    "one; 2.x ignores the key",
                )
            return True
        if val.text in ("false", "0"):
            return False
        raise v.schema_error(
            val.origin,
            val.key,
            f"'{val.text}' is not true or false",
            "distrobox 1.x reads anything but true, false, 1 and 0 as false "
            "('Illegal number'); write true or false",
        )

    def add(self, target: str, item: str, origin: Origin) -> None:
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
        target, check = checks[val.key]
        for word in val.text.split():
            self.add(target, check(word, val.origin, val.key), val.origin)
            if val.key in HOME_KEYS:
                self.home_notes(val, word)
        if val.key == "volumes":
            self.warn(val, "only distrobox 2.x reads 'volumes'; 1.x ignores it (use 'volume')")

    def include(self, val: Value) -> None:
        """include=NAME, repeatable; the store resolves it."""
        self.add("includes", v.check_name(val.text, val.origin, val.key), val.origin)
        if val.text not in self.names:
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
            first = next((val for val in values if val.semicolon), None)
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
        """distrobox 1.x evals the joined hooks once more on the host (#1141, #1370)."""
        val = next((val for val in values if any(ch in val.text for ch in "$`\"'\\")), None)
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
    if val.text.endswith(("&", "|")) and not val.text.endswith("&&"):
        raise v.schema_error(
            val.origin,
            val.key,
            f"a hook line ending in '{val.text[-1]}'",
            "distrobox appends '&&' after it, which is a syntax error",
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
    if tokens != val.text.split():
        warn(val, "distrobox 2.x splits flags on whitespace, so quoted values break there")
    for token in tokens:
        if token.startswith("~"):
            raise v.schema_error(
                val.origin,
                val.key,
                f"'{token}' starts with '~'",
                "distrobox 1.x expands it, 2.x does not; use volume=~/...",
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
