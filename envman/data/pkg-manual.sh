#!/bin/sh
# envman adopt: the packages someone asked for (not those pulled in as dependencies), one per
# line, after a first line naming how they were found. Exit 3 when no package manager here can
# tell. Run in an existing container and in a throwaway container of its image, to compare.
set -u

if command -v apt-mark >/dev/null 2>&1; then
    echo "apt-mark showmanual"
    exec apt-mark showmanual
fi
if command -v dnf >/dev/null 2>&1; then
    # no repository is read: the history of what was asked for is local
    if out=$(dnf --disablerepo='*' repoquery --userinstalled --queryformat '%{name}\n' 2>/dev/null); then
        echo "dnf repoquery --userinstalled"
        printf '%s\n' "$out"
        exit 0
    fi
fi
if command -v rpm >/dev/null 2>&1; then
    echo "rpm -qa"
    exec rpm -qa --queryformat '%{NAME}\n'
fi
if [ -f /etc/apk/world ]; then
    echo "/etc/apk/world"
    exec cat /etc/apk/world
fi
if command -v pacman >/dev/null 2>&1; then
    echo "pacman -Qqe"
    exec pacman -Qqe
fi
exit 3
