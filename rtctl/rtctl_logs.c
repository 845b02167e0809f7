/* rtctl logs: a service's log, from the files rtinit's log writer keeps
 * (LOGDIR/NAME.log and its rotated NAME.log.1, .2 ...), oldest line
 * first. `-n N` prints the last N lines, reaching into rotated files when
 * the current one has fewer; `-f` then follows the log, across rotations.
 * It reads files only, so it works while rtinit is down too. */
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
#include "../lib/fileio.h"
#include "../lib/paths.h"
#include "../lib/util.h"
#include "../runtime/container.h"
#include "rtctl.h"

static const char usage_logs[] = "rtctl logs [-n LINES] [-f] SERVICE   (SERVICE rtinit: rtinit's own log)";

struct logs_opts {
    long lines;                  /* -1: all */
    bool follow;
};

static int on_opt(struct rtctl *ctl, int opt, const char *arg, void *ud)
{
    struct logs_opts *o = ud;
    if (opt == 'f') {
        o->follow = true;
        return 0;
    }
    if (opt != 'n')
        return -1;
    char *end;
    long v = strtol(arg, &end, 10);
    if (*end || end == arg || v < 0) {
        log_msg(&ctl->log, LOG_ERR, "-n: '%s' is not a number of lines", arg);
        return -1;
    }
    o->lines = v;
    return 0;
}

static bool write_all(const char *p, size_t n)
{
    return fwrite(p, 1, n, stdout) == n;
}

/* The whole file (a log file is at most [logging] max_size), or NULL. */
static char *slurp(const char *path, size_t *len)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return NULL;
    char *buf = malloc((size_t)st.st_size + 1);
    size_t have = 0;
    while (buf && have < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    *len = have;
    return buf;
}

/* base for k = 0, else base.k (a rotated file) */
static void nth(char *p, size_t len, const char *base, int k)
{
    if (k)
        snprintf(p, len, "%s.%d", base, k);
    else
        snprintf(p, len, "%s", base);
}

/* Print the last `want` lines (all when want < 0) of base, base.1, ... */
static void print_tail(const char *base, long want)
{
    char p[PATH_MAX + 200];
    /* the oldest file first: find how far back the lines reach */
    int last = 0;
    for (int k = 1; k < 1000; k++) {
        nth(p, sizeof(p), base, k);
        if (access(p, F_OK) < 0)
            break;
        last = k;
    }
    long need = want;
    int from = last;
    size_t skip_in_from = 0; /* lines to skip in the oldest file printed */
    if (want >= 0) {
        from = 0;
        for (int k = 0; k <= last && need > 0; k++) {
            nth(p, sizeof(p), base, k);
            size_t len = 0;
            char *buf = slurp(p, &len);
            long n = 0;
            for (size_t i = 0; buf && i < len; i++)
                n += buf[i] == '\n';
            if (buf && len && buf[len - 1] != '\n')
                n++;
            free(buf);
            from = k;
            skip_in_from = n > need ? (size_t)(n - need) : 0;
            need -= n;
        }
        if (want == 0)
            return;
    }
    for (int k = from; k >= 0; k--) {
        nth(p, sizeof(p), base, k);
        size_t len = 0;
        char *buf = slurp(p, &len);
        if (!buf)
            continue;
        size_t off = 0;
        for (size_t s = k == from ? skip_in_from : 0; s > 0 && off < len; off++)
            if (buf[off] == '\n')
                s--;
        write_all(buf + off, len - off);
        free(buf);
    }
    fflush(stdout);
}

/* Print what is appended to path, reopening it when the writer rotates it
 * (a new file under the name). Until interrupted. */
static int follow(struct rtctl *ctl, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
        lseek(fd, 0, SEEK_END);
    char buf[65536];
    for (;;) {
        ssize_t n;
        while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
            if (!write_all(buf, (size_t)n))
                return EXIT_FAIL;
        }
        fflush(stdout);
        struct stat a, b;
        if (stat(path, &a) == 0 && (fd < 0 || (fstat(fd, &b) == 0 && (a.st_ino != b.st_ino || a.st_dev != b.st_dev)))) {
            /* rotated: the rest of the old file was read above */
            if (fd >= 0)
                close(fd);
            fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0 && errno != ENOENT) {
                log_msg(&ctl->log, LOG_ERR, "%s: %s", path, strerror(errno));
                return EXIT_FAIL;
            }
            continue;
        }
        struct timespec t = {.tv_nsec = 200 * 1000000};
        nanosleep(&t, NULL);
    }
}

int cmd_logs(struct rtctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"lines", required_argument, NULL, 'n'}, {"follow", no_argument, NULL, 'f'}, {0}};
    struct logs_opts o = {.lines = -1};
    int i = rtctl_getopt(ctl, argc, argv, "n:f", opts, on_opt, &o, usage_logs);
    if (i < 0)
        return EXIT_USAGE;
    if (i >= argc) {
        log_msg(&ctl->log, LOG_ERR, "which service?\nusage: %s", usage_logs);
        return EXIT_USAGE;
    }
    if (i + 1 < argc) {
        log_msg(&ctl->log, LOG_ERR, "unexpected argument '%s' (one service at a time)\nusage: %s", argv[i + 1],
                usage_logs);
        return EXIT_USAGE;
    }
    const char *name = argv[i];
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
    bool known = !strcmp(name, "rtinit");
    struct conf *c = conf_load(&paths, &err);
    if (c) {
        if (c->droplet.logging.dir)
            snprintf(dir, sizeof(dir), "%s", c->droplet.logging.dir);
        known |= conf_find(c, name) != NULL;
        conf_free(c);
    }
    char path[PATH_MAX + 80];
    snprintf(path, sizeof(path), "%s/%s.log", dir, name);
    if (!ctr_name_ok(name) || (!known && access(path, F_OK) < 0)) {
        log_msg(&ctl->log, LOG_ERR, "no service '%s' in %s, and no log %s", name, paths.conf_dir, path);
        return EXIT_FAIL;
    }
    if (access(path, F_OK) < 0 && !o.follow) {
        log_msg(&ctl->log, LOG_WARN, "%s: no log yet", path);
        return EXIT_OK;
    }
    print_tail(path, o.lines);
    return o.follow ? follow(ctl, path) : EXIT_OK;
}
