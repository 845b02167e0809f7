/* conf_common.c - checks that keys of more than one section share.
 *
 * Labels and hostnames (service names, [droplet] hostname, depends_on),
 * paths (normalize_path, relative to the conf directory, absolute ones),
 * ${VAR} syntax, port numbers, uids and gids, and command lines, which
 * entrypoint, command and [healthcheck] exec are all written as. */
#include "conf_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "envfile.h"
#include "../lib/util.h"
#include "value.h"

/* A DNS label: what service names and hostnames must be, since both end up
 * in /etc/hosts and as the container's hostname. */
const char *check_label(const char *s, size_t maxlen)
{
    size_t n = strlen(s);
    if (n == 0)
        return "must not be empty";
    if (n > maxlen)
        return "too long";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isupper(ch))
            return "must be lowercase";
        if (!(islower(ch) || isdigit(ch) || ch == '-'))
            return "may contain only a-z, 0-9 and '-'";
    }
    if (s[0] == '-' || s[n - 1] == '-')
        return "must not begin or end with '-'";
    return NULL;
}

const char *check_hostname(char *s)
{
    if (strlen(s) > 63)
        return "too long (at most 63 characters)";
    if (!*s)
        return "must not be empty";
    for (char *label = s;;) {
        char *dot = strchr(label, '.');
        if (dot)
            *dot = '\0';
        const char *why = check_label(label, 63);
        if (dot)
            *dot = '.';
        if (why)
            return why;
        if (!dot)
            return NULL;
        label = dot + 1;
    }
}

/* Lexically normalise an absolute or relative path: collapse "//", drop
 * "." and resolve ".." against earlier components. Sets *escapes when a
 * ".." would climb above the start. Returns an arena string without a
 * trailing slash ("/" for the root, "." for an empty relative path). */
char *normalize_path(struct arena *a, const char *path, bool *escapes, bool *dotdot)
{
    size_t n = strlen(path);
    char *out = arena_alloc(a, n + 2);
    size_t len = 0;
    bool abs = path[0] == '/';
    *escapes = false;
    if (dotdot)
        *dotdot = false;
    if (abs)
        out[len++] = '/';
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t cl = e ? (size_t)(e - p) : strlen(p);
        if (cl == 1 && p[0] == '.') {
            /* skip */
        } else if (cl == 2 && p[0] == '.' && p[1] == '.') {
            if (dotdot)
                *dotdot = true;
            size_t floor = abs ? 1 : 0;
            if (len <= floor) {
                *escapes = true;
            } else {
                while (len > floor && out[len - 1] != '/')
                    len--;
                if (len > floor)
                    len--; /* the slash */
            }
        } else {
            if (len > 0 && out[len - 1] != '/')
                out[len++] = '/';
            memcpy(out + len, p, cl);
            len += cl;
        }
        p += cl;
    }
    if (len == 0)
        out[len++] = abs ? '/' : '.';
    out[len] = '\0';
    return out;
}

/* Resolve a path written in a conf file: absolute stays, relative is taken
 * against the conf directory. */
const char *conf_relative(struct pctx *p, const char *v)
{
    if (v[0] == '~') {
        bad(p, "'~' is not expanded; write the absolute path");
        return NULL;
    }
    if (v[0] == '/')
        return arena_strdup(A(p), v);
    return arena_printf(A(p), "%s/%s", p->c->dir, v);
}

bool check_abs_path(struct pctx *p, const char *v, const char *what)
{
    if (v[0] != '/') {
        bad(p, "%s must be an absolute path", what);
        return false;
    }
    bool esc, dd;
    normalize_path(A(p), v, &esc, &dd);
    if (dd) {
        bad(p, "'..' is not allowed in %s", what);
        return false;
    }
    return true;
}

void check_interp(struct pctx *p, const char *v)
{
    const char *why;
    if (interp_scan(v, NULL, NULL, &why) < 0)
        bad(p, "%s", why);
}

int parse_port(const char *s, size_t n, uint16_t *port)
{
    if (n == 0 || n > 5)
        return -1;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

bool id_ok(const char *s, size_t n)
{
    if (n == 0 || n > 10)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return strtoull(s, NULL, 10) <= 0xfffffffeULL; /* (uid_t)-1 is "no change" to the kernel */
}

/* entrypoint / command / healthcheck exec: a JSON array or shell words;
 * continuation lines add words (but never to a JSON array, which must be
 * whole on one line). */
void set_argv(struct pctx *p, const char *v, struct argv *a)
{
    const char *why;
    size_t n;
    if (p->cont && (*v == '[' || p->argv_json)) {
        bad(p, "a JSON array must be written on one line");
        return;
    }
    char **words = parse_argv(A(p), v, p->value_col, &n, &why);
    if (!words) {
        bad(p, "%s", why);
        return;
    }
    if (!p->cont)
        p->argv_json = *v == '[';
    for (size_t i = 0; i < n; i++)
        check_interp(p, words[i]);
    size_t base = p->cont && a->v ? a->n : 0;
    char **all = arena_alloc(A(p), (base + n + 1) * sizeof(char *));
    int *lines = arena_alloc(A(p), (base + n + 1) * sizeof(int));
    if (base) {
        memcpy(all, a->v, base * sizeof(char *));
        memcpy(lines, a->lines, base * sizeof(int));
    }
    for (size_t i = 0; i < n; i++) {
        all[base + i] = words[i];
        lines[base + i] = p->lineno;
    }
    a->v = all;
    a->lines = lines;
    a->n = base + n;
}
