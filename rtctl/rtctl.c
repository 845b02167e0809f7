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

/* One row a verb (rtctl.h, struct verb): its help is here with it, so a
 * new verb is one row. Groups and the order of the rows are the order of
 * `rtctl help`. */
const struct verb rtctl_verbs[] = {
    /* ---------- Services ---------- */
    {.name = "status", .options_anywhere = true, .fn = cmd_status, .group = VG_SERVICES,
     .summary = "each service's state, health, usage, image and address, and why",
     .usage = "status [--json] [SERVICE...]",
     .about = "One line a service: state (running, starting, stopped, failed...), health, pid,\n"
              "restarts, uptime, CPU time and memory from its cgroup ('-' where the kernel has no such\n"
              "controller), image (name@digest), address, published ports, and a note: what it waits\n"
              "for, its last check, why it failed. Asks rtinit over its control socket (root only).",
     .options = "-j, --json\tevery field of every service as JSON (docs/schema/rtctl.schema.json)",
     .example = "rtctl status\n"
                "rtctl status --json api | jq .[0].health"},
    {.name = "ps", .options_anywhere = true, .fn = cmd_status, .group = VG_SERVICES, .alias_of = "status",
     .summary = "the same as status"},
    {.name = "inspect", .options_anywhere = true, .fn = cmd_inspect, .group = VG_SERVICES,
     .summary = "one service as it runs: configuration, container, usage, checks",
     .usage = "inspect [--json] SERVICE",
     .about = "Its state; its configuration as config check prints it (secrets redacted); its\n"
              "container's address, gateway, MAC, veth, cgroup, root and mounts; its usage; its last\n"
              "health checks.",
     .options = "-j, --json\tthe same as JSON",
     .example = "rtctl inspect redis\n"
                "rtctl inspect --json api"},
    {.name = "stats", .options_anywhere = true, .fn = cmd_stats, .group = VG_SERVICES,
     .summary = "live CPU %, memory, pids, network and block I/O per service",
     .usage = "stats [--no-stream] [--json] [SERVICE...]",
     .about = "As docker stats: redrawn every second on a terminal, from the services' cgroups and\n"
              "their veths. A number the kernel does not give here is '-', never 0.",
     .options = "--no-stream\tone reading, then exit\n"
                "--json\tone JSON object a line, a reading a second (with --no-stream, one)",
     .example = "rtctl stats --no-stream\n"
                "rtctl stats --json api gateway"},
    {.name = "logs", .options_anywhere = true, .fn = cmd_logs, .group = VG_SERVICES,
     .summary = "services' logs, merged in time order; -f follows them",
     .usage = "logs [-f] [-n N] [--since WHEN] [--until WHEN] [-t|--no-timestamps] [--no-color]\n"
              "     [--no-prefix] [SERVICE...]",
     .about = "Prints the log files rtinit keeps ([logging] dir: NAME.log and the rotated NAME.log.1,\n"
              "NAME.log.2...), oldest line first. Several services are merged by time, each line\n"
              "after its service's name; with no SERVICE, every service in conf.d. SERVICE rtinit is\n"
              "rtinit's own log. Reads the files only: works while rtinit is down.",
     .options = "-f, --follow\tkeep printing new lines as they come, across rotations, until interrupted\n"
                "-n, --lines N\tonly the last N lines of each service (default: all; --tail N too)\n"
                "--since WHEN\tonly lines from WHEN on: a duration before now (30s, 10m, 1h30m) or a\n"
                "\ttime (2026-11-26T02:10:00Z, 2026-11-26 02:10, 02:10), local unless Z or +HH:MM\n"
                "--until WHEN\tonly lines up to WHEN (the same forms); with -f, follow until then\n"
                "-t, --timestamps\tstart each line with its time, in UTC (the default)\n"
                "--no-timestamps\tleave the times out\n"
                "--no-color\tno colour in the names (none either when stdout is not a terminal or\n"
                "\tNO_COLOR is set)\n"
                "--no-prefix\tno service name before each line",
     .example = "rtctl logs -f -n 20 api gateway\n"
                "rtctl logs --since 1h --until 30m --no-timestamps redis\n"
                "rtctl logs -n 50 rtinit"},
    {.name = "start", .options_anywhere = true, .fn = cmd_start, .group = VG_SERVICES,
     .summary = "start stopped services and wait until they run",
     .usage = "start [-t SECONDS] SERVICE... | --all",
     .about = "Undoes rtctl stop: the service is started (after what it depends on) and rtctl waits\n"
              "until it runs. Exit status 1 when it fails to start or is not running in time.",
     .options = "-t, --timeout SECONDS\twait at most this long (default 60)\n"
                "-a, --all\tevery service (stop: the last started first)",
     .example = "rtctl start api"},
    {.name = "stop", .options_anywhere = true, .fn = cmd_stop, .group = VG_SERVICES,
     .summary = "stop services and keep them down until rtctl start",
     .usage = "stop [-t SECONDS] SERVICE... | --all",
     .about = "Sends the service its stop_signal, then SIGKILL after its stop_timeout, and waits until\n"
              "it is down. It stays down (no restart policy applies) until rtctl start.",
     .options = "-t, --timeout SECONDS\twait at most this long (default 60)\n"
                "-a, --all\tevery service (stop: the last started first)",
     .example = "rtctl stop search"},
    {.name = "restart", .options_anywhere = true, .fn = cmd_restart, .group = VG_SERVICES,
     .summary = "restart services in fresh containers",
     .usage = "restart [-t SECONDS] SERVICE... | --all",
     .options = "-t, --timeout SECONDS\twait at most this long (default 60)\n"
                "-a, --all\tevery service (stop: the last started first)",
     .example = "rtctl restart -t 120 api gateway"},
    {.name = "kill", .options_anywhere = true, .fn = cmd_kill, .group = VG_SERVICES,
     .summary = "send services' main processes a signal (SIGKILL)",
     .usage = "kill [-s SIGNAL] SERVICE...",
     .about = "As docker kill. The service then ends or not as the signal makes it, and its restart\n"
              "policy decides what follows (always: started again; no: left failed).",
     .options = "-s, --signal SIGNAL\tthe signal, by name (SIGHUP, HUP) or number (default SIGKILL)",
     .example = "rtctl kill -s HUP gateway\n"
                "rtctl kill api"},
    {.name = "exec", .fn = cmd_exec, .group = VG_SERVICES,
     .summary = "run a command in a running service's container",
     .usage = "exec [-i] [-t] [-u USER] [-e NAME=VALUE] [-w DIR] SERVICE COMMAND [ARG...]",
     .about = "The command joins the container's namespaces and cgroup, with its limits, capabilities\n"
              "and seccomp filter. SERVICE is the container's name: a service's, or a --name of\n"
              "rtctl run. rtctl exits with the command's status (128+N when killed by signal N).\n"
              "With -t it gets a terminal of the container's own devpts, as docker exec -it.",
     .options = "-i, --interactive\tpass stdin to the command (without -i it reads /dev/null, as\n"
                "\twith docker); with -t, your terminal's input, raw\n"
                "-t, --tty\ta pseudo-terminal inside the container; window-size changes passed on\n"
                "-u, --user USER\trun as USER (name or uid[:gid]; default: the service's user)\n"
                "-e, --env NAME[=VALUE]\tset a variable (NAME alone: rtctl's own value); repeatable\n"
                "-w, --workdir DIR\tthe working directory (default the service's)",
     .example = "rtctl exec redis redis-cli info memory\n"
                "rtctl exec -it -u root api sh"},
    {.name = "health", .options_anywhere = true, .fn = cmd_health, .group = VG_SERVICES,
     .summary = "a service's last health checks and what they printed",
     .usage = "health SERVICE",
     .example = "rtctl health api"},
    /* ---------- Configuration ---------- */
    {.name = "config", .fn = cmd_config, .group = VG_CONFIG,
     .summary = "check conf.d; print the resolved plan",
     .usage = "config check [--quiet]",
     .about = "Reads every file of conf.d (--conf) as rtinit would and reports every problem at once,\n"
              "as FILE:LINE: key: message. Without problems, prints the plan: start order, resolved\n"
              "values, image defaults (with an image store), secrets redacted. Exit status 1 on an\n"
              "error (warnings allowed).",
     .options = "-q, --quiet\tonly the problems, not the plan",
     .example = "rtctl config check\n"
                "rtctl config check --quiet --conf ./conf.d && rtctl reload"},
    {.name = "reload", .fn = cmd_reload, .group = VG_CONFIG,
     .summary = "apply conf.d: restart what changed, start new, stop removed",
     .usage = "reload [--dry-run]",
     .about = "As SIGHUP to rtinit. An invalid conf.d, or one naming an image the store lacks, is\n"
              "refused with its errors and nothing changes.",
     .options = "-n, --dry-run\tsay what a reload would do (and which keys changed), change nothing",
     .example = "rtctl reload --dry-run && rtctl reload"},
    /* ---------- Images ---------- */
    {.name = "image", .fn = cmd_image, .group = VG_IMAGES,
     .summary = "import, list, inspect, remove, mount images; gc layers",
     .usage = "image import [--max-bytes SIZE] [--max-entries N] [--min-free SIZE|PCT%] [--quiet]\n"
              "             PATH [NAME[:TAG]]\n"
              "image ls\n"
              "image inspect IMAGE\n"
              "image rm [--force] IMAGE\n"
              "image gc\n"
              "image mount [--flatten] IMAGE\n"
              "image unmount IMAGE",
     .about = "import: an OCI layout, an OCI archive or a docker-save tarball (made elsewhere and copied\n"
              "  over) into the store. ls: the stored images. inspect: manifest and config, as JSON.\n"
              "rm: forget a name (refused while a service in conf.d uses it). gc: remove the layers no\n"
              "image uses. mount: mount an image's root read-only and print where; unmount.",
     .options = "--max-bytes SIZE\timport: refuse an image over SIZE unpacked (default 16G; 0: no limit)\n"
                "--max-entries N\timport: refuse a layer of more than N entries (default 2000000)\n"
                "--min-free SIZE|PCT%\timport: stop rather than leave less free on the store's file\n"
                "\tsystem (default: 1G or 5%, whichever is more; 0: no floor)\n"
                "-q, --quiet\timport: print nothing but errors\n"
                "-f, --force\trm: remove a name a service in conf.d uses\n"
                "--flatten\tmount: merge the layers into one directory instead of overlayfs",
     .example = "rtctl image import /root/redis-7.tar redis:7\n"
                "rtctl image ls\n"
                "rtctl image rm redis:6 && rtctl image gc"},
    /* ---------- Containers ---------- */
    {.name = "run", .fn = cmd_run, .group = VG_CONTAINERS,
     .summary = "run a one-off container from an image, in the foreground",
     .usage = "run [-i] [-t] [--rm] [--name NAME] [-u USER] [-e NAME=VALUE] [-v SRC:DST[:ro]]\n"
              "    [--tmpfs DST] [-w DIR] [--hostname NAME] [--entrypoint PROG] [--read-only]\n"
              "    [--init] [--net bridge|none|host] [--memory SIZE] [--cpus N] [--pids N]\n"
              "    [--io-weight N] [--cap-add CAP] [--cap-drop CAP]\n"
              "    [--seccomp default|unconfined|PATH] [--device HOST[:CONTAINER][:rwm]]\n"
              "    IMAGE [COMMAND [ARG...]]",
     .about = "As docker run, with no daemon: stdin, stdout and stderr are the container's, signals\n"
              "to rtctl go to it, and rtctl exits with its status (128+N when killed by signal N).",
     .options = "-i, --interactive\tpass stdin to the container (without -i it reads /dev/null, as\n"
                "\twith docker); with -t, your terminal's input, raw\n"
                "-t, --tty\ta pseudo-terminal of the container's own devpts\n"
                "--rm\tremove the writable layer (and a bridge address) when it ends\n"
                "--name NAME\tthe container's name (default run-XXXXXXXX); also its hostname\n"
                "-u, --user USER\trun as USER (name or uid[:gid]; default the image's User, else root)\n"
                "-e, --env NAME[=VALUE]\tset a variable (NAME alone: rtctl's own value); repeatable\n"
                "-v, --volume SRC:DST[:ro]\tbind-mount the host's SRC (absolute) at DST; repeatable\n"
                "--tmpfs DST\ta tmpfs at DST (64 MiB, nosuid, nodev)\n"
                "-w, --workdir DIR\tthe working directory (default the image's, else /)\n"
                "--hostname NAME\tthe container's hostname (default its name)\n"
                "--entrypoint PROG\treplace the image's ENTRYPOINT (and drop its CMD)\n"
                "--read-only\tmount the root read-only\n"
                "--init\tthe runtime's small init as PID 1: signals passed on, orphans reaped\n"
                "--net bridge|none|host\tthe network: conf.d's bridge, only lo (the default), the host's\n"
                "--memory SIZE\tmemory.max (and no swap), e.g. 512M\n"
                "--cpus N\tcpu.max in CPUs, e.g. 0.5\n"
                "--pids N\tpids.max\n"
                "--io-weight N\tio.weight, 1 to 10000\n"
                "--cap-add CAP\tadd a capability to the default set (ALL for all); repeatable\n"
                "--cap-drop CAP\tdrop a capability (ALL for all); repeatable\n"
                "--seccomp default|unconfined|PATH\tthe system call filter: the default, none, or a\n"
                "\tDocker-format profile\n"
                "--device HOST[:CONTAINER][:rwm]\tpass a host device in; repeatable",
     .example = "rtctl run --rm -v /srv/data:/data:ro busybox:latest ls /data\n"
                "rtctl run --rm --net bridge --name probe busybox:latest wget -qO- http://api:3000/"},
    /* ---------- The droplet ---------- */
    {.name = "poweroff", .fn = cmd_poweroff, .group = VG_DROPLET,
     .summary = "stop every service, power the droplet off (PID 1 only)",
     .usage = "poweroff",
     .about = "Services stop in reverse dependency order, then the file systems are synced and\n"
              "unmounted. Returns once rtinit has taken the request.",
     .example = "rtctl poweroff"},
    {.name = "reboot", .fn = cmd_reboot, .group = VG_DROPLET,
     .summary = "stop every service, reboot the droplet (PID 1 only)",
     .usage = "reboot",
     .example = "rtctl reboot"},
    {.name = "halt", .fn = cmd_halt, .group = VG_DROPLET,
     .summary = "stop every service, halt without power-off (PID 1 only)",
     .usage = "halt",
     .example = "rtctl halt"},
    {.name = "version", .fn = cmd_version, .group = VG_DROPLET,
     .summary = "rtctl's version and protocol, and rtinit's",
     .about = "rtinit's is asked over its control socket; when it is not running, only rtctl's is\n"
              "printed (exit status 3).",
     .usage = "version",
     .example = "rtctl version"},
    /* ---------- Help ---------- */
    {.name = "help", .fn = cmd_help, .group = VG_HELP,
     .summary = "what a verb does, its options and an example",
     .usage = "help [VERB]\n"
              "help --verbs",
     .about = "rtctl VERB --help says the same. Exit status: 0 done, 1 it failed, 2 a wrong command\n"
              "line (its usage then goes to stderr), 3 rtinit is not reachable (no control socket, or\n"
              "nothing listens on it).",
     .options = "--verbs\tevery verb's name, one a line (for scripts and completion)",
     .example = "rtctl help logs"},
};
const size_t rtctl_nverbs = ARRAY_SIZE(rtctl_verbs);

const struct verb *rtctl_verb(const char *name)
{
    for (size_t i = 0; i < rtctl_nverbs; i++)
        if (streq(name, rtctl_verbs[i].name))
            return rtctl_verbs[i].alias_of ? rtctl_verb(rtctl_verbs[i].alias_of) : &rtctl_verbs[i];
    return NULL;
}

/* Name the option getopt_long refused. A long one is the word getopt
 * just passed (argv[optind - 1]); a short one may sit inside a group
 * ("-it", "-xu") where optind has not moved on yet, and argv[optind - 1]
 * is the word before it ("unknown option 'exec'"): it is named by its
 * letter, optopt. glibc's optopt is 0 for an unknown long option, and
 * the option's value for a long option given a value it does not take
 * (--rm=1) or missing one. */
static void bad_option(struct rtctl *ctl, int argc, char **argv, int opt, const struct option *all, const char *usage_line)
{
    const char *prev = optind >= 1 && optind - 1 < argc ? argv[optind - 1] : "";
    size_t nlen = strcspn(prev, "=");
    bool is_long = false;
    if (startswith(prev, "--")) {
        is_long = optopt == 0 || (opt == ':' && !prev[nlen]);
        for (const struct option *o = all; !is_long && o->name; o++)
            is_long = o->val == optopt && strlen(o->name) == nlen - 2 && !strncmp(o->name, prev + 2, nlen - 2) &&
                      (opt == ':' || (prev[nlen] == '=' && o->has_arg == no_argument));
    }
    char name[128];
    if (is_long)
        snprintf(name, sizeof(name), "%.*s", (int)nlen, prev);
    else if (optopt > ' ' && optopt < 127)
        snprintf(name, sizeof(name), "-%c", optopt);
    else
        snprintf(name, sizeof(name), "%s", prev);
    char msg[192];
    if (opt == ':')
        snprintf(msg, sizeof(msg), "option '%s' needs a value", name);
    else if (is_long && prev[nlen] == '=' && optopt)
        snprintf(msg, sizeof(msg), "option '%s' takes no value", name);
    else
        snprintf(msg, sizeof(msg), "unknown option '%s'", name);
    /* a verb without its own usage line: its usage from the verbs table */
    if (usage_line)
        log_msg(&ctl->log, LOG_ERR, "%s\nusage: %s", msg, usage_line);
    else
        rtctl_usage_error(ctl, "%s", msg);
}

int rtctl_getopt(struct rtctl *ctl, int argc, char **argv, const char *shortopts, const struct option *longopts,
                 int (*on_opt)(struct rtctl *ctl, int opt, const char *arg, void *ud), void *ud,
                 const char *usage_line)
{
    /* a verb's own long options use values below these */
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
     * the command line given to `exec`) are never taken for ours; a verb
     * of service names only takes options after them too (getopt moves
     * the operands to the end, and `--` still ends the options). ':' makes
     * getopt report a missing argument as ':' so we word the error. */
    snprintf(spec, sizeof(spec), "%s:%sh", ctl->verb && ctl->verb->options_anywhere ? "" : "+",
             shortopts ? shortopts : "");
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
            if (ctl->verb)
                rtctl_help_verb(stdout, ctl->verb);
            else
                rtctl_help_overview(stdout);
            exit(fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL);
        case ':':
        case '?':
            bad_option(ctl, argc, argv, opt, all, usage_line);
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
                             on_global_opt, NULL, "rtctl [--conf DIR] [--root DIR] VERB [ARGS...]");
    if (first < 0)
        return EXIT_USAGE;
    if (first >= argc) {
        /* no verb: the overview is the usage, a usage error's */
        rtctl_help_overview(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[first];
    const struct verb *v = rtctl_verb(name);
    if (!v) {
        const char *names[rtctl_nverbs];
        for (size_t i = 0; i < rtctl_nverbs; i++)
            names[i] = rtctl_verbs[i].name;
        const char *dym = did_you_mean(name, names, rtctl_nverbs);
        if (dym)
            log_msg(&ctl.log, LOG_ERR, "unknown command '%s' (did you mean '%s'?); see 'rtctl help'", name, dym);
        else
            log_msg(&ctl.log, LOG_ERR, "unknown command '%s'; see 'rtctl help'", name);
        return EXIT_USAGE;
    }
    ctl.verb = v;
    /* `rtctl VERB --help`, for the verbs with subcommands too (image,
     * config), before they look at their arguments */
    if (first + 1 < argc && (streq(argv[first + 1], "--help") || streq(argv[first + 1], "-h"))) {
        rtctl_help_verb(stdout, v);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
    }
    /* exec's process is visible in the container before it execs: it
     * must not show our binary there (runtime/selfexe.c) */
    struct rt_err err;
    if (v->fn == cmd_exec && ctr_seal_self(argv, &err) < 0) {
        log_msg(&ctl.log, LOG_ERR, "%s", err.msg);
        return EXIT_FAIL;
    }
    return v->fn(&ctl, argc - first, argv + first);
}
