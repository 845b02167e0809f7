/* rtinit - the droplet's init and service supervisor.
 *
 * This build reads and checks conf.d (`rtinit --check`), with exactly the
 * code rtctl uses. Supervising services (PID 1 duties, dependency order,
 * health checks, restarts, logs) is tracked in issue 5 and lands on top of
 * the plan this produces. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../images/defaults.h"
#include "../lib/check.h"
#include "../lib/log.h"
#include "../lib/paths.h"

#ifndef RT_VERSION
#define RT_VERSION "dev"
#endif

static const char usage_line[] = "rtinit [--conf DIR] [--root DIR] --check";

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
    if (!check) {
        log_msg(&lg, LOG_ERR, "this build can only check the configuration (--check); "
                              "supervising services comes with issue 5");
        return 2;
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
    int r = config_check(&paths, true, have ? image_lookup : NULL, &lk, stdout, stderr, &err);
    if (have)
        image_lookup_close(&lk);
    if (r < 0)
        log_msg(&lg, LOG_ERR, "%s", err.msg);
    return r == 0 ? 0 : 1;
}
