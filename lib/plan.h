/* plan.h - from a parsed conf.d to what rtinit will do, in order.
 *
 * plan_build() checks what no single file can: dependencies on services
 * that do not exist, cycles, two services publishing one host port,
 * ${VAR} references that [droplet] secrets does not define, secrets files
 * readable by others. It then orders the services: a service starts in
 * stage N when everything it depends on starts in earlier stages, so the
 * services of one stage can start in parallel. */
#ifndef RT_PLAN_H
#define RT_PLAN_H

#include <stdio.h>

#include "conf.h"

struct plan_svc {
    const struct svc_conf *svc;
    unsigned stage;              /* 1 = starts first */
    size_t *deps;                /* indices into plan->svcs, parallel to svc->deps */
};

struct plan {
    const struct conf *conf;
    struct plan_svc *svcs;       /* in start order: by stage, then by name */
    size_t n;
    unsigned nstages;
    bool ordered;                /* false when a cycle or unknown dependency prevents it */
};

/* Adds its findings to c->diags (re-sorted). Allocates from c->arena;
 * returns NULL only when memory runs out. */
struct plan *plan_build(struct conf *c);

/* The `config check` listing: host settings, then each service with its
 * effective settings in start order. Secret values are never printed. */
void plan_print(const struct plan *p, FILE *out);

#endif
