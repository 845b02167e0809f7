/* store.c - the image store's files, locks and names. */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fileio.h"
#include "../lib/rmtree.h"
#include "../lib/util.h"
#include "../config/value.h"

int rm_tree_at(int dfd, const char *name)
{
    /* A layer is a crafted image's tree: lib/rmtree never follows a link,
     * and needs two fds whatever its depth (a recursive walk ran out of
     * fds or stack on a deep enough one). */
    const char *slash = strrchr(name, '/');
    if (!slash && dfd != AT_FDCWD)
        return rmtree_at(dfd, name, 0);
    /* a path: rmtree works from the directory that holds the last name */
    char parent[PATH_MAX];
    if (!slash)
        snprintf(parent, sizeof(parent), ".");
    else if ((size_t)(slash - name) >= sizeof(parent) || !slash[1])
        return errno = EINVAL, -1;
    else
        snprintf(parent, sizeof(parent), "%.*s", slash == name ? 1 : (int)(slash - name), name);
    int pfd = openat(dfd, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0)
        return errno == ENOENT ? 0 : -1;
    int r = rmtree_at(pfd, slash ? slash + 1 : name, 0);
    int e = errno;
    close(pfd);
    errno = e;
    return r;
}

/* Older than this, a half-made work directory or temporary file has no
 * owner left: its owner needs milliseconds to finish making it. */
#define STALE_SECONDS 600

static bool stale(int dfd, const char *name)
{
    struct stat st;
    return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && time(NULL) - st.st_mtime > STALE_SECONDS;
}

/* Temporary files of write_file_atomic() that a crash left behind. */
static void clear_tmp_files(int dfd)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] == '.' && endswith(de->d_name, ".tmp") && stale(dirfd(d), de->d_name))
            unlinkat(dirfd(d), de->d_name, 0);
    closedir(d);
}

/* Leftovers of imports that died: a tmp/<id> whose lock we can take has
 * no owner any more. Work directories are made under a dot name and
 * renamed once their lock is held (store_tmp_create), so a directory
 * without a held lock is never one that is still being made. */
static void clear_leftovers(struct store *s)
{
    int tfd = openat(s->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tfd < 0)
        return;
    DIR *d = fdopendir(tfd);
    if (!d) {
        close(tfd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
            continue;
        if (de->d_name[0] == '.') {
            if (stale(dirfd(d), de->d_name)) /* died while making its directory */
                rm_tree_at(dirfd(d), de->d_name);
            continue;
        }
        char lock[NAME_MAX + 16];
        snprintf(lock, sizeof(lock), "%s/.lock", de->d_name);
        int lfd = openat(dirfd(d), lock, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) < 0) {
            close(lfd); /* in use */
            continue;
        }
        rm_tree_at(dirfd(d), de->d_name);
        if (lfd >= 0)
            close(lfd);
    }
    closedir(d);
    clear_tmp_files(s->dirfd);
    int bfd = openat(s->dirfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (bfd >= 0) {
        clear_tmp_files(bfd);
        close(bfd);
    }
}

int store_open(struct store *s, const struct rt_paths *paths, bool create, int lock, struct rt_err *err)
{
    memset(s, 0, sizeof(*s));
    s->dirfd = s->lockfd = -1;
    int n = snprintf(s->dir, sizeof(s->dir), "%s/images", paths->state_dir);
    if (n < 0 || (size_t)n >= sizeof(s->dir))
        return rt_error(err, ENAMETOOLONG, "state directory path too long");
    if (create) {
        static const char *const subs[] = {"layers", "blobs/sha256", "tmp", "mnt", "flat"};
        if (mkdir_p(s->dir, 0700, err) < 0)
            return -1;
        for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
            char p[PATH_MAX];
            snprintf(p, sizeof(p), "%s/%s", s->dir, subs[i]);
            if (mkdir_p(p, 0700, err) < 0)
                return -1;
        }
    }
    s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        if (errno == ENOENT)
            return rt_error(err, ENOENT, "no image store at %s (nothing imported yet)", s->dir);
        return rt_syserror(err, "%s", s->dir);
    }
    /* Mount targets and /proc/self/mountinfo need the absolute path, and
     * mounting changes directory: never keep a relative one. */
    char abs[PATH_MAX];
    if (!realpath(s->dir, abs) || strlen(abs) >= sizeof(s->dir)) {
        rt_syserror(err, "resolving %s", s->dir);
        store_close(s);
        return -1;
    }
    memcpy(s->dir, abs, strlen(abs) + 1);
    s->lockfd = openat(s->dirfd, "store.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (s->lockfd < 0 && errno == EROFS && (lock == 0 || (lock & LOCK_SH)))
        s->lockfd = openat(s->dirfd, "store.lock", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (s->lockfd < 0) {
        rt_syserror(err, "%s/store.lock", s->dir);
        store_close(s);
        return -1;
    }
    if (lock && flock(s->lockfd, lock) < 0) {
        if (errno == EWOULDBLOCK) /* LOCK_NB: rtctl image gc, or an import, holds it */
            rt_error(err, EWOULDBLOCK, "the image store %s is locked (rtctl image gc or an import holds it)",
                     s->dir);
        else
            rt_syserror(err, "locking %s", s->dir);
        store_close(s);
        return -1;
    }
    if (create)
        clear_leftovers(s);
    return 0;
}

void store_close(struct store *s)
{
    if (s->lockfd >= 0)
        close(s->lockfd);
    if (s->dirfd >= 0)
        close(s->dirfd);
    s->lockfd = s->dirfd = -1;
}

int store_tmp_create(struct store *s, struct store_tmp *t, struct rt_err *err)
{
    unsigned char rnd[8];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        return rt_syserror(err, "getrandom");
    char id[40], making[64];
    snprintf(id, sizeof(id), "%d-%02x%02x%02x%02x%02x%02x%02x%02x", (int)getpid(), rnd[0], rnd[1], rnd[2], rnd[3],
             rnd[4], rnd[5], rnd[6], rnd[7]);
    snprintf(t->name, sizeof(t->name), "tmp/%s", id);
    /* Made under a dot name, locked, then renamed: the leftover cleaner
     * of a concurrent command never sees it without its lock held. */
    snprintf(making, sizeof(making), "tmp/.%s", id);
    t->dirfd = t->lockfd = -1;
    if (mkdirat(s->dirfd, making, 0700) < 0)
        return rt_syserror(err, "creating %s/%s", s->dir, making);
    t->dirfd = openat(s->dirfd, making, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (t->dirfd >= 0)
        t->lockfd = openat(t->dirfd, ".lock", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (t->dirfd < 0 || t->lockfd < 0 || flock(t->lockfd, LOCK_EX) < 0 ||
        renameat(s->dirfd, making, s->dirfd, t->name) < 0) {
        rt_syserror(err, "creating %s/%s", s->dir, t->name);
        if (t->dirfd >= 0)
            close(t->dirfd);
        if (t->lockfd >= 0)
            close(t->lockfd);
        t->dirfd = t->lockfd = -1;
        rm_tree_at(s->dirfd, making);
        return -1;
    }
    return 0;
}

void store_tmp_remove(struct store *s, struct store_tmp *t)
{
    if (t->dirfd >= 0)
        close(t->dirfd);
    rm_tree_at(s->dirfd, t->name);
    if (t->lockfd >= 0)
        close(t->lockfd);
    t->dirfd = t->lockfd = -1;
}

static void layer_path(const struct digest *d, char *out, size_t len)
{
    char hex[DIGEST_HEX_LEN + 1];
    digest_hex(d, hex);
    snprintf(out, len, "layers/%s", hex);
}

bool store_has_layer(struct store *s, const struct digest *diff_id)
{
    char p[128];
    layer_path(diff_id, p, sizeof(p));
    struct stat st;
    return fstatat(s->dirfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

int store_commit_layer(struct store *s, struct store_tmp *t, const char *sub, const struct digest *diff_id,
                       struct rt_err *err)
{
    char dst[128], src[128];
    layer_path(diff_id, dst, sizeof(dst));
    snprintf(src, sizeof(src), "%s/%s", t->name, sub);
    if (renameat(s->dirfd, src, s->dirfd, dst) == 0)
        return 0;
    /* A concurrent import committed the same layer first: same digest,
     * same content. Keep theirs. */
    if ((errno == EEXIST || errno == ENOTEMPTY) && store_has_layer(s, diff_id)) {
        rm_tree_at(t->dirfd, sub);
        return 0;
    }
    return rt_syserror(err, "moving layer into %s/%s", s->dir, dst);
}

int store_layer_meta(struct store *s, const struct digest *diff_id, struct layer_meta *m)
{
    memset(m, 0, sizeof(*m));
    char p[160];
    layer_path(diff_id, p, sizeof(p));
    strcat(p, "/meta.json");
    int fd = openat(s->dirfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    json_error_t e;
    json_t *j = json_loadfd(fd, 0, &e);
    close(fd);
    if (!j)
        return -1;
    json_t *v;
    const char *why;
    if (json_is_integer(v = json_object_get(j, "size")))
        m->size = (uint64_t)json_integer_value(v);
    /* Before "disk" was recorded, "size" counted the data written. */
    m->disk = json_is_integer(v = json_object_get(j, "disk")) ? (uint64_t)json_integer_value(v) : m->size;
    if (json_is_integer(v = json_object_get(j, "blob_size")) &&
        json_is_string(json_object_get(j, "blob")) &&
        digest_parse(json_string_value(json_object_get(j, "blob")), &m->blob, &why) == 0) {
        m->blob_size = json_integer_value(v);
        m->has_blob = true;
        v = json_object_get(j, "compression");
        const char *c = json_is_string(v) ? json_string_value(v) : "none";
        snprintf(m->compression, sizeof(m->compression), "%s", c);
    }
    json_decref(j);
    return 0;
}

uint64_t store_layer_size(struct store *s, const struct digest *diff_id)
{
    struct layer_meta m;
    return store_layer_meta(s, diff_id, &m) == 0 ? m.size : 0;
}

int store_sync_dir(struct store *s, const char *sub, struct rt_err *err)
{
    _cleanup_close_ int fd = openat(s->dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0)
        return rt_syserror(err, "syncing %s/%s", s->dir, sub);
    return 0;
}

int store_put_blob(struct store *s, const struct digest *d, const void *data, size_t len, struct rt_err *err)
{
    char hex[DIGEST_HEX_LEN + 1];
    digest_hex(d, hex);
    _cleanup_close_ int bfd = openat(s->dirfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (bfd < 0)
        return rt_syserror(err, "%s/blobs/sha256", s->dir);
    struct stat st;
    if (fstatat(bfd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return 0; /* content-addressed: already there means the same bytes */
    return write_file_atomic(bfd, hex, data, len, err);
}

char *store_get_blob(struct store *s, struct arena *a, const struct digest *d, size_t *len, struct rt_err *err)
{
    char hex[DIGEST_HEX_LEN + 1], path[PATH_MAX];
    digest_hex(d, hex);
    snprintf(path, sizeof(path), "%s/blobs/sha256/%s", s->dir, hex);
    int e;
    char *buf = read_small_file(a, path, 16 << 20, len, NULL, &e);
    if (!buf) {
        char ds[DIGEST_STR_LEN + 1];
        digest_str(d, ds);
        rt_error(err, e, "blob %s: %s", ds, read_small_file_error(e));
    }
    return buf;
}

int store_refs_load(struct store *s, struct arena *a, struct store_refs *refs, struct rt_err *err)
{
    memset(refs, 0, sizeof(*refs));
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/refs.json", s->dir);
    size_t len;
    int e;
    char *buf = read_small_file(a, path, 16 << 20, &len, NULL, &e);
    if (!buf)
        return e == ENOENT ? 0 : rt_error(err, e, "%s: %s", path, read_small_file_error(e));
    json_error_t je;
    json_t *j = json_loadb(buf, len, 0, &je);
    json_t *map = j ? json_object_get(j, "refs") : NULL;
    if (!json_is_object(map)) {
        json_decref(j);
        return rt_error(err, EINVAL, "%s: not a refs file (line %d: %s)", path, je.line, j ? "no \"refs\"" : je.text);
    }
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v) {
        struct store_ref r = {arena_strdup(a, k), {{0}}};
        const char *why;
        if (!json_is_string(v) || digest_parse(json_string_value(v), &r.manifest, &why) < 0) {
            json_decref(j);
            return rt_error(err, EINVAL, "%s: %s: not a digest", path, k);
        }
        ARENA_PUSH(a, refs->v, refs->n, refs->cap, r);
    }
    json_decref(j);
    return 0;
}

int store_refs_set(struct store *s, const char *name, const struct digest *manifest, struct rt_err *err)
{
    /* Read-modify-write under refs.lock; the file itself is replaced by
     * rename, so readers never see half of it. */
    _cleanup_close_ int lfd = openat(s->dirfd, "refs.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lfd < 0 || flock(lfd, LOCK_EX) < 0)
        return rt_syserror(err, "locking %s/refs.lock", s->dir);
    struct arena a;
    arena_init(&a);
    jmp_buf jb;
    if (ARENA_TRY(&a, jb)) {
        arena_free(&a);
        return rt_error(err, ENOMEM, "out of memory");
    }
    struct store_refs refs;
    if (store_refs_load(s, &a, &refs, err) < 0) {
        arena_free(&a);
        return -1;
    }
    json_t *map = json_object();
    for (size_t i = 0; i < refs.n; i++) {
        char ds[DIGEST_STR_LEN + 1];
        digest_str(&refs.v[i].manifest, ds);
        json_object_set_new(map, refs.v[i].name, json_string(ds));
    }
    if (manifest) {
        char ds[DIGEST_STR_LEN + 1];
        digest_str(manifest, ds);
        json_object_set_new(map, name, json_string(ds));
    } else {
        json_object_del(map, name);
    }
    json_t *root = json_pack("{s:o}", "refs", map);
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(root);
    arena_free(&a);
    if (!text)
        return rt_error(err, ENOMEM, "out of memory");
    int r = write_file_atomic(s->dirfd, "refs.json", text, strlen(text), err);
    free(text);
    return r;
}

int store_resolve(struct store *s, struct arena *a, const char *name, struct digest *manifest, struct rt_err *err)
{
    char norm[512];
    const char *why;
    if (image_ref_normalize(name, norm, sizeof(norm), &why) < 0)
        return rt_error(err, EINVAL, "'%s' is not a valid image name: %s", name, why);
    struct store_refs refs;
    if (store_refs_load(s, a, &refs, err) < 0)
        return -1;
    for (size_t i = 0; i < refs.n; i++) {
        if (streq(refs.v[i].name, norm)) {
            *manifest = refs.v[i].manifest;
            return 0;
        }
    }
    return rt_error(err, ENOENT, "no image named %s (see rtctl image ls)", norm);
}

int store_sync(struct store *s, struct rt_err *err)
{
    if (syncfs(s->dirfd) < 0)
        return rt_syserror(err, "syncfs %s", s->dir);
    return 0;
}
