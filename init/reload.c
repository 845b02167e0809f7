/* reload.c - conf.d read again, on SIGHUP or `rtctl reload [--dry-run]`.
 *
 * The new conf.d is loaded and planned as at boot, with its images
 * required: an image missing from the store is an error, as any invalid
 * setting is, and so is a service whose start cannot be prepared now (an
 * env file, a ${VAR} without a value, a layer that is gone). With any
 * error it is refused whole: the errors are said (and returned to rtctl)
 * and nothing that runs changes. Otherwise each service of the new plan
 * is matched by name with the one that runs:
 *   - unchanged (its start now would be described as its last start is:
 *     lib/svcdesc.h, the container spec field by field and the policy
 *     fields) - left alone, whatever its state;
 *   - changed - stopped with its old stop signal and started again from
 *     the new definition once its dependencies hold; one that had exited
 *     or failed starts again;
 *   - new - starts like any service at boot;
 *   - removed - stopped; its entry stays until it is down and its last
 *     lines are logged.
 * A dry run stops before the move and says what a reload would do, with
 * the keys (and image layers) that differ for each changed service.
 *
 * The image store is read under its shared lock, taken without waiting:
 * while `rtctl image gc` holds it, the reload is refused (try again)
 * rather than the loop stopping for the gc.
 *
 * After the move the old conf is freed: no entry points into it (a
 * running service's checks are copies; a removed one keeps only its
 * name). Droplet-wide settings other than [logging] (the hostname,
 * modules, the volume, the network) take effect at the next boot. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "../images/defaults.h"
#include "../lib/fileio.h"
#include "../lib/svcdesc.h"
#include "../lib/util.h"
#include "sup.h"
#include "svcspec.h"

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* Settings applied only at boot that differ between a and b. */
static void boot_settings(const struct conf *a, const struct conf *b, char *out, size_t len)
{
    const struct droplet_conf *x = &a->droplet, *y = &b->droplet;
    size_t n = 0;
    out[0] = '\0';
    bool mods = x->nmodules != y->nmodules;
    for (size_t i = 0; !mods && i < x->nmodules; i++)
        mods = strcmp(x->modules[i], y->modules[i]) != 0;
    bool vol = !same_str(x->volume.device, y->volume.device) || !same_str(x->volume.fstype, y->volume.fstype) ||
               !same_str(x->volume.mountpoint, y->volume.mountpoint) ||
               !same_str(x->volume.options, y->volume.options);
    bool up = !same_str(x->uplink.interface, y->uplink.interface) || x->uplink.address != y->uplink.address ||
              x->uplink.prefix != y->uplink.prefix || x->uplink.gateway != y->uplink.gateway;
    bool net = !same_str(x->network.bridge, y->network.bridge) || x->network.subnet != y->network.subnet ||
               x->network.prefix != y->network.prefix || x->network.gateway != y->network.gateway ||
               x->network.mtu != y->network.mtu;
    const char *what[] = {!same_str(x->hostname, y->hostname) ? "hostname" : NULL, mods ? "modules" : NULL,
                          vol ? "[volume]" : NULL, net ? "[network]" : NULL, up ? "[uplink]" : NULL};
    for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++)
        if (what[i] && n < len)
            n += (size_t)snprintf(out + n, len - n, "%s%s", n ? ", " : "", what[i]);
}

static size_t find_old(const struct sup *s, const char *name)
{
    for (size_t j = 0; j < s->n; j++)
        if (s->v[j].ps && !strcmp(s->v[j].name, name))
            return j;
    return SIZE_MAX;
}

/* The store, shared, without waiting. 1 open, 0 there is none (nothing
 * imported), -1 refused with *msg. */
static int open_store(struct sup *s, struct image_lookup *lk, char **msg)
{
    struct rt_err err;
    if (store_open(&lk->store, s->paths, false, LOCK_SH | LOCK_NB, &err) == 0)
        return 1;
    if (err.errnum == ENOENT)
        return 0;
    if (err.errnum == EWOULDBLOCK)
        *msg = strfmt("the image store %s/images is busy (rtctl image gc holds it); nothing was changed; try again "
                    "once it is done",
                    s->paths->state_dir);
    else
        *msg = strfmt("%s; nothing was changed", err.msg);
    return -1;
}

/* conf.d loaded and planned with its images required; the store stays
 * open (*have) for the starts' specs. NULL with *msg when refused. */
static struct plan *load(struct sup *s, struct image_lookup *lk, int *have, char **msg)
{
    struct rt_err err;
    struct conf *c = conf_load(s->paths, &err);
    if (!c) {
        *msg = strfmt("%s; nothing was changed", err.msg);
        return NULL;
    }
    if ((*have = open_store(s, lk, msg)) < 0) {
        conf_free(c);
        return NULL;
    }
    struct plan *p = plan_build_flags(c, *have ? image_lookup : NULL, lk, PLAN_NEED_IMAGES);
    if (p && !c->diags.errors)
        return p;
    if (*have)
        image_lookup_close(lk);
    if (!p) {
        *msg = strdup("out of memory; nothing was changed");
    } else {
        size_t len = 0;
        FILE *f = open_memstream(msg, &len);
        if (f) {
            diag_print(&c->diags, f);
            fprintf(f, "%s: %zu error%s; nothing was changed", c->dir, c->diags.errors,
                    c->diags.errors == 1 ? "" : "s");
            fclose(f);
        }
    }
    conf_free(c);
    return NULL;
}

/* The new secrets file into a; -1 when memory runs out. */
static int load_secrets(struct sup *s, const struct conf *c, struct arena *a, struct envfile *env, bool *have)
{
    jmp_buf jb;
    if (ARENA_TRY(a, jb))
        return -1;
    *have = sup_load_secrets(s, c, a, env);
    a->oom = NULL; /* jb ends here; nothing else is allocated from a */
    return 0;
}

/* Each service's start as it would be now, described into desc[] (from
 * a); a service whose start cannot be prepared is said in ef, with its
 * file (*nbad counts them). -1 when memory runs out. */
static int describe_all(struct sup *s, const struct plan *p, struct store *st, const struct envfile *secrets,
                        struct arena *a, const char **desc, FILE *ef, size_t *nbad)
{
    jmp_buf jb;
    if (ARENA_TRY(a, jb))
        return -1;
    for (size_t i = 0; i < p->n; i++) {
        const struct plan_svc *ps = &p->svcs[i];
        struct svcspec_ctx x = {.conf = p->conf,
                                .paths = s->paths,
                                .store = st,
                                .secrets = secrets,
                                .nofile = s->have_nofile ? &s->nofile : NULL}; /* as lifecycle.c's */
        struct ctr_spec spec;
        struct rt_err err;
        bool host = ps->svc->host; /* no image: no store needed */
        if (!st && !host) /* no store, so no image: the plan said so already */
            rt_error(&err, ENOENT, "%s: no image store", ps->svc->name);
        if ((!st && !host) || svcspec_build(&x, a, ps, &spec, &err) < 0) {
            fprintf(ef, "%s: %s\n", ps->svc->file, err.msg);
            (*nbad)++;
            continue;
        }
        if (!(desc[i] = svcspec_describe(&x, a, ps, &spec)))
            return -1;
    }
    a->oom = NULL;
    return 0;
}

/* What a reload does to each service. */
struct verdicts {
    size_t *from;    /* the old entry of each new one, or SIZE_MAX: new */
    bool *changed;
    bool *kept;      /* each old entry: still in conf.d */
    const char **desc; /* each new one's start, described */
};

/* " (a b c)" after a count: the names of one kind. */
static void names(FILE *f, const struct sup *s, const struct plan *p, const struct verdicts *vd, int kind)
{
    bool first = true;
    for (size_t i = 0; kind != 2 && i < p->n; i++) {
        bool is_new = vd->from[i] == SIZE_MAX;
        if ((kind == 0 && !is_new && vd->changed[i]) || (kind == 1 && is_new)) {
            fprintf(f, "%s%s", first ? " (" : " ", p->svcs[i].svc->name);
            first = false;
        }
    }
    for (size_t j = 0; kind == 2 && j < s->n; j++)
        if (!vd->kept[j] && s->v[j].ps) {
            fprintf(f, "%s%s", first ? " (" : " ", s->v[j].name);
            first = false;
        }
    if (!first)
        fputc(')', f);
}

/* The summary line, then a line for each service that changes. */
static void report(FILE *f, const struct sup *s, const struct plan *p, const struct verdicts *vd, bool dry)
{
    size_t n[4] = {0}; /* changed, new, removed, unchanged */
    for (size_t i = 0; i < p->n; i++)
        n[vd->from[i] == SIZE_MAX ? 1 : vd->changed[i] ? 0 : 3]++;
    for (size_t j = 0; j < s->n; j++)
        n[2] += !vd->kept[j] && s->v[j].ps;
    fprintf(f, "%s %s: %zu changed", dry ? "would reload" : "reloaded", p->conf->dir, n[0]);
    names(f, s, p, vd, 0);
    fprintf(f, ", %zu new", n[1]);
    names(f, s, p, vd, 1);
    fprintf(f, ", %zu removed", n[2]);
    names(f, s, p, vd, 2);
    fprintf(f, ", %zu unchanged", n[3]);
    for (size_t i = 0; i < p->n; i++) {
        const char *name = p->svcs[i].svc->name;
        if (vd->from[i] == SIZE_MAX) {
            fprintf(f, "\n  %s: new", name);
            continue;
        }
        const struct svc *old = &s->v[vd->from[i]];
        if (!vd->changed[i])
            continue;
        fprintf(f, "\n  %s: changed: ", name);
        if (old->desc)
            svcdesc_diff(old->desc, vd->desc[i], f);
        else
            fputs("starts again (it has not run since its last start failed)", f);
        if (old->held)
            fputs("; stopped by rtctl stop, it runs the new definition at rtctl start", f);
    }
    for (size_t j = 0; j < s->n; j++)
        if (!vd->kept[j] && s->v[j].ps)
            fprintf(f, "\n  %s: removed", s->v[j].name);
    char boot[128];
    boot_settings(s->p->conf, p->conf, boot, sizeof(boot));
    if (boot[0])
        fprintf(f, "\nchanged in droplet.conf, applied at the next boot: %s", boot);
    if (dry)
        fputs("\nnothing was changed (dry run)", f);
}

/* The move: entries to the new plan, changed ones stopped to start again,
 * removed ones stopped. Nothing here fails. */
static void apply(struct sup *s, struct plan *p, const struct verdicts *vd, struct svc *nv, unsigned **dep_gen)
{
    for (size_t i = 0; i < p->n; i++) {
        const struct plan_svc *ps = &p->svcs[i];
        if (vd->from[i] == SIZE_MAX)
            continue; /* nv[i] is set up */
        struct svc *old = &s->v[vd->from[i]];
        if (vd->changed[i] && ALIVE(old))
            lc_restart(s, old); /* with its old stop signal: the old definition runs */
        nv[i] = *old;
        struct svc *v = &nv[i];
        /* restart_dependents: each dependency's generation at our start,
         * carried over by name; a new dependency counts as seen. */
        for (size_t k = 0; dep_gen[i] && k < ps->svc->ndeps; k++) {
            const char *dn = ps->svc->deps[k].name;
            size_t dj = find_old(s, dn);
            unsigned g = dj != SIZE_MAX ? s->v[dj].generation : 0;
            for (size_t m = 0; old->dep_gen && m < old->ps->svc->ndeps; m++)
                if (!strcmp(old->ps->svc->deps[m].name, dn))
                    g = old->dep_gen[m];
            dep_gen[i][k] = g;
        }
        free(old->dep_gen);
        old->dep_gen = NULL;
        v->dep_gen = dep_gen[i];
        v->ps = ps;
        if (!vd->changed[i])
            continue;
        lc_changed(s, v);
    }
    size_t e = p->n;
    for (size_t j = 0; j < s->n; j++) {
        struct svc *old = &s->v[j];
        if (vd->kept[j])
            continue;
        if (ALIVE(old))
            svc_stop(s, old);
        if (old->has_ctr || old->pipe >= 0 || old->q.len) {
            free(old->dep_gen);
            old->dep_gen = NULL;
            old->ps = NULL;
            lc_removed(s, old);
            nv[e++] = *old;
        } else {
            svc_free(s, old);
        }
    }
    free(s->v);
    s->v = nv;
    s->n = e;
    if (sup_reindex(s) < 0)
        say(s, LOG_ERR, "out of memory; the logs of some services wait");
    if (s->owned)
        conf_free((struct conf *)s->owned->conf);
    s->owned = p;
    s->skipped = NULL; /* this conf.d has no error: whatever boot left out is in it, or gone */
    s->nskipped = 0;
    s->p = p;
    if (!s->net_on)
        bridge_open(s); /* the first bridge service */
    else
        bridge_plan(s); /* addresses for new services, /etc/hosts again */

    /* [logging]: the writer takes the new place and sizes in order with
     * the lines. */
    const struct droplet_conf *d = &p->conf->droplet;
    const char *dir = d->logging.dir ? d->logging.dir : s->paths->log_dir;
    struct rt_err err;
    if (mkdir_p(dir, 0750, &err) < 0)
        say(s, LOG_WARN, "log directory: %s; logs are not kept", err.msg);
    logw_config(&s->lw, &s->ownq, dir, d->logging.max_size, d->logging.max_files ? d->logging.max_files : 1);
}

/* Each line of text in rtinit's log. */
static void say_lines(struct sup *s, enum log_level lvl, const char *text)
{
    for (const char *l = text; l && *l;) {
        size_t n = strcspn(l, "\n");
        say(s, lvl, "%.*s", (int)n, l);
        l += n + (l[n] == '\n');
    }
}

static int reload(struct sup *s, bool dry, char **msg)
{
    *msg = NULL;
    /* conf.d as it is before the load reads it: an edit made meanwhile
     * shows in rtctl status as a difference */
    struct confd_sum before, after;
    confd_scan(s, s->p->conf, &before);
    struct image_lookup lk;
    int have = 0;
    struct plan *p = load(s, &lk, &have, msg);
    if (!p) {
        say_lines(s, LOG_ERR, "reload refused:");
        say_lines(s, LOG_ERR, *msg ? *msg : "out of memory");
        return -1;
    }
    const struct conf *c = p->conf;
    confd_scan(s, c, &after);

    /* First everything that can fail, with nothing changed yet. */
    struct arena sa, da;
    arena_init(&sa);
    arena_init(&da);
    struct envfile secrets;
    bool have_secrets = false;
    size_t nnew = p->n, extra = 0, nbad = 0;
    struct svc *nv = NULL;
    struct verdicts vd = {0};
    unsigned **dep_gen = NULL;
    char *bad = NULL;
    size_t blen = 0;
    FILE *ef = NULL;
    int ret = -1;
    if (load_secrets(s, c, &sa, &secrets, &have_secrets) < 0)
        goto oom;
    vd.from = calloc(nnew ? nnew : 1, sizeof(*vd.from));
    vd.changed = calloc(nnew ? nnew : 1, sizeof(*vd.changed));
    vd.desc = calloc(nnew ? nnew : 1, sizeof(*vd.desc));
    vd.kept = calloc(s->n ? s->n : 1, sizeof(*vd.kept));
    dep_gen = calloc(nnew ? nnew : 1, sizeof(*dep_gen));
    ef = open_memstream(&bad, &blen);
    if (!vd.from || !vd.changed || !vd.desc || !vd.kept || !dep_gen || !ef)
        goto oom;
    int r = describe_all(s, p, have ? &lk.store : NULL, have_secrets ? &secrets : NULL, &da, vd.desc, ef, &nbad);
    if (have)
        image_lookup_close(&lk);
    have = 0;
    if (r < 0)
        goto oom;
    fclose(ef);
    ef = NULL;
    if (nbad) {
        *msg = strfmt("%s%s: %zu service%s cannot start; nothing was changed", bad ? bad : "", c->dir, nbad,
                    nbad == 1 ? "" : "s");
        goto out;
    }
    free(bad);
    bad = NULL;
    for (size_t i = 0; i < nnew; i++) {
        vd.from[i] = find_old(s, p->svcs[i].svc->name);
        if (vd.from[i] == SIZE_MAX)
            continue;
        const struct svc *old = &s->v[vd.from[i]];
        vd.kept[vd.from[i]] = true;
        /* never ran: nothing to compare; a failed start tries again */
        vd.changed[i] = old->desc ? strcmp(old->desc, vd.desc[i]) != 0 : old->phase != WAITING;
    }

    char *summary = NULL;
    size_t slen = 0;
    FILE *out = open_memstream(&summary, &slen);
    if (out) {
        report(out, s, p, &vd, dry);
        fclose(out);
    }
    if (dry) {
        *msg = summary;
        ret = 0;
        goto out; /* nothing is to change */
    }

    for (size_t j = 0; j < s->n; j++) {
        const struct svc *v = &s->v[j];
        if (!vd.kept[j] && (v->has_ctr || v->pipe >= 0 || v->q.len))
            extra++;
    }
    nv = calloc(nnew + extra ? nnew + extra : 1, sizeof(*nv));
    if (!nv) {
        free(summary);
        goto oom;
    }
    for (size_t i = 0; i < nnew; i++) {
        const struct plan_svc *ps = &p->svcs[i];
        if (vd.from[i] == SIZE_MAX && svc_init(s, &nv[i], ps) < 0) {
            free(summary);
            goto oom;
        }
        if (vd.from[i] != SIZE_MAX && ps->svc->restart_dependents && ps->svc->ndeps &&
            !(dep_gen[i] = calloc(ps->svc->ndeps, sizeof(unsigned)))) {
            free(summary);
            goto oom;
        }
    }

    /* Then the move; from here on nothing fails. */
    apply(s, p, &vd, nv, dep_gen);
    arena_free(&s->sa);
    s->sa = sa;
    s->secrets = secrets;
    s->have_secrets = have_secrets;
    confd_set(s, &(struct confd_sum){.dir = before.dir, .extras = after.extras});
    if (summary)
        say_lines(s, LOG_INFO, summary);
    *msg = summary;
    arena_free(&da);
    free(vd.from);
    free(vd.changed);
    free(vd.kept);
    free(vd.desc);
    free(dep_gen);
    return 0;

oom:
    free(*msg);
    *msg = strdup("out of memory; nothing was changed");
out:
    if (ef)
        fclose(ef);
    free(bad);
    if (have)
        image_lookup_close(&lk);
    for (size_t i = 0; nv && i < nnew; i++)
        if (vd.from[i] == SIZE_MAX && nv[i].q.buf)
            svc_free(s, &nv[i]);
    for (size_t i = 0; dep_gen && i < nnew; i++)
        free(dep_gen[i]);
    free(nv);
    free(vd.from);
    free(vd.changed);
    free(vd.kept);
    free(vd.desc);
    free(dep_gen);
    arena_free(&sa);
    arena_free(&da);
    conf_free((struct conf *)p->conf);
    if (ret < 0) {
        say_lines(s, LOG_ERR, "reload refused:");
        say_lines(s, LOG_ERR, *msg ? *msg : "out of memory");
    }
    return ret;
}

int sup_reload(struct sup *s, char **msg)
{
    return reload(s, false, msg);
}

int sup_reload_dry_run(struct sup *s, char **msg)
{
    return reload(s, true, msg);
}
