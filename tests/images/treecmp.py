#!/usr/bin/env python3
"""treecmp.py A B - compare two directory trees entry by entry: type, mode
(with setuid/setgid/sticky), owner, mtime (not of directories), xattrs, content of files,
target of symlinks, device numbers, and which files are hard links of each
other. Prints every difference; exit status 1 if there is any."""
import hashlib
import os
import stat
import sys


def walk(root):
    out = {}
    inodes = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames + (["."] if dirpath == root else []):
            p = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.relpath(p, root))
            st = os.lstat(p)
            info = {"type": stat.S_IFMT(st.st_mode), "mode": stat.S_IMODE(st.st_mode),
                    "uid": st.st_uid, "gid": st.st_gid}
            # A directory's mtime after layers are applied depends on how
            # (deleting an entry touches its directory): compare the rest.
            if not stat.S_ISDIR(st.st_mode):
                info["mtime"] = st.st_mtime_ns // 1000000000
            try:
                # overlayfs' own attributes are how layers are stored, not content
                info["xattrs"] = sorted((x, os.getxattr(p, x, follow_symlinks=False))
                                        for x in os.listxattr(p, follow_symlinks=False)
                                        if not x.startswith("trusted.overlay."))
            except OSError:
                info["xattrs"] = "unsupported"
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    info["sha256"] = hashlib.sha256(f.read()).hexdigest()
                inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            elif stat.S_ISLNK(st.st_mode):
                info["target"] = os.readlink(p)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                info["rdev"] = (os.major(st.st_rdev), os.minor(st.st_rdev))
            out[rel] = info
    # hard link groups, as sets of names
    links = {rel: tuple(sorted(g)) for g in inodes.values() if len(g) > 1 for rel in g}
    for rel, info in out.items():
        info["links"] = links.get(rel, ())
    return out


def main():
    a, b = walk(sys.argv[1]), walk(sys.argv[2])
    diffs = []
    for rel in sorted(set(a) | set(b)):
        if rel not in a:
            diffs.append("only in %s: %s" % (sys.argv[2], rel))
        elif rel not in b:
            diffs.append("only in %s: %s" % (sys.argv[1], rel))
        elif a[rel] != b[rel]:
            keys = [k for k in set(a[rel]) | set(b[rel]) if a[rel].get(k) != b[rel].get(k)]
            diffs.append("%s: %s" % (rel, ", ".join("%s %r != %r" % (k, a[rel].get(k), b[rel].get(k)) for k in sorted(keys))))
    for d in diffs:
        print(d)
    print("%d entries compared, %d differences" % (len(a), len(diffs)))
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
