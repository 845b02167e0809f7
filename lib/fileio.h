/* fileio.h - reading small files that users point us at.
 *
 * Configuration, env files and seccomp profiles are named by users, so the
 * name may be a FIFO, a device or something huge. Opening with O_NONBLOCK
 * and checking fstat() before reading means `config check` can never hang
 * or eat memory on a wrong path. */
#ifndef RT_FILEIO_H
#define RT_FILEIO_H

#include <stddef.h>
#include <sys/stat.h>

#include "arena.h"
#include "err.h"

/* Read a whole regular file into the arena, NUL-terminated. Returns NULL
 * with *errnum set: errno of open/read, EINVAL when it is not a regular
 * file, EFBIG when it is larger than max bytes. st (may be NULL) gets the
 * file's status as opened. */
char *read_small_file(struct arena *a, const char *path, size_t max, size_t *len, struct stat *st, int *errnum);

/* A message for read_small_file's errnum: "not a regular file", ... */
const char *read_small_file_error(int errnum);

/* Write data to dirfd/name whole or not at all: a temporary file
 * ".NAME.PID.tmp" in the same directory, fsync, rename, fsync of the
 * directory. A reader sees the old file or the new one, never a part. */
int write_file_atomic(int dirfd, const char *name, const void *data, size_t len, struct rt_err *err);

/* mkdir -p: the missing parents (0755), then path itself with mode. An
 * existing directory is fine. The error names the one that failed. */
int mkdir_p(const char *path, mode_t mode, struct rt_err *err);


#endif
