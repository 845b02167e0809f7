/* volguard.h - where a volume's source stops following symlinks.
 *
 * A container that can write a directory can put a symlink there. If that
 * directory is on the path of another volume's source (named volumes
 * `shared` and `shared/inner`; host paths /srv/data and /srv/data/inner),
 * the next start of the other volume would follow it anywhere on the host,
 * / included. So a source is opened in two parts: the part above the
 * outermost writable volume source that contains it, as the administrator
 * wrote it (symlinks followed: /etc/localtime, /lib on a merged-/usr
 * system), and the rest beneath it with no symlink followed at all
 * (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS). Named volumes are always
 * beneath their root, the block volume's mount point. */
#ifndef RT_VOLGUARD_H
#define RT_VOLGUARD_H

#include <stdbool.h>
#include <stddef.h>

/* Is dir a proper ancestor of path? Both absolute and normalised (no "//",
 * ".", ".." or trailing "/"). */
bool path_is_ancestor(const char *dir, const char *path);

/* The outermost of writable[0..n) that is a proper ancestor of src, or
 * NULL when none is: then src may follow symlinks. */
const char *volume_guard(const char *src, const char *const *writable, size_t n);

#endif
