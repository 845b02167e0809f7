#include "envfile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../lib/fileio.h"
#include "../lib/util.h"

bool interp_name_ok(const char *name, size_t len)
{
    if (len == 0 || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!(isalnum((unsigned char)name[i]) || name[i] == '_'))
            return false;
    return true;
}

bool env_name_ok(const char *name, size_t len)
{
    if (len == 0 || isdigit((unsigned char)name[0]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(isalnum((unsigned char)name[i]) || name[i] == '_' || name[i] == '.' || name[i] == '-'))
            return false;
    return true;
}

static void problem(struct arena *a, struct envfile_result *res, int line, const char *msg)
{
    struct envfile_problem p = {line, msg};
    ARENA_PUSH(a, res->problems, res->nproblems, res->capproblems, p);
}

void envfile_parse(struct arena *a, const char *buf, size_t len, struct envfile *out,
                   struct envfile_result *res)
{
    size_t pos = 0;
    int lineno = 0;
    while (pos < len) {
        const char *start = buf + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - start) : len - pos;
        pos += n + (nl ? 1 : 0);
        lineno++;
        if (memchr(start, '\0', n)) {
            problem(a, res, lineno, "line contains a NUL byte");
            continue;
        }
        char *line = strstrip(arena_strndup(a, start, n));
        if (!*line || *line == '#')
            continue;
        if (startswith(line, "export ") || startswith(line, "export\t"))
            line = strstrip(line + 7);
        char *eq = strchr(line, '=');
        if (!eq) {
            problem(a, res, lineno, "expected NAME=VALUE");
            continue;
        }
        *eq = '\0';
        char *name = strstrip(line);
        char *value = eq + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        if (!env_name_ok(name, strlen(name))) {
            problem(a, res, lineno, "invalid variable name (letters, digits, '_', '.' and '-', not starting with a digit)");
            continue;
        }
        size_t vl = strlen(value);
        if (vl >= 2 && (value[0] == '"' || value[0] == '\'') && value[vl - 1] == value[0]) {
            value[vl - 1] = '\0';
            value++;
        }
        bool dup = false;
        for (size_t i = 0; i < out->n; i++) {
            if (streq(out->v[i].name, name)) {
                problem(a, res, lineno,
                        arena_printf(a, "%s is set twice (first at line %d)", name, out->v[i].line));
                dup = true;
                break;
            }
        }
        if (dup)
            continue;
        struct envfile_var v = {name, value, lineno};
        ARENA_PUSH(a, out->v, out->n, out->cap, v);
    }
}

void envfile_read(struct arena *a, const char *path, struct envfile *out, struct envfile_result *res)
{
    memset(out, 0, sizeof(*out));
    memset(res, 0, sizeof(*res));
    struct stat st;
    size_t len;
    int e;
    char *buf = read_small_file(a, path, 1024 * 1024, &len, &st, &e);
    if (!buf) {
        res->errnum = e;
        return;
    }
    res->mode = st.st_mode & 07777;
    res->uid = st.st_uid;
    /* A secret readable by anyone but root is a leak waiting to happen,
     * and one writable by anyone but root lets them plant values: any
     * group or other read or write bit, or a non-root owner, counts. */
    res->readable_by_others = (st.st_mode & (S_IRGRP | S_IROTH)) || st.st_uid != 0;
    res->writable_by_others = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
    envfile_parse(a, buf, len, out, res);
}

const struct envfile_var *envfile_get(const struct envfile *e, const char *name)
{
    for (size_t i = 0; i < e->n; i++)
        if (streq(e->v[i].name, name))
            return &e->v[i];
    return NULL;
}

/* One piece of a string with references: literal text, or a ${...}
 * reference with its parts. "$$" is literal "$"; a "$" not followed by
 * "{" or "$" is literal too. */
struct interp_tok {
    bool ref;
    const char *text;        /* literal: the text to copy */
    size_t len;
    const char *name;        /* ref */
    size_t nlen;
    char op;                 /* 0, '-' or '?' */
    bool colon;              /* ":-" / ":?": empty counts as unset */
    const char *word;        /* the default or message after op */
    size_t wlen;
};

/* Read the token at p into *t. Returns the position after it, p itself at
 * the end of the string, or NULL with *why on a syntax error. */
static const char *next_tok(const char *p, struct interp_tok *t, const char **why)
{
    memset(t, 0, sizeof(*t));
    if (*p != '$') {
        const char *d = strchr(p, '$');
        t->text = p;
        t->len = d ? (size_t)(d - p) : strlen(p);
        return p + t->len;
    }
    if (p[1] != '{') {
        t->text = "$";
        t->len = 1;
        return p + (p[1] == '$' ? 2 : 1);
    }
    const char *q = p + 2;
    if (!strchr(q, '}')) {
        *why = "unterminated ${";
        return NULL;
    }
    t->ref = true;
    t->name = q;
    while (isalnum((unsigned char)*q) || *q == '_')
        q++;
    t->nlen = (size_t)(q - t->name);
    if (!interp_name_ok(t->name, t->nlen)) {
        *why = *q == '}' && t->nlen == 0 ? "empty ${} reference" : "invalid variable name in ${...}";
        return NULL;
    }
    if (*q == ':' && (q[1] == '-' || q[1] == '?')) {
        t->colon = true;
        q++;
    }
    if (*q == '-' || *q == '?') {
        t->op = *q++;
        t->word = q;
        /* The default may not contain another reference or brace: keep
         * the language small enough to read at a glance. */
        while (*q && *q != '}')
            q++;
        t->wlen = (size_t)(q - t->word);
    }
    if (*q != '}') {
        *why = "unexpected character in ${...}";
        return NULL;
    }
    return q + 1;
}

int interp_scan(const char *s, void (*cb)(void *ud, const char *name, size_t len, bool has_default),
                void *ud, const char **why)
{
    struct interp_tok t;
    for (const char *p = s; *p;) {
        p = next_tok(p, &t, why);
        if (!p)
            return -1;
        if (t.ref && cb)
            cb(ud, t.name, t.nlen, t.op == '-');
    }
    return 0;
}

char *interp_expand(struct arena *a, const char *s, const char *(*lookup)(void *ud, const char *name),
                    void *ud, const char **why)
{
    /* First pass: check the syntax and size the result, so secrets are
     * copied exactly once, into a buffer that fits. */
    size_t total = 0;
    struct interp_tok t;
    for (const char *p = s; *p;) {
        p = next_tok(p, &t, why);
        if (!p)
            return NULL;
        if (!t.ref) {
            total += t.len;
            continue;
        }
        char *key = arena_strndup(a, t.name, t.nlen);
        const char *val = lookup(ud, key);
        if (val && !(t.colon && !*val)) {
            total += strlen(val);
        } else if (t.op == '-') {
            total += t.wlen;
        } else if (t.op == '?') {
            *why = t.wlen ? arena_printf(a, "%s: %.*s", key, (int)t.wlen, t.word)
                          : arena_printf(a, "%s is not set", key);
            return NULL;
        } else if (!val) {
            *why = arena_printf(a, "${%s} is not defined", key);
            return NULL;
        }
    }
    char *out = arena_alloc(a, total + 1);
    size_t len = 0;
    for (const char *p = s; *p;) {
        p = next_tok(p, &t, why);
        const char *src = t.text;
        size_t n = t.len;
        if (t.ref) {
            char *key = arena_strndup(a, t.name, t.nlen);
            const char *val = lookup(ud, key);
            if (val && !(t.colon && !*val)) {
                src = val;
                n = strlen(val);
            } else if (t.op == '-') {
                src = t.word;
                n = t.wlen;
            } else {
                src = "";
                n = 0; /* set but empty, no operator: empty is a value */
            }
        }
        memcpy(out + len, src, n);
        len += n;
    }
    out[len] = '\0';
    return out;
}

const char *envfile_lookup(void *ud, const char *name)
{
    const struct envfile_var *v = ud ? envfile_get(ud, name) : NULL;
    return v ? v->value : NULL;
}

void env_put(struct arena *a, char **env, size_t *n, const char *name, size_t nlen, const char *value)
{
    char *kv = arena_printf(a, "%.*s=%s", (int)nlen, name, value);
    for (size_t i = 0; i < *n; i++)
        if (!strncmp(env[i], name, nlen) && env[i][nlen] == '=') {
            env[i] = kv;
            return;
        }
    env[(*n)++] = kv;
}

void env_finish(struct arena *a, char **env, size_t *n, const char *hostname)
{
    bool path = false, host = false;
    for (size_t i = 0; i < *n; i++) {
        path |= !strncmp(env[i], "PATH=", 5);
        host |= !strncmp(env[i], "HOSTNAME=", 9);
    }
    if (!path)
        env[(*n)++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    if (!host && hostname)
        env[(*n)++] = arena_printf(a, "HOSTNAME=%s", hostname);
    env[*n] = NULL;
}
