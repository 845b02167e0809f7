/* cgstats.c - a cgroup's usage, read from its files. See cgstats.h. */
#include "cgstats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/util.h"

/* The file's first len - 1 bytes, NUL-terminated; false when it cannot
 * be opened or read (no such controller here). */
static bool read_small(int dirfd, const char *file, char *buf, size_t len)
{
    int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    ssize_t n;
    do
        n = read(fd, buf, len - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0)
        return false;
    buf[n] = '\0';
    return true;
}

static bool parse_u64(const char *p, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (end == p || errno || *p == '-')
        return false;
    *out = v;
    return true;
}

bool cg_flat_key(const char *text, const char *key, uint64_t *out)
{
    size_t n = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, key, n) && p[n] == ' ')
            return parse_u64(p + n + 1, out);
    return false;
}

/* The rbytes= and wbytes= of one line (len bytes, no newline). */
static void io_line(const char *line, size_t len, uint64_t *rbytes, uint64_t *wbytes)
{
    /* "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" */
    const char *end = line + len;
    for (const char *p = line; p < end;) {
        while (p < end && *p == ' ')
            p++;
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        const char *we = sp ? sp : end;
        char word[32];
        size_t wl = (size_t)(we - p);
        if (wl < sizeof(word)) {
            memcpy(word, p, wl);
            word[wl] = '\0';
            uint64_t v;
            if (!strncmp(word, "rbytes=", 7) && parse_u64(word + 7, &v))
                *rbytes += v;
            else if (!strncmp(word, "wbytes=", 7) && parse_u64(word + 7, &v))
                *wbytes += v;
        }
        p = we;
    }
}

void cg_io_begin(struct cg_io *io)
{
    memset(io, 0, sizeof(*io));
}

void cg_io_feed(struct cg_io *io, const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (c == '\n') {
            if (!io->skip)
                io_line(io->line, io->len, &io->rbytes, &io->wbytes);
            io->len = 0;
            io->skip = false;
        } else if (io->len < sizeof(io->line)) {
            io->line[io->len++] = c;
        } else {
            io->skip = io->bad = true; /* no line of io.stat is this long */
        }
    }
}

bool cg_io_end(struct cg_io *io)
{
    if (io->len && !io->skip) /* the last line without its newline */
        io_line(io->line, io->len, &io->rbytes, &io->wbytes);
    io->len = 0;
    io->skip = false;
    return !io->bad;
}

void cg_io_sum(const char *text, uint64_t *rbytes, uint64_t *wbytes)
{
    struct cg_io io;
    cg_io_begin(&io);
    cg_io_feed(&io, text, strlen(text));
    cg_io_end(&io);
    *rbytes = io.rbytes;
    *wbytes = io.wbytes;
}

/* io.stat, a line per device the cgroup has used, whole: read in pieces
 * (the kernel may cut a line between two reads) and summed as it comes,
 * so no buffer holds it all. false when it cannot be read whole: a
 * total of part of the devices would be a wrong number, not a "-". */
static bool read_io_stat(int dirfd, struct cg_stats *st)
{
    int fd = openat(dirfd, "io.stat", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    struct cg_io io;
    cg_io_begin(&io);
    char buf[4096];
    size_t total = 0;
    bool ok = false;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        if (n == 0) {
            ok = cg_io_end(&io);
            break;
        }
        total += (size_t)n;
        if (total > CG_IO_STAT_MAX)
            break;
        cg_io_feed(&io, buf, (size_t)n);
    }
    close(fd);
    if (!ok)
        return false;
    st->io_rbytes = io.rbytes;
    st->io_wbytes = io.wbytes;
    return true;
}

bool cg_limit_value(const char *text, uint64_t *out)
{
    if (!strncmp(text, "max", 3) && (text[3] == '\n' || !text[3])) {
        *out = CG_NOLIMIT;
        return true;
    }
    return parse_u64(text, out);
}

void cg_stats_read(int dirfd, struct cg_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (dirfd < 0)
        return;
    /* only the files of the controllers it has: on a hybrid host that
     * is two reads, not eight opens of which six fail */
    char ctl[256], buf[1024];
    if (!read_small(dirfd, "cgroup.controllers", ctl, sizeof(ctl)))
        ctl[0] = '\0';
    bool mem = word_in_list(ctl, "memory"), pids = word_in_list(ctl, "pids"), io = word_in_list(ctl, "io");
    if (read_small(dirfd, "cpu.stat", buf, sizeof(buf)) && cg_flat_key(buf, "usage_usec", &st->cpu_usec)) {
        st->has_cpu = true;
        cg_flat_key(buf, "user_usec", &st->cpu_user_usec);
        cg_flat_key(buf, "system_usec", &st->cpu_system_usec);
    }
    if (mem && read_small(dirfd, "memory.current", buf, sizeof(buf)))
        st->has_mem = parse_u64(buf, &st->mem_bytes);
    if (mem && read_small(dirfd, "memory.max", buf, sizeof(buf)))
        st->has_mem_max = cg_limit_value(buf, &st->mem_max);
    if (mem && read_small(dirfd, "memory.events", buf, sizeof(buf)))
        st->has_oom = cg_flat_key(buf, "oom_kill", &st->oom_kills);
    if (pids && read_small(dirfd, "pids.current", buf, sizeof(buf)))
        st->has_pids = parse_u64(buf, &st->pids);
    if (pids && read_small(dirfd, "pids.max", buf, sizeof(buf)))
        st->has_pids_max = cg_limit_value(buf, &st->pids_max);
    if (io)
        st->has_io = read_io_stat(dirfd, st);
}
