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
#include <unistd.h>

#include "../images/defaults.h"
#include "../lib/check.h"
#include "../lib/conf.h"
#include "../lib/diag.h"
#include "../lib/log.h"
#include "../lib/paths.h"
#include "supervisor.h"

#ifndef RT_VERSION
#define RT_VERSION "dev"
#endif

static const char usage_line[] = "rtinit [--conf DIR] [--root DIR] [--check]";

/* Supervise: load and plan conf.d (an invalid one is refused whole,
 * with every problem), then run it. */
static int run(const struct logger *lg, const struct rt_paths *paths, struct image_lookup *lk)
{
    if (geteuid() != 0) {
        log_msg(lg, LOG_ERR, "supervising services needs root (namespaces, mounts, cgroups)");
        return 1;
    }
    struct rt_err err;
    struct conf *c = conf_load(paths, &err);
    if (!c) {
        log_msg(lg, LOG_ERR, "%s", err.msg);
        return 1;
    }
    struct plan *p = plan_build(c, lk ? image_lookup : NULL, lk);
    if (!p) {
        log_msg(lg, LOG_ERR, "out of memory");
        conf_free(c);
        return 1;
    }
    diag_print(&c->diags, stderr);
    if (c->diags.errors) {
        log_msg(lg, LOG_ERR, "%s: %zu error%s; nothing was started", c->dir, c->diags.errors,
                c->diags.errors == 1 ? "" : "s");
        conf_free(c);
        return 1;
    }
    int r = supervise(p, paths, lg);
    conf_free(c);
    return r;
}

int main(int argc, char **argv)
{
    struct logger lg;
    log_init(&lg, "rtinit");
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
        case 'h': printf("usage: %s\n", usage_line); return 0;
        case 'V': printf("rtinit %s\n", RT_VERSION); return 0;
        case ':':
            log_msg(&lg, LOG_ERR, "option '%s' needs a value\nusage: %s", argv[optind - 1], usage_line);
            return 2;
        default:
            log_msg(&lg, LOG_ERR, "unknown option '%s'\nusage: %s", argv[optind - 1], usage_line);
            return 2;
        }
    }
    if (optind < argc) {
        log_msg(&lg, LOG_ERR, "unexpected argument '%s'\nusage: %s", argv[optind], usage_line);
        return 2;
    }
    struct rt_paths paths;
    struct rt_err err;
    if (rt_paths_init(&paths, conf_dir, root, &err) < 0) {
        log_msg(&lg, LOG_ERR, "%s", err.msg);
        return 1;
    }
    struct image_lookup lk;
    int have = image_lookup_open(&lk, &paths, &err);
    if (have < 0 && err.errnum == EACCES) {
        log_msg(&lg, LOG_WARN, "%s; images are not checked (run as root to check them)", err.msg);
        have = 0;
    } else if (have < 0) {
        log_msg(&lg, LOG_ERR, "%s", err.msg);
        return 1;
    }
    if (!check) {
        int rc = run(&lg, &paths, have ? &lk : NULL);
        if (have)
            image_lookup_close(&lk);
        return rc;
    }
    int r = config_check(&paths, true, have ? image_lookup : NULL, &lk, stdout, stderr, &err);
    if (have)
        image_lookup_close(&lk);
    if (r < 0)
        log_msg(&lg, LOG_ERR, "%s", err.msg);
    return r == 0 ? 0 : 1;
}
