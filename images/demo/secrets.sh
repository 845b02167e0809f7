#!/usr/bin/env bash
# images/demo/secrets.sh FILE - write the demo's secrets (the keys of
# secrets.env.example) to FILE with random values, owned by the caller,
# mode 0600, as `rtctl config check` wants [droplet] secrets. An existing
# FILE is left as it is.
set -euo pipefail
[ $# = 1 ] || { echo "usage: images/demo/secrets.sh FILE" >&2; exit 2; }
[ ! -e "$1" ] || { echo "secrets.sh: $1 exists, left as it is" >&2; exit 0; }
# letters and digits only: the values go into URLs and a redis.conf line
# (1 KiB of random bytes leaves about 240 of them: no pipe is cut short)
rand() {
    local s
    s=$(head -c 1024 /dev/urandom | tr -dc 'A-Za-z0-9')
    [ ${#s} -ge "$1" ] || { echo "secrets.sh: not enough random letters" >&2; exit 1; }
    printf '%s' "${s:0:$1}"
}
umask 077
tmp=$(mktemp "$1.XXXXXX")
cat >"$tmp" <<EOT
REDIS_PASSWORD=$(rand 32)
RABBITMQ_USER=codecave
RABBITMQ_PASS=$(rand 32)
DATABASE_URL=postgres://unused
JWT_SECRET=$(rand 48)
EOT
mv "$tmp" "$1"
