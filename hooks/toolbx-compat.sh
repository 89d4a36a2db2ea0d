#!/bin/sh
# envman hook (build): add what toolbx requires of an image (capsh, mount, passwd, useradd,
# usermod, ldconfig, sudo for the sudo/wheel group, an empty /home, /usr/share/empty,
# /etc/krb5.conf.d, /etc/pkcs11/modules), so `toolbox create --image` works with it too.
set -eu

if command -v apt-get >/dev/null 2>&1; then
    /usr/lib/envman/pkg-install libcap2-bin mount passwd sudo libnss-myhostname
    admin=sudo
elif command -v dnf >/dev/null 2>&1 || command -v microdnf >/dev/null 2>&1; then
    /usr/lib/envman/pkg-install libcap util-linux shadow-utils passwd sudo
    admin=wheel
elif command -v pacman >/dev/null 2>&1; then
    /usr/lib/envman/pkg-install libcap util-linux shadow sudo
    admin=wheel
elif command -v zypper >/dev/null 2>&1; then
    /usr/lib/envman/pkg-install libcap-progs util-linux shadow sudo
    admin=wheel
else
    /usr/lib/envman/pkg-install libcap util-linux shadow sudo
    admin=wheel
fi

grep -q "^$admin:" /etc/group || groupadd "$admin"
mkdir -p /etc/sudoers.d
printf '%%%s ALL=(ALL) NOPASSWD: ALL\n' "$admin" >/etc/sudoers.d/toolbx
chmod 0440 /etc/sudoers.d/toolbx
mkdir -p /usr/share/empty /etc/krb5.conf.d /etc/pkcs11/modules
if [ -f /etc/nsswitch.conf ] && ! grep -q '^hosts:.*myhostname' /etc/nsswitch.conf; then
    sed -i 's/^hosts:\(.*\)files/hosts:\1files myhostname/' /etc/nsswitch.conf
fi
# toolbx needs /home empty on hosts where /home is a symlink (Silverblue).
find /home -mindepth 1 -maxdepth 1 -exec rm -rf {} + 2>/dev/null || true
