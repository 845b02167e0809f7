/* image.h - what rtctl's image commands do: import, list, inspect, remove,
 * collect garbage, mount. */
#ifndef RT_IMAGE_H
#define RT_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/arena.h"
#include "../lib/err.h"
#include "oci.h"
#include "store.h"

struct import_opts {
    const char *name;          /* NAME[:TAG] to store under; NULL: from the source */
    /* Decompression bombs: the new layers of the image together, as
     * uncompressed bytes and as the sizes their files declare; 0: no limit */
    uint64_t max_bytes;
    uint64_t max_entries;      /* tar entries per layer */
    /* The floor of free space on the store's file system, below which the
     * import stops and is undone: min_free bytes or min_free_pct_milli
     * thousandths of a percent of the file system, whichever is more. */
    uint64_t min_free;
    uint64_t min_free_pct_milli;
    bool progress;             /* show progress (on a TTY) */
    FILE *out;                 /* where progress and the result line go */
};

/* 16 GiB an image: many times what server images (Kong, Redis, RabbitMQ,
 * Meilisearch: a few hundred MB each) unpack to, and room for most large
 * ones (a CUDA toolkit image is about 10 GB); past that, a few kB of gzip
 * are more likely an attack or a mistake. */
#define IMPORT_DEFAULT_MAX_BYTES (16ULL << 30)
#define IMPORT_DEFAULT_MAX_ENTRIES 2000000ULL
/* Keep 1 GiB or 5% of the file system free, whichever is more: the
 * services' databases, logs and volumes share the disk with the store. */
#define IMPORT_DEFAULT_MIN_FREE (1ULL << 30)
#define IMPORT_DEFAULT_MIN_FREE_PCT_MILLI 5000ULL

struct import_result {
    char name[512];
    struct digest manifest;
    size_t layers, new_layers;
    uint64_t size;             /* the new layers' apparent size (what their files declare) */
    uint64_t disk;             /* what their files take on disk (less, for sparse files) */
};

int image_import(struct store *s, const char *path, const struct import_opts *o, struct import_result *res,
                 struct rt_err *err);

/* A stored image, as read back from its manifest and config. */
struct image {
    const char *name;
    struct digest manifest_digest;
    const char *manifest_json, *config_json;
    size_t manifest_len, config_len;
    struct oci_manifest manifest;
    struct image_config config;
};

int image_load(struct store *s, struct arena *a, const char *name, struct image *img, struct rt_err *err);
int image_load_digest(struct store *s, struct arena *a, const struct digest *manifest, struct image *img,
                      struct rt_err *err);

/* Can this host run the image: built for amd64, every layer in the
 * store? The error names the image and the architecture or the layer. */
int image_check_runnable(struct store *s, const struct image *img, struct rt_err *err);

/* Remove every layer and blob no stored name refers to; gives the layers'
 * apparent size and the disk space they took. */
int image_gc(struct store *s, uint64_t *freed_layers, uint64_t *freed_size, uint64_t *freed_disk,
             struct rt_err *err);

/* Mount the image read-only (overlayfs, or a flattened copy where
 * overlayfs cannot be used) and give its path. */
int image_mount(struct store *s, const char *name, bool flatten, char *path, size_t len, struct rt_err *err);
int image_unmount(struct store *s, const char *name, struct rt_err *err);
/* Is the image mounted (by image_mount)? */
bool image_is_mounted(struct store *s, const struct digest *manifest);

#endif
