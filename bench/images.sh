#!/usr/bin/env bash
# bench/images.sh - import speed of `rtctl image import` against `umoci
# unpack` of the same OCI layout and `tar -xzf` of the same layers,
# measured in the same run on the same machine. It prints ratios.
#
# The image: four gzip layers made from this host's /usr (python, headers,
# perl, git), a few hundred MB unpacked. Each tool runs REPS times, each
# time into a new directory, and nothing is deleted until the end: ext4
# makes creating files slow for minutes after mass deletes
# ("recently_deleted" in its inode allocator), which would otherwise
# penalise whichever tool runs next. Two targets: a fresh tmpfs (what the
# tools themselves cost), and the disk under BENCH_DIR (what a user sees,
# with the page cache warm). rtctl syncs the file system before it makes
# a layer visible, tar does not, so tar is also timed with a sync.
set -euo pipefail
cd "$(dirname "$0")/.."
RTCTL=${RTCTL:-$PWD/build/rtctl}
REPS=${REPS:-3}
BASE=${BENCH_DIR:-/var/tmp/rt-bench}
LAYERS=(/usr/lib/python3.11 /usr/include /usr/share/perl /usr/lib/git-core)

cleanup() { umount -l "$BASE/tmpfs" 2>/dev/null || true; rm -rf "$BASE"; }
trap cleanup EXIT
cleanup
mkdir -p "$BASE/src" "$BASE/tmpfs" "$BASE/disk"
mount -t tmpfs -o size=8G rt-bench "$BASE/tmpfs"

echo "building the image from ${LAYERS[*]}..."
python3 bench/mklayout.py "$BASE/src/A" bench/a:1 "${LAYERS[@]}"
# B shares the first three layers and has a small fourth one
python3 bench/mklayout.py "$BASE/src/B" bench/b:1 "${LAYERS[@]:0:3}" /usr/share/perl5
layers_of() {
    python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"][7:]; print(" ".join(l["digest"][7:] for l in json.load(open(sys.argv[1]+"/blobs/sha256/"+m))["layers"]))' "$1"
}
blobs=$(layers_of "$BASE/src/A")
comp=0
for b in $blobs; do comp=$((comp + $(stat -c %s "$BASE/src/A/blobs/sha256/$b"))); done

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
fresh() { mkdir -p "$1" && mktemp -d "$1/run.XXXXXX"; } # never reused, never deleted before the end

rt() {
    local d s e
    d=$(fresh "$1")
    sync
    s=$(now)
    "$RTCTL" --root "$d" image import --quiet "$BASE/src/A" bench/a:1
    e=$(now)
    echo "$e - $s" | bc
}
um() {
    local d s e
    d=$(fresh "$1")
    sync
    s=$(now)
    umoci unpack --image "$BASE/src/A:1" "$d" >/dev/null
    e=$(now)
    echo "$e - $s" | bc
}
tr() {
    local d s e
    d=$(fresh "$1")
    mkdir -p "$d"
    sync
    s=$(now)
    for b in $blobs; do tar -xzf "$BASE/src/A/blobs/sha256/$b" -C "$d"; done
    [ "${2:-}" = sync ] && sync -f "$d"
    e=$(now)
    echo "$e - $s" | bc
}

report() {
    local where=$1 i R=() U=() T=() TS=()
    # Round robin, so that every tool meets the same disk state.
    for i in $(seq "$REPS"); do
        R+=("$(rt "$where")")
        U+=("$(um "$where")")
        T+=("$(tr "$where")")
        TS+=("$(tr "$where" sync)")
    done
    local r u t ts
    r=$(printf '%s\n' "${R[@]}" | median)
    u=$(printf '%s\n' "${U[@]}" | median)
    t=$(printf '%s\n' "${T[@]}" | median)
    ts=$(printf '%s\n' "${TS[@]}" | median)
    printf '%s:\n' "$2"
    printf '  rtctl image import  %6.3f s\n' "$r"
    printf '  umoci unpack        %6.3f s   rtctl is %.2fx faster than umoci (goal: at least 2x)\n' "$u" "$(echo "$u / $r" | bc -l)"
    printf '  tar -xzf            %6.3f s   rtctl takes %.2fx the time of tar (goal: at most 1.2x)\n' "$t" "$(echo "$r / $t" | bc -l)"
    printf '  tar -xzf + sync     %6.3f s   rtctl takes %.2fx the time of tar with a sync\n' "$ts" "$(echo "$r / $ts" | bc -l)"
}

# warm the page cache for the sources, and every tool's binary
tr "$BASE/tmpfs/warm" >/dev/null; rt "$BASE/tmpfs/warm" >/dev/null; um "$BASE/tmpfs/warm" >/dev/null
w=$(fresh "$BASE/tmpfs/warm")
for b in $blobs; do tar -xzf "$BASE/src/A/blobs/sha256/$b" -C "$w"; done
unpacked=$(du -sb "$w" | cut -f1)
files=$(find "$w" | wc -l)
printf 'image: 4 gzip layers, %.1f MB compressed, %.1f MB and %d files unpacked; median of %d runs\n' \
    "$(echo "$comp / 1000000" | bc -l)" "$(echo "$unpacked / 1000000" | bc -l)" "$files" "$REPS"
report "$BASE/tmpfs" "on a tmpfs (the tools' own cost)"
report "$BASE/disk" "on disk ($(df --output=fstype "$BASE/disk" | tail -n 1), page cache warm)"

# re-import: B after A; only B's fourth layer is new
d=$(fresh "$BASE/tmpfs")
"$RTCTL" --root "$d" image import --quiet "$BASE/src/A" bench/a:1
s=$(now)
out=$("$RTCTL" --root "$d" image import "$BASE/src/B" bench/b:1)
e=$(now)
last=${blobs##* }
bl=$(layers_of "$BASE/src/B")
bl=${bl##* }
one=$(fresh "$BASE/tmpfs")
s1=$(now)
tar -xzf "$BASE/src/B/blobs/sha256/$bl" -C "$one"
e1=$(now)
printf 're-import of an image sharing 3 of its 4 layers: %.3f s (%s); tar -xzf of the new layer alone: %.3f s\n' \
    "$(echo "$e - $s" | bc)" "$(sed -n 's/.*(\(.*\)).*/\1/p' <<<"$out")" "$(echo "$e1 - $s1" | bc)"
