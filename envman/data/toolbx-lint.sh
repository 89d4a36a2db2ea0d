# envman toolbx lint: prints ok|fail<TAB>id<TAB>detail per requirement.
# Run as root inside the image under test: envman passes this text to `/bin/sh -c`.
# Every id it prints is a key of REQUIREMENTS (envman/profile/toolbx/requirements.py).
# POSIX sh only (dash, busybox ash); reads files with shell builtins so that
# minimal images without grep or coreutils can still be checked.
PATH="${PATH:+$PATH:}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export PATH

say() { printf '%s\t%s\t%s\n' "$1" "$2" "$3"; }
ok() { say ok "$1" "$2"; }
fail() { say fail "$1" "$2"; }

shown() {
    case $1 in
        *[![:print:]]*) printf '%s' '(a name with control characters)' ;;
        *) printf '%s' "$1" ;;
    esac
}

trim() {
    _t=${1#"${1%%[![:space:]]*}"}
    printf '%s' "${_t%"${_t##*[![:space:]]}"}"
}

# find_cmd NAME: an executable file on PATH (shell builtins do not count:
# toolbx runs these commands directly, without a shell). Sets $found.
find_cmd() {
    found=
    _ifs=$IFS
    IFS=:
    set -f
    for _dir in $PATH; do
        if [ -n "$_dir" ] && [ -f "$_dir/$1" ] && [ -x "$_dir/$1" ]; then
            found=$_dir/$1
            break
        fi
    done
    set +f
    IFS=$_ifs
    [ -n "$found" ]
}

mounted() {
    [ -r /proc/self/mountinfo ] || return 1
    while read -r _ _ _ _ _mp _; do
        [ "$_mp" = "$1" ] && return 0
    done < /proc/self/mountinfo
    return 1
}

link_target() {
    if find_cmd readlink; then
        "$found" "$1"
    elif find_cmd ls; then
        _l=$("$found" -ld "$1")
        printf '%s' "${_l##* -> }"
    fi
}

dir_is_empty() {
    for _f in "$1"/* "$1"/.[!.]* "$1"/..?*; do
        if [ -e "$_f" ] || [ -L "$_f" ]; then
            return 1
        fi
    done
    return 0
}

dir_entries() {
    _list=
    for _f in "$1"/* "$1"/.[!.]* "$1"/..?*; do
        if [ -e "$_f" ] || [ -L "$_f" ]; then
            _list="$_list ${_f##*/}"
        fi
    done
    shown "$(trim "$_list")"
}

check_commands() {
    for _cmd in capsh mount passwd test useradd usermod ldconfig sudo; do
        if find_cmd "$_cmd"; then
            ok "cmd-$_cmd" "$found"
        else
            fail "cmd-$_cmd" "$_cmd is not an executable on PATH"
        fi
    done
}

rule_groups=
nopasswd_groups=
scan_sudoers() {
    [ -f "$1" ] || return 0
    while IFS= read -r _line || [ -n "$_line" ]; do
        _line=$(trim "$_line")
        case $_line in
            %sudo[[:space:]]*|%wheel[[:space:]]*)
                _group=${_line%%[[:space:]]*}
                _group=${_group#%}
                rule_groups="$rule_groups $_group"
                case $_line in
                    *NOPASSWD*) nopasswd_groups="$nopasswd_groups $_group" ;;
                esac
                ;;
        esac
    done < "$1"
}

group_exists() {
    [ -f /etc/group ] || return 1
    while IFS= read -r _line || [ -n "$_line" ]; do
        [ "${_line%%:*}" = "$1" ] && return 0
    done < /etc/group
    return 1
}

pam_nullok() {
    for _f in /etc/pam.d/sudo /etc/pam.d/common-auth /etc/pam.d/system-auth \
        /etc/pam.d/password-auth; do
        [ -f "$_f" ] || continue
        while IFS= read -r _line || [ -n "$_line" ]; do
            _line=$(trim "$_line")
            case $_line in
                \#*) ;;
                *pam_unix.so*nullok*) return 0 ;;
            esac
        done < "$_f"
    done
    return 1
}

check_sudo() {
    scan_sudoers /etc/sudoers
    for _f in /etc/sudoers.d/*; do
        case ${_f##*/} in
            *.*|*~) continue ;;
        esac
        scan_sudoers "$_f"
    done
    rule_groups=$(trim "$rule_groups")
    if [ -n "$rule_groups" ]; then
        ok sudoers-group-rule "sudo is enabled for: $rule_groups"
    else
        fail sudoers-group-rule "no %sudo or %wheel rule in /etc/sudoers or /etc/sudoers.d"
    fi
    _existing=
    for _g in ${rule_groups:-sudo wheel}; do
        group_exists "$_g" && _existing="$_existing $_g"
    done
    _existing=$(trim "$_existing")
    if [ -n "$rule_groups" ] && [ -z "$_existing" ]; then
        fail sudoers-group-exists "the group(s) $rule_groups are not in /etc/group"
    elif [ -n "$_existing" ]; then
        ok sudoers-group-exists "group(s) in /etc/group: $_existing"
    else
        fail sudoers-group-exists "neither a sudo nor a wheel group is in /etc/group"
    fi
    if [ -n "$(trim "$nopasswd_groups")" ]; then
        ok sudo-empty-password "NOPASSWD for:$nopasswd_groups"
    elif pam_nullok; then
        ok sudo-empty-password "PAM pam_unix has nullok"
    else
        fail sudo-empty-password "no NOPASSWD rule and no pam_unix nullok"
    fi
}

check_home() {
    if [ -L /home ]; then
        fail home-empty "/home is a symbolic link, not an empty directory"
    elif [ ! -e /home ]; then
        ok home-empty "absent (podman creates it)"
    elif [ ! -d /home ]; then
        fail home-empty "/home is not a directory"
    elif dir_is_empty /home; then
        ok home-empty "empty"
    else
        fail home-empty "/home contains: $(dir_entries /home)"
    fi
}

absent_or_regular() {
    if mounted "$2"; then
        ok "$1" "podman mounts its own $2 here; run with --no-hosts to see the image's"
    elif [ -L "$2" ]; then
        fail "$1" "$2 is a symbolic link to $(shown "$(link_target "$2")")"
    elif [ ! -e "$2" ]; then
        ok "$1" "absent"
    elif [ -f "$2" ]; then
        ok "$1" "a regular file"
    else
        fail "$1" "$2 is neither absent nor a regular file"
    fi
}

check_localtime() {
    if [ -L /etc/localtime ]; then
        _target=$(link_target /etc/localtime)
        case $_target in
            *zoneinfo/*)
                if [ -f /etc/localtime ]; then
                    ok etc-localtime "links to $(shown "$_target")"
                else
                    fail etc-localtime "links to $(shown "$_target"), which does not exist"
                fi
                ;;
            '') ok etc-localtime "a symbolic link (no readlink or ls to read it)" ;;
            *) fail etc-localtime "links to $(shown "$_target"), not into /usr/share/zoneinfo" ;;
        esac
    elif [ ! -e /etc/localtime ]; then
        ok etc-localtime "absent"
    else
        fail etc-localtime "/etc/localtime is not a symbolic link into /usr/share/zoneinfo"
    fi
}

check_myhostname() {
    _hosts=
    if [ -f /etc/nsswitch.conf ]; then
        while IFS= read -r _line || [ -n "$_line" ]; do
            _line=$(trim "$_line")
            case $_line in
                hosts:*) _hosts=${_line#hosts:} ;;
            esac
        done < /etc/nsswitch.conf
    fi
    _lib=
    for _f in /lib/libnss_myhostname.so.2 /lib64/libnss_myhostname.so.2 \
        /usr/lib/libnss_myhostname.so.2 /usr/lib64/libnss_myhostname.so.2 \
        /lib/*-linux-gnu*/libnss_myhostname.so.2 \
        /usr/lib/*-linux-gnu*/libnss_myhostname.so.2; do
        if [ -e "$_f" ]; then
            _lib=$_f
            break
        fi
    done
    _place=absent
    _network=
    set -f
    for _word in $_hosts; do
        case $_word in
            myhostname)
                _place=early
                [ -n "$_network" ] && _place=late
                break
                ;;
            dns|resolve) _network=yes ;;
        esac
    done
    set +f
    if [ -z "$_lib" ]; then
        fail nss-myhostname "libnss_myhostname.so.2 is not installed"
    elif [ "$_place" = absent ]; then
        fail nss-myhostname "myhostname is not on the hosts: line of /etc/nsswitch.conf"
    elif [ "$_place" = late ]; then
        fail nss-myhostname "myhostname comes after dns/resolve on the hosts: line"
    else
        ok nss-myhostname "hosts:$(shown "$_hosts")"
    fi
}

writable_dir() {
    if [ -d "$2" ] && [ -w "$2" ]; then
        ok "$1" "$2"
    elif [ -d "$2" ]; then
        fail "$1" "$2 is not writable by root"
    else
        fail "$1" "$2 is missing"
    fi
}

check_p11_kit() {
    for _f in /usr/lib/pkcs11/p11-kit-client.so \
        /usr/lib/aarch64-linux-gnu/pkcs11/p11-kit-client.so \
        /usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so \
        /usr/lib64/pkcs11/p11-kit-client.so; do
        if [ -e "$_f" ]; then
            ok p11-kit-client "$_f"
            return
        fi
    done
    fail p11-kit-client "p11-kit-client.so is in none of toolbx's four pkcs11 paths"
}

check_rpm() {
    if [ -d /usr/lib/rpm ] || find_cmd rpm; then
        writable_dir rpm-macros-d /usr/lib/rpm/macros.d
    else
        ok rpm-macros-d "no RPM in the image"
    fi
}

check_vte() {
    if [ -f /etc/profile.d/vte.sh ]; then
        ok vte-sh /etc/profile.d/vte.sh
        return
    fi
    for _f in /etc/profile.d/vte-*.sh; do
        if [ -f "$_f" ]; then
            ok vte-sh "$_f (VTE's versioned name)"
            return
        fi
    done
    fail vte-sh "/etc/profile.d/vte.sh is missing"
}

check_flatpak_spawn() {
    if find_cmd flatpak-spawn; then
        ok flatpak-spawn "$found"
    elif [ -x /usr/libexec/flatpak-xdg-utils/flatpak-spawn ]; then
        fail flatpak-spawn "/usr/libexec/flatpak-xdg-utils/flatpak-spawn is not on PATH"
    else
        fail flatpak-spawn "flatpak-spawn is not an executable on PATH"
    fi
}

check_usr_share_empty() {
    if [ -d /usr/share/empty ] && dir_is_empty /usr/share/empty; then
        ok usr-share-empty "empty"
    elif [ -d /usr/share/empty ]; then
        fail usr-share-empty "/usr/share/empty is not empty"
    else
        fail usr-share-empty "/usr/share/empty is missing"
    fi
}

unquote() {
    _u=${1#[\"\']}
    printf '%s' "${_u%[\"\']}"
}

check_os_release() {
    _file=
    for _f in /etc/os-release /usr/lib/os-release; do
        if [ -f "$_f" ]; then
            _file=$_f
            break
        fi
    done
    _id='' _like='' _version=''
    if [ -n "$_file" ]; then
        while IFS= read -r _line || [ -n "$_line" ]; do
            case $_line in
                ID=*) _id=$(unquote "${_line#ID=}") ;;
                ID_LIKE=*) _like=$(unquote "${_line#ID_LIKE=}") ;;
                VERSION_ID=*) _version=$(unquote "${_line#VERSION_ID=}") ;;
            esac
        done < "$_file"
    fi
    _detail=$(shown "ID=$_id ID_LIKE=$_like VERSION_ID=$_version")
    if [ "$_file" = /etc/os-release ]; then
        ok os-release "$_detail"
    elif [ -n "$_file" ]; then
        fail os-release "only /usr/lib/os-release; $_detail"
    else
        fail os-release "no /etc/os-release"
    fi
}

check_ld_so() {
    if [ -f /etc/ld.so.cache ]; then
        ok ld-so-cache /etc/ld.so.cache
    else
        fail ld-so-cache "/etc/ld.so.cache is missing"
    fi
    writable_dir ld-so-conf-d /etc/ld.so.conf.d
}

check_os_release
check_commands
check_sudo
check_home
absent_or_regular etc-host-conf /etc/host.conf
absent_or_regular etc-hosts /etc/hosts
absent_or_regular etc-resolv-conf /etc/resolv.conf
check_localtime
absent_or_regular etc-timezone /etc/timezone
absent_or_regular etc-machine-id /etc/machine-id
check_myhostname
writable_dir krb5-conf-d /etc/krb5.conf.d
writable_dir pkcs11-modules /etc/pkcs11/modules
check_p11_kit
check_rpm
check_vte
check_flatpak_spawn
check_usr_share_empty
check_ld_so
