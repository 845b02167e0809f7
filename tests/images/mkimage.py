#!/usr/bin/env python3
"""mkimage.py - build OCI image layouts, OCI archives and docker-save
tarballs for the tests, including broken and hostile ones.

    mkimage.py OUT SPEC.json

SPEC is a JSON object:
  name         image name for the ref annotation (default "test/img:1");
               null for no annotation, or a bare tag such as "1"
  format       "layout" (a directory), "oci-archive", "docker-archive"
               (legacy manifest.json + <id>/layer.tar), "docker25"
               (docker 25+: both manifest.json and an OCI layout)
  layers       list of {"compress": "gzip"|"zstd"|"none",
                        "entries": [ENTRY...]} or {"raw": "layer.tar"}
  config       extra keys for the config's "config" object (Entrypoint...)
  created      the config's "created" time (default 2026-01-01T00:00:00Z)
  platform     {"os":..., "architecture":...} for the config (default linux/amd64)
  index        "multi": wrap the manifest in a multi-platform index with an
               arm64 decoy
  corrupt      {"layer_digest": i, "layer_size": i, "config_digest": true,
                "missing": "layer0"|"config"|"manifest", "diff_id": i,
                "media_type": [i, "type"], "config_json": "text",
                "index_json": "text", "truncate": i}

ENTRY is {"name": path, "type": "file"|"dir"|"symlink"|"hardlink"|
          "chardev"|"blockdev"|"fifo", "data": text, "target": text,
          "mode": int, "uid": int, "gid": int, "mtime": int,
          "major": int, "minor": int, "xattrs": {name: text or "base64:..."},
          "size": int (a hardlink that claims data), "src": host file whose
          bytes are the file's data}
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

TYPES = {
    "file": tarfile.REGTYPE,
    "dir": tarfile.DIRTYPE,
    "symlink": tarfile.SYMTYPE,
    "hardlink": tarfile.LNKTYPE,
    "chardev": tarfile.CHRTYPE,
    "blockdev": tarfile.BLKTYPE,
    "fifo": tarfile.FIFOTYPE,
}


def sha(b):
    return hashlib.sha256(b).hexdigest()


def layer_tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            ti.type = TYPES[e.get("type", "file")]
            ti.mode = e.get("mode", 0o755 if ti.type == tarfile.DIRTYPE else 0o644)
            ti.uid = e.get("uid", 0)
            ti.gid = e.get("gid", 0)
            ti.mtime = e.get("mtime", 1700000000)
            ti.linkname = e.get("target", "")
            ti.devmajor = e.get("major", 0)
            ti.devminor = e.get("minor", 0)
            if e.get("xattrs"):
                # "base64:..." values are binary (ACLs): libarchive's own
                # pax key carries them base64-encoded
                ti.pax_headers = {("LIBARCHIVE.xattr." + k if v.startswith("base64:") else "SCHILY.xattr." + k):
                                  (v[7:] if v.startswith("base64:") else v) for k, v in e["xattrs"].items()}
            if "src" in e:  # a file of this host, as is (binaries)
                with open(e["src"], "rb") as f:
                    data = f.read()
            else:
                data = e.get("data", "").encode() if isinstance(e.get("data", ""), str) else e["data"]
            if ti.type == tarfile.REGTYPE or (ti.type == tarfile.LNKTYPE and e.get("size")):
                if ti.type == tarfile.LNKTYPE:
                    data = b"x" * e["size"]
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            else:
                t.addfile(ti)
    return buf.getvalue()


def compress(raw, how):
    if how == "gzip":
        return gzip.compress(raw, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c"], input=raw, stdout=subprocess.PIPE, check=True).stdout
    return raw


MT = {
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "none": "application/vnd.oci.image.layer.v1.tar",
}


def build(spec):
    """Returns (files, blobs info): files is {relative path: bytes}."""
    corrupt = spec.get("corrupt", {})
    files = {}
    diff_ids, layer_descs, layer_raws = [], [], []
    for i, l in enumerate(spec.get("layers", [])):
        if "raw" in l:
            with open(l["raw"], "rb") as f:
                raw = f.read()
        else:
            raw = layer_tar(l.get("entries", []))
        comp = l.get("compress", "gzip")
        blob = compress(raw, comp)
        if corrupt.get("truncate") == i:
            blob = blob[: len(blob) // 2]
        diff = sha(raw)
        if corrupt.get("diff_id") == i:
            diff = sha(raw + b"x")
        diff_ids.append("sha256:" + diff)
        digest = sha(blob)
        files["blobs/sha256/" + digest] = blob
        desc = {"mediaType": MT[comp], "digest": "sha256:" + digest, "size": len(blob)}
        if corrupt.get("layer_digest") == i:
            desc["digest"] = "sha256:" + sha(blob + b"tampered")
            files["blobs/sha256/" + desc["digest"][7:]] = blob  # right name, wrong content
        if corrupt.get("layer_size") == i:
            desc["size"] = len(blob) + 10
        if "media_type" in corrupt and corrupt["media_type"][0] == i:
            desc["mediaType"] = corrupt["media_type"][1]
        if corrupt.get("missing") == "layer%d" % i:
            del files["blobs/sha256/" + digest]
        layer_descs.append(desc)
        layer_raws.append(raw)
    plat = spec.get("platform", {"os": "linux", "architecture": "amd64"})
    cfg = dict(plat)
    cfg.update({"created": spec.get("created", "2026-01-01T00:00:00Z"), "rootfs": {"type": "layers", "diff_ids": diff_ids},
                "config": spec.get("config", {})})
    cfg_bytes = json.dumps(cfg).encode()
    if "config_json" in corrupt:
        cfg_bytes = corrupt["config_json"].encode()
    cfg_digest = sha(cfg_bytes)
    files["blobs/sha256/" + cfg_digest] = cfg_bytes
    cfg_desc = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cfg_digest,
                "size": len(cfg_bytes)}
    if corrupt.get("config_digest"):
        files["blobs/sha256/" + cfg_digest] = cfg_bytes + b" "
        cfg_desc["size"] = len(cfg_bytes) + 1
    if corrupt.get("missing") == "config":
        del files["blobs/sha256/" + cfg_digest]
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": cfg_desc, "layers": layer_descs}
    man_bytes = json.dumps(manifest).encode()
    man_digest = sha(man_bytes)
    files["blobs/sha256/" + man_digest] = man_bytes
    if corrupt.get("missing") == "manifest":
        del files["blobs/sha256/" + man_digest]
    name = spec.get("name", "test/img:1")
    desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + man_digest,
            "size": len(man_bytes)}
    if name is not None:
        desc["annotations"] = {"org.opencontainers.image.ref.name": name}
    if spec.get("index") == "multi":
        # an arm64 decoy first, then the real image, in a nested index
        decoy_cfg = json.dumps({"os": "linux", "architecture": "arm64",
                                "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        files["blobs/sha256/" + sha(decoy_cfg)] = decoy_cfg
        decoy = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                       "digest": "sha256:" + sha(decoy_cfg), "size": len(decoy_cfg)},
                            "layers": []}).encode()
        files["blobs/sha256/" + sha(decoy)] = decoy
        inner = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + sha(decoy),
             "size": len(decoy), "platform": {"os": "linux", "architecture": "arm64"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + man_digest,
             "size": len(man_bytes), "platform": {"os": "linux", "architecture": "amd64"}}]}
        inner_bytes = json.dumps(inner).encode()
        files["blobs/sha256/" + sha(inner_bytes)] = inner_bytes
        desc = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + sha(inner_bytes),
                "size": len(inner_bytes)}
        if name is not None:
            desc["annotations"] = {"org.opencontainers.image.ref.name": name}
    index = {"schemaVersion": 2, "manifests": [desc]}
    files["index.json"] = corrupt.get("index_json", json.dumps(index)).encode()
    files["oci-layout"] = b'{"imageLayoutVersion": "1.0.0"}'
    return files, cfg_bytes, cfg_digest, layer_raws, layer_descs, name


def write_dir(out, files):
    for rel, data in files.items():
        p = os.path.join(out, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)


def write_tar(out, files, links=()):
    with tarfile.open(out, "w") as t:
        for rel, data in sorted(files.items()):
            ti = tarfile.TarInfo(rel)
            ti.size = len(data)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
        for name, target in links:
            ti = tarfile.TarInfo(name)
            ti.type = tarfile.SYMTYPE
            ti.linkname = target
            t.addfile(ti)


def main():
    out, spec_path = sys.argv[1], sys.argv[2]
    with open(spec_path) as f:
        spec = json.load(f)
    files, cfg_bytes, cfg_digest, raws, descs, name = build(spec)
    fmt = spec.get("format", "layout")
    if fmt == "layout":
        write_dir(out, files)
    elif fmt == "oci-archive":
        write_tar(out, files)
    elif fmt in ("docker-archive", "docker25"):
        tags = [name] if name and ":" in name else []
        if fmt == "docker-archive":
            # legacy: <hex>.json config, <id>/layer.tar (podman style: a
            # symlink to a tar stored once at the top)
            dfiles = {cfg_digest + ".json": cfg_bytes}
            links, layers = [], []
            for i, raw in enumerate(raws):
                lid = sha(raw)
                dfiles[lid + ".tar"] = raw
                links.append(("%064x/layer.tar" % i, "../" + lid + ".tar"))
                layers.append("%064x/layer.tar" % i)
            dfiles["manifest.json"] = json.dumps(
                [{"Config": cfg_digest + ".json", "RepoTags": tags, "Layers": layers}]).encode()
            write_tar(out, dfiles, links)
        else:
            dfiles = dict(files)
            dfiles["manifest.json"] = json.dumps(
                [{"Config": "blobs/sha256/" + cfg_digest, "RepoTags": tags,
                  "Layers": [d["digest"].replace("sha256:", "blobs/sha256/") for d in descs]}]).encode()
            write_tar(out, dfiles)
    else:
        sys.exit("unknown format " + fmt)


if __name__ == "__main__":
    main()
