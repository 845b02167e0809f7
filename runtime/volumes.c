/* volumes.c - which host directories some container can write, for
 * lib/guarded.h: every source ever bind-mounted read-write, by rtinit or
 * by rtctl run, is kept in STATE/volumes.rw, one absolute path a line.
 *
 * Kept, not worked out from the conf.d of the day: a container that once
 * had /srv/data read-write may have left a symlink there, and a later
 * conf.d where /srv/data is read-only, or gone, or an `rtctl run` of
 * /srv/data/inner, must still not follow it. The file only grows, by one
 * line per distinct path. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/util.h"
#include "child.h"

#define RECORD_MAX (1 << 20)

/* The record's text ("" when there is none yet), malloc'd with room for
 * extra more bytes. */
static char *read_record(const char *path, size_t extra, size_t *cap, struct rt_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno != ENOENT) {
        rt_syserror(err, "%s", path);
        return NULL;
    }
    struct stat st;
    size_t size = 0;
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0)
        size = (size_t)st.st_size < RECORD_MAX ? (size_t)st.st_size : RECORD_MAX;
    *cap = size + extra;
    char *buf = malloc(*cap + 1);
    if (!buf) {
        if (fd >= 0)
            close(fd);
        rt_error(err, ENOMEM, "out of memory");
        return NULL;
    }
    size_t n = 0;
    while (fd >= 0 && n < size) {
        ssize_t k = read(fd, buf + n, size - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    if (fd >= 0)
        close(fd);
    buf[n] = '\0';
    return buf;
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p += n)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

int volumes_guards(const struct ctr_spec *s, struct child *ch, struct rt_err *err)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof(path), "%s/volumes.rw", s->state_dir) >= sizeof(path))
        return rt_error(err, ENAMETOOLONG, "%s: path too long", s->state_dir);
    size_t extra = 0, cap;
    for (size_t i = 0; i < s->nmounts; i++)
        extra += s->mounts[i].tmpfs ? 0 : strlen(s->mounts[i].src) + 1;
    char *text = read_record(path, extra, &cap, err);
    if (!text)
        return -1;
    /* this container's read-write sources join the record first */
    int fd = -1;
    for (size_t i = 0; i < s->nmounts; i++) {
        const struct ctr_mount *m = &s->mounts[i];
        if (m->tmpfs || m->ro || has_line(text, m->src) || strchr(m->src, '\n'))
            continue;
        if (fd < 0 && (fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
            rt_syserror(err, "%s", path);
            free(text);
            return -1;
        }
        char line[PATH_MAX + 1];
        int n = snprintf(line, sizeof(line), "%s\n", m->src);
        if (n < 0 || (size_t)n >= sizeof(line) || write(fd, line, (size_t)n) != n) {
            rt_syserror(err, "writing %s", path);
            close(fd);
            free(text);
            return -1;
        }
        size_t tl = strlen(text);
        if (tl + (size_t)n <= cap)
            memcpy(text + tl, line, (size_t)n + 1);
    }
    if (fd >= 0)
        close(fd);
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    ch->guards = calloc(lines + 1, sizeof(*ch->guards));
    if (!ch->guards) {
        free(text);
        return rt_error(err, ENOMEM, "out of memory");
    }
    ch->nguards = 0;
    for (char *l = text, *nl; *l; l = nl + 1) {
        nl = strchr(l, '\n');
        if (!nl)
            break;
        *nl = '\0';
        struct stat st;
        /* a recorded source that is now a symlink was swapped by a
         * container: it guards nothing (what it points to is not it) */
        if (l[0] != '/' || lstat(l, &st) < 0 || S_ISLNK(st.st_mode) || stat(l, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        ch->guards[ch->nguards++] = (struct file_id){st.st_dev, st.st_ino};
    }
    free(text);
    return 0;
}
