/* rtctl help: the overview of the verbs, grouped by task, and each verb's
 * help, both made from the rows of rtctl.c's table (struct verb), so that
 * a new verb's help is its row. The bash completion (tools/completion)
 * reads this output: "usage: rtctl VERB ..." lines, and option lines that
 * start with two spaces and a dash. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../lib/paths.h"
#include "../lib/util.h"
#include "rtctl.h"

static const char *const group_title[] = {
    [VG_SERVICES] = "Services",
    [VG_CONFIG] = "Configuration",
    [VG_IMAGES] = "Images",
    [VG_CONTAINERS] = "Containers",
    [VG_DROPLET] = "The droplet",
    [VG_HELP] = "Help",
    [VG_OTHER] = "Other",
};

/* The order of the groups in the overview: rows nobody gave a group come
 * last, under "Other", rather than not at all. */
static const enum verb_group group_order[] = {VG_SERVICES, VG_CONFIG,  VG_IMAGES, VG_CONTAINERS,
                                              VG_DROPLET,  VG_HELP, VG_OTHER};

/* What the overview shows of a verb: its name, and its subcommand when it
 * has one form only ("config check"), then its aliases ("status, ps"). */
static void shown_name(const struct verb *v, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "%s", v->name);
    const char *u = v->usage;
    if (u && !strchr(u, '\n') && startswith(u, v->name) && u[strlen(v->name)] == ' ') {
        const char *w = u + strlen(v->name) + 1;
        size_t wl = strspn(w, "abcdefghijklmnopqrstuvwxyz-");
        if (wl && (w[wl] == ' ' || !w[wl]) && n < len)
            n += (size_t)snprintf(buf + n, len - n, " %.*s", (int)wl, w);
    }
    for (size_t i = 0; i < rtctl_nverbs && n < len; i++)
        if (rtctl_verbs[i].alias_of && streq(rtctl_verbs[i].alias_of, v->name))
            n += (size_t)snprintf(buf + n, len - n, ", %s", rtctl_verbs[i].name);
}

void rtctl_help_overview(FILE *out)
{
    fputs("usage: rtctl [--conf DIR] [--root DIR] VERB [ARGS...]\n\n"
          "rtctl administers the droplet: the services rtinit supervises, their configuration,\n"
          "the images they run from, one-off containers, and the machine itself.\n",
          out);
    for (size_t g = 0; g < ARRAY_SIZE(group_order); g++) {
        bool titled = false;
        for (size_t i = 0; i < rtctl_nverbs; i++) {
            const struct verb *v = &rtctl_verbs[i];
            if (v->group != group_order[g] || v->alias_of)
                continue;
            if (!titled)
                fprintf(out, "\n%s:\n", group_title[group_order[g]]);
            titled = true;
            char name[64];
            shown_name(v, name, sizeof(name));
            fprintf(out, "  %-14s %s\n", name, v->summary ? v->summary : "");
        }
    }
    fputs("\nEvery verb takes --conf DIR, the service definitions (default " RT_DEFAULT_CONF_DIR "), and\n"
          "--root DIR: state, run files, the control socket and logs under DIR (default\n"
          RT_DEFAULT_STATE_DIR ", " RT_DEFAULT_RUN_DIR ", " RT_DEFAULT_LOG_DIR ").\n"
          "'rtctl help VERB' or 'rtctl VERB --help': what a verb does, every option, an example.\n"
          "Exit status: 0 done, 1 failed, 2 a wrong command line. See also rtctl(8).\n",
          out);
}

/* "usage: rtctl FORM" for the first form, "       rtctl FORM" for the
 * next; a line starting with a space continues a form. */
static void print_usage(FILE *out, const struct verb *v)
{
    const char *u = v->usage ? v->usage : v->name;
    bool first = true;
    while (*u) {
        size_t n = strcspn(u, "\n");
        if (*u == ' ')
            fprintf(out, "%13s%.*s\n", "", (int)n, u);
        else
            fprintf(out, "%srtctl %.*s\n", first ? "usage: " : "       ", (int)n, u);
        first = false;
        u += n + (u[n] == '\n');
    }
}

/* "OPTION\tTEXT" lines in two columns; an option too wide for the first
 * column gets its text on the next line. */
static size_t options_width(const char *opts, size_t col)
{
    enum { MAXCOL = 26 };
    for (const char *p = opts; *p;) {
        size_t n = strcspn(p, "\n"), o = strcspn(p, "\t\n");
        if (o < n && o > col && o <= MAXCOL)
            col = o;
        p += n + (p[n] == '\n');
    }
    return col;
}

static void print_options(FILE *out, const char *opts, size_t col)
{
    for (const char *p = opts; *p;) {
        size_t n = strcspn(p, "\n"), o = strcspn(p, "\t\n");
        const char *text = o < n ? p + o + 1 : p + n;
        int tl = (int)(p + n - text);
        if (o > col)
            fprintf(out, "  %.*s\n  %*s  %.*s\n", (int)o, p, (int)col, "", tl, text);
        else
            fprintf(out, "  %-*.*s  %.*s\n", (int)col, (int)o, p, tl, text);
        p += n + (p[n] == '\n');
    }
}

static void print_indented(FILE *out, const char *text, const char *indent)
{
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        fprintf(out, "%s%.*s\n", n ? indent : "", (int)n, p);
        p += n + (p[n] == '\n');
    }
}

void rtctl_help_verb(FILE *out, const struct verb *v)
{
    fprintf(out, "rtctl %s: %s\n\n", v->name, v->summary ? v->summary : "");
    print_usage(out, v);
    if (v->about) {
        fputc('\n', out);
        print_indented(out, v->about, "");
    }
    static const char global[] = "--conf DIR\tthe service definitions (default " RT_DEFAULT_CONF_DIR ")\n"
                                 "--root DIR\tstate, run files, the control socket and logs under DIR\n"
                                 "-h, --help\tthis help";
    /* one column for the verb's options and those of every verb */
    size_t col = options_width(global, options_width(v->options ? v->options : "", 0));
    if (v->options) {
        fputs("\nOptions:\n", out);
        print_options(out, v->options, col);
    }
    fputs("\nEvery verb takes:\n", out);
    print_options(out, global, col);
    if (v->example) {
        fputs("\nExample:\n", out);
        print_indented(out, v->example, "  ");
    }
}

void rtctl_usage_error(struct rtctl *ctl, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char use[2048] = "";
    if (ctl->verb) {
        FILE *f = fmemopen(use, sizeof(use) - 1, "w");
        if (f) {
            print_usage(f, ctl->verb);
            fclose(f);
        }
        size_t n = strlen(use);
        if (n && use[n - 1] == '\n')
            use[n - 1] = '\0';
    }
    log_msg(&ctl->log, LOG_ERR, "%s%s%s", msg, *use ? "\n" : "", use);
}

static int on_help_opt(struct rtctl *ctl, int opt, const char *arg, void *ud)
{
    (void)ctl;
    (void)arg;
    if (opt != 'v')
        return -1;
    *(bool *)ud = true;
    return 0;
}

/* rtctl help [VERB [SUBCOMMAND]] | --verbs */
int cmd_help(struct rtctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"verbs", no_argument, NULL, 'v'}, {0}};
    bool list = false;
    int i = rtctl_getopt(ctl, argc, argv, "", opts, on_help_opt, &list, NULL);
    if (i < 0)
        return EXIT_USAGE;
    if (list) {
        if (i < argc) {
            rtctl_usage_error(ctl, "unexpected argument '%s'", argv[i]);
            return EXIT_USAGE;
        }
        for (size_t k = 0; k < rtctl_nverbs; k++)
            puts(rtctl_verbs[k].name);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
    }
    if (i == argc) {
        rtctl_help_overview(stdout);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
    }
    /* "help image import" is the help of image, which covers import */
    if (argc - i > 2) {
        rtctl_usage_error(ctl, "unexpected argument '%s'", argv[i + 2]);
        return EXIT_USAGE;
    }
    const struct verb *v = rtctl_verb(argv[i]);
    if (!v) {
        const char *names[rtctl_nverbs];
        for (size_t k = 0; k < rtctl_nverbs; k++)
            names[k] = rtctl_verbs[k].name;
        const char *dym = did_you_mean(argv[i], names, rtctl_nverbs);
        if (dym)
            log_msg(&ctl->log, LOG_ERR, "no verb '%s' (did you mean '%s'?); see 'rtctl help'", argv[i], dym);
        else
            log_msg(&ctl->log, LOG_ERR, "no verb '%s'; see 'rtctl help'", argv[i]);
        return EXIT_USAGE;
    }
    rtctl_help_verb(stdout, v);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}
