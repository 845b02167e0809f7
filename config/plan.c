/* plan.c - checks across services and the start order; the listing that
 * `config check` prints is plan_print.c. */
#include "plan.h"

#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/mount.h>

#include "device.h"
#include "envfile.h"
#include "../lib/fileio.h"
#include "../lib/util.h"
#include "value.h"

struct builder {
    struct conf *c;
    struct plan *p;
    image_lookup_fn lookup;
    void *lookup_ud;
    bool need_images;  /* PLAN_NEED_IMAGES */
    size_t n;
    size_t **edges;    /* edges[i] = indices of svcs i depends on (-1 when unknown) */
    /* Tarjan's strongly connected components */
    int *index, *low, *comp;
    bool *on_stack;
    size_t *stack, sp;
    int next_index, ncomp;
};

static struct arena *AR(struct builder *b)
{
    return &b->c->arena;
}

static size_t svc_index(const struct conf *c, const char *name)
{
    for (size_t i = 0; i < c->nsvcs; i++)
        if (streq(c->svcs[i]->name, name))
            return i;
    return (size_t)-1;
}

static void resolve_deps(struct builder *b)
{
    struct conf *c = b->c;
    const char **names = arena_alloc(AR(b), (c->nsvcs + 1) * sizeof(char *));
    for (size_t i = 0; i < c->nsvcs; i++)
        names[i] = c->svcs[i]->name;
    b->edges = arena_alloc(AR(b), (c->nsvcs + 1) * sizeof(size_t *));
    for (size_t i = 0; i < c->nsvcs; i++) {
        const struct svc_conf *s = c->svcs[i];
        b->edges[i] = arena_alloc(AR(b), (s->ndeps + 1) * sizeof(size_t));
        for (size_t d = 0; d < s->ndeps; d++) {
            const struct dep *dep = &s->deps[d];
            size_t j = svc_index(c, dep->name);
            b->edges[i][d] = j;
            if (j == (size_t)-1) {
                const char *dym = did_you_mean(dep->name, names, c->nsvcs);
                if (dym)
                    diag_error(&c->diags, dep->at, "depends_on", "unknown service '%s' (did you mean '%s'?)",
                               dep->name, dym);
                else
                    diag_error(&c->diags, dep->at, "depends_on", "unknown service '%s'", dep->name);
                b->p->ordered = false;
                continue;
            }
            const struct svc_conf *t = c->svcs[j];
            if (dep->cond == DEP_COMPLETED &&
                (t->restart == RESTART_ALWAYS || t->restart == RESTART_UNLESS_STOPPED))
                diag_error(&c->diags, dep->at, "depends_on",
                           "%s:completed can never happen: %s has restart = %s, so it is restarted "
                           "whenever it exits",
                           dep->name, dep->name, restart_name(t->restart));
            if (dep->cond == DEP_COMPLETED && t->hc.kind != HC_NONE)
                diag_warn(&c->diags, dep->at, "depends_on",
                          "%s has a [healthcheck] but %s waits for it to exit (did you mean %s:healthy?)",
                          dep->name, s->name, dep->name);
        }
    }
}

static void strongconnect(struct builder *b, size_t v)
{
    b->index[v] = b->low[v] = b->next_index++;
    b->stack[b->sp++] = v;
    b->on_stack[v] = true;
    const struct svc_conf *s = b->c->svcs[v];
    for (size_t d = 0; d < s->ndeps; d++) {
        size_t w = b->edges[v][d];
        if (w == (size_t)-1)
            continue;
        if (b->index[w] < 0) {
            strongconnect(b, w);
            if (b->low[w] < b->low[v])
                b->low[v] = b->low[w];
        } else if (b->on_stack[w] && b->index[w] < b->low[v]) {
            b->low[v] = b->index[w];
        }
    }
    if (b->low[v] == b->index[v]) {
        size_t w;
        do {
            w = b->stack[--b->sp];
            b->on_stack[w] = false;
            b->comp[w] = b->ncomp;
        } while (w != v);
        b->ncomp++;
    }
}

/* Find a path start -> ... -> start inside one component, depth first,
 * trying dependencies in the order they are written. */
static bool cycle_path(struct builder *b, size_t v, size_t start, size_t *path, size_t *len, bool *seen)
{
    path[(*len)++] = v;
    const struct svc_conf *s = b->c->svcs[v];
    for (size_t d = 0; d < s->ndeps; d++) {
        size_t w = b->edges[v][d];
        if (w == (size_t)-1 || b->comp[w] != b->comp[start])
            continue;
        if (w == start) {
            path[(*len)++] = w;
            return true;
        }
        if (seen[w])
            continue;
        seen[w] = true;
        if (cycle_path(b, w, start, path, len, seen))
            return true;
    }
    (*len)--;
    return false;
}

static void find_cycles(struct builder *b)
{
    size_t n = b->n;
    b->index = arena_alloc(AR(b), (n + 1) * sizeof(int));
    b->low = arena_alloc(AR(b), (n + 1) * sizeof(int));
    b->comp = arena_alloc(AR(b), (n + 1) * sizeof(int));
    b->on_stack = arena_alloc(AR(b), (n + 1) * sizeof(bool));
    b->stack = arena_alloc(AR(b), (n + 1) * sizeof(size_t));
    for (size_t i = 0; i < n; i++)
        b->index[i] = -1;
    for (size_t i = 0; i < n; i++)
        if (b->index[i] < 0)
            strongconnect(b, i);

    /* Report each cyclic component once, from its first service by name,
     * at the depends_on line that starts the cycle. */
    bool *reported = arena_alloc(AR(b), ((size_t)b->ncomp + 1) * sizeof(bool));
    size_t *path = arena_alloc(AR(b), (n + 2) * sizeof(size_t));
    bool *seen = arena_alloc(AR(b), (n + 1) * sizeof(bool));
    for (size_t i = 0; i < n; i++) {
        if (reported[b->comp[i]])
            continue;
        size_t len = 0;
        memset(seen, 0, n * sizeof(bool));
        if (!cycle_path(b, i, i, path, &len, seen))
            continue; /* a component of one service without a self-loop */
        reported[b->comp[i]] = true;
        b->p->ordered = false;
        size_t cap = 64;
        for (size_t k = 0; k < len; k++)
            cap += strlen(b->c->svcs[path[k]]->name) + 4;
        char *txt = arena_alloc(AR(b), cap);
        size_t tl = 0;
        for (size_t k = 0; k < len; k++)
            tl += (size_t)snprintf(txt + tl, cap - tl, "%s%s", k ? " -> " : "", b->c->svcs[path[k]]->name);
        const struct svc_conf *s = b->c->svcs[i];
        struct src at = s->header;
        for (size_t d = 0; d < s->ndeps; d++)
            if (b->edges[i][d] == path[1]) {
                at = s->deps[d].at;
                break;
            }
        diag_error(&b->c->diags, at, "depends_on", "dependency cycle: %s", txt);
    }
}

static void order(struct builder *b)
{
    struct plan *p = b->p;
    size_t n = b->n;
    unsigned *stage = arena_alloc(AR(b), (n + 1) * sizeof(unsigned));
    /* Stage = 1 + the latest stage among dependencies. Services are few,
     * so repeated relaxation (at most n rounds on an acyclic graph) is
     * simpler than a queue and just as exact. */
    for (size_t i = 0; i < n; i++)
        stage[i] = 1;
    for (size_t round = 0; round < n; round++) {
        bool changed = false;
        for (size_t i = 0; i < n; i++) {
            const struct svc_conf *s = b->c->svcs[i];
            for (size_t d = 0; d < s->ndeps; d++) {
                size_t j = b->edges[i][d];
                if (j != (size_t)-1 && stage[j] + 1 > stage[i]) {
                    stage[i] = stage[j] + 1;
                    changed = true;
                }
            }
        }
        if (!changed)
            break;
    }
    /* Sort indices by (stage, name); services are already sorted by name,
     * so a stable pass per stage is enough. */
    p->svcs = arena_alloc(AR(b), (n + 1) * sizeof(struct plan_svc));
    size_t *pos = arena_alloc(AR(b), (n + 1) * sizeof(size_t));
    size_t k = 0;
    unsigned max = 0;
    for (size_t i = 0; i < n; i++)
        if (stage[i] > max)
            max = stage[i];
    for (unsigned st = 1; st <= max; st++)
        for (size_t i = 0; i < n; i++)
            if (stage[i] == st) {
                pos[i] = k;
                p->svcs[k].svc = b->c->svcs[i];
                p->svcs[k].stage = st;
                k++;
            }
    for (size_t i = 0; i < n; i++) {
        const struct svc_conf *s = b->c->svcs[i];
        struct plan_svc *ps = &p->svcs[pos[i]];
        ps->deps = arena_alloc(AR(b), (s->ndeps + 1) * sizeof(size_t));
        for (size_t d = 0; d < s->ndeps; d++)
            ps->deps[d] = pos[b->edges[i][d]];
    }
    p->n = n;
    p->nstages = max;
}

static const char *proto_name(int proto)
{
    return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static void check_ports(struct builder *b)
{
    struct conf *c = b->c;
    /* Ports people publish by accident: data stores and admin APIs. */
    static const struct {
        uint16_t port;
        const char *what;
    } internal[] = {
        {6379, "Redis"}, {5672, "RabbitMQ AMQP"}, {15672, "the RabbitMQ management UI"},
        {7700, "Meilisearch"}, {8001, "the Kong admin API"}, {5432, "PostgreSQL"},
    };
    for (size_t i = 0; i < c->nsvcs; i++) {
        const struct svc_conf *s = c->svcs[i];
        for (size_t k = 0; k < s->nports; k++) {
            const struct port_map *m = &s->ports[k];
            for (size_t w = 0; !m->host_ip && w < ARRAY_SIZE(internal); w++)
                if (m->host_port == internal[w].port || m->ctr_port == internal[w].port)
                    diag_warn(&c->diags, m->at, "ports",
                              "port %u (usually %s) is published on every address, so anyone who can reach "
                              "this host can reach it; publish it as 127.0.0.1:%u:%u or not at all",
                              internal[w].port, internal[w].what, m->host_port, m->ctr_port);
            for (size_t j = 0; j < i; j++) {
                const struct svc_conf *o = c->svcs[j];
                for (size_t l = 0; l < o->nports; l++) {
                    const struct port_map *q = &o->ports[l];
                    if (q->host_port != m->host_port || q->proto != m->proto)
                        continue;
                    if (q->host_ip && m->host_ip && q->host_ip != m->host_ip)
                        continue;
                    char ip[16], oip[16];
                    format_ipv4(m->host_ip, ip, sizeof(ip));
                    format_ipv4(q->host_ip, oip, sizeof(oip));
                    if (q->host_ip == m->host_ip)
                        diag_error(&c->diags, m->at, "ports", "%s:%u/%s is already published by %s (%s:%d)", ip,
                                   m->host_port, proto_name(m->proto), o->name, q->at.file, q->at.line);
                    else /* 0.0.0.0 covers every address, so it clashes with any one of them */
                        diag_error(&c->diags, m->at, "ports",
                                   "%s:%u/%s clashes with %s:%u/%s, already published by %s (%s:%d)", ip, m->host_port,
                                   proto_name(m->proto), oip, q->host_port, proto_name(q->proto), o->name, q->at.file,
                                   q->at.line);
                }
            }
        }
    }
}

/* A fixed `ipv4` must be a host address of the bridge's subnet, not the
 * gateway's, and no other service's; and the service must be on the
 * bridge. */
static void check_addresses(struct builder *b)
{
    struct conf *c = b->c;
    const struct droplet_conf *d = &c->droplet;
    uint32_t mask = d->network.prefix ? 0xffffffffu << (32 - d->network.prefix) : 0;
    for (size_t i = 0; i < c->nsvcs; i++) {
        const struct svc_conf *s = c->svcs[i];
        if (!s->ipv4)
            continue;
        char a[16], net[16];
        format_ipv4(s->ipv4, a, sizeof(a));
        format_ipv4(d->network.subnet, net, sizeof(net));
        if (s->network != NET_BRIDGE) {
            diag_error(&c->diags, s->set[K_IPV4], "ipv4", "only a service with network = bridge has an address; "
                       "this one has network = %s", net_mode_name(s->network));
            continue;
        }
        if ((s->ipv4 & mask) != d->network.subnet || s->ipv4 == d->network.subnet || s->ipv4 == (d->network.subnet | ~mask)) {
            diag_error(&c->diags, s->set[K_IPV4], "ipv4", "%s is not a host address in the bridge's subnet %s/%d", a,
                       net, d->network.prefix);
            continue;
        }
        if (s->ipv4 == d->network.gateway) {
            diag_error(&c->diags, s->set[K_IPV4], "ipv4", "%s is the bridge's own address ([network] gateway)", a);
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (c->svcs[j]->ipv4 == s->ipv4 && c->svcs[j]->network == NET_BRIDGE)
                diag_error(&c->diags, s->set[K_IPV4], "ipv4", "%s is already %s's address (%s:%d)", a,
                           c->svcs[j]->name, c->svcs[j]->set[K_IPV4].file, c->svcs[j]->set[K_IPV4].line);
    }
}

/* ---------- secrets ---------- */

struct secrets {
    bool available;          /* the file was read: undefined names are errors */
    struct envfile vars;
};

static void load_secrets(struct builder *b, struct secrets *sec)
{
    struct conf *c = b->c;
    const struct droplet_conf *d = &c->droplet;
    memset(sec, 0, sizeof(*sec));
    if (!d->secrets)
        return;
    struct envfile_result res;
    envfile_read(AR(b), d->secrets, &sec->vars, &res);
    struct src at = d->set[K_D_SECRETS];
    if (res.errnum == ENOENT) {
        diag_warn(&c->diags, at, "secrets",
                  "%s does not exist yet; services that use ${...} will not start until it does", d->secrets);
        return;
    }
    if (res.errnum == EACCES) {
        diag_warn(&c->diags, at, "secrets", "%s is not readable by this user; run as root to check it",
                  d->secrets);
        return;
    }
    if (res.errnum) {
        diag_error(&c->diags, at, "secrets", "%s: %s", d->secrets,
                   read_small_file_error(res.errnum));
        return;
    }
    if (res.readable_by_others || res.writable_by_others)
        diag_error(&c->diags, at, "secrets", "%s is %s by users other than root (mode %04o, owner uid %u); chown root "
                   "and chmod 600 it",
                   d->secrets, res.readable_by_others ? "readable" : "writable", res.mode, res.uid);
    for (size_t i = 0; i < res.nproblems; i++)
        diag_error(&c->diags, at, "secrets", "%s:%d: %s", d->secrets, res.problems[i].line, res.problems[i].msg);
    sec->available = true;
}

/* One ${VAR} use without a default, remembered so that uses are reported
 * in the order they appear in the file. */
struct ref {
    struct src at;
    const char *key;
    const char *name;
};

struct ref_list {
    struct arena *arena;
    struct src at;
    const char *key;
    struct ref *v;
    size_t n, cap;
};

static void on_ref(void *ud, const char *name, size_t len, bool has_default)
{
    struct ref_list *rl = ud;
    if (has_default)
        return;
    struct ref r = {rl->at, rl->key, arena_strndup(rl->arena, name, len)};
    ARENA_PUSH(rl->arena, rl->v, rl->n, rl->cap, r);
}

static int cmp_ref(const void *a, const void *b)
{
    const struct ref *x = a, *y = b;
    return x->at.line - y->at.line;
}

static void check_refs(struct builder *b, const struct secrets *sec)
{
    struct conf *c = b->c;
    for (size_t i = 0; i < c->nsvcs; i++) {
        const struct svc_conf *s = c->svcs[i];
        struct ref_list rl = {.arena = AR(b)};
        const char *why;
        for (size_t k = 0; k < s->nenv; k++) {
            rl.at = s->env[k].at;
            rl.key = "environment";
            interp_scan(s->env[k].value, on_ref, &rl, &why);
        }
        struct {
            const struct argv *a;
            enum conf_key key;
        } lists[] = {
            {&s->entrypoint, K_ENTRYPOINT},
            {&s->command, K_COMMAND},
            {&s->hc.exec, K_HC_EXEC},
        };
        for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
            rl.key = conf_key_name(lists[l].key);
            for (size_t k = 0; k < lists[l].a->n; k++) {
                rl.at = (struct src){s->file, lists[l].a->lines[k]};
                interp_scan(lists[l].a->v[k], on_ref, &rl, &why);
            }
        }
        if (rl.n == 0)
            continue;
        qsort(rl.v, rl.n, sizeof(rl.v[0]), cmp_ref); /* line order; stable enough: one key per line */
        if (!c->droplet.secrets) {
            /* Once per service, at its first use: the fix is in droplet.conf. */
            diag_error(&c->diags, rl.v[0].at, rl.v[0].key,
                       "${%s} needs a value, but droplet.conf sets no [droplet] secrets file", rl.v[0].name);
            continue;
        }
        if (!sec->available)
            continue; /* a warning already says the file could not be read */
        for (size_t k = 0; k < rl.n; k++)
            if (!envfile_get(&sec->vars, rl.v[k].name))
                diag_error(&c->diags, rl.v[k].at, rl.v[k].key, "${%s} is not defined in %s", rl.v[k].name,
                           c->droplet.secrets);
    }
}

/* A ${VAR} on a command line puts its value in the process's arguments,
 * which ps and /proc/PID/cmdline show (to every user, unless /proc hides
 * other users' processes). Warn about each value that comes from the
 * secrets file, and each secret-looking name, once per line. */
struct argv_refs {
    struct builder *b;
    const struct secrets *sec;
    struct src at;
    const char *key;
    size_t from;             /* this service's first diagnostic, for repeats */
};

static void on_argv_ref(void *ud, const char *name, size_t len, bool has_default)
{
    struct argv_refs *r = ud;
    struct conf *c = r->b->c;
    const char *n = arena_strndup(AR(r->b), name, len);
    /* Without a default, a value can only come from the secrets file. */
    bool from_secrets = !has_default || (r->sec->available && envfile_get(&r->sec->vars, n));
    if (!from_secrets && !conf_name_looks_secret(n))
        return;
    const char *msg = arena_printf(AR(r->b), "${%s} %s ends up in the process's arguments, which ps shows; pass it "
                                   "in environment (%s=${%s}) and have the program, or a sh -c wrapper, read it there",
                                   n, from_secrets ? "from [droplet] secrets" : "looks like a secret and", n, n);
    for (size_t i = r->from; i < c->diags.n; i++)
        if (c->diags.v[i].at.line == r->at.line && c->diags.v[i].key && streq(c->diags.v[i].key, r->key) &&
            streq(c->diags.v[i].msg, msg))
            return;
    diag_warn(&c->diags, r->at, r->key, "%s", msg);
}

static void check_argv_secrets(struct builder *b, const struct secrets *sec)
{
    struct conf *c = b->c;
    for (size_t i = 0; i < c->nsvcs; i++) {
        const struct svc_conf *s = c->svcs[i];
        struct argv_refs r = {.b = b, .sec = sec, .from = c->diags.n};
        static const enum conf_key keys[] = {K_ENTRYPOINT, K_COMMAND, K_HC_EXEC};
        const struct argv *lists[] = {&s->entrypoint, &s->command, &s->hc.exec};
        for (size_t l = 0; l < ARRAY_SIZE(keys); l++) {
            r.key = conf_key_name(keys[l]);
            for (size_t k = 0; k < lists[l]->n; k++) {
                const char *why;
                r.at = (struct src){s->file, lists[l]->lines[k]};
                interp_scan(lists[l]->v[k], on_argv_ref, &r, &why);
            }
        }
    }
}

static void check_env_files(struct builder *b)
{
    struct conf *c = b->c;
    for (size_t i = 0; i < c->nsvcs; i++) {
        const struct svc_conf *s = c->svcs[i];
        for (size_t k = 0; k < s->nenv_files; k++) {
            const struct env_file *ef = &s->env_files[k];
            struct envfile vars;
            struct envfile_result res;
            envfile_read(AR(b), ef->path, &vars, &res);
            if (res.errnum == ENOENT) {
                diag_warn(&c->diags, ef->at, "env_file", "%s does not exist yet; %s will not start until it does",
                          ef->path, s->name);
                continue;
            }
            if (res.errnum == EACCES) {
                diag_warn(&c->diags, ef->at, "env_file", "%s is not readable by this user; run as root to check it",
                          ef->path);
                continue;
            }
            if (res.errnum) {
                diag_error(&c->diags, ef->at, "env_file", "%s: %s", ef->path,
                           read_small_file_error(res.errnum));
                continue;
            }
            if (res.readable_by_others || res.writable_by_others)
                diag_error(&c->diags, ef->at, "env_file",
                           "%s is %s by users other than root (mode %04o, owner uid %u); chown root and "
                           "chmod 600 it",
                           ef->path, res.readable_by_others ? "readable" : "writable", res.mode, res.uid);
            for (size_t j = 0; j < res.nproblems; j++)
                diag_error(&c->diags, ef->at, "env_file", "%s:%d: %s", ef->path, res.problems[j].line,
                           res.problems[j].msg);
        }
    }
}

/* ---------- what the images bring ---------- */

static struct argv join_argv(struct arena *a, const struct argv *x, const struct argv *y)
{
    struct argv r = {0};
    r.n = x->n + y->n;
    r.v = arena_alloc(a, (r.n + 1) * sizeof(char *));
    r.lines = arena_alloc(a, (r.n + 1) * sizeof(int));
    for (size_t i = 0; i < x->n; i++)
        r.v[i] = x->v[i], r.lines[i] = x->lines ? x->lines[i] : 0;
    for (size_t i = 0; i < y->n; i++)
        r.v[x->n + i] = y->v[i], r.lines[x->n + i] = y->lines ? y->lines[i] : 0;
    return r;
}

/* Where the service is to run (rtinit --check, a reload), an image it
 * cannot have is an error, as any invalid setting is: it would fail at
 * every start. Elsewhere a warning. */
static __attribute__((format(printf, 3, 4))) void image_problem(struct builder *b, struct src at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(&b->c->diags, b->need_images ? DIAG_ERROR : DIAG_WARNING, at, "image", fmt, ap);
    va_end(ap);
}

static void apply_image(struct builder *b, struct plan_svc *ps)
{
    struct conf *c = b->c;
    const struct svc_conf *s = ps->svc;
    struct src at = s->set[K_IMAGE].line ? s->set[K_IMAGE] : s->header;
    struct image_defaults *d = arena_alloc(AR(b), sizeof(*d));
    const char *why = NULL;
    int r = s->image && b->lookup ? b->lookup(b->lookup_ud, AR(b), s->image, d, &why) : 0;
    if (r < 0) {
        image_problem(b, at, "cannot look %s up: %s", s->image, why ? why : "?");
        return;
    }
    if (r == 0) {
        if (s->image)
            image_problem(b, at, "%s is not in the image store; import it with rtctl image import", s->image);
        return;
    }
    ps->image = d;
    /* Docker's rule: an entrypoint set here replaces the image's and drops
     * its CMD; a command set here replaces the image's CMD. */
    static const struct argv none = {0};
    const struct argv *ep = s->set[K_ENTRYPOINT].line ? &s->entrypoint : d->has_entrypoint ? &d->entrypoint : &none;
    const struct argv *cmd = s->set[K_COMMAND].line      ? &s->command
                             : s->set[K_ENTRYPOINT].line ? &none
                             : d->has_cmd                ? &d->cmd
                                                         : &none;
    ps->argv = join_argv(AR(b), ep, cmd);
    if (ps->argv.n == 0)
        diag_error(&c->diags, at, "image",
                   "nothing to run: neither %s nor the image %s gives an entrypoint or a command", s->file, s->image);
    ps->user = s->user ? s->user : d->user;
    if (!ps->user || streq(ps->user, "root") || streq(ps->user, "0") || startswith(ps->user, "0:") ||
        startswith(ps->user, "root:"))
        diag_warn(&c->diags, s->user ? s->set[K_USER] : at, "user",
                  "%s runs as root; set user = to an unprivileged user (the image's own, if it has one)", s->name);
    ps->workdir = s->working_dir ? s->working_dir : d->workdir ? d->workdir : "/";
    ps->stop_signal = s->set[K_STOP_SIGNAL].line ? s->stop_signal : d->stop_signal ? d->stop_signal : s->stop_signal;
    if (s->hc.kind != HC_NONE)
        ps->hc = &s->hc;
    else if (d->hc.kind != HC_NONE && !d->hc_disabled)
        ps->hc = &d->hc;
    /* each gets a named volume of its own, unless the service mounts it
     * or it cannot be a volume (imgvol.h) */
    struct imgvol *iv;
    ps->nimgvols = imgvol_resolve(AR(b), s, c->droplet.volume.mountpoint, d->volumes, d->nvolumes, &iv);
    ps->imgvols = iv;
    for (size_t i = 0; i < ps->nimgvols; i++)
        if (iv[i].kind == IMGVOL_REFUSED)
            diag_warn(&c->diags, at, "volumes",
                      "the image declares VOLUME %s, which cannot be a volume (%s): what %s writes there is lost "
                      "at each start",
                      iv[i].shown, iv[i].why, s->name);
    /* as for the service's own named volumes (conf_container.c), once per service */
    bool warned = false;
    for (size_t i = 0; i < s->nvolumes && !c->droplet.volume.device; i++)
        warned |= s->volumes[i].src[0] != '/';
    for (size_t i = 0; i < ps->nimgvols && !c->droplet.volume.device && !warned; i++)
        if (iv[i].kind == IMGVOL_NAMED) {
            diag_warn(&c->diags, at, "volumes",
                      "the image's VOLUME %s gets the named volume %s, but droplet.conf sets no [volume] device: "
                      "the data will live on the root disk under %s",
                      iv[i].path, iv[i].name, c->droplet.volume.mountpoint);
            warned = true;
        }
}

/* A host service has no image: what it runs, as whom, where, and its
 * check are conf.d's alone, known with or without an image store. */
static void apply_host(struct builder *b, struct plan_svc *ps)
{
    const struct svc_conf *s = ps->svc;
    static const struct argv none = {0};
    ps->argv = join_argv(AR(b), &none, &s->command);
    ps->user = s->user;
    ps->workdir = s->working_dir ? s->working_dir : "/";
    ps->stop_signal = s->stop_signal;
    ps->hc = s->hc.kind != HC_NONE ? &s->hc : NULL;
}

/* "api depends on redis:healthy" needs a health check on redis: its own,
 * or its image's. Without images we can only warn. */
static void check_health_deps(struct builder *b)
{
    struct conf *c = b->c;
    for (size_t i = 0; i < c->nsvcs; i++) {
        const struct svc_conf *s = c->svcs[i];
        for (size_t d = 0; d < s->ndeps; d++) {
            const struct dep *dep = &s->deps[d];
            size_t j = b->edges[i][d];
            if (dep->cond != DEP_HEALTHY || j == (size_t)-1)
                continue;
            const struct svc_conf *t = c->svcs[j];
            if (t->hc.kind != HC_NONE)
                continue;
            if (t->host) {
                diag_error(&c->diags, dep->at, "depends_on",
                           "%s:healthy can never happen: %s is a host service without a [healthcheck]; add one to %s "
                           "or wait for %s:started",
                           dep->name, dep->name, t->file, dep->name);
                continue;
            }
            const struct plan_svc *pt = NULL;
            for (size_t k = 0; b->p->ordered && k < b->p->n; k++)
                if (b->p->svcs[k].svc == t)
                    pt = &b->p->svcs[k];
            if (pt && pt->image && !pt->hc)
                diag_error(&c->diags, dep->at, "depends_on",
                           "%s:healthy can never happen: neither %s nor its image %s defines a health check; add a "
                           "[healthcheck] to %s or wait for %s:started",
                           dep->name, t->file, t->image, t->file, dep->name);
            else if (!pt || !pt->image)
                diag_warn(&c->diags, dep->at, "depends_on",
                          "%s has no [healthcheck]; unless its image defines one, %s waits forever", dep->name,
                          s->name);
        }
    }
}

struct plan *plan_build(struct conf *c, image_lookup_fn lookup, void *ud)
{
    return plan_build_flags(c, lookup, ud, 0);
}

struct plan *plan_build_flags(struct conf *c, image_lookup_fn lookup, void *ud, unsigned flags)
{
    jmp_buf jb, *saved = c->arena.oom;
    if (ARENA_TRY(&c->arena, jb)) {
        c->arena.oom = saved;
        return NULL;
    }
    struct plan *p = arena_alloc(&c->arena, sizeof(*p));
    p->conf = c;
    p->ordered = true;
    bool need = flags & PLAN_NEED_IMAGES;
    struct builder b = {.c = c, .p = p, .n = c->nsvcs, .lookup = lookup, .lookup_ud = ud, .need_images = need};
    if (c->nsvcs == 0)
        diag_warn(&c->diags, (struct src){c->dir, 0}, NULL, "no services defined (no NAME.conf files)");
    resolve_deps(&b);
    find_cycles(&b);
    check_ports(&b);
    check_addresses(&b);
    check_env_files(&b);
    struct secrets sec;
    load_secrets(&b, &sec);
    check_refs(&b, &sec);
    check_argv_secrets(&b, &sec);
    if (p->ordered)
        order(&b);
    for (size_t i = 0; i < p->n; i++) {
        if (p->svcs[i].svc->host)
            apply_host(&b, &p->svcs[i]);
        else if (lookup || need)
            apply_image(&b, &p->svcs[i]);
    }
    check_health_deps(&b);
    diag_sort(&c->diags);
    c->arena.oom = saved;
    return p;
}
