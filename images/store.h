/* store.h - the image store on disk.
 *
 *   STATE/images/
 *     layers/<diff_id hex>/fs      one unpacked layer, an overlayfs lower dir
 *     layers/<diff_id hex>/meta.json  its unpacked size and entry count
 *     blobs/sha256/<hex>           manifests and configs (the JSON, as imported)
 *     refs.json                    NAME:TAG -> manifest digest
 *     tmp/<id>/                    work in progress, each with a held .lock
 *     mnt/<manifest hex>           where `rtctl image mount` mounts
 *     flat/<manifest hex>          flattened roots, when overlayfs is missing
 *     store.lock                   shared by importers, exclusive for gc
 *
 * Everything becomes visible by rename(2) of something complete, after a
 * syncfs(), so a crash at any moment leaves either the old or the new
 * state; leftovers in tmp/ are removed by the next command that opens the
 * store, once their owner's lock shows it is gone. */
#ifndef RT_STORE_H
#define RT_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "../lib/arena.h"
#include "../lib/err.h"
#include "../lib/paths.h"
#include "digest.h"

struct store {
    char dir[PATH_MAX - 256];  /* STATE/images; room left for paths under it */
    int dirfd;
    int lockfd;                /* store.lock, held shared or exclusive */
};

struct store_ref {
    const char *name;          /* normalised, e.g. "redis:7-alpine" */
    struct digest manifest;
};

struct store_refs {
    struct store_ref *v;
    size_t n, cap;
};

struct store_tmp {
    char name[64];             /* tmp/<name> */
    int dirfd;
    int lockfd;
};

/* Open (creating with create) the store under paths->state_dir and take
 * its lock: LOCK_SH for work that adds, LOCK_EX for gc; with LOCK_NB,
 * fail with EWOULDBLOCK rather than wait. Clears leftovers. */
int store_open(struct store *s, const struct rt_paths *paths, bool create, int lock, struct rt_err *err);
void store_close(struct store *s);

/* A private work directory under tmp/, locked while in use. */
int store_tmp_create(struct store *s, struct store_tmp *t, struct rt_err *err);
/* Remove it and everything in it. */
void store_tmp_remove(struct store *s, struct store_tmp *t);

bool store_has_layer(struct store *s, const struct digest *diff_id);
/* Move tmp/<t>/<sub> to layers/<hex>; if another import won the race the
 * layer is already there and ours is dropped. */
int store_commit_layer(struct store *s, struct store_tmp *t, const char *sub, const struct digest *diff_id,
                       struct rt_err *err);
/* What meta.json says of a stored layer: its unpacked size, and the blob
 * it was unpacked from (digest, size, compression), when recorded. */
struct layer_meta {
    uint64_t size;             /* apparent: the sizes its files declare */
    uint64_t disk;             /* the blocks its files take (= size for
                                * layers stored before it was recorded) */
    bool has_blob;
    struct digest blob;
    int64_t blob_size;
    char compression[8];       /* "none", "gzip", "zstd" */
};
int store_layer_meta(struct store *s, const struct digest *diff_id, struct layer_meta *m);
/* Unpacked (apparent) size of a stored layer, from its meta.json (0 if
 * unknown). */
uint64_t store_layer_size(struct store *s, const struct digest *diff_id);
/* fsync a directory of the store (after renames into it). */
int store_sync_dir(struct store *s, const char *sub, struct rt_err *err);

int store_put_blob(struct store *s, const struct digest *d, const void *data, size_t len, struct rt_err *err);
char *store_get_blob(struct store *s, struct arena *a, const struct digest *d, size_t *len, struct rt_err *err);

/* refs.json */
int store_refs_load(struct store *s, struct arena *a, struct store_refs *refs, struct rt_err *err);
/* Set name to manifest (NULL: remove name), atomically, under a lock of
 * its own so concurrent imports do not lose each other's names. */
int store_refs_set(struct store *s, const char *name, const struct digest *manifest, struct rt_err *err);
/* Look a name up; the name is normalised first ("redis" = "redis:latest"). */
int store_resolve(struct store *s, struct arena *a, const char *name, struct digest *manifest, struct rt_err *err);

/* Make all writes so far durable (syncfs on the store's file system). */
int store_sync(struct store *s, struct rt_err *err);

/* Remove a directory tree beneath dirfd without following symlinks. */
int rm_tree_at(int dirfd, const char *name);

#endif
