# envman: the container's main process. Runs the image's start hooks, then idles cheaply until
# podman stops it. Passed inline to `podman create`, so any image with /bin/sh works.
for hook in /usr/lib/envman/start.d/*; do
    [ -x "$hook" ] || continue
    "$hook" || echo "envman: start hook $hook failed with status $?" >&2
done
: >/run/.envman-started 2>/dev/null || true
trap 'kill "$idle" 2>/dev/null; exit 0' TERM INT HUP
while :; do
    sleep 100000 &
    idle=$!
    wait "$idle"
done
