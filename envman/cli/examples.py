"""One or two examples per command, shown at the end of its --help and in the man page."""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, tuple[str, ...]] = {
    "up": (
        "envman up dev",
        "envman up ./profiles/dev.yaml --dry-run",
        "envman up --image registry.fedoraproject.org/fedora-toolbox:41 scratch",
        "envman up team.ini            # every section",
        "envman up --all",
        "envman up dev --no-build",
    ),
    "upgrade": ("envman upgrade dev", "envman upgrade --all"),
    "ephemeral": (
        "envman ephemeral --image localhost/debian:bookworm -- cat /etc/os-release",
        "envman ephemeral dev",
    ),
    "rebuild": ("envman rebuild dev", "envman rebuild dev --pull"),
    "run": (
        "envman run dev -- make test",
        "envman run dev -e CI=1 -w /src -- pytest -x",
        "envman run dev --root -- apt-get install -y ripgrep",
    ),
    "enter": ("envman enter dev", "envman enter dev -- htop", "envman enter dev --root"),
    "ls": ("envman ls -q", "envman ls --format '{{.Name}}\\t{{.State}}'"),
    "status": ("envman status dev", "envman status dev --json || envman up dev"),
    "stop": ("envman stop dev", "envman stop --all"),
    "rm": ("envman rm dev --dry-run", "envman rm -y dev old-box", "envman rm --all --yes"),
    "export": (
        "envman export dev --list",
        "envman export dev --app org.gnome.gedit",
        "envman export dev --bin /usr/bin/rg",
    ),
    "unexport": ("envman unexport dev --bin /usr/bin/rg", "envman unexport dev --all"),
    "exports": ("envman exports", "envman exports dev --json"),
    "history": ("envman history dev",),
    "rollback": ("envman rollback dev", "envman rollback dev 3"),
    "pin": ("envman pin dev 3",),
    "unpin": ("envman unpin dev 3",),
    "gc": ("envman gc --dry-run", "envman gc --keep 1"),
    "lock": ("envman lock", "envman lock dev"),
    "outdated": ("envman outdated", "envman outdated dev --json"),
    "update": ("envman update", "envman update dev"),
    "adopt": ("envman adopt devbox", "envman adopt devbox --take-over -o ~/team/profiles"),
    "doctor": ("envman doctor", "envman doctor --json"),
    "help": ("envman help run", "envman help profile export"),
    "completion": (
        "envman completion bash > ~/.local/share/bash-completion/completions/envman",
        "envman completion fish > ~/.config/fish/completions/envman.fish",
    ),
    "profile list": ("envman profile list",),
    "profile show": ("envman profile show dev", "envman profile show dev --containerfile"),
    "profile explain": ("envman profile explain dev",),
    "profile diff": (
        "envman profile diff dev ./dev-new.yaml",
        "envman profile diff team/dev@v1 v2",
    ),
    "profile validate": ("envman profile validate", "envman profile validate dev --strict"),
    "profile lint": ("envman profile lint dev", "envman profile lint dev --no-image"),
    "profile import": (
        "envman profile import distrobox.ini",
        "envman profile import ./Containerfile -o profiles",
    ),
    "profile export": ("envman profile export dev", "envman profile export dev --format yaml"),
    "config show": ("envman config show",),
    "config keep-generations": ("envman config keep-generations 3",),
    "config image-override": (
        "envman config image-override docker.io/library/debian:bookworm localhost/debian:bookworm",
        "envman config image-override docker.io/library/debian:bookworm --unset",
    ),
    "config registry add": ("envman config registry add registry.example.com/team --key team.pub",),
    "config registry remove": ("envman config registry remove registry.example.com/team",),
    "trust show-policy": ("envman trust show-policy", "envman trust show-policy --json"),
    "bridge run": ("envman bridge run",),
    "bridge once": ("envman bridge once --dry-run",),
    "bridge install": ("envman bridge install --preset keepassxc-firefox",),
    "bridge uninstall": ("envman bridge uninstall",),
    "bridge status": ("envman bridge status", "envman bridge status --json"),
    "bridge rules": ("envman bridge rules", "envman bridge rules --presets"),
    "source add": ("envman source add team https://git.example.com/team/envs.git --ref v1",),
    "source list": ("envman source list",),
    "source sync": ("envman source sync", "envman source sync team"),
    "source rm": ("envman source rm team",),
    "key generate": ("envman key generate ./team-signing",),
    "publish": (
        "envman publish --all --registry registry.example.com/team --key team-signing.private",
        "envman publish dev team/web@v2 --registry registry.example.com/team --key ./k.private",
    ),
    "ci gitlab": (
        "envman ci gitlab > .gitlab-ci.yml",
        "envman ci gitlab --registry harbor.example.com/team > .gitlab-ci.yml",
    ),
    "ci github": (
        "envman ci github --registry ghcr.io/example-team > .github/workflows/envman.yml",
    ),
}


def epilog(lines: tuple[str, ...]) -> str:
    """An `Examples:` epilog whose lines click prints as they are (\\b stops the rewrapping)."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


def add_examples(command: Any, path: str = "") -> None:
    """Put each command's examples in its epilog, recursively."""
    if path in EXAMPLES:
        command.epilog = epilog(EXAMPLES[path])
    for name, sub in getattr(command, "commands", {}).items():
        add_examples(sub, f"{path} {name}".strip())
