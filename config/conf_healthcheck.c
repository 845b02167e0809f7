/* conf_healthcheck.c - a service file's [healthcheck] section.
 *
 * One check (http, tcp or exec) and its timing (interval, timeout,
 * retries, start_period, start_interval), and the warnings that need two
 * of its keys, given once the file is read (check_healthcheck). The
 * probes themselves run in rtinit (init/health.c, init/probes.c). */
#include "conf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "value.h"

/* ---------- [healthcheck] keys ---------- */

static int hc_host(struct pctx *p, const char *host, size_t n)
{
    struct healthcheck *h = &p->svc->hc;
    char *hs = arena_strndup(A(p), host, n);
    if (streq(hs, "localhost")) {
        h->addr = 0x7f000001;
    } else if (parse_ipv4(hs, &h->addr) < 0) {
        bad(p, "'%s': use localhost or an IPv4 address (the check runs in the service's network "
               "namespace, without DNS)",
            hs);
        return -1;
    }
    h->host = hs;
    return 0;
}

static void hc_kind(struct pctx *p, enum hc_kind k)
{
    struct healthcheck *h = &p->svc->hc;
    static const char *const names[] = {"", "http", "tcp", "exec"};
    if (h->kind != HC_NONE && h->kind != k)
        bad(p, "only one of http, tcp and exec may be set (%s is already set)", names[h->kind]);
    h->kind = k;
}

void k_hc_http(struct pctx *p, const char *v)
{
    struct healthcheck *h = &p->svc->hc;
    hc_kind(p, HC_HTTP);
    if (startswith(v, "https://")) {
        bad(p, "https is not supported; check the service's plain http port");
        return;
    }
    if (!startswith(v, "http://")) {
        bad(p, "'%s': expected a URL such as http://localhost:3001/health", v);
        return;
    }
    const char *host = v + 7;
    size_t hl = strcspn(host, ":/?#");
    if (memchr(host, '@', strcspn(host, "/"))) {
        bad(p, "'%s': credentials in the URL are not supported", v);
        return;
    }
    if (hl == 0) {
        bad(p, "'%s': missing host", v);
        return;
    }
    if (hc_host(p, host, hl) < 0)
        return;
    const char *rest = host + hl;
    h->port = 80;
    if (*rest == ':') {
        size_t pl = strcspn(rest + 1, "/?#");
        if (parse_port(rest + 1, pl, &h->port) < 0) {
            bad(p, "'%s': port must be 1 to 65535", v);
            return;
        }
        rest += 1 + pl;
    }
    if (*rest == '#')
        rest = "";
    if (!*rest)
        h->path = "/";
    else if (*rest == '?')
        h->path = arena_printf(A(p), "/%s", rest);
    else
        h->path = arena_strndup(A(p), rest, strcspn(rest, "#"));
    for (const char *q = h->path; *q; q++)
        if ((unsigned char)*q <= ' ' || *q == 0x7f) {
            bad(p, "'%s': spaces and control characters must be %%-encoded", v);
            return;
        }
    h->url = arena_strdup(A(p), v);
}

void k_hc_tcp(struct pctx *p, const char *v)
{
    struct healthcheck *h = &p->svc->hc;
    hc_kind(p, HC_TCP);
    const char *colon = strrchr(v, ':');
    const char *port = colon ? colon + 1 : v;
    if (colon) {
        if (hc_host(p, v, (size_t)(colon - v)) < 0)
            return;
    } else {
        h->host = "localhost";
        h->addr = 0x7f000001;
    }
    if (parse_port(port, strlen(port), &h->port) < 0)
        bad(p, "'%s': expected PORT or HOST:PORT, port 1 to 65535", v);
}

void k_hc_exec(struct pctx *p, const char *v)
{
    struct argv *a = &p->svc->hc.exec;
    hc_kind(p, HC_EXEC);
    size_t before = p->cont ? a->n : 0;
    set_argv(p, v, a);
    warn_argv_secrets(p, a, before);
    if (a->n == 0 && !p->cont) {
        bad(p, "empty command");
        return;
    }
    if (before != 0 || a->n == 0)
        return;
    if (!*a->v[0]) {
        bad(p, "the program name is empty");
    } else if (streq(a->v[0], "CMD-SHELL") && a->n == 2) {
        /* docker's test: ["CMD-SHELL", "..."] pasted in would run a
         * program called CMD-SHELL. */
        bad(p, "'CMD-SHELL' is docker compose's test syntax, not a program; write exec = sh -c '%s'", a->v[1]);
    } else if (streq(a->v[0], "CMD") || streq(a->v[0], "CMD-SHELL") || streq(a->v[0], "NONE")) {
        char *rest = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&rest, &len);
        if (f) {
            print_json_string_array(f, a->v + 1, a->n - 1);
            fclose(f);
        }
        bad(p, "'%s' is docker compose's test syntax, not a program; write exec = %s", a->v[0], rest ? rest : "[...]");
        free(rest);
    }
}

static void hc_duration(struct pctx *p, const char *v, uint64_t *out, uint64_t min)
{
    const char *why;
    uint64_t ms;
    if (parse_duration(v, &ms, &why) < 0)
        bad(p, "%s", why);
    else if (ms < min)
        bad(p, "must be at least %llums", (unsigned long long)min);
    else
        *out = ms;
}

void k_hc_interval(struct pctx *p, const char *v)
{
    hc_duration(p, v, &p->svc->hc.interval_ms, 100);
}

void k_hc_timeout(struct pctx *p, const char *v)
{
    hc_duration(p, v, &p->svc->hc.timeout_ms, 10);
}

void k_hc_start_period(struct pctx *p, const char *v)
{
    hc_duration(p, v, &p->svc->hc.start_period_ms, 0);
}

void k_hc_start_interval(struct pctx *p, const char *v)
{
    hc_duration(p, v, &p->svc->hc.start_interval_ms, 100); /* interval's floor: a probe is work for PID 1 */
}

void k_hc_retries(struct pctx *p, const char *v)
{
    long long n;
    const char *why;
    if (parse_int_range(v, 1, 1000, &n, &why) < 0)
        bad(p, "%s (1 to 1000)", why);
    else
        p->svc->hc.retries = (unsigned)n;
}

/* ---------- across keys, once the file is read ---------- */

void check_healthcheck(struct conf *c, const struct svc_conf *s)
{
    if (s->hc.at.line && s->hc.kind == HC_NONE && !s->set[K_HC_EXEC].line)
        diag_error(&c->diags, s->hc.at, NULL, "[healthcheck] has no check: set http, tcp or exec");
    if (s->hc.kind != HC_NONE && s->hc.timeout_ms > s->hc.interval_ms) {
        /* Point at whichever of the two was written; with interval set
         * below the default timeout, that is the interval line. */
        bool t = s->set[K_HC_TIMEOUT].line != 0;
        char tb[32], ib[32];
        format_duration_buf(tb, sizeof(tb), s->hc.timeout_ms);
        format_duration_buf(ib, sizeof(ib), s->hc.interval_ms);
        diag_warn(&c->diags, t ? s->set[K_HC_TIMEOUT] : s->set[K_HC_INTERVAL], t ? "timeout" : "interval",
                  "the timeout (%s) is longer than the interval (%s), so checks can overlap%s", tb, ib,
                  t ? "" : "; the timeout defaults to 30s, set it too");
    }
    if (s->hc.kind != HC_NONE && s->set[K_HC_START_INTERVAL].line && !s->hc.start_period_ms)
        diag_warn(&c->diags, s->set[K_HC_START_INTERVAL], "start_interval",
                  "applies only within start_period, which is not set: checks run every interval");
    else if (s->hc.kind != HC_NONE && s->set[K_HC_START_INTERVAL].line && s->hc.start_interval_ms > s->hc.interval_ms) {
        char sb[32], ib[32];
        format_duration_buf(sb, sizeof(sb), s->hc.start_interval_ms);
        format_duration_buf(ib, sizeof(ib), s->hc.interval_ms);
        diag_warn(&c->diags, s->set[K_HC_START_INTERVAL], "start_interval",
                  "%s is longer than the interval (%s), so checks run every %s in the start period too", sb, ib,
                  ib);
    }
}
