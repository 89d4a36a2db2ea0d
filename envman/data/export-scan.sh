# envman: find what an export needs inside the container, without trusting names to a shell.
# Usage: apps DATA_DIR... | file PATH | icons NAME | bin PATH. Prints tab-separated lines:
# apps and icons print "PATH<TAB>REAL_PATH", file and bin print the real path.
set -eu
mode=$1
shift
case $mode in
apps)
    for dir in "$@"; do
        [ -d "$dir/applications" ] || continue
        find "$dir/applications" -name '*.desktop' \( -type f -o -type l \) 2>/dev/null |
            while IFS= read -r path; do
                real=$(readlink -f -- "$path") || continue
                [ -f "$real" ] && printf '%s\t%s\t%s\n' "$dir" "$path" "$real"
            done
    done
    ;;
file)
    real=$(readlink -f -- "$1") && [ -f "$real" ] && printf '%s\n' "$real"
    ;;
icons)
    name=$1
    for dir in /usr/share/icons/hicolor /usr/local/share/icons/hicolor; do
        [ -d "$dir" ] || continue
        for ext in png svg svgz xpm; do
            find "$dir" -name "$name.$ext" \( -type f -o -type l \) 2>/dev/null
        done
    done | while IFS= read -r path; do
        real=$(readlink -f -- "$path") || continue
        [ -f "$real" ] && printf '%s\t%s\n' "$path" "$real"
    done
    for dir in /usr/share/pixmaps /usr/local/share/pixmaps; do
        for ext in png svg xpm; do
            path=$dir/$name.$ext
            real=$(readlink -f -- "$path" 2>/dev/null) || continue
            [ -f "$real" ] && printf '%s\t%s\n' "$path" "$real"
        done
    done
    ;;
bin)
    real=$(readlink -f -- "$1") && [ -f "$real" ] && [ -x "$real" ] && printf '%s\n' "$real"
    ;;
*)
    echo "export-scan: unknown mode $mode" >&2
    exit 2
    ;;
esac
