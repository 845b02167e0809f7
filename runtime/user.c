/* user.c - /etc/passwd and /etc/group lookups without allocating. */
#include "user.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The n-th ':' separated field of line [p, end) into out. */
static bool field(const char *p, const char *end, int n, char *out, size_t len)
{
    for (int i = 0; i < n; i++) {
        const char *c = memchr(p, ':', (size_t)(end - p));
        if (!c)
            return false;
        p = c + 1;
    }
    const char *c = memchr(p, ':', (size_t)(end - p));
    size_t l = (size_t)((c ? c : end) - p);
    if (l >= len)
        return false;
    memcpy(out, p, l);
    out[l] = '\0';
    return true;
}

static bool numeric(const char *s, unsigned long *v)
{
    if (!*s)
        return false;
    char *e;
    *v = strtoul(s, &e, 10);
    return *e == '\0' && *v < 0xffffffffUL;
}

/* Call fn for each line of text; stop when it returns true. */
static const char *each_line(const char *text, bool (*fn)(const char *p, const char *end, void *ud), void *ud)
{
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        if (*p != '#' && fn(p, end, ud))
            return p;
        p = nl ? nl + 1 : NULL;
    }
    return NULL;
}

struct find {
    const char *name;    /* by name, or */
    unsigned long id;    /* by id (name NULL) */
    char f[4][256];      /* name, x, id, gid / members */
};

static bool match(const char *p, const char *end, void *ud)
{
    struct find *f = ud;
    char name[256], id[32];
    if (!field(p, end, 0, name, sizeof(name)) || !field(p, end, 2, id, sizeof(id)))
        return false;
    unsigned long v;
    if (f->name ? strcmp(name, f->name) != 0 : !(numeric(id, &v) && v == f->id))
        return false;
    strcpy(f->f[0], name);
    strcpy(f->f[2], id);
    if (!field(p, end, 3, f->f[3], sizeof(f->f[3])))
        f->f[3][0] = '\0';
    if (!field(p, end, 5, f->f[1], sizeof(f->f[1]))) /* passwd: home */
        f->f[1][0] = '\0';
    return true;
}

struct members {
    const char *user;
    struct user_ids *out;
};

static bool add_member_groups(const char *p, const char *end, void *ud)
{
    struct members *m = ud;
    char mem[4096], id[32];
    unsigned long gid;
    if (!field(p, end, 3, mem, sizeof(mem)) || !field(p, end, 2, id, sizeof(id)) || !numeric(id, &gid))
        return false;
    for (char *tok = mem; tok && *tok;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        if (!strcmp(tok, m->user) && m->out->ngroups < USER_MAX_GROUPS) {
            bool dup = false;
            for (size_t i = 0; i < m->out->ngroups; i++)
                dup |= m->out->groups[i] == (gid_t)gid;
            if (!dup)
                m->out->groups[m->out->ngroups++] = (gid_t)gid;
        }
        tok = comma ? comma + 1 : NULL;
    }
    return false;
}

int user_resolve(const char *spec, const char *passwd, const char *group, struct user_ids *out, char *msg,
                 size_t mlen)
{
    return user_resolve_in(spec, passwd, group, "the image's", out, msg, mlen);
}

int user_resolve_in(const char *spec, const char *passwd, const char *group, const char *whose, struct user_ids *out,
                    char *msg, size_t mlen)
{
    memset(out, 0, sizeof(*out));
    char u[256] = "0", g[256] = "";
    if (spec && *spec) {
        const char *colon = strchr(spec, ':');
        size_t ul = colon ? (size_t)(colon - spec) : strlen(spec);
        if (ul >= sizeof(u) || (colon && strlen(colon + 1) >= sizeof(g))) {
            snprintf(msg, mlen, "user '%s' is too long", spec);
            return -1;
        }
        memcpy(u, spec, ul);
        u[ul] = '\0';
        if (colon && strlen(colon + 1) >= sizeof(g)) {
            snprintf(msg, mlen, "group in user '%s' is too long", spec);
            return -1;
        }
        if (colon)
            strcpy(g, colon + 1);
    }
    unsigned long v = 0;
    struct find f = {0};
    bool known;
    if (numeric(u, &v)) {
        f.id = v;
        known = each_line(passwd, match, &f) != NULL;
        out->uid = (uid_t)v;
    } else {
        f.name = u;
        known = each_line(passwd, match, &f) != NULL;
        if (!known) {
            snprintf(msg, mlen, "user '%s' is not in %s /etc/passwd", u, whose);
            return -1;
        }
        if (!numeric(f.f[2], &v)) {
            snprintf(msg, mlen, "user '%s' has no numeric uid in %s /etc/passwd", u, whose);
            return -1;
        }
        out->uid = (uid_t)v;
    }
    out->gid = 0;
    if (known) {
        unsigned long pg;
        if (numeric(f.f[3], &pg))
            out->gid = (gid_t)pg;
        snprintf(out->home, sizeof(out->home), "%s", f.f[1]);
    }
    if (g[0]) {
        if (numeric(g, &v)) {
            out->gid = (gid_t)v;
        } else {
            struct find gf = {.name = g};
            if (!each_line(group, match, &gf)) {
                snprintf(msg, mlen, "group '%s' is not in %s /etc/group", g, whose);
                return -1;
            }
            if (!numeric(gf.f[2], &v)) {
                snprintf(msg, mlen, "group '%s' has no numeric gid in %s /etc/group", g, whose);
                return -1;
            }
            out->gid = (gid_t)v;
        }
    }
    /* Supplementary groups: those that list the user by name. */
    if (known) {
        struct members m = {f.f[0], out};
        each_line(group, add_member_groups, &m);
    }
    return 0;
}
