/* svcdesc.c - a service's start, described for comparison. See svcdesc.h. */
#include "svcdesc.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A field added to one of these structs must be described below, or said
 * here not to change what runs; then update the size. (x86-64 sizes: the
 * droplet's and the tests'.) */
#if defined(__x86_64__)
/* ctr_spec.image (the manifest's digest) is for rtctl status only: what
 * runs is the layers and the config's fields, each described below. */
_Static_assert(sizeof(struct ctr_spec) == 264, "struct ctr_spec changed: describe the new field in svcdesc_build");
_Static_assert(sizeof(struct ctr_mount) == 56, "struct ctr_mount changed: describe the new field in svcdesc_build");
_Static_assert(sizeof(struct ctr_device) == 24, "struct ctr_device changed: describe the new field in svcdesc_build");
_Static_assert(sizeof(struct ulimit) == 40, "struct ulimit changed: describe the new field in svcdesc_build");
_Static_assert(sizeof(struct cg_limits) == 32, "struct cg_limits changed: describe the new field in svcdesc_build");
_Static_assert(sizeof(struct healthcheck) == 120, "struct healthcheck changed: describe the new field in svcdesc_build");
_Static_assert(sizeof(struct port_map) == 32, "struct port_map changed: describe the new field in svcdesc_build");
_Static_assert(sizeof(struct dep) == 32, "struct dep changed: describe the new field in svcdesc_build");
_Static_assert(sizeof(struct plan_svc) == 104, "struct plan_svc changed: describe the new field in svcdesc_build");
/* svc_conf without set[], which grows with every key of the language: a
 * key reaches a container through ctr_spec (svcspec_build), or is a policy
 * field described here. */
_Static_assert(sizeof(struct svc_conf) - sizeof(((struct svc_conf *)0)->set) == 552,
               "struct svc_conf changed: describe the new field in svcdesc_build (or in ctr_spec)");
#endif

enum dkey {
    D_HOST, D_LAYERS, D_COMMAND, D_ENV, D_WORKDIR, D_USER, D_HOSTNAME, D_READ_ONLY, D_INIT, D_KILL_MODE, D_NETWORK,
    D_CAPS, D_SECCOMP,
    D_ULIMITS, D_VOLUMES, D_TMPFS, D_DEVICES, D_MEMORY, D_CPUS, D_PIDS, D_IO, D_PORTS, D_IPV4, D_DEPS,
    D_RESTART, D_BACKOFF, D_BACKOFF_MAX, D_DEPENDENTS, D_STOP_SIGNAL, D_STOP_TIMEOUT, D_HEALTHCHECK,
    D_COUNT
};

/* The conf.d key names where there is one: the diff shows these. */
static const char *const dkey_names[D_COUNT] = {
    "host", "image_layers", "command", "environment", "working_dir", "user", "hostname", "read_only", "init",
    "kill_mode", "network",
    "capabilities", "seccomp", "ulimits", "volumes", "tmpfs", "devices", "memory_max", "cpus", "pids_max",
    "io_weight", "ports", "ipv4", "depends_on", "restart", "restart_backoff", "restart_backoff_max",
    "restart_dependents", "stop_signal", "stop_timeout", "healthcheck",
};

static void key(FILE *f, enum dkey k)
{
    fputs(dkey_names[k], f);
}

/* A string, quoted; bytes that could make two values describe alike
 * (space, quote, backslash, control bytes) as \xHH. NULL: null. */
static void str(FILE *f, const char *s)
{
    if (!s) {
        fputs(" null", f);
        return;
    }
    fputs(" \"", f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '\\')
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void num(FILE *f, uint64_t n)
{
    fprintf(f, " %llu", (unsigned long long)n);
}

static void line_str(FILE *f, enum dkey k, const char *s)
{
    key(f, k);
    str(f, s);
    fputc('\n', f);
}

static void line_num(FILE *f, enum dkey k, uint64_t n)
{
    key(f, k);
    num(f, n);
    fputc('\n', f);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_port(const void *a, const void *b)
{
    const struct port_map *x = a, *y = b;
    if (x->host_ip != y->host_ip)
        return x->host_ip < y->host_ip ? -1 : 1;
    if (x->host_port != y->host_port)
        return x->host_port < y->host_port ? -1 : 1;
    if (x->ctr_port != y->ctr_port)
        return x->ctr_port < y->ctr_port ? -1 : 1;
    return (x->proto > y->proto) - (x->proto < y->proto);
}

static int cmp_dep(const void *a, const void *b)
{
    const struct dep *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    return r ? r : (int)x->cond - (int)y->cond;
}

static void describe_spec(FILE *f, struct arena *a, const struct ctr_spec *sp)
{
    /* a host service and a container of the same settings are not the
     * same thing to run */
    line_num(f, D_HOST, sp->host);
    for (size_t i = 0; i < sp->nlayers; i++) {
        char d[DIGEST_STR_LEN + 1];
        digest_str(&sp->layers[i], d);
        key(f, D_LAYERS);
        fprintf(f, " %s\n", d);
    }
    for (char *const *w = sp->argv; w && *w; w++)
        line_str(f, D_COMMAND, *w);
    /* The environment's order means nothing to a process (names are
     * unique), and moving lines in a file must not restart it. */
    size_t n = 0;
    for (char *const *e = sp->env; e && *e; e++)
        n++;
    char **env = arena_alloc(a, (n + 1) * sizeof(*env));
    memcpy(env, sp->env ? sp->env : env, n * sizeof(*env));
    qsort(env, n, sizeof(*env), cmp_str);
    for (size_t i = 0; i < n; i++)
        line_str(f, D_ENV, env[i]);
    line_str(f, D_WORKDIR, sp->cwd);
    line_str(f, D_USER, sp->user);
    line_str(f, D_HOSTNAME, sp->hostname);
    line_num(f, D_READ_ONLY, sp->read_only);
    line_num(f, D_INIT, sp->init);
    line_num(f, D_KILL_MODE, sp->keep_children);
    /* sp->fresh_layer: every service's start has it (svcspec_build); the
     * image's VOLUMEs (plan_svc.imgvols) reach the container as mounts,
     * described with the volumes below. */
    line_str(f, D_NETWORK, net_mode_name(sp->network));
    /* What the process gets, not how conf.d says it: cap_add = CHOWN,
     * already in the default set, changes nothing; cap_add also raises
     * the ambient set of a non-root process (runtime/child.c). */
    uint64_t caps = ctr_caps(sp);
    key(f, D_CAPS);
    fprintf(f, " 0x%llx 0x%llx\n", (unsigned long long)caps,
            (unsigned long long)(sp->cap_add_all ? caps : sp->cap_add & caps));
    key(f, D_SECCOMP);
    num(f, (uint64_t)sp->seccomp);
    str(f, sp->seccomp == SECCOMP_PROFILE ? sp->seccomp_profile : NULL);
    fputc('\n', f);
    for (size_t i = 0; i < sp->nrlimits; i++) {
        key(f, D_ULIMITS);
        num(f, (uint64_t)sp->rlimits[i].resource);
        num(f, sp->rlimits[i].soft);
        num(f, sp->rlimits[i].hard);
        fputc('\n', f);
    }
    /* Mounts keep their order: a later one can cover an earlier one. */
    for (size_t i = 0; i < sp->nmounts; i++) {
        const struct ctr_mount *m = &sp->mounts[i];
        key(f, m->tmpfs ? D_TMPFS : D_VOLUMES);
        str(f, m->dst);
        if (m->tmpfs) {
            num(f, m->flags);
            str(f, m->data);
        } else {
            str(f, m->src);
            num(f, m->ro);
            num(f, m->own);
        }
        fputc('\n', f);
    }
    for (size_t i = 0; i < sp->ndevices; i++) {
        key(f, D_DEVICES);
        str(f, sp->devices[i].host);
        str(f, sp->devices[i].ctr);
        num(f, sp->devices[i].access);
        fputc('\n', f);
    }
    line_num(f, D_MEMORY, sp->limits.memory_max);
    line_num(f, D_CPUS, sp->limits.cpus_milli);
    line_num(f, D_PIDS, sp->limits.pids_max);
    line_num(f, D_IO, sp->limits.io_weight);
}

static void describe_hc(FILE *f, const struct healthcheck *hc, char *const *argv)
{
    if (!hc) {
        line_str(f, D_HEALTHCHECK, NULL);
        return;
    }
    key(f, D_HEALTHCHECK);
    num(f, (uint64_t)hc->kind);
    str(f, hc->url);
    str(f, hc->host);
    num(f, hc->addr);
    num(f, hc->port);
    str(f, hc->path);
    num(f, hc->interval_ms);
    num(f, hc->timeout_ms);
    num(f, hc->start_period_ms);
    num(f, hc->start_interval_ms);
    num(f, hc->retries);
    fputc('\n', f);
    if (hc->kind != HC_EXEC)
        return;
    for (size_t i = 0; i < hc->exec.n; i++)
        line_str(f, D_HEALTHCHECK, argv ? argv[i] : hc->exec.v[i]);
}

static void describe_policy(FILE *f, struct arena *a, const struct plan_svc *ps, char *const *hc_argv)
{
    const struct svc_conf *s = ps->svc;
    struct port_map *ports = arena_alloc(a, (s->nports + 1) * sizeof(*ports));
    memcpy(ports, s->ports ? s->ports : ports, s->nports * sizeof(*ports));
    qsort(ports, s->nports, sizeof(*ports), cmp_port);
    for (size_t i = 0; i < s->nports; i++) {
        key(f, D_PORTS);
        num(f, ports[i].host_ip);
        num(f, ports[i].host_port);
        num(f, ports[i].ctr_port);
        num(f, (uint64_t)ports[i].proto);
        fputc('\n', f);
    }
    line_num(f, D_IPV4, s->ipv4);
    struct dep *deps = arena_alloc(a, (s->ndeps + 1) * sizeof(*deps));
    memcpy(deps, s->deps ? s->deps : deps, s->ndeps * sizeof(*deps));
    qsort(deps, s->ndeps, sizeof(*deps), cmp_dep);
    for (size_t i = 0; i < s->ndeps; i++) {
        key(f, D_DEPS);
        str(f, deps[i].name);
        num(f, (uint64_t)deps[i].cond);
        fputc('\n', f);
    }
    key(f, D_RESTART);
    num(f, (uint64_t)s->restart);
    num(f, s->restart_max);
    fputc('\n', f);
    line_num(f, D_BACKOFF, s->restart_backoff_ms);
    line_num(f, D_BACKOFF_MAX, s->restart_backoff_max_ms);
    line_num(f, D_DEPENDENTS, s->restart_dependents);
    /* the effective one: conf.d's, else the image's (svc_stop) */
    line_num(f, D_STOP_SIGNAL, (uint64_t)(ps->stop_signal ? ps->stop_signal : s->stop_signal));
    line_num(f, D_STOP_TIMEOUT, s->stop_timeout_ms);
    describe_hc(f, ps->hc ? ps->hc : s->hc.kind != HC_NONE ? &s->hc : NULL, hc_argv);
}

char *svcdesc_build(struct arena *a, const struct plan_svc *ps, const struct ctr_spec *spec, char *const *hc_argv)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    describe_spec(f, a, spec);
    describe_policy(f, a, ps, hc_argv);
    if (fclose(f) != 0 || !text) {
        free(text);
        return NULL;
    }
    char *out = arena_strndup(a, text, len);
    free(text);
    return out;
}

/* ---------- the difference ---------- */

struct lines {
    const char **v; /* each line's start; lines end at '\n' */
    size_t n;
};

static size_t line_len(const char *l)
{
    return strcspn(l, "\n");
}

static bool has_key(const char *l, const char *k)
{
    size_t n = strlen(k);
    return !strncmp(l, k, n) && l[n] == ' ';
}

static bool same_line(const char *x, const char *y)
{
    size_t n = line_len(x);
    return n == line_len(y) && !memcmp(x, y, n);
}

/* The lines of text with key k, in order; false when memory runs out. */
static bool lines_of(const char *text, const char *k, struct lines *out)
{
    size_t cap = 0;
    out->v = NULL;
    out->n = 0;
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (!has_key(l, k))
            continue;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 8;
            const char **v = realloc(out->v, cap * sizeof(*v));
            if (!v) {
                free(out->v);
                out->v = NULL;
                return false;
            }
            out->v = v;
        }
        out->v[out->n++] = l;
    }
    return true;
}

static bool in_lines(const struct lines *ls, const char *l)
{
    for (size_t i = 0; i < ls->n; i++)
        if (same_line(ls->v[i], l))
            return true;
    return false;
}

/* A layer line's digest, short: "sha256:0123456789ab". */
static void put_layer(FILE *f, const char *l, bool *first)
{
    const char *d = l + strlen(dkey_names[D_LAYERS]) + 1;
    size_t n = line_len(d);
    fprintf(f, "%s%.*s", *first ? "" : ", ", (int)(n > 19 ? 19 : n), d);
    *first = false;
}

/* The layers only one side has: "(OLD -> NEW)", "(+ NEW)", "(- OLD)". */
static void diff_layers(FILE *f, const struct lines *o, const struct lines *n)
{
    size_t gone = 0, added = 0;
    for (size_t i = 0; i < o->n; i++)
        gone += !in_lines(n, o->v[i]);
    for (size_t i = 0; i < n->n; i++)
        added += !in_lines(o, n->v[i]);
    fputs(" (", f);
    if (!gone && !added)
        fputs("the same layers in another order", f);
    else if (!gone)
        fputs("+ ", f);
    else if (!added)
        fputs("- ", f);
    bool first = true;
    for (size_t i = 0; i < o->n; i++)
        if (!in_lines(n, o->v[i]))
            put_layer(f, o->v[i], &first);
    if (gone && added)
        fputs(" -> ", f);
    first = true;
    for (size_t i = 0; i < n->n; i++)
        if (!in_lines(o, n->v[i]))
            put_layer(f, n->v[i], &first);
    fputc(')', f);
}

/* The names of the variables whose lines differ (sorted lines: each
 * name once), never their values. */
static void diff_env(FILE *f, const struct lines *o, const struct lines *n)
{
    const struct lines *side[2] = {o, n};
    const char **names = malloc((o->n + n->n + 1) * sizeof(*names));
    size_t *lens = malloc((o->n + n->n + 1) * sizeof(*lens));
    size_t k = 0;
    if (!names || !lens) {
        free(names);
        free(lens);
        return;
    }
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < side[s]->n; i++) {
            const char *l = side[s]->v[i];
            if (in_lines(side[!s], l))
                continue;
            const char *nm = l + strlen(dkey_names[D_ENV]) + 2; /* past ` "` */
            size_t len = strcspn(nm, "=\n\"");
            bool seen = false;
            for (size_t j = 0; j < k && !seen; j++)
                seen = lens[j] == len && !memcmp(names[j], nm, len);
            if (!seen) {
                names[k] = nm;
                lens[k++] = len;
            }
        }
    fputs(" (", f);
    for (size_t j = 0; j < k; j++)
        fprintf(f, "%s%.*s", j ? ", " : "", (int)lens[j], names[j]);
    fputc(')', f);
    free(names);
    free(lens);
}

void svcdesc_diff(const char *old, const char *new, FILE *f)
{
    bool first = true;
    for (int k = 0; k < D_COUNT; k++) {
        struct lines o, n;
        if (!lines_of(old, dkey_names[k], &o) || !lines_of(new, dkey_names[k], &n)) {
            free(o.v);
            fprintf(f, "%s%s", first ? "" : ", ", dkey_names[k]);
            first = false;
            continue;
        }
        bool same = o.n == n.n;
        for (size_t i = 0; same && i < o.n; i++)
            same = same_line(o.v[i], n.v[i]);
        if (!same) {
            fputs(first ? "" : ", ", f);
            first = false;
            if (k == D_LAYERS) {
                fputs("image layers", f);
                diff_layers(f, &o, &n);
            } else {
                fputs(dkey_names[k], f);
                if (k == D_ENV)
                    diff_env(f, &o, &n);
            }
        }
        free(o.v);
        free(n.v);
    }
}
