/* conf_secret.c - which names and values look like secrets.
 *
 * The parser warns about a secret written into a conf file as a literal
 * (an environment entry, a "--flag value" of a command line), pointing to
 * [droplet] secrets and ${NAME}; `config check` and `rtctl inspect`
 * redact the same values when they print the conf, and the password of
 * any URL (conf.h). */
#include "conf_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"

/* Does a variable or option name look like it holds a secret? Whole
 * words match anywhere (DB_PASSWORD, JWT_SECRET); short marks only as a
 * whole part of the name (DB_PASS, REDISCLI_AUTH, API_KEY), so that
 * PASSTHROUGH or AUTHOR are not taken for secrets. '-' counts as '_' so
 * option names (--api-key) read the same. */
static bool looks_secret(const char *name)
{
    static const char *const words[] = {"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN",
                                        "APIKEY", "CREDENTIAL", "PRIVATE", "REQUIREPASS", "MASTERAUTH"};
    static const char *const parts[] = {"PASS", "PW", "PWD", "AUTH", "KEY"};
    char up[256];
    size_t n = strlen(name);
    if (n >= sizeof(up))
        n = sizeof(up) - 1;
    for (size_t i = 0; i < n; i++)
        up[i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
    up[n] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(words); i++)
        if (strstr(up, words[i]))
            return true;
    for (char *part = up; part;) {
        char *us = strchr(part, '_');
        size_t pl = us ? (size_t)(us - part) : strlen(part);
        for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
            if (pl == strlen(parts[i]) && !strncmp(part, parts[i], pl))
                return true;
        part = us ? us + 1 : NULL;
    }
    return false;
}

/* A value that is nothing but one reference without a default: ${X},
 * ${X?msg}, ${X:?msg}. Printing it shows no secret. */
static bool only_reference(const char *v)
{
    if (!startswith(v, "${"))
        return false;
    const char *q = v + 2;
    while (isalnum((unsigned char)*q) || *q == '_')
        q++;
    if (*q == ':')
        q++;
    if (*q != '}' && *q != '?')
        return false;
    const char *close = strchr(q, '}');
    return close && !close[1];
}

/* A literal worth hiding: not empty, not a reference, not a file path
 * (KONG_SSL_CERT_KEY=/etc/kong/ssl/privkey.pem names a file, it is not
 * the key). */
static bool literal_secret_value(const char *v)
{
    return *v && !only_reference(v) && !(v[0] == '/' && !strpbrk(v, " \t"));
}

bool conf_name_looks_secret(const char *name)
{
    return looks_secret(name);
}

bool conf_env_is_secret(const struct env_var *e)
{
    return looks_secret(e->name) && literal_secret_value(e->value);
}

/* Where the URL whose "://" is at sep has its password, if it has one:
 * [*from, *to). The authority runs to the first '/', '?' or '#' (as URL
 * parsers read it; a blank or a quote ends it too, for a URL in a longer
 * value), its userinfo to the last '@' in it, the password from the
 * first ':' of the userinfo. Without an '@' there, the last one before
 * the next blank or quote: a base64 password has '/' and '+' unescaped
 * (postgresql://app:Zx/9k+Q@db/app, which SQLAlchemy reads so), and too
 * much hidden beats a password shown; not past a '?' or '#' (a query's
 * mail=a@b), nor after a port (h:8080/x@y). A user alone of 20 bytes or more
 * is taken for a token (https://ghp_...@github.com/org/repo.git) and
 * hidden whole; a short one (git@, postgres@) is a name. */
static bool url_password(const char *v, const char *sep, const char **from, const char **to)
{
    const char *s = sep;
    while (s > v && (isalnum((unsigned char)s[-1]) || s[-1] == '+' || s[-1] == '-' || s[-1] == '.'))
        s--;
    if (s == sep || !isalpha((unsigned char)*s))
        return false; /* no scheme: not a URL */
    const char *a = sep + 3, *e = a;
    while (*e && !strchr("/?#\"' \t\n", *e))
        e++;
    const char *at = NULL;
    for (const char *p = a; p < e; p++)
        if (*p == '@')
            at = p;
    const char *c0 = memchr(a, ':', (size_t)(e - a));
    bool port = c0 && c0 + 1 < e && strspn(c0 + 1, "0123456789") == (size_t)(e - c0 - 1);
    for (const char *p = e; !at && c0 && !port && *p && !strchr("?#\"' \t\n", *p); p++)
        if (*p == '@')
            at = p;
    if (!at || at < a) /* (at < a cannot be: said for the compiler) */
        return false;
    const char *colon = memchr(a, ':', (size_t)(at - a));
    if (!colon && at - a >= 20) { /* a token as the user */
        *from = a;
        *to = at;
        return true;
    }
    if (!colon || colon + 1 == at)
        return false; /* a user and no password */
    *from = colon + 1;
    *to = at;
    return true;
}

char *conf_redact_value(const char *name, const char *value)
{
    if (name && looks_secret(name) && literal_secret_value(value))
        return strdup("<redacted>");
    /* each password (at least one byte) becomes three: at most twice as long */
    size_t n = strlen(value);
    char *out = malloc(2 * n + 1), *o = out;
    if (!out)
        return NULL;
    const char *p = value;
    for (const char *sep; (sep = strstr(p, "://"));) {
        const char *from, *to;
        if (!url_password(value, sep, &from, &to)) {
            memcpy(o, p, (size_t)(sep + 3 - p));
            o += sep + 3 - p;
            p = sep + 3;
            continue;
        }
        char ref[256];
        size_t rl = (size_t)(to - from);
        /* ${DB_PASS} in its place is no secret, and says where it comes from */
        bool is_ref = rl < sizeof(ref) && (memcpy(ref, from, rl), ref[rl] = '\0', only_reference(ref));
        const char *keep = is_ref ? to : from;
        memcpy(o, p, (size_t)(keep - p));
        o += keep - p;
        if (!is_ref) {
            memcpy(o, "***", 3);
            o += 3;
        }
        p = to;
    }
    strcpy(o, p);
    return out;
}

bool conf_argv_is_secret(const struct argv *a, size_t i, size_t *value_off)
{
    /* "--requirepass hunter2" or "--requirepass=hunter2": word i (or the
     * part after '=') is the secret. */
    const char *w = a->v[i];
    *value_off = 0;
    if (w[0] == '-') {
        const char *eq = strchr(w, '=');
        if (!eq)
            return false;
        char name[128];
        size_t nl = (size_t)(eq - w);
        snprintf(name, sizeof(name), "%.*s", (int)(nl < sizeof(name) ? nl : sizeof(name) - 1), w);
        *value_off = nl + 1;
        return looks_secret(name) && literal_secret_value(eq + 1);
    }
    if (i == 0)
        return false;
    const char *flag = a->v[i - 1];
    return flag[0] == '-' && !strchr(flag, '=') && looks_secret(flag) && literal_secret_value(w);
}

void warn_argv_secrets(struct pctx *p, const struct argv *a, size_t from)
{
    for (size_t i = from; i < a->n; i++) {
        size_t off;
        if (conf_argv_is_secret(a, i, &off)) {
            const char *flag = off ? a->v[i] : a->v[i - 1];
            size_t fl = off ? off - 1 : strlen(flag);
            warn(p, "the value of %.*s looks like a secret written into the conf file; put it in [droplet] secrets "
                    "and write ${NAME} instead",
                 (int)fl, flag);
        }
    }
}
