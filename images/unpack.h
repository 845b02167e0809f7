/* unpack.h - write one image layer (a tar stream) into a directory, safely.
 *
 * libarchive parses the tar; every file system change is made here with
 * *at() calls relative to directory fds that the kernel resolved with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), or by O_NOFOLLOW walks of
 * single components. No path is ever handed to the kernel whole, so nothing
 * in a layer - "..", absolute names, symlinks planted by earlier entries,
 * hardlinks pointing out - can make a write land outside the layer's
 * directory. Metadata that must wait until the end (directory mtimes) is
 * applied through a fresh, symlink-free open, so a path that changed type
 * in between is skipped, not followed.
 *
 * OCI whiteouts become overlayfs whiteouts: ".wh.NAME" a 0/0 character
 * device NAME, ".wh..wh..opq" the trusted.overlay.opaque xattr on its
 * directory. The result is a lower directory for overlayfs. */
#ifndef RT_UNPACK_H
#define RT_UNPACK_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

struct archive;

struct unpack_limits {
    uint64_t max_entries;          /* entries of this layer; 0: no limit */
    /* The sizes the files declare, added up over the whole image: this
     * layer's and declared_before, what its earlier layers declared
     * (sparse files are small in the tar and huge in size); 0: no limit */
    uint64_t max_bytes;
    uint64_t declared_before;
    /* Stop when the file system under rootfd has less than this
     * available (statvfs f_bavail, checked every MiB written); 0: never */
    uint64_t min_free;
};

struct unpack_stats {
    uint64_t entries;
    uint64_t bytes;                /* file data written (holes are not written) */
    uint64_t declared;             /* the sizes its regular files declare: its apparent size */
    uint64_t disk;                 /* the blocks its regular files take (st_blocks) */
};

/* Unpack every entry of ar (opened, tar format) into the directory rootfd.
 * what names the layer in messages ("layer sha256:1a2b3c4d5e6f"). */
int unpack_tar(struct archive *ar, int rootfd, const struct unpack_limits *lim, struct unpack_stats *st,
               const char *what, struct rt_err *err);

/* Normalise an entry name: drop leading "/" and "./", empty and "."
 * components. Refuses ".." components. "" is the layer root. */
int unpack_clean_path(const char *in, char *out, size_t outlen, const char **why);

#endif
