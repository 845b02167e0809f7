/* user.h - resolving a service's user in the image's own /etc/passwd and
 * /etc/group, as docker does (a host service's: the host's). Pure and
 * allocation-free: it runs in the container's process after pivot_root,
 * on the files of the image. */
#ifndef RT_USER_H
#define RT_USER_H

#include <stddef.h>
#include <sys/types.h>

#define USER_MAX_GROUPS 64

struct user_ids {
    uid_t uid;
    gid_t gid;
    gid_t groups[USER_MAX_GROUPS]; /* supplementary groups */
    size_t ngroups;
    char home[256];                /* "" when the user has no entry */
};

/* spec: "uid", "uid:gid", "name", "name:group", "name:gid", "uid:group";
 * NULL or "" means root. A name must exist; a uid need not (then, as in
 * docker, its group is 0 unless given and it has no supplementary groups).
 * passwd and group are the files' text (NUL-terminated, may be NULL). */
int user_resolve(const char *spec, const char *passwd, const char *group, struct user_ids *out, char *msg,
                 size_t mlen);
/* The same, where the files are not an image's: whose names them in
 * messages ("the host's": a host service, runtime/hostproc.c). */
int user_resolve_in(const char *spec, const char *passwd, const char *group, const char *whose, struct user_ids *out,
                    char *msg, size_t mlen);

#endif
