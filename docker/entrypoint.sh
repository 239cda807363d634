#!/bin/sh
# Copies the read-only config template into the writable data volume on first
# start, then runs rsentinel on the copy. Sentinel must rewrite its config
# file (myid, epochs, discovered replicas and peers), and a read-only mount is
# the most common reason a containerised sentinel fails.
#
#   RSENTINEL_TEMPLATE  template to copy (default /etc/rsentinel/sentinel.conf)
#   RSENTINEL_CONFIG    the live, writable config (default /data/sentinel.conf)
#   RSENTINEL_BIN       the binary (default rsentinel)
# Extra arguments are passed on: `--port 5000 --sentinel announce-ip 10.0.0.5`.
set -eu
template=${RSENTINEL_TEMPLATE:-/etc/rsentinel/sentinel.conf}
config=${RSENTINEL_CONFIG:-/data/sentinel.conf}
bin=${RSENTINEL_BIN:-rsentinel}
mkdir -p "$(dirname "$config")"
if [ ! -s "$config" ]; then
    [ -r "$template" ] || { echo "rsentinel-entrypoint: no config at $config and no template at $template" >&2; exit 1; }
    cp "$template" "$config"
fi
[ -w "$config" ] || { echo "rsentinel-entrypoint: $config is not writable (mount a writable volume)" >&2; exit 1; }
exec "$bin" "$config" "$@"
