# envman: find what an export needs inside the container, without trusting names to a shell.
# Usage: apps DATA_DIR... | file PATH | icons NAME | bin PATH | path | mounts. Prints
# tab-separated lines: apps and icons print "PATH<TAB>REAL_PATH", file and bin print the real
# path, path every executable file in $PATH's directories (names of printable characters only),
# mounts the mount points (as /proc/self/mountinfo escapes them). A file is only printed when it is a
# regular file everyone may read: envman copies it to the host with mode 0644.
set -eu
mode=$1
shift

# $1 resolved, printed when it is a regular file readable by all (owner-only files stay inside).
readable() {
    real=$(readlink -f -- "$1" 2>/dev/null) || return 1
    [ -f "$real" ] && [ -n "$(find "$real" -prune -perm -0004 2>/dev/null)" ] || return 1
    printf '%s' "$real"
}

case $mode in
apps)
    for dir in "$@"; do
        [ -d "$dir/applications" ] || continue
        find "$dir/applications" -name '*.desktop' \( -type f -o -type l \) 2>/dev/null |
            while IFS= read -r path; do
                real=$(readable "$path") && printf '%s\t%s\t%s\n' "$dir" "$path" "$real"
            done
    done
    ;;
file)
    real=$(readable "$1") && printf '%s\n' "$real"
    ;;
icons)
    name=$1
    for dir in /usr/share/icons/hicolor /usr/local/share/icons/hicolor; do
        [ -d "$dir" ] || continue
        for ext in png svg svgz xpm; do
            find "$dir" -name "$name.$ext" \( -type f -o -type l \) 2>/dev/null
        done
    done | while IFS= read -r path; do
        real=$(readable "$path") && printf '%s\t%s\n' "$path" "$real"
    done
    for dir in /usr/share/pixmaps /usr/local/share/pixmaps; do
        for ext in png svg xpm; do
            path=$dir/$name.$ext
            real=$(readable "$path") && printf '%s\t%s\n' "$path" "$real"
        done
    done
    ;;
bin)
    real=$(readlink -f -- "$1") && [ -f "$real" ] && [ -x "$real" ] && printf '%s\n' "$real"
    ;;
path)
    IFS=:
    for dir in $PATH; do
        [ -d "$dir" ] || continue
        for file in "$dir"/*; do
            case $file in *[![:print:]]*) continue ;; esac
            [ -f "$file" ] && [ -x "$file" ] && printf '%s\n' "$file"
        done
    done
    ;;
mounts)
    while read -r _ _ _ _ point _; do
        printf '%s\n' "$point"
    done </proc/self/mountinfo
    ;;
*)
    echo "export-scan: unknown mode $mode" >&2
    exit 2
    ;;
esac
