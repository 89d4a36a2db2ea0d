"""An assemble file's sections and key=value lines, split and unquoted as distrobox 1.x does.

Where 2.x (go-ini) reads a line differently, the line carries a warning that says what 2.x reads
and the spelling both read alike. Only what 1.x itself reads as garbage or shell code is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from envman.errors import ProfileSyntaxError
from envman.names import is_name
from envman.profile import validate as v
from envman.profile.ini_syntax import v1_line, v2_key_differs, v2_section, v2_value
from envman.profile.ini_write import portable_lines
from envman.profile.model import UNSHARE_OPTIONS, FileLine

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
HOOK_KEYS = ("pre_init_hooks", "init_hooks")
KNOWN_KEYS = (*SCALAR_KEYS, *BOOL_KEYS, *LIST_KEYS, *HOOK_KEYS, "include")
EXPORT_HINT = "what `envman profile export --ini` writes"


@dataclass
class Value:
    """One `key=value` line: `text` is what distrobox 1.x reads (and envman uses)."""

    key: str
    text: str
    origin: FileLine
    raw: str = ""  # the value as 1.x sees it before unquoting: after '=', comments cut
    v2: str | None = ""  # what 2.x reads; None when it reads on into the next lines
    spaced: bool = False
    quoted: str = ""
    notes: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        """A warning located at this line."""
        self.notes.append(f"{self.origin}: {self.key}: {message}")


@dataclass
class Section:
    """A `[name]` block and its lines, in file order."""

    name: str
    origin: FileLine
    header: str = ""  # the header line as written: 1.x includes only an exact `[name]` line
    values: list[Value] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def syntax_error(origin: FileLine, key: str, problem: str, hint: str = "") -> ProfileSyntaxError:
    """The 'file:line: key: problem' error for the file's structure."""
    return ProfileSyntaxError(f"{origin}: {key}: {problem}", hint or None)


def portable(key: str, text: str) -> str:
    """The portable spelling of one value for a warning, or why there is none."""
    lines = portable_lines(key, text)
    if lines is None:
        return "no spelling reads alike in both versions; rewrite the value"
    return f"portable spelling ({EXPORT_HINT}): " + " + ".join(f"`{line}`" for line in lines)


def split_sections(text: str, file: str) -> list[Section]:
    """The file's sections with their decoded lines; comments and blank lines dropped."""
    if text.startswith("\ufeff"):
        raise syntax_error(
            FileLine(file, 1),
            "file",
            "starts with a byte-order mark",
            "distrobox 1.x cannot read the first line; save the file as plain UTF-8",
        )
    sections: list[Section] = []
    before: list[Value] = []
    notes: list[str] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        origin = FileLine(file, number)
        if "\0" in raw:
            raise syntax_error(origin, "line", "contains a NUL byte", "save the file as text")
        raw = raw.removesuffix("\r")  # noqa: PLW2901 (a CRLF file reads as an LF file)
        line = v1_line(raw)
        if not line:
            continue
        if line.startswith("["):
            sections.append(_section(line, raw, origin, sections))
            continue
        _check_line(raw, line, origin)
        val = decode_line(line, raw, origin)
        if val is None:
            (sections[-1].notes if sections else notes).append(_empty_key(origin))
        else:
            (sections[-1].values if sections else before).append(val)
    return _adopt(sections, before, notes)


def _empty_key(origin: FileLine) -> str:
    return (
        f"{origin}: line: no key before '=': distrobox 1.x ignores the line, 2.x rejects the "
        "file; remove it"
    )


def _check_line(raw: str, line: str, origin: FileLine) -> None:
    """Lines 1.x reads as garbage: shell commands, not settings."""
    stripped = raw.strip()
    if stripped.startswith(";"):
        raise syntax_error(
            origin,
            "line",
            "';' comments are not understood by distrobox 1.x",
            "start comment lines with '#'",
        )
    if stripped.startswith("["):
        raise syntax_error(
            origin,
            "section",
            "indented section header",
            "distrobox 1.x sees a section only when '[' (or a tab) starts the line",
        )
    if "=" not in line:
        raise syntax_error(
            origin,
            "line",
            "not a [section], a # comment or key=value",
            "write key=value ('key: value' is read only by distrobox 2.x)",
        )


def _adopt(sections: list[Section], before: list[Value], notes: list[str]) -> list[Section]:
    """1.x adds keys written before the first section to that section; 2.x rejects them."""
    if not before and not notes:
        return sections
    if not sections:
        origin = before[0].origin if before else FileLine("-", 1)
        raise syntax_error(
            origin,
            before[0].key if before else "line",
            "key=value but no [section] in the file",
            "put the keys under a [name] line",
        )
    first = sections[0]
    first.values[:0] = before
    first.notes[:0] = notes
    if before:
        first.notes.insert(
            0,
            f"{before[0].origin}: {before[0].key}: before the first [section]: distrobox 1.x "
            f"(and envman) adds it to [{first.name}], 2.x rejects the file; portable spelling: "
            f"move it under [{first.name}]",
        )
    return sections


def _section(line: str, raw: str, origin: FileLine, sections: list[Section]) -> Section:
    """1.x's name is the line without any '[', ']' or space (comments already cut)."""
    name = line.translate({ord("["): None, ord("]"): None, ord(" "): None})
    v.check_name(name, origin, "section")
    notes = []
    v2_name = v2_section(raw)
    if v2_name != name:
        read = "rejects the header" if v2_name is None else f"reads the name [{v2_name}]"
        notes.append(
            f"{origin}: section: distrobox 2.x {read}, 1.x (and envman) [{name}]; "
            f"portable spelling: `[{name}]`"
        )
    if name == "DEFAULT":
        notes.append(
            f"{origin}: section: distrobox 2.x reads [DEFAULT] as keys outside any section "
            "and rejects them; rename it"
        )
    for earlier in sections:
        if earlier.name == name:
            raise syntax_error(
                origin,
                "section",
                f"[{name}] repeats line {earlier.origin.line}",
                "distrobox 1.x creates the first and skips the second, 2.x merges both; keep one",
            )
    return Section(name, origin, raw, notes=notes)


def decode_line(line: str, raw: str, origin: FileLine) -> Value | None:
    """`key=value` read as 1.x does (None: 1.x ignores a line without a key)."""
    written_key, _, value = line.partition("=")
    key = written_key.replace(" ", "")
    if not key:
        return None
    if key not in KNOWN_KEYS:
        raise v.schema_error(
            origin,
            key,
            "unknown key",
            v.suggest(key, KNOWN_KEYS) or f"distrobox-assemble keys: {', '.join(KNOWN_KEYS)}",
        )
    v2 = None if v2_key_differs(raw) else v2_value(raw.partition("=")[2])
    if key in HOOK_KEYS:
        val = _hook_value(key, value, origin, v2)
    elif key == "include":
        val = _include_value(raw, origin, v2)
    else:
        val = _shell_value(key, value, origin, v2)
    if written_key.strip() != key:
        val.note(
            f"'{written_key.strip()}': distrobox 1.x removes the spaces inside a key, 2.x does "
            f"not know it; write {key}="
        )
    return val


def _hook_value(key: str, value: str, origin: FileLine, v2: str | None) -> Value:
    """1.x strips one leading quote and one trailing quote of the same kind, independently."""
    text, quoted = value, ""
    if text[:1] in ('"', "'"):
        quoted = text[0]
        text = text[1:].removesuffix(quoted)
    text = text.strip()
    val = Value(key, text, origin, value, v2, value[:1] == " ", quoted)
    if not text:
        raise v.schema_error(origin, key, "has no value", "give a value or remove the line")
    # a final ';' that 2.x drops is warned about where hooks are chained
    if v2 != text and (v2 is None or v2 != text.removesuffix(";").rstrip()):
        val.note(_differs(v2, text) + "; " + portable(key, text))
    return val


def _differs(v2: str | None, text: str) -> str:
    read = (
        "reads on into the next lines (a multi-line quote or a continuation)"
        if v2 is None
        else f"reads '{v2}'"
    )
    return f"distrobox 2.x {read}; 1.x (and envman) '{text}'"


def _include_value(raw: str, origin: FileLine, v2: str | None) -> Value:
    """1.x's resolve_includes takes the raw text after '=' with every '"' removed."""
    name = raw.partition("=")[2].replace('"', "")
    if not is_name(name):
        raise v.schema_error(
            origin,
            "include",
            f"'{name}' is not a section name",
            "distrobox 1.x takes everything after '=' as the name, spaces and comments too; "
            "write include=NAME",
        )
    return Value("include", name, origin, name, v2)


def _shell_unquoted(key: str, body: str, origin: FileLine, *, spaced: bool) -> tuple[str, str]:
    """The value without its quotes, and the quote 1.x reads it in ("" for none)."""
    if spaced and body[:1] in ("'", '"'):
        raise v.schema_error(
            origin,
            key,
            "a quoted value after a space",
            'distrobox 1.x keeps the space and the quotes; write key="value"',
        )
    if body[:1] in ("'", '"'):
        quoted = body[0]
        if len(body) < 2 or body[-1] != quoted or quoted in body[1:-1]:
            raise v.schema_error(
                origin,
                key,
                f"unbalanced {quoted} quotes",
                "a value starting with a quote must end with it, none inside",
            )
        return body[1:-1], quoted
    return body, ("'" if " " in body and '"' in body else "")  # 1.x wraps it in single quotes


def _shell_value(key: str, value: str, origin: FileLine, v2: str | None) -> Value:
    """1.x sources `key=value` as shell, first wrapping a value with spaces in quotes."""
    if not value or value in ('""', "''"):
        val = Value(key, "", origin, value, v2)
        val.note("has no value: distrobox 1.x ignores the line; remove it")
        return val
    spaced = value[:1] == " "
    body, quoted = _shell_unquoted(key, value.lstrip(" "), origin, spaced=spaced)
    val = Value(key, body, origin, value, v2, spaced, quoted)
    same = v2 is not None and " ".join(v2.split()) == " ".join(body.split())
    if not same and key not in BOOL_KEYS:
        val.note(_differs(v2, body) + "; " + portable(key, body))
    return val
