/* rtctl.h - what the rtctl subcommands share. */
#ifndef RTCTL_H
#define RTCTL_H

#include "../lib/log.h"

/* Exit statuses: 0 success, 1 the request failed (bad configuration,
 * missing image...), 2 the command line itself was wrong, 3 rtinit could
 * not be reached (no control socket, or nothing listens on it): a script
 * can tell "rtinit said no" from "no rtinit here". */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

struct rtctl {
    struct logger log;
    const char *conf_dir;  /* --conf, NULL = default */
    const char *root;      /* --root, NULL = system paths */
};

/* Parse the options every subcommand accepts (--conf, --root) plus the
 * subcommand's own, given as a getopt_long spec. Returns the index of the
 * first operand, or -1 after printing a usage error. */
struct option;
int rtctl_getopt(struct rtctl *ctl, int argc, char **argv, const char *shortopts, const struct option *longopts,
                 int (*on_opt)(struct rtctl *ctl, int opt, const char *arg, void *ud), void *ud,
                 const char *usage);

/* Send one request to rtinit over its control socket and read the
 * answer (rtctl_control.c): EXIT_OK with *ans filled (ans->ok may be
 * false: rtinit's error is in ans->error, not yet said), or the exit
 * status after saying what went wrong (EXIT_UNREACHABLE: no rtinit). */
struct proto_req;
struct proto_ans;
int rtctl_ask(struct rtctl *ctl, const struct proto_req *req, struct proto_ans *ans);

int cmd_config(struct rtctl *ctl, int argc, char **argv);
int cmd_image(struct rtctl *ctl, int argc, char **argv);
int cmd_run(struct rtctl *ctl, int argc, char **argv);
int cmd_exec(struct rtctl *ctl, int argc, char **argv);
int cmd_status(struct rtctl *ctl, int argc, char **argv);
int cmd_stop(struct rtctl *ctl, int argc, char **argv);
int cmd_start(struct rtctl *ctl, int argc, char **argv);
int cmd_restart(struct rtctl *ctl, int argc, char **argv);
int cmd_health(struct rtctl *ctl, int argc, char **argv);
int cmd_reload(struct rtctl *ctl, int argc, char **argv);
int cmd_poweroff(struct rtctl *ctl, int argc, char **argv);
int cmd_reboot(struct rtctl *ctl, int argc, char **argv);
int cmd_halt(struct rtctl *ctl, int argc, char **argv);
int cmd_kill(struct rtctl *ctl, int argc, char **argv);
int cmd_version(struct rtctl *ctl, int argc, char **argv);
int cmd_logs(struct rtctl *ctl, int argc, char **argv);

#endif
