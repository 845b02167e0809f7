/* rtctl.h - what the rtctl subcommands share. */
#ifndef RTCTL_H
#define RTCTL_H

#include <stdio.h>
#include <stdbool.h>

#include "../lib/log.h"

/* Exit statuses: 0 success, 1 the request failed (bad configuration,
 * missing image...), 2 the command line itself was wrong, 3 rtinit could
 * not be reached (no control socket, or nothing listens on it): a script
 * can tell "rtinit said no" from "no rtinit here". */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

struct verb;

struct rtctl {
    struct logger log;
    const char *conf_dir;  /* --conf, NULL = default */
    const char *root;      /* --root, NULL = system paths */
    const struct verb *verb; /* the verb being run: its --help */
};

/* The verbs, in rtctl.c's table: one row each, which is all `rtctl help`,
 * `rtctl VERB --help`, did-you-mean and the bash completion (which reads
 * the help) need. Rows with no group are listed under "Other". */
enum verb_group { VG_OTHER, VG_SERVICES, VG_CONFIG, VG_IMAGES, VG_CONTAINERS, VG_DROPLET, VG_HELP };

struct verb {
    const char *name;
    int (*fn)(struct rtctl *ctl, int argc, char **argv);
    enum verb_group group;
    const char *summary;   /* one line: what it does (the overview's) */
    const char *usage;     /* the verb and its operands, without "rtctl "; forms one a line */
    const char *about;     /* optional: more about what it does, lines of text */
    const char *options;   /* "OPTION\tWHAT IT DOES" lines; a line starting with a tab continues the one above */
    const char *example;   /* command lines, one a line */
    const char *alias_of;  /* another verb's name: this is that verb, under another name */
    bool options_anywhere; /* options may follow the operands (`inspect api --json`, as docker's CLI
                              allows): for verbs whose operands are service names only, never a command */
};

extern const struct verb rtctl_verbs[];
extern const size_t rtctl_nverbs;
/* The verb called name, or NULL; an alias gives the verb it stands for. */
const struct verb *rtctl_verb(const char *name);

/* rtctl_help.c: the overview of every verb, grouped by task, and one
 * verb's help (what it does, usage, every option, an example). */
void rtctl_help_overview(FILE *out);
void rtctl_help_verb(FILE *out, const struct verb *v);
/* A usage error of the verb being run (ctl->verb): the message, then the
 * verb's usage, on stderr. The caller returns EXIT_USAGE. */
void rtctl_usage_error(struct rtctl *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse the options every subcommand accepts (--conf, --root, --help)
 * plus the subcommand's own, given as a getopt_long spec. --help prints
 * the verb's help (ctl->verb) and exits 0. Returns the index of the first
 * operand, or -1 after printing a usage error with usage (NULL: the
 * verb's usage from its row). */
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
int cmd_help(struct rtctl *ctl, int argc, char **argv);
int cmd_inspect(struct rtctl *ctl, int argc, char **argv);
int cmd_stats(struct rtctl *ctl, int argc, char **argv);

/* One request by verb for at most one service: the answer's data (a new
 * reference), or NULL with *code the exit status after saying why (quiet:
 * an answer that is not ok is not said). rtctl_control.c; for status,
 * inspect and stats. */
#include <jansson.h>
#include "../lib/proto.h"
json_t *rtctl_ask_data(struct rtctl *ctl, enum proto_verb verb, const char *service, bool quiet, int *code);

#endif
