/* rtctl stats [--no-stream] [--json] [SERVICE...]: the services' usage,
 * live, as docker stats shows it. rtinit answers "stats" with each
 * service's counters from its cgroup and its veth and the time it read
 * them (init/usage.c); CPU % is the CPU time used between two answers
 * over the time between them (100% is one CPU), so the first table comes
 * one interval after the start. The table is redrawn every second on a
 * terminal; elsewhere the tables follow each other, and --json gives one
 * JSON object a line. A number the host cannot measure (no controller)
 * is "-", or absent in JSON. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/paths.h"
#include "../lib/proto.h"
#include "../lib/util.h"
#include "rtctl.h"
#include "rtctl_table.h"

static const char usage_stats[] = "rtctl stats [--no-stream] [--json] [SERVICE...]";

#define INTERVAL_MS 1000

struct stats_opts {
    bool json, no_stream;
};

static int on_opt(struct rtctl *ctl, int opt, const char *arg, void *ud)
{
    (void)ctl;
    (void)arg;
    struct stats_opts *o = ud;
    if (opt == 'j')
        o->json = true;
    else if (opt == 'n')
        o->no_stream = true;
    else
        return -1;
    return 0;
}

/* One reading of every service (rtinit's stats), or NULL with *code the
 * exit status after saying why. */
static json_t *sample(struct rtctl *ctl, int *code)
{
    json_t *j = rtctl_ask_data(ctl, PV_STATS, NULL, false, code);
    if (j && !json_is_array(json_object_get(j, "services"))) {
        log_msg(&ctl->log, LOG_ERR, "rtinit's answer is not a stats report: no services");
        json_decref(j);
        *code = EXIT_FAIL;
        return NULL;
    }
    return j;
}

static bool num(json_t *o, const char *k, json_int_t *v)
{
    json_t *j = json_object_get(o, k);
    if (!json_is_integer(j))
        return false;
    *v = json_integer_value(j);
    return true;
}

static json_t *find(json_t *sample_, const char *name)
{
    size_t k;
    json_t *o;
    json_array_foreach(json_object_get(sample_, "services"), k, o) {
        const char *n = json_string_value(json_object_get(o, "name"));
        if (n && !strcmp(n, name))
            return o;
    }
    return NULL;
}

/* cpu_percent into each service of cur that was measured in prev too,
 * by the same process (a restart starts its cgroup's count again). */
static void rates(json_t *prev, json_t *cur)
{
    json_int_t t0, t1;
    if (!prev || !num(prev, "at_ms", &t0) || !num(cur, "at_ms", &t1) || t1 <= t0)
        return;
    size_t k;
    json_t *o;
    json_array_foreach(json_object_get(cur, "services"), k, o) {
        json_t *p = find(prev, json_string_value(json_object_get(o, "name")) ?: "");
        json_int_t c0, c1, pid0 = 0, pid1 = 0;
        num(o, "pid", &pid1);
        if (!p || !num(p, "cpu_usec", &c0) || !num(o, "cpu_usec", &c1) || c1 < c0 || !num(p, "pid", &pid0) ||
            pid0 != pid1)
            continue;
        double pct = (double)(c1 - c0) / ((double)(t1 - t0) * 1000.0) * 100.0;
        json_object_set_new(o, "cpu_percent", json_real((double)(long long)(pct * 100 + 0.5) / 100));
        json_object_set_new(o, "interval_ms", json_integer(t1 - t0));
    }
}

/* Only the services named, in that order; false (said) when one is not there. */
static bool pick(struct rtctl *ctl, json_t *cur, char **names, int n)
{
    if (n == 0)
        return true;
    json_t *some = json_array();
    for (int i = 0; i < n; i++) {
        json_t *o = find(cur, names[i]);
        if (!o) {
            log_msg(&ctl->log, LOG_ERR, "no service '%s' (rtctl status lists them)", names[i]);
            json_decref(some);
            return false;
        }
        json_array_append(some, o);
    }
    json_object_set_new(cur, "services", some);
    return true;
}

enum { S_NAME, S_STATE, S_CPU, S_MEM, S_LIMIT, S_MEMPCT, S_PIDS, S_NETRX, S_NETTX, S_BLKR, S_BLKW, NCOL };

static void bytes_cell(struct tbl *t, size_t col, json_t *o, const char *k)
{
    json_int_t v;
    char b[32];
    if (num(o, k, &v))
        tbl_set(t, col, NULL, "%s", fmt_bytes((uint64_t)v, b, sizeof(b)));
}

static void print_table(json_t *cur, bool colour)
{
    static const char *const head[NCOL] = {"SERVICE", "STATE",  "CPU %",  "MEM",       "LIMIT",      "MEM %",
                                           "PIDS",    "NET RX", "NET TX", "BLOCK READ", "BLOCK WRITE"};
    static const bool right[NCOL] = {false, false, true, true, true, true, true, true, true, true, true};
    struct tbl t;
    tbl_init(&t, colour, head, right, NCOL);
    size_t k;
    json_t *o;
    json_array_foreach(json_object_get(cur, "services"), k, o) {
        if (tbl_row(&t) < 0)
            break;
        const char *state = json_string_value(json_object_get(o, "state")) ?: "?";
        tbl_set(&t, S_NAME, NULL, "%s", json_string_value(json_object_get(o, "name")) ?: "?");
        tbl_set(&t, S_STATE, !strcmp(state, "running") ? "32" : !strcmp(state, "failed") ? "31" : NULL, "%s", state);
        json_t *pct = json_object_get(o, "cpu_percent");
        if (json_is_number(pct))
            tbl_set(&t, S_CPU, NULL, "%.2f%%", json_number_value(pct));
        bytes_cell(&t, S_MEM, o, "memory_bytes");
        json_t *lim = json_object_get(o, "memory_limit");
        json_int_t mem;
        if (json_is_null(lim))
            tbl_set(&t, S_LIMIT, NULL, "none");
        else
            bytes_cell(&t, S_LIMIT, o, "memory_limit");
        if (json_is_integer(lim) && json_integer_value(lim) > 0 && num(o, "memory_bytes", &mem))
            tbl_set(&t, S_MEMPCT, NULL, "%.2f%%", (double)mem * 100.0 / (double)json_integer_value(lim));
        json_int_t p;
        if (num(o, "pids", &p))
            tbl_set(&t, S_PIDS, NULL, "%lld", (long long)p);
        bytes_cell(&t, S_NETRX, o, "net_rx_bytes");
        bytes_cell(&t, S_NETTX, o, "net_tx_bytes");
        bytes_cell(&t, S_BLKR, o, "blkio_read_bytes");
        bytes_cell(&t, S_BLKW, o, "blkio_write_bytes");
    }
    tbl_print(&t, stdout);
    tbl_free(&t);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0) {
    }
}

int cmd_stats(struct rtctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"no-stream", no_argument, NULL, 'n'}, {0}};
    struct stats_opts o = {0};
    int i = rtctl_getopt(ctl, argc, argv, "", opts, on_opt, &o, usage_stats);
    if (i < 0)
        return EXIT_USAGE;
    bool tty = isatty(STDOUT_FILENO), colour = tbl_colour_wanted();
    int code;
    json_t *prev = sample(ctl, &code);
    if (!prev)
        return code;
    if (!pick(ctl, prev, argv + i, argc - i)) {
        json_decref(prev);
        return EXIT_FAIL;
    }
    for (unsigned turn = 0;; turn++) {
        sleep_ms(INTERVAL_MS);
        json_t *cur = sample(ctl, &code);
        if (!cur || !pick(ctl, cur, argv + i, argc - i)) {
            json_decref(prev);
            json_decref(cur);
            return cur ? EXIT_FAIL : code;
        }
        rates(prev, cur);
        if (o.json) {
            char *s = json_dumps(cur, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
            if (s)
                puts(s);
            free(s);
        } else {
            if (tty && !o.no_stream)
                fputs("\033[H\033[J", stdout); /* home, clear: the table in place, as docker stats does */
            else if (turn)
                putchar('\n');
            print_table(cur, colour);
        }
        fflush(stdout);
        json_decref(prev);
        prev = cur;
        if (o.no_stream)
            break;
    }
    json_decref(prev);
    return EXIT_OK;
}
