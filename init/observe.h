/* observe.h - what rtinit tells about its services beyond their state:
 * usage from their cgroups and veths (usage.c), rtctl inspect
 * (inspect.c), rtctl stats (usage.c) and the Prometheus endpoint
 * (metrics.c, metrics_http.c). Everything here reads the supervisor's
 * state and small kernel files; nothing changes a service, and nothing
 * waits: the loop is PID 1's.
 *
 * docs/observe.md documents the JSON and the metrics; docs/schema/ holds
 * the JSON Schemas the tests check the answers against. */
#ifndef RT_OBSERVE_H
#define RT_OBSERVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../netns/link.h"
#include "../runtime/cgstats.h"

struct sup;
struct svc;

/* ---------- usage.c ---------- */

struct svc_usage {
    bool measured;              /* it has a process with a cgroup (else every has_ is false) */
    struct cg_stats cg;
    bool has_net;               /* on the bridge: its veth's counters, as the container sees them */
    uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
};

/* One round of reads (a request, a scrape): the veths' counters are
 * listed in one rtnetlink dump, at the first service that needs them. */
struct veth_count {
    char name[16];
    uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
};
struct usage_round {
    bool tried;                 /* the veths were listed (one dump for the round) */
    struct veth_count *veths;
    size_t nveths, cap;
};
void usage_begin(struct usage_round *r);
void usage_read(struct usage_round *r, const struct svc *v, struct svc_usage *out);
void usage_end(struct usage_round *r);
/* One service alone (inspect): its veth asked for by name, one request
 * and no dump of every link. */
void usage_read_one(const struct svc *v, struct svc_usage *out);
/* u's numbers into o, as docs/observe.md names them; a number that
 * cannot be measured is left out (never 0). with_io: network and block
 * I/O too (stats, inspect; status leaves them out). */
void usage_to_json(json_t *o, const struct svc_usage *u, bool with_io);

/* rtctl stats: each service with its usage and the monotonic time of
 * the reads (for rates), as an object {"at_ms": N, "services": [...]}. */
json_t *stats_json(struct sup *s);

/* ---------- status.c ---------- */

/* The rtctl status entry of one service (v, or NULL for one left out at
 * boot for errors in its file, looked up by name) with its usage u
 * already read; NULL when there is none. */
json_t *status_entry_json(struct sup *s, const char *name, const struct svc *v, const struct svc_usage *u);

/* ---------- inspect.c ---------- */

/* rtctl inspect NAME: NULL when there is no such service. */
json_t *inspect_json(struct sup *s, const char *name);

/* ---------- metrics.c: the text, and rtinit's own numbers ---------- */

/* Loop latency: the busy time of each turn of the loop (from the wake-up
 * to the next wait) and how late a timer deadline was acted on, as
 * Prometheus histograms. */
#define LOOP_BUCKETS 7
struct loop_hist {
    uint64_t le_us[LOOP_BUCKETS];   /* upper bounds, microseconds (the last: +Inf) */
    uint64_t count[LOOP_BUCKETS];   /* non-cumulative */
    uint64_t sum_us, n, max_us;
};
void loop_hist_init(struct loop_hist *h);

/* ---------- metrics_http.c: the endpoint ---------- */

#define METRICS_CLIENTS 4           /* at once; a fifth evicts the oldest still sending its request */
#define METRICS_REQ 2048            /* a request's head; longer ones are refused */
#define METRICS_HEAD_MS 1000        /* from the accept to the end of the request's head */
#define METRICS_CLIENT_MS 5000      /* a client's whole life: read, answer, close */
#define METRICS_CACHE_MS 1000       /* a rendered text is served again for this long */
#define METRICS_EMFILE_PAUSE_MS 100 /* accept(2) out of fds: not listening for this long */

struct metrics_client {
    int fd;                         /* -1: a free slot */
    uint64_t accepted;              /* monotonic ms */
    uint64_t deadline;              /* the head's (METRICS_HEAD_MS), then the whole life's */
    char req[METRICS_REQ];
    size_t rlen;
    char *resp;                     /* the whole answer, rendered once */
    size_t rsize, sent;
};

struct metrics {
    struct loop_hist busy, late;
    uint64_t woke_us;               /* this turn's wake-up (monotonic us); 0: not measuring */
    uint32_t listen_addr;           /* what fd listens on (host byte order) */
    uint16_t listen_port;
    int fd;                         /* the listening socket, or -1 */
    char err[256];                  /* why it is not listening, as last said */
    struct metrics_client c[METRICS_CLIENTS];
    uint64_t scrapes, refused, evicted;
    char *cache;                    /* the last text rendered (malloc'd), or NULL */
    size_t clen;
    uint64_t cache_at;              /* when it was rendered (monotonic ms) */
    uint64_t resume_at;             /* out of fds: the listener is watched again then (0: it is) */
    uint64_t emfile_said;           /* when running out of fds was last logged */
};

/* The Prometheus text (malloc'd, *len), or NULL when memory runs out. */
char *metrics_render(struct sup *s, size_t *len);

/* Set up (s->metrics; loop timing starts even when the endpoint is off),
 * and at the end, close and free. */
int metrics_init(struct sup *s);
void metrics_free(struct sup *s);
/* Each turn: listen as [metrics] listen says now (opened, moved or
 * closed after a reload), and end clients past their deadline. */
void metrics_step(struct sup *s);
uint64_t metrics_wakeup(const struct sup *s);   /* the next client deadline or resume, or UINT64_MAX */
void metrics_accept(struct sup *s);             /* EV_METRICS */
void metrics_client(struct sup *s, int slot, uint32_t events); /* EV_MCLIENT */
/* Around epoll_wait, and when the timer fires (armed: its deadline). */
void metrics_idle(struct sup *s);
void metrics_woke(struct sup *s);
void metrics_timer(struct sup *s, uint64_t armed_ms);

#endif
