"""The /etc/profile.d snippet that marks bash prompts inside an environment, as toolbx's ⬢ does."""

from __future__ import annotations

PROMPT_FILE = "/etc/profile.d/envman-prompt.sh"
MARKER = "⬢"
# toolbx's colour for the marker (magenta), wrapped in \[ \] so that bash counts no width for it
_COLOUR, _RESET = r"\[\033[35m\]", r"\[\033[0m\]"


def prompt_snippet() -> str:
    """The snippet's text: `⬢ NAME ` before whatever PS1 the user's bashrc sets, hostname kept.

    A PROMPT_COMMAND hook rather than PS1 itself, because ~/.bashrc (read after /etc/profile.d)
    sets PS1 again; the marker is added once, and not when the prompt already shows one (starship
    reads CONTAINER_ID and draws its own ⬢).
    """
    return f"""\
# envman: marks interactive bash prompts inside an environment: "{MARKER} NAME " before PS1.
# Written by envman when it creates the container (it is replaced with the container).
# NAME is $CONTAINER_ID (envman run and enter set it), else the name in /run/.containerenv.
# The hostname is not changed: \\h stays the host's (X11 authorization needs it).
if [ -n "${{BASH_VERSION:-}}" ] && [ -n "${{PS1:-}}" ] && [ -z "${{ENVMAN_NO_PROMPT:-}}" ]; then
    __envman_name=${{CONTAINER_ID:-}}
    [ -n "$__envman_name" ] ||
        __envman_name=$(sed -n 's/^name="\\(.*\\)"$/\\1/p' /run/.containerenv 2>/dev/null)
    __envman_prompt() {{
        case $PS1 in
        *"{MARKER}"*) ;;
        *) PS1="{_COLOUR}{MARKER}{_RESET} ${{__envman_name}} $PS1" ;;
        esac
    }}
    case ${{PROMPT_COMMAND:-}} in
    *__envman_prompt*) ;;
    *) PROMPT_COMMAND="__envman_prompt${{PROMPT_COMMAND:+;$PROMPT_COMMAND}}" ;;
    esac
fi
"""
