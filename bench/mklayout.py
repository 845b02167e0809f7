#!/usr/bin/env python3
"""mklayout.py OUT NAME DIR... - an OCI image layout with one gzip layer per
DIR (paths inside the layer as on this host, without the leading /), for
benchmarks. Uses GNU tar and gzip, like the images people ship."""
import hashlib
import json
import os
import subprocess
import sys

out, name, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(out + "/blobs/sha256", exist_ok=True)


def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open("%s/blobs/sha256/%s" % (out, d), "wb") as f:
        f.write(data)
    return d


layers, diffs = [], []
for d in dirs:
    raw = subprocess.run(["tar", "-C", "/", "--numeric-owner", "-cf", "-", d.lstrip("/")],
                         stdout=subprocess.PIPE, check=True).stdout
    gz = subprocess.run(["gzip", "-6", "-n"], input=raw, stdout=subprocess.PIPE, check=True).stdout
    diffs.append("sha256:" + hashlib.sha256(raw).hexdigest())
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + put(gz),
                   "size": len(gz)})
cfg = json.dumps({"os": "linux", "architecture": "amd64", "config": {"Cmd": ["/bin/sh"]},
                  "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + put(cfg),
                             "size": len(cfg)}, "layers": layers}).encode()
tag = name.rsplit(":", 1)[1]
with open(out + "/index.json", "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
               "digest": "sha256:" + put(man), "size": len(man),
               "annotations": {"org.opencontainers.image.ref.name": tag}}]}, f)
with open(out + "/oci-layout", "w") as f:
    f.write('{"imageLayoutVersion": "1.0.0"}')
