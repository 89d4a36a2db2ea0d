# envman: marks interactive bash prompts inside an environment: "⬢ NAME " before PS1.
# Written by envman when it creates the container (it is replaced with the container).
# NAME is $CONTAINER_ID (envman run and enter set it), else the name in /run/.containerenv.
# The hostname is not changed: \h stays the host's (X11 authorization needs it).
if [ -n "${BASH_VERSION:-}" ] && [ -n "${PS1:-}" ] && [ -z "${ENVMAN_NO_PROMPT:-}" ]; then
    __envman_name=${CONTAINER_ID:-}
    [ -n "$__envman_name" ] ||
        __envman_name=$(sed -n 's/^name="\(.*\)"$/\1/p' /run/.containerenv 2>/dev/null)
    __envman_prompt() {
        case $PS1 in
        *"⬢"*) ;;
        *) PS1="\[\033[35m\]⬢\[\033[0m\] ${__envman_name} $PS1" ;;
        esac
    }
    case ${PROMPT_COMMAND:-} in
    *__envman_prompt*) ;;
    *) PROMPT_COMMAND="__envman_prompt${PROMPT_COMMAND:+;$PROMPT_COMMAND}" ;;
    esac
fi
