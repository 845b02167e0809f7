/* oci.c - parsing OCI and Docker image JSON with jansson. */
#include "oci.h"

#include <jansson.h>
#include <string.h>

#include "../lib/util.h"

static const struct {
    const char *mt;
    enum media_kind kind;
    enum layer_comp comp;
} media_types[] = {
    {"application/vnd.oci.image.index.v1+json", MT_INDEX, COMP_NONE},
    {"application/vnd.docker.distribution.manifest.list.v2+json", MT_INDEX, COMP_NONE},
    {"application/vnd.oci.image.manifest.v1+json", MT_MANIFEST, COMP_NONE},
    {"application/vnd.docker.distribution.manifest.v2+json", MT_MANIFEST, COMP_NONE},
    {"application/vnd.oci.image.config.v1+json", MT_CONFIG, COMP_NONE},
    {"application/vnd.docker.container.image.v1+json", MT_CONFIG, COMP_NONE},
    {"application/vnd.oci.image.layer.v1.tar", MT_LAYER, COMP_NONE},
    {"application/vnd.oci.image.layer.v1.tar+gzip", MT_LAYER, COMP_GZIP},
    {"application/vnd.oci.image.layer.v1.tar+zstd", MT_LAYER, COMP_ZSTD},
    {"application/vnd.oci.image.layer.nondistributable.v1.tar", MT_LAYER, COMP_NONE},
    {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", MT_LAYER, COMP_GZIP},
    {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", MT_LAYER, COMP_ZSTD},
    {"application/vnd.docker.image.rootfs.diff.tar", MT_LAYER, COMP_NONE},
    {"application/vnd.docker.image.rootfs.diff.tar.gzip", MT_LAYER, COMP_GZIP},
    {"application/vnd.docker.image.rootfs.diff.tar.zstd", MT_LAYER, COMP_ZSTD},
    {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", MT_LAYER, COMP_GZIP},
};

enum media_kind media_type_kind(const char *mt, enum layer_comp *comp)
{
    if (comp)
        *comp = COMP_NONE;
    if (!mt)
        return MT_UNKNOWN;
    for (size_t i = 0; i < ARRAY_SIZE(media_types); i++) {
        if (streq(mt, media_types[i].mt)) {
            if (comp)
                *comp = media_types[i].comp;
            return media_types[i].kind;
        }
    }
    return MT_UNKNOWN;
}

const char *layer_comp_name(enum layer_comp c)
{
    return c == COMP_GZIP ? "gzip" : c == COMP_ZSTD ? "zstd" : "none";
}

/* ---------- helpers ---------- */

/* Errors name the field: the path is built up as "layers[2].digest". */
struct jctx {
    struct arena *a;
    const char **why;
};

static int fail(struct jctx *c, const char *path, const char *msg)
{
    *c->why = path && *path ? arena_printf(c->a, "%s: %s", path, msg) : arena_strdup(c->a, msg);
    return -1;
}

static json_t *load(struct jctx *c, const char *buf, size_t len)
{
    if (len > OCI_MAX_JSON) {
        fail(c, NULL, "document too large");
        return NULL;
    }
    json_error_t e;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        *c->why = arena_printf(c->a, "invalid JSON at line %d column %d: %s", e.line, e.column, e.text);
    return j;
}

static const char *dup_str(struct jctx *c, json_t *v)
{
    return arena_strndup(c->a, json_string_value(v), json_string_length(v));
}

/* Optional string member: NULL when absent or null; error if another type. */
static int opt_str(struct jctx *c, json_t *obj, const char *key, const char *path, const char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || memchr(json_string_value(v), '\0', json_string_length(v)))
        return fail(c, arena_printf(c->a, "%s%s%s", path, *path ? "." : "", key), "must be a string");
    *out = dup_str(c, v);
    return 0;
}

/* An array of strings (NULL when absent or null; [] gives n = 0 and a
 * non-NULL vector). */
static int str_array(struct jctx *c, json_t *v, const char *path, char ***out, size_t *n, bool *present)
{
    *out = NULL;
    *n = 0;
    if (present)
        *present = false;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return fail(c, path, "must be an array of strings");
    size_t len = json_array_size(v);
    char **arr = arena_alloc(c->a, (len + 1) * sizeof(char *));
    for (size_t i = 0; i < len; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e) || memchr(json_string_value(e), '\0', json_string_length(e)))
            return fail(c, arena_printf(c->a, "%s[%zu]", path, i), "must be a string");
        arr[i] = (char *)dup_str(c, e);
    }
    *out = arr;
    *n = len;
    if (present)
        *present = true;
    return 0;
}

/* The keys of an object, e.g. ExposedPorts {"80/tcp": {}}. */
static int obj_keys(struct jctx *c, json_t *v, const char *path, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return fail(c, path, "must be an object");
    size_t len = json_object_size(v);
    char **arr = arena_alloc(c->a, (len + 1) * sizeof(char *));
    const char *k;
    json_t *val;
    size_t i = 0;
    json_object_foreach(v, k, val) {
        (void)val;
        arr[i++] = arena_strdup(c->a, k);
    }
    *out = arr;
    *n = i;
    return 0;
}

static int schema_version(struct jctx *c, json_t *root)
{
    json_t *v = json_object_get(root, "schemaVersion");
    if (!v)
        return 0; /* absent in some tools' output; the rest still says what it is */
    if (!json_is_integer(v) || json_integer_value(v) != 2)
        return fail(c, "schemaVersion", "must be 2");
    return 0;
}

static int parse_descriptor(struct jctx *c, json_t *d, const char *path, struct descriptor *out)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(d))
        return fail(c, path, "must be an object");
    if (opt_str(c, d, "mediaType", path, &out->media_type) < 0)
        return -1;
    json_t *dg = json_object_get(d, "digest");
    const char *why;
    if (!json_is_string(dg))
        return fail(c, arena_printf(c->a, "%s.digest", path), "missing");
    if (digest_parse(json_string_value(dg), &out->digest, &why) < 0)
        return fail(c, arena_printf(c->a, "%s.digest", path), why);
    json_t *sz = json_object_get(d, "size");
    if (!json_is_integer(sz) || json_integer_value(sz) < 0)
        return fail(c, arena_printf(c->a, "%s.size", path), "missing or not a non-negative integer");
    out->size = json_integer_value(sz);
    json_t *ann = json_object_get(d, "annotations");
    if (ann && !json_is_null(ann)) {
        if (!json_is_object(ann))
            return fail(c, arena_printf(c->a, "%s.annotations", path), "must be an object");
        const char *apath = arena_printf(c->a, "%s.annotations", path);
        if (opt_str(c, ann, "org.opencontainers.image.ref.name", apath, &out->ref_name) < 0 ||
            opt_str(c, ann, "io.containerd.image.name", apath, &out->image_name) < 0)
            return -1;
    }
    json_t *plat = json_object_get(d, "platform");
    if (plat && !json_is_null(plat)) {
        const char *ppath = arena_printf(c->a, "%s.platform", path);
        if (!json_is_object(plat))
            return fail(c, ppath, "must be an object");
        if (opt_str(c, plat, "os", ppath, &out->os) < 0 || opt_str(c, plat, "architecture", ppath, &out->arch) < 0 ||
            opt_str(c, plat, "variant", ppath, &out->variant) < 0)
            return -1;
    }
    return 0;
}

/* ---------- documents ---------- */

/* Load a document, check it is an object (or an array), run the body,
 * free the JSON: the bodies return -1 at the first problem. */
typedef int (*doc_body)(struct jctx *c, json_t *root, void *out);

static int parse_doc(struct arena *a, const char *buf, size_t len, const char **why, bool array,
                     const char *not_that, doc_body body, void *out)
{
    struct jctx c = {a, why};
    json_t *root = load(&c, buf, len);
    if (!root)
        return -1;
    int r = (array ? json_is_array(root) : json_is_object(root)) ? body(&c, root, out) : fail(&c, NULL, not_that);
    json_decref(root);
    return r;
}

static int index_body(struct jctx *c, json_t *root, void *v)
{
    struct oci_index *out = v;
    if (schema_version(c, root) < 0)
        return -1;
    json_t *m = json_object_get(root, "manifests");
    if (!json_is_array(m))
        return fail(c, "manifests", "missing or not an array");
    out->n = json_array_size(m);
    if (out->n > 4096)
        return fail(c, "manifests", "too many entries");
    out->v = arena_alloc(c->a, (out->n + 1) * sizeof(struct descriptor));
    for (size_t i = 0; i < out->n; i++)
        if (parse_descriptor(c, json_array_get(m, i), arena_printf(c->a, "manifests[%zu]", i), &out->v[i]) < 0)
            return -1;
    return 0;
}

int oci_parse_index(struct arena *a, const char *buf, size_t len, struct oci_index *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    return parse_doc(a, buf, len, why, false, "an index must be a JSON object", index_body, out);
}

static int manifest_body(struct jctx *c, json_t *root, void *v)
{
    struct oci_manifest *out = v;
    if (schema_version(c, root) < 0 || opt_str(c, root, "mediaType", "", &out->media_type) < 0)
        return -1;
    if (out->media_type && media_type_kind(out->media_type, NULL) != MT_MANIFEST)
        return fail(c, "mediaType", arena_printf(c->a, "'%s' is not an image manifest", out->media_type));
    json_t *cfg = json_object_get(root, "config");
    if (!cfg)
        return fail(c, "config", "missing");
    if (parse_descriptor(c, cfg, "config", &out->config) < 0)
        return -1;
    json_t *layers = json_object_get(root, "layers");
    if (!json_is_array(layers))
        return fail(c, "layers", "missing or not an array");
    out->nlayers = json_array_size(layers);
    if (out->nlayers > OCI_MAX_LAYERS)
        return fail(c, "layers",
                    arena_printf(c->a, "%zu layers; at most %d are supported", out->nlayers, OCI_MAX_LAYERS));
    out->layers = arena_alloc(c->a, (out->nlayers + 1) * sizeof(struct descriptor));
    for (size_t i = 0; i < out->nlayers; i++)
        if (parse_descriptor(c, json_array_get(layers, i), arena_printf(c->a, "layers[%zu]", i), &out->layers[i]) < 0)
            return -1;
    return 0;
}

int oci_parse_manifest(struct arena *a, const char *buf, size_t len, struct oci_manifest *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    return parse_doc(a, buf, len, why, false, "a manifest must be a JSON object", manifest_body, out);
}

/* Docker's healthcheck durations are nanoseconds. */
static int ns_field(struct jctx *c, json_t *hc, const char *key, uint64_t *ms)
{
    json_t *v = json_object_get(hc, key);
    *ms = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail(c, arena_printf(c->a, "config.Healthcheck.%s", key), "must be a non-negative integer");
    *ms = (uint64_t)json_integer_value(v) / 1000000;
    return 0;
}

static int parse_healthcheck(struct jctx *c, json_t *hc, struct image_config *out)
{
    if (!hc || json_is_null(hc))
        return 0;
    if (!json_is_object(hc))
        return fail(c, "config.Healthcheck", "must be an object");
    char **test;
    size_t n;
    if (str_array(c, json_object_get(hc, "Test"), "config.Healthcheck.Test", &test, &n, NULL) < 0)
        return -1;
    if (n == 0) {
        out->hc.kind = IHC_NONE; /* inherit: nothing to say */
    } else if (streq(test[0], "NONE")) {
        out->hc.kind = IHC_DISABLED;
    } else if (streq(test[0], "CMD") && n >= 2) {
        out->hc.kind = IHC_CMD;
        out->hc.argv = test + 1;
        out->hc.argc = n - 1;
    } else if (streq(test[0], "CMD-SHELL") && n == 2) {
        out->hc.kind = IHC_SHELL;
        out->hc.argv = test + 1;
        out->hc.argc = 1;
    } else {
        return fail(c, "config.Healthcheck.Test", "must start with NONE, CMD or CMD-SHELL");
    }
    json_t *r = json_object_get(hc, "Retries");
    if (r && !json_is_null(r)) {
        if (!json_is_integer(r) || json_integer_value(r) < 0 || json_integer_value(r) > 1000)
            return fail(c, "config.Healthcheck.Retries", "must be an integer from 0 to 1000");
        out->hc.retries = (unsigned)json_integer_value(r);
    }
    return ns_field(c, hc, "Interval", &out->hc.interval_ms) < 0 || ns_field(c, hc, "Timeout", &out->hc.timeout_ms) < 0 ||
                   ns_field(c, hc, "StartPeriod", &out->hc.start_period_ms) < 0 ||
                   ns_field(c, hc, "StartInterval", &out->hc.start_interval_ms) < 0
               ? -1
               : 0;
}

static int config_body(struct jctx *c, json_t *root, void *v)
{
    struct image_config *out = v;
    const char **why = c->why;
    if (opt_str(c, root, "os", "", &out->os) < 0 || opt_str(c, root, "architecture", "", &out->arch) < 0 ||
        opt_str(c, root, "created", "", &out->created) < 0)
        return -1;
    json_t *rootfs = json_object_get(root, "rootfs");
    if (!json_is_object(rootfs))
        return fail(c, "rootfs", "missing or not an object");
    const char *type;
    if (opt_str(c, rootfs, "type", "rootfs", &type) < 0)
        return -1;
    if (!type || !streq(type, "layers"))
        return fail(c, "rootfs.type", "must be \"layers\"");
    char **ids;
    size_t nids;
    if (str_array(c, json_object_get(rootfs, "diff_ids"), "rootfs.diff_ids", &ids, &nids, NULL) < 0)
        return -1;
    if (nids > OCI_MAX_LAYERS)
        return fail(c, "rootfs.diff_ids", "too many layers");
    out->diff_ids = arena_alloc(c->a, (nids + 1) * sizeof(struct digest));
    out->ndiff_ids = nids;
    for (size_t i = 0; i < nids; i++)
        if (digest_parse(ids[i], &out->diff_ids[i], why) < 0)
            return fail(c, arena_printf(c->a, "rootfs.diff_ids[%zu]", i), *why);
    json_t *cfg = json_object_get(root, "config");
    if (!cfg || json_is_null(cfg))
        return 0;
    if (!json_is_object(cfg))
        return fail(c, "config", "must be an object");
    if (str_array(c, json_object_get(cfg, "Entrypoint"), "config.Entrypoint", &out->entrypoint, &out->nentrypoint,
                  &out->has_entrypoint) < 0 ||
        str_array(c, json_object_get(cfg, "Cmd"), "config.Cmd", &out->cmd, &out->ncmd, &out->has_cmd) < 0 ||
        str_array(c, json_object_get(cfg, "Env"), "config.Env", &out->env, &out->nenv, NULL) < 0 ||
        opt_str(c, cfg, "User", "config", &out->user) < 0 || opt_str(c, cfg, "WorkingDir", "config", &out->workdir) < 0 ||
        opt_str(c, cfg, "StopSignal", "config", &out->stop_signal) < 0 ||
        obj_keys(c, json_object_get(cfg, "ExposedPorts"), "config.ExposedPorts", &out->exposed, &out->nexposed) < 0 ||
        obj_keys(c, json_object_get(cfg, "Volumes"), "config.Volumes", &out->volumes, &out->nvolumes) < 0 ||
        parse_healthcheck(c, json_object_get(cfg, "Healthcheck"), out) < 0)
        return -1;
    /* Docker writes "" for unset strings; treat them as unset. */
    if (out->user && !*out->user)
        out->user = NULL;
    if (out->workdir && !*out->workdir)
        out->workdir = NULL;
    if (out->stop_signal && !*out->stop_signal)
        out->stop_signal = NULL;
    return 0;
}

int oci_parse_config(struct arena *a, const char *buf, size_t len, struct image_config *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    return parse_doc(a, buf, len, why, false, "an image config must be a JSON object", config_body, out);
}

static int docker_body(struct jctx *c, json_t *root, void *v)
{
    struct docker_manifest *out = v;
    out->n = json_array_size(root);
    if (out->n > 4096)
        return fail(c, NULL, "too many images");
    out->v = arena_alloc(c->a, (out->n + 1) * sizeof(struct docker_image));
    for (size_t i = 0; i < out->n; i++) {
        json_t *e = json_array_get(root, i);
        struct docker_image *d = &out->v[i];
        const char *path = arena_printf(c->a, "[%zu]", i);
        if (!json_is_object(e))
            return fail(c, path, "must be an object");
        if (opt_str(c, e, "Config", path, &d->config) < 0)
            return -1;
        if (!d->config)
            return fail(c, arena_printf(c->a, "%s.Config", path), "missing");
        if (str_array(c, json_object_get(e, "RepoTags"), arena_printf(c->a, "%s.RepoTags", path), &d->tags, &d->ntags,
                      NULL) < 0 ||
            str_array(c, json_object_get(e, "Layers"), arena_printf(c->a, "%s.Layers", path), &d->layers, &d->nlayers,
                      NULL) < 0)
            return -1;
        if (d->nlayers > OCI_MAX_LAYERS)
            return fail(c, arena_printf(c->a, "%s.Layers", path), "too many layers");
    }
    return 0;
}

int docker_parse_manifest(struct arena *a, const char *buf, size_t len, struct docker_manifest *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    return parse_doc(a, buf, len, why, true, "manifest.json must be a JSON array", docker_body, out);
}

int oci_pick_platform(const struct oci_index *idx)
{
    /* An exact linux/amd64 first; an entry that names no platform only if
     * none does (buildx adds "unknown/unknown" attestations beside images). */
    int any = -1;
    for (size_t i = 0; i < idx->n; i++) {
        const struct descriptor *d = &idx->v[i];
        if (d->os && streq(d->os, "linux") && d->arch && streq(d->arch, "amd64"))
            return (int)i;
        if (!d->os && !d->arch && any < 0)
            any = (int)i;
    }
    return any;
}
