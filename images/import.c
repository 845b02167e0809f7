/* import.c - bring an image from a file into the store, verifying every byte.
 *
 * Each layer is read exactly once, through three libarchive readers in a
 * row:
 *
 *   source bytes --(hash: blob digest, size)--> A: raw format + gzip/zstd
 *     --(hash: diff_id, byte limit)--> B: tar --> unpack_tar() --> tmp dir
 *
 * The digests are compared when the stream ends; anything wrong and the
 * temporary directory goes, so the store only ever gains layers that match
 * their digests. Layers become visible all together, by rename, after a
 * syncfs(), and the name last. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "../lib/util.h"
#include "../config/value.h"
#include "image.h"
#include "source.h"
#include "unpack.h"

#define BUF_SIZE (256 * 1024)
#define NCHUNK 8 /* decompressed chunks in flight between the two threads */

struct layer_job {
    struct digest diff_id;
    struct digest blob;            /* expected blob digest, when known */
    bool blob_known;
    int64_t size;                  /* expected blob size, -1 when unknown */
    enum layer_comp comp;
    bool comp_auto;                /* docker-save layers: detect gzip/zstd/none */
    const char *member;            /* name in the source */
    const char *media_type;        /* as the manifest says */
    bool needed;                   /* not in the store yet */
    /* filled by streaming */
    struct digest got_blob;
    int64_t got_size;
    enum layer_comp got_comp;
    struct unpack_stats st;
};

struct import_ctx {
    struct store *s;
    const struct import_opts *o;
    struct arena *a;
    struct source *src;
    const char *path;
    struct store_tmp tmp;
    struct layer_job *jobs;
    size_t njobs;
    size_t done, todo;             /* layers streamed / to stream, for progress */
    /* The image's limits count its new layers together: what the layers
     * streamed so far added up to, uncompressed and as declared sizes. */
    uint64_t unpacked, declared;
    uint64_t min_free;             /* the floor, in bytes, on the store's file system */
    /* what we learnt from the source */
    const char *manifest_json, *config_json;
    size_t manifest_len, config_len;
    struct digest manifest_digest, config_digest;
    struct image_config config;
    const char **names;            /* names to store it under */
    size_t nnames;
    bool docker;                   /* a docker-save manifest.json source */
    /* JSON blobs already read and checked, by digest: an index may name
     * the same blob many times, and must not make us read it many times */
    struct doc {
        struct digest d;
        const char *buf;
        size_t len;
    } *docs;
    size_t ndocs, capdocs, doc_bytes;
};

#define MAX_DOC_BYTES (64 << 20) /* all the JSON an import reads, together */

/* ---------- the streaming pipeline ---------- */

/* Two threads per layer: a producer reads the blob, hashes it,
 * decompresses it and hashes the result; the consumer (the caller's
 * thread) parses the tar and makes the file system calls. Decompressing
 * and hashing cost CPU, creating files costs system calls: side by side
 * they overlap, so an import can be faster than plain tar. Only the
 * producer touches A, the blob hashes and the member reader once it has
 * started; only the consumer touches B. */
struct pipe {
    struct member_reader *mr;
    struct layer_job *job;
    struct import_ctx *ic;
    struct archive *A;
    struct sha256 blob, diff;
    uint64_t nraw, nunpacked;
    char err[512];                /* what went wrong in the producer */
    struct timespec last;
    unsigned char rawbuf[BUF_SIZE];
    /* the queue */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned char chunk[NCHUNK][BUF_SIZE];
    size_t len[NCHUNK];
    unsigned head, count;         /* count: filled and not yet released */
    bool held;                    /* the consumer is reading chunk[head] */
    bool eof, failed, cancel, done;
};

static void progress(struct pipe *p, bool final)
{
    const struct import_opts *o = p->ic->o;
    if (!o->progress || p->job->size < (8 << 20))
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (now.tv_sec - p->last.tv_sec) * 1000 + (now.tv_nsec - p->last.tv_nsec) / 1000000;
    if (!final && ms < 200)
        return;
    p->last = now;
    char hex[DIGEST_HEX_LEN + 1];
    digest_hex(&p->job->diff_id, hex);
    fprintf(o->out, "\r\033[Klayer %zu/%zu %.12s  %.1f/%.1f MB", p->ic->done + 1, p->ic->todo, hex,
            (double)p->nraw / 1e6, (double)p->job->size / 1e6);
    if (final)
        fputs("\r\033[K", o->out);
    fflush(o->out);
}

static la_ssize_t raw_read(struct archive *a, void *client, const void **buff)
{
    (void)a;
    struct pipe *p = client;
    ssize_t k = p->mr->read(p->mr, p->rawbuf, sizeof(p->rawbuf));
    if (k < 0) {
        snprintf(p->err, sizeof(p->err), "reading the blob: %s", strerror(errno));
        return -1;
    }
    sha256_update(&p->blob, p->rawbuf, (size_t)k);
    p->nraw += (uint64_t)k;
    if (p->job->size >= 0 && p->nraw > (uint64_t)p->job->size) {
        snprintf(p->err, sizeof(p->err), "the blob is larger than the %lld bytes its descriptor gives",
                 (long long)p->job->size);
        return -1;
    }
    progress(p, false);
    *buff = p->rawbuf;
    return k;
}

/* Decompressed bytes: hashed for the diff_id and counted against the
 * limit, whoever reads them (the tar reader, or the final drain). */
static la_ssize_t pull(struct pipe *p, void *buf, size_t n)
{
    la_ssize_t k = archive_read_data(p->A, buf, n);
    if (k < 0) {
        if (!p->err[0])
            snprintf(p->err, sizeof(p->err), "cannot decompress: %s", archive_error_string(p->A));
        return -1;
    }
    sha256_update(&p->diff, buf, (size_t)k);
    p->nunpacked += (uint64_t)k;
    /* ic->unpacked only changes between layers, with no producer running. */
    uint64_t max = p->ic->o->max_bytes;
    if (max && p->ic->unpacked + p->nunpacked > max) {
        char ms[32];
        format_size_buf(ms, sizeof(ms), max);
        snprintf(p->err, sizeof(p->err),
                 "the image's layers are more than %s (%llu bytes) uncompressed in all (a decompression bomb?); "
                 "raise the per-image limit with --max-bytes",
                 ms, (unsigned long long)max);
        return -1;
    }
    return k;
}

static void *producer(void *arg)
{
    struct pipe *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->count == NCHUNK && !p->cancel)
            pthread_cond_wait(&p->cv, &p->mu);
        bool cancel = p->cancel;
        unsigned slot = (p->head + p->count) % NCHUNK;
        pthread_mutex_unlock(&p->mu);
        if (cancel)
            break;
        la_ssize_t k = pull(p, p->chunk[slot], BUF_SIZE);
        pthread_mutex_lock(&p->mu);
        if (k < 0)
            p->failed = true;
        else if (k == 0)
            p->eof = true;
        else
            p->len[slot] = (size_t)k, p->count++;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (k <= 0)
            break;
    }
    /* The blob digest covers every byte, also what the decompressor did
     * not need (a trailer, padding): read the rest of the blob. */
    bool failed = false;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        bool go = p->eof && !p->cancel;
        pthread_mutex_unlock(&p->mu);
        if (!go)
            break;
        ssize_t k = p->mr->read(p->mr, p->rawbuf, sizeof(p->rawbuf));
        if (k < 0) {
            snprintf(p->err, sizeof(p->err), "reading the blob: %s", strerror(errno));
            failed = true;
            break;
        }
        if (k == 0)
            break;
        sha256_update(&p->blob, p->rawbuf, (size_t)k);
        p->nraw += (uint64_t)k;
    }
    pthread_mutex_lock(&p->mu);
    p->failed |= failed;
    p->done = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* B's read callback: the next decompressed chunk from the producer. */
static la_ssize_t tar_read(struct archive *a, void *client, const void **buff)
{
    (void)a;
    struct pipe *p = client;
    pthread_mutex_lock(&p->mu);
    if (p->held) {
        p->head = (p->head + 1) % NCHUNK;
        p->count--;
        p->held = false;
        pthread_cond_broadcast(&p->cv);
    }
    while (p->count == 0 && !p->eof && !p->failed)
        pthread_cond_wait(&p->cv, &p->mu);
    la_ssize_t r;
    if (p->failed) {
        r = -1;
    } else if (p->count) {
        p->held = true;
        *buff = p->chunk[p->head];
        r = (la_ssize_t)p->len[p->head];
    } else {
        r = 0;
    }
    pthread_mutex_unlock(&p->mu);
    return r;
}

/* Stop the producer (cancel) or let it finish, and wait for it. */
static void finish_producer(struct pipe *p, pthread_t thr, bool cancel)
{
    pthread_mutex_lock(&p->mu);
    if (cancel)
        p->cancel = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (!cancel) {
        /* drain what the tar reader did not need (the zero blocks after
         * the end of the archive): the diff_id covers them too */
        const void *buf;
        while (tar_read(NULL, p, &buf) > 0)
            ;
    }
    pthread_join(thr, NULL);
}

static void layer_name(const struct layer_job *j, char *out, size_t len)
{
    char ds[DIGEST_STR_LEN + 1];
    digest_str(j->blob_known ? &j->blob : &j->diff_id, ds);
    snprintf(out, len, "layer %s", ds);
}

static int write_meta(int dirfd, const struct layer_job *j, struct rt_err *err)
{
    char ds[DIGEST_STR_LEN + 1], bs[DIGEST_STR_LEN + 1];
    digest_str(&j->diff_id, ds);
    digest_str(&j->got_blob, bs);
    /* The blob it came from, so that an image that refers to this layer
     * later (a docker-save archive re-imported) says the same of it. */
    /* size: what its files declare, as ls -l and du --apparent-size add
     * up; disk: the blocks they take, as du counts them (a sparse file of
     * 1 GB may take none). */
    json_t *m = json_pack("{s:s, s:I, s:I, s:I, s:s, s:I, s:s}", "diff_id", ds, "size", (json_int_t)j->st.declared,
                          "disk", (json_int_t)j->st.disk, "entries", (json_int_t)j->st.entries, "blob", bs,
                          "blob_size", (json_int_t)j->got_size, "compression", layer_comp_name(j->got_comp));
    int fd = openat(dirfd, "meta.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int r = fd >= 0 && m && json_dumpfd(m, fd, JSON_COMPACT) == 0 ? 0 : -1;
    if (fd >= 0)
        close(fd);
    json_decref(m);
    return r < 0 ? rt_syserror(err, "writing layer metadata") : 0;
}

static int stream_layer(void *ud, size_t idx, struct member_reader *mr, struct rt_err *err)
{
    struct import_ctx *ic = ud;
    struct layer_job *j = NULL;
    /* idx counts the needed layers only */
    for (size_t i = 0, k = 0; i < ic->njobs; i++) {
        if (!ic->jobs[i].needed)
            continue;
        if (k++ == idx) {
            j = &ic->jobs[i];
            break;
        }
    }
    char what[128];
    layer_name(j, what, sizeof(what));

    char sub[32];
    snprintf(sub, sizeof(sub), "l%zu", (size_t)(j - ic->jobs));
    if (mkdirat(ic->tmp.dirfd, sub, 0700) < 0)
        return rt_syserror(err, "%s: creating a work directory", what);
    char fs[48];
    snprintf(fs, sizeof(fs), "%s/fs", sub);
    if (mkdirat(ic->tmp.dirfd, fs, 0755) < 0)
        return rt_syserror(err, "%s: creating a work directory", what);
    _cleanup_close_ int fsfd = openat(ic->tmp.dirfd, fs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fsfd < 0 || fchmod(fsfd, 0755) < 0) /* the layer root, unless the tar says otherwise; not the umask */
        return rt_syserror(err, "%s: opening its work directory", what);

    struct pipe *p = calloc(1, sizeof(*p));
    if (!p)
        return rt_error(err, ENOMEM, "out of memory");
    p->mr = mr;
    p->job = j;
    p->ic = ic;
    int r = -1;
    _cleanup_close_ int subfd = -1; /* declared before any goto: clang checks */
    struct archive *B = NULL;
    if (sha256_init(&p->blob, err) < 0 || sha256_init(&p->diff, err) < 0)
        goto out;
    p->A = archive_read_new();
    B = archive_read_new();
    if (!p->A || !B) {
        rt_error(err, ENOMEM, "out of memory");
        goto out;
    }
    archive_read_support_format_raw(p->A);
    if (j->comp_auto || j->comp == COMP_GZIP)
        archive_read_support_filter_gzip(p->A);
    if (j->comp_auto || j->comp == COMP_ZSTD)
        archive_read_support_filter_zstd(p->A);
    struct archive_entry *e;
    if (archive_read_open(p->A, p, NULL, raw_read, NULL) != ARCHIVE_OK ||
        archive_read_next_header(p->A, &e) != ARCHIVE_OK) {
        rt_error(err, EINVAL, "%s: %s", what, p->err[0] ? p->err : archive_error_string(p->A));
        goto out;
    }
    int fc = archive_filter_code(p->A, 0);
    j->got_comp = fc == ARCHIVE_FILTER_GZIP ? COMP_GZIP : fc == ARCHIVE_FILTER_ZSTD ? COMP_ZSTD : COMP_NONE;
    if (!j->comp_auto && j->got_comp != j->comp) {
        rt_error(err, EINVAL, "%s: its media type %s says %s compression, but the blob is %s", what, j->media_type,
                 layer_comp_name(j->comp), j->got_comp == COMP_NONE ? "not compressed that way" : layer_comp_name(j->got_comp));
        goto out;
    }
    pthread_t thr;
    if (pthread_mutex_init(&p->mu, NULL) != 0 || pthread_cond_init(&p->cv, NULL) != 0 ||
        (errno = pthread_create(&thr, NULL, producer, p)) != 0) {
        rt_syserror(err, "%s: starting the decompressing thread", what);
        goto out;
    }
    archive_read_support_format_tar(B);
    struct unpack_limits lim = {.max_entries = ic->o->max_entries, .max_bytes = ic->o->max_bytes,
                                .declared_before = ic->declared, .min_free = ic->min_free};
    bool ok = archive_read_open(B, p, NULL, tar_read, NULL) == ARCHIVE_OK;
    if (!ok)
        rt_error(err, EINVAL, "%s: %s", what, archive_error_string(B));
    else
        ok = unpack_tar(B, fsfd, &lim, &j->st, what, err) == 0;
    finish_producer(p, thr, !ok);
    if (p->failed) {
        /* A failure in the producer explains a tar error better. */
        rt_error(err, EINVAL, "%s: %s", what, p->err);
        goto out;
    }
    if (!ok)
        goto out;
    progress(p, true);
    sha256_final(&p->blob, &j->got_blob);
    j->got_size = (int64_t)p->nraw;
    struct digest diff;
    sha256_final(&p->diff, &diff);
    char want[DIGEST_STR_LEN + 1], got[DIGEST_STR_LEN + 1];
    if (j->size >= 0 && (uint64_t)j->size != p->nraw) {
        rt_error(err, EINVAL, "%s: size mismatch: the descriptor says %lld bytes, the blob has %llu", what,
                 (long long)j->size, (unsigned long long)p->nraw);
        goto out;
    }
    if (j->blob_known && !digest_eq(&j->blob, &j->got_blob)) {
        digest_str(&j->got_blob, got);
        rt_error(err, EINVAL, "%s: digest mismatch: the blob hashes to %s", what, got);
        goto out;
    }
    if (!digest_eq(&diff, &j->diff_id)) {
        digest_str(&j->diff_id, want);
        digest_str(&diff, got);
        rt_error(err, EINVAL, "%s: its uncompressed content hashes to %s, not to the diff_id %s in the config", what,
                 got, want);
        goto out;
    }
    subfd = openat(ic->tmp.dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (subfd < 0 || write_meta(subfd, j, err) < 0)
        goto out;
    ic->done++;
    ic->unpacked += p->nunpacked;
    ic->declared += j->st.declared;
    r = 0;
out:
    if (B)
        archive_read_free(B);
    if (p->A)
        archive_read_free(p->A);
    sha256_free(&p->blob);
    sha256_free(&p->diff);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
    return r;
}

/* ---------- reading what the source describes ---------- */

static int blob_path(struct arena *a, const struct digest *d, const char **out)
{
    char hex[DIGEST_HEX_LEN + 1];
    digest_hex(d, hex);
    *out = arena_printf(a, "blobs/sha256/%s", hex);
    return 0;
}

/* A JSON blob of an OCI layout, checked against its descriptor. */
static const char *read_blob(struct import_ctx *ic, const struct descriptor *d, const char *what, size_t *len,
                             struct rt_err *err)
{
    const char *path;
    char ds[DIGEST_STR_LEN + 1];
    digest_str(&d->digest, ds);
    for (size_t i = 0; i < ic->ndocs; i++) {
        if (digest_eq(&ic->docs[i].d, &d->digest)) {
            if ((int64_t)ic->docs[i].len != d->size) {
                rt_error(err, EINVAL, "%s %s: size mismatch: the descriptor says %lld bytes, the blob has %zu", what,
                         ds, (long long)d->size, ic->docs[i].len);
                return NULL;
            }
            *len = ic->docs[i].len;
            return ic->docs[i].buf;
        }
    }
    blob_path(ic->a, &d->digest, &path);
    if (d->size > OCI_MAX_JSON) {
        rt_error(err, EFBIG, "%s %s: %lld bytes is too large for a JSON document", what, ds, (long long)d->size);
        return NULL;
    }
    if (ic->doc_bytes + (size_t)d->size > MAX_DOC_BYTES) {
        rt_error(err, EFBIG, "%s %s: the image's JSON documents add up to more than %d MiB", what, ds,
                 MAX_DOC_BYTES >> 20);
        return NULL;
    }
    const char *buf = source_read(ic->src, path, OCI_MAX_JSON, len, err);
    if (!buf) {
        if (err->errnum == ENOENT)
            rt_error(err, ENOENT, "%s %s: missing from the source", what, ds);
        return NULL;
    }
    if ((int64_t)*len != d->size) {
        rt_error(err, EINVAL, "%s %s: size mismatch: the descriptor says %lld bytes, the blob has %zu", what, ds,
                 (long long)d->size, *len);
        return NULL;
    }
    struct digest got;
    sha256_buf(buf, *len, &got);
    if (!digest_eq(&got, &d->digest)) {
        char gs[DIGEST_STR_LEN + 1];
        digest_str(&got, gs);
        rt_error(err, EINVAL, "%s %s: digest mismatch: the blob hashes to %s", what, ds, gs);
        return NULL;
    }
    ic->doc_bytes += *len;
    struct doc doc = {d->digest, buf, *len};
    ARENA_PUSH(ic->a, ic->docs, ic->ndocs, ic->capdocs, doc);
    return buf;
}

static bool name_matches(const char *want, const char *candidate)
{
    char a[512], b[512];
    const char *why;
    if (!candidate || image_ref_normalize(want, a, sizeof(a), &why) < 0 ||
        image_ref_normalize(candidate, b, sizeof(b), &why) < 0)
        return false;
    return streq(a, b);
}

/* The name an OCI descriptor gives its image: containerd's full name, or
 * the ref annotation when it is a full reference. A bare tag ("7-alpine")
 * names no repository and gives nothing. */
static const char *descriptor_name(const struct descriptor *d)
{
    if (d->image_name)
        return d->image_name;
    if (d->ref_name && (strchr(d->ref_name, ':') || strchr(d->ref_name, '/')))
        return d->ref_name;
    return NULL;
}

struct candidate {
    struct descriptor d;          /* an image manifest */
    const char *name;             /* its name, if it has one */
    const char *tag;              /* a bare ref annotation, for messages */
};

static int collect(struct import_ctx *ic, const struct oci_index *idx, const struct descriptor *outer, int depth,
                   struct candidate **v, size_t *n, size_t *cap, struct rt_err *err)
{
    for (size_t i = 0; i < idx->n; i++) {
        const struct descriptor *d = &idx->v[i];
        enum media_kind k = media_type_kind(d->media_type, NULL);
        if (d->os && d->arch && !(streq(d->os, "linux") && streq(d->arch, "amd64")))
            continue; /* another platform's image */
        if (k == MT_INDEX) {
            if (depth >= 2)
                return rt_error(err, EINVAL, "image indexes nested too deep");
            size_t len;
            const char *buf = read_blob(ic, d, "index", &len, err);
            if (!buf)
                return -1;
            struct oci_index inner;
            const char *why;
            if (oci_parse_index(ic->a, buf, len, &inner, &why) < 0) {
                char ds[DIGEST_STR_LEN + 1];
                digest_str(&d->digest, ds);
                return rt_error(err, EINVAL, "index %s: %s", ds, why);
            }
            int pick = oci_pick_platform(&inner);
            if (pick < 0)
                return rt_error(err, EINVAL, "the image has no linux/amd64 variant (this host's platform)");
            struct oci_index one = {&inner.v[pick], 1};
            if (collect(ic, &one, d, depth + 1, v, n, cap, err) < 0)
                return -1;
            continue;
        }
        if (k != MT_MANIFEST && d->media_type)
            continue; /* not an image (an artifact, a signature) */
        struct candidate c = {*d, descriptor_name(d), d->ref_name};
        if (!c.name && outer)
            c.name = descriptor_name(outer);
        if (!c.tag && outer)
            c.tag = outer->ref_name;
        ARENA_PUSH(ic->a, *v, *n, *cap, c);
    }
    return 0;
}

static int from_oci(struct import_ctx *ic, struct oci_manifest *m, struct rt_err *err)
{
    size_t len;
    const char *why;
    const char *buf = source_read(ic->src, "index.json", OCI_MAX_JSON, &len, err);
    if (!buf)
        return -1;
    struct oci_index idx;
    if (oci_parse_index(ic->a, buf, len, &idx, &why) < 0)
        return rt_error(err, EINVAL, "index.json: %s", why);
    struct candidate *c = NULL;
    size_t n = 0, cap = 0;
    if (collect(ic, &idx, NULL, 0, &c, &n, &cap, err) < 0)
        return -1;
    if (n == 0)
        return rt_error(err, EINVAL, "index.json lists no linux/amd64 image");
    const struct candidate *pick = NULL;
    if (n == 1) {
        pick = &c[0];
    } else if (ic->o->name) {
        for (size_t i = 0; i < n; i++)
            if (name_matches(ic->o->name, c[i].name) ||
                (c[i].tag && strchr(ic->o->name, ':') && streq(strrchr(ic->o->name, ':') + 1, c[i].tag)))
                pick = pick ? pick : &c[i];
    }
    if (!pick) {
        char list[1024] = "";
        for (size_t i = 0; i < n; i++)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
                     c[i].name ? c[i].name : c[i].tag ? c[i].tag : "(unnamed)");
        return rt_error(err, EINVAL, "the source holds %zu images (%s); name the one to import", n, list);
    }
    /* The name to store it under. */
    const char *name = ic->o->name ? ic->o->name : pick->name;
    if (!name) {
        if (pick->tag)
            return rt_error(err, EINVAL,
                            "the image is tagged '%s' but names no repository; give a name, e.g. "
                            "rtctl image import %s myimage:%s",
                            pick->tag, ic->path, pick->tag);
        return rt_error(err, EINVAL, "the image has no name; give one: rtctl image import PATH NAME[:TAG]");
    }
    ic->names = arena_alloc(ic->a, sizeof(char *));
    ic->names[0] = name;
    ic->nnames = 1;

    ic->manifest_json = read_blob(ic, &pick->d, "manifest", &ic->manifest_len, err);
    if (!ic->manifest_json)
        return -1;
    ic->manifest_digest = pick->d.digest;
    if (oci_parse_manifest(ic->a, ic->manifest_json, ic->manifest_len, m, &why) < 0) {
        char ds[DIGEST_STR_LEN + 1];
        digest_str(&pick->d.digest, ds);
        return rt_error(err, EINVAL, "manifest %s: %s", ds, why);
    }
    if (m->config.media_type && media_type_kind(m->config.media_type, NULL) != MT_CONFIG)
        return rt_error(err, EINVAL, "not a container image: its config has media type %s", m->config.media_type);
    ic->config_json = read_blob(ic, &m->config, "config", &ic->config_len, err);
    if (!ic->config_json)
        return -1;
    ic->config_digest = m->config.digest;
    ic->njobs = m->nlayers;
    ic->jobs = arena_alloc(ic->a, (m->nlayers + 1) * sizeof(struct layer_job));
    for (size_t i = 0; i < m->nlayers; i++) {
        struct layer_job *j = &ic->jobs[i];
        const struct descriptor *d = &m->layers[i];
        if (media_type_kind(d->media_type, &j->comp) != MT_LAYER) {
            char ds[DIGEST_STR_LEN + 1];
            digest_str(&d->digest, ds);
            return rt_error(err, EINVAL, "layer %s: unknown media type %s", ds, d->media_type ? d->media_type : "(none)");
        }
        j->blob = d->digest;
        j->blob_known = true;
        j->size = d->size;
        j->media_type = d->media_type;
        blob_path(ic->a, &d->digest, &j->member);
    }
    return 0;
}

/* docker save: manifest.json names the config and layer members. */
static int from_docker(struct import_ctx *ic, struct rt_err *err)
{
    size_t len;
    const char *why;
    const char *buf = source_read(ic->src, "manifest.json", OCI_MAX_JSON, &len, err);
    if (!buf)
        return -1;
    struct docker_manifest dm;
    if (docker_parse_manifest(ic->a, buf, len, &dm, &why) < 0)
        return rt_error(err, EINVAL, "manifest.json: %s", why);
    if (dm.n == 0)
        return rt_error(err, EINVAL, "manifest.json lists no image");
    const struct docker_image *pick = dm.n == 1 ? &dm.v[0] : NULL;
    if (!pick && ic->o->name)
        for (size_t i = 0; i < dm.n && !pick; i++)
            for (size_t t = 0; t < dm.v[i].ntags; t++)
                if (name_matches(ic->o->name, dm.v[i].tags[t]))
                    pick = &dm.v[i];
    if (!pick) {
        char list[1024] = "";
        for (size_t i = 0; i < dm.n; i++)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
                     dm.v[i].ntags ? dm.v[i].tags[0] : "(untagged)");
        return rt_error(err, EINVAL, "the archive holds %zu images (%s); name the one to import", dm.n, list);
    }
    if (ic->o->name) {
        ic->names = arena_alloc(ic->a, sizeof(char *));
        ic->names[0] = ic->o->name;
        ic->nnames = 1;
    } else if (pick->ntags) {
        ic->names = (const char **)pick->tags;
        ic->nnames = pick->ntags;
    } else {
        return rt_error(err, EINVAL, "the image has no RepoTags; give a name: rtctl image import PATH NAME[:TAG]");
    }
    ic->config_json = source_read(ic->src, pick->config, OCI_MAX_JSON, &ic->config_len, err);
    if (!ic->config_json)
        return -1;
    sha256_buf(ic->config_json, ic->config_len, &ic->config_digest);
    /* The config's member name is its digest ("<hex>.json", or
     * "blobs/sha256/<hex>" since Docker 25): hold it to that. */
    const char *base = strrchr(pick->config, '/') ? strrchr(pick->config, '/') + 1 : pick->config;
    char hex[DIGEST_HEX_LEN + 1];
    snprintf(hex, sizeof(hex), "%.64s", base);
    struct digest named;
    if (strlen(base) >= DIGEST_HEX_LEN && digest_parse_hex(hex, &named) == 0 &&
        !digest_eq(&named, &ic->config_digest)) {
        char gs[DIGEST_STR_LEN + 1];
        digest_str(&ic->config_digest, gs);
        return rt_error(err, EINVAL, "config %s: digest mismatch: it hashes to %s", pick->config, gs);
    }
    ic->njobs = pick->nlayers;
    ic->jobs = arena_alloc(ic->a, (pick->nlayers + 1) * sizeof(struct layer_job));
    for (size_t i = 0; i < pick->nlayers; i++) {
        struct layer_job *j = &ic->jobs[i];
        j->member = pick->layers[i];
        j->comp_auto = true;
        j->size = source_size(ic->src, j->member);
        if (j->size < 0)
            return rt_error(err, ENOENT, "layer %s: missing from the archive", j->member);
        j->media_type = "(docker-save layer)";
        /* "blobs/sha256/<hex>" names its digest; "<id>/layer.tar" does not,
         * and the diff_id check covers it. */
        const char *b = strrchr(j->member, '/') ? strrchr(j->member, '/') + 1 : j->member;
        if (startswith(j->member, "blobs/sha256/") && digest_parse_hex(b, &j->blob) == 0)
            j->blob_known = true;
    }
    ic->docker = true;
    return 0;
}

/* The OCI manifest of a docker-save image, made from what was streamed. */
static int synthesize_manifest(struct import_ctx *ic, struct rt_err *err)
{
    char ds[DIGEST_STR_LEN + 1];
    json_t *layers = json_array();
    for (size_t i = 0; i < ic->njobs; i++) {
        const struct layer_job *j = &ic->jobs[i];
        /* Layers already in the store were not streamed: what their
         * meta.json recorded of the blob they came from says the same
         * as streaming would; failing that, a docker-save layer is a
         * plain tar, so its blob is its diff_id. */
        const struct digest *d = &j->diff_id;
        enum layer_comp c = COMP_NONE;
        int64_t size = j->size;
        struct layer_meta lm;
        if (j->needed) {
            d = &j->got_blob, c = j->got_comp, size = j->got_size;
        } else if (store_layer_meta(ic->s, &j->diff_id, &lm) == 0 && lm.has_blob && lm.blob_size == j->size) {
            d = &lm.blob, size = lm.blob_size;
            c = streq(lm.compression, "gzip") ? COMP_GZIP : streq(lm.compression, "zstd") ? COMP_ZSTD : COMP_NONE;
        }
        digest_str(d, ds);
        const char *mt = c == COMP_GZIP   ? "application/vnd.oci.image.layer.v1.tar+gzip"
                         : c == COMP_ZSTD ? "application/vnd.oci.image.layer.v1.tar+zstd"
                                          : "application/vnd.oci.image.layer.v1.tar";
        json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", ds, "size",
                                                (json_int_t)size));
    }
    digest_str(&ic->config_digest, ds);
    json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
                          "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
                          "application/vnd.oci.image.config.v1+json", "digest", ds, "size", (json_int_t)ic->config_len,
                          "layers", layers);
    char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
    json_decref(m);
    if (!text)
        return rt_error(err, ENOMEM, "out of memory");
    ic->manifest_len = strlen(text);
    ic->manifest_json = arena_strndup(ic->a, text, ic->manifest_len);
    free(text);
    sha256_buf(ic->manifest_json, ic->manifest_len, &ic->manifest_digest);
    return 0;
}

static int check_config(struct import_ctx *ic, size_t nlayers, struct rt_err *err)
{
    const char *why;
    char ds[DIGEST_STR_LEN + 1];
    digest_str(&ic->config_digest, ds);
    if (oci_parse_config(ic->a, ic->config_json, ic->config_len, &ic->config, &why) < 0)
        return rt_error(err, EINVAL, "config %s: %s", ds, why);
    if ((ic->config.os && !streq(ic->config.os, "linux")) || (ic->config.arch && !streq(ic->config.arch, "amd64")))
        return rt_error(err, EINVAL, "the image is for %s/%s; this host runs linux/amd64",
                        ic->config.os ? ic->config.os : "?", ic->config.arch ? ic->config.arch : "?");
    if (ic->config.ndiff_ids != nlayers)
        return rt_error(err, EINVAL, "config %s lists %zu layers (rootfs.diff_ids), the manifest %zu", ds,
                        ic->config.ndiff_ids, nlayers);
    for (size_t i = 0; i < nlayers; i++)
        ic->jobs[i].diff_id = ic->config.diff_ids[i];
    return 0;
}

/* The floor of free space, in bytes, for the file system the store's
 * work directory is on: a size, or a share of the file system, whichever
 * is more. */
static int free_floor(struct import_ctx *ic, struct rt_err *err)
{
    struct statvfs sv;
    if (fstatvfs(ic->tmp.dirfd, &sv) < 0)
        return rt_syserror(err, "checking the size of the file system of %s", ic->s->dir);
    double total = (double)sv.f_blocks * (double)sv.f_frsize;
    uint64_t share = (uint64_t)(total * (double)ic->o->min_free_pct_milli / 100000.0);
    ic->min_free = ic->o->min_free > share ? ic->o->min_free : share;
    return 0;
}

static int import_steps(struct import_ctx *ic, const char *path, struct import_result *res, struct rt_err *err)
{
    struct store *s = ic->s;
    const struct import_opts *o = ic->o;
    ic->path = path;
    ic->src = source_open(ic->a, path, err);
    if (!ic->src)
        return -1;
    if (o->name) {
        const char *why = image_ref_check(o->name);
        if (why)
            return rt_error(err, EINVAL, "'%s' is not a valid image name: %s", o->name, why);
    }
    struct oci_manifest m = {0};
    if (source_has(ic->src, "index.json")) {
        if (from_oci(ic, &m, err) < 0)
            return -1;
    } else if (source_has(ic->src, "manifest.json")) {
        if (from_docker(ic, err) < 0)
            return -1;
    } else {
        return rt_error(err, EINVAL,
                        "%s is neither an OCI image layout (no index.json) nor a docker-save archive "
                        "(no manifest.json)",
                        path);
    }
    if (check_config(ic, ic->njobs, err) < 0)
        return -1;

    /* Which layers are new; a layer listed twice is unpacked once. */
    const char **names = arena_alloc(ic->a, (ic->njobs + 1) * sizeof(char *));
    for (size_t i = 0; i < ic->njobs; i++) {
        struct layer_job *j = &ic->jobs[i];
        j->needed = !store_has_layer(s, &j->diff_id);
        for (size_t k = 0; k < i && j->needed; k++)
            if (ic->jobs[k].needed && digest_eq(&ic->jobs[k].diff_id, &j->diff_id))
                j->needed = false;
        if (j->needed)
            names[ic->todo++] = j->member;
    }
    /* A layer already stored is not read again (that is what makes a
     * re-import cheap): it is matched by the diff_id the config, whose
     * digest was checked, gives it. Its blob must still be there, with the
     * size its descriptor says. */
    for (size_t i = 0; i < ic->njobs; i++) {
        struct layer_job *j = &ic->jobs[i];
        if (j->needed)
            continue;
        int64_t have = source_size(ic->src, j->member);
        char ds[DIGEST_STR_LEN + 1];
        digest_str(j->blob_known ? &j->blob : &j->diff_id, ds);
        if (have < 0)
            return rt_error(err, ENOENT, "layer %s: missing from the source", ds);
        if (j->size >= 0 && have != j->size)
            return rt_error(err, EINVAL, "layer %s: size mismatch: the descriptor says %lld bytes, the blob has %lld",
                            ds, (long long)j->size, (long long)have);
    }
    if (ic->todo) {
        if (store_tmp_create(s, &ic->tmp, err) < 0 || free_floor(ic, err) < 0)
            return -1;
        if (source_stream(ic->src, names, ic->todo, stream_layer, ic, err) < 0)
            return -1;
    }
    if (ic->docker && synthesize_manifest(ic, err) < 0)
        return -1;
    /* Durable before visible: data of the new layers, then the renames,
     * then the blobs, then the name. */
    if (ic->todo && store_sync(s, err) < 0)
        return -1;
    for (size_t i = 0; i < ic->njobs; i++) {
        if (!ic->jobs[i].needed)
            continue;
        char sub[32];
        snprintf(sub, sizeof(sub), "l%zu", i);
        if (store_commit_layer(s, &ic->tmp, sub, &ic->jobs[i].diff_id, err) < 0)
            return -1;
        res->new_layers++;
        res->size += ic->jobs[i].st.declared;
        res->disk += ic->jobs[i].st.disk;
    }
    if (res->new_layers && store_sync_dir(s, "layers", err) < 0)
        return -1;
    if (store_put_blob(s, &ic->config_digest, ic->config_json, ic->config_len, err) < 0 ||
        store_put_blob(s, &ic->manifest_digest, ic->manifest_json, ic->manifest_len, err) < 0)
        return -1;
    for (size_t i = 0; i < ic->nnames; i++) {
        char norm[512];
        const char *why;
        if (image_ref_normalize(ic->names[i], norm, sizeof(norm), &why) < 0)
            return rt_error(err, EINVAL, "'%s' is not a valid image name: %s", ic->names[i], why);
        if (store_refs_set(s, norm, &ic->manifest_digest, err) < 0)
            return -1;
        if (i == 0)
            snprintf(res->name, sizeof(res->name), "%s", norm);
    }
    res->manifest = ic->manifest_digest;
    res->layers = ic->njobs;
    return 0;
}

int image_import(struct store *s, const char *path, const struct import_opts *o, struct import_result *res,
                 struct rt_err *err)
{
    struct arena a;
    arena_init(&a);
    /* ic lives in memory (its address is taken), so it is intact after
     * an out-of-memory longjmp from anywhere in import_steps(). */
    struct import_ctx ic = {.s = s, .o = o, .a = &a, .tmp = {.dirfd = -1, .lockfd = -1}};
    memset(res, 0, sizeof(*res));
    jmp_buf jb;
    int r;
    if (ARENA_TRY(&a, jb))
        r = rt_error(err, ENOMEM, "out of memory");
    else
        r = import_steps(&ic, path, res, err);
    if (ic.tmp.lockfd >= 0)
        store_tmp_remove(s, &ic.tmp);
    source_close(ic.src);
    arena_free(&a);
    return r;
}
