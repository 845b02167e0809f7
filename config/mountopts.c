/* mountopts.c - fstab-style mount options split into mount(2)'s flags
 * and the file system's data (mountopts.h). */
#include "mountopts.h"

#include <string.h>
#include <sys/mount.h>

#include "../lib/util.h"

static const struct {
    const char *name;
    unsigned long set, clear;
} generic[] = {
    {"defaults", 0, 0},
    {"auto", 0, 0},
    {"noauto", 0, 0},
    {"nofail", 0, 0},
    {"user", 0, 0},
    {"nouser", 0, 0},
    {"_netdev", 0, 0},
    {"ro", MS_RDONLY, 0},
    {"rw", 0, MS_RDONLY},
    {"nosuid", MS_NOSUID, 0},
    {"suid", 0, MS_NOSUID},
    {"nodev", MS_NODEV, 0},
    {"dev", 0, MS_NODEV},
    {"noexec", MS_NOEXEC, 0},
    {"exec", 0, MS_NOEXEC},
    {"sync", MS_SYNCHRONOUS, 0},
    {"async", 0, MS_SYNCHRONOUS},
    {"dirsync", MS_DIRSYNC, 0},
    {"noatime", MS_NOATIME, MS_RELATIME | MS_STRICTATIME},
    {"atime", 0, MS_NOATIME},
    {"nodiratime", MS_NODIRATIME, 0},
    {"diratime", 0, MS_NODIRATIME},
    {"relatime", MS_RELATIME, MS_NOATIME | MS_STRICTATIME},
    {"norelatime", 0, MS_RELATIME},
    {"strictatime", MS_STRICTATIME, MS_NOATIME | MS_RELATIME},
    {"lazytime", MS_LAZYTIME, 0},
    {"nolazytime", 0, MS_LAZYTIME},
    {"mand", MS_MANDLOCK, 0},
    {"nomand", 0, MS_MANDLOCK},
};

int mountopts_split(const char *opts, unsigned long *flags, char *data, size_t len, const char **why)
{
    size_t n = 0;
    *flags = 0;
    if (len == 0) {
        *why = "no room for the file system's options";
        return -1;
    }
    data[0] = '\0';
    for (const char *p = opts ? opts : ""; *p;) {
        size_t w = strcspn(p, ",");
        size_t i;
        for (i = 0; i < ARRAY_SIZE(generic); i++)
            if (strlen(generic[i].name) == w && strncmp(p, generic[i].name, w) == 0)
                break;
        if (i < ARRAY_SIZE(generic)) {
            *flags = (*flags & ~generic[i].clear) | generic[i].set;
        } else if (w > 0) {
            if (n + (n > 0) + w + 1 > len) {
                *why = "the file system's options are too long";
                return -1;
            }
            if (n > 0)
                data[n++] = ',';
            memcpy(data + n, p, w);
            n += w;
            data[n] = '\0';
        }
        p += w;
        if (*p == ',')
            p++;
    }
    return 0;
}
