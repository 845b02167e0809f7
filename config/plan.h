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
#include "imgvol.h"

/* What an image brings to a service that does not say otherwise (its
 * ENTRYPOINT, CMD, ENV, USER, WORKDIR, STOPSIGNAL, HEALTHCHECK, VOLUME).
 * The planner does not read images itself: the caller gives it a lookup
 * that fills this in (images/defaults.c reads the image store). */
struct image_defaults {
    bool has_entrypoint, has_cmd;
    struct argv entrypoint, cmd;
    char **env;                  /* "NAME=value" */
    size_t nenv;
    const char *user, *workdir;  /* NULL when the image sets none */
    int stop_signal;             /* 0 when the image sets none */
    struct healthcheck hc;       /* kind HC_NONE when the image has none */
    bool hc_disabled;            /* HEALTHCHECK NONE */
    char **volumes;
    size_t nvolumes;
};

/* Returns 1 and fills *out when the image is stored, 0 when it is not, -1
 * with a message in *why when the store cannot be read. */
typedef int (*image_lookup_fn)(void *ud, struct arena *a, const char *image, struct image_defaults *out,
                               const char **why);

struct plan_svc {
    const struct svc_conf *svc;
    unsigned stage;              /* 1 = starts first */
    size_t *deps;                /* indices into plan->svcs, parallel to svc->deps */

    /* With an image lookup: the image's defaults and the effective
     * settings that result (Docker's rules: an entrypoint set in the
     * service drops the image's CMD; the service's values win). */
    const struct image_defaults *image;  /* NULL: not looked up, or not stored */
    struct argv argv;            /* entrypoint + command */
    const char *user, *workdir;  /* NULL user: root */
    int stop_signal;
    const struct healthcheck *hc;        /* NULL: none */
    const struct imgvol *imgvols;        /* the image's VOLUMEs, as imgvol.h decides them */
    size_t nimgvols;
};

struct plan {
    const struct conf *conf;
    struct plan_svc *svcs;       /* in start order: by stage, then by name */
    size_t n;
    unsigned nstages;
    bool ordered;                /* false when a cycle or unknown dependency prevents it */
};

/* Adds its findings to c->diags (re-sorted). Allocates from c->arena;
 * returns NULL only when memory runs out. lookup (may be NULL) gives the
 * images' defaults, for effective settings and the checks that need them
 * (no command at all, a root user, an image VOLUME that cannot be one, a
 * "healthy" dependency on a service that has no health check). */
struct plan *plan_build(struct conf *c, image_lookup_fn lookup, void *ud);
/* With PLAN_NEED_IMAGES, an image that is not stored (or cannot be read)
 * is an error rather than a warning, and a NULL lookup means that no
 * image is stored: for conf.d about to run here (rtinit --check, a
 * reload). */
#define PLAN_NEED_IMAGES 1u
struct plan *plan_build_flags(struct conf *c, image_lookup_fn lookup, void *ud, unsigned flags);

/* The `config check` listing: host settings, then each service with its
 * effective settings in start order. Secret values are never printed. */
void plan_print(const struct plan *p, FILE *out);
/* Its parts: droplet.conf's settings; one service's effective settings
 * (header: the "# FILE (stage N)" line before it). For people: a reload
 * compares what runs (lib/svcdesc.h), not this text. */
void plan_print_droplet(const struct conf *c, FILE *out);
void plan_print_service(const struct plan_svc *ps, FILE *out, bool header);

#endif
