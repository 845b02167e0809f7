/* reload.c - conf.d read again, on SIGHUP or `rtctl reload`.
 *
 * The new conf.d is loaded and planned as at boot. With any error it is
 * refused whole: the errors are said (and returned to rtctl) and nothing
 * that runs changes. Otherwise each service of the new plan is matched by
 * name with the one that runs:
 *   - unchanged (the same fingerprint: its effective settings, resolved
 *     environment, command and image layers; svcspec_fingerprint) - left
 *     alone, whatever its state;
 *   - changed - stopped with its old stop signal and started again from
 *     the new definition once its dependencies hold; one that had exited
 *     or failed starts again;
 *   - new - starts like any service at boot;
 *   - removed - stopped; its entry stays until it is down and its last
 *     lines are logged.
 * Then the old conf is freed: after the move no entry points into it (a
 * running service's checks are copies; a removed one keeps only its
 * name). Droplet-wide settings other than [logging] (the hostname,
 * modules, the volume, the network) take effect at the next boot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../images/defaults.h"
#include "../lib/fileio.h"
#include "sup.h"

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
    bool net = !same_str(x->network.bridge, y->network.bridge) || x->network.subnet != y->network.subnet ||
               x->network.prefix != y->network.prefix || x->network.gateway != y->network.gateway ||
               x->network.mtu != y->network.mtu;
    const char *what[] = {!same_str(x->hostname, y->hostname) ? "hostname" : NULL, mods ? "modules" : NULL,
                          vol ? "[volume]" : NULL, net ? "[network]" : NULL};
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

static struct plan *load(struct sup *s, char **msg)
{
    struct rt_err err;
    struct conf *c = conf_load(s->paths, &err);
    if (!c) {
        *msg = strdup(err.msg);
        return NULL;
    }
    struct image_lookup lk;
    int have = image_lookup_open(&lk, s->paths, &err);
    if (have < 0) {
        *msg = strdup(err.msg);
        conf_free(c);
        return NULL;
    }
    struct plan *p = plan_build(c, have ? image_lookup : NULL, &lk);
    if (have)
        image_lookup_close(&lk);
    if (!p) {
        *msg = strdup("out of memory");
        conf_free(c);
        return NULL;
    }
    if (c->diags.errors) {
        size_t len = 0;
        FILE *f = open_memstream(msg, &len);
        if (f) {
            diag_print(&c->diags, f);
            fprintf(f, "%s: %zu error%s; nothing was changed", c->dir, c->diags.errors,
                    c->diags.errors == 1 ? "" : "s");
            fclose(f);
        }
        conf_free(c);
        return NULL;
    }
    return p;
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

/* Add "NAME" to a list being written. */
static void list_add(FILE *f, bool *first, const char *name)
{
    fprintf(f, "%s%s", *first ? "" : " ", name);
    *first = false;
}

int sup_reload(struct sup *s, char **msg)
{
    *msg = NULL;
    struct plan *p = load(s, msg);
    if (!p) {
        say(s, LOG_ERR, "reload refused: %s", *msg ? *msg : "out of memory");
        return -1;
    }
    const struct conf *c = p->conf;

    /* First everything that can fail, with nothing changed yet. */
    struct arena sa;
    arena_init(&sa);
    struct envfile secrets;
    bool have_secrets = false;
    size_t nnew = p->n, extra = 0;
    struct svc *nv = NULL;
    size_t *from = NULL;       /* the old entry of each new one, or SIZE_MAX */
    bool *changed = NULL, *kept = NULL;
    unsigned **dep_gen = NULL;
    if (load_secrets(s, c, &sa, &secrets, &have_secrets) < 0)
        goto oom;
    from = calloc(nnew ? nnew : 1, sizeof(*from));
    changed = calloc(nnew ? nnew : 1, sizeof(*changed));
    dep_gen = calloc(nnew ? nnew : 1, sizeof(*dep_gen));
    kept = calloc(s->n ? s->n : 1, sizeof(*kept));
    if (!from || !changed || !dep_gen || !kept)
        goto oom;
    for (size_t i = 0; i < nnew; i++) {
        from[i] = find_old(s, p->svcs[i].svc->name);
        if (from[i] != SIZE_MAX)
            kept[from[i]] = true;
    }
    for (size_t j = 0; j < s->n; j++) {
        const struct svc *v = &s->v[j];
        if (!kept[j] && (v->has_ctr || v->pipe >= 0 || v->q.len))
            extra++;
    }
    nv = calloc(nnew + extra ? nnew + extra : 1, sizeof(*nv));
    if (!nv)
        goto oom;
    for (size_t i = 0; i < nnew; i++) {
        const struct plan_svc *ps = &p->svcs[i];
        if (from[i] == SIZE_MAX) {
            if (svc_init(s, &nv[i], ps) < 0)
                goto oom;
            continue;
        }
        const struct svc *old = &s->v[from[i]];
        if (ps->svc->restart_dependents && ps->svc->ndeps &&
            !(dep_gen[i] = calloc(ps->svc->ndeps, sizeof(unsigned))))
            goto oom;
        struct digest fp;
        if (!old->has_fp) /* never ran: nothing to compare; a failed start tries again */
            changed[i] = old->phase != WAITING;
        else
            changed[i] = !sup_fingerprint(s, c, ps, have_secrets ? &secrets : NULL, &fp) || !digest_eq(&fp, &old->fp);
    }

    /* Then the move; from here on nothing fails. */
    char *summary = NULL;
    size_t slen = 0;
    FILE *out = open_memstream(&summary, &slen);
    FILE *sink = out ? out : fopen("/dev/null", "we");
    size_t nchanged = 0, nadded = 0, nremoved = 0, nsame = 0;
    bool f1 = true, f2 = true, f3 = true;
    char *lists[3] = {NULL, NULL, NULL};
    size_t llen[3];
    FILE *lf[3];
    for (int k = 0; k < 3; k++)
        lf[k] = open_memstream(&lists[k], &llen[k]);
    for (size_t i = 0; i < nnew; i++) {
        const struct plan_svc *ps = &p->svcs[i];
        if (from[i] == SIZE_MAX) {
            nadded++;
            if (lf[1])
                list_add(lf[1], &f2, nv[i].name);
            continue;
        }
        struct svc *old = &s->v[from[i]];
        if (changed[i] && ALIVE(old)) {
            old->again = true;
            svc_stop(s, old); /* with its old stop signal: the old definition runs */
        }
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
        if (!changed[i]) {
            nsame++;
            continue;
        }
        nchanged++;
        if (lf[0])
            list_add(lf[0], &f1, v->name);
        lc_changed(s, v);
    }
    size_t e = nnew;
    for (size_t j = 0; j < s->n; j++) {
        struct svc *old = &s->v[j];
        if (kept[j])
            continue;
        if (old->ps) {
            nremoved++;
            if (lf[2])
                list_add(lf[2], &f3, old->name);
        }
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
    for (int k = 0; k < 3; k++)
        if (lf[k])
            fclose(lf[k]);
    fprintf(sink, "reloaded %s: %zu changed%s%s%s, %zu new%s%s%s, %zu removed%s%s%s, %zu unchanged", c->dir,
            nchanged, nchanged ? " (" : "", nchanged && lists[0] ? lists[0] : "", nchanged ? ")" : "", nadded,
            nadded ? " (" : "", nadded && lists[1] ? lists[1] : "", nadded ? ")" : "", nremoved, nremoved ? " (" : "",
            nremoved && lists[2] ? lists[2] : "", nremoved ? ")" : "", nsame);
    for (int k = 0; k < 3; k++)
        free(lists[k]);
    char boot[128];
    boot_settings(s->p->conf, c, boot, sizeof(boot));
    if (boot[0])
        fprintf(sink, "\nchanged in droplet.conf, applied at the next boot: %s", boot);

    free(s->v);
    s->v = nv;
    s->n = e;
    if (sup_reindex(s) < 0)
        say(s, LOG_ERR, "out of memory; the logs of some services wait");
    if (s->owned)
        conf_free((struct conf *)s->owned->conf);
    s->owned = p;
    s->p = p;
    arena_free(&s->sa);
    s->sa = sa;
    s->secrets = secrets;
    s->have_secrets = have_secrets;
    if (!s->net_on)
        bridge_open(s); /* the first bridge service */
    else
        bridge_plan(s); /* addresses for new services, /etc/hosts again */

    /* [logging]: the writer takes the new place and sizes in order with
     * the lines. */
    const struct droplet_conf *d = &c->droplet;
    const char *dir = d->logging.dir ? d->logging.dir : s->paths->log_dir;
    struct rt_err err;
    if (mkdir_p(dir, 0750, &err) < 0)
        say(s, LOG_WARN, "log directory: %s; logs are not kept", err.msg);
    logw_config(&s->lw, &s->ownq, dir, d->logging.max_size, d->logging.max_files ? d->logging.max_files : 1);

    if (out) {
        fclose(out);
        say(s, LOG_INFO, "%s", summary);
        *msg = summary;
    } else if (sink) {
        fclose(sink);
    }
    free(from);
    free(changed);
    free(kept);
    free(dep_gen);
    return 0;

oom:
    for (size_t i = 0; nv && i < nnew; i++)
        if (from && from[i] == SIZE_MAX && nv[i].q.buf)
            svc_free(s, &nv[i]);
    for (size_t i = 0; dep_gen && i < nnew; i++)
        free(dep_gen[i]);
    free(nv);
    free(from);
    free(changed);
    free(kept);
    free(dep_gen);
    arena_free(&sa);
    conf_free((struct conf *)p->conf);
    say(s, LOG_ERR, "reload refused: out of memory; nothing was changed");
    *msg = strdup("out of memory; nothing was changed");
    return -1;
}
