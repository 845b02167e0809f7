/* imgvol.h - the volumes an image declares (its config's Volumes, a
 * Dockerfile's VOLUME) for a service.
 *
 * Each start of a service is a fresh container (docs/conf.md): what it
 * wrote outside volumes and tmpfs mounts is gone at the next start. So
 * that nothing an image means to keep is lost, a path the image declares
 * as a volume and the service does not mount gets a named volume of its
 * own, as Docker gives it an anonymous one:
 *
 *     MOUNTPOINT/.image-volumes/SERVICE/ESCAPED
 *
 * ESCAPED is the path as `systemd-escape --path` writes it, with ':' also
 * escaped: /var/lib/mysql is var-lib-mysql, /srv/my-data is
 * srv-my\x2ddata. The name depends only on the service and the path, so
 * the volume is the same across restarts and across images; relative
 * `volumes` sources under .image-volumes are refused in conf.d
 * (conf_container.c), so it is never an operator's volume too.
 *
 * The declared paths are the image's, so hostile: each is decided here
 * once, for `config check` (plan.c) and for the start (svcspec.c). */
#ifndef RT_IMGVOL_H
#define RT_IMGVOL_H

#include <stddef.h>

#include "../lib/arena.h"
#include "conf.h"

#define IMGVOL_DIR ".image-volumes"
/* at most this many image volumes per service; the rest are refused */
#define IMGVOL_MAX 64

enum imgvol_kind {
    IMGVOL_NAMED,   /* a named volume of its own */
    IMGVOL_MOUNTED, /* at or under one of the service's volumes or tmpfs mounts, which holds it */
    IMGVOL_REFUSED, /* not a path for a volume: left to the writable layer, lost at each start */
};

struct imgvol {
    const char *shown;       /* the declared path, printable (control bytes as \xNN) */
    const char *path;        /* normalised path in the container (NAMED, MOUNTED) */
    enum imgvol_kind kind;
    const char *name;        /* NAMED: .image-volumes/SERVICE/ESCAPED */
    const char *host;        /* NAMED: MOUNTPOINT/name */
    const char *why;         /* MOUNTED: the mount that holds it; REFUSED: the reason */
};

/* The declared paths decl[0..n) of the service s, each once (by its
 * normalised path), sorted by path, so that a volume comes before one
 * under it. *out is allocated from a; returns the count. */
size_t imgvol_resolve(struct arena *a, const struct svc_conf *s, const char *mountpoint, char *const *decl, size_t n,
                      struct imgvol **out);

/* ESCAPED for an absolute, normalised path other than "/" (into out, at
 * most len bytes with the NUL); -1 when it does not fit. */
int imgvol_escape(const char *path, char *out, size_t len);

#endif
