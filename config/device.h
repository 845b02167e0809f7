/* device.h - a host device given to a container: conf.d's `devices`
 * entries, as docker's --device and compose's devices read them. */
#ifndef RT_DEVICE_H
#define RT_DEVICE_H

#include "../lib/arena.h"

/* HOST[:CONTAINER][:PERMISSIONS]. HOST is absolute; CONTAINER is
 * absolute and under /dev (default: HOST); PERMISSIONS are r, w and m,
 * each at most once (default rwm). Paths are normalised ("//", "." and
 * a trailing "/" dropped); ".." is refused. */
#define DEVICE_READ  1u
#define DEVICE_WRITE 2u
#define DEVICE_MKNOD 4u
struct device_spec {
    const char *host, *ctr;
    unsigned access;             /* DEVICE_READ | DEVICE_WRITE | DEVICE_MKNOD */
};
int parse_device(struct arena *a, const char *s, struct device_spec *out, const char **why);
/* "rwm", "r", ... for access (buf of at least 4 bytes). */
const char *device_access_str(unsigned access, char *buf);

#endif
