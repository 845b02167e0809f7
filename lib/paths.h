/* paths.h - where configuration, state and runtime files live.
 *
 * Defaults are the system locations. --root DIR moves state, the run
 * directory, the control socket and the default log directory under DIR so
 * that tests and experiments never touch a real installation. */
#ifndef RT_PATHS_H
#define RT_PATHS_H

#include <limits.h>

#include "err.h"

#define RT_DEFAULT_CONF_DIR "/etc/rt/conf.d"
#define RT_DEFAULT_STATE_DIR "/var/lib/rt"
#define RT_DEFAULT_RUN_DIR "/run/rt"
#define RT_DEFAULT_LOG_DIR "/var/log/rt"

struct rt_paths {
    char conf_dir[PATH_MAX];
    char root[PATH_MAX];      /* "" when using the system defaults */
    char state_dir[PATH_MAX]; /* images, containers, network allocations */
    char run_dir[PATH_MAX];
    char socket[PATH_MAX];
    char log_dir[PATH_MAX];   /* default for [logging] dir */
};

/* conf_dir and root may be NULL for the defaults. */
int rt_paths_init(struct rt_paths *p, const char *conf_dir, const char *root, struct rt_err *err);

#endif
