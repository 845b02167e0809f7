/* envfile.h - environment files and ${VAR} interpolation.
 *
 * Secrets never live in conf.d: a service's env_file is injected into its
 * environment at start, and [droplet] secrets supplies the values of ${VAR}
 * references in environment, command, entrypoint and healthcheck exec.
 * Nothing here ever prints a value. */
#ifndef RT_ENVFILE_H
#define RT_ENVFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "../lib/arena.h"

struct envfile_var {
    const char *name;
    const char *value;
    int line;
};

struct envfile {
    struct envfile_var *v;
    size_t n, cap;
};

/* Problems found while reading: the line and a message that never quotes
 * the value. */
struct envfile_problem {
    int line;
    const char *msg;
};

struct envfile_result {
    int errnum;                      /* open/read failure (ENOENT, EACCES...), 0 if read */
    bool readable_by_others;         /* group/other read bit, or not owned by root */
    bool writable_by_others;         /* group/other write bit */
    unsigned mode;                   /* st_mode & 07777 */
    unsigned uid;
    struct envfile_problem *problems;
    size_t nproblems, capproblems;
};

/* Read path: "KEY=VALUE" lines, '#' comments, blank lines, an optional
 * "export " prefix, and a value wrapped whole in single or double quotes
 * has them removed (docker compose v2 reads env files the same way). */
void envfile_read(struct arena *a, const char *path, struct envfile *out, struct envfile_result *res);
/* Same, from a buffer (tests, fuzzing). */
void envfile_parse(struct arena *a, const char *buf, size_t len, struct envfile *out,
                   struct envfile_result *res);
const struct envfile_var *envfile_get(const struct envfile *e, const char *name);
/* For interp_expand(): ud is a const struct envfile * (NULL: nothing is
 * defined). */
const char *envfile_lookup(void *ud, const char *name);

/* Building a process's environment, "NAME=value" strings with each NAME
 * once: env_put replaces an earlier NAME; env_finish adds Docker's PATH
 * and HOSTNAME=hostname where missing (env needs room for two more) and
 * the NULL at the end; no HOSTNAME with hostname NULL (a host service has
 * the host's). */
void env_put(struct arena *a, char **env, size_t *n, const char *name, size_t nlen, const char *value);
void env_finish(struct arena *a, char **env, size_t *n, const char *hostname);

/* A variable name in environment and env files: letters, digits, '_', '.'
 * and '-', not starting with a digit (what docker accepts in practice). */
bool env_name_ok(const char *name, size_t len);

/* Is name a valid variable name for ${...}: [A-Za-z_][A-Za-z0-9_]* ? */
bool interp_name_ok(const char *name, size_t len);

/* Walk the ${...} references in s. For each reference cb is called with
 * the variable name (not NUL-terminated: name, len) and whether it has a
 * default (${X:-d} / ${X-d}). Returns 0, or -1 with *why on a syntax error
 * (unterminated "${", bad name). "$$" is a literal "$"; a "$" not followed
 * by "{" or "$" is literal too, so shell snippets like $HOME survive. */
int interp_scan(const char *s, void (*cb)(void *ud, const char *name, size_t len, bool has_default),
                void *ud, const char **why);

/* Expand s with lookup(); returns an arena string or NULL with *why set
 * (undefined variable without a default, or ${X:?msg}). */
char *interp_expand(struct arena *a, const char *s, const char *(*lookup)(void *ud, const char *name),
                    void *ud, const char **why);

#endif
