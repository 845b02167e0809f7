/* defaults.c - what an image's config means for a service. */
#include "defaults.h"

#include <errno.h>
#include <string.h>
#include <sys/file.h>

#include "../config/value.h"
#include "image.h"

static struct argv to_argv(char **v, size_t n)
{
    struct argv a = {v, n, NULL};
    return a;
}

void image_defaults_from_config(struct arena *a, const struct image_config *cfg, struct image_defaults *out)
{
    memset(out, 0, sizeof(*out));
    out->has_entrypoint = cfg->has_entrypoint;
    out->has_cmd = cfg->has_cmd;
    out->entrypoint = to_argv(cfg->entrypoint, cfg->nentrypoint);
    out->cmd = to_argv(cfg->cmd, cfg->ncmd);
    out->env = cfg->env;
    out->nenv = cfg->nenv;
    out->user = cfg->user;
    out->workdir = cfg->workdir;
    const char *why;
    if (cfg->stop_signal && parse_signal(cfg->stop_signal, &out->stop_signal, &why) < 0)
        out->stop_signal = 0; /* an image's odd STOPSIGNAL: keep ours */
    out->volumes = cfg->volumes;
    out->nvolumes = cfg->nvolumes;
    switch (cfg->hc.kind) {
    case IHC_DISABLED:
        out->hc_disabled = true;
        return;
    case IHC_NONE:
        return;
    case IHC_CMD:
        out->hc.exec = to_argv(cfg->hc.argv, cfg->hc.argc);
        break;
    case IHC_SHELL: {
        /* CMD-SHELL runs its string with the image's /bin/sh, as docker does. */
        char **v = arena_alloc(a, 4 * sizeof(char *));
        v[0] = "/bin/sh";
        v[1] = "-c";
        v[2] = cfg->hc.argv[0];
        out->hc.exec = to_argv(v, 3);
        break;
    }
    }
    out->hc.kind = HC_EXEC;
    /* Docker's defaults where the image leaves a field at 0. */
    out->hc.interval_ms = cfg->hc.interval_ms ? cfg->hc.interval_ms : 30000;
    out->hc.timeout_ms = cfg->hc.timeout_ms ? cfg->hc.timeout_ms : 30000;
    out->hc.start_period_ms = cfg->hc.start_period_ms;
    out->hc.start_interval_ms = cfg->hc.start_interval_ms ? cfg->hc.start_interval_ms : 5000;
    out->hc.retries = cfg->hc.retries ? cfg->hc.retries : 3;
}

int image_lookup_open(struct image_lookup *l, const struct rt_paths *paths, struct rt_err *err)
{
    if (store_open(&l->store, paths, false, LOCK_SH, err) == 0)
        return 1;
    return err->errnum == ENOENT ? 0 : -1;
}

void image_lookup_close(struct image_lookup *l)
{
    store_close(&l->store);
}

int image_lookup(void *ud, struct arena *a, const char *image, struct image_defaults *out, const char **why)
{
    struct image_lookup *l = ud;
    struct image img;
    struct rt_err err;
    if (image_load(&l->store, a, image, &img, &err) < 0) {
        if (err.errnum == ENOENT)
            return 0;
        *why = arena_strdup(a, err.msg);
        return -1;
    }
    image_defaults_from_config(a, &img.config, out);
    return 1;
}
