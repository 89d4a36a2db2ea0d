#!/bin/sh
# envman: install packages with the base image's own package manager (apt, dnf, microdnf,
# apk, pacman or zypper). Packages arrive as separate arguments, never through a shell string.
# With --essentials, install only what envman's integration needs and the image lacks;
# --essentials --init adds systemd for profiles that run it as PID 1.
set -eu

essentials=0
init=0
if [ "${1:-}" = "--essentials" ]; then
    essentials=1
    shift
    if [ "${1:-}" = "--init" ]; then
        init=1
        shift
    fi
fi

detect() {
    for pm in apt-get dnf microdnf apk pacman zypper; do
        if command -v "$pm" >/dev/null 2>&1; then
            echo "$pm"
            return 0
        fi
    done
    echo "envman: the base image has no supported package manager (apt, dnf, microdnf, apk, pacman, zypper)" >&2
    return 3
}

pm=$(detect)

if [ "$essentials" = 1 ]; then
    set --
    command -v sudo >/dev/null 2>&1 || set -- "$@" sudo
    if ! command -v useradd >/dev/null 2>&1 && ! command -v adduser >/dev/null 2>&1; then
        case "$pm" in
            apt-get) set -- "$@" passwd ;;
            dnf | microdnf) set -- "$@" shadow-utils ;;
            *) set -- "$@" shadow ;;
        esac
    fi
    if [ "$init" = 1 ] && [ ! -x /usr/lib/systemd/systemd ] && [ ! -x /lib/systemd/systemd ]; then
        case "$pm" in
            apt-get) set -- "$@" systemd systemd-sysv dbus ;;
            zypper) set -- "$@" systemd systemd-sysvinit ;;
            apk) echo "envman: init needs systemd, which Alpine does not package" >&2; exit 3 ;;
            *) set -- "$@" systemd ;;
        esac
    fi
    if [ "$#" -eq 0 ]; then
        echo "envman: essentials already present"
        exit 0
    fi
fi

if [ "$#" -eq 0 ]; then
    exit 0
fi
echo "envman: installing with $pm: $*"

case "$pm" in
    apt-get)
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "$@"
        rm -rf /var/lib/apt/lists/*
        ;;
    dnf)
        dnf install -y --setopt=install_weak_deps=False "$@"
        dnf clean all
        ;;
    microdnf)
        microdnf install -y "$@"
        microdnf clean all
        ;;
    apk)
        apk add --no-cache "$@"
        ;;
    pacman)
        pacman -Sy --noconfirm --needed "$@"
        pacman -Scc --noconfirm
        ;;
    zypper)
        zypper --non-interactive install --no-recommends "$@"
        zypper clean --all
        ;;
esac
