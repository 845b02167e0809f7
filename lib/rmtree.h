/* rmtree.h - remove a directory tree that a container wrote.
 *
 * A container's writable layer is hostile input on the host's disk:
 * symbolic links to anywhere (the host's /), device nodes and FIFOs,
 * files and directories made immutable or append-only, directories of
 * mode 0, names with newlines, and nesting without bound (a container can
 * nest directories far deeper than a process has file descriptors or
 * stack). So:
 *
 * - nothing is followed: entries are removed with unlinkat() by name, and
 *   only directories are ever opened (O_NOFOLLOW | O_DIRECTORY, checked
 *   against what fstatat() saw), besides regular files whose immutable or
 *   append-only flag must be cleared; a device node or FIFO is never
 *   opened;
 * - nothing on another file system is touched: a directory whose device is
 *   not the top's is left where it is (a mount point), and counts as not
 *   removed;
 * - the depth costs nothing: a non-empty subdirectory's entries are moved
 *   up into the top directory (renameat2 with RENAME_NOREPLACE, under
 *   fresh names) before it is removed, so the tree flattens while two
 *   directory descriptors are open, whatever its shape;
 * - nothing is allocated (the container's child calls it between clone
 *   and exec).
 *
 * It assumes nobody else writes the tree meanwhile (the container that
 * wrote it has ended); if someone does, it is still never followed out. */
#ifndef RT_RMTREE_H
#define RT_RMTREE_H

#include <stdint.h>

/* Empty the directory dirfd (which stays). deadline_ns: CLOCK_MONOTONIC
 * nanoseconds after which it stops (0: none). 0 when it is empty; -1 with
 * errno otherwise: ETIMEDOUT (the deadline came), ENOTEMPTY (something
 * could not be removed: a mount point, or a file system that refused),
 * or the errno of reading the directory. What was removed stays removed:
 * calling it again goes on from there. */
int rmtree_contents(int dirfd, uint64_t deadline_ns);

/* Remove name in dirfd, whatever it is (a tree is emptied first). 0 also
 * when it does not exist. */
int rmtree_at(int dirfd, const char *name, uint64_t deadline_ns);

/* Clear the immutable and append-only flags of name in dirfd when it is
 * a directory or a regular file (nothing else is opened); 0 when there
 * was nothing to clear or it was cleared. */
int rmtree_clear_flags(int dirfd, const char *name);

/* CLOCK_MONOTONIC now, in nanoseconds, for deadlines. */
uint64_t rmtree_now_ns(void);

#endif
