#include "envfile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "util.h"

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

/* Parse one ${...} starting at s (pointing at '$'). Fills name/len, the
 * operator (0, '-', '?') with colon flag, and the word after it. Returns a
 * pointer past the closing brace, or NULL with *why. */
static const char *parse_ref(const char *s, const char **name, size_t *nlen, char *op, bool *colon,
                             const char **word, size_t *wlen, const char **why)
{
    const char *p = s + 2;
    const char *n = p;
    if (!strchr(p, '}')) {
        *why = "unterminated ${";
        return NULL;
    }
    while (isalnum((unsigned char)*p) || *p == '_')
        p++;
    *name = n;
    *nlen = (size_t)(p - n);
    *op = 0;
    *colon = false;
    *word = NULL;
    *wlen = 0;
    if (!interp_name_ok(n, *nlen)) {
        *why = *p == '}' && p == n ? "empty ${} reference" : "invalid variable name in ${...}";
        return NULL;
    }
    if (*p == ':' && (p[1] == '-' || p[1] == '?')) {
        *colon = true;
        p++;
    }
    if (*p == '-' || *p == '?') {
        *op = *p++;
        *word = p;
        /* The default may not contain another reference or brace: keep
         * the language small enough to read at a glance. */
        while (*p && *p != '}')
            p++;
        *wlen = (size_t)(p - *word);
    }
    if (*p != '}') {
        *why = *p ? "unexpected character in ${...}" : "unterminated ${";
        return NULL;
    }
    return p + 1;
}

int interp_scan(const char *s, void (*cb)(void *ud, const char *name, size_t len, bool has_default),
                void *ud, const char **why)
{
    const char *p = s;
    while ((p = strchr(p, '$'))) {
        if (p[1] == '$') {
            p += 2;
            continue;
        }
        if (p[1] != '{') {
            p++;
            continue;
        }
        const char *name, *word;
        size_t nlen, wlen;
        char op;
        bool colon;
        const char *end = parse_ref(p, &name, &nlen, &op, &colon, &word, &wlen, why);
        if (!end)
            return -1;
        if (cb)
            cb(ud, name, nlen, op == '-');
        p = end;
    }
    return 0;
}

char *interp_expand(struct arena *a, const char *s, const char *(*lookup)(void *ud, const char *name),
                    void *ud, const char **why)
{
    /* Two passes would be simpler to size; one pass with a growing buffer
     * keeps secrets from being copied more than once. */
    size_t cap = strlen(s) + 1, len = 0;
    char *out = arena_alloc(a, cap);
#define PUT(src, n)                                                                                \
    do {                                                                                           \
        size_t _n = (n);                                                                           \
        if (len + _n + 1 > cap) {                                                                  \
            size_t ncap = (len + _n + 1) * 2;                                                      \
            char *nb = arena_alloc(a, ncap);                                                       \
            memcpy(nb, out, len);                                                                  \
            out = nb;                                                                              \
            cap = ncap;                                                                            \
        }                                                                                          \
        memcpy(out + len, (src), _n);                                                              \
        len += _n;                                                                                 \
    } while (0)
    const char *p = s;
    for (;;) {
        const char *d = strchr(p, '$');
        if (!d) {
            PUT(p, strlen(p));
            break;
        }
        PUT(p, (size_t)(d - p));
        if (d[1] == '$') {
            PUT("$", 1);
            p = d + 2;
            continue;
        }
        if (d[1] != '{') {
            PUT("$", 1);
            p = d + 1;
            continue;
        }
        const char *name, *word;
        size_t nlen, wlen;
        char op;
        bool colon;
        const char *end = parse_ref(d, &name, &nlen, &op, &colon, &word, &wlen, why);
        if (!end)
            return NULL;
        char *key = arena_strndup(a, name, nlen);
        const char *val = lookup(ud, key);
        bool use_word = !val || (colon && !*val);
        if (!use_word) {
            PUT(val, strlen(val));
        } else if (op == '-') {
            PUT(word, wlen);
        } else if (op == '?') {
            *why = wlen ? arena_printf(a, "%s: %.*s", key, (int)wlen, word)
                        : arena_printf(a, "%s is not set", key);
            return NULL;
        } else if (val) {
            /* set but empty, no operator: empty is a value */
        } else {
            *why = arena_printf(a, "${%s} is not defined", key);
            return NULL;
        }
        p = end;
    }
#undef PUT
    out[len] = '\0';
    return out;
}
