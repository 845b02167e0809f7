/* source.h - where an import reads from: an OCI layout directory, or a tar
 * archive (an OCI archive, or a docker-save tarball).
 *
 * Names inside a source are confined to it. In a directory every open goes
 * through openat2(RESOLVE_IN_ROOT), so a symlink in the layout cannot lead
 * out of it. In an archive, member names are cleaned (a ".." member is
 * refused) and symlinks between members (podman's layer.tar links) are
 * followed by name, inside the archive only.
 *
 * An archive is read twice at most: once to list it and keep its small
 * members (the JSON documents) in memory, once more to stream the layers
 * that are not small, in the order they are stored. */
#ifndef RT_SOURCE_H
#define RT_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/arena.h"
#include "../lib/err.h"

struct source;

/* Bytes of one member, read in order. */
struct member_reader {
    int64_t size;                  /* as the source says; -1 if unknown */
    ssize_t (*read)(struct member_reader *r, void *buf, size_t n);
    /* private */
    int fd;
    struct archive *ar;
    const char *mem;
    size_t memlen, mempos;
};

struct source *source_open(struct arena *a, const char *path, struct rt_err *err);
void source_close(struct source *s);
bool source_is_archive(const struct source *s);

/* The size of a member (following links), -1 if there is no such member. */
int64_t source_size(struct source *s, const char *name);

/* Does the source hold this member? */
bool source_has(struct source *s, const char *name);
/* A member read whole (documents, up to max bytes). NULL with err; err->errnum
 * is ENOENT when there is no such member. The bytes may be shared with
 * later reads: do not change them. */
const char *source_read(struct source *s, const char *name, size_t max, size_t *len, struct rt_err *err);

/* Call cb once for each of names[0..n), with a reader for its bytes. For
 * an archive the order is the archive's, not the array's. cb returns 0
 * or -1 (stops, with err filled). */
int source_stream(struct source *s, const char *const *names, size_t n,
                  int (*cb)(void *ud, size_t idx, struct member_reader *r, struct rt_err *err), void *ud,
                  struct rt_err *err);

#endif
