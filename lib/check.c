#include "check.h"

#include <errno.h>

#include "conf.h"
#include "plan.h"

int config_check(const struct rt_paths *paths, bool print_plan, image_lookup_fn lookup, void *ud, FILE *out,
                 FILE *err, struct rt_err *e)
{
    struct conf *c = conf_load(paths, e);
    if (!c)
        return -1;
    struct plan *p = plan_build(c, lookup, ud);
    if (!p) {
        conf_free(c);
        return rt_error(e, ENOMEM, "out of memory");
    }
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
