/* rtinit - the droplet's init and service supervisor.
 *
 * `rtinit --check` reads and checks conf.d with exactly the code rtctl
 * uses. Without --check it supervises the services (supervisor.c). This
 * build does so as a plain process; PID 1's own duties and reload come in
 * later increments of issue 5. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include "../images/defaults.h"
#include "../config/check.h"
#include "../config/conf.h"
#include "../config/diag.h"
#include "../lib/log.h"
#include "../lib/paths.h"
#include "../runtime/container.h"
#include "pid1.h"
#include "supervisor.h"

#ifndef RT_VERSION
#define RT_VERSION "dev"
#endif

static const char usage_line[] = "rtinit [--conf DIR] [--root DIR] [--check]";

/* As PID 1 with nothing to supervise (conf.d unreadable or invalid, or
 * the loop could not be set up): wait for the signal that ends the
 * machine. PID 1 never exits. */
static int wait_for_end(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    for (;;) {
        int sig;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGCHLD) {
            while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
            continue;
        }
        return sig;
    }
}

static enum pid1_end end_for(int sig)
{
    return sig == SIGINT || sig == SIGUSR2 ? PID1_REBOOT : sig == SIGUSR1 ? PID1_HALT : PID1_POWEROFF;
}

/* A service file with errors leaves out its service, and the others
 * start: at boot nothing runs yet, and refusing everything for one typo
 * would leave the droplet with no service at all, sshd included. Rounds,
 * since leaving one out can break what depends on it (its depends_on
 * line is then the error). An error that belongs to no service file
 * (droplet.conf, a secrets file) still refuses everything. */
#define BOOT_ROUNDS 8

static bool in_list(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], s))
            return true;
    return false;
}

/* The service files with errors in c, added to skip (with why); false
 * when an error is not in a service file, or none is new. */
static bool skip_broken(const struct conf *c, char **skip, size_t *nskip, struct skipped_svc *sk, size_t *nsk,
                        const struct logger *lg)
{
    bool added = false;
    for (size_t i = 0; i < c->diags.n; i++) {
        const struct diag *g = &c->diags.v[i];
        if (g->level != DIAG_ERROR)
            continue;
        const char *f = g->at.file;
        size_t dl = strlen(c->dir);
        if (!f || strncmp(f, c->dir, dl) || f[dl] != '/' || strchr(f + dl + 1, '/') || !strcmp(f, c->droplet.file) ||
            strlen(f) < 6 || strcmp(f + strlen(f) - 5, ".conf"))
            return false;
        if (in_list(skip, *nskip, f))
            continue;
        if (*nskip >= MAX_SKIPPED || !(skip[*nskip] = strdup(f)))
            return false;
        struct skipped_svc *k = &sk[(*nsk)++];
        const char *base = f + dl + 1;
        snprintf(k->name, sizeof(k->name), "%.*s", (int)(strlen(base) - 5), base);
        diag_format(g, k->why, sizeof(k->why));
        log_msg(lg, LOG_ERR, "%s: not started: %s (the others start; fix it, then rtctl reload)", k->name, k->why);
        (*nskip)++;
        added = true;
    }
    return added;
}

/* conf.d at boot, planned, with broken service files left out (sk). */
static struct plan *boot_plan(const struct rt_paths *paths, struct image_lookup *lk, struct conf **cp,
                              struct skipped_svc *sk, size_t *nsk, const struct logger *lg)
{
    char *skip[MAX_SKIPPED];
    size_t nskip = 0;
    struct plan *p = NULL;
    for (int round = 0; round < BOOT_ROUNDS; round++) {
        if (round) {
            struct rt_err err;
            conf_free(*cp);
            *cp = conf_load_skipping(paths, (const char *const *)skip, nskip, &err);
            if (!*cp) {
                log_msg(lg, LOG_ERR, "%s", err.msg);
                break;
            }
        }
        struct conf *c = *cp;
        /* An image missing from the store is an error here, as at a
         * reload: the service is left out with that reason (import it,
         * then rtctl reload), instead of failing every start with a plan
         * that lacks the image's command and user. */
        p = plan_build_flags(c, lk ? image_lookup : NULL, lk, PLAN_NEED_IMAGES);
        if (!p) {
            log_msg(lg, LOG_ERR, "out of memory");
            break;
        }
        if (round == 0)
            diag_print(&c->diags, stderr); /* every problem, warnings too, once */
        if (!c->diags.errors)
            break;
        if (!skip_broken(c, skip, &nskip, sk, nsk, lg)) {
            if (round)
                diag_print(&c->diags, stderr);
            log_msg(lg, LOG_ERR, "%s: %zu error%s; nothing was started", c->dir, c->diags.errors,
                    c->diags.errors == 1 ? "" : "s");
            p = NULL;
            break;
        }
        p = NULL;
    }
    for (size_t i = 0; i < nskip; i++)
        free(skip[i]);
    return p;
}

/* Supervise: load and plan conf.d (a service file with errors is left
 * out, see boot_plan), then run it. As PID 1, the system comes up first
 * (hostname, modules, the block volume), and goes down at the end. */
static int run(const struct logger *lg, const struct rt_paths *paths, struct image_lookup *lk, bool pid1)
{
    if (geteuid() != 0) {
        log_msg(lg, LOG_ERR, "supervising services needs root (namespaces, mounts, cgroups)");
        if (lk)
            image_lookup_close(lk);
        return 1;
    }
    struct rt_err err;
    struct conf *c = conf_load(paths, &err);
    if (!c)
        log_msg(lg, LOG_ERR, "%s", err.msg);
    if (pid1)
        pid1_system(c, lg);
    struct skipped_svc *sk = calloc(MAX_SKIPPED, sizeof(*sk));
    size_t nsk = 0;
    if (!sk)
        log_msg(lg, LOG_ERR, "out of memory");
    struct plan *p = c && sk ? boot_plan(paths, lk, &c, sk, &nsk, lg) : NULL;
    /* The plan holds what it needs of the images; the store's lock file
     * (open for writing) would keep / from going read-only at the end. */
    if (lk)
        image_lookup_close(lk);
    int end = SIGTERM, r = 1;
    if (p)
        r = supervise(p, sk, nsk, paths, lg, &end);
    if (pid1) {
        if (r != 0) {
            log_msg(lg, LOG_ERR, "no service is running; waiting for a poweroff (SIGTERM) or reboot (SIGINT)");
            end = wait_for_end();
        }
        pid1_end(end_for(end), c, lg);
    }
    if (c)
        conf_free(c);
    free(sk);
    return r;
}

int main(int argc, char **argv)
{
    struct logger lg;
    log_init(&lg, "rtinit");
    /* As PID 1 nothing may end main(): the kernel would panic. Bad
     * arguments (the kernel passes unknown command-line words to init)
     * are ignored, and the defaults used. */
    bool pid1 = getpid() == 1;
    if (pid1)
        pid1_early(&lg);
    /* Exec health checks enter containers: from here on we run from a
     * sealed copy of our binary (runtime/selfexe.c). Re-exec'd once, with
     * the same arguments; PID 1's mounts are made already and kept. */
    struct rt_err serr;
    if (ctr_seal_self(argv, &serr) < 0)
        log_msg(&lg, LOG_ERR, "%s; exec health checks will be refused", serr.msg);
    /* When the kernel's hand-over came (the initrd's time is before it),
     * for the boot's timeline (tools/droplet/timeline.sh). */
    struct timespec up;
    if (pid1 && clock_gettime(CLOCK_BOOTTIME, &up) == 0)
        log_msg(&lg, LOG_INFO, "PID 1 (rtinit %s), %ld.%02ld s after the kernel started", RT_VERSION, (long)up.tv_sec,
                up.tv_nsec / 10000000);
    const char *conf_dir = NULL, *root = NULL;
    bool check = false;
    static const struct option opts[] = {
        {"conf", required_argument, NULL, 'c'}, {"root", required_argument, NULL, 'r'},
        {"check", no_argument, NULL, 'k'},      {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},    {0},
    };
    opterr = 0;
    for (;;) {
        int o = getopt_long(argc, argv, ":hV", opts, NULL);
        if (o == -1)
            break;
        switch (o) {
        case 'c': conf_dir = optarg; break;
        case 'r': root = optarg; break;
        case 'k': check = true; break;
        case 'h':
            if (pid1)
                break;
            printf("usage: %s\n", usage_line);
            return 0;
        case 'V':
            if (pid1)
                break;
            printf("rtinit %s\n", RT_VERSION);
            return 0;
        case ':':
            log_msg(&lg, LOG_ERR, "option '%s' needs a value\nusage: %s", argv[optind - 1], usage_line);
            if (!pid1)
                return 2;
            break;
        default:
            log_msg(&lg, LOG_ERR, "unknown option '%s'\nusage: %s", argv[optind - 1], usage_line);
            if (!pid1)
                return 2;
        }
    }
    if (optind < argc && !pid1) {
        log_msg(&lg, LOG_ERR, "unexpected argument '%s'\nusage: %s", argv[optind], usage_line);
        return 2;
    }
    if (pid1)
        check = false;
    struct rt_paths paths;
    struct rt_err err;
    if (rt_paths_init(&paths, conf_dir, root, &err) < 0 &&
        (log_msg(&lg, LOG_ERR, "%s", err.msg), !pid1 || rt_paths_init(&paths, NULL, NULL, &err) < 0)) {
        if (!pid1)
            return 1;
        pid1_end(end_for(wait_for_end()), NULL, &lg);
    }
    struct image_lookup lk;
    int have = image_lookup_open(&lk, &paths, &err);
    bool unreadable = false;
    if (have < 0 && err.errnum == EACCES) {
        log_msg(&lg, LOG_WARN, "%s; images are not checked (run as root to check them)", err.msg);
        have = 0;
        unreadable = true;
    } else if (have < 0) {
        log_msg(&lg, LOG_ERR, "%s", err.msg);
        if (!pid1)
            return 1;
        have = 0;
    }
    if (!check) {
        return run(&lg, &paths, have ? &lk : NULL, pid1); /* run() closes lk */
    }
    /* --check says whether rtinit would run conf.d here: an image missing
     * from the store (or no store at all) is an error, as at a reload. */
    int r = config_check(&paths, true, have ? image_lookup : NULL, &lk, unreadable ? 0 : PLAN_NEED_IMAGES, stdout,
                         stderr, &err);
    if (have)
        image_lookup_close(&lk);
    if (r < 0)
        log_msg(&lg, LOG_ERR, "%s", err.msg);
    return r == 0 ? 0 : 1;
}
