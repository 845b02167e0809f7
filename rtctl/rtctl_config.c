/* rtctl config check: validate conf.d and print the resolved plan, the
 * way `nginx -t` and `docker compose config` do. Problems go to stderr as
 * FILE:LINE: key: message, the plan to stdout. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../images/defaults.h"
#include "../config/check.h"
#include "../lib/paths.h"
#include "../lib/util.h"
#include "rtctl.h"

struct check_opts {
    bool quiet;
};

static int on_check_opt(struct rtctl *ctl, int opt, const char *arg, void *ud)
{
    (void)ctl;
    (void)arg;
    struct check_opts *o = ud;
    if (opt == 'q') {
        o->quiet = true;
        return 0;
    }
    return -1;
}

static int cmd_config_check(struct rtctl *ctl, int argc, char **argv)
{
    static const char *const use = "rtctl config check [--quiet] [--conf DIR] [--root DIR]";
    struct check_opts o = {0};
    int i = rtctl_getopt(ctl, argc, argv, "q", (const struct option[]){{"quiet", no_argument, NULL, 'q'}, {0}},
                         on_check_opt, &o, use);
    if (i < 0)
        return EXIT_USAGE;
    if (i < argc) {
        log_msg(&ctl->log, LOG_ERR, "unexpected argument '%s'\nusage: %s", argv[i], use);
        return EXIT_USAGE;
    }
    struct rt_paths paths;
    struct rt_err err;
    if (rt_paths_init(&paths, ctl->conf_dir, ctl->root, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        return EXIT_FAIL;
    }
    /* With an image store, images' configs fill in what services leave
     * unset, and an image missing from it is an error, as for rtinit
     * --check and a reload; without one (nothing imported yet, or a
     * machine that only checks conf.d) the check is of conf.d alone. */
    struct image_lookup lk;
    int have = image_lookup_open(&lk, &paths, &err);
    if (have < 0 && err.errnum == EACCES) {
        log_msg(&ctl->log, LOG_WARN, "%s; images are not checked (run as root to check them)", err.msg);
        have = 0;
    } else if (have < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        return EXIT_FAIL;
    }
    int r = config_check(&paths, !o.quiet, have ? image_lookup : NULL, &lk, have ? PLAN_NEED_IMAGES : 0, stdout,
                         stderr, &err);
    if (have)
        image_lookup_close(&lk);
    if (r < 0)
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
    return r == 0 ? EXIT_OK : EXIT_FAIL;
}

int cmd_config(struct rtctl *ctl, int argc, char **argv)
{
    static const char *const use = "rtctl config check [--quiet] [--conf DIR] [--root DIR]";
    if (argc < 2) {
        log_msg(&ctl->log, LOG_ERR, "missing subcommand\nusage: %s", use);
        return EXIT_USAGE;
    }
    if (streq(argv[1], "check"))
        return cmd_config_check(ctl, argc - 1, argv + 1);
    if (streq(argv[1], "-h") || streq(argv[1], "--help")) {
        printf("usage: %s\n", use);
        return EXIT_OK;
    }
    log_msg(&ctl->log, LOG_ERR, "unknown subcommand 'config %s'\nusage: %s", argv[1], use);
    return EXIT_USAGE;
}
