/* ipam.c - stable addresses. See ipam.h. */
#include "ipam.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/fileio.h"
#include "../config/value.h"

static uint32_t mask(int prefix)
{
    return prefix ? 0xffffffffu << (32 - prefix) : 0;
}

static bool in_subnet(const struct ipam *m, uint32_t a)
{
    uint32_t mk = mask(m->prefix);
    return (a & mk) == m->subnet && a != m->subnet && a != (m->subnet | ~mk) && a != m->gateway;
}

static int add(struct ipam *m, const char *name, uint32_t addr)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        struct ipam_lease *v = realloc(m->v, cap * sizeof(*v));
        if (!v)
            return -1;
        m->v = v;
        m->cap = cap;
    }
    snprintf(m->v[m->n].name, sizeof(m->v[m->n].name), "%s", name);
    m->v[m->n++].addr = addr;
    return 0;
}

int ipam_open(struct ipam *m, const char *state_dir, uint32_t subnet, int prefix, uint32_t gateway,
              struct rt_err *err)
{
    memset(m, 0, sizeof(*m));
    m->subnet = subnet & mask(prefix);
    m->prefix = prefix;
    m->gateway = gateway;
    char dir[sizeof(m->path) - 16];
    snprintf(dir, sizeof(dir), "%s/net", state_dir);
    if (mkdir_p(dir, 0755, err) < 0)
        return -1;
    snprintf(m->path, sizeof(m->path), "%s/leases", dir);
    FILE *f = fopen(m->path, "re");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        return rt_syserror(err, "%s", m->path);
    }
    char line[256];
    int ln = 0;
    while (fgets(line, sizeof(line), f)) {
        ln++;
        char name[64], addr[32];
        uint32_t a;
        if (sscanf(line, "%63s %31s", name, addr) != 2 || parse_ipv4(addr, &a) < 0)
            continue; /* not ours: a line is skipped, not the file */
        if (!in_subnet(m, a))
            continue;
        bool dup = false;
        for (size_t i = 0; i < m->n; i++)
            dup |= m->v[i].addr == a || !strcmp(m->v[i].name, name);
        if (!dup && add(m, name, a) < 0) {
            fclose(f);
            ipam_close(m);
            return rt_error(err, ENOMEM, "out of memory");
        }
    }
    fclose(f);
    return 0;
}

void ipam_close(struct ipam *m)
{
    free(m->v);
    m->v = NULL;
    m->n = m->cap = 0;
}

static int save(struct ipam *m, struct rt_err *err)
{
    size_t cap = m->n * 96 + 1, n = 0;
    char *text = malloc(cap);
    if (!text)
        return rt_error(err, ENOMEM, "out of memory");
    for (size_t i = 0; i < m->n; i++) {
        char a[32];
        format_ipv4(m->v[i].addr, a, sizeof(a));
        n += (size_t)snprintf(text + n, cap - n, "%s %s\n", m->v[i].name, a);
    }
    char dir[sizeof(m->path)];
    snprintf(dir, sizeof(dir), "%s", m->path);
    *strrchr(dir, '/') = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r = fd < 0 ? rt_syserror(err, "%s", dir) : write_file_atomic(fd, "leases", text, n, err);
    if (fd >= 0)
        close(fd);
    free(text);
    return r;
}

static struct ipam_lease *by_name(struct ipam *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->v[i].name, name))
            return &m->v[i];
    return NULL;
}

static struct ipam_lease *by_addr(struct ipam *m, uint32_t a)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].addr == a)
            return &m->v[i];
    return NULL;
}

int ipam_get(struct ipam *m, const char *name, uint32_t fixed, int (*live)(void *ud, const char *name), void *ud,
             uint32_t *out, struct rt_err *err)
{
    char as[32];
    struct ipam_lease *mine = by_name(m, name);
    if (fixed) {
        format_ipv4(fixed, as, sizeof(as));
        if (!in_subnet(m, fixed))
            return rt_error(err, EINVAL, "%s: ipv4 %s is not a host address of the bridge's subnet", name, as);
        struct ipam_lease *held = by_addr(m, fixed);
        if (held && held != mine) {
            if (live && live(ud, held->name))
                return rt_error(err, EADDRINUSE, "%s: ipv4 %s is %s's address", name, as, held->name);
            *held = m->v[--m->n]; /* a gone service's lease: taken back */
            mine = by_name(m, name);
        }
        if (mine && mine->addr == fixed) {
            *out = fixed;
            return 0;
        }
        if (mine)
            mine->addr = fixed;
        else if (add(m, name, fixed) < 0)
            return rt_error(err, ENOMEM, "out of memory");
        *out = fixed;
        return save(m, err);
    }
    if (mine) {
        *out = mine->addr;
        return 0;
    }
    uint32_t last = m->subnet | ~mask(m->prefix);
    struct ipam_lease *stale = NULL;
    for (uint32_t a = m->subnet + 1; a < last; a++) {
        if (a == m->gateway)
            continue;
        struct ipam_lease *held = by_addr(m, a);
        if (!held) {
            if (add(m, name, a) < 0)
                return rt_error(err, ENOMEM, "out of memory");
            *out = a;
            return save(m, err);
        }
        if (!stale && live && !live(ud, held->name))
            stale = held;
    }
    if (!stale)
        return rt_error(err, ENOSPC, "%s: no free address left in the bridge's subnet", name);
    /* full: the lowest address of a service that is gone */
    snprintf(stale->name, sizeof(stale->name), "%s", name);
    *out = stale->addr;
    return save(m, err);
}

int ipam_release(struct ipam *m, const char *name, struct rt_err *err)
{
    struct ipam_lease *l = by_name(m, name);
    if (!l)
        return 0;
    *l = m->v[--m->n];
    return save(m, err);
}

const char *ipam_holder(const struct ipam *m, uint32_t addr)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].addr == addr)
            return m->v[i].name;
    return NULL;
}
