/* metrics.c - the Prometheus text rtinit serves (metrics_http.c), and the
 * loop's own timing. Names and meanings: docs/observe.md. A number that
 * cannot be measured here (a controller the cgroup lacks) has no sample
 * at all, never a 0. Service names are DNS labels and states fixed
 * words, so label values need no escaping. See observe.h. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "observe.h"
#include "../lib/proto.h"
#include "sup.h"

static uint64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

/* ---------- the loop's timing ---------- */

static const uint64_t bounds_us[LOOP_BUCKETS] = {100, 1000, 5000, 10000, 100000, 1000000, UINT64_MAX};

void loop_hist_init(struct loop_hist *h)
{
    memset(h, 0, sizeof(*h));
    memcpy(h->le_us, bounds_us, sizeof(bounds_us));
}

static void hist_add(struct loop_hist *h, uint64_t us)
{
    size_t b = 0;
    while (b + 1 < LOOP_BUCKETS && us > h->le_us[b])
        b++;
    h->count[b]++;
    h->sum_us += us;
    h->n++;
    if (us > h->max_us)
        h->max_us = us;
}

void metrics_woke(struct sup *s)
{
    if (s->metrics)
        s->metrics->woke_us = now_us();
}

void metrics_idle(struct sup *s)
{
    struct metrics *m = s->metrics;
    if (!m || !m->woke_us)
        return;
    hist_add(&m->busy, now_us() - m->woke_us);
    m->woke_us = 0;
}

void metrics_timer(struct sup *s, uint64_t armed_ms)
{
    struct metrics *m = s->metrics;
    if (!m || armed_ms == UINT64_MAX)
        return;
    uint64_t now = now_us(), due = armed_ms * 1000;
    hist_add(&m->late, now > due ? now - due : 0);
}

/* ---------- the text ---------- */

static void head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void secs(FILE *f, uint64_t us)
{
    fprintf(f, "%llu.%06llu", (unsigned long long)(us / 1000000), (unsigned long long)(us % 1000000));
}

static void hist(FILE *f, const char *name, const char *help, const struct loop_hist *h)
{
    head(f, name, "histogram", help);
    uint64_t cum = 0;
    for (size_t b = 0; b < LOOP_BUCKETS; b++) {
        cum += h->count[b];
        fprintf(f, "%s_bucket{le=\"", name);
        if (h->le_us[b] == UINT64_MAX)
            fputs("+Inf", f);
        else
            fprintf(f, "%g", (double)h->le_us[b] / 1e6);
        fprintf(f, "\"} %llu\n", (unsigned long long)cum);
    }
    fprintf(f, "%s_sum ", name);
    secs(f, h->sum_us);
    fprintf(f, "\n%s_count %llu\n", name, (unsigned long long)h->n);
}

/* A service's name as a label value: conf.d's names are DNS labels, but
 * one left out at boot for errors in its file is named by the file: the
 * format's escapes, and '?' for anything not printable ASCII. */
static void label(FILE *f, const char *name)
{
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p == '\\' || *p == '"')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else
            fputc(*p >= 0x20 && *p < 0x7f ? *p : '?', f);
    }
}

/* One metric for every service that has a value for it: get says
 * whether v has one, and prints it. */
struct per_svc {
    const struct svc *v;
    const struct svc_usage *u;
};
typedef bool (*value_fn)(char *buf, size_t len, const struct per_svc *p);

static void each(FILE *f, const char *name, const char *type, const char *help, const struct per_svc *ps, size_t n,
                 value_fn get)
{
    /* HELP and TYPE once, before the first sample; none at all when no
     * service has a value (a metric of the host's controllers) */
    bool said = false;
    for (size_t i = 0; i < n; i++) {
        char value[32];
        if (!get(value, sizeof(value), &ps[i]))
            continue;
        if (!said)
            head(f, name, type, help);
        said = true;
        fprintf(f, "%s{service=\"", name);
        label(f, ps[i].v->name);
        fprintf(f, "\"} %s\n", value);
    }
}

static void secs_s(char *buf, size_t len, uint64_t us)
{
    snprintf(buf, len, "%llu.%06llu", (unsigned long long)(us / 1000000), (unsigned long long)(us % 1000000));
}

#define GETTER(fn, cond, ...)                                                                                   \
    static bool fn(char *buf, size_t len, const struct per_svc *p)                                              \
    {                                                                                                           \
        const struct svc *v = p->v;                                                                             \
        const struct svc_usage *u = p->u;                                                                       \
        (void)v;                                                                                                \
        (void)u;                                                                                                \
        if (!(cond))                                                                                            \
            return false;                                                                                       \
        snprintf(buf, len, __VA_ARGS__);                                                                        \
        return true;                                                                                            \
    }

GETTER(g_up, true, "%d", v->phase == RUNNING)
GETTER(g_restarts, true, "%u", v->restarts)
GETTER(g_starts, true, "%u", v->generation)
GETTER(g_checks, v->ps && v->ps->hc, "%llu", (unsigned long long)v->checks)
GETTER(g_fails, v->ps && v->ps->hc && v->phase == RUNNING, "%u", v->h.fails)
GETTER(g_mem, u->cg.has_mem, "%llu", (unsigned long long)u->cg.mem_bytes)
GETTER(g_mem_max, u->cg.has_mem_max && u->cg.mem_max != CG_NOLIMIT, "%llu", (unsigned long long)u->cg.mem_max)
GETTER(g_pids, u->cg.has_pids, "%llu", (unsigned long long)u->cg.pids)
GETTER(g_pids_max, u->cg.has_pids_max && u->cg.pids_max != CG_NOLIMIT, "%llu", (unsigned long long)u->cg.pids_max)
GETTER(g_oom, u->cg.has_oom, "%llu", (unsigned long long)u->cg.oom_kills)
GETTER(g_rx, u->has_net, "%llu", (unsigned long long)u->rx_bytes)
GETTER(g_tx, u->has_net, "%llu", (unsigned long long)u->tx_bytes)
GETTER(g_rxp, u->has_net, "%llu", (unsigned long long)u->rx_packets)
GETTER(g_txp, u->has_net, "%llu", (unsigned long long)u->tx_packets)
GETTER(g_blkr, u->cg.has_io, "%llu", (unsigned long long)u->cg.io_rbytes)
GETTER(g_blkw, u->cg.has_io, "%llu", (unsigned long long)u->cg.io_wbytes)

static bool g_cpu(char *buf, size_t len, const struct per_svc *p)
{
    if (!p->u->cg.has_cpu)
        return false;
    secs_s(buf, len, p->u->cg.cpu_usec);
    return true;
}

static bool g_check_took(char *buf, size_t len, const struct per_svc *p)
{
    const struct health_result *r = p->v->phase == RUNNING ? health_latest(&p->v->h) : NULL;
    if (!r)
        return false;
    secs_s(buf, len, (uint64_t)r->took_ms * 1000);
    return true;
}

/* when it started, on the wall clock (the loop keeps monotonic time) */
static bool g_started(char *buf, size_t len, const struct per_svc *p)
{
    if (p->v->phase != RUNNING)
        return false;
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    uint64_t up = now_ms() - p->v->started_at;
    uint64_t wall_ms = (uint64_t)wall.tv_sec * 1000 + (uint64_t)wall.tv_nsec / 1000000;
    snprintf(buf, len, "%llu.%03llu", (unsigned long long)((wall_ms - up) / 1000),
             (unsigned long long)((wall_ms - up) % 1000));
    return true;
}

/* a metric whose label takes each of several values, 1 for the current */
static void enum_metric(FILE *f, const char *name, const char *lname, const char *help, const struct per_svc *ps,
                        size_t n, const char *const *values, size_t nvalues, int (*current)(const struct svc *v))
{
    bool said = false;
    for (size_t i = 0; i < n; i++) {
        int cur = current(ps[i].v);
        if (cur < -1)
            continue; /* the metric does not apply to it */
        if (!said)
            head(f, name, "gauge", help);
        said = true;
        for (size_t k = 0; k < nvalues; k++) {
            fprintf(f, "%s{service=\"", name);
            label(f, ps[i].v->name);
            fprintf(f, "\",%s=\"%s\"} %d\n", lname, values[k], (int)k == cur);
        }
    }
}

static int cur_state(const struct svc *v)
{
    return (int)v->phase;
}

/* The health label's values: lib/proto.h's names less the first, "" (no
 * check or not running), which gets no series; cur_health indexes them. */
static const char *const *const health_values = proto_health_names + 1;

static int cur_health(const struct svc *v)
{
    if (!v->ps || !v->ps->hc)
        return -2; /* no check: no health */
    if (v->phase != RUNNING || v->h.state == HEALTH_NONE)
        return -1; /* not running: none of them */
    return (int)v->h.state - 1; /* enum health_state is proto_health_names' order */
}

/* rtinit's own: resident memory, fds, CPU */
static void self(FILE *f)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned long long size, resident;
    FILE *sm = fopen("/proc/self/statm", "re");
    if (sm) {
        if (fscanf(sm, "%llu %llu", &size, &resident) == 2 && page > 0) {
            head(f, "rtinit_resident_memory_bytes", "gauge", "rtinit's resident set size.");
            fprintf(f, "rtinit_resident_memory_bytes %llu\n", resident * (unsigned long long)page);
        }
        fclose(sm);
    }
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        unsigned long n = 0;
        struct dirent *e;
        while ((e = readdir(d)))
            n += e->d_name[0] != '.';
        closedir(d);
        head(f, "rtinit_open_fds", "gauge", "File descriptors rtinit holds open.");
        fprintf(f, "rtinit_open_fds %lu\n", n > 0 ? n - 1 : 0); /* less the directory's own */
    }
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        uint64_t us = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec +
                      (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
        head(f, "rtinit_cpu_seconds_total", "counter", "CPU time rtinit has used (user and system).");
        fputs("rtinit_cpu_seconds_total ", f);
        secs(f, us);
        fputc('\n', f);
    }
}

char *metrics_render(struct sup *s, size_t *len)
{
    uint64_t t0 = now_us();
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (!f)
        return NULL;
    struct per_svc *ps = calloc(s->n ? s->n : 1, sizeof(*ps));
    struct svc_usage *us = calloc(s->n ? s->n : 1, sizeof(*us));
    size_t n = 0;
    if (ps && us) {
        struct usage_round r;
        usage_begin(&r);
        for (size_t i = 0; i < s->n; i++) {
            if (!s->v[i].ps)
                continue; /* removed from conf.d, on its way out */
            usage_read(&r, &s->v[i], &us[n]);
            ps[n] = (struct per_svc){&s->v[i], &us[n]};
            n++;
        }
        usage_end(&r);
    }
    /* the services left out at boot for errors in their files are
     * down and failed, as rtctl status lists them: an alert on
     * rt_service_up == 0 sees them too */
    static const char up_help[] = "1 when the service's program runs (state running), else 0.";
    static const char state_help[] = "The service's state: 1 for the one it is in.";
    each(f, "rt_service_up", "gauge", up_help, ps, n, g_up);
    for (size_t i = 0; i < s->nskipped; i++) {
        if (i == 0 && n == 0)
            head(f, "rt_service_up", "gauge", up_help);
        fputs("rt_service_up{service=\"", f);
        label(f, s->skipped[i].name);
        fputs("\"} 0\n", f);
    }
    static const char *states[NPHASES];
    for (int k = 0; k < NPHASES; k++)
        states[k] = phase_name((enum phase)k);
    enum_metric(f, "rt_service_state", "state", state_help, ps, n, states, NPHASES, cur_state);
    for (size_t i = 0; i < s->nskipped; i++) {
        if (i == 0 && n == 0)
            head(f, "rt_service_state", "gauge", state_help);
        for (int k = 0; k < NPHASES; k++) {
            fputs("rt_service_state{service=\"", f);
            label(f, s->skipped[i].name);
            fprintf(f, "\",state=\"%s\"} %d\n", states[k], k == FAILED);
        }
    }
    enum_metric(f, "rt_service_health", "health",
                "The health of a running service that has a check: 1 for the current one.", ps, n, health_values,
                PROTO_NHEALTH - 1, cur_health);
    each(f, "rt_service_restarts_total", "counter", "Restarts by its restart policy since rtinit started it.", ps,
         n, g_restarts);
    each(f, "rt_service_starts_total", "counter", "Starts of the service (a container each).", ps, n, g_starts);
    each(f, "rt_service_start_time_seconds", "gauge", "When the running process started, in seconds since the epoch.",
         ps, n, g_started);
    each(f, "rt_service_health_checks_total", "counter", "Health checks made, over rtinit's life.", ps, n, g_checks);
    each(f, "rt_service_health_check_duration_seconds", "gauge", "How long the last health check took.", ps, n,
         g_check_took);
    each(f, "rt_service_health_check_consecutive_failures", "gauge", "Health checks failed in a row.", ps, n,
         g_fails);
    each(f, "rt_service_cpu_seconds_total", "counter", "CPU time used by the service's cgroup (this start).", ps, n,
         g_cpu);
    each(f, "rt_service_memory_bytes", "gauge", "Memory the service's cgroup uses (memory.current).", ps, n, g_mem);
    each(f, "rt_service_memory_limit_bytes", "gauge", "The cgroup's memory limit (memory.max), when it has one.", ps,
         n, g_mem_max);
    each(f, "rt_service_oom_kills_total", "counter", "Processes of this start killed by the OOM killer.", ps, n,
         g_oom);
    each(f, "rt_service_pids", "gauge", "Tasks in the service's cgroup (pids.current).", ps, n, g_pids);
    each(f, "rt_service_pids_limit", "gauge", "The cgroup's task limit (pids.max), when it has one.", ps, n,
         g_pids_max);
    each(f, "rt_service_network_receive_bytes_total", "counter", "Bytes the container received on the bridge.", ps, n,
         g_rx);
    each(f, "rt_service_network_transmit_bytes_total", "counter", "Bytes the container sent on the bridge.", ps, n,
         g_tx);
    each(f, "rt_service_network_receive_packets_total", "counter", "Packets the container received on the bridge.",
         ps, n, g_rxp);
    each(f, "rt_service_network_transmit_packets_total", "counter", "Packets the container sent on the bridge.", ps,
         n, g_txp);
    each(f, "rt_service_block_read_bytes_total", "counter", "Bytes the cgroup read from block devices (io.stat).", ps,
         n, g_blkr);
    each(f, "rt_service_block_write_bytes_total", "counter", "Bytes the cgroup wrote to block devices (io.stat).",
         ps, n, g_blkw);
    free(ps);
    free(us);
    self(f);
    struct metrics *m = s->metrics;
    if (m) {
        hist(f, "rtinit_loop_busy_seconds", "Time each turn of rtinit's loop took, from its wake-up to its next wait.",
             &m->busy);
        hist(f, "rtinit_timer_lateness_seconds", "How late rtinit's loop woke for a deadline (a restart, a check).",
             &m->late);
        head(f, "rtinit_metrics_scrapes_total", "counter", "Requests answered on this endpoint.");
        fprintf(f, "rtinit_metrics_scrapes_total %llu\n", (unsigned long long)m->scrapes);
        head(f, "rtinit_metrics_refused_total", "counter",
             "Connections closed at once: every client slot was being answered.");
        fprintf(f, "rtinit_metrics_refused_total %llu\n", (unsigned long long)m->refused);
        head(f, "rtinit_metrics_evicted_total", "counter",
             "Connections closed for a new one: every slot was taken, this the oldest still sending its request.");
        fprintf(f, "rtinit_metrics_evicted_total %llu\n", (unsigned long long)m->evicted);
    }
    /* what this text cost the loop, up to here */
    head(f, "rtinit_metrics_render_seconds", "gauge", "How long rendering this answer took rtinit.");
    fputs("rtinit_metrics_render_seconds ", f);
    secs(f, now_us() - t0);
    fputc('\n', f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
