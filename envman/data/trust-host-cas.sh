#!/bin/sh
# envman: trust the certificate authorities the host trusts locally (a company's TLS-inspecting
# proxy, an internal registry), so that builds reach the network the way the host does.
# The host's extra CA files arrive in /usr/lib/envman/host-ca/.
set -eu
src=/usr/lib/envman/host-ca
[ -d "$src" ] || exit 0

if command -v update-ca-certificates >/dev/null 2>&1 && [ -d /usr/local/share/ca-certificates ]; then
    mkdir -p /usr/local/share/ca-certificates/envman-host
    for cert in "$src"/*; do
        cp "$cert" "/usr/local/share/ca-certificates/envman-host/$(basename "$cert" .pem).crt"
    done
    update-ca-certificates >/dev/null
elif command -v update-ca-trust >/dev/null 2>&1; then
    mkdir -p /etc/pki/ca-trust/source/anchors
    cp "$src"/* /etc/pki/ca-trust/source/anchors/
    update-ca-trust extract
elif command -v trust >/dev/null 2>&1 && [ -d /etc/ca-certificates/trust-source/anchors ]; then
    cp "$src"/* /etc/ca-certificates/trust-source/anchors/
    trust extract-compat
else
    # No trust tool: append to whichever bundle files the image has.
    for bundle in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem; do
        if [ -f "$bundle" ]; then
            cat "$src"/* >>"$bundle"
        fi
    done
fi
echo "envman: trusting $(find "$src" -type f | wc -l) CA certificate(s) of the host"
