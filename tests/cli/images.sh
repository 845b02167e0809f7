# rtctl image: import from independent tools, hostile layers, corrupt
# images, the store's atomicity, mounting, gc. Run as root (mounts, owners).

MKIMAGE="$TOP/tests/images/mkimage.py"
TREECMP="$TOP/tests/images/treecmp.py"

# img OUT SPEC: build an image with mkimage.py from a JSON spec string.
img() {
    printf '%s' "$2" >"$1.spec.json"
    python3 "$MKIMAGE" "$1" "$1.spec.json"
}

# Everything about a store that an import must not change when it fails.
store_state() {
    local d=$1/state/images
    [ -d "$d" ] || { echo none; return; }
    (cd "$d" && find . -name '*.lock' -prune -o -printf '%p %y %s %m\n' | sort; cat refs.json 2>/dev/null) | sha256sum
}

# Names, types, modes, owners, times and contents under a directory.
tree_state() {
    (cd "$1" && find . -printf '%p %y %m %u %g %T@ %s %l\n' | sort; find . -type f -exec sha256sum {} + | sort) |
        sha256sum
}

# The umoci image of issue 3's test: several layers with deleted files, a
# replaced directory, hard links, symlinks, a setuid file, a fifo, a device.
build_umoci() {
    local L=$1 r
    umoci init --layout "$L" >/dev/null && umoci new --image "$L:t" >/dev/null
    umoci unpack --image "$L:t" b1 >/dev/null
    r=b1/rootfs
    mkdir -p $r/etc $r/usr/bin $r/data/old $r/gone $r/srv
    echo base >$r/etc/base.conf
    setfattr -n user.origin -v umoci $r/etc/base.conf
    printf '#!/bin/sh\n' >$r/usr/bin/tool && chmod 755 $r/usr/bin/tool
    setfattr -n security.capability -v 0sAQAAAgAEAAAAAAAAAAAAAAAAAAA= $r/usr/bin/tool
    cp $r/usr/bin/tool $r/usr/bin/suid && chmod 4755 $r/usr/bin/suid
    echo shared >$r/etc/a && ln $r/etc/a $r/etc/a-hardlink
    ln -s ../etc/base.conf $r/srv/conf-link && ln -s /nonexistent/abs $r/srv/dangling
    echo old >$r/data/old/1 && echo old >$r/data/keep
    echo bye >$r/gone/x && echo bye >$r/etc/deleted
    chown 1000:1000 $r/srv && mkfifo $r/srv/fifo && mknod $r/srv/null c 1 3
    umoci repack --image "$L:t" b1 >/dev/null
    umoci unpack --image "$L:t" b2 >/dev/null
    r=b2/rootfs
    rm $r/etc/deleted && rm -rf $r/gone
    rm -rf $r/data/old && mkdir $r/data/old && echo new >$r/data/old/2
    echo layer2 >$r/etc/base.conf && chmod 600 $r/etc/base.conf && chown 33:33 $r/etc/base.conf
    mkdir -p $r/opt/app && echo v2 >$r/opt/app/v
    umoci repack --image "$L:t" b2 >/dev/null
    umoci unpack --image "$L:t" b3 >/dev/null
    r=b3/rootfs
    rm -rf $r/opt/app && echo notadir >$r/opt/app
    umoci repack --image "$L:t" b3 >/dev/null
    rm -rf b1 b2 b3
    umoci unpack --image "$L:t" ref >/dev/null
}

test_images_from_umoci_and_skopeo_equal_umoci_unpack() {
    build_umoci L
    skopeo copy -q oci:L:t oci-archive:oci.tar
    skopeo copy -q oci:L:t docker-archive:docker.tar:test/umoci:t
    local src name p
    for src in "L test/umoci:t" "oci.tar test/umoci:t" "docker.tar"; do
        set -- $src
        rm -rf root
        run "$RTCTL" --root root image import "$1" ${2:-}
        assert_rc 0
        assert_in "$out" "imported test/umoci:t sha256:"
        assert_in "$out" "(3 layers, 3 new"
        p=$("$RTCTL" --root root image mount test/umoci:t)
        run python3 "$TREECMP" ref/rootfs "$p"
        "$RTCTL" --root root image unmount test/umoci:t
        [ "$rc" = 0 ] || { say "$1: differs from umoci unpack:"; say "$out"; return 1; }
        assert_in "$out" "0 differences"
    done
    # The flattened fallback gives the same tree.
    p=$("$RTCTL" --root root image mount --flatten test/umoci:t)
    run python3 "$TREECMP" ref/rootfs "$p"
    "$RTCTL" --root root image unmount test/umoci:t
    assert_rc 0
}

test_hostile_layers_never_touch_the_canary() {
    local C=$PWD/canary up=../../../../../../../../../../..
    mkdir -p "$C/sub" && echo precious >"$C/file" && echo deep >"$C/sub/f" && chmod 640 "$C/file"
    local before
    before=$(tree_state "$C")
    # kind | layer entries (JSON) ; "ok" cases succeed harmlessly, others must fail
    local cases=(
        "dotdot|[{\"name\":\"$up$C/file\",\"data\":\"pwned\"}]"
        "absolute-path|[{\"name\":\"$C/file\",\"data\":\"pwned\"}]"
        "write-through-symlink|[{\"name\":\"l\",\"type\":\"symlink\",\"target\":\"$C\"},{\"name\":\"l/file\",\"data\":\"pwned\"}]"
        "write-through-relative-symlink|[{\"name\":\"l\",\"type\":\"symlink\",\"target\":\"$up$C\"},{\"name\":\"l/new\",\"data\":\"pwned\"}]"
        "symlink-chain|[{\"name\":\"a\",\"type\":\"symlink\",\"target\":\"b\"},{\"name\":\"b\",\"type\":\"symlink\",\"target\":\"$C\"},{\"name\":\"a/file\",\"data\":\"pwned\"}]"
        "hardlink-outside|[{\"name\":\"h\",\"type\":\"hardlink\",\"target\":\"$up$C/file\"}]"
        "hardlink-absolute|[{\"name\":\"h\",\"type\":\"hardlink\",\"target\":\"$C/file\"}]"
        "hardlink-through-symlink|[{\"name\":\"l\",\"type\":\"symlink\",\"target\":\"$C\"},{\"name\":\"h\",\"type\":\"hardlink\",\"target\":\"l/file\"}]"
        "hardlink-with-data|[{\"name\":\"f\",\"data\":\"a\"},{\"name\":\"h\",\"type\":\"hardlink\",\"target\":\"f\",\"size\":4}]"
        "whiteout-dotdot|[{\"name\":\"a/$up$C/.wh.file\"}]"
        "whiteout-through-symlink|[{\"name\":\"l\",\"type\":\"symlink\",\"target\":\"$C\"},{\"name\":\"l/.wh.file\"}]"
        "opaque-through-symlink|[{\"name\":\"l\",\"type\":\"symlink\",\"target\":\"$C\"},{\"name\":\"l/.wh..wh..opq\"}]"
        "whiteout-dot|[{\"name\":\".wh..\"}]"
        "whiteout-dotdot-name|[{\"name\":\".wh...\"}]"
        "dir-replaced-by-symlink|[{\"name\":\"d\",\"type\":\"dir\"},{\"name\":\"d\",\"type\":\"symlink\",\"target\":\"$C\"},{\"name\":\"d/file\",\"data\":\"pwned\"}]"
        "metadata-after-type-change|[{\"name\":\"d\",\"type\":\"dir\",\"mode\":511,\"mtime\":1},{\"name\":\"d\",\"type\":\"symlink\",\"target\":\"$C\"}]"
        "root-is-symlink|[{\"name\":\".\",\"type\":\"symlink\",\"target\":\"$C\"}]"
        "root-is-file|[{\"name\":\"./\",\"data\":\"x\"}]"
        "duplicate-entries|[{\"name\":\"f\",\"data\":\"one\"},{\"name\":\"f\",\"data\":\"two\"},{\"name\":\"d\",\"type\":\"dir\"},{\"name\":\"d\",\"type\":\"dir\",\"mode\":448}]"
        "overlay-xattr-injection|[{\"name\":\"f\",\"data\":\"x\",\"xattrs\":{\"trusted.overlay.redirect\":\"/x\"}}]"
        "device-node-kept|[{\"name\":\"null\",\"type\":\"chardev\",\"major\":1,\"minor\":3}]"
    )
    local ok_kinds=" absolute-path duplicate-entries device-node-kept metadata-after-type-change "
    local c kind entries
    for c in "${cases[@]}"; do
        kind=${c%%|*}
        entries=${c#*|}
        rm -rf "img-$kind"
        img "img-$kind" "{\"name\":\"test/hostile:$kind\",\"layers\":[{\"entries\":$entries}]}"
        run "$RTCTL" --root root image import "img-$kind"
        if [[ $ok_kinds == *" $kind "* ]]; then
            [ "$rc" = 0 ] || { say "$kind: expected a harmless success: $err"; return 1; }
        else
            [ "$rc" = 1 ] || { say "$kind: expected a refusal, got exit $rc: $out $err"; return 1; }
            [ "$(wc -l <<<"$err")" = 1 ] || { say "$kind: error is not one line: $err"; return 1; }
            assert_in "$err" "rtctl: error: import img-$kind: layer sha256:"
        fi
        [ "$(tree_state "$C")" = "$before" ] || { say "$kind: THE CANARY CHANGED"; return 1; }
    done
    # across layers: a symlink in one layer, a write "through" it in the next
    # lands in the upper layer's own directory
    img cross "{\"name\":\"test/cross:1\",\"layers\":[{\"entries\":[{\"name\":\"l\",\"type\":\"symlink\",\"target\":\"$C\"}]},{\"entries\":[{\"name\":\"l/file\",\"data\":\"upper\"}]}]}"
    run "$RTCTL" --root root image import cross
    assert_rc 0
    [ "$(tree_state "$C")" = "$before" ] || { say "cross-layer: THE CANARY CHANGED"; return 1; }
    # nothing is left in the store's work area
    [ -z "$(ls root/state/images/tmp)" ] || { say "leftovers in tmp: $(ls root/state/images/tmp)"; return 1; }
}

test_decompression_bombs_are_bounded() {
    python3 - <<'PY'
import io, tarfile
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w") as t:
    ti = tarfile.TarInfo("zeros")
    ti.size = 300 << 20
    t.addfile(ti, io.BytesIO(bytes(ti.size)))
open("bomb.tar", "wb").write(raw.getvalue())
PY
    local entries
    entries=$(python3 -c 'import json; print(json.dumps([{"name": "f%d" % i, "data": "x"} for i in range(200)]))')
    img many "{\"name\":\"test/many:1\",\"layers\":[{\"entries\":$entries}]}"
    run "$RTCTL" --root root image import --max-entries 100 many
    assert_rc 1
    assert_in "$err" "more than 100 entries (raise the limit with --max-entries)"
    # A layer of 300 MB of zeros, gzipped to a few hundred kB.
    python3 - <<'PY'
import gzip, hashlib, json, os
raw = open("bomb.tar", "rb").read()
blob = gzip.compress(raw, compresslevel=1, mtime=0)
os.makedirs("bomb/blobs/sha256", exist_ok=True)
def put(b):
    d = hashlib.sha256(b).hexdigest(); open("bomb/blobs/sha256/" + d, "wb").write(b); return d
cfg = json.dumps({"os": "linux", "architecture": "amd64", "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode()
m = json.dumps({"schemaVersion": 2, "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + put(cfg), "size": len(cfg)},
  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + put(blob), "size": len(blob)}]}).encode()
open("bomb/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + put(m), "size": len(m), "annotations": {"org.opencontainers.image.ref.name": "test/bomb:1"}}]}))
PY
    run "$RTCTL" --root root image import --max-bytes 50M bomb
    assert_rc 1
    assert_in "$err" "entry 'zeros': the image's files declare more than 50M (52428800 bytes) in all (sparse files?); raise the per-image limit with --max-bytes"
    # headers alone: 100,000 empty files declare nothing, but are 100 MB of tar
    python3 - <<'PY'
import gzip, hashlib, io, json, os, tarfile
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as t:
    for i in range(100000):
        t.addfile(tarfile.TarInfo("e%d" % i))
raw = raw.getvalue()
blob = gzip.compress(raw, compresslevel=1, mtime=0)
os.makedirs("hdr/blobs/sha256", exist_ok=True)
def put(b):
    d = hashlib.sha256(b).hexdigest(); open("hdr/blobs/sha256/" + d, "wb").write(b); return d
cfg = json.dumps({"os": "linux", "architecture": "amd64", "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode()
m = json.dumps({"schemaVersion": 2, "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + put(cfg), "size": len(cfg)},
  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + put(blob), "size": len(blob)}]}).encode()
open("hdr/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + put(m), "size": len(m), "annotations": {"org.opencontainers.image.ref.name": "test/hdr:1"}}]}))
PY
    run "$RTCTL" --root root image import --max-bytes 20M hdr
    assert_rc 1
    assert_in "$err" "the image's layers are more than 20M (20971520 bytes) uncompressed in all (a decompression bomb?); raise the per-image limit with --max-bytes"
    [ -z "$(ls root/state/images/tmp)" ] || { say "leftovers in tmp"; return 1; }
    run "$RTCTL" --root root image import bomb
    assert_rc 0
}

test_corrupt_images_fail_with_one_line_and_store_unchanged() {
    local good='{"name":"test/good:1","layers":[{"entries":[{"name":"etc/a","data":"a"}]},{"compress":"zstd","entries":[{"name":"etc/b","data":"b"}]}]}'
    img good "$good"
    run "$RTCTL" --root root image import good
    assert_rc 0
    local before
    before=$(store_state root)
    local base='"layers":[{"entries":[{"name":"x","data":"x"}]},{"entries":[{"name":"y","data":"y"}]}]'
    local cases=(
        "layer-digest|{\"name\":\"test/bad:1\",$base,\"corrupt\":{\"layer_digest\":1}}|digest mismatch: the blob hashes to sha256:"
        "layer-size|{\"name\":\"test/bad:1\",$base,\"corrupt\":{\"layer_size\":0}}|size mismatch: the descriptor says"
        "missing-layer|{\"name\":\"test/bad:1\",$base,\"corrupt\":{\"missing\":\"layer1\"}}|bad/blobs/sha256/"
        "missing-config|{\"name\":\"test/bad:1\",$base,\"corrupt\":{\"missing\":\"config\"}}|: missing from the source"
        "missing-manifest|{\"name\":\"test/bad:1\",$base,\"corrupt\":{\"missing\":\"manifest\"}}|manifest sha256:"
        "config-digest|{\"name\":\"test/bad:1\",$base,\"corrupt\":{\"config_digest\":true}}|config sha256:"
        "diff-id|{\"name\":\"test/bad:1\",$base,\"corrupt\":{\"diff_id\":1}}|not to the diff_id sha256:"
        "truncated-gzip|{\"name\":\"test/bad:1\",$base,\"corrupt\":{\"truncate\":1}}|layer sha256:"
        "unknown-media-type|{\"name\":\"test/bad:1\",$base,\"corrupt\":{\"media_type\":[0,\"application/x-foo\"]}}|unknown media type application/x-foo"
        "wrong-compression|{\"name\":\"test/bad:1\",\"layers\":[{\"compress\":\"none\",\"entries\":[{\"name\":\"x\",\"data\":\"x\"}]}],\"corrupt\":{\"media_type\":[0,\"application/vnd.oci.image.layer.v1.tar+gzip\"]}}|says gzip compression"
        "bad-config-json|{\"name\":\"test/bad:1\",$base,\"corrupt\":{\"config_json\":\"{not json\"}}|invalid JSON at line 1"
        "bad-index-json|{\"name\":\"test/bad:1\",$base,\"corrupt\":{\"index_json\":\"[]\"}}|index.json: an index must be a JSON object"
        "wrong-platform|{\"name\":\"test/bad:1\",$base,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}|the image is for linux/arm64"
    )
    local c kind spec want
    for c in "${cases[@]}"; do
        kind=${c%%|*}
        spec=${c#*|}
        want=${spec##*|}
        spec=${spec%|*}
        rm -rf bad
        img bad "$spec"
        run "$RTCTL" --root root image import bad
        [ "$rc" = 1 ] || { say "$kind: exit $rc, expected 1: $out $err"; return 1; }
        [ "$(wc -l <<<"$err")" = 1 ] || { say "$kind: not one line: $err"; return 1; }
        assert_in "$err" "$want" || { say "($kind)"; return 1; }
        [ "$(store_state root)" = "$before" ] || { say "$kind: the store changed"; return 1; }
    done
    run "$RTCTL" --root root image import /nonexistent/image
    assert_rc 1
    assert_in "$err" "/nonexistent/image: No such file or directory"
    mkdir empty
    run "$RTCTL" --root root image import empty
    assert_rc 1
    assert_in "$err" "is neither an OCI image layout (no index.json) nor a docker-save archive"
}

test_formats_and_compressions() {
    local layers='"layers":[{"compress":"gzip","entries":[{"name":"g","data":"gzip"}]},{"compress":"zstd","entries":[{"name":"z","data":"zstd"}]},{"compress":"none","entries":[{"name":"n","data":"none"}]}]'
    local fmt p
    for fmt in layout oci-archive docker-archive docker25; do
        rm -rf "root-$fmt"
        img "i-$fmt" "{\"name\":\"test/fmt:$fmt\",\"format\":\"$fmt\",$layers}"
        run "$RTCTL" --root "root-$fmt" image import "i-$fmt"
        assert_rc 0 || { say "format $fmt"; return 1; }
        assert_in "$out" "imported test/fmt:$fmt"
        p=$("$RTCTL" --root "root-$fmt" image mount "test/fmt:$fmt")
        [ "$(cat "$p/g" "$p/z" "$p/n")" = "gzipzstdnone" ] || { say "$fmt: wrong content"; "$RTCTL" --root "root-$fmt" image unmount "test/fmt:$fmt"; return 1; }
        "$RTCTL" --root "root-$fmt" image unmount "test/fmt:$fmt"
    done
    # a multi-platform index resolves to linux/amd64
    img multi "{\"name\":\"test/multi:1\",\"index\":\"multi\",$layers}"
    run "$RTCTL" --root root image import multi
    assert_rc 0
    run "$RTCTL" --root root image inspect test/multi:1
    assert_in "$out" '"architecture": "amd64"'
}

test_names() {
    img tagonly '{"name":"1.2","layers":[{"entries":[{"name":"a","data":"a"}]}]}'
    run "$RTCTL" --root root image import tagonly
    assert_rc 1
    assert_in "$err" "the image is tagged '1.2' but names no repository; give a name, e.g. rtctl image import tagonly myimage:1.2"
    run "$RTCTL" --root root image import tagonly myapp:1.2
    assert_rc 0
    img full '{"name":"docker.io/library/redis:7-alpine","layers":[{"entries":[{"name":"a","data":"a"}]}]}'
    run "$RTCTL" --root root image import full
    assert_in "$out" "imported redis:7-alpine "
    run "$RTCTL" --root root image inspect docker.io/library/redis:7-alpine
    assert_rc 0
    assert_in "$out" '"name": "redis:7-alpine"'
    run "$RTCTL" --root root image import full 'Bad:Name'
    assert_rc 1
    assert_in "$err" "'Bad:Name' is not a valid image name"
    run "$RTCTL" --root root image inspect nosuch:1
    assert_rc 1
    assert_in "$err" "no image named nosuch:1 (see rtctl image ls)"
}

test_reimport_sharing_layers_costs_only_the_new_layer() {
    local l1='{"entries":[{"name":"base","data":"1"}]}' l2='{"entries":[{"name":"mid","data":"2"}]}'
    img a "{\"name\":\"test/a:1\",\"layers\":[$l1,$l2,{\"entries\":[{\"name\":\"top\",\"data\":\"a\"}]}]}"
    img b "{\"name\":\"test/b:1\",\"layers\":[$l1,$l2,{\"entries\":[{\"name\":\"top\",\"data\":\"b\"}]}]}"
    run "$RTCTL" --root root image import a
    assert_in "$out" "(3 layers, 3 new"
    run "$RTCTL" --root root image import b
    assert_in "$out" "(3 layers, 1 new"
    [ "$(ls root/state/images/layers | wc -l)" = 4 ] || { say "expected 4 stored layers"; return 1; }
}

test_rm_and_gc() {
    local l1='{"entries":[{"name":"base","data":"1"}]}'
    img a "{\"name\":\"test/a:1\",\"layers\":[$l1,{\"entries\":[{\"name\":\"x\",\"data\":\"a\"}]}]}"
    img b "{\"name\":\"test/b:1\",\"layers\":[$l1]}"
    "$RTCTL" --root root image import a >/dev/null && "$RTCTL" --root root image import b >/dev/null
    mkconf web "[service]
image = test/a:1"
    run "$RTCTL" --root root --conf conf.d image rm test/a:1
    assert_rc 1
    assert_in "$err" "test/a:1 is used by web (conf.d/web.conf); change or remove those services first (or --force)"
    p=$("$RTCTL" --root root image mount test/b:1)
    run "$RTCTL" --root root --conf conf.d image rm test/b:1
    assert_rc 1
    assert_in "$err" "test/b:1 is mounted; run rtctl image unmount test/b:1 first"
    "$RTCTL" --root root image unmount test/b:1
    run "$RTCTL" --root root --conf conf.d image rm test/b:1
    assert_rc 0
    run "$RTCTL" --root root image gc
    assert_in "$out" "removed 0 unused layers" # the shared layer is still used by test/a:1
    run "$RTCTL" --root root --conf conf.d image rm --force test/a:1
    assert_rc 0
    run "$RTCTL" --root root image gc
    assert_in "$out" "removed 2 unused layers"
    [ -z "$(ls root/state/images/layers)" ] && [ -z "$(ls root/state/images/blobs/sha256)" ] ||
        { say "gc left something"; return 1; }
    run "$RTCTL" --root root image ls
    assert_rc 0
}

test_killed_import_leaves_the_store_as_it_was() {
    img small '{"name":"test/small:1","layers":[{"entries":[{"name":"a","data":"a"}]}]}'
    "$RTCTL" --root root image import small >/dev/null
    python3 - <<'PY'
import json
entries = [{"name": "big%d" % i, "data": "x" * (1 << 20)} for i in range(300)]
json.dump({"name": "test/big:1", "layers": [{"compress": "none", "entries": entries}]}, open("big.json", "w"))
PY
    python3 "$MKIMAGE" big big.json
    local before
    before=$(store_state root)
    local k
    for k in 0.05 0.2 0.4; do
        "$RTCTL" --root root image import --quiet big &
        local pid=$!
        sleep "$k"
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        # the next command that opens the store clears what the killed one left
        run "$RTCTL" --root root image ls
        assert_rc 0
        if [ "$(store_state root)" != "$before" ]; then
            # the import may have finished before the kill: then it is whole
            run "$RTCTL" --root root image inspect test/big:1
            assert_rc 0
            "$RTCTL" --root root image rm test/big:1 >/dev/null && "$RTCTL" --root root image gc >/dev/null
        fi
        [ "$(store_state root)" = "$before" ] || { say "store changed after kill at ${k}s"; return 1; }
    done
}

test_concurrent_imports_of_the_same_layers() {
    python3 - <<'PY'
import json
entries = [{"name": "f%d" % i, "data": "y" * 65536} for i in range(400)]
for n in ("one", "two"):
    json.dump({"name": "test/%s:1" % n, "layers": [{"entries": entries}]}, open(n + ".json", "w"))
PY
    python3 "$MKIMAGE" one one.json && python3 "$MKIMAGE" two two.json
    "$RTCTL" --root root image import --quiet one &
    local p1=$!
    "$RTCTL" --root root image import --quiet two &
    local p2=$!
    wait $p1 || { say "first import failed"; return 1; }
    wait $p2 || { say "second import failed"; return 1; }
    [ "$(ls root/state/images/layers | wc -l)" = 1 ] || { say "the shared layer is stored more than once"; return 1; }
    local p
    p=$("$RTCTL" --root root image mount test/two:1)
    [ "$(ls "$p" | wc -l)" = 400 ] || { "$RTCTL" --root root image unmount test/two:1; say "wrong tree"; return 1; }
    "$RTCTL" --root root image unmount test/two:1
    [ -z "$(ls root/state/images/tmp)" ]
}

test_image_usage_errors() {
    run "$RTCTL" image
    assert_rc 2
    run "$RTCTL" image lst
    assert_rc 2
    assert_in "$err" "unknown subcommand 'image lst' (did you mean 'image ls'?)"
    run "$RTCTL" --root root image import
    assert_rc 2
    assert_in "$err" "missing argument"
    run "$RTCTL" --root root image import a b c
    assert_rc 2
    run "$RTCTL" --root root image import --max-bytes lots x
    assert_rc 2
    assert_in "$err" "--max-bytes 'lots'"
    run "$RTCTL" --root root image unmount nosuch
    assert_rc 1
}

test_image_config_gives_service_defaults() {
    img redis '{"name":"redis:7-alpine","config":{"Entrypoint":["docker-entrypoint.sh"],"Cmd":["redis-server"],"User":"redis","WorkingDir":"/data","StopSignal":"SIGQUIT","Volumes":{"/data":{}},"Env":["REDIS_VERSION=7.2"],"Healthcheck":{"Test":["CMD-SHELL","redis-cli ping | grep PONG"],"Interval":5000000000,"Retries":2}},"layers":[{"entries":[{"name":"data","type":"dir"}]}]}'
    "$RTCTL" --root root image import redis >/dev/null
    mkconf cache "[service]
image = redis:7-alpine" api "[service]
image = redis:7-alpine
command = redis-cli monitor
user = 1000
volumes = /srv:/data
depends_on = cache:healthy"
    run "$RTCTL" --root root config check --conf conf.d
    assert_rc 0
    assert_in "$out" '# entrypoint: from the image
entrypoint = ["docker-entrypoint.sh"]
# command: from the image
command = ["redis-server"]'
    assert_in "$out" '# user: from the image
user = redis'
    assert_in "$out" '# stop_signal: from the image
stop_signal = SIGQUIT'
    assert_in "$out" '# healthcheck: from the image
[healthcheck]
exec = ["/bin/sh", "-c", "redis-cli ping | grep PONG"]
interval = 5s'
    # the service's own command replaces the image's CMD, not its entrypoint
    assert_in "$out" 'command = ["redis-cli", "monitor"]'
    # the image's VOLUME: cache's own named volume; api mounts /data itself
    assert_in "$out" "# VOLUME /data of the image: the named volume .image-volumes/cache/data, kept across starts
volumes = /mnt/volume/.image-volumes/cache/data:/data"
    assert_in "$out" "volumes = /srv:/data
# VOLUME /data of the image: in the service's volume at /data"
    assert_in "$err" "conf.d/cache.conf:2: volumes: warning: the image's VOLUME /data gets the named volume .image-volumes/cache/data, but droplet.conf sets no [volume] device"
    assert_not_in "$err" "api.conf:2: volumes"
    # a service whose image is not stored is named: with a store, an
    # error, as at rtinit --check and a reload
    mkconf web "[service]
image = nginx:1"
    run "$RTCTL" --root root config check --conf conf.d
    assert_rc 1
    assert_in "$err" "conf.d/web.conf:2: image: nginx:1 is not in the image store; import it with rtctl image import"
}

# ---- regressions found in review ----

test_gc_keeps_a_mounted_image_whose_name_moved_on() {
    img v1 '{"name":"t/a:1","layers":[{"entries":[{"name":"etc/a","data":"A"}]}]}'
    img v2 '{"name":"t/a:1","layers":[{"entries":[{"name":"etc/a","data":"B"}]}]}'
    "$RTCTL" --root root image import v1 >/dev/null
    local p old
    p=$("$RTCTL" --root root image mount t/a:1)
    old=sha256:$(basename "$p")
    "$RTCTL" --root root image import v2 >/dev/null
    run "$RTCTL" --root root image gc
    assert_in "$out" "removed 0 unused layers"
    [ "$(cat "$p/etc/a")" = A ] || { say "the mounted image lost its files"; return 1; }
    run "$RTCTL" --root root image unmount t/a:1
    assert_rc 1
    assert_in "$err" "t/a:1 is not mounted; mounted: $old"
    run "$RTCTL" --root root image unmount "$old"
    assert_rc 0
    run "$RTCTL" --root root image gc
    assert_in "$out" "removed 1 unused layer"
    # the same with a flattened root
    p=$("$RTCTL" --root root image mount --flatten t/a:1)
    "$RTCTL" --root root image import v1 >/dev/null
    "$RTCTL" --root root image gc >/dev/null
    [ "$(cat "$p/etc/a")" = B ] || { say "the flattened mount lost its files"; return 1; }
    "$RTCTL" --root root image unmount "sha256:$(basename "$p")"
}

test_small_archives_cannot_take_much_memory() {
    # 3000 members of 1 MiB zeros: a 3 MB file
    python3 - <<'PY'
import io, tarfile, gzip
with tarfile.open("many.tar.gz", "w:gz", compresslevel=1) as t:
    z = bytes(1 << 20)
    for i in range(3000):
        ti = tarfile.TarInfo("m%d" % i); ti.size = len(z); t.addfile(ti, io.BytesIO(z))
PY
    run /usr/bin/time -f "%M" "$RTCTL" --root root image import many.tar.gz x/y:1
    assert_rc 1
    assert_in "$err" "is neither an OCI image layout"
    local kb
    kb=$(tail -n 1 <<<"$err")
    [ "$kb" -lt 300000 ] || { say "peak memory $kb kB"; return 1; }
    # an index naming one big nested index 500 times
    python3 - <<'PY'
import hashlib, json, os
os.makedirs("nest/blobs/sha256", exist_ok=True)
def put(b):
    d = hashlib.sha256(b).hexdigest(); open("nest/blobs/sha256/" + d, "wb").write(b); return d
man = json.dumps({"schemaVersion": 2, "config": {"digest": "sha256:" + "0" * 64, "size": 1}, "layers": []}).encode()
y = json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + put(man), "size": len(man)}]}).encode()
y += b" " * (4 << 20)
yd = put(y)
x = json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + yd, "size": len(y)}]}).encode()
x += b" " * (4 << 20)
xd = put(x)
idx = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + xd, "size": len(x)}] * 500}
open("nest/index.json", "w").write(json.dumps(idx))
PY
    run /usr/bin/time -f "%M" timeout 60 "$RTCTL" --root root image import nest t/n:1
    assert_rc 1
    kb=$(tail -n 1 <<<"$err")
    [ "$kb" -lt 300000 ] || { say "peak memory $kb kB"; return 1; }
}

test_image_commands_never_remove_a_concurrent_import() {
    # Every command clears leftovers of dead imports; it must never take a
    # live import's work directory for one. Two loops of `image ls` race
    # 150 small imports.
    img s '{"name":"t/s:1","layers":[{"entries":[{"name":"f","data":"x"}]}]}'
    local i stop=$PWD/stop
    for i in 1 2; do
        ( while [ ! -e "$stop" ]; do "$RTCTL" --root root image ls >/dev/null 2>&1; done ) &
    done
    local failed=0
    for i in $(seq 1 150); do
        rm -rf root/state/images/layers/* 2>/dev/null || true # so that every import unpacks
        "$RTCTL" --root root image import --quiet s "t/s:$i" 2>>errs || failed=$((failed + 1))
    done
    touch "$stop"
    wait
    [ "$failed" = 0 ] || { say "$failed imports failed: $(head -n 3 errs)"; return 1; }
}

test_unpack_keeps_modes_and_limits() {
    # a directory's default ACL must not change the modes of files made in it
    local acl
    acl=base64:$(python3 -c 'import base64,struct; print(base64.b64encode(struct.pack("<I",2)+struct.pack("<HHI",1,7,0xffffffff)+struct.pack("<HHI",4,0,0xffffffff)+struct.pack("<HHI",0x20,0,0xffffffff)).decode())')
    img acl "{\"name\":\"t/acl:1\",\"layers\":[{\"entries\":[{\"name\":\"d\",\"type\":\"dir\",\"xattrs\":{\"system.posix_acl_default\":\"$acl\"}},{\"name\":\"d/f\",\"mode\":493,\"data\":\"f\"},{\"name\":\"d/g\",\"mode\":2541,\"data\":\"g\"}]}]}"
    run "$RTCTL" --root root image import acl
    assert_rc 0
    local p
    p=$("$RTCTL" --root root image mount t/acl:1)
    local modes
    modes=$(stat -c %a "$p/d/f" "$p/d/g" | tr '\n' ' ')
    "$RTCTL" --root root image unmount t/acl:1
    [ "$modes" = "755 4755 " ] || { say "modes under a default ACL: $modes"; return 1; }
    # a hard link to itself (GNU tar writes these) and duplicate directories
    img self '{"name":"t/self:1","layers":[{"entries":[{"name":"f","data":"content"},{"name":"f","type":"hardlink","target":"f"},{"name":"d","type":"dir","mode":493,"mtime":1000},{"name":"d/x","data":"x"},{"name":"d","type":"dir","mode":448,"mtime":2000000000}]}]}'
    run "$RTCTL" --root root image import self
    assert_rc 0
    p=$("$RTCTL" --root root image mount t/self:1)
    local got
    got="$(cat "$p/f") $(stat -c '%a %Y' "$p/d")"
    "$RTCTL" --root root image unmount t/self:1
    [ "$got" = "content 700 2000000000" ] || { say "got: $got"; return 1; }
    # a sparse file of 10 TB in a 10 kB tar is held to --max-bytes
    truncate -s 10T big
    tar --sparse --format=pax -cf sparse.tar big
    rm big
    img sparse '{"name":"t/sparse:1","layers":[{"raw":"sparse.tar"}]}'
    run "$RTCTL" --root root image import --max-bytes 1M sparse
    assert_rc 1
    assert_in "$err" "the image's files declare more than 1M (1048576 bytes) in all (sparse files?); raise the per-image limit with --max-bytes"
}

test_flatten_equals_overlay() {
    img fl '{"name":"t/fl:1","layers":[{"entries":[{"name":"./","type":"dir","mode":493},{"name":"a","type":"dir","xattrs":{"user.b":"1"}},{"name":"a/f","data":"1"}]},{"entries":[{"name":"./","type":"dir","mode":448,"uid":1000,"gid":1000},{"name":"a","type":"dir","xattrs":{"user.b":"2"}},{"name":"a/g","data":"2"}]}]}'
    "$RTCTL" --root root image import fl >/dev/null
    local o f
    o=$("$RTCTL" --root root image mount t/fl:1)
    cp -a "$o" overlay-copy
    "$RTCTL" --root root image unmount t/fl:1
    f=$("$RTCTL" --root root image mount --flatten t/fl:1)
    run python3 "$TREECMP" overlay-copy "$f"
    "$RTCTL" --root root image unmount t/fl:1
    assert_rc 0
    [ "$(stat -c '%a %u' overlay-copy)" = "700 1000" ] || { say "root: $(stat -c '%a %u' overlay-copy)"; return 1; }
}

test_layer_blobs_of_stored_layers_must_exist() {
    img one '{"name":"t/one:1","layers":[{"entries":[{"name":"a","data":"a"}]}]}'
    "$RTCTL" --root root image import one >/dev/null
    # the same layer twice, the second descriptor naming a blob that is not there
    python3 - <<'PY'
import json, glob, os
idx = json.load(open("one/index.json"))
m = idx["manifests"][0]["digest"][7:]
man = json.load(open("one/blobs/sha256/" + m))
bad = dict(man["layers"][0]); bad["digest"] = "sha256:" + "0" * 64; bad["size"] = 123456
man["layers"].append(bad)
cfgd = man["config"]["digest"][7:]
cfg = json.load(open("one/blobs/sha256/" + cfgd))
cfg["rootfs"]["diff_ids"].append(cfg["rootfs"]["diff_ids"][0])
import hashlib
def put(b):
    d = hashlib.sha256(b).hexdigest(); open("one/blobs/sha256/" + d, "wb").write(b); return d
cb = json.dumps(cfg).encode()
man["config"] = {"mediaType": man["config"]["mediaType"], "digest": "sha256:" + put(cb), "size": len(cb)}
mb = json.dumps(man).encode()
idx["manifests"][0].update({"digest": "sha256:" + put(mb), "size": len(mb)})
json.dump(idx, open("one/index.json", "w"))
PY
    run "$RTCTL" --root root image import one t/two:1
    assert_rc 1
    assert_in "$err" "layer sha256:0000000000000000000000000000000000000000000000000000000000000000: missing from the source"
}

test_docker_save_with_gzip_layers_imports_the_same_twice() {
    python3 - <<'PY'
import gzip, hashlib, io, json, tarfile
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w") as t:
    ti = tarfile.TarInfo("hello"); ti.size = 5; t.addfile(ti, io.BytesIO(b"hello"))
raw = raw.getvalue()
gz = gzip.compress(raw, mtime=0)
cfg = json.dumps({"os": "linux", "architecture": "amd64", "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode()
ch = hashlib.sha256(cfg).hexdigest()
files = {ch + ".json": cfg, "l/layer.tar": gz,
         "manifest.json": json.dumps([{"Config": ch + ".json", "RepoTags": ["t/dk:1"], "Layers": ["l/layer.tar"]}]).encode()}
with tarfile.open("dk.tar", "w") as t:
    for n, d in files.items():
        ti = tarfile.TarInfo(n); ti.size = len(d); t.addfile(ti, io.BytesIO(d))
PY
    local a b
    a=$("$RTCTL" --root root image import dk.tar)
    b=$("$RTCTL" --root root image import dk.tar)
    [ "${a%% (*}" = "${b%% (*}" ] || { say "first: $a"; say "again: $b"; return 1; }
    run "$RTCTL" --root root image inspect t/dk:1
    assert_in "$out" '"media_type": "application/vnd.oci.image.layer.v1.tar+gzip"'
}

test_mounts_under_a_path_with_a_space() {
    img sp '{"name":"t/sp:1","layers":[{"entries":[{"name":"a","data":"a"}]}]}'
    "$RTCTL" --root "sp ace" image import sp >/dev/null
    local p1 p2
    p1=$("$RTCTL" --root "sp ace" image mount --flatten t/sp:1)
    p2=$("$RTCTL" --root "sp ace" image mount --flatten t/sp:1)
    [ "$p1" = "$p2" ] || { say "two paths"; return 1; }
    [ "$(grep -c " $(sed 's/ /\\\\040/g' <<<"$p1") " /proc/self/mountinfo)" = 1 ] || { say "mounted twice"; return 1; }
    run "$RTCTL" --root "sp ace" image rm t/sp:1
    assert_rc 1
    assert_in "$err" "is mounted"
    run "$RTCTL" --root "sp ace" image unmount t/sp:1
    assert_rc 0
}

# ---- what an import may take: the disk, and --root ----

# layer_digest DIR N: the blob digest of layer N of the layout's image
layer_digest() {
    python3 -c 'import json, sys
d = sys.argv[1]
m = json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]
print(json.load(open(d + "/blobs/sha256/" + m))["layers"][int(sys.argv[2])]["digest"])' "$1" "$2"
}

test_max_bytes_counts_all_new_layers_of_an_image() {
    # two layers of 30 MiB of zeros, 30 kB each gzipped: either is under
    # --max-bytes 50M, the image is not
    head -c 30M /dev/zero >z
    img one "{\"name\":\"t/one:1\",\"layers\":[{\"entries\":[{\"name\":\"a\",\"src\":\"$PWD/z\"}]}]}"
    img two "{\"name\":\"t/two:1\",\"layers\":[{\"entries\":[{\"name\":\"a\",\"src\":\"$PWD/z\"}]},{\"entries\":[{\"name\":\"b\",\"src\":\"$PWD/z\"}]}]}"
    [ "$(du -sk two | cut -f1)" -lt 1000 ] || { say "the image is not small: $(du -sh two)"; return 1; }
    run "$RTCTL" --root root1 image import --max-bytes 50M one
    assert_rc 0
    img tiny '{"name":"t/tiny:1","layers":[{"entries":[{"name":"f","data":"f"}]}]}'
    "$RTCTL" --root root2 image import tiny >/dev/null
    local before listing
    before=$(store_state root2)
    listing=$(cd root2 && find . | sort)
    run "$RTCTL" --root root2 image import --max-bytes 50M two
    assert_rc 1
    [ "$(wc -l <<<"$err")" = 1 ] || { say "not one line: $err"; return 1; }
    # the second layer crosses the limit and is named
    assert_in "$err" "rtctl: error: import two: layer $(layer_digest two 1): "
    assert_in "$err" "more than 50M (52428800 bytes)"
    assert_in "$err" "raise the per-image limit with --max-bytes"
    [ "$(store_state root2)" = "$before" ] && [ "$(cd root2 && find . | sort)" = "$listing" ] ||
        { say "the store changed"; return 1; }
    [ -z "$(ls -A root2/state/images/tmp)" ] || { say "leftovers in tmp: $(ls -A root2/state/images/tmp)"; return 1; }
    # the default (16G) and a higher limit take it
    run "$RTCTL" --root root2 image import two
    assert_rc 0
    assert_in "$out" "(2 layers, 2 new, 62.9 MB"
}

test_import_keeps_the_free_space_floor_and_undoes_itself() {
    # a 64 MiB file system for the store; the images stay outside it
    mkdir small
    mount -t tmpfs -o size=64m tmpfs small
    local R=small/root
    img tiny '{"name":"t/tiny:1","layers":[{"entries":[{"name":"f","data":"f"}]}]}'
    # the default floor, 1 GiB, is more than the whole file system
    run "$RTCTL" --root $R image import tiny
    assert_rc 1
    assert_in "$err" "rtctl: error: import tiny: layer $(layer_digest tiny 0): stopped with "
    assert_in "$err" "under the floor of 1.0 GiB it must keep free; lower the floor with --min-free (a size or a percentage)"
    run "$RTCTL" --root $R image import --min-free 16M tiny
    assert_rc 0
    # 56 MiB would leave 8 MiB; the first layer is whole when the second stops
    head -c 56M /dev/zero >z56
    img big "{\"name\":\"t/big:1\",\"layers\":[{\"entries\":[{\"name\":\"a\",\"data\":\"a\"}]},{\"entries\":[{\"name\":\"z\",\"src\":\"$PWD/z56\"}]}]}"
    local before listing free
    before=$(store_state $R)
    listing=$(cd $R && find . | sort)
    free=$(df --output=avail -B1 small | tail -n 1)
    run "$RTCTL" --root $R image import --min-free 16M big
    assert_rc 1
    [ "$(wc -l <<<"$err")" = 1 ] || { say "not one line: $err"; return 1; }
    assert_in "$err" "rtctl: error: import big: layer $(layer_digest big 1): stopped with "
    assert_in "$err" "MiB left on the store's file system, under the floor of 16.0 MiB it must keep free; lower the floor with --min-free"
    [ "$(store_state $R)" = "$before" ] && [ "$(cd $R && find . | sort)" = "$listing" ] ||
        { say "the store changed: $(cd $R && find . | sort | diff <(cat <<<"$listing") - || true)"; return 1; }
    [ -z "$(ls -A $R/state/images/tmp)" ] || { say "leftovers in tmp"; return 1; }
    [ "$(df --output=avail -B1 small | tail -n 1)" = "$free" ] || { say "free space not given back"; return 1; }
    # a percentage of the file system: half of 64 MiB
    run "$RTCTL" --root $R image import --min-free 50% big
    assert_rc 1
    assert_in "$err" "under the floor of 32.0 MiB it must keep free"
    # no floor: the disk fills and the write fails, undone just the same
    head -c 80M /dev/zero >z80
    img huge "{\"name\":\"t/huge:1\",\"layers\":[{\"entries\":[{\"name\":\"z\",\"src\":\"$PWD/z80\"}]}]}"
    run "$RTCTL" --root $R image import --min-free 0 huge
    assert_rc 1
    assert_in "$err" "No space left on device"
    [ "$(store_state $R)" = "$before" ] && [ -z "$(ls -A $R/state/images/tmp)" ] || { say "the store changed"; return 1; }
    [ "$(df --output=avail -B1 small | tail -n 1)" = "$free" ] || { say "free space not given back"; return 1; }
    # what leaves the floor free is imported
    head -c 40M /dev/zero >z40
    img fits "{\"name\":\"t/fits:1\",\"layers\":[{\"entries\":[{\"name\":\"z\",\"src\":\"$PWD/z40\"}]}]}"
    run "$RTCTL" --root $R image import --min-free 16M fits
    assert_rc 0
    # bad values
    run "$RTCTL" --root $R image import --min-free 120% fits
    assert_rc 2
    assert_in "$err" "--min-free '120%': a percentage of at most 100%"
    run "$RTCTL" --root $R image import --min-free lots fits
    assert_rc 2
    umount small
}

test_a_relative_root_runs_containers() {
    "$TOP/tests/runtime/mkbusybox.sh" bb >/dev/null
    run "$RTCTL" --root rel image import -q bb bb:1
    assert_rc 0
    run timeout 60 "$RTCTL" --root rel run --rm bb:1 sh -c 'echo in-the-container'
    assert_rc 0
    assert_in "$out" "in-the-container"
    # the same store named from elsewhere, with a trailing slash, through ..
    mkdir sub
    (cd sub && timeout 60 "$RTCTL" --root ../rel/ run --rm bb:1 true) || { say "from sub/: failed"; return 1; }
    # a root that does not exist yet is made under the current directory
    run "$RTCTL" --root ./fresh/r image import -q bb bb:1
    assert_rc 0
    [ -d fresh/r/state/images/layers ] || { say "not made under the current directory"; return 1; }
    run timeout 60 "$RTCTL" --root fresh/r run --rm bb:1 true
    assert_rc 0
}

test_sparse_files_count_their_apparent_size() {
    # 1 GiB long, 3 bytes of data at its end
    truncate -s 1G sparse && printf end >>sparse
    tar --sparse --format=pax -cf sparse.tar sparse
    rm sparse
    img sp '{"name":"t/sp:1","layers":[{"raw":"sparse.tar"}]}'
    run "$RTCTL" --root root image import sp
    assert_rc 0
    # its size, and what it takes on disk: a block or so, never 0 B
    assert_in "$out" "(1 layer, 1 new, 1.1 GB, "
    grep -qE ' (4\.1|8\.2|12\.3|16\.4) kB on disk\)$' <<<"$out" || { say "disk usage: $out"; return 1; }
    run "$RTCTL" --root root image ls
    assert_in "$out" " 1.1 GB "
    run "$RTCTL" --root root image inspect t/sp:1
    assert_in "$out" '"unpacked_size": 1073741827'
    local disk
    disk=$(grep -o '"disk_usage": [0-9]*' <<<"$out" | cut -d' ' -f2)
    [ "$disk" -gt 0 ] && [ "$disk" -le 65536 ] || { say "disk_usage $disk"; return 1; }
    local p
    p=$("$RTCTL" --root root image mount t/sp:1)
    local st
    st=$(stat -c '%s %b' "$p/sparse")
    "$RTCTL" --root root image unmount t/sp:1
    [ "${st% *}" = 1073741827 ] && [ "${st#* }" -le 128 ] || { say "stat: $st"; return 1; }
    "$RTCTL" --root root image rm t/sp:1 >/dev/null
    run "$RTCTL" --root root image gc
    assert_in "$out" "removed 1 unused layer (1.1 GB, "
}
