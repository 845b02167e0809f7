#include "check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "../lib/fileio.h"
#include "plan.h"

/* The host account with this uid in the passwd text, or NULL. */
static const char *account_of(struct arena *a, const char *passwd, unsigned long uid)
{
    for (const char *l = passwd; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *nl = strchr(l, '\n');
        if (!c2 || (nl && c2 > nl))
            continue;
        char *end;
        unsigned long u = strtoul(c2 + 1, &end, 10);
        if (end != c2 + 1 && *end == ':' && u == uid)
            return arena_strndup(a, l, (size_t)(c1 - l));
    }
    return NULL;
}

/* Is there a line "name:..." in the passwd text? */
static bool has_account(const char *passwd, const char *name, size_t n)
{
    for (const char *l = passwd; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, name, n) && l[n] == ':')
            return true;
    return false;
}

/* A host service's user is a host account by design (it runs on the
 * host): not a shared uid, but one that must exist where it starts. A
 * warning only: the check may run elsewhere than the droplet. */
static void check_host_user(struct conf *c, const struct svc_conf *s, const char *passwd, const char *passwd_path)
{
    if (!s->user || !*s->user)
        return;
    size_t n = strcspn(s->user, ":");
    if (strspn(s->user, "0123456789") >= n) /* a uid need not have an entry */
        return;
    if (!has_account(passwd, s->user, n))
        diag_warn(&c->diags, s->set[K_USER], "user", "'%.*s' is not a user in %s here; %s cannot start where it is missing",
                  (int)n, s->user, passwd_path, s->name);
}

/* A service that runs as a uid a host account has shares it with that
 * account, which can then read the service's /proc/PID/environ (its
 * secrets) and write its files through /proc/PID/root: hidepid hides
 * nothing from a process's own uid. Only numeric users can be checked
 * here; a name is resolved in the image when the service starts. */
static void check_host_accounts(struct conf *c, const struct plan *p, const char *passwd_path)
{
    size_t len;
    struct stat st;
    int e;
    char *passwd = read_small_file(&c->arena, passwd_path, 4 << 20, &len, &st, &e);
    if (!passwd)
        return;
    for (size_t i = 0; i < p->n; i++) {
        const struct plan_svc *ps = &p->svcs[i];
        const struct svc_conf *s = ps->svc;
        if (s->host) {
            check_host_user(c, s, passwd, passwd_path);
            continue;
        }
        const char *user = ps->user ? ps->user : s->user; /* the image's, if looked up */
        if (!user || !*user)
            continue;
        char *end;
        unsigned long uid = strtoul(user, &end, 10);
        if (end == user || (*end && *end != ':') || uid == 0)
            continue;
        const char *who = account_of(&c->arena, passwd, uid);
        if (who)
            diag_warn(&c->diags, s->set[K_USER].line ? s->set[K_USER] : s->header, "user",
                      "uid %lu is the host account '%s' in %s, which can then read this service's environment "
                      "(its secrets) and its files; choose a uid no host account has",
                      uid, who, passwd_path);
    }
}

int config_check(const struct rt_paths *paths, bool print_plan, image_lookup_fn lookup, void *ud, unsigned plan_flags,
                 FILE *out, FILE *err, struct rt_err *e)
{
    struct conf *c = conf_load(paths, e);
    if (!c)
        return -1;
    struct plan *p = plan_build_flags(c, lookup, ud, plan_flags);
    if (!p) {
        conf_free(c);
        return rt_error(e, ENOMEM, "out of memory");
    }
    check_host_accounts(c, p, "/etc/passwd");
    diag_sort(&c->diags);
    diag_print(&c->diags, err);
    size_t ne = c->diags.errors, nw = c->diags.warnings;
    if (ne) {
        fprintf(err, "%s: %zu error%s, %zu warning%s\n", c->dir, ne, ne == 1 ? "" : "s", nw, nw == 1 ? "" : "s");
    } else {
        if (print_plan)
            plan_print(p, out);
        fflush(out);
        fprintf(err, "%s: OK, %zu service%s, %zu warning%s\n", c->dir, c->nsvcs, c->nsvcs == 1 ? "" : "s", nw,
                nw == 1 ? "" : "s");
    }
    conf_free(c);
    return ne ? 1 : 0;
}
