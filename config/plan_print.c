/* plan_print.c - the resolved plan as `config check` prints it, one
 * `key = value` per line in the conf.d language. See plan.h. */
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

static void kv_str(FILE *f, const char *k, const char *v)
{
    fprintf(f, "%s = %s\n", k, v);
}

static void kv_words(FILE *f, const char *k, char *const *v, size_t n)
{
    fprintf(f, "%s =", k);
    for (size_t i = 0; i < n; i++) {
        fputc(' ', f);
        print_shell_word(f, v[i]);
    }
    fputc('\n', f);
}

static void kv_dur(FILE *f, const char *k, uint64_t ms)
{
    fprintf(f, "%s = ", k);
    print_duration(f, ms);
    fputc('\n', f);
}

static void kv_argv(FILE *f, const char *k, const struct argv *a)
{
    /* As a JSON array, with literal secrets shown as <redacted>. */
    fprintf(f, "%s = [", k);
    for (size_t i = 0; i < a->n; i++) {
        size_t off;
        if (i)
            fputs(", ", f);
        if (conf_argv_is_secret(a, i, &off)) {
            char shown[64];
            snprintf(shown, sizeof(shown), "%.*s<redacted>", (int)(off < 40 ? off : 40), a->v[i]);
            print_json_string(f, shown);
        } else {
            char *shown = conf_redact_value(NULL, a->v[i]); /* a URL's password */
            print_json_string(f, shown ? shown : "<redacted>");
            free(shown);
        }
    }
    fputs("]\n", f);
}

void plan_print_droplet(const struct conf *c, FILE *f)
{
    const struct droplet_conf *d = &c->droplet;
    char ip[16];
    fprintf(f, "# %s%s\n", d->file, d->present ? "" : " (absent: all defaults)");
    fputs("[droplet]\n", f);
    kv_str(f, "hostname", d->hostname);
    kv_words(f, "modules", d->modules, d->nmodules);
    if (d->secrets)
        kv_str(f, "secrets", d->secrets);
    else
        fputs("# secrets: none (no ${VAR} values)\n", f);
    kv_str(f, "proc_hidepid", d->proc_hidepid ? "true" : "false");
    fputs("\n[volume]\n", f);
    if (d->volume.device)
        kv_str(f, "device", d->volume.device);
    else
        fputs("# device: none (relative volume paths live on the root disk)\n", f);
    kv_str(f, "fstype", d->volume.fstype);
    kv_str(f, "mountpoint", d->volume.mountpoint);
    kv_str(f, "options", d->volume.options);
    kv_dur(f, "timeout", d->volume.timeout_ms);
    fputs("\n[network]\n", f);
    kv_str(f, "bridge", d->network.bridge);
    format_ipv4(d->network.subnet, ip, sizeof(ip));
    fprintf(f, "subnet = %s/%d\n", ip, d->network.prefix);
    format_ipv4(d->network.gateway, ip, sizeof(ip));
    kv_str(f, "gateway", ip);
    fprintf(f, "mtu = %u\n", d->network.mtu);
    if (d->network.ndns) {
        fputs("dns =", f);
        for (size_t i = 0; i < d->network.ndns; i++) {
            format_ipv4(d->network.dns[i], ip, sizeof(ip));
            fprintf(f, " %s", ip);
        }
        fputc('\n', f);
    } else {
        fputs("# dns: the host's /etc/resolv.conf\n", f);
    }
    fputs("\n[uplink]\n", f);
    kv_str(f, "interface", d->uplink.interface);
    if (d->uplink.address) {
        format_ipv4(d->uplink.address, ip, sizeof(ip));
        fprintf(f, "address = %s/%d\n", ip, d->uplink.prefix);
    } else {
        fputs("# address: none (rtinit leaves the droplet's links but lo as they are)\n", f);
    }
    if (d->uplink.gateway) {
        format_ipv4(d->uplink.gateway, ip, sizeof(ip));
        kv_str(f, "gateway", ip);
    }
    fputs("\n[logging]\n", f);
    kv_str(f, "dir", d->logging.dir);
    fputs("max_size = ", f);
    print_size(f, d->logging.max_size);
    fprintf(f, "\nmax_files = %u\n", d->logging.max_files);
    fputs("\n[metrics]\n", f);
    if (d->metrics.port) {
        format_ipv4(d->metrics.addr, ip, sizeof(ip));
        fprintf(f, "listen = %s:%u\n", ip, d->metrics.port);
    } else {
        fputs("# listen: none (no metrics endpoint)\n", f);
    }
}

static void print_caps(FILE *f, const char *k, uint64_t mask, bool all)
{
    if (!all && !mask)
        return;
    fprintf(f, "%s =", k);
    if (all)
        fputs(" ALL", f);
    for (int i = 0; i < 64; i++) {
        if (!(mask & (1ULL << i)))
            continue;
        char name[64];
        fprintf(f, " %s", capability_name(i, name, sizeof(name)));
    }
    fputc('\n', f);
}

/* A value as it may be shown: <redacted> under a secret's name, a URL's
 * password as *** (conf_redact_value); all of it hidden when memory runs
 * out rather than shown. */
static char *shown_value(const char *name, const char *value)
{
    char *v = conf_redact_value(name, value);
    return v ? v : strdup("<redacted>");
}

static void print_env(const struct svc_conf *s, FILE *f)
{
    for (size_t i = 0; i < s->nenv; i++) {
        const struct env_var *e = &s->env[i];
        fputs("environment = ", f);
        if (conf_env_is_secret(e)) {
            fprintf(f, "%s=<redacted>\n", e->name);
            continue;
        }
        char name[256], *v = shown_value(e->name, e->value);
        snprintf(name, sizeof(name), "%s=", e->name);
        print_shell_word2(f, name, v ? v : "<redacted>");
        free(v);
        fputc('\n', f);
    }
    for (size_t i = 0; i < s->nenv_files; i++) {
        fputs("# values hidden\n", f);
        kv_str(f, "env_file", s->env_files[i].path);
    }
}

static void print_tail(const struct plan_svc *ps, FILE *f);

/* A host service: no image, no container; what it is is said first, for
 * whoever reads the plan (docs/security.md). */
static void print_host_service(const struct plan_svc *ps, FILE *f)
{
    const struct svc_conf *s = ps->svc;
    const char *u = s->user;
    bool root = !u || streq(u, "root") || streq(u, "0") || startswith(u, "root:") || startswith(u, "0:");
    if (root)
        fputs("# host service: in no container; runs on the host as root, with all of root's privileges\n", f);
    else
        fprintf(f, "# host service: in no container; runs on the host as %s, in the host's namespaces\n", u);
    fputs("[service]\n", f);
    kv_str(f, "name", s->name);
    kv_str(f, "host", "true");
    kv_argv(f, "command", &s->command);
    print_env(s, f);
    if (s->user)
        kv_str(f, "user", s->user);
    else
        fputs("# user: none, so root\n", f);
    kv_str(f, "working_dir", s->working_dir ? s->working_dir : "/");
    kv_str(f, "network", "host");
    print_tail(ps, f);
}

void plan_print_service(const struct plan_svc *ps, FILE *f, bool header)
{
    const struct svc_conf *s = ps->svc;
    char buf[64];
    if (header)
        fprintf(f, "\n# %s (stage %u)\n", s->file, ps->stage);
    if (s->host) {
        print_host_service(ps, f);
        return;
    }
    fputs("[service]\n", f);
    kv_str(f, "name", s->name);
    kv_str(f, "image", s->image ? s->image : "");
    const struct image_defaults *img = ps->image;
    if (s->set[K_ENTRYPOINT].line) {
        kv_argv(f, "entrypoint", &s->entrypoint);
    } else if (img && img->has_entrypoint) {
        fputs("# entrypoint: from the image\n", f);
        kv_argv(f, "entrypoint", &img->entrypoint);
    } else {
        fputs(img ? "# entrypoint: none\n" : "# entrypoint: the image's\n", f);
    }
    if (s->set[K_COMMAND].line) {
        kv_argv(f, "command", &s->command);
    } else if (img && img->has_cmd && !s->set[K_ENTRYPOINT].line) {
        fputs("# command: from the image\n", f);
        kv_argv(f, "command", &img->cmd);
    } else if (img) {
        fputs(s->set[K_ENTRYPOINT].line && img->has_cmd ? "# command: none (setting entrypoint drops the image's)\n"
                                                        : "# command: none\n",
              f);
    } else {
        fputs("# command: the image's\n", f);
    }
    for (size_t i = 0; img && i < img->nenv; i++) {
        /* NAME=VALUE, redacted as conf.d's own */
        const char *eq = strchr(img->env[i], '=');
        char name[256];
        snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - img->env[i]) : 0, img->env[i]);
        char *v = eq ? shown_value(name, eq + 1) : NULL;
        if (eq)
            fprintf(f, "# environment from the image: %.*s=%s\n", (int)(eq - img->env[i]), img->env[i],
                    v ? v : "<redacted>");
        else
            fprintf(f, "# environment from the image: %s\n", img->env[i]);
        free(v);
    }
    print_env(s, f);
    if (s->user) {
        kv_str(f, "user", s->user);
    } else if (img && img->user) {
        fputs("# user: from the image\n", f);
        kv_str(f, "user", img->user);
    } else {
        fputs(img ? "# user: none, so root\n" : "# user: the image's\n", f);
    }
    if (s->working_dir) {
        kv_str(f, "working_dir", s->working_dir);
    } else if (img && img->workdir) {
        fputs("# working_dir: from the image\n", f);
        kv_str(f, "working_dir", img->workdir);
    } else {
        fputs(img ? "# working_dir: /\n" : "# working_dir: the image's\n", f);
    }
    kv_str(f, "hostname", s->hostname);
    for (size_t i = 0; i < s->nports; i++) {
        const struct port_map *m = &s->ports[i];
        fputs("ports = ", f);
        if (m->host_ip) {
            format_ipv4(m->host_ip, buf, sizeof(buf));
            fprintf(f, "%s:", buf);
        }
        fprintf(f, "%u:%u%s\n", m->host_port, m->ctr_port, m->proto == IPPROTO_UDP ? "/udp" : "");
    }
    for (size_t i = 0; i < s->nvolumes; i++) {
        const struct volume *v = &s->volumes[i];
        fputs("volumes = ", f);
        print_shell_word2(f, v->host_path, ":");
        print_shell_word2(f, v->dst, v->ro ? ":ro" : "");
        fputc('\n', f);
    }
    for (size_t i = 0; i < ps->nimgvols; i++) {
        const struct imgvol *iv = &ps->imgvols[i];
        fprintf(f, "# VOLUME %s of the image: ", iv->shown);
        if (iv->kind == IMGVOL_NAMED) {
            fprintf(f, "the named volume %s, kept across starts\nvolumes = ", iv->name);
            print_shell_word2(f, iv->host, ":");
            print_shell_word(f, iv->path);
            fputc('\n', f);
        } else if (iv->kind == IMGVOL_MOUNTED) {
            fprintf(f, "in %s\n", iv->why);
        } else {
            fprintf(f, "not a volume (%s): lost at each start\n", iv->why);
        }
    }
    for (size_t i = 0; i < s->ntmpfs; i++) {
        const struct tmpfs_mount *t = &s->tmpfs[i];
        fprintf(f, "tmpfs = %s:%s%s%s%s%s%s\n", t->path, t->options, *t->options ? "," : "",
                t->flags & MS_NOEXEC ? "noexec" : "exec", t->flags & MS_NOSUID ? ",nosuid" : ",suid",
                t->flags & MS_NODEV ? ",nodev" : ",dev", t->flags & MS_RDONLY ? ",ro" : "");
    }
    for (size_t i = 0; i < s->ndevices; i++) {
        const struct device_map *d = &s->devices[i];
        char acc[4], perms[8];
        snprintf(perms, sizeof(perms), ":%s", device_access_str(d->access, acc));
        fputs("devices = ", f);
        print_shell_word2(f, d->host, ":");
        print_shell_word2(f, d->ctr, perms);
        fputc('\n', f);
    }
    fprintf(f, "read_only = %s\n", s->read_only ? "true" : "false");
    /* only when set: a service without it prints (and fingerprints) as before */
    if (s->init)
        kv_str(f, "init", "true");
    print_caps(f, "cap_add", s->cap_add, s->cap_add_all);
    print_caps(f, "cap_drop", s->cap_drop, s->cap_drop_all);
    kv_str(f, "seccomp",
           s->seccomp == SECCOMP_DEFAULT ? "default" : s->seccomp == SECCOMP_UNCONFINED ? "unconfined" : s->seccomp_profile);
    kv_str(f, "network", net_mode_name(s->network));
    if (s->ipv4) {
        format_ipv4(s->ipv4, buf, sizeof(buf));
        kv_str(f, "ipv4", buf);
    }
    print_tail(ps, f);
}

/* From depends_on on: what host services and containers share. */
static void print_tail(const struct plan_svc *ps, FILE *f)
{
    const struct svc_conf *s = ps->svc;
    const struct image_defaults *img = ps->image;
    char buf[64];
    for (size_t i = 0; i < s->ndeps; i++)
        fprintf(f, "depends_on = %s:%s\n", s->deps[i].name, dep_cond_name(s->deps[i].cond));
    if (s->restart == RESTART_ON_FAILURE && s->restart_max)
        fprintf(f, "restart = on-failure:%u\n", s->restart_max);
    else
        kv_str(f, "restart", restart_name(s->restart));
    if (!s->set[K_STOP_SIGNAL].line && img && img->stop_signal) {
        fputs("# stop_signal: from the image\n", f);
        kv_str(f, "stop_signal", signal_name(img->stop_signal, buf, sizeof(buf)));
    } else {
        kv_str(f, "stop_signal", signal_name(s->stop_signal, buf, sizeof(buf)));
    }
    if (s->restart_backoff_ms != 100 || s->restart_backoff_max_ms != 60000) {
        kv_dur(f, "restart_backoff", s->restart_backoff_ms);
        kv_dur(f, "restart_backoff_max", s->restart_backoff_max_ms);
    }
    if (s->restart_dependents)
        kv_str(f, "restart_dependents", "true");
    if (s->host)
        kv_str(f, "kill_mode", s->kill_process ? "process" : "control-group");
    kv_dur(f, "stop_timeout", s->stop_timeout_ms);
    if (s->memory_max) {
        fputs("memory_max = ", f);
        print_size(f, s->memory_max);
        fputc('\n', f);
    } else {
        fputs("# memory_max: no limit\n", f);
    }
    if (s->cpus_milli) {
        fprintf(f, "cpus = %llu", (unsigned long long)(s->cpus_milli / 1000));
        if (s->cpus_milli % 1000) {
            snprintf(buf, sizeof(buf), "%03llu", (unsigned long long)(s->cpus_milli % 1000));
            for (size_t l = strlen(buf); l > 0 && buf[l - 1] == '0'; l--)
                buf[l - 1] = '\0';
            fprintf(f, ".%s", buf);
        }
        fputc('\n', f);
    } else {
        fputs("# cpus: no limit\n", f);
    }
    if (s->pids_max)
        fprintf(f, "pids_max = %llu\n", (unsigned long long)s->pids_max);
    else
        fputs("# pids_max: no limit\n", f);
    if (s->io_weight)
        fprintf(f, "io_weight = %u\n", s->io_weight);
    for (size_t i = 0; i < s->nulimits; i++) {
        const struct ulimit *u = &s->ulimits[i];
        fprintf(f, "ulimits = %s=", ulimit_name(u->resource));
        if (u->soft == UNLIMITED)
            fputs("unlimited", f);
        else
            fprintf(f, "%llu", (unsigned long long)u->soft);
        if (u->hard == UNLIMITED)
            fputs(":unlimited\n", f);
        else
            fprintf(f, ":%llu\n", (unsigned long long)u->hard);
    }
    const struct healthcheck *hc = s->hc.kind != HC_NONE ? &s->hc : ps->hc;
    if (!hc) {
        fputs(img ? (img->hc_disabled ? "# healthcheck: none (the image disables its own)\n" : "# healthcheck: none\n")
                  : "# healthcheck: none (the image's, if it has one)\n",
              f);
        return;
    }
    fputs(hc == &s->hc ? "\n[healthcheck]\n" : "\n# healthcheck: from the image\n[healthcheck]\n", f);
    if (hc->kind == HC_HTTP)
        kv_str(f, "http", hc->url);
    else if (hc->kind == HC_TCP)
        fprintf(f, "tcp = %s:%u\n", hc->host, hc->port);
    else
        kv_argv(f, "exec", &hc->exec);
    kv_dur(f, "interval", hc->interval_ms);
    kv_dur(f, "timeout", hc->timeout_ms);
    fprintf(f, "retries = %u\n", hc->retries);
    kv_dur(f, "start_period", hc->start_period_ms);
    kv_dur(f, "start_interval", hc->start_interval_ms);
}

void plan_print(const struct plan *p, FILE *f)
{
    const struct conf *c = p->conf;
    fprintf(f, "# rtctl config check: %s: %zu file%s, %zu service%s\n", c->dir, c->nfiles, c->nfiles == 1 ? "" : "s",
            c->nsvcs, c->nsvcs == 1 ? "" : "s");
    if (p->ordered && p->n) {
        fputs("# start order (services of one stage start together):\n", f);
        for (unsigned st = 1; st <= p->nstages; st++) {
            fprintf(f, "#   %u.", st);
            for (size_t i = 0; i < p->n; i++)
                if (p->svcs[i].stage == st)
                    fprintf(f, " %s", p->svcs[i].svc->name);
            fputc('\n', f);
        }
    }
    fputs("# secret values (env_file, [droplet] secrets) are never printed\n\n", f);
    plan_print_droplet(c, f);
    for (size_t i = 0; i < p->n; i++)
        plan_print_service(&p->svcs[i], f, true);
}
