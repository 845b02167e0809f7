#!/usr/bin/env bash
# images/demo/build.sh [-j JOBS] NAME...|all [OUTDIR] - build the demo
# stack's images (docs/demo.md): OCI image layouts that `rtctl image
# import` takes, made from Debian 12 packages with mmdebstrap and, for the
# API, from the npm registry, the only sources this needs. No Docker.
#
#   NAME      redis, mq, api or gateway (images/demo/NAME/recipe.sh); all: the four
#   OUTDIR    where to put OUTDIR/NAME, a symbolic link to the image's
#             layout in the cache, and OUTDIR/NAME.packages, the Debian
#             packages in it with their versions
#   -j JOBS   images built at once (default 2)
#
# Each image is one layer: Debian's essential packages and the recipe's
# PACKAGES (without recommends; no documentation but the copyright files,
# no manuals, locales, apt lists or caches), the recipe's users with fixed
# uids (users.sh), its customize step, and its CONFIG. It is kept in the
# cache, RT_DEMO_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/rt-demo),
# under a key made of its inputs: this script, users.sh, the image writer
# (tests/images/mkimage.py), every file of images/demo/NAME/ (the recipe,
# the API's source and package-lock.json, nginx.conf), the Debian release
# and the architecture. An image whose key is cached is not built again;
# a changed input builds it again and removes the older one. Package
# updates published since are taken by removing the cache.
#
# RT_DEMO_MIRROR, if set, is the mirror mmdebstrap uses (its MIRROR
# argument); by default mmdebstrap's own, with the release's updates and
# security suites.
#
# Exit status: 0 all built or cached; 1 a build failed (its log is
# printed); 2 a wrong command line or a missing tool; 3 a build failed
# only because the Debian mirror or the npm registry could not be reached
# (tests/cli/realstack.sh then skips).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
SUITE=bookworm
ALL=(redis mq api gateway)
CACHE=${RT_DEMO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rt-demo}
JOBS=2
# What a build that could not reach its sources prints (apt, npm).
NETFAIL='Temporary failure resolving|Could not resolve|Failed to fetch|Unable to connect|Could not connect|Connection timed out|Connection refused|Network is unreachable|No route to host|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH'

usage() {
    echo "usage: images/demo/build.sh [-j JOBS] NAME...|all [OUTDIR]   (NAME: ${ALL[*]})" >&2
    exit 2
}

names=() out=""
while [ $# -gt 0 ]; do
    case $1 in
        -j) [ $# -ge 2 ] || usage; JOBS=$2; shift 2 ;;
        -h | --help) usage ;;
        all) names+=("${ALL[@]}"); shift ;;
        -*) usage ;;
        *)
            if [ -f "$here/$1/recipe.sh" ]; then names+=("$1")
            elif [ $# -eq 1 ] && [ ${#names[@]} -gt 0 ]; then out=$1
            else echo "build.sh: no image '$1' (images/demo/$1/recipe.sh)" >&2; usage
            fi
            shift ;;
    esac
done
[ ${#names[@]} -gt 0 ] || usage
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || usage
[ "$(id -u)" = 0 ] || { echo "build.sh: run as root (mmdebstrap --mode=root, layers keep owners)" >&2; exit 2; }
for tool in mmdebstrap python3 zstd tar sha256sum; do
    command -v $tool >/dev/null || { echo "build.sh: $tool missing (bash tools/deps.sh)" >&2; exit 2; }
done
mkdir -p "$CACHE/tmp" "$CACHE/logs"

# key_of NAME: the first 16 hex digits of the SHA-256 of the image's inputs
key_of() {
    {
        printf 'suite %s\narch %s\nmirror %s\n' "$SUITE" "$(dpkg --print-architecture)" "${RT_DEMO_MIRROR:-}"
        for f in images/demo/build.sh images/demo/users.sh tests/images/mkimage.py; do
            printf '%s\0' "$f"
            cat "$top/$f"
        done
        cd "$here/$1"
        find . \( -name node_modules -o -name dist \) -prune -o -type f -print0 | LC_ALL=C sort -z |
            while IFS= read -r -d '' f; do printf '%s\0' "$1/$f"; cat "$f"; done
    } | sha256sum | cut -c1-16
}

human() { numfmt --to=si --suffix=B --format=%.1f "$1"; }

# build_one NAME KEY: build into the cache (run in a subshell, output to
# the image's log); prints a one-line summary last
build_one() {
    local name=$1 key=$2
    local dest="$CACHE/$name-$key" start=$SECONDS
    exec {lock}>"$CACHE/.lock-$name"
    flock "$lock"
    if [ -f "$dest/index.json" ]; then echo "$name: cached (key $key)"; return 0; fi
    WORK=$(mktemp -d "$CACHE/tmp/$name.XXXXXX")
    export WORK
    trap 'rm -rf "$WORK"' EXIT
    local PACKAGES=() USERS=() CONFIG=""
    # shellcheck disable=SC1090
    source "$here/$name/recipe.sh"
    local root="$WORK/root" include
    include=$(IFS=,; echo "${PACKAGES[*]}")
    local mm=(mmdebstrap --mode=root --variant=essential --format=directory
        # merged /usr by symlinks, as bookworm has it, without the usrmerge
        # package (and the perl it pulls in)
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
        --include="$include"
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
        --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias'
        --dpkgopt='path-exclude=/usr/share/lintian/*'
        --essential-hook="$(printf '%q' "$here/users.sh") \"\$1\" ${USERS[*]}"
        "$SUITE" "$root")
    [ -z "${RT_DEMO_MIRROR:-}" ] || mm+=("$RT_DEMO_MIRROR")
    echo "== ${mm[*]}"
    "${mm[@]}"
    if declare -F customize >/dev/null; then
        echo "== customize"
        # not "cd && customize": set -e would not hold inside it
        (
            cd "$here/$name"
            customize "$root"
        )
    fi
    echo "== clean"
    # No device nodes in a layer (the runtime gives each container its
    # own /dev), no files naming the build machine (the runtime mounts its
    # own hosts, resolv.conf and hostname), no logs or backups of dpkg's
    # databases.
    find "$root/dev" -mindepth 1 -delete
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
    : >"$root/etc/resolv.conf"
    : >"$root/etc/hostname"
    find "$root/var/log" -type f -delete
    rm -rf "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old "$root"/var/cache/ldconfig/aux-cache
    dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Package}\t${Version}\n' >"$WORK/packages"
    echo "== layer"
    tar --create --file "$WORK/layer.tar" --directory "$root" --numeric-owner --xattrs --xattrs-include='*' \
        --sort=name --format=posix --pax-option='exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime' .
    rm -rf "$root"
    python3 - "$WORK/spec.json" "rt-demo/$name:latest" "$WORK/layer.tar" "$CONFIG" "$(date -u +%FT%TZ)" <<'PY'
import json, sys
spec, name, layer, config, created = sys.argv[1:6]
json.dump({"name": name, "format": "layout", "config": json.loads(config), "created": created,
           "layers": [{"raw": layer, "compress": "zstd"}]}, open(spec, "w"))
PY
    python3 "$top/tests/images/mkimage.py" "$WORK/layout" "$WORK/spec.json"
    local unpacked packed
    unpacked=$(stat -c %s "$WORK/layer.tar")
    packed=$(du -sb "$WORK/layout" | cut -f1)
    rm -f "$WORK/layer.tar"
    # Published whole or not at all: the layout's name appears last.
    mv "$WORK/packages" "$dest.packages"
    mv "$WORK/layout" "$dest"
    for old in "$CACHE/$name"-*; do
        case $old in "$dest" | "$dest.packages") ;; *) rm -rf "$old" ;; esac
    done
    echo "$name: built in $((SECONDS - start)) s: $(human "$packed") compressed, $(human "$unpacked") as a tar, $(wc -l <"$dest.packages") Debian packages (key $key)"
}

declare -A key pid_of
for n in "${names[@]}"; do key[$n]=$(key_of "$n"); done
status=0 netonly=1 running=0
# finish PID: report the build that ended
finish() {
    local n=${pid_of[$1]} rc=$2
    local log="$CACHE/logs/$n.log"
    if [ "$rc" = 0 ]; then
        tail -n 1 "$log"
    else
        echo "$n: FAILED (exit $rc); the end of $log:" >&2
        tail -n 30 "$log" | sed 's/^/  /' >&2
        status=1
        grep -qE "$NETFAIL" "$log" || netonly=0
    fi
}
for n in "${names[@]}"; do
    if [ -f "$CACHE/$n-${key[$n]}/index.json" ]; then
        echo "$n: cached (key ${key[$n]})"
        continue
    fi
    if [ $running -ge "$JOBS" ]; then
        rc=0
        wait -n -p done_pid || rc=$?
        finish "$done_pid" "$rc"
        running=$((running - 1))
    fi
    echo "$n: building (log $CACHE/logs/$n.log)"
    (build_one "$n" "${key[$n]}") >"$CACHE/logs/$n.log" 2>&1 &
    pid_of[$!]=$n
    running=$((running + 1))
done
while [ $running -gt 0 ]; do
    rc=0
    wait -n -p done_pid || rc=$?
    finish "$done_pid" "$rc"
    running=$((running - 1))
done
[ $status = 0 ] || { [ $netonly = 1 ] && exit 3; exit 1; }

if [ -n "$out" ]; then
    mkdir -p "$out"
    for n in "${names[@]}"; do
        ln -sfn "$CACHE/$n-${key[$n]}" "$out/$n"
        ln -sfn "$CACHE/$n-${key[$n]}.packages" "$out/$n.packages"
    done
fi
