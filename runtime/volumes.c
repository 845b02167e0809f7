/* volumes.c - which host directories some container can write, for
 * lib/guarded.h: every directory ever bind-mounted read-write, by rtinit
 * or by rtctl run, is kept in STATE/volumes.rw, one a line, by device and
 * inode as it was opened for the mount (then a rename, or another name for
 * it, still finds it) and with its path for people to read.
 *
 * Kept, not worked out from the conf.d of the day: a container that once
 * had /srv/data read-write may have left a symlink there, and a later
 * conf.d where /srv/data is read-only, or gone, or an `rtctl run` of
 * /srv/data/inner, must still not follow it. The file only grows, by one
 * line per distinct directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/arena.h"
#include "../lib/fileio.h"
#include "../lib/util.h"
#include "child.h"

#define RECORD_MAX (16 << 20)

int volumes_guards(const struct ctr_spec *s, struct child *ch, struct rt_err *err)
{
    if ((size_t)snprintf(ch->record, sizeof(ch->record), "%s/volumes.rw", s->state_dir) >= sizeof(ch->record))
        return rt_error(err, ENAMETOOLONG, "%s: path too long", s->state_dir);
    for (size_t i = 0; i < s->nmounts; i++)
        if (!s->mounts[i].tmpfs && strchr(s->mounts[i].src, '\n'))
            return rt_error(err, EINVAL, "volume source %s: a newline in a path is not allowed", s->mounts[i].src);
    struct arena a;
    arena_init(&a);
    jmp_buf jb;
    if (ARENA_TRY(&a, jb)) {
        arena_free(&a);
        return rt_error(err, ENOMEM, "out of memory");
    }
    size_t len = 0;
    int e = 0;
    char *text = read_small_file(&a, ch->record, RECORD_MAX, &len, NULL, &e);
    if (!text && e != ENOENT) {
        arena_free(&a);
        return rt_error(err, e, "%s: %s%s", ch->record, read_small_file_error(e),
                        e == EFBIG ? " (too many volume sources to keep track of)" : "");
    }
    size_t lines = 0;
    for (const char *p = text; p && *p; p++)
        lines += *p == '\n';
    ch->guards = calloc(lines + 1, sizeof(*ch->guards));
    if (!ch->guards) {
        arena_free(&a);
        return rt_error(err, ENOMEM, "out of memory");
    }
    ch->nguards = 0;
    for (char *l = text, *nl; l && *l; l = nl + 1) {
        nl = strchr(l, '\n');
        if (!nl)
            break;
        *nl = '\0';
        /* "DEV INO PATH": the directory as it was when mounted, wherever
         * it is now and whatever names it (a rename, an admin's symlink);
         * the path is for people reading the file */
        unsigned long long dev, ino;
        if (sscanf(l, "%llu %llu /", &dev, &ino) == 2)
            ch->guards[ch->nguards++] = (struct file_id){(dev_t)dev, (ino_t)ino};
    }
    arena_free(&a);
    return 0;
}

void volumes_record(struct child *ch, int fd, const char *src)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        die(ch, "volume source %s:", src);
    if (!S_ISDIR(st.st_mode))
        return; /* a file holds no symlink */
    for (size_t i = 0; i < ch->nguards; i++)
        if (ch->guards[i].dev == st.st_dev && ch->guards[i].ino == st.st_ino)
            return;
    char line[PATH_MAX + 64];
    int n = snprintf(line, sizeof(line), "%llu %llu %s\n", (unsigned long long)st.st_dev,
                     (unsigned long long)st.st_ino, src);
    int rfd = open(ch->record, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (rfd < 0 || n < 0 || (size_t)n >= sizeof(line) || write(rfd, line, (size_t)n) != n)
        die(ch, "recording %s in %s:", src, ch->record);
    close(rfd);
}
