/* oci.h - the JSON documents of OCI and Docker images, parsed with jansson.
 *
 * Pure functions from bytes to structures (no I/O), so they can be fuzzed
 * and tested alone. Every string lives in the caller's arena; a document
 * that is not what its schema says is refused with a message naming the
 * field ("layers[2].digest: ..."). */
#ifndef RT_OCI_H
#define RT_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/arena.h"
#include "digest.h"

#define OCI_MAX_LAYERS 256      /* docker stops at 127; overlayfs at 500 */
#define OCI_MAX_JSON (4 << 20)  /* manifests and configs are kilobytes */

enum media_kind { MT_UNKNOWN, MT_INDEX, MT_MANIFEST, MT_CONFIG, MT_LAYER };
enum layer_comp { COMP_NONE, COMP_GZIP, COMP_ZSTD };

/* What a media type is; for layers, how it is compressed. */
enum media_kind media_type_kind(const char *mt, enum layer_comp *comp);
const char *layer_comp_name(enum layer_comp c);

struct descriptor {
    const char *media_type;   /* NULL when absent */
    struct digest digest;
    int64_t size;
    const char *ref_name;     /* annotation org.opencontainers.image.ref.name */
    const char *image_name;   /* annotation io.containerd.image.name */
    const char *os, *arch, *variant; /* platform; NULL when absent */
};

struct oci_index {
    struct descriptor *v;
    size_t n;
};

struct oci_manifest {
    const char *media_type;
    struct descriptor config;
    struct descriptor *layers;
    size_t nlayers;
};

enum image_hc_kind { IHC_NONE, IHC_DISABLED, IHC_CMD, IHC_SHELL };

struct image_config {
    const char *os, *arch, *created;
    bool has_entrypoint, has_cmd;   /* null or absent: not set; [] is set and empty */
    char **entrypoint, **cmd;
    size_t nentrypoint, ncmd;
    char **env;                      /* "NAME=value" */
    size_t nenv;
    const char *user, *workdir, *stop_signal; /* NULL when absent or empty */
    char **exposed;                  /* "80/tcp" */
    size_t nexposed;
    char **volumes;
    size_t nvolumes;
    struct {
        enum image_hc_kind kind;
        char **argv;                 /* CMD: the command; CMD-SHELL: one shell string */
        size_t argc;
        uint64_t interval_ms, timeout_ms, start_period_ms, start_interval_ms; /* 0 = not set */
        unsigned retries;            /* 0 = not set */
    } hc;
    struct digest *diff_ids;
    size_t ndiff_ids;
};

/* One image of a docker-save manifest.json. */
struct docker_image {
    const char *config;              /* member name of the config */
    char **tags;                     /* RepoTags, may be empty */
    size_t ntags;
    char **layers;                   /* member names of the layer tars, base first */
    size_t nlayers;
};

struct docker_manifest {
    struct docker_image *v;
    size_t n;
};

int oci_parse_index(struct arena *a, const char *buf, size_t len, struct oci_index *out, const char **why);
int oci_parse_manifest(struct arena *a, const char *buf, size_t len, struct oci_manifest *out, const char **why);
int oci_parse_config(struct arena *a, const char *buf, size_t len, struct image_config *out, const char **why);
int docker_parse_manifest(struct arena *a, const char *buf, size_t len, struct docker_manifest *out,
                          const char **why);

/* The manifest for this host's platform (linux/amd64) among the entries of
 * an index: returns its position, -1 if none matches. Entries without a
 * platform match any. */
int oci_pick_platform(const struct oci_index *idx);

#endif
