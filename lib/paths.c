#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int join(char *dst, const char *a, const char *b, struct rt_err *err)
{
    int n = snprintf(dst, PATH_MAX, "%s%s", a, b);
    if (n < 0 || n >= PATH_MAX)
        return rt_error(err, 0, "path too long: %s%s", a, b);
    return 0;
}

int rt_paths_init(struct rt_paths *p, const char *conf_dir, const char *root, struct rt_err *err)
{
    memset(p, 0, sizeof(*p));
    if (join(p->conf_dir, conf_dir ? conf_dir : RT_DEFAULT_CONF_DIR, "", err) < 0)
        return -1;
    if (root && *root) {
        /* Absolute: containers are started after a change of directory,
         * where a relative root would name something else. */
        char cwd[PATH_MAX] = "";
        if (root[0] != '/' && !getcwd(cwd, sizeof(cwd)))
            return rt_error(err, errno, "--root %s: the current directory: %s", root, strerror(errno));
        /* Strip trailing slashes so messages show "DIR/run", not "DIR//run". */
        if (*cwd && strlen(cwd) + 1 < sizeof(cwd))
            strcat(cwd, "/");
        if (join(p->root, cwd, root, err) < 0)
            return -1;
        size_t n = strlen(p->root);
        while (n > 1 && p->root[n - 1] == '/')
            p->root[--n] = '\0';
        if (join(p->state_dir, p->root, "/state", err) < 0 || join(p->run_dir, p->root, "/run", err) < 0 ||
            join(p->log_dir, p->root, "/log", err) < 0)
            return -1;
    } else {
        if (join(p->state_dir, RT_DEFAULT_STATE_DIR, "", err) < 0 ||
            join(p->run_dir, RT_DEFAULT_RUN_DIR, "", err) < 0 ||
            join(p->log_dir, RT_DEFAULT_LOG_DIR, "", err) < 0)
            return -1;
    }
    return join(p->socket, p->run_dir, "/control.sock", err);
}
