/* svcspec.h - from a planned service to the runtime's container spec.
 *
 * Everything a service's start needs that is read at start time happens
 * here, in the parent, before any process exists: the image's layers and
 * defaults, env files, ${VAR} values from the droplet's secrets file.
 * A problem names the service and what is wrong ("api: ${JWT_SECRET} is
 * not set in /etc/rt/secrets.env"), and nothing starts. */
#ifndef RT_SVCSPEC_H
#define RT_SVCSPEC_H

#include "../images/image.h"
#include "../config/envfile.h"
#include "../lib/paths.h"
#include "../config/plan.h"
#include "../runtime/container.h"

struct svcspec_ctx {
    const struct conf *conf;
    const struct rt_paths *paths;
    struct store *store;         /* open, for the images' layers (NULL will do for a host service) */
    const struct envfile *secrets; /* NULL: no secrets file */
    const struct ctr_net *net;   /* network = bridge: its place there (NULL: only lo) */
    const char *hosts;           /* /etc/hosts for the bridge's services (NULL: the default) */
    const char *resolv;          /* their /etc/resolv.conf ([network] dns; NULL: the host's) */
    const struct ulimit *nofile; /* RLIMIT_NOFILE for a service whose ulimits set none (NULL: inherit rtinit's) */
};

/* Fill *out (its strings and arrays from a) for ps; stdio is left to the
 * caller. */
int svcspec_build(const struct svcspec_ctx *x, struct arena *a, const struct plan_svc *ps, struct ctr_spec *out,
                  struct rt_err *err);

/* A command line from the plan with ${VAR} expanded in the words written
 * in conf.d (those that have a line); the image's own words are left as
 * the image has them. NULL with *why when a variable has no value. */
char **svcspec_expand_argv(struct arena *a, const struct argv *in, const struct envfile *secrets, const char **why);

/* What a start of ps with spec runs, described field by field
 * (lib/svcdesc.h), from a: a reload restarts a service when this differs
 * from its last start's. NULL when memory runs out. */
const char *svcspec_describe(const struct svcspec_ctx *x, struct arena *a, const struct plan_svc *ps,
                             const struct ctr_spec *spec);

#endif
