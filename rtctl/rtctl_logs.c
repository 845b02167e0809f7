/* rtctl logs: services' logs, from the files rtinit's log writer keeps
 * (LOGDIR/NAME.log and its rotated NAME.log.1, .2 ..., init/svclog.c),
 * several services merged in time order as `docker compose logs` does,
 * each line after its service's name.
 *
 * Each service is a queue of file segments, the oldest first, read a line
 * at a time. The files are opened all at one moment (snapshot()) and read
 * through those descriptors, so a rotation while they are read moves
 * nothing under the reader. `-n N` and `--since` find where to start by
 * reading backwards from the end (find_start()): `-n 20` of a 50 MB log
 * reads its last blocks only. With -f the newest file stays open; when the
 * writer rotates it (a new file under the name), it is read to its end and
 * the files that came after it are queued, found by inode: no line is lost
 * or printed twice across rotations, however many happened between two
 * looks.
 *
 * Lines are merged by their stamps, which compare as strings (lib/
 * logtime.h). Following several services, a line waits until no other
 * service can still write one stamped earlier (logtime_ripe()), so that a
 * line written to its file a little later than another service's still
 * comes first. Those waits are timed on the monotonic clock from when the
 * line was first read (or from its file's mtime, for what was there at
 * the start), never by its stamp: a stamp ahead of the clock is not held
 * until the clock catches up.
 *
 * It reads files only, so it works while rtinit is down. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../config/conf.h"
#include "../lib/logtime.h"
#include "../lib/paths.h"
#include "../lib/util.h"
#include "../runtime/container.h"
#include "rtctl.h"

enum {
    TICK_MS = 100,       /* following: how often the files are looked at */
    BLOCK = 64 * 1024,   /* reads */
    MAX_LINE = 1 << 20,  /* a longer "line" (not rtinit's: it cuts at 4 KiB) is printed in parts */
    MAX_FILES = 1000,    /* [logging] max_files is at most this */
};

struct logs_opts {
    long lines;                  /* -1: all */
    bool follow, stamps, color, prefix;
    bool has_since, has_until;
    int64_t until_ms;
    char since[LOGTIME_LEN + 1], until[LOGTIME_LEN + 1];
};

/* One file of a service's log, or the part of it still to read. */
struct seg {
    int fd;
    off_t start;                 /* where reading begins */
    off_t end;                   /* where it ends; -1: the live file, read to its end as it grows */
    off_t size;                  /* its size when it was opened */
    dev_t dev;
    ino_t ino;
    int64_t there;               /* monotonic ms by which [0, size) was written: its mtime, if not later */
};

struct lsrc {
    char name[64];
    char base[PATH_MAX + 80];    /* DIR/NAME.log */
    const char *color;
    struct seg *segs;            /* the oldest first; with -f the last is live */
    size_t nseg, si;             /* si: the one being read */
    char *buf;                   /* buf[pos, have) read from segs[si], not taken yet */
    size_t cap, pos, have;
    off_t rd;                    /* the file offset after buf[have] */
    int64_t fill_at;             /* monotonic ms of the last read: every whole line in buf came in it */
    char key[LOGTIME_LEN + 1];   /* the time of the last line taken: a line without one has it */
    bool head, partial, stamped; /* the next line, peeked: buf[pos, pos + hlen) */
    size_t hlen;
    char hkey[LOGTIME_LEN + 1];
    int64_t hsince;              /* monotonic ms: when the peeked line was first there to read */
    bool done;
    bool looked;                 /* following: the live file was looked at in this round */
    int64_t newest;              /* following: hsince of its newest line (idle since then) */
};

/* ---------- options ---------- */

/* below rtctl_getopt's own (1000 and up) */
enum { O_SINCE = 256, O_UNTIL, O_NOTS, O_NOCOLOR, O_NOPREFIX };

/* The wall clock: --since/--until, which the stamps are compared with. */
static int64_t wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* How long lines wait: not stepped by NTP or date(1). */
static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int on_opt(struct rtctl *ctl, int opt, const char *arg, void *ud)
{
    struct logs_opts *o = ud;
    const char *why;
    int64_t ms;
    switch (opt) {
    case 'f':
        o->follow = true;
        return 0;
    case 't':
        o->stamps = true;
        return 0;
    case O_NOTS:
        o->stamps = false;
        return 0;
    case O_NOCOLOR:
        o->color = false;
        return 0;
    case O_NOPREFIX:
        o->prefix = false;
        return 0;
    case 'n': {
        if (streq(arg, "all")) {
            o->lines = -1;
            return 0;
        }
        char *end;
        errno = 0;
        long v = strtol(arg, &end, 10);
        if (*end || end == arg || v < 0 || errno) {
            rtctl_usage_error(ctl, "-n '%s': expected a number of lines", arg);
            return -1;
        }
        o->lines = v;
        return 0;
    }
    case O_SINCE:
    case O_UNTIL:
        if (logtime_parse(arg, wall_ms(), &ms, &why) < 0) {
            rtctl_usage_error(ctl, "%s '%s': %s", opt == O_SINCE ? "--since" : "--until", arg, why);
            return -1;
        }
        if (opt == O_SINCE) {
            o->has_since = true;
            logtime_format(ms, o->since);
        } else {
            o->has_until = true;
            o->until_ms = ms;
            logtime_format(ms, o->until);
        }
        return 0;
    }
    return -1;
}

/* ---------- the files of one log, at one moment ---------- */

static void sleep_ms(long ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

static int open_seg(const char *path, struct seg *g)
{
    g->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (g->fd < 0)
        return -1;
    if (fstat(g->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(g->fd);
        g->fd = -1;
        errno = EINVAL;
        return -1;
    }
    g->start = 0;
    g->size = g->end = st.st_size;
    g->dev = st.st_dev;
    g->ino = st.st_ino;
    /* what is in it now was written by its mtime: that long ago on the
     * wall clock, made a moment of the monotonic one (an mtime ahead of
     * the clock counts as now) */
    int64_t age = wall_ms() - ((int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
    g->there = mono_ms() - (age > 0 ? age : 0);
    return 0;
}

static void close_segs(struct seg *g, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (g[k].fd >= 0)
            close(g[k].fd);
}

/* base.N ... base.1, base: the oldest first, every one open, all as they
 * were at one moment. A rotation renames every file and then makes base
 * anew, so base still being the file opened first, after the others are
 * open, means none moved meanwhile; otherwise, again. A gap of one index
 * is looked past: a rotation in progress renames the highest first. */
static int snapshot(const char *base, struct seg **out, size_t *nout)
{
    char p[PATH_MAX + 100];
    for (int attempt = 0;; attempt++) {
        struct seg cur;
        bool have_cur = open_seg(base, &cur) == 0;
        struct seg *rot = calloc(MAX_FILES + 1, sizeof(*rot));
        if (!rot) {
            if (have_cur)
                close(cur.fd);
            return -1;
        }
        size_t n = 0;
        for (int k = 1, misses = 0; k <= MAX_FILES && misses < 2; k++) {
            snprintf(p, sizeof(p), "%s.%d", base, k);
            if (open_seg(p, &rot[n]) == 0) {
                n++;
                misses = 0;
            } else {
                misses++;
            }
        }
        struct stat st;
        bool same = have_cur ? stat(base, &st) == 0 && st.st_dev == cur.dev && st.st_ino == cur.ino
                             : stat(base, &st) < 0 && errno == ENOENT && n == 0;
        /* no base but rotated files: between a rename and the new file,
         * or a writer that cannot make it; after a while, take them */
        if (same || attempt >= 20) {
            struct seg *v = calloc(n + 1, sizeof(*v));
            if (!v) {
                close_segs(rot, n);
                free(rot);
                if (have_cur)
                    close(cur.fd);
                return -1;
            }
            for (size_t k = 0; k < n; k++)
                v[k] = rot[n - 1 - k];
            if (have_cur)
                v[n++] = cur;
            free(rot);
            *out = v;
            *nout = n;
            return 0;
        }
        close_segs(rot, n);
        free(rot);
        if (have_cur)
            close(cur.fd);
        sleep_ms(1);
    }
}

/* ---------- where to start: backwards from the end ---------- */

/* The stamp of the line [ls, le) of g's file, if it has one. */
static bool key_at(const struct seg *g, const char *blk, off_t bs, off_t be, off_t ls, off_t le, char *key)
{
    char tmp[LOGTIME_LEN + 1];
    size_t len = le - ls > LOGTIME_LEN ? LOGTIME_LEN + 1 : (size_t)(le - ls);
    const char *p;
    if (ls >= bs && ls + (off_t)len <= be) {
        p = blk + (ls - bs);
    } else {
        if (pread(g->fd, tmp, len, ls) != (ssize_t)len)
            return false;
        p = tmp;
    }
    if (!logtime_stamped(p, len))
        return false;
    memcpy(key, p, LOGTIME_LEN);
    key[LOGTIME_LEN] = '\0';
    return true;
}

static void start_at(struct lsrc *s, size_t k, off_t off)
{
    close_segs(s->segs, k);
    memmove(s->segs, s->segs + k, (s->nseg - k) * sizeof(*s->segs));
    s->nseg -= k;
    s->segs[0].start = off;
}

/* Start at the last `want` lines (want < 0: every line) that are not
 * after until, leaving out those before since. Lines of one service are
 * in time order in its files. */
static int find_start(struct lsrc *s, const struct logs_opts *o)
{
    if (!s->nseg || (o->lines < 0 && !o->has_since))
        return 0;
    if (o->lines == 0) {
        start_at(s, s->nseg - 1, s->segs[s->nseg - 1].size);
        return 0;
    }
    char *blk = malloc(BLOCK);
    if (!blk)
        return -1;
    long count = 0;
    for (size_t k = s->nseg; k-- > 0;) {
        const struct seg *g = &s->segs[k];
        off_t size = g->size, bs = size, be = size;
        if (size == 0)
            continue;
        off_t le = size; /* the end of the line looked at, before its newline */
        char last;
        if (pread(g->fd, &last, 1, size - 1) == 1 && last == '\n')
            le = size - 1;
        off_t scan = le;
        for (;;) {
            off_t nl = -1;
            for (;;) {
                if (scan > bs) {
                    const char *q = memrchr(blk, '\n', (size_t)(scan - bs));
                    if (q) {
                        nl = bs + (q - blk);
                        break;
                    }
                }
                if (bs == 0)
                    break;
                be = bs;
                bs = bs > BLOCK ? bs - BLOCK : 0;
                if (pread(g->fd, blk, (size_t)(be - bs), bs) != be - bs) {
                    free(blk);
                    return -1;
                }
            }
            off_t ls = nl + 1;
            char key[LOGTIME_LEN + 1];
            bool stamped = key_at(g, blk, bs, be, ls, le, key);
            if (stamped && o->has_until && strcmp(key, o->until) > 0) {
                /* after --until: not one of the last N */
            } else if (stamped && o->has_since && strcmp(key, o->since) < 0) {
                start_at(s, k, le < size ? le + 1 : size);
                free(blk);
                return 0;
            } else if (o->lines > 0 && ++count == o->lines) {
                start_at(s, k, ls);
                free(blk);
                return 0;
            }
            if (nl < 0)
                break;
            le = scan = nl;
        }
    }
    free(blk);
    return 0;
}

/* ---------- reading forwards, a line at a time ---------- */

static void next_seg(struct lsrc *s)
{
    if (s->segs[s->si].fd >= 0)
        close(s->segs[s->si].fd);
    s->si++;
    /* keep the queue short over a long -f */
    memmove(s->segs, s->segs + s->si, (s->nseg - s->si) * sizeof(*s->segs));
    s->nseg -= s->si;
    s->si = 0;
    s->pos = s->have = 0;
    s->rd = s->nseg ? s->segs[0].start : 0;
}

/* More of the segment being read; false when there is none now. */
static bool fill(struct lsrc *s)
{
    struct seg *g = &s->segs[s->si];
    if (s->pos) {
        memmove(s->buf, s->buf + s->pos, s->have - s->pos);
        s->have -= s->pos;
        s->pos = 0;
    }
    if (s->have == s->cap) {
        if (s->cap >= MAX_LINE)
            return false;
        char *b = realloc(s->buf, s->cap ? s->cap * 2 : BLOCK);
        if (!b)
            return false;
        s->buf = b;
        s->cap = s->cap ? s->cap * 2 : BLOCK;
    }
    size_t room = s->cap - s->have;
    if (g->end >= 0) {
        if (s->rd >= g->end)
            return false;
        if ((off_t)room > g->end - s->rd)
            room = (size_t)(g->end - s->rd);
    }
    ssize_t n;
    do
        n = pread(g->fd, s->buf + s->have, room, s->rd);
    while (n < 0 && errno == EINTR);
    if (n == 0 && g->end >= 0)
        g->end = s->rd; /* shorter than it was: someone truncated it */
    if (n <= 0)
        return false;
    s->have += (size_t)n;
    s->rd += n;
    s->fill_at = mono_ms();
    return true;
}

static void set_head(struct lsrc *s, size_t len, bool partial)
{
    s->head = true;
    s->hlen = len;
    s->partial = partial;
    /* fill() runs only when buf has no whole line left: this one's end
     * came in the last read, or was in the file when it was opened */
    const struct seg *g = &s->segs[s->si];
    off_t end = s->rd - (off_t)(s->have - s->pos) + (off_t)len;
    s->hsince = end < g->size ? g->there : s->fill_at;
    if (s->hsince > s->newest)
        s->newest = s->hsince;
    s->stamped = logtime_stamped(s->buf + s->pos, len);
    if (s->stamped) {
        memcpy(s->hkey, s->buf + s->pos, LOGTIME_LEN);
        s->hkey[LOGTIME_LEN] = '\0';
    } else {
        memcpy(s->hkey, s->key, sizeof(s->hkey));
    }
}

static bool append_seg(struct lsrc *s, const struct seg *g)
{
    struct seg *v = realloc(s->segs, (s->nseg + 1) * sizeof(*v));
    if (!v)
        return false;
    s->segs = v;
    s->segs[s->nseg++] = *g;
    return true;
}

/* Following: has the writer put a new file under the name? Then the live
 * one is complete: it is read to its end, then the files that came after
 * it (found by inode among those there now), the newest live. */
static bool rotated(struct lsrc *s)
{
    struct stat st;
    if (stat(s->base, &st) < 0)
        return false;
    struct seg *live = s->nseg ? &s->segs[s->nseg - 1] : NULL;
    if (live && st.st_dev == live->dev && st.st_ino == live->ino) {
        if (st.st_size >= s->rd)
            return false;
        /* truncated in place (`: >NAME.log`): from its start again,
         * every line of it new */
        s->rd = 0;
        live->size = 0;
        s->pos = s->have = 0;
        return true;
    }
    struct seg *f;
    size_t n, from = 0;
    if (snapshot(s->base, &f, &n) < 0)
        return false;
    for (size_t k = 0; live && k < n; k++)
        if (f[k].dev == live->dev && f[k].ino == live->ino)
            from = k + 1;
    /* not there: rotated away (max_files), and every file there is newer */
    bool ok = from < n;
    if (ok && live) {
        struct stat ls;
        live->end = fstat(live->fd, &ls) == 0 ? ls.st_size : s->rd;
    }
    close_segs(f, ok ? from : n);
    for (size_t k = from; ok && k < n; k++) {
        if (k + 1 == n)
            f[k].end = -1;
        if (!append_seg(s, &f[k])) {
            close_segs(f + k, n - k);
            ok = false;
        }
    }
    free(f);
    return ok;
}

/* The next line of s, not taken yet: true with s->head set. */
static bool peek(struct lsrc *s, bool follow)
{
    while (!s->head && !s->done) {
        if (s->si >= s->nseg) {
            /* no log yet */
            if (follow && !s->looked && rotated(s)) {
                s->si = 0;
                s->pos = s->have = 0;
                s->rd = s->segs[0].start;
                continue;
            }
            s->looked = true;
            if (!follow)
                s->done = true;
            return false;
        }
        char *nl = s->have > s->pos ? memchr(s->buf + s->pos, '\n', s->have - s->pos) : NULL;
        if (nl) {
            set_head(s, (size_t)(nl - (s->buf + s->pos)), false);
            break;
        }
        struct seg *g = &s->segs[s->si];
        /* the live file is read once a round: not a read and a stat for
         * every line the other services print */
        if (g->end < 0 && s->looked)
            return false;
        if (fill(s))
            continue;
        size_t rest = s->have - s->pos;
        if (rest >= MAX_LINE) {
            set_head(s, rest, true);
            break;
        }
        if (g->end >= 0 && s->rd >= g->end) {
            /* the end of a file no one writes to: its last line may lack
             * its newline (a crash), it is a line all the same */
            if (rest) {
                set_head(s, rest, true);
                break;
            }
            if (s->si + 1 == s->nseg) {
                s->done = true;
                return false;
            }
            next_seg(s);
            continue;
        }
        if (g->end < 0) {
            s->looked = true;
            if (rotated(s))
                continue;
        }
        return false; /* more later */
    }
    return s->head;
}

static void take(struct lsrc *s)
{
    s->pos += s->hlen + (s->partial ? 0 : 1);
    memcpy(s->key, s->hkey, sizeof(s->key));
    s->head = false;
}

/* ---------- which services ---------- */

/* NAME for each DIR/NAME.log (not rtinit's), for did-you-mean and for
 * `rtctl logs` when conf.d has no services. */
static size_t log_names(const char *dir, char names[][64], size_t max)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while (n < max && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 4 && l - 4 < 64 && endswith(e->d_name, ".log")) {
            snprintf(names[n], 64, "%.*s", (int)(l - 4), e->d_name);
            if (!streq(names[n], "rtinit") && ctr_name_ok(names[n]))
                n++;
        }
    }
    closedir(d);
    return n;
}

static bool has_log(const char *dir, const char *name)
{
    char p[PATH_MAX + 100];
    snprintf(p, sizeof(p), "%s/%s.log", dir, name);
    if (access(p, F_OK) == 0)
        return true;
    snprintf(p, sizeof(p), "%s/%s.log.1", dir, name);
    return access(p, F_OK) == 0;
}

static const char *const palette[] = {"36", "33", "32", "35", "34", "96", "93", "92", "95", "94"};

static void add_src(struct lsrc *v, size_t *n, const char *dir, const char *name)
{
    for (size_t k = 0; k < *n; k++)
        if (streq(v[k].name, name))
            return;
    struct lsrc *s = &v[*n];
    *s = (struct lsrc){0};
    snprintf(s->name, sizeof(s->name), "%s", name);
    snprintf(s->base, sizeof(s->base), "%s/%s.log", dir, name);
    s->color = palette[*n % ARRAY_SIZE(palette)];
    (*n)++;
}

/* ---------- printing ---------- */

struct out {
    bool prefix, color, stamps;
    int width;
};

static void emit(const struct out *w, const struct lsrc *s)
{
    const char *p = s->buf + s->pos;
    size_t len = s->hlen;
    if (!w->stamps && s->stamped) {
        size_t cut = len > LOGTIME_LEN ? LOGTIME_LEN + 1 : LOGTIME_LEN;
        p += cut;
        len -= cut;
    }
    if (w->prefix && w->color)
        printf("\033[%sm%-*s |\033[0m ", s->color, w->width, s->name);
    else if (w->prefix)
        printf("%-*s | ", w->width, s->name);
    fwrite(p, 1, len, stdout);
    putchar('\n');
}

/* Following several services: may best's next line be printed now
 * (logtime_ripe())? Each other service's line waiting is not older than
 * best's: best's is the oldest waiting. */
static bool ripe(const struct lsrc *v, size_t n, const struct lsrc *best, int64_t mono, struct logtime_other *others)
{
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (&v[k] != best)
            others[m++] = (struct logtime_other){
                .last = v[k].key, .waiting = v[k].head || v[k].done, .idle_ms = mono - v[k].newest};
    return logtime_ripe(best->hkey, mono - best->hsince, others, m);
}

/* Following with --until: is every line up to it printed? A service whose
 * next line is after until is done (its lines are in time order). One with
 * no line waiting may still write one stamped before until (its writer is
 * behind) until LOGTIME_HOLD_MS past until, and then while it is not idle,
 * as logtime_ripe() judges it for a line waiting. */
static bool until_reached(const struct lsrc *v, size_t n, const struct logs_opts *o, int64_t wall, int64_t mono)
{
    if (wall <= o->until_ms + LOGTIME_HOLD_MS)
        return false;
    for (size_t k = 0; k < n; k++)
        if (!v[k].done && (v[k].head || mono - v[k].newest < LOGTIME_IDLE_MS))
            return false;
    return true;
}

/* Print, in time order, every line there is (following several
 * services: every line no other service can still come before, see
 * ripe()), until the end (without -f), until every line up to --until is
 * printed, or forever. With -f and --until, at LOGTIME_GIVE_UP_MS past
 * until at the latest (the longest a line waits), the lines up to it
 * still waiting are printed and it ends. */
static int print_logs(struct lsrc *v, size_t n, const struct logs_opts *o, const struct out *w,
                      struct logtime_other *others)
{
    bool hold = o->follow && n > 1;
    for (;;) {
        int64_t mono = mono_ms(), wall = wall_ms();
        bool last = o->follow && o->has_until && wall > o->until_ms + LOGTIME_GIVE_UP_MS;
        for (size_t k = 0; k < n; k++)
            v[k].looked = false;
        for (;;) {
            struct lsrc *best = NULL;
            for (size_t k = 0; k < n; k++)
                if (peek(&v[k], o->follow) && (!best || strcmp(v[k].hkey, best->hkey) < 0))
                    best = &v[k];
            if (!best)
                break;
            if (o->has_until && strcmp(best->hkey, o->until) > 0) {
                /* a service's lines are in time order: the rest are later */
                best->head = false;
                best->done = true;
                continue;
            }
            if (hold && !last && !ripe(v, n, best, mono, others))
                break;
            if (!(o->has_since && strcmp(best->hkey, o->since) < 0))
                emit(w, best);
            take(best);
        }
        if (fflush(stdout) != 0 || ferror(stdout))
            return EXIT_FAIL;
        if (!o->follow || last || (o->has_until && until_reached(v, n, o, wall, mono)))
            return EXIT_OK;
        sleep_ms(TICK_MS);
    }
}

int cmd_logs(struct rtctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"lines", required_argument, NULL, 'n'},     {"tail", required_argument, NULL, 'n'},
        {"follow", no_argument, NULL, 'f'},          {"since", required_argument, NULL, O_SINCE},
        {"until", required_argument, NULL, O_UNTIL}, {"timestamps", no_argument, NULL, 't'},
        {"no-timestamps", no_argument, NULL, O_NOTS}, {"no-color", no_argument, NULL, O_NOCOLOR},
        {"no-prefix", no_argument, NULL, O_NOPREFIX}, {0},
    };
    struct logs_opts o = {.lines = -1, .stamps = true, .color = true, .prefix = true};
    int i = rtctl_getopt(ctl, argc, argv, "n:ft", opts, on_opt, &o, NULL);
    if (i < 0)
        return EXIT_USAGE;
    struct rt_paths paths;
    struct rt_err err;
    if (rt_paths_init(&paths, ctl->conf_dir, ctl->root, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        return EXIT_FAIL;
    }
    /* The log directory is conf.d's [logging] dir; a conf.d with errors
     * elsewhere still says where the logs are. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", paths.log_dir);
    struct conf *c = conf_load(&paths, &err);
    if (c && c->droplet.logging.dir)
        snprintf(dir, sizeof(dir), "%s", c->droplet.logging.dir);

    size_t cap = (size_t)(argc - i) + (c ? c->nsvcs : 0) + 256;
    struct lsrc *v = calloc(cap, sizeof(*v));
    struct logtime_other *others = calloc(cap, sizeof(*others));
    char(*found)[64] = calloc(256, 64);
    int rc = EXIT_OK;
    size_t n = 0, nfound = found ? log_names(dir, found, 256) : 0;
    if (!v || !others || !found) {
        log_msg(&ctl->log, LOG_ERR, "out of memory");
        rc = EXIT_FAIL;
        goto out;
    }
    if (i == argc) {
        /* every service of conf.d; without one, every log there is */
        for (size_t k = 0; c && k < c->nsvcs; k++)
            add_src(v, &n, dir, c->svcs[k]->name);
        for (size_t k = 0; !n && k < nfound; k++)
            add_src(v, &n, dir, found[k]);
        if (!n) {
            log_msg(&ctl->log, LOG_ERR, "no services in %s and no logs in %s; name one (rtctl logs SERVICE)",
                    paths.conf_dir, dir);
            rc = EXIT_FAIL;
            goto out;
        }
    }
    for (; i < argc; i++) {
        const char *name = argv[i];
        bool known = streq(name, "rtinit") || (c && conf_find(c, name)) || (ctr_name_ok(name) && has_log(dir, name));
        if (!ctr_name_ok(name) || !known) {
            const char *cands[c ? c->nsvcs + nfound + 1 : nfound + 1];
            size_t nc = 0;
            for (size_t k = 0; c && k < c->nsvcs; k++)
                cands[nc++] = c->svcs[k]->name;
            for (size_t k = 0; k < nfound; k++)
                cands[nc++] = found[k];
            cands[nc++] = "rtinit";
            const char *dym = ctr_name_ok(name) ? did_you_mean(name, cands, nc) : NULL;
            log_msg(&ctl->log, LOG_ERR, "no service '%s' in %s, and no log %s/%s.log%s%s%s", name, paths.conf_dir,
                    dir, name, dym ? " (did you mean '" : "", dym ? dym : "", dym ? "'?)" : "");
            rc = EXIT_FAIL;
            goto out;
        }
        add_src(v, &n, dir, name);
    }

    for (size_t k = 0; k < n; k++) {
        if (snapshot(v[k].base, &v[k].segs, &v[k].nseg) < 0 || find_start(&v[k], &o) < 0) {
            log_msg(&ctl->log, LOG_ERR, "%s: %s", v[k].base, strerror(errno));
            rc = EXIT_FAIL;
            goto out;
        }
        if (!v[k].nseg && !o.follow)
            log_msg(&ctl->log, LOG_WARN, "%s: no log yet", v[k].base);
        /* idle since its newest file was last written; with no log,
         * idle */
        v[k].newest = v[k].nseg ? v[k].segs[v[k].nseg - 1].there : mono_ms() - LOGTIME_IDLE_MS;
        if (v[k].nseg) {
            v[k].rd = v[k].segs[0].start;
            if (o.follow)
                v[k].segs[v[k].nseg - 1].end = -1;
        }
    }
    struct out w = {.prefix = o.prefix && n > 1, .stamps = o.stamps};
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
    w.color = o.color && isatty(STDOUT_FILENO) && !(nc && *nc) && !(term && streq(term, "dumb"));
    for (size_t k = 0; k < n; k++)
        if ((int)strlen(v[k].name) > w.width)
            w.width = (int)strlen(v[k].name);
    rc = print_logs(v, n, &o, &w, others);
out:
    for (size_t k = 0; v && k < n; k++) {
        close_segs(v[k].segs + v[k].si, v[k].nseg - v[k].si);
        free(v[k].segs);
        free(v[k].buf);
    }
    free(v);
    free(others);
    free(found);
    if (c)
        conf_free(c);
    return rc;
}
