/* sup.h - what the supervisor's parts share; not for use outside init/.
 *
 *   supervisor.c  the loop: events, logs, reaping, entries
 *   lifecycle.c   each service's life: every change of its state (start,
 *                 exit, restart, dependencies, health events, stop)
 *   decide.c      the decisions lifecycle.c acts on, as pure functions
 *   probes.c      the health checks of running services, in the loop
 *   control.c     the control socket and its requests (rtctl)
 *   status.c      the services' state as rtctl status and health show it
 *   usage.c, inspect.c, metrics.c, metrics_http.c: rtctl stats, inspect and
 *                 the Prometheus endpoint (observe.h)
 *   reload.c      conf.d read again: services matched by name, compared,
 *                 restarted, added, removed (or said, for a dry run)
 *   confd.c       whether conf.d on disk still holds what runs
 *   svclog.c      the services' logs (queues and the writer process)
 *
 * The supervisor owns all of this state; nothing else in rtinit keeps any
 * that changes. */
#ifndef RT_SUP_H
#define RT_SUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../images/digest.h"
#include "../lib/arena.h"
#include "../config/envfile.h"
#include "../lib/log.h"
#include "../lib/paths.h"
#include "../config/plan.h"
#include "../runtime/container.h"
#include "../netns/ipam.h"
#include "../netns/net.h"
#include "decide.h"
#include "health.h"
#include "supervisor.h"
#include "svclog.h"

/* A line of a service's output longer than this is logged in parts. */
#define LOG_LINE 3968

#define ALIVE(v) ((v)->phase == STARTING || (v)->phase == RUNNING)

struct svc {
    const struct plan_svc *ps;  /* NULL: removed from conf.d by a reload, still stopping or logging */
    char name[64];
    enum phase phase;           /* changed only by lifecycle.c's enter() */
    char note[RT_ERR_MSG + 160]; /* why it is in that phase, for rtctl status ("" when it runs) */
    char start_error[RT_ERR_MSG]; /* why its last start failed */
    struct arena a;             /* this start's spec and checks; freed at the next */
    struct ctr_spec *spec;      /* this start's (in a), until the next */
    struct ctr c;
    bool has_ctr;               /* c holds a process (starting, running or stopping) */
    bool start_failed;          /* it failed before its program ran: "could not start" */
    uint64_t deadline;          /* BACKOFF: start then; STARTING, STOPPING: kill then */
    uint64_t backoff;           /* the next back-off */
    uint64_t started_at;
    unsigned restarts;
    bool done_ok;               /* exited with status 0 (for `completed`) */
    char waiting[256];          /* what a WAITING service waits for, as last said */
    uint64_t retry_at;          /* WAITING: not before then (the image store was locked); 0: now */
    bool store_busy;            /* ... and that was said */
    int pipe;                   /* read end of its stdout/stderr, or -1 */
    char buf[LOG_LINE];         /* a line not yet ended */
    size_t blen;
    struct logq q;              /* its lines on the way to the log writer */
    struct health h;            /* its checks, while it runs; a copy, not the conf's */
    uint64_t checks;            /* probes made, over rtinit's life */
    int netns;                  /* its network namespace, for the probes; -1: the host's */
    struct ctr_spec *hspec;     /* a host service's exec checks run as it does: its user, environment,
                                   working directory and rlimits, copied into a (NULL: none) */
    bool unhealthy;             /* being stopped for failing its checks: restart it */
    bool again;                 /* being stopped to start again (a dependency was restarted,
                                   its conf.d changed, rtctl restart) */
    bool held;                  /* stopped by rtctl stop: it stays down until rtctl start */
    unsigned generation;        /* starts so far */
    unsigned *dep_gen;          /* restart_dependents: each dependency's generation at our start */
    const char *desc;           /* what its last start runs (svcspec_describe), in a; NULL: none got so far */
};

/* The control socket's connections whose request has not come yet
 * (control.c): each is dropped at its deadline, and when the table is full
 * the oldest makes room for a new one, so that clients that connect and
 * say nothing can neither hold rtinit's fds nor lock rtctl out. */
#define CTL_MAX_CLIENTS 64
#define CTL_IDLE_MS 2000
struct ctl_client {
    int fd;
    uint64_t deadline;
};
struct ctl_clients {
    struct ctl_client c[CTL_MAX_CLIENTS]; /* in the order they came: the oldest first */
    size_t n;
    uint64_t said_at;                     /* when refusals were last said (at most one line a second) */
    unsigned long unsaid;                 /* refusals since */
    uint64_t resume_at;                   /* accept(2) ran out of fds: not watched until then (0: watched) */
};

struct sup {
    const struct plan *p;
    struct plan *owned;         /* p when a reload loaded it: freed (with its conf) by the next */
    const struct rt_paths *paths;
    const struct logger *lg;
    struct svc *v;              /* p's services in plan order, then removed ones on their way out */
    size_t n;
    int ep, sfd, tfd, ctl;
    uint64_t armed;             /* the deadline tfd is set for, when armed_ok (UINT64_MAX: none) */
    bool armed_ok;
    bool timer_broken;          /* timerfd_settime failed: the loop wakes every 100 ms */
    unsigned long epoll_errors; /* epoll_wait failures (said every 600th) */
    int ownns, devnull;         /* our network namespace; /dev/null for probes */
    bool shutdown;
    int end;                    /* once every service is down, what PID 1 does: the signal that asked
                                   (SIGTERM poweroff, SIGINT or SIGUSR2 reboot, SIGUSR1 halt), or rtctl's
                                   request as that signal; supervise() hands it to rtinit.c */
    bool pid1;                  /* we are PID 1: the end is the machine's (pid1.c), not only ours */
    struct logw lw;             /* the log writer */
    struct logq ownq;           /* rtinit's own lines */
    struct logq **qs;           /* ownq, then each service's queue: what the writer is fed from */
    uint64_t lw_restart;        /* when to start a writer that died; 0: it runs */
    bool net_on;                /* the bridge is up (bridge.c) */
    struct net_bridge bridge;
    char bridge_name[16];
    char net_err[RT_ERR_MSG];   /* why it is not */
    struct ipam ipam;           /* the bridge services' addresses */
    char *hosts;                /* their /etc/hosts */
    char *resolv;               /* their /etc/resolv.conf, from [network] dns (NULL: the host's) */
    const struct skipped_svc *skipped; /* left out at boot (their files have errors), until a reload */
    size_t nskipped;
    struct arena sa;            /* the secrets */
    struct envfile secrets;
    bool have_secrets;
    struct confd *confd;        /* what conf.d held at the last load (confd.c) */
    struct metrics *metrics;    /* the loop's timing and the metrics endpoint (observe.h); NULL: none */
    struct ctl_clients cc;      /* control.c: connections waiting for their request */
    pid_t held_pid;             /* held.c: the child writing STATE/held (0: none) */
    struct ulimit nofile;       /* RLIMIT_NOFILE as rtinit started, given to services that set none */
    bool have_nofile;
    bool held_again;            /* ...and the list changed since it began: written again after it */
};

/* What an epoll event is about: (index << 4) | kind; for EV_CLIENT the
 * index is the connection's fd. */
enum { EV_SIGNAL, EV_TIMER, EV_PIPE, EV_PROBE, EV_CONTROL, EV_CLIENT, EV_LOGW, EV_SYNC, EV_PROBEOUT,
       EV_METRICS, EV_MCLIENT /* the metrics endpoint, a client of it (its slot): metrics_http.c */ };
#define EV(kind, i) ((uint64_t)(i) << 4 | (kind))
#define EV_KIND(tag) ((unsigned)((tag) & 15))
#define EV_INDEX(tag) ((tag) >> 4)

uint64_t now_ms(void);
/* rtinit's own messages: the console (stderr) and LOGDIR/rtinit.log. */
void say(struct sup *s, enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* epoll_ctl ADD / MOD, checked: -1 (errno set, nothing said) when the
 * kernel refuses; the caller decides what that costs. */
int sup_watch(struct sup *s, int fd, uint32_t events, uint64_t tag);
int sup_rewatch(struct sup *s, int fd, uint32_t events, uint64_t tag);
void sup_unwatch(struct sup *s, int fd);
/* The service's new output pipe (its previous one is drained and closed
 * first); -1 when it cannot be watched (then it is closed). */
int sup_take_pipe(struct sup *s, struct svc *v, int fd);

/* lifecycle.c: every change of a service's state */
void lc_step(struct sup *s);                            /* start what can start */
void lc_on_sync(struct sup *s, struct svc *v);          /* STARTING: the sync socket has news */
void lc_exited(struct sup *s, struct svc *v, int status); /* its process was reaped */
void lc_overdue(struct sup *s);                         /* deadlines: kill what did not start or stop */
void lc_health(struct sup *s, struct svc *v, enum health_event ev);
bool lc_shutdown_step(struct sup *s);                   /* stop by stage; true when all are down */
uint64_t lc_wakeup(const struct sup *s, const struct svc *v); /* its next deadline, or UINT64_MAX */
void lc_restart(struct sup *s, struct svc *v);           /* stop it, to start again */
void lc_hold_at_boot(struct sup *s, struct svc *v);     /* STATE/held names it */
enum lc_verb { LC_STOP, LC_START, LC_RESTART };
enum lc_answer { LA_STOPPING, LA_ALREADY_STOPPING, LA_NOT_RUNNING, LA_RESTARTING, LA_AFTER_STOP, LA_ALREADY_RUNNING,
                 LA_WAITING, LA_STARTING };
enum lc_answer lc_request(struct sup *s, struct svc *v, enum lc_verb verb); /* rtctl stop/start/restart */
void lc_changed(struct sup *s, struct svc *v);          /* a reload changed its definition */
void lc_removed(struct sup *s, struct svc *v);          /* a reload removed it (after svc_stop) */

/* probes.c: the checks of a RUNNING service */
void probes_begin(struct sup *s, struct svc *v, const struct ctr_spec *spec);
void probes_end(struct sup *s, struct svc *v);
void probes_run(struct sup *s);                         /* due ones start, slow ones time out */
void probes_on_fd(struct sup *s, struct svc *v);        /* EV_PROBE */
void probes_on_output(struct sup *s, struct svc *v);    /* EV_PROBEOUT: an exec check's output */

/* Stop every service, dependents first, then end as sig says (see end
 * above); by names who asked, for the log. The first request wins. */
void sup_shutdown(struct sup *s, int sig, const char *by);

/* A service's entry: set up for ps (a new one), or freed. */
int svc_init(struct sup *s, struct svc *v, const struct plan_svc *ps);
void svc_free(struct sup *s, struct svc *v);
/* Send its stop signal; it is STOPPING until it exits. */
void svc_stop(struct sup *s, struct svc *v);
/* epoll tags hold indices into s->v: after moving entries, set them
 * again; also rebuilds s->qs. 0, or -1 when memory runs out. */
int sup_reindex(struct sup *s);
/* Read the secrets file of conf into a, *env. False when it is unreadable
 * (said once). */
bool sup_load_secrets(struct sup *s, const struct conf *c, struct arena *a, struct envfile *env);

/* bridge.c: the bridge network, when a service uses it */
void bridge_open(struct sup *s);
void bridge_plan(struct sup *s);  /* addresses and /etc/hosts for s->p (after a reload too) */
void bridge_close(struct sup *s);
int bridge_for(struct sup *s, const struct svc *v, struct ctr_net *out, struct rt_err *err);

/* status.c: rtctl status (every service) and rtctl health NAME (its
 * last checks, NULL when there is no such service), as JSON */
json_t *status_json(struct sup *s);
json_t *status_health_json(struct sup *s, const char *name);

/* control.c */
int control_open(struct sup *s);
void control_accept(struct sup *s);
void control_request(struct sup *s, int fd);
void control_close(struct sup *s);
/* The first deadline of a waiting connection (UINT64_MAX: none), for the
 * loop's timer; and the drop of those past it. */
uint64_t control_wakeup(const struct sup *s);
void control_overdue(struct sup *s);
/* held.c: the services rtctl stop left down, kept in STATE/held across
 * rtinit's restarts for restart = unless-stopped; written by a child, so
 * that the loop never waits on the disk. held_reaped: was pid that child
 * (then it is dealt with); held_finish: after the loop, the writing
 * waited for. */
void held_load(struct sup *s);
void held_save(struct sup *s);
bool held_reaped(struct sup *s, pid_t pid, int status);
void held_finish(struct sup *s);

/* reload.c: conf.d again. 0 with a summary in *msg, or -1 with the
 * errors (nothing changed); *msg is malloc'd (may be NULL). The dry run
 * says what a reload would do, and changes nothing. */
int sup_reload(struct sup *s, char **msg);
int sup_reload_dry_run(struct sup *s, char **msg);

/* confd.c: does conf.d on disk differ from what runs (rtctl status)?
 * Remembered at each load, compared on request; never waits. */
struct confd_sum {
    struct digest dir;          /* conf.d's *.conf files: names and contents */
    struct digest extras;       /* the secrets file and env files the conf names */
};
void confd_scan(struct sup *s, const struct conf *c, struct confd_sum *out);
void confd_set(struct sup *s, const struct confd_sum *sum);
void confd_remember(struct sup *s); /* at boot: scan s->p and set */
/* 1: it differs, 0: the same, -1: not known (memory) */
int confd_changed(struct sup *s);
void confd_free(struct sup *s);

#endif
