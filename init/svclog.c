/* svclog.c - log queues and the log writer process. See svclog.h.
 *
 * A record on the pipe is one line of text:
 *   "S NAME 2026-11-26T02:10:00.123Z text\n"   a line of NAME.log
 *   "R - 2026-11-26T02:10:00.123Z text\n"      a line of rtinit.log
 *   "C MAX_SIZE MAX_FILES DIR\n"              new [logging] settings
 * Service names are DNS labels, so they hold no space; the text holds no
 * newline (the loop splits lines on it). */
#include "svclog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---------- the queues (rtinit's side) ---------- */

int logq_init(struct logq *q)
{
    *q = (struct logq){0};
    q->buf = malloc(SVCLOG_QUEUE);
    return q->buf ? 0 : -1;
}

void logq_free(struct logq *q)
{
    free(q->buf);
    q->buf = NULL;
    q->off = q->len = 0;
}

/* "2026-11-26T02:10:00.123Z " */
static size_t stamp(char *buf, size_t len)
{
    struct timespec t;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &t);
    gmtime_r(&t.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    return n + (size_t)snprintf(buf + n, len - n, ".%03ldZ ", t.tv_nsec / 1000000);
}

/* Room for len more bytes at the end, moving the records to the front
 * when that makes it. */
static bool room(struct logq *q, size_t len)
{
    if (!q->buf || q->len + len > SVCLOG_QUEUE)
        return false;
    if (q->off + q->len + len > SVCLOG_QUEUE) {
        memmove(q->buf, q->buf + q->off, q->len);
        q->off = 0;
    }
    return true;
}

static void append(struct logq *q, const char *name, const char *st, size_t stlen, const char *text, size_t len)
{
    char *p = q->buf + q->off + q->len;
    size_t n = (size_t)sprintf(p, "%c %s ", name ? 'S' : 'R', name ? name : "-");
    memcpy(p + n, st, stlen);
    n += stlen;
    memcpy(p + n, text, len);
    n += len;
    p[n++] = '\n';
    q->len += n;
}

static size_t note_text(const struct logq *q, char *note, size_t len)
{
    if (!q->dropped)
        return 0;
    return (size_t)snprintf(note, len, "[rtinit: %" PRIu64 " line%s dropped here: the log writer fell behind]",
                            q->dropped, q->dropped == 1 ? "" : "s");
}

bool logq_note(struct logq *q, const char *name, uint64_t *count)
{
    char st[40], note[96];
    size_t stlen = stamp(st, sizeof(st));
    size_t nlen = note_text(q, note, sizeof(note));
    if (!nlen || !room(q, 2 + (name ? strlen(name) : 1) + 1 + stlen + nlen + 1))
        return false;
    append(q, name, st, stlen, note, nlen);
    *count = q->dropped;
    q->dropped = 0;
    return true;
}

enum logq_put logq_put(struct logq *q, const char *name, const char *text, size_t len, uint64_t *resumed)
{
    char st[40];
    size_t stlen = stamp(st, sizeof(st));
    size_t head = 2 + (name ? strlen(name) : 1) + 1 + stlen;
    if (head + len + 1 > SVCLOG_RECORD)
        len = SVCLOG_RECORD - head - 1; /* the rest of a longer line is lost; lines are cut before this */
    char note[96];
    size_t nlen = note_text(q, note, sizeof(note));
    if (!room(q, head + len + 1 + (nlen ? head + nlen + 1 : 0))) {
        q->dropped++;
        q->dropped_total++;
        return LQ_DROPPED;
    }
    enum logq_put r = LQ_OK;
    if (nlen) {
        append(q, name, st, stlen, note, nlen);
        *resumed = q->dropped;
        q->dropped = 0;
        r = LQ_RESUMED;
    }
    append(q, name, st, stlen, text, len);
    return r;
}

/* ---------- the writer process ---------- */

struct lfile {
    char name[72];               /* "NAME.log"; "" when the slot is free */
    int fd;
    uint64_t size;
    bool failed;                 /* said once that it cannot be written */
};

struct writer {
    char dir[PATH_MAX];
    uint64_t max_size;
    unsigned max_files;
    struct lfile f[64];          /* open files; the oldest opened is closed for a new one */
    size_t next;                 /* the slot to reuse next */
};

static void wclose_all(struct writer *w)
{
    for (size_t i = 0; i < sizeof(w->f) / sizeof(w->f[0]); i++) {
        if (w->f[i].name[0] && w->f[i].fd >= 0)
            close(w->f[i].fd);
        w->f[i].name[0] = '\0';
        w->f[i].fd = -1;
    }
}

static int wopen(struct writer *w, struct lfile *f)
{
    char p[PATH_MAX + 80];
    snprintf(p, sizeof(p), "%s/%s", w->dir, f->name);
    f->fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    struct stat st;
    f->size = f->fd >= 0 && fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    if (f->fd < 0 && !f->failed) {
        fprintf(stderr, "rtinit-log: %s: %s; its lines are lost\n", p, strerror(errno));
        f->failed = true;
    }
    return f->fd;
}

static struct lfile *wfile(struct writer *w, const char *name, size_t nlen)
{
    size_t cap = sizeof(w->f) / sizeof(w->f[0]);
    for (size_t i = 0; i < cap; i++)
        if (!strncmp(w->f[i].name, name, nlen) && w->f[i].name[nlen] == '.' && !strcmp(w->f[i].name + nlen, ".log"))
            return &w->f[i];
    struct lfile *f = &w->f[w->next];
    w->next = (w->next + 1) % cap;
    if (f->name[0] && f->fd >= 0)
        close(f->fd);
    snprintf(f->name, sizeof(f->name), "%.*s.log", (int)nlen, name);
    f->failed = false;
    wopen(w, f);
    return f;
}

/* NAME.log -> NAME.log.1 -> ... -> NAME.log.(max_files-1); the oldest
 * goes. With max_files = 1 the log starts again empty. */
static void wrotate(struct writer *w, struct lfile *f)
{
    char a[PATH_MAX + 100], b[PATH_MAX + 100];
    for (unsigned k = w->max_files - 1; k >= 1; k--) {
        if (k == 1)
            snprintf(a, sizeof(a), "%s/%s", w->dir, f->name);
        else
            snprintf(a, sizeof(a), "%s/%s.%u", w->dir, f->name, k - 1);
        snprintf(b, sizeof(b), "%s/%s.%u", w->dir, f->name, k);
        if (rename(a, b) < 0 && errno != ENOENT)
            fprintf(stderr, "rtinit-log: rotating %s: %s\n", a, strerror(errno));
    }
    if (w->max_files <= 1) {
        snprintf(a, sizeof(a), "%s/%s", w->dir, f->name);
        unlink(a);
    }
    if (f->fd >= 0)
        close(f->fd);
    wopen(w, f);
}

static void wrecord(struct writer *w, char *rec, size_t len)
{
    if (len < 4 || rec[1] != ' ')
        return;
    if (rec[0] == 'C') {
        rec[len] = '\0';
        unsigned long long size;
        unsigned files;
        int off = 0;
        if (sscanf(rec + 2, "%llu %u %n", &size, &files, &off) == 2 && off > 0) {
            wclose_all(w);
            snprintf(w->dir, sizeof(w->dir), "%s", rec + 2 + off);
            w->max_size = size;
            w->max_files = files ? files : 1;
        }
        return;
    }
    char *name = rec + 2, *sp = memchr(name, ' ', len - 2);
    if (!sp)
        return;
    size_t nlen = (size_t)(sp - name);
    struct lfile *f = rec[0] == 'R' ? wfile(w, "rtinit", 6) : wfile(w, name, nlen);
    const char *text = sp + 1;
    size_t tlen = len - (size_t)(text - rec);
    if (w->max_size && f->size + tlen > w->max_size && f->size > 0)
        wrotate(w, f);
    if (f->fd < 0)
        return;
    ssize_t n = write(f->fd, text, tlen);
    if (n > 0)
        f->size += (uint64_t)n;
    else if (n < 0 && !f->failed) {
        fprintf(stderr, "rtinit-log: writing %s/%s: %s\n", w->dir, f->name, strerror(errno));
        f->failed = true;
    }
}

/* Runs in the forked writer until the pipe (fd 0) ends. */
static int writer_main(const char *dir, uint64_t max_size, unsigned max_files)
{
    static struct writer w; /* this process's only state */
    snprintf(w.dir, sizeof(w.dir), "%s", dir);
    w.max_size = max_size;
    w.max_files = max_files ? max_files : 1;
    for (size_t i = 0; i < sizeof(w.f) / sizeof(w.f[0]); i++)
        w.f[i].fd = -1;
    static char buf[64 * 1024 + 1];
    size_t have = 0;
    for (;;) {
        ssize_t n = read(0, buf + have, sizeof(buf) - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t)n;
        char *start = buf, *nl;
        while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
            wrecord(&w, start, (size_t)(nl - start + 1));
            start = nl + 1;
        }
        have -= (size_t)(start - buf);
        memmove(buf, start, have);
        if (have == sizeof(buf) - 1) /* no record is this long: not ours */
            have = 0;
    }
    wclose_all(&w);
    return 0;
}

int logw_start(struct logw *w, const char *dir, uint64_t max_size, unsigned max_files, struct rt_err *err)
{
    snprintf(w->dir, sizeof(w->dir), "%s", dir);
    w->max_size = max_size;
    w->max_files = max_files;
    w->pid = -1;
    w->fd = -1;
    w->full = false;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return rt_error(err, errno, "the log writer's pipe: %s", strerror(errno));
    /* 1 MiB: room for bursts while the writer is busy. A smaller pipe
     * (the limit may be lower) works too, it only fills sooner. */
    if (fcntl(p[1], F_SETPIPE_SZ, 1 << 20) < 0) {
        /* the default 64 KiB: it only fills sooner */
    }
    /* rtinit must never block on the writer's pipe: without O_NONBLOCK
     * there is no writer */
    if (fcntl(p[1], F_SETFL, O_NONBLOCK) < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        return rt_error(err, e, "the log writer's pipe: O_NONBLOCK: %s", strerror(e));
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        return rt_error(err, e, "starting the log writer: %s", strerror(e));
    }
    if (pid == 0) {
        /* The writer ends when the pipe does, after the last line: not on
         * ^C or SIGTERM meant for rtinit, which would lose lines still
         * coming. */
        struct sigaction ign = {.sa_handler = SIG_IGN}, dfl = {.sa_handler = SIG_DFL};
        for (int sig = 1; sig < NSIG; sig++)
            if (sig != SIGKILL && sig != SIGSTOP)
                sigaction(sig, sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT ? &ign : &dfl, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (dup2(p[0], 0) < 0)
            _exit(127);
        syscall(SYS_close_range, 3U, ~0U, 0U);
        prctl(PR_SET_NAME, "rtinit-log", 0, 0, 0);
        _exit(writer_main(dir, max_size, max_files));
    }
    close(p[0]);
    w->pid = pid;
    w->fd = p[1];
    return 0;
}

void logw_config(struct logw *w, struct logq *q, const char *dir, uint64_t max_size, unsigned max_files)
{
    if (!strcmp(dir, w->dir) && max_size == w->max_size && max_files == w->max_files)
        return;
    snprintf(w->dir, sizeof(w->dir), "%s", dir);
    w->max_size = max_size;
    w->max_files = max_files;
    char rec[PATH_MAX + 64];
    int n = snprintf(rec, sizeof(rec), "C %" PRIu64 " %u %s\n", max_size, max_files, dir);
    if (n > 0 && (size_t)n <= SVCLOG_RECORD && room(q, (size_t)n)) {
        memcpy(q->buf + q->off + q->len, rec, (size_t)n);
        q->len += (size_t)n;
    }
}

/* Whole records from the front of q, at most SVCLOG_RECORD bytes. */
static size_t chunk(const struct logq *q)
{
    const char *p = q->buf + q->off;
    size_t n = 0;
    while (n < q->len) {
        const char *nl = memchr(p + n, '\n', q->len - n);
        size_t end = (size_t)(nl - p) + 1;
        if (end > SVCLOG_RECORD && n)
            break;
        n = end;
        if (n >= SVCLOG_RECORD)
            break;
    }
    return n;
}

int logw_flush(struct logw *w, struct logq *const *qs, size_t n)
{
    if (w->fd < 0)
        return -1;
    w->full = false;
    for (;;) {
        bool moved = false;
        for (size_t k = 0; k < n; k++) {
            struct logq *q = qs[(w->rr + k) % n];
            if (!q || !q->len)
                continue;
            size_t len = chunk(q);
            ssize_t r = write(w->fd, q->buf + q->off, len);
            if (r < 0 && errno == EAGAIN) {
                w->rr = (w->rr + k) % n; /* this one goes first next time */
                w->full = true;
                return 0;
            }
            if (r < 0 && errno == EINTR) {
                moved = true; /* not empty: the round goes again */
                continue;
            }
            if (r < 0)
                return -1;
            /* r == len: at most PIPE_BUF bytes go all at once */
            q->off += (size_t)r;
            q->len -= (size_t)r;
            if (!q->len)
                q->off = 0;
            moved = true;
        }
        if (!moved)
            return 1;
        w->rr = (w->rr + 1) % n;
    }
}

void logw_stop(struct logw *w, struct logq *const *qs, size_t n, unsigned timeout_ms)
{
    if (w->fd >= 0) {
        for (unsigned waited = 0; logw_flush(w, qs, n) == 0 && waited < timeout_ms; waited += 50) {
            struct pollfd pf = {.fd = w->fd, .events = POLLOUT};
            poll(&pf, 1, 50);
        }
        close(w->fd);
        w->fd = -1;
    }
    if (w->pid <= 0)
        return;
    /* It writes what the pipe holds, then sees the end of it. */
    int pfd = (int)syscall(SYS_pidfd_open, w->pid, 0);
    if (pfd >= 0) {
        struct pollfd pf = {.fd = pfd, .events = POLLIN};
        if (poll(&pf, 1, (int)timeout_ms) == 0) {
            fprintf(stderr, "rtinit: the log writer did not finish in %u ms; killing it\n", timeout_ms);
            kill(w->pid, SIGKILL);
        }
        close(pfd);
    } else {
        kill(w->pid, SIGKILL);
    }
    while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    w->pid = -1;
}
