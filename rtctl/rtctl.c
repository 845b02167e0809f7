/* rtctl - the admin tool of the droplet.
 *
 * One binary, git-style subcommands. Global options may come before the
 * subcommand or after it: `rtctl --conf d config check` and
 * `rtctl config check --conf d` mean the same. */
#include "rtctl.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/util.h"
#include "../runtime/container.h"

#ifndef RT_VERSION
#define RT_VERSION "dev"
#endif

static const struct command {
    const char *name;
    int (*fn)(struct rtctl *, int, char **);
    const char *summary;
} commands[] = {
    {"config", cmd_config, "check conf.d and print the resolved plan (config check)"},
    {"image", cmd_image, "import, list, inspect, remove, mount images; collect unused layers"},
    {"run", cmd_run, "run a container from an image in the foreground"},
    {"exec", cmd_exec, "run a command inside a running container"},
    {"status", cmd_status, "the services rtinit supervises: state, health, pid, restarts"},
    {"logs", cmd_logs, "a service's log (-n LINES, -f to follow)"},
    {"stop", cmd_stop, "stop services and keep them down"},
    {"start", cmd_start, "start services again"},
    {"restart", cmd_restart, "restart services"},
    {"kill", cmd_kill, "send a signal (SIGKILL) to services; their restart policy decides what follows"},
    {"health", cmd_health, "a service's last health checks, with what they printed"},
    {"reload", cmd_reload, "read conf.d again: restart what changed, start what is new, stop what is gone"},
    {"poweroff", cmd_poweroff, "stop every service and power the droplet off (rtinit as PID 1 only)"},
    {"reboot", cmd_reboot, "stop every service and reboot the droplet (rtinit as PID 1 only)"},
    {"halt", cmd_halt, "stop every service and halt the droplet, not powering it off (PID 1 only)"},
    {"version", cmd_version, "rtctl's version and protocol, and rtinit's"},
};

static void usage(FILE *out)
{
    fputs("usage: rtctl [--conf DIR] [--root DIR] COMMAND [ARGS...]\n\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("  help       show this help\n\n"
          "Options:\n"
          "  --conf DIR  service definitions (default " "/etc/rt/conf.d" ")\n"
          "  --root DIR  keep state, run files and the control socket under DIR\n"
          "              (default /var/lib/rt, /run/rt)\n\n"
          "Exit status: 0 done, 1 failed or refused, 2 wrong command line,\n"
          "3 rtinit not reachable (no control socket, or nothing listens on it).\n",
          out);
}

int rtctl_getopt(struct rtctl *ctl, int argc, char **argv, const char *shortopts, const struct option *longopts,
                 int (*on_opt)(struct rtctl *ctl, int opt, const char *arg, void *ud), void *ud,
                 const char *usage_line)
{
    enum { OPT_CONF = 1000, OPT_ROOT, OPT_HELP };
    struct option all[32];
    size_t n = 0;
    for (const struct option *o = longopts; o && o->name && n < ARRAY_SIZE(all) - 4; o++)
        all[n++] = *o;
    all[n++] = (struct option){"conf", required_argument, NULL, OPT_CONF};
    all[n++] = (struct option){"root", required_argument, NULL, OPT_ROOT};
    all[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
    all[n] = (struct option){0};
    char spec[64];
    /* '+': stop at the first operand, so a command's own arguments (say,
     * the command line given to `exec`) are never taken for ours. ':' makes
     * getopt report a missing argument as ':' so we word the error. */
    snprintf(spec, sizeof(spec), "+:%sh", shortopts ? shortopts : "");
    optind = 0; /* glibc: 0 resets getopt's state fully between parses */
    opterr = 0;
    for (;;) {
        int opt = getopt_long(argc, argv, spec, all, NULL);
        if (opt == -1)
            break;
        switch (opt) {
        case OPT_CONF:
            ctl->conf_dir = optarg;
            break;
        case OPT_ROOT:
            /* made absolute by rt_paths_init (lib/paths.c) */
            ctl->root = optarg;
            break;
        case 'h':
        case OPT_HELP:
            printf("usage: %s\n", usage_line);
            exit(EXIT_OK);
        case ':':
            log_msg(&ctl->log, LOG_ERR, "option '%s' needs a value\nusage: %s", argv[optind - 1], usage_line);
            return -1;
        case '?':
            log_msg(&ctl->log, LOG_ERR, "unknown option '%s'\nusage: %s", argv[optind - 1], usage_line);
            return -1;
        default:
            if (!on_opt || on_opt(ctl, opt, optarg, ud) < 0)
                return -1;
        }
    }
    return optind;
}

static int on_global_opt(struct rtctl *ctl, int opt, const char *arg, void *ud)
{
    (void)ctl;
    (void)arg;
    (void)ud;
    if (opt != 'V')
        return -1;
    printf("rtctl %s\n", RT_VERSION);
    exit(EXIT_OK);
}

int main(int argc, char **argv)
{
    struct rtctl ctl = {0};
    log_init(&ctl.log, "rtctl");
    int first = rtctl_getopt(&ctl, argc, argv, "V", (const struct option[]){{"version", no_argument, NULL, 'V'}, {0}},
                             on_global_opt, NULL, "rtctl [--conf DIR] [--root DIR] COMMAND [ARGS...]");
    if (first < 0)
        return EXIT_USAGE;
    if (first >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[first];
    if (streq(name, "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    /* exec's process is visible in the container before it execs: it
     * must not show our binary there (runtime/selfexe.c) */
    struct rt_err err;
    if (streq(name, "exec") && ctr_seal_self(argv, &err) < 0) {
        log_msg(&ctl.log, LOG_ERR, "%s", err.msg);
        return EXIT_FAIL;
    }
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        if (streq(name, commands[i].name))
            return commands[i].fn(&ctl, argc - first, argv + first);
    const char *names[ARRAY_SIZE(commands) + 1];
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        names[n++] = commands[i].name;
    names[n++] = "help";
    const char *dym = did_you_mean(name, names, n);
    if (dym)
        log_msg(&ctl.log, LOG_ERR, "unknown command '%s' (did you mean '%s'?); see 'rtctl help'", name, dym);
    else
        log_msg(&ctl.log, LOG_ERR, "unknown command '%s'; see 'rtctl help'", name);
    return EXIT_USAGE;
}
