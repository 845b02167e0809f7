/* guarded.h - open a host path that containers may have written to.
 *
 * A container that can write a directory can put a symbolic link there.
 * If that directory is on the path of another volume's source (named
 * volumes `shared` and `shared/inner`; host paths /srv/data and
 * /srv/data/inner), a start that followed the link would mount whatever it
 * points to, / included. So a volume's source is walked from / one
 * component at a time: symbolic links are followed, as the administrator
 * wrote the path (/etc/localtime, /lib on a merged-/usr system), until the
 * walk enters a directory that some container could write (a "guard",
 * known by device and inode, so another spelling of the same place is
 * caught too); from there on no symbolic link is followed at all.
 *
 * It allocates nothing: the container's child calls it between clone and
 * pivot_root. */
#ifndef RT_GUARDED_H
#define RT_GUARDED_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct file_id {
    dev_t dev;
    ino_t ino;
};

/* An O_PATH fd for the absolute path, walked as above; with mkdir_mode
 * >= 0, missing directories are made (mkdir_mode for the last one, 0755
 * above it). -1 with errno (ELOOP: a symbolic link below a guard, or too
 * many links), and in where the path walked so far. */
int open_guarded(const char *path, const struct file_id *guards, size_t nguards, int mkdir_mode, char *where,
                 size_t wlen);

#endif
