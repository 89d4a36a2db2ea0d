"""The user-facing error tree and envman's exit codes: one code per kind of failure."""

from __future__ import annotations

TYPE_CHECKING = False  # typing imports re: too slow for the `envman run` path
if TYPE_CHECKING:
    from typing import Final


class ExitCode:
    """Process exit codes; documented in the README and stable across releases.

    Plain ints, not an enum: `envman run` imports this on its hot path.
    """

    OK: Final = 0
    FAILURE: Final = 1
    USAGE: Final = 2
    PROFILE_NOT_FOUND: Final = 3
    PROFILE_SYNTAX: Final = 4
    PROFILE_SCHEMA: Final = 5
    ENGINE_UNAVAILABLE: Final = 6
    REGISTRY_UNREACHABLE: Final = 7
    BUILD_FAILED: Final = 8
    NAME_CLASH: Final = 9
    ENV_NOT_FOUND: Final = 10
    HOOK_FAILED: Final = 11
    CONTAINER_FAILED: Final = 12
    ABORTED: Final = 13
    LINT_FAILED: Final = 14
    STATE_CORRUPT: Final = 15
    BRIDGE_FAILED: Final = 16
    EXPORT_FAILED: Final = 17
    FILE_CLASH: Final = 18
    SOURCE_NAME: Final = 19
    SOURCE_NOT_FOUND: Final = 20
    SOURCE_INVALID: Final = 21
    SOURCE_UNREACHABLE: Final = 22
    REF_NOT_FOUND: Final = 23
    REF_UNVERIFIED: Final = 24
    GIT_FAILED: Final = 25
    GENERATION_NOT_FOUND: Final = 26
    LOCK_INVALID: Final = 27
    LOCK_MISMATCH: Final = 28
    BUSY: Final = 29
    PROFILE_MOVED: Final = 30
    SIGNATURE_REJECTED: Final = 31
    REGISTRY_AUTH_FAILED: Final = 32
    KEY_INVALID: Final = 33
    REGISTRY_ERROR: Final = 34
    IMAGE_NOT_PUBLISHED: Final = 35
    NOT_ADOPTABLE: Final = 36  # `adopt`: not a distrobox or toolbx container, or envman's own
    COMMAND_NOT_FOUND: Final = 127  # `envman run`: as the shell and `podman exec` say it


class EnvmanError(Exception):
    """An error the user can act on: a message, a hint and an exit code, never a traceback."""

    exit_code: int = ExitCode.FAILURE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ProfileNotFound(EnvmanError):
    """No profile of that name or path."""

    exit_code = ExitCode.PROFILE_NOT_FOUND


class ProfileSyntaxError(EnvmanError):
    """A profile file that does not parse (YAML, ini, Containerfile)."""

    exit_code = ExitCode.PROFILE_SYNTAX


class ProfileSchemaError(EnvmanError):
    """A profile that parses but has an unknown key, a wrong type or a bad value."""

    exit_code = ExitCode.PROFILE_SCHEMA


class EngineUnavailable(EnvmanError):
    """podman is missing or its API cannot be reached."""

    exit_code = ExitCode.ENGINE_UNAVAILABLE


class RegistryUnreachable(EnvmanError):
    """A base image had to be pulled and its registry did not answer."""

    exit_code = ExitCode.REGISTRY_UNREACHABLE


class RegistryAuthFailed(EnvmanError):
    """A registry wants a login envman does not have, or refused the one `podman login` stored."""

    exit_code = ExitCode.REGISTRY_AUTH_FAILED


class RegistryError(EnvmanError):
    """A registry answered, but not with what envman can use (no such manifest, a wrong digest)."""

    exit_code = ExitCode.REGISTRY_ERROR


class ImageNotPublished(EnvmanError):
    """`up --no-build`: the team registry has no image for the profile's content hash."""

    exit_code = ExitCode.IMAGE_NOT_PUBLISHED


class BuildFailed(EnvmanError):
    """podman build failed; the previous image and container are untouched."""

    exit_code = ExitCode.BUILD_FAILED


class NameClash(EnvmanError):
    """A container of that name exists and envman did not create it."""

    exit_code = ExitCode.NAME_CLASH


class EnvNotFound(EnvmanError):
    """No environment of that name."""

    exit_code = ExitCode.ENV_NOT_FOUND


class HookFailed(EnvmanError):
    """A host or create hook exited non-zero."""

    exit_code = ExitCode.HOOK_FAILED


class ContainerFailed(EnvmanError):
    """podman refused to create, start, stop or remove a container."""

    exit_code = ExitCode.CONTAINER_FAILED
    HINT = "podman's reason is above; `podman ps -a` and `podman images` show what is there"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint or self.HINT)


class Aborted(EnvmanError):
    """The user said no."""

    exit_code = ExitCode.ABORTED


class LintFailed(EnvmanError):
    """`profile lint` found a requirement that is not met."""

    exit_code = ExitCode.LINT_FAILED


class StateCorrupt(EnvmanError):
    """envman's own state file cannot be read."""

    exit_code = ExitCode.STATE_CORRUPT


class BridgeError(EnvmanError):
    """A bad bridge.yaml rule, an unsafe file or directory, or systemd/flatpak refusing a step."""

    exit_code = ExitCode.BRIDGE_FAILED


class ExportFailed(EnvmanError):
    """An app or binary cannot be exported: not found, not launchable, or an unsafe name."""

    exit_code = ExitCode.EXPORT_FAILED


class FileClash(EnvmanError):
    """An export would overwrite a file envman did not write (or one the user changed)."""

    exit_code = ExitCode.FILE_CLASH


class SourceNameError(EnvmanError):
    """A team source name that is not allowed (slashes, `..`, ...) or already taken."""

    exit_code = ExitCode.SOURCE_NAME


class SourceNotFound(EnvmanError):
    """No team source of that name, or one that was never synced."""

    exit_code = ExitCode.SOURCE_NOT_FOUND


class SourceInvalid(EnvmanError):
    """A source URL that is not a git repository, or a repository that is not an envman source."""

    exit_code = ExitCode.SOURCE_INVALID


class SourceUnreachable(EnvmanError):
    """A source's remote did not answer (or refused access); the last sync is kept."""

    exit_code = ExitCode.SOURCE_UNREACHABLE


class RefNotFound(EnvmanError):
    """No tag, branch or commit of that name in a source (as of its last sync)."""

    exit_code = ExitCode.REF_NOT_FOUND


class RefUnverified(EnvmanError):
    """A source requires verified refs and this one is unsigned or badly signed."""

    exit_code = ExitCode.REF_UNVERIFIED


class GitFailed(EnvmanError):
    """git is missing or failed in a way envman does not recognise."""

    exit_code = ExitCode.GIT_FAILED


class UsageError(EnvmanError):
    """A command was called without what it needs (typer reports the rest with code 2)."""

    exit_code = ExitCode.USAGE


class GenerationNotFound(EnvmanError):
    """No such generation of an environment, or its image was collected."""

    exit_code = ExitCode.GENERATION_NOT_FOUND


class LockInvalid(EnvmanError):
    """envman.lock does not parse, or a value in it has the wrong form."""

    exit_code = ExitCode.LOCK_INVALID


class LockMismatch(EnvmanError):
    """The inputs differ from envman.lock, or something it names (a base digest) is not here."""

    exit_code = ExitCode.LOCK_MISMATCH


class Busy(EnvmanError):
    """Another envman is changing the same environment or the sources; nothing was done."""

    exit_code = ExitCode.BUSY


class SignatureRejected(EnvmanError):
    """An image's signature is missing, bad, for another image or for another tag."""

    exit_code = ExitCode.SIGNATURE_REJECTED


class KeyInvalid(EnvmanError):
    """A signing key file that cannot be read, is not cosign's format, or a wrong passphrase."""

    exit_code = ExitCode.KEY_INVALID


class WriteFailed(EnvmanError):
    """envman could not write one of its files (a full disk, a read-only directory)."""

    exit_code = ExitCode.STATE_CORRUPT


class CommandNotFound(EnvmanError):
    """`envman run`'s command does not exist in the environment."""

    exit_code = ExitCode.COMMAND_NOT_FOUND


class ProfileMoved(EnvmanError):
    """`up NAME` finds another profile file than the one the environment was made from."""

    exit_code = ExitCode.PROFILE_MOVED


class NotAdoptable(EnvmanError):
    """`envman adopt`: the container is not distrobox's or toolbx's, or envman's already."""

    exit_code = ExitCode.NOT_ADOPTABLE
