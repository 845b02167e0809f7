/* mountopts.h - fstab-style mount options for mount(2).
 *
 * "defaults,noatime" is how fstab (and [volume] options, conf.md) says
 * it, but mount(2) takes the generic options as flags and gives only
 * the rest to the file system: ext4 refuses "defaults" and "noatime"
 * in its data with EINVAL. mount(8) splits them; so does this. */
#ifndef RT_MOUNTOPTS_H
#define RT_MOUNTOPTS_H

#include <stddef.h>

/* Split OPTS (comma-separated) into mount(2) FLAGS (set and cleared
 * in order: "ro,rw" is rw) and the file system's DATA (the options it
 * does not know, comma-separated, in order; "" when none). fstab-only
 * words (defaults, auto, noauto, nofail, user, nouser, _netdev) are
 * dropped. Returns 0, or -1 with *WHY when DATA would not fit in LEN. */
int mountopts_split(const char *opts, unsigned long *flags, char *data, size_t len, const char **why);

#endif
