/* device.c - `devices` entries. See device.h. */
#include "device.h"

#include <string.h>

#include "../lib/util.h"

/* A device path: absolute, without ".."; "//", "." and a trailing "/"
 * are dropped. NULL with *why when it is not one. */
static const char *device_path(struct arena *a, const char *s, size_t n, const char *what, const char **why)
{
    if (n == 0 || s[0] != '/') {
        *why = arena_printf(a, "the %s path must be absolute", what);
        return NULL;
    }
    char *out = arena_alloc(a, n + 1);
    size_t len = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && s[i] == '/')
            i++;
        size_t e = i;
        while (e < n && s[e] != '/')
            e++;
        if (e == i)
            break;
        if (e - i == 2 && s[i] == '.' && s[i + 1] == '.') {
            *why = arena_printf(a, "'..' is not allowed in the %s path", what);
            return NULL;
        }
        if (e - i == 1 && s[i] == '.') {
            i = e;
            continue;
        }
        out[len++] = '/';
        memcpy(out + len, s + i, e - i);
        len += e - i;
        i = e;
    }
    if (len == 0) {
        *why = arena_printf(a, "the %s path must name a device, not /", what);
        return NULL;
    }
    out[len] = '\0';
    return out;
}

/* "rwm" and its subsets, each letter once, as docker's validDeviceMode. */
static int device_access(const char *s, unsigned *access)
{
    unsigned acc = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        unsigned bit = *s == 'r' ? DEVICE_READ : *s == 'w' ? DEVICE_WRITE : *s == 'm' ? DEVICE_MKNOD : 0;
        if (!bit || (acc & bit))
            return -1;
        acc |= bit;
    }
    *access = acc;
    return 0;
}

int parse_device(struct arena *a, const char *s, struct device_spec *out, const char **why)
{
    const char *c1 = strchr(s, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if ((c2 && strchr(c2 + 1, ':')) || (c1 && (!c1[1] || c1[1] == ':')) || (c2 && !c2[1])) {
        *why = "expected HOST[:CONTAINER][:PERMISSIONS]";
        return -1;
    }
    out->access = DEVICE_READ | DEVICE_WRITE | DEVICE_MKNOD;
    if (!(out->host = device_path(a, s, c1 ? (size_t)(c1 - s) : strlen(s), "host", why)))
        return -1;
    const char *ctr = c1 ? c1 + 1 : NULL, *perms = c2 ? c2 + 1 : NULL;
    size_t cl = c2 ? (size_t)(c2 - ctr) : ctr ? strlen(ctr) : 0;
    if (ctr && !c2 && ctr[0] != '/') { /* HOST:PERMISSIONS, as docker allows */
        perms = ctr;
        ctr = NULL;
    }
    if (perms && device_access(perms, &out->access) < 0) {
        *why = c2 ? arena_printf(a, "permissions '%s' must be r, w and m, each at most once (rw, rwm)", perms)
                  : arena_printf(a, "'%s' is neither an absolute container path nor permissions (r, w and m, "
                                    "each at most once)", perms);
        return -1;
    }
    if (!ctr) {
        out->ctr = out->host;
    } else if (!(out->ctr = device_path(a, ctr, cl, "container", why))) {
        return -1;
    }
    if (!startswith(out->ctr, "/dev/")) {
        if (!ctr)
            *why = arena_printf(a, "%s is not under /dev, where the container's devices are: give the container "
                                   "path, HOST:/dev/NAME", out->host);
        else if (streq(out->ctr, "/dev"))
            *why = "the container path must name a device under /dev, not /dev itself";
        else
            *why = arena_printf(a, "the container path %s is not under /dev", out->ctr);
        return -1;
    }
    return 0;
}

const char *device_access_str(unsigned access, char *buf)
{
    size_t n = 0;
    if (access & DEVICE_READ)
        buf[n++] = 'r';
    if (access & DEVICE_WRITE)
        buf[n++] = 'w';
    if (access & DEVICE_MKNOD)
        buf[n++] = 'm';
    buf[n] = '\0';
    return buf;
}
