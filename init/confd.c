/* confd.c - does conf.d on disk still hold what runs? For `rtctl status`.
 *
 * At each load (boot, a reload that is applied) rtinit remembers two
 * digests: of conf.d's *.conf files, by name and contents (the files
 * conf_load reads), and of the files the conf names that a start reads
 * (the secrets file, env files). A reload takes the first before it loads,
 * so that an edit made while it loads shows as a difference rather than
 * hiding one. Each `rtctl status` takes them again from disk and compares.
 *
 * The loop never waits here: the files are small and local, opened with
 * O_NONBLOCK and read only when regular (read_small_file), and a file
 * whose device, inode, size, mtime and ctime are what they were at the
 * last look is not read again: its digest is kept. A file larger than
 * MAX_READ is known by those alone. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/fileio.h"
#include "../lib/util.h"
#include "sup.h"

#define MAX_READ (16u << 20)

struct seen {
    char *path;
    struct stat st;
    struct digest d;
};

struct confd {
    struct seen *v; /* the files of the last scan */
    size_t n;
    struct confd_sum loaded;
    bool known;
};

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

struct scan {
    const struct confd *old;
    struct seen *v; /* this scan's, to replace old's */
    size_t n, cap;
    bool oom;
};

/* One file into h: its path, then its contents' digest (or why there is
 * none). */
static void add_file(struct scan *sc, struct sha256 *h, const char *path)
{
    sha256_update(h, path, strlen(path) + 1);
    struct stat st = {0};
    int e = stat(path, &st) < 0 ? errno : 0;
    if (e || !S_ISREG(st.st_mode)) {
        /* missing, or not a file a load would read: known by that */
        char why[32];
        int n = snprintf(why, sizeof(why), "-%d-%o", e, (unsigned)(st.st_mode & S_IFMT));
        sha256_update(h, why, (size_t)n);
        return;
    }
    struct seen f = {.st = st};
    bool found = false;
    for (size_t i = 0; sc->old && i < sc->old->n && !found; i++)
        if (!strcmp(sc->old->v[i].path, path) && same_file(&sc->old->v[i].st, &st)) {
            f.d = sc->old->v[i].d;
            found = true;
        }
    if (!found && (size_t)st.st_size > MAX_READ) {
        /* too large to read in the loop: what stat says stands for it */
        char sig[160];
        int n = snprintf(sig, sizeof(sig), "%llu %llu %lld %lld.%ld %lld.%ld", (unsigned long long)st.st_dev,
                         (unsigned long long)st.st_ino, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                         st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
        sha256_buf(sig, (size_t)n, &f.d);
    } else if (!found) {
        struct arena a;
        arena_init(&a);
        jmp_buf jb;
        size_t len;
        char *volatile buf = NULL; /* volatile: read after longjmp */
        if (!ARENA_TRY(&a, jb))
            buf = read_small_file(&a, path, MAX_READ, &len, &f.st, &e);
        if (buf)
            sha256_buf(buf, len, &f.d);
        arena_free(&a);
        if (!buf) { /* changed under us, or no memory: not kept, read again next time */
            char why[32];
            int n = snprintf(why, sizeof(why), "?%d", e);
            sha256_update(h, why, (size_t)n);
            return;
        }
    }
    sha256_update(h, &f.d, sizeof(f.d));
    if (sc->n == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 16;
        struct seen *v = realloc(sc->v, cap * sizeof(*v));
        if (!v) {
            sc->oom = true;
            return;
        }
        sc->v = v;
        sc->cap = cap;
    }
    if (!(f.path = strdup(path))) {
        sc->oom = true;
        return;
    }
    sc->v[sc->n++] = f;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* conf.d's *.conf files, chosen and ordered as conf_load does. */
static void scan_dir(struct scan *sc, const char *dir, struct digest *out)
{
    struct sha256 h;
    struct rt_err err;
    if (sha256_init(&h, &err) < 0) {
        sc->oom = true;
        return;
    }
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *de; d && (de = readdir(d));) {
        if (de->d_name[0] == '.' || !endswith(de->d_name, ".conf") || strlen(de->d_name) == 5)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **v = realloc(names, cap * sizeof(*v));
            if (!v) {
                sc->oom = true;
                break;
            }
            names = v;
        }
        if (!(names[n] = strdup(de->d_name))) {
            sc->oom = true;
            break;
        }
        n++;
    }
    if (d)
        closedir(d);
    else
        sha256_update(&h, "no directory", 12);
    qsort(names, n, sizeof(*names), cmp_name);
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) < (int)sizeof(path))
            add_file(sc, &h, path);
        free(names[i]);
    }
    free(names);
    sha256_final(&h, out);
    sha256_free(&h);
}

static void scan_extras(struct scan *sc, const struct conf *c, struct digest *out)
{
    struct sha256 h;
    struct rt_err err;
    if (sha256_init(&h, &err) < 0) {
        sc->oom = true;
        return;
    }
    if (c->droplet.secrets)
        add_file(sc, &h, c->droplet.secrets);
    for (size_t i = 0; i < c->nsvcs; i++)
        for (size_t k = 0; k < c->svcs[i]->nenv_files; k++)
            add_file(sc, &h, c->svcs[i]->env_files[k].path);
    sha256_final(&h, out);
    sha256_free(&h);
}

static void forget(struct seen *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].path);
    free(v);
}

void confd_scan(struct sup *s, const struct conf *c, struct confd_sum *out)
{
    memset(out, 0xff, sizeof(*out)); /* when memory runs out: a sum no files have */
    if (!s->confd && !(s->confd = calloc(1, sizeof(*s->confd))))
        return;
    struct confd *cd = s->confd;
    struct scan sc = {.old = cd};
    scan_dir(&sc, c->dir, &out->dir);
    scan_extras(&sc, c, &out->extras);
    if (sc.oom) {
        memset(out, 0xff, sizeof(*out));
        forget(sc.v, sc.n);
        return;
    }
    /* this scan's files replace the last's: the cache never outgrows conf.d */
    forget(cd->v, cd->n);
    cd->v = sc.v;
    cd->n = sc.n;
}

void confd_set(struct sup *s, const struct confd_sum *sum)
{
    if (!s->confd)
        return;
    s->confd->loaded = *sum;
    s->confd->known = true;
}

void confd_remember(struct sup *s)
{
    struct confd_sum sum;
    confd_scan(s, s->p->conf, &sum);
    confd_set(s, &sum);
}

int confd_changed(struct sup *s)
{
    struct confd_sum now;
    confd_scan(s, s->p->conf, &now);
    if (!s->confd || !s->confd->known)
        return -1;
    return !digest_eq(&now.dir, &s->confd->loaded.dir) || !digest_eq(&now.extras, &s->confd->loaded.extras);
}

void confd_free(struct sup *s)
{
    if (!s->confd)
        return;
    forget(s->confd->v, s->confd->n);
    free(s->confd);
    s->confd = NULL;
}
