/* conf.c - reading conf.d: the directory, and the conf it gives.
 *
 * conf_load() reads droplet.conf, then every other *.conf as a service,
 * and conf_finish() sorts the services and reports duplicate names. The
 * parser is in pieces, each a file to read in one sitting:
 *
 *   conf_parse.c        the line reader, inih, sections, the key table
 *                       and the dispatch of each value to its key
 *   conf_droplet.c      droplet.conf: its keys, defaults and checks
 *   conf_service.c      a service file as a whole: defaults and the
 *                       checks across its keys
 *   conf_process.c      [service] keys for what runs and how it is supervised
 *   conf_container.c    [service] keys that shape the container
 *   conf_healthcheck.c  [healthcheck]
 *   conf_common.c       checks that several sections share
 *   conf_secret.c       names and values that look like secrets
 *
 * conf_int.h is what they share; conf.h is all the rest of rt sees. */
#include "conf_int.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/fileio.h"
#include "../lib/util.h"

/* ---------- values' names, as written in files ---------- */

const char *net_mode_name(enum net_mode m)
{
    static const char *const n[] = {"bridge", "none", "host"};
    return n[m];
}

const char *restart_name(enum restart_policy r)
{
    static const char *const n[] = {"no", "always", "on-failure", "unless-stopped"};
    return n[r];
}

const char *dep_cond_name(enum dep_cond c)
{
    static const char *const n[] = {"started", "healthy", "completed"};
    return n[c];
}

/* ---------- the conf ---------- */

struct conf *conf_new(const struct rt_paths *paths, struct rt_err *err)
{
    struct conf *volatile c = calloc(1, sizeof(*c)); /* volatile: read after longjmp */
    if (!c) {
        rt_error(err, ENOMEM, "out of memory");
        return NULL;
    }
    arena_init(&c->arena);
    jmp_buf jb;
    if (ARENA_TRY(&c->arena, jb)) {
        conf_free(c);
        rt_error(err, ENOMEM, "out of memory");
        return NULL;
    }
    diag_init(&c->diags, &c->arena);
    /* Show paths the way the user wrote them, without a trailing slash. */
    size_t n = strlen(paths->conf_dir);
    while (n > 1 && paths->conf_dir[n - 1] == '/')
        n--;
    c->dir = arena_strndup(&c->arena, paths->conf_dir, n);
    c->run_dir = arena_strdup(&c->arena, paths->run_dir);
    droplet_defaults(c, paths);
    c->droplet.file = arena_printf(&c->arena, "%s/droplet.conf", c->dir);
    c->arena.oom = NULL;
    return c;
}

static int cmp_svc(const void *a, const void *b)
{
    const struct svc_conf *x = *(struct svc_conf *const *)a, *y = *(struct svc_conf *const *)b;
    int r = strcmp(x->name, y->name);
    return r ? r : strcmp(x->file, y->file);
}

void conf_finish(struct conf *c)
{
    jmp_buf jb, *saved = c->arena.oom;
    if (ARENA_TRY(&c->arena, jb)) {
        c->arena.oom = saved;
        return;
    }
    if (c->nsvcs > 1)
        qsort(c->svcs, c->nsvcs, sizeof(c->svcs[0]), cmp_svc);
    /* Two files that end up with one name: keep the one named after its
     * file (redis.conf for "redis"), report the one whose `name =` line
     * made the clash; with no such difference, the later file. */
    size_t w = 0;
    for (size_t i = 0; i < c->nsvcs;) {
        size_t j = i + 1;
        while (j < c->nsvcs && streq(c->svcs[j]->name, c->svcs[i]->name))
            j++;
        size_t keep = i;
        for (size_t k = i; k < j; k++)
            if (!c->svcs[k]->set[K_NAME].line) {
                keep = k;
                break;
            }
        for (size_t k = i; k < j; k++) {
            if (k == keep)
                continue;
            struct svc_conf *dup = c->svcs[k];
            struct src at = dup->set[K_NAME].line ? dup->set[K_NAME] : dup->header;
            if (!at.line)
                at = (struct src){dup->file, 1};
            diag_error(&c->diags, at, "name", "duplicate service '%s' (also defined in %s)", dup->name,
                       c->svcs[keep]->file);
        }
        c->svcs[w++] = c->svcs[keep];
        i = j;
    }
    c->nsvcs = w;
    diag_sort(&c->diags);
    c->arena.oom = saved;
}

struct svc_conf *conf_find(const struct conf *c, const char *name)
{
    for (size_t i = 0; i < c->nsvcs; i++)
        if (streq(c->svcs[i]->name, name))
            return c->svcs[i];
    return NULL;
}

void conf_free(struct conf *c)
{
    if (!c)
        return;
    arena_free(&c->arena);
    free(c);
}

/* ---------- loading a directory ---------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read a whole conf file; reports problems as diagnostics and returns NULL. */
static char *read_conf_file(struct conf *c, const char *path, size_t *len)
{
    int e;
    char *buf = read_small_file(&c->arena, path, CONF_MAX_FILE_SIZE, len, NULL, &e);
    if (!buf) {
        if (e == EFBIG)
            diag_error(&c->diags, (struct src){path, 0}, NULL, "larger than %d bytes", CONF_MAX_FILE_SIZE);
        else
            diag_error(&c->diags, (struct src){path, 0}, NULL, "cannot read: %s", read_small_file_error(e));
    }
    return buf;
}

struct conf *conf_load(const struct rt_paths *paths, struct rt_err *err)
{
    return conf_load_skipping(paths, NULL, 0, err);
}

static bool skipped(const char *path, const char *const *skip, size_t nskip)
{
    for (size_t i = 0; i < nskip; i++)
        if (streq(path, skip[i]))
            return true;
    return false;
}

struct conf *conf_load_skipping(const struct rt_paths *paths, const char *const *skip, size_t nskip,
                                struct rt_err *err)
{
    struct conf *c = conf_new(paths, err);
    if (!c)
        return NULL;
    DIR *volatile dir = NULL; /* volatile: read after longjmp */
    jmp_buf jb;
    if (ARENA_TRY(&c->arena, jb)) {
        if (dir)
            closedir(dir);
        conf_free(c);
        rt_error(err, ENOMEM, "out of memory");
        return NULL;
    }
    dir = opendir(c->dir);
    if (!dir) {
        rt_syserror(err, "%s", c->dir);
        conf_free(c);
        return NULL;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(dir);
        if (!de) {
            if (errno) {
                rt_syserror(err, "reading %s", c->dir);
                closedir(dir);
                conf_free(c);
                return NULL;
            }
            break;
        }
        /* Hidden files and editor leftovers ("x.conf~", ".x.conf.swp") end
         * in something other than ".conf", so they are skipped too. */
        if (de->d_name[0] == '.' || !endswith(de->d_name, ".conf") || strlen(de->d_name) == 5)
            continue;
        ARENA_PUSH(&c->arena, names, n, cap, arena_strdup(&c->arena, de->d_name));
    }
    closedir(dir);
    dir = NULL;
    if (n > 1)
        qsort(names, n, sizeof(names[0]), cmp_str);

    /* droplet.conf first: service files need its volume mountpoint. */
    for (size_t i = 0; i < n; i++) {
        if (!streq(names[i], "droplet.conf"))
            continue;
        size_t len;
        char *buf = read_conf_file(c, c->droplet.file, &len);
        c->nfiles++;
        if (buf && conf_parse_droplet(c, c->droplet.file, buf, len) < 0)
            longjmp(jb, 1);
    }
    for (size_t i = 0; i < n; i++) {
        if (streq(names[i], "droplet.conf"))
            continue;
        const char *path = arena_printf(&c->arena, "%s/%s", c->dir, names[i]);
        if (skipped(path, skip, nskip))
            continue;
        const char *stem = arena_strndup(&c->arena, names[i], strlen(names[i]) - 5);
        size_t len;
        c->nfiles++;
        char *buf = read_conf_file(c, path, &len);
        if (buf && conf_parse_service(c, path, stem, buf, len) < 0)
            longjmp(jb, 1);
    }
    c->arena.oom = NULL;
    conf_finish(c);
    return c;
}
