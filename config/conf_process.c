/* conf_process.c - [service] keys for what runs and how it is supervised.
 *
 * The keys a container and a host service (host = true) both take: name
 * and host, command, environment and env_file, user and working_dir,
 * depends_on, restart and its backoff, stopping (kill_mode is for host
 * services only), and the resource limits (memory_max, cpus, pids_max,
 * io_weight, ulimits). The keys that shape a container are in
 * conf_container.c. */
#include "conf_int.h"

#include <ctype.h>
#include <string.h>

#include "envfile.h"
#include "../lib/util.h"
#include "value.h"

void k_name(struct pctx *p, const char *v)
{
    const char *why = check_label(v, 63);
    if (why) {
        bad(p, "'%s' is not a valid service name: %s", v, why);
        return;
    }
    p->svc->name = arena_strdup(A(p), v);
}

void k_host(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_bool(v, &p->svc->host, &why) < 0)
        bad(p, "%s", why);
}

void k_command(struct pctx *p, const char *v)
{
    size_t before = p->cont ? p->svc->command.n : 0;
    set_argv(p, v, &p->svc->command);
    warn_argv_secrets(p, &p->svc->command, before);
}

void k_environment(struct pctx *p, const char *v)
{
    const char *eq = strchr(v, '=');
    if (!eq) {
        /* Most often a value with spaces that was not quoted: the words
         * after "NAME=first" arrive here on their own. Report the run once,
         * at its first word, with the quoted form that was meant. */
        size_t i = p->word_index;
        size_t j = i;
        while (j > 0 && !strchr(p->words[j - 1], '='))
            j--;
        if (j > 0 && j < i)
            return; /* same run, already reported */
        if (j > 0) {
            const char *head = p->words[j - 1];
            const char *heq = strchr(head, '=');
            char *joined = arena_strdup(A(p), heq + 1);
            for (size_t k = i; k < p->nwords && !strchr(p->words[k], '='); k++)
                joined = arena_printf(A(p), "%s %s", joined, p->words[k]);
            bad(p, "'%s' is not NAME=VALUE; quote a value that contains spaces: %.*s=\"%s\"", v, (int)(heq - head),
                head, joined);
        } else if (interp_name_ok(v, strlen(v))) {
            bad(p, "'%s' is not NAME=VALUE; to take %s from [droplet] secrets write %s=${%s}", v, v, v, v);
        } else {
            bad(p, "'%s' is not NAME=VALUE", v);
        }
        return;
    }
    size_t nl = (size_t)(eq - v);
    if (!nl) {
        bad(p, "missing variable name before '='");
        return;
    }
    if (!env_name_ok(v, nl)) {
        bad(p, "'%.*s' is not a valid variable name (letters, digits, '_', '.' and '-', not starting with a digit)",
            (int)nl, v);
        return;
    }
    struct svc_conf *s = p->svc;
    for (size_t i = 0; i < s->nenv; i++) {
        if (strlen(s->env[i].name) == nl && !strncmp(s->env[i].name, v, nl)) {
            bad(p, "%.*s is set twice (first at line %d)", (int)nl, v, s->env[i].at.line);
            return;
        }
    }
    check_interp(p, eq + 1);
    struct env_var e = {arena_strndup(A(p), v, nl), arena_strdup(A(p), eq + 1), p->at};
    if (conf_env_is_secret(&e))
        warn(p, "%s looks like a secret written into the conf file; put it in [droplet] secrets "
                "and write %s=${%s}",
             e.name, e.name, e.name);
    ARENA_PUSH(A(p), s->env, s->nenv, s->capenv, e);
}

void k_env_file(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    const char *path = conf_relative(p, v);
    if (!path)
        return;
    for (size_t i = 0; i < s->nenv_files; i++)
        if (streq(s->env_files[i].path, path)) {
            bad(p, "%s is listed twice", v);
            return;
        }
    struct env_file ef = {path, p->at};
    ARENA_PUSH(A(p), s->env_files, s->nenv_files, s->capenv_files, ef);
}

static bool name_chars_ok(const char *s, size_t n)
{
    if (n == 0 || n > 32)
        return false;
    if (!(islower((unsigned char)s[0]) || isupper((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!(isalnum(ch) || ch == '_' || ch == '-' || ch == '.' || (ch == '$' && i == n - 1)))
            return false;
    }
    return true;
}

void k_user(struct pctx *p, const char *v)
{
    const char *colon = strchr(v, ':');
    size_t ul = colon ? (size_t)(colon - v) : strlen(v);
    if (!id_ok(v, ul) && !name_chars_ok(v, ul)) {
        bad(p, "'%.*s' is neither a uid nor a user name", (int)ul, v);
        return;
    }
    if (colon) {
        const char *g = colon + 1;
        if (!id_ok(g, strlen(g)) && !name_chars_ok(g, strlen(g))) {
            bad(p, "'%s' is neither a gid nor a group name", g);
            return;
        }
    }
    p->svc->user = arena_strdup(A(p), v);
}

void k_working_dir(struct pctx *p, const char *v)
{
    if (!check_abs_path(p, v, "working_dir"))
        return;
    bool esc;
    p->svc->working_dir = normalize_path(A(p), v, &esc, NULL);
}

void k_depends_on(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    if (endswith(v, ",")) { /* compose habits: depends_on: [a, b] */
        bad(p, "'%s': separate the entries with spaces, not commas (depends_on = a:healthy b)", v);
        return;
    }
    const char *colon = strchr(v, ':');
    size_t nl = colon ? (size_t)(colon - v) : strlen(v);
    struct dep d = {arena_strndup(A(p), v, nl), DEP_STARTED, p->at};
    if (colon) {
        const char *c = colon + 1;
        if (streq(c, "started") || streq(c, "service_started"))
            d.cond = DEP_STARTED;
        else if (streq(c, "healthy") || streq(c, "service_healthy"))
            d.cond = DEP_HEALTHY;
        else if (streq(c, "completed") || streq(c, "service_completed_successfully"))
            d.cond = DEP_COMPLETED;
        else {
            bad(p, "'%s': condition must be started, healthy or completed", v);
            return;
        }
    }
    const char *why = check_label(d.name, 63);
    if (why) {
        bad(p, "'%s': '%s' is not a valid service name: %s", v, d.name, why);
        return;
    }
    for (size_t i = 0; i < s->ndeps; i++) {
        if (streq(s->deps[i].name, d.name)) {
            bad(p, "'%s': %s is already a dependency at line %d", v, d.name, s->deps[i].at.line);
            return;
        }
    }
    ARENA_PUSH(A(p), s->deps, s->ndeps, s->capdeps, d);
}

void k_restart(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    if (streq(v, "no"))
        s->restart = RESTART_NO;
    else if (streq(v, "always"))
        s->restart = RESTART_ALWAYS;
    else if (streq(v, "unless-stopped"))
        s->restart = RESTART_UNLESS_STOPPED;
    else if (streq(v, "on-failure"))
        s->restart = RESTART_ON_FAILURE, s->restart_max = 0;
    else if (startswith(v, "on-failure:")) {
        long long n;
        const char *why;
        if (parse_int_range(v + 11, 0, 1000000, &n, &why) < 0) {
            bad(p, "'%s': the retry count must be a number, e.g. on-failure:5", v);
            return;
        }
        s->restart = RESTART_ON_FAILURE;
        s->restart_max = (unsigned)n;
    } else
        bad(p, "'%s': expected no, always, on-failure[:N] or unless-stopped", v);
}

void k_stop_signal(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_signal(v, &p->svc->stop_signal, &why) < 0)
        bad(p, "'%s': %s", v, why);
}

void k_restart_backoff(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_duration(v, &p->svc->restart_backoff_ms, &why) < 0)
        bad(p, "%s", why);
    else if (p->svc->restart_backoff_ms < 10 || p->svc->restart_backoff_ms > 3600000)
        bad(p, "must be from 10ms to 1h");
}

void k_restart_backoff_max(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_duration(v, &p->svc->restart_backoff_max_ms, &why) < 0)
        bad(p, "%s", why);
    else if (p->svc->restart_backoff_max_ms < 10 || p->svc->restart_backoff_max_ms > 86400000)
        bad(p, "must be from 10ms to 24h");
}

void k_restart_dependents(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_bool(v, &p->svc->restart_dependents, &why) < 0)
        bad(p, "%s", why);
}

void k_stop_timeout(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_duration(v, &p->svc->stop_timeout_ms, &why) < 0)
        bad(p, "%s", why);
}

void k_kill_mode(struct pctx *p, const char *v)
{
    /* systemd's words, which administrators know from sshd's unit */
    if (streq(v, "process"))
        p->svc->kill_process = true;
    else if (streq(v, "control-group"))
        p->svc->kill_process = false;
    else
        bad(p, "'%s': expected control-group (every process of the service) or process (its main process only)", v);
}

void k_memory_max(struct pctx *p, const char *v)
{
    if (streq(v, "max")) {
        p->svc->memory_max = 0;
        return;
    }
    const char *why;
    uint64_t b;
    if (parse_size(v, &b, &why) < 0)
        bad(p, "%s", why);
    else if (b < 6 * 1024 * 1024)
        bad(p, "at least 6M (a smaller limit cannot start a process), or max for no limit");
    else
        p->svc->memory_max = b;
}

void k_cpus(struct pctx *p, const char *v)
{
    if (streq(v, "max")) {
        p->svc->cpus_milli = 0;
        return;
    }
    const char *why;
    uint64_t m;
    if (parse_decimal_milli(v, &m, &why) < 0)
        bad(p, "%s", why);
    else if (m < 10 || m > 1024 * 1000)
        bad(p, "must be between 0.01 and 1024, or max for no limit");
    else
        p->svc->cpus_milli = m;
}

void k_pids_max(struct pctx *p, const char *v)
{
    if (streq(v, "max")) {
        p->svc->pids_max = 0;
        return;
    }
    const char *why;
    long long n;
    if (parse_int_range(v, 1, 4194304, &n, &why) < 0)
        bad(p, "%s (1 to 4194304, or max)", why);
    else
        p->svc->pids_max = (uint64_t)n;
}

void k_io_weight(struct pctx *p, const char *v)
{
    const char *why;
    long long n;
    if (parse_int_range(v, 1, 10000, &n, &why) < 0)
        bad(p, "%s (1 to 10000; the default is 100)", why);
    else
        p->svc->io_weight = (unsigned)n;
}

static int rlim_value(const char *s, uint64_t *out)
{
    if (streq(s, "unlimited") || streq(s, "infinity") || streq(s, "-1")) {
        *out = UNLIMITED;
        return 0;
    }
    long long n;
    const char *why;
    if (parse_int_range(s, 0, INT64_MAX, &n, &why) < 0)
        return -1;
    *out = (uint64_t)n;
    return 0;
}

void k_ulimits(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    const char *eq = strchr(v, '=');
    if (!eq) {
        bad(p, "'%s': expected NAME=SOFT[:HARD], e.g. nofile=65536:65536", v);
        return;
    }
    char *name = arena_strndup(A(p), v, (size_t)(eq - v));
    int res = ulimit_resource(name);
    if (res < 0) {
        const char *dym = did_you_mean(name, ulimit_names, ulimit_count);
        if (dym)
            bad(p, "'%s': unknown limit '%s' (did you mean '%s'?)", v, name, dym);
        else
            bad(p, "'%s': unknown limit '%s'", v, name);
        return;
    }
    char *vals = arena_strdup(A(p), eq + 1);
    char *colon = strchr(vals, ':');
    if (colon)
        *colon = '\0';
    struct ulimit u = {res, 0, 0, p->at};
    if (rlim_value(vals, &u.soft) < 0 || (colon && rlim_value(colon + 1, &u.hard) < 0)) {
        bad(p, "'%s': limits must be numbers or unlimited", v);
        return;
    }
    if (!colon)
        u.hard = u.soft;
    if (u.soft > u.hard) {
        bad(p, "'%s': the soft limit is above the hard limit", v);
        return;
    }
    for (size_t i = 0; i < s->nulimits; i++) {
        if (s->ulimits[i].resource == res) {
            bad(p, "'%s': %s is already limited at line %d", v, name, s->ulimits[i].at.line);
            return;
        }
    }
    ARENA_PUSH(A(p), s->ulimits, s->nulimits, s->capulimits, u);
}
