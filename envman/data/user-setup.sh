# envman: make the host user exist inside the container, once, right after it is created.
# Arguments: USER UID GID HOME SHELL. Run as root through `podman exec`, never through a string.
set -eu
user=$1 uid=$2 gid=$3 home=$4 shell=$5

[ -x "$shell" ] || shell=/bin/bash
[ -x "$shell" ] || shell=/bin/sh

if ! cut -d: -f3 /etc/group | grep -qx "$gid"; then
    groupadd -g "$gid" "$user" 2>/dev/null || addgroup -g "$gid" "$user"
fi
group=$(awk -F: -v gid="$gid" '$3 == gid { print $1; exit }' /etc/group)

if cut -d: -f1 /etc/passwd | grep -qx "$user"; then
    # podman's keep-id already wrote a passwd line: align home and shell with the host.
    usermod -d "$home" -s "$shell" "$user" 2>/dev/null || true
elif command -v useradd >/dev/null 2>&1; then
    useradd -M -u "$uid" -g "$gid" -d "$home" -s "$shell" "$user"
else
    adduser -D -H -u "$uid" -G "$group" -h "$home" -s "$shell" "$user"
fi

for admin in sudo wheel; do
    if cut -d: -f1 /etc/group | grep -qx "$admin"; then
        usermod -aG "$admin" "$user" 2>/dev/null || addgroup "$user" "$admin" 2>/dev/null || true
    fi
done
mkdir -p /etc/sudoers.d
printf '%s ALL=(ALL) NOPASSWD: ALL\n' "$user" >/etc/sudoers.d/envman-user
chmod 0440 /etc/sudoers.d/envman-user
passwd -d "$user" >/dev/null 2>&1 || true
mkdir -p /var/lib/envman
: >/var/lib/envman/user-ready
