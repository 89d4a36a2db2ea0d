#!/bin/sh
# envman-export dev /usr/bin/ansible-playbook
# Written by envman; `envman unexport dev --bin /usr/bin/ansible-playbook` removes it.
if [ "${ENVMAN_ENV:-}" = dev ]; then
    exec /usr/bin/ansible-playbook "$@"
fi
exec /home/u/.local/share/envman/bin/envman run dev -- /usr/bin/ansible-playbook "$@"

# ---- shim ----
#!/bin/sh
# envman launcher: exported apps and wrappers run this, so they keep working when
# envman is upgraded or reinstalled. Rewritten by every envman export.
if [ -x /opt/envman/venv/bin/envman ]; then
    exec /opt/envman/venv/bin/envman "$@"
fi
exec envman "$@"
