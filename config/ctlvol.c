/* ctlvol.c - volumes that would hand a container rtinit's control socket.
 *
 * The socket (RUN/control.sock) answers root only, but a container's
 * root is uid 0 on the host too: a service with /, /run or /run/rt among
 * its volumes could power the droplet off. rtinit also refuses a peer in
 * a container's pid namespace (init/control.c); this check says so at
 * `config check` time, with the line. */
#include "ctlvol.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/paths.h"

/* a is b, or one holds the other (path components, not bytes: /runx
 * neither holds nor is in /run) */
static bool related(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la == 1 || lb == 1) /* "/" holds everything */
        return true;
    size_t n = la < lb ? la : lb;
    if (strncmp(a, b, n))
        return false;
    return la == lb || (la < lb ? b[la] : a[lb]) == '/';
}

/* path with "." and "//" gone and no trailing slash, into out; false
 * when it does not fit */
static bool tidy(const char *path, char *out, size_t len)
{
    size_t o = 0;
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (!n)
            break;
        if (n == 1 && *p == '.') {
            p += n;
            continue;
        }
        if (o + 1 + n + 1 > len)
            return false;
        out[o++] = '/';
        memcpy(out + o, p, n);
        o += n;
        p += n;
    }
    if (!o) {
        if (len < 2)
            return false;
        out[o++] = '/';
    }
    out[o] = '\0';
    return true;
}

int volume_exposes_control(const char *src, const char *run_dir, char *why, size_t wlen)
{
    char srcs[2][PATH_MAX], dirs[3][PATH_MAX];
    size_t ns = 0, nd = 0;
    if (tidy(src, srcs[ns], sizeof(srcs[ns])))
        ns++;
    if (realpath(src, srcs[ns]))
        ns++;
    if (run_dir && *run_dir && tidy(run_dir, dirs[nd], sizeof(dirs[nd])))
        nd++;
    if (run_dir && *run_dir && realpath(run_dir, dirs[nd]))
        nd++;
    if (tidy(RT_DEFAULT_RUN_DIR, dirs[nd], sizeof(dirs[nd])))
        nd++;
    /* /proc/PID/root is a process's whole root (PID 1's: the host's),
     * and resolves only for whom may ptrace it: none of /proc is a
     * volume */
    for (size_t i = 0; i < ns; i++)
        if (related(srcs[i], "/proc") && strcmp(srcs[i], "/")) {
            snprintf(why, wlen, "%s is in /proc, where /proc/PID/root is a process's whole root (PID 1's holds %s)",
                     srcs[0], nd ? dirs[0] : RT_DEFAULT_RUN_DIR);
            return 1;
        }
    for (size_t i = 0; i < ns; i++)
        for (size_t k = 0; k < nd; k++)
            if (related(srcs[i], dirs[k])) {
                size_t ls = strlen(srcs[i]), ld = strlen(dirs[k]);
                const char *rel = ls == ld ? "is" : ls < ld ? "holds" : "is inside";
                if (i > 0 && strcmp(srcs[0], srcs[i])) /* by a symbolic link */
                    snprintf(why, wlen, "%s is %s, which %s %s", srcs[0], srcs[i],
                             ls == ld ? "is" : ls < ld ? "holds" : "is inside", dirs[k]);
                else
                    snprintf(why, wlen, "%s %s %s", srcs[i], rel, dirs[k]);
                return 1;
            }
    return 0;
}
