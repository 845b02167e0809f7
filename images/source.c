/* source.c - reading an import's members from a directory or an archive. */
#include "source.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/util.h"
#include "unpack.h"

#define SMALL_MEMBER (1 << 20)   /* kept in memory on the first pass... */
#define SMALL_BUDGET (64 << 20)  /* ...while they add up to no more than this */
#define MAX_MEMBERS 100000
#define MAX_LINK_HOPS 16

struct member {
    char *name;        /* cleaned, relative */
    mode_t type;       /* AE_IFREG, AE_IFLNK, AE_IFDIR, ... */
    bool hardlink;
    char *link;        /* symlink target as written, or cleaned hardlink target */
    int64_t size;
    char *data;        /* small regular members */
    size_t len;
};

struct source {
    struct arena *a;
    const char *path;
    bool archive;
    int rootfd;        /* directory sources */
    struct member *m;  /* archive sources */
    size_t n, cap;
    size_t cached;     /* bytes of members kept in memory */
};

static struct archive *open_archive(const char *path, struct rt_err *err)
{
    struct archive *ar = archive_read_new();
    if (!ar) {
        rt_error(err, ENOMEM, "out of memory");
        return NULL;
    }
    /* Tar only, compressed or not ("docker save | gzip" is common), with
     * the decompressors libarchive has built in: never an external
     * program chosen by the file's first bytes. */
    archive_read_support_format_tar(ar);
    archive_read_support_filter_gzip(ar);
    archive_read_support_filter_bzip2(ar);
    archive_read_support_filter_xz(ar);
    archive_read_support_filter_zstd(ar);
    if (archive_read_open_filename(ar, path, 1 << 16) != ARCHIVE_OK) {
        rt_error(err, archive_errno(ar) > 0 ? archive_errno(ar) : EINVAL, "%s: %s", path, archive_error_string(ar));
        archive_read_free(ar);
        return NULL;
    }
    return ar;
}

static int list_archive(struct source *s, struct rt_err *err)
{
    struct archive *ar = open_archive(s->path, err);
    if (!ar)
        return -1;
    int r = 0;
    for (;;) {
        struct archive_entry *e;
        int ar_r = archive_read_next_header(ar, &e);
        if (ar_r == ARCHIVE_EOF)
            break;
        if (ar_r < ARCHIVE_WARN) {
            r = rt_error(err, EINVAL, "%s: not a tar archive: %s", s->path, archive_error_string(ar));
            break;
        }
        if (s->n >= MAX_MEMBERS) {
            r = rt_error(err, EINVAL, "%s: more than %d members", s->path, MAX_MEMBERS);
            break;
        }
        const char *why;
        char name[PATH_MAX];
        const char *raw = archive_entry_pathname(e);
        if (!raw || unpack_clean_path(raw, name, sizeof(name), &why) < 0) {
            r = rt_error(err, EINVAL, "%s: member '%s': %s", s->path, raw ? raw : "", raw ? why : "no name");
            break;
        }
        struct member m = {.name = arena_strdup(s->a, name), .type = archive_entry_filetype(e), .size = -1};
        if (archive_entry_hardlink(e)) {
            char target[PATH_MAX];
            if (unpack_clean_path(archive_entry_hardlink(e), target, sizeof(target), &why) < 0) {
                r = rt_error(err, EINVAL, "%s: member '%s': hardlink target: %s", s->path, raw, why);
                break;
            }
            m.hardlink = true;
            m.link = arena_strdup(s->a, target);
        } else if (m.type == AE_IFLNK) {
            m.link = arena_strdup(s->a, archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
        } else if (m.type == AE_IFREG) {
            m.size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
            /* A small archive can unpack to many small members: keep them
             * only up to a budget; the rest are read when needed. */
            if (m.size >= 0 && m.size <= SMALL_MEMBER && s->cached + (size_t)m.size <= SMALL_BUDGET) {
                s->cached += (size_t)m.size;
                m.data = arena_alloc(s->a, (size_t)m.size + 1);
                la_ssize_t got = 0, want = m.size;
                while (got < want) {
                    la_ssize_t k = archive_read_data(ar, m.data + got, (size_t)(want - got));
                    if (k <= 0) {
                        rt_error(err, EINVAL, "%s: member '%s' is truncated: %s", s->path, raw,
                                 k < 0 ? archive_error_string(ar) : "unexpected end");
                        archive_read_free(ar);
                        return -1;
                    }
                    got += k;
                }
                m.len = (size_t)got;
            }
        }
        ARENA_PUSH(s->a, s->m, s->n, s->cap, m);
    }
    archive_read_free(ar);
    return r;
}

struct source *source_open(struct arena *a, const char *path, struct rt_err *err)
{
    struct source *s = arena_alloc(a, sizeof(*s));
    s->a = a;
    s->path = arena_strdup(a, path);
    s->rootfd = -1;
    struct stat st;
    if (stat(path, &st) < 0) {
        rt_syserror(err, "%s", path);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        s->rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->rootfd < 0) {
            rt_syserror(err, "%s", path);
            return NULL;
        }
        return s;
    }
    if (!S_ISREG(st.st_mode)) {
        rt_error(err, EINVAL, "%s: not a directory or an archive file", path);
        return NULL;
    }
    s->archive = true;
    if (list_archive(s, err) < 0)
        return NULL;
    return s;
}

void source_close(struct source *s)
{
    if (s && s->rootfd >= 0)
        close(s->rootfd);
}

bool source_is_archive(const struct source *s)
{
    return s->archive;
}

static struct member *find(struct source *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (streq(s->m[i].name, name))
            return &s->m[i];
    return NULL;
}

/* Follow symlinks and hardlinks between members, by name, never out of the
 * archive. Returns the regular member name refers to. */
static struct member *resolve(struct source *s, const char *name, struct rt_err *err)
{
    char cur[PATH_MAX];
    const char *why;
    if (unpack_clean_path(name, cur, sizeof(cur), &why) < 0) {
        rt_error(err, EINVAL, "%s: '%s': %s", s->path, name, why);
        return NULL;
    }
    for (int hop = 0; hop <= MAX_LINK_HOPS; hop++) {
        struct member *m = find(s, cur);
        if (!m) {
            rt_error(err, ENOENT, "%s: no member '%s'", s->path, cur);
            return NULL;
        }
        if (m->hardlink) {
            snprintf(cur, sizeof(cur), "%s", m->link);
            continue;
        }
        if (m->type != AE_IFLNK) {
            if (m->type != AE_IFREG) {
                rt_error(err, EINVAL, "%s: member '%s' is not a regular file", s->path, cur);
                return NULL;
            }
            return m;
        }
        /* A symlink: resolve its target against the link's directory, as
         * the file system would, but lexically and inside the archive. */
        if (m->link[0] == '/') {
            rt_error(err, EINVAL, "%s: member '%s' links to '%s', outside the archive", s->path, cur, m->link);
            return NULL;
        }
        char joined[PATH_MAX * 2];
        const char *slash = strrchr(cur, '/');
        snprintf(joined, sizeof(joined), "%.*s%s%s", slash ? (int)(slash - cur) : 0, cur, slash ? "/" : "", m->link);
        /* Lexical "..": pop components; climbing above the top escapes. */
        char out[PATH_MAX];
        size_t len = 0;
        for (char *p = strtok(joined, "/"); p; p = strtok(NULL, "/")) {
            if (streq(p, "."))
                continue;
            if (streq(p, "..")) {
                if (len == 0) {
                    rt_error(err, EINVAL, "%s: member '%s' links to '%s', outside the archive", s->path, m->name,
                             m->link);
                    return NULL;
                }
                while (len > 0 && out[len - 1] != '/')
                    len--;
                if (len > 0)
                    len--;
                continue;
            }
            size_t pl = strlen(p);
            if (len + pl + 2 > sizeof(out)) {
                rt_error(err, ENAMETOOLONG, "%s: link target too long", s->path);
                return NULL;
            }
            if (len)
                out[len++] = '/';
            memcpy(out + len, p, pl);
            len += pl;
        }
        out[len] = '\0';
        snprintf(cur, sizeof(cur), "%s", out);
    }
    rt_error(err, ELOOP, "%s: too many links resolving '%s'", s->path, name);
    return NULL;
}

static int open_in_dir(struct source *s, const char *name, struct stat *st, struct rt_err *err)
{
    struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, s->rootfd, name, &how, sizeof(how));
    if (fd < 0)
        return rt_error(err, errno, "%s/%s: %s", s->path, name, strerror(errno));
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return rt_error(err, EINVAL, "%s/%s: not a regular file", s->path, name);
    }
    return fd;
}

int64_t source_size(struct source *s, const char *name)
{
    struct rt_err err;
    if (s->archive) {
        struct member *m = resolve(s, name, &err);
        return m ? m->size : -1;
    }
    struct stat st;
    int fd = open_in_dir(s, name, &st, &err);
    if (fd < 0)
        return -1;
    close(fd);
    return st.st_size;
}

/* A member that was not kept in memory: one more pass to fetch it. */
static char *read_member_pass(struct source *s, struct member *m, size_t *len, struct rt_err *err);

bool source_has(struct source *s, const char *name)
{
    struct rt_err err;
    if (s->archive)
        return resolve(s, name, &err) != NULL;
    struct stat st;
    int fd = open_in_dir(s, name, &st, &err);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

const char *source_read(struct source *s, const char *name, size_t max, size_t *len, struct rt_err *err)
{
    if (s->archive) {
        struct member *m = resolve(s, name, err);
        if (!m)
            return NULL;
        if (m->size < 0 || (uint64_t)m->size > max) {
            rt_error(err, EFBIG, "%s: member '%s' is too large for a JSON document", s->path, name);
            return NULL;
        }
        if (m->data) {
            *len = m->len;
            return m->data; /* the caller may not change it: it is read again */
        }
        return read_member_pass(s, m, len, err);
    }
    struct stat st;
    _cleanup_close_ int fd = open_in_dir(s, name, &st, err);
    if (fd < 0)
        return NULL;
    if ((uint64_t)st.st_size > max) {
        rt_error(err, EFBIG, "%s/%s is too large for a JSON document", s->path, name);
        return NULL;
    }
    char *buf = arena_alloc(s->a, (size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            rt_syserror(err, "reading %s/%s", s->path, name);
            return NULL;
        }
        got += (size_t)k;
    }
    *len = got;
    return buf;
}

static ssize_t read_fd(struct member_reader *r, void *buf, size_t n)
{
    for (;;) {
        ssize_t k = read(r->fd, buf, n);
        if (k >= 0 || errno != EINTR)
            return k;
    }
}

static ssize_t read_mem(struct member_reader *r, void *buf, size_t n)
{
    size_t left = r->memlen - r->mempos;
    if (n > left)
        n = left;
    memcpy(buf, r->mem + r->mempos, n);
    r->mempos += n;
    return (ssize_t)n;
}

static ssize_t read_ar(struct member_reader *r, void *buf, size_t n)
{
    la_ssize_t k = archive_read_data(r->ar, buf, n);
    if (k < 0)
        errno = EIO;
    return (ssize_t)k;
}

int source_stream(struct source *s, const char *const *names, size_t n,
                  int (*cb)(void *ud, size_t idx, struct member_reader *r, struct rt_err *err), void *ud,
                  struct rt_err *err)
{
    if (!s->archive) {
        for (size_t i = 0; i < n; i++) {
            struct stat st;
            int fd = open_in_dir(s, names[i], &st, err);
            if (fd < 0)
                return -1;
            struct member_reader r = {.size = st.st_size, .read = read_fd, .fd = fd};
            int rc = cb(ud, i, &r, err);
            close(fd);
            if (rc < 0)
                return -1;
        }
        return 0;
    }
    /* Members already in memory first; the rest in one more pass. */
    struct member **want = arena_alloc(s->a, (n + 1) * sizeof(*want));
    size_t pending = 0;
    for (size_t i = 0; i < n; i++) {
        want[i] = resolve(s, names[i], err);
        if (!want[i])
            return -1;
        if (want[i]->data) {
            struct member_reader r = {.size = (int64_t)want[i]->len, .read = read_mem, .fd = -1,
                                      .mem = want[i]->data, .memlen = want[i]->len};
            if (cb(ud, i, &r, err) < 0)
                return -1;
            want[i] = NULL;
        } else {
            pending++;
        }
    }
    if (!pending)
        return 0;
    struct archive *ar = open_archive(s->path, err);
    if (!ar)
        return -1;
    int rc = 0;
    for (;;) {
        struct archive_entry *e;
        int ar_r = archive_read_next_header(ar, &e);
        if (ar_r == ARCHIVE_EOF)
            break;
        if (ar_r < ARCHIVE_WARN) {
            rc = rt_error(err, EINVAL, "%s: %s", s->path, archive_error_string(ar));
            break;
        }
        char name[PATH_MAX];
        const char *why;
        if (unpack_clean_path(archive_entry_pathname(e), name, sizeof(name), &why) < 0)
            continue;
        for (size_t i = 0; i < n; i++) {
            if (!want[i] || !streq(want[i]->name, name))
                continue;
            struct member_reader r = {.size = want[i]->size, .read = read_ar, .fd = -1, .ar = ar};
            want[i] = NULL;
            pending--;
            rc = cb(ud, i, &r, err);
            break; /* the stream is consumed: one callback per member */
        }
        if (rc < 0 || !pending)
            break;
    }
    archive_read_free(ar);
    if (rc == 0 && pending)
        rc = rt_error(err, ENOENT, "%s changed while it was read", s->path);
    return rc;
}

static char *read_member_pass(struct source *s, struct member *m, size_t *len, struct rt_err *err)
{
    struct archive *ar = open_archive(s->path, err);
    if (!ar)
        return NULL;
    char *buf = NULL;
    bool failed = false;
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(ar, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN) {
            rt_error(err, EINVAL, "%s: %s", s->path, archive_error_string(ar));
            failed = true;
            break;
        }
        char name[PATH_MAX];
        const char *why;
        if (unpack_clean_path(archive_entry_pathname(e), name, sizeof(name), &why) < 0 || !streq(name, m->name))
            continue;
        buf = arena_alloc(s->a, (size_t)m->size + 1);
        la_ssize_t got = 0;
        while (got < m->size) {
            la_ssize_t k = archive_read_data(ar, buf + got, (size_t)(m->size - got));
            if (k <= 0) {
                rt_error(err, EINVAL, "%s: member '%s' is truncated", s->path, m->name);
                archive_read_free(ar);
                return NULL;
            }
            got += k;
        }
        *len = (size_t)got;
        break;
    }
    archive_read_free(ar);
    if (!buf && !failed)
        rt_error(err, ENOENT, "%s changed while it was read", s->path);
    return buf;
}
