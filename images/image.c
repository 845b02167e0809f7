/* image.c - stored images: loading, garbage collection, mounting. */
#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <linux/stat.h>
#include <unistd.h>

#include "../lib/util.h"
#include "../config/value.h"

int image_load_digest(struct store *s, struct arena *a, const struct digest *manifest, struct image *img,
                      struct rt_err *err)
{
    const char *why;
    char ds[DIGEST_STR_LEN + 1];
    digest_str(manifest, ds);
    img->manifest_digest = *manifest;
    img->manifest_json = store_get_blob(s, a, manifest, &img->manifest_len, err);
    if (!img->manifest_json)
        return -1;
    if (oci_parse_manifest(a, img->manifest_json, img->manifest_len, &img->manifest, &why) < 0)
        return rt_error(err, EINVAL, "stored manifest %s: %s", ds, why);
    img->config_json = store_get_blob(s, a, &img->manifest.config.digest, &img->config_len, err);
    if (!img->config_json)
        return -1;
    if (oci_parse_config(a, img->config_json, img->config_len, &img->config, &why) < 0)
        return rt_error(err, EINVAL, "stored config of %s: %s", ds, why);
    if (img->config.ndiff_ids != img->manifest.nlayers)
        return rt_error(err, EINVAL, "stored image %s: config and manifest disagree on the layers", ds);
    return 0;
}

int image_load(struct store *s, struct arena *a, const char *name, struct image *img, struct rt_err *err)
{
    struct digest d;
    if (store_resolve(s, a, name, &d, err) < 0)
        return -1;
    char norm[512];
    const char *why;
    image_ref_normalize(name, norm, sizeof(norm), &why);
    img->name = arena_strdup(a, norm);
    return image_load_digest(s, a, &d, img, err);
}

/* ---------- garbage collection ---------- */

struct keep {
    struct digest *v;
    size_t n, cap;
};

static bool kept(const struct keep *k, const struct digest *d)
{
    for (size_t i = 0; i < k->n; i++)
        if (digest_eq(&k->v[i], d))
            return true;
    return false;
}

/* Remove the entries of dir (relative to the store) whose hex name is not
 * kept. A layer is first renamed into tmp/, so a crash mid-delete never
 * leaves a half layer under layers/. */
static int sweep(struct store *s, const char *dir, const struct keep *k, bool layers, uint64_t *count,
                 uint64_t *size, uint64_t *disk, struct rt_err *err)
{
    int dfd = openat(s->dirfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? 0 : rt_syserror(err, "%s/%s", s->dir, dir);
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return rt_syserror(err, "%s/%s", s->dir, dir);
    }
    struct store_tmp t = {.dirfd = -1, .lockfd = -1};
    int r = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        struct digest dg;
        if (de->d_name[0] == '.' || digest_parse_hex(de->d_name, &dg) < 0 || kept(k, &dg))
            continue;
        if (layers) {
            struct layer_meta m;
            if (store_layer_meta(s, &dg, &m) == 0) {
                *size += m.size;
                *disk += m.disk;
            }
            if (t.lockfd < 0 && store_tmp_create(s, &t, err) < 0) {
                r = -1;
                break;
            }
            char from[PATH_MAX], to[PATH_MAX];
            snprintf(from, sizeof(from), "%s/%s", dir, de->d_name);
            snprintf(to, sizeof(to), "%s/%s", t.name, de->d_name);
            if (renameat(s->dirfd, from, s->dirfd, to) < 0) {
                r = rt_syserror(err, "removing %s/%s", s->dir, from);
                break;
            }
        } else if (rm_tree_at(dirfd(d), de->d_name) < 0) {
            r = rt_syserror(err, "removing %s/%s/%s", s->dir, dir, de->d_name);
            break;
        }
        (*count)++;
    }
    closedir(d);
    if (t.lockfd >= 0)
        store_tmp_remove(s, &t);
    return r;
}

int image_check_runnable(struct store *s, const struct image *img, struct rt_err *err)
{
    if (img->config.arch && strcmp(img->config.arch, "amd64") != 0)
        return rt_error(err, ENOEXEC, "image %s is built for %s; this host runs amd64", img->name, img->config.arch);
    for (size_t l = 0; l < img->config.ndiff_ids; l++)
        if (!store_has_layer(s, &img->config.diff_ids[l])) {
            char ds[DIGEST_STR_LEN + 1];
            digest_str(&img->config.diff_ids[l], ds);
            return rt_error(err, ENOENT, "image %s: layer %s is missing from the store; import the image again",
                            img->name, ds);
        }
    return 0;
}

int image_gc(struct store *s, uint64_t *freed_layers, uint64_t *freed_size, uint64_t *freed_disk,
             struct rt_err *err)
{
    struct arena a;
    arena_init(&a);
    jmp_buf jb;
    if (ARENA_TRY(&a, jb)) {
        arena_free(&a);
        return rt_error(err, ENOMEM, "out of memory");
    }
    *freed_layers = *freed_size = *freed_disk = 0;
    struct store_refs refs;
    struct keep layers = {0}, blobs = {0}, images = {0};
    int r = -1;
    if (store_refs_load(s, &a, &refs, err) < 0)
        goto out;
    for (size_t i = 0; i < refs.n; i++) {
        struct image img;
        /* A name whose image cannot be read keeps nothing: better to fail
         * loudly than to delete layers an image might still need. */
        if (image_load_digest(s, &a, &refs.v[i].manifest, &img, err) < 0) {
            char msg[RT_ERR_MSG];
            memcpy(msg, err->msg, sizeof(msg));
            rt_error(err, err->errnum, "image %s: %s; nothing was removed", refs.v[i].name, msg);
            goto out;
        }
        ARENA_PUSH(&a, images.v, images.n, images.cap, refs.v[i].manifest);
        ARENA_PUSH(&a, blobs.v, blobs.n, blobs.cap, refs.v[i].manifest);
        ARENA_PUSH(&a, blobs.v, blobs.n, blobs.cap, img.manifest.config.digest);
        for (size_t l = 0; l < img.config.ndiff_ids; l++)
            ARENA_PUSH(&a, layers.v, layers.n, layers.cap, img.config.diff_ids[l]);
    }
    /* A mounted image keeps what it is made of, named or not (a name moved
     * to a new import leaves the old image mounted until unmounted). */
    int mfd = openat(s->dirfd, "mnt", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *md = mfd >= 0 ? fdopendir(mfd) : NULL;
    struct dirent *de;
    while (md && (de = readdir(md))) {
        struct digest d;
        struct image img;
        if (digest_parse_hex(de->d_name, &d) < 0 || !image_is_mounted(s, &d))
            continue;
        if (image_load_digest(s, &a, &d, &img, err) < 0) {
            closedir(md);
            goto out;
        }
        ARENA_PUSH(&a, images.v, images.n, images.cap, d);
        ARENA_PUSH(&a, blobs.v, blobs.n, blobs.cap, d);
        ARENA_PUSH(&a, blobs.v, blobs.n, blobs.cap, img.manifest.config.digest);
        for (size_t l = 0; l < img.config.ndiff_ids; l++)
            ARENA_PUSH(&a, layers.v, layers.n, layers.cap, img.config.diff_ids[l]);
    }
    if (md)
        closedir(md);
    else if (mfd >= 0)
        close(mfd);
    /* A container's layers stay while its directory does (they are the
     * lower directories of its root, running or not): each lists them in
     * STATE/containers/<name>/layers. */
    char cdir[PATH_MAX + 16];
    snprintf(cdir, sizeof(cdir), "%s/../containers", s->dir);
    DIR *cd = opendir(cdir);
    while (cd && (de = readdir(cd))) {
        if (de->d_name[0] == '.')
            continue;
        char pins[PATH_MAX + 300], line[DIGEST_HEX_LEN + 8];
        snprintf(pins, sizeof(pins), "%s/%s/layers", cdir, de->d_name);
        FILE *f = fopen(pins, "re");
        while (f && fgets(line, sizeof(line), f)) {
            struct digest d;
            line[strcspn(line, "\n")] = '\0';
            if (digest_parse_hex(line, &d) == 0)
                ARENA_PUSH(&a, layers.v, layers.n, layers.cap, d);
        }
        if (f)
            fclose(f);
    }
    if (cd)
        closedir(cd);
    uint64_t nblobs = 0, unused = 0;
    if (sweep(s, "layers", &layers, true, freed_layers, freed_size, freed_disk, err) < 0 ||
        sweep(s, "blobs/sha256", &blobs, false, &nblobs, &unused, &unused, err) < 0 ||
        sweep(s, "flat", &images, false, &nblobs, &unused, &unused, err) < 0)
        goto out;
    r = 0;
out:
    arena_free(&a);
    return r;
}

/* ---------- mounting ---------- */

static void mnt_path(struct store *s, const struct digest *d, char *out, size_t len)
{
    char hex[DIGEST_HEX_LEN + 1];
    digest_hex(d, hex);
    snprintf(out, len, "%s/mnt/%s", s->dir, hex);
}

/* Is path the root of a mount? statx() says so directly (Linux 5.8+),
 * bind mounts of the same file system included. */
static bool is_mountpoint(const char *path)
{
    struct statx stx;
    if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &stx) < 0)
        return false;
    if (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
        return (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
    /* An older kernel: a different device than the parent is all we can
     * tell without parsing mountinfo. */
    struct stat a, b;
    char parent[PATH_MAX];
    snprintf(parent, sizeof(parent), "%s/..", path);
    return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

/* "; mounted: sha256:..., ..." for messages, or "". */
static const char *mounted_list(struct store *s, struct arena *a)
{
    int mfd = openat(s->dirfd, "mnt", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *md = mfd >= 0 ? fdopendir(mfd) : NULL;
    const char *list = "";
    struct dirent *de;
    while (md && (de = readdir(md))) {
        struct digest d;
        if (digest_parse_hex(de->d_name, &d) == 0 && image_is_mounted(s, &d))
            list = arena_printf(a, "%s%ssha256:%s", list, *list ? ", " : "; mounted: ", de->d_name);
    }
    if (md)
        closedir(md);
    else if (mfd >= 0)
        close(mfd);
    return list;
}

bool image_is_mounted(struct store *s, const struct digest *manifest)
{
    char path[PATH_MAX];
    mnt_path(s, manifest, path, sizeof(path));
    return is_mountpoint(path);
}

/* A directory's owner, mode, xattrs and times, as overlayfs shows them:
 * those of the top layer that has the directory. */
static int copy_dir_meta(int src, int dst, const struct stat *st, const char *what, struct rt_err *err)
{
    if (fchown(dst, st->st_uid, st->st_gid) < 0 || fchmod(dst, st->st_mode & 07777) < 0)
        return rt_syserror(err, "setting owner and mode of %s", what);
    char names[65536];
    ssize_t n = flistxattr(src, names, sizeof(names));
    for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(names + i) + 1) {
        const char *x = names + i;
        if (startswith(x, "trusted.overlay."))
            continue; /* how layers are stored, not the image's */
        char val[65536];
        ssize_t vl = fgetxattr(src, x, val, sizeof(val));
        if (vl < 0 || fsetxattr(dst, x, val, (size_t)vl, 0) < 0)
            return rt_syserror(err, "copying xattr %s of %s", x, what);
    }
    struct timespec ts[2] = {st->st_atim, st->st_mtim};
    if (futimens(dst, ts) < 0)
        return rt_syserror(err, "setting times of %s", what);
    return 0;
}

/* Copy src (one layer) onto dst (the flattened root so far): whiteouts
 * remove, opaque directories are emptied first, files are hard-linked
 * (so the layer's own hardlinks stay links). Only *at() calls with
 * O_NOFOLLOW: the layers are ours, but their contents are the image's. */
static int flatten_dir(int src, int dst, struct rt_err *err)
{
    int sfd = dup(src);
    DIR *d = sfd >= 0 ? fdopendir(sfd) : NULL;
    if (!d) {
        if (sfd >= 0)
            close(sfd);
        return rt_syserror(err, "reading a layer");
    }
    int r = 0;
    struct dirent *de;
    while (r == 0 && (de = readdir(d))) {
        const char *n = de->d_name;
        if (streq(n, ".") || streq(n, ".."))
            continue;
        struct stat st;
        if (fstatat(src, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            r = rt_syserror(err, "stat %s", n);
            break;
        }
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
            if (rm_tree_at(dst, n) < 0) /* a whiteout */
                r = rt_syserror(err, "removing %s", n);
            continue;
        }
        struct stat dt;
        bool exists = fstatat(dst, n, &dt, AT_SYMLINK_NOFOLLOW) == 0;
        if (S_ISDIR(st.st_mode)) {
            int cs = openat(src, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (cs < 0) {
                r = rt_syserror(err, "opening %s", n);
                break;
            }
            char opq = 0;
            bool opaque = fgetxattr(cs, "trusted.overlay.opaque", &opq, 1) == 1 && opq == 'y';
            if (exists && (!S_ISDIR(dt.st_mode) || opaque)) {
                if (rm_tree_at(dst, n) < 0) {
                    r = rt_syserror(err, "removing %s", n);
                    close(cs);
                    break;
                }
                exists = false;
            }
            if (!exists && mkdirat(dst, n, 0700) < 0) {
                r = rt_syserror(err, "mkdir %s", n);
                close(cs);
                break;
            }
            int cd = openat(dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (cd < 0) {
                r = rt_syserror(err, "opening %s", n);
                close(cs);
                break;
            }
            r = flatten_dir(cs, cd, err);
            if (r == 0)
                r = copy_dir_meta(cs, cd, &st, n, err);
            close(cs);
            close(cd);
            continue;
        }
        if (exists && rm_tree_at(dst, n) < 0) {
            r = rt_syserror(err, "removing %s", n);
            break;
        }
        if (linkat(src, n, dst, n, 0) < 0)
            r = rt_syserror(err, "linking %s", n);
    }
    closedir(d);
    return r;
}

static int flatten(struct store *s, const struct image *img, char *out, size_t len, struct rt_err *err)
{
    char hex[DIGEST_HEX_LEN + 1];
    digest_hex(&img->manifest_digest, hex);
    snprintf(out, len, "%s/flat/%s", s->dir, hex);
    char rel[128];
    snprintf(rel, sizeof(rel), "flat/%s", hex);
    struct stat st;
    if (fstatat(s->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return 0; /* built before: layers never change */
    struct store_tmp t = {.dirfd = -1, .lockfd = -1};
    if (store_tmp_create(s, &t, err) < 0)
        return -1;
    int r = 0;
    if (mkdirat(t.dirfd, "root", 0755) < 0) {
        r = rt_syserror(err, "creating a flattened root");
    } else {
        int root = openat(t.dirfd, "root", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        for (size_t i = 0; r == 0 && i < img->config.ndiff_ids; i++) {
            char lp[128], lhex[DIGEST_HEX_LEN + 1];
            digest_hex(&img->config.diff_ids[i], lhex);
            snprintf(lp, sizeof(lp), "layers/%s/fs", lhex);
            int lfd = openat(s->dirfd, lp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (lfd < 0) {
                r = rt_syserror(err, "layer %s is missing from the store", lhex);
                break;
            }
            r = flatten_dir(lfd, root, err);
            /* The root itself is the top layer's, as in an overlay. */
            struct stat lst;
            if (r == 0 && i + 1 == img->config.ndiff_ids) {
                if (fstat(lfd, &lst) < 0)
                    r = rt_syserror(err, "stat of layer %s", lhex);
                else
                    r = copy_dir_meta(lfd, root, &lst, "/", err);
            }
            close(lfd);
        }
        if (root >= 0)
            close(root);
    }
    char from[160];
    snprintf(from, sizeof(from), "%s/root", t.name);
    if (r == 0 && renameat(s->dirfd, from, s->dirfd, rel) < 0 && errno != EEXIST && errno != ENOTEMPTY)
        r = rt_syserror(err, "moving the flattened root into place");
    store_tmp_remove(s, &t);
    return r;
}

int image_mount(struct store *s, const char *name, bool flat, char *path, size_t len, struct rt_err *err)
{
    struct arena a;
    arena_init(&a);
    jmp_buf jb;
    if (ARENA_TRY(&a, jb)) {
        arena_free(&a);
        return rt_error(err, ENOMEM, "out of memory");
    }
    struct image img;
    int r = -1;
    if (image_load(s, &a, name, &img, err) < 0)
        goto out;
    mnt_path(s, &img.manifest_digest, path, len);
    if (is_mountpoint(path)) {
        r = 0; /* mounted already: same image, same path */
        goto out;
    }
    if (mkdir(path, 0755) < 0 && errno != EEXIST) {
        rt_syserror(err, "creating %s", path);
        goto out;
    }
    /* overlayfs: the layers, top first, over an empty directory (so that
     * even a one-layer image is an overlay and its whiteouts stay hidden).
     * Paths are relative to layers/, to fit more layers in one page of
     * mount options; the cwd is restored after. */
    char *opts = NULL;
    size_t olen = 0;
    FILE *f = flat ? NULL : open_memstream(&opts, &olen);
    if (f) {
        fputs("lowerdir=", f);
        for (size_t i = img.config.ndiff_ids; i-- > 0;) {
            char hex[DIGEST_HEX_LEN + 1];
            digest_hex(&img.config.diff_ids[i], hex);
            fprintf(f, "%s/fs:", hex);
        }
        fputs("../flat/.empty", f);
        fclose(f);
    }
    int mounted = -1;
    if (opts && olen < 4000) {
        mkdirat(s->dirfd, "flat/.empty", 0755);
        int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char layers[PATH_MAX];
        snprintf(layers, sizeof(layers), "%s/layers", s->dir);
        if (cwd >= 0 && chdir(layers) == 0) {
            mounted = mount("overlay", path, "overlay", MS_RDONLY | MS_NODEV | MS_NOSUID, opts);
            if (mounted < 0 && errno != ENODEV && errno != EINVAL && errno != ENOENT) {
                rt_syserror(err, "mounting %s", path);
                fchdir(cwd);
                close(cwd);
                free(opts);
                goto out;
            }
            if (fchdir(cwd) < 0)
                mounted = mounted == 0 ? (umount2(path, MNT_DETACH), -1) : -1;
        }
        if (cwd >= 0)
            close(cwd);
    }
    free(opts);
    if (mounted < 0) {
        /* No overlayfs here (or too many layers for one mount): bind a
         * flattened copy read-only. */
        char root[PATH_MAX];
        if (flatten(s, &img, root, sizeof(root), err) < 0)
            goto out;
        if (mount(root, path, NULL, MS_BIND | MS_REC, NULL) < 0 ||
            mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NODEV | MS_NOSUID, NULL) < 0) {
            rt_syserror(err, "mounting %s", path);
            umount2(path, MNT_DETACH);
            goto out;
        }
    }
    r = 0;
out:
    arena_free(&a);
    return r;
}

int image_unmount(struct store *s, const char *name, struct rt_err *err)
{
    struct arena a;
    arena_init(&a);
    jmp_buf jb;
    if (ARENA_TRY(&a, jb)) {
        arena_free(&a);
        return rt_error(err, ENOMEM, "out of memory");
    }
    struct digest d;
    char path[PATH_MAX];
    const char *why;
    int r = -1;
    /* By name, or by manifest digest: a name that moved to a newer import
     * no longer reaches the image that is mounted. */
    if (digest_parse(name, &d, &why) < 0 && store_resolve(s, &a, name, &d, err) < 0)
        goto out;
    mnt_path(s, &d, path, sizeof(path));
    if (!is_mountpoint(path)) {
        rt_error(err, EINVAL, "%s is not mounted%s", name, mounted_list(s, &a));
        goto out;
    }
    if (umount2(path, 0) < 0) {
        rt_syserror(err, "unmounting %s", path);
        goto out;
    }
    rmdir(path);
    r = 0;
out:
    arena_free(&a);
    return r;
}
