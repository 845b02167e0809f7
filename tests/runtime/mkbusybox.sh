#!/usr/bin/env bash
# tests/runtime/mkbusybox.sh OUT [EXTRA] - an OCI image layout at OUT for
# the runtime tests and benchmarks: the host's static busybox with all its
# applets, the static probe program (tests/runtime/probe.c), an app user
# (1000:1000, also in group "extra" 2000) and a few directories.
# Config: Entrypoint none, Cmd ["sh"], WorkingDir /, default user root.
# EXTRA (JSON, optional): "config" keys added to the config, "layers"
# added on top (tests/images/mkimage.py's form), "name" instead.
set -euo pipefail
out=$1
extra=${2:-"{}"}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
busybox=$(command -v busybox)
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
    { echo "mkbusybox: $busybox is not static; install busybox-static" >&2; exit 1; }
gcc -static -O2 -o "$work/probe" "$here/probe.c"
python3 - "$busybox" "$work/probe" "$work/spec.json" "$extra" <<'PY'
import json, subprocess, sys
busybox, probe, spec, extra = sys.argv[1:5]
extra = json.loads(extra)
applets = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True).stdout.split()
e = [{"name": d, "type": "dir"} for d in ("bin", "etc", "tmp", "root", "home", "home/app", "data", "var", "usr", "usr/bin")]
e[2]["mode"] = 0o1777
e[5].update(uid=1000, gid=1000)
e += [{"name": "bin/busybox", "src": busybox, "mode": 0o755},
      {"name": "usr/bin/probe", "src": probe, "mode": 0o755}]
e += [{"name": "bin/" + a, "type": "symlink", "target": "busybox"} for a in applets if a != "busybox"]
e += [{"name": "etc/passwd", "data": "root:x:0:0:root:/root:/bin/sh\n"
                                     "app:x:1000:1000:app:/home/app:/bin/sh\n"
                                     "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
      {"name": "etc/group", "data": "root:x:0:\napp:x:1000:\nextra:x:2000:app\nnogroup:x:65534:\n"}]
config = {"Cmd": ["sh"], "WorkingDir": "/", "Env": ["PATH=/usr/bin:/bin", "IMAGE_VAR=from-image"]}
config.update(extra.get("config", {}))
json.dump({"name": extra.get("name", "test/busybox:1"),
           "layers": [{"compress": "gzip", "entries": e}] + extra.get("layers", []), "config": config},
          open(spec, "w"))
PY
python3 "$here/../images/mkimage.py" "$out" "$work/spec.json"
