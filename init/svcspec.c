/* svcspec.c - a planned service as a container spec. See svcspec.h. */
#include "svcspec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../config/device.h"
#include "../config/imgvol.h"
#include "../lib/svcdesc.h"
#include "../lib/util.h"

char **svcspec_expand_argv(struct arena *a, const struct argv *in, const struct envfile *secrets, const char **why)
{
    char **out = arena_alloc(a, (in->n + 1) * sizeof(char *));
    for (size_t i = 0; i < in->n; i++) {
        out[i] = in->lines && in->lines[i] ? interp_expand(a, in->v[i], envfile_lookup, (void *)secrets, why)
                                           : in->v[i];
        if (!out[i])
            return NULL;
    }
    return out;
}

/* The environment: the image's, then env files in order, then
 * `environment` (compose's order of precedence); PATH and HOSTNAME when
 * missing (no HOSTNAME with hostname NULL: a host service's). */
static char **build_env(const struct svcspec_ctx *x, struct arena *a, const struct plan_svc *ps,
                        const struct image *img, const char *hostname, struct rt_err *err)
{
    const struct svc_conf *s = ps->svc;
    struct envfile files[16];
    size_t nfiles = s->nenv_files < ARRAY_SIZE(files) ? s->nenv_files : ARRAY_SIZE(files);
    size_t cap = img->config.nenv + s->nenv + 2; /* + PATH, HOSTNAME */
    for (size_t f = 0; f < nfiles; f++) {
        struct envfile_result res = {0};
        memset(&files[f], 0, sizeof(files[f]));
        envfile_read(a, s->env_files[f].path, &files[f], &res);
        if (res.errnum) {
            rt_error(err, res.errnum, "%s: env_file %s: %s", s->name, s->env_files[f].path, strerror(res.errnum));
            return NULL;
        }
        if (res.nproblems) {
            rt_error(err, EINVAL, "%s: env_file %s:%d: %s", s->name, s->env_files[f].path, res.problems[0].line,
                     res.problems[0].msg);
            return NULL;
        }
        cap += files[f].n;
    }
    char **env = arena_alloc(a, (cap + 1) * sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < img->config.nenv; i++) {
        const char *eq = strchr(img->config.env[i], '=');
        if (eq)
            env_put(a, env, &n, img->config.env[i], (size_t)(eq - img->config.env[i]), eq + 1);
    }
    for (size_t f = 0; f < nfiles; f++)
        for (size_t i = 0; i < files[f].n; i++)
            env_put(a, env, &n, files[f].v[i].name, strlen(files[f].v[i].name), files[f].v[i].value);
    for (size_t i = 0; i < s->nenv; i++) {
        const char *why;
        char *v = interp_expand(a, s->env[i].value, envfile_lookup, (void *)x->secrets, &why);
        if (!v) {
            rt_error(err, EINVAL, "%s: environment %s: %s", s->name, s->env[i].name, why);
            return NULL;
        }
        env_put(a, env, &n, s->env[i].name, strlen(s->env[i].name), v);
    }
    env_finish(a, env, &n, hostname);
    return env;
}

/* `devices`, as the runtime takes them: the node and its cgroup access. */
static struct ctr_device *build_devices(struct arena *a, const struct svc_conf *s)
{
    struct ctr_device *d = arena_alloc(a, (s->ndevices + 1) * sizeof(*d));
    for (size_t i = 0; i < s->ndevices; i++) {
        const struct device_map *m = &s->devices[i];
        d[i] = (struct ctr_device){.host = m->host,
                                   .ctr = m->ctr,
                                   .access = (m->access & DEVICE_READ ? CTR_DEV_READ : 0) |
                                             (m->access & DEVICE_WRITE ? CTR_DEV_WRITE : 0) |
                                             (m->access & DEVICE_MKNOD ? CTR_DEV_MKNOD : 0)};
    }
    return d;
}

/* The service's rlimits, with x->nofile appended when it sets no nofile
 * of its own: rtinit raised its own soft limit of open files to the hard
 * one (supervise()), and a service is not to inherit that (on a systemd
 * host, 524288: programs that close every fd up to the limit slow down),
 * as systemd's DefaultLimitNOFILE and containerd's containers get 1024. */
static const struct ulimit *with_nofile(const struct svcspec_ctx *x, struct arena *a, const struct svc_conf *s,
                                        size_t *n)
{
    *n = s->nulimits;
    if (!x->nofile)
        return s->ulimits;
    for (size_t i = 0; i < s->nulimits; i++)
        if (s->ulimits[i].resource == RLIMIT_NOFILE)
            return s->ulimits;
    struct ulimit *rl = arena_alloc(a, (s->nulimits + 1) * sizeof(*rl));
    if (s->nulimits)
        memcpy(rl, s->ulimits, s->nulimits * sizeof(*rl));
    rl[s->nulimits] = *x->nofile;
    *n = s->nulimits + 1;
    return rl;
}

/* A host service (host = true): no image, so nothing from a store; the
 * command, environment (env files, `environment`, PATH when missing),
 * user, working directory, rlimits and cgroup limits of conf.d, run on
 * the host by runtime/hostproc.c. */
static int build_host(const struct svcspec_ctx *x, struct arena *a, const struct plan_svc *ps, struct ctr_spec *out,
                      struct rt_err *err)
{
    const struct svc_conf *s = ps->svc;
    if (ps->argv.n == 0)
        return rt_error(err, EINVAL, "%s: nothing to run (no command)", s->name);
    const char *why = NULL;
    char **argv = svcspec_expand_argv(a, &ps->argv, x->secrets, &why);
    if (!argv)
        return rt_error(err, EINVAL, "%s: command: %s", s->name, why);
    const struct image *none = arena_alloc(a, sizeof(*none)); /* zeroed: no image environment */
    char **env = build_env(x, a, ps, none, NULL, err);
    if (!env)
        return -1;
    size_t nrl;
    const struct ulimit *rl = with_nofile(x, a, s, &nrl);
    *out = (struct ctr_spec){
        .name = s->name,
        .state_dir = x->paths->state_dir,
        .run_dir = x->paths->run_dir,
        .argv = argv,
        .env = env,
        .cwd = ps->workdir ? ps->workdir : "/",
        .user = ps->user,
        .network = NET_HOST,
        .rlimits = rl,
        .nrlimits = nrl,
        .limits = {.memory_max = s->memory_max,
                   .cpus_milli = s->cpus_milli,
                   .pids_max = s->pids_max,
                   .io_weight = s->io_weight},
        .stdio = {-1, -1, -1},
        .host = true,
        .keep_children = s->kill_process,
    };
    return 0;
}

int svcspec_build(const struct svcspec_ctx *x, struct arena *a, const struct plan_svc *ps, struct ctr_spec *out,
                  struct rt_err *err)
{
    const struct svc_conf *s = ps->svc;
    memset(out, 0, sizeof(*out));
    if (s->host)
        return build_host(x, a, ps, out, err);
    if (!s->image)
        return rt_error(err, EINVAL, "%s: no image", s->name);
    struct image *img = arena_alloc(a, sizeof(*img));
    if (image_load(x->store, a, s->image, img, err) < 0 || image_check_runnable(x->store, img, err) < 0) {
        char msg[RT_ERR_MSG];
        memcpy(msg, err->msg, sizeof(msg));
        return rt_error(err, err->errnum, "%s: %s", s->name, msg);
    }
    if (ps->argv.n == 0)
        return rt_error(err, EINVAL, "%s: nothing to run (no entrypoint or command)", s->name);
    const char *why = NULL;
    char **argv = svcspec_expand_argv(a, &ps->argv, x->secrets, &why);
    if (!argv)
        return rt_error(err, EINVAL, "%s: command: %s", s->name, why);
    const char *hostname = s->hostname ? s->hostname : s->name;
    char **env = build_env(x, a, ps, img, hostname, err);
    if (!env)
        return -1;
    /* The image's VOLUMEs the service leaves alone get named volumes of
     * their own (imgvol.h), from the image this start runs; first, sorted,
     * so that one under another, or a volume of the service under one,
     * is mounted on top of it. */
    struct imgvol *iv;
    size_t niv = imgvol_resolve(a, s, x->conf->droplet.volume.mountpoint, img->config.volumes,
                                img->config.nvolumes, &iv);
    struct ctr_mount *m = arena_alloc(a, (niv + s->nvolumes + s->ntmpfs + 1) * sizeof(*m));
    size_t nm = 0;
    for (size_t i = 0; i < niv; i++)
        if (iv[i].kind == IMGVOL_NAMED)
            m[nm++] = (struct ctr_mount){.src = iv[i].host, .dst = iv[i].path, .own = true};
    for (size_t i = 0; i < s->nvolumes; i++)
        m[nm++] = (struct ctr_mount){.src = s->volumes[i].host_path,
                                     .dst = s->volumes[i].dst,
                                     .ro = s->volumes[i].ro,
                                     .own = s->volumes[i].src[0] != '/'}; /* a named volume */
    for (size_t i = 0; i < s->ntmpfs; i++)
        m[nm++] = (struct ctr_mount){
            .tmpfs = true, .dst = s->tmpfs[i].path, .flags = s->tmpfs[i].flags, .data = s->tmpfs[i].options};
    size_t nrl;
    const struct ulimit *rl = with_nofile(x, a, s, &nrl);
    *out = (struct ctr_spec){
        .name = s->name,
        .state_dir = x->paths->state_dir,
        .run_dir = x->paths->run_dir,
        .image = &img->manifest_digest,
        .layers = img->config.diff_ids,
        .nlayers = img->config.ndiff_ids,
        .read_only = s->read_only,
        .init = s->init,
        .argv = argv,
        .env = env,
        .cwd = ps->workdir ? ps->workdir : "/",
        .user = ps->user,
        .hostname = hostname,
        .network = s->network,
        .net = s->network == NET_BRIDGE ? x->net : NULL,
        .hosts = s->network == NET_BRIDGE ? x->hosts : NULL,
        .resolv_conf = s->network == NET_BRIDGE ? x->resolv : NULL,
        .cap_add = s->cap_add,
        .cap_drop = s->cap_drop,
        .cap_add_all = s->cap_add_all,
        .cap_drop_all = s->cap_drop_all,
        .seccomp = s->seccomp,
        .seccomp_profile = s->seccomp_profile,
        .rlimits = rl,
        .nrlimits = nrl,
        .mounts = m,
        .nmounts = nm,
        .devices = build_devices(a, s),
        .ndevices = s->ndevices,
        .limits = {.memory_max = s->memory_max,
                   .cpus_milli = s->cpus_milli,
                   .pids_max = s->pids_max,
                   .io_weight = s->io_weight},
        .stdio = {-1, -1, -1},
        .fresh_layer = true,
    };
    return 0;
}

const char *svcspec_describe(const struct svcspec_ctx *x, struct arena *a, const struct plan_svc *ps,
                             const struct ctr_spec *spec)
{
    /* The health check's words as start_health will run them, so that a
     * secret only the check uses counts too; as written when one is
     * unset (the check then cannot run, whatever the reload does). */
    char **hc = NULL;
    const char *why;
    if (ps->hc && ps->hc->kind == HC_EXEC)
        hc = svcspec_expand_argv(a, &ps->hc->exec, x->secrets, &why);
    return svcdesc_build(a, ps, spec, hc);
}
