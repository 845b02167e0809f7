/* conf.c - reading conf.d with inih and checking every value.
 *
 * inih does the INI lexing: it splits "key = value", strips blanks and
 * comments, and joins continuation lines. We feed it through our own line
 * reader so that we know the line number of everything it hands us (the
 * Debian build of inih has no line numbers in its callback) and so that
 * every malformed line is reported, not only the first one inih sees. The
 * reader classifies each line the way inih will; lines inih would reject
 * are reported here and handed to inih blank, so inih never fails.
 *
 * Each key has one entry in the table below: its section, whether it may
 * repeat, and the function that checks and stores its value. */
#include "conf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <signal.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"
#include "envfile.h"
#include "../lib/fileio.h"
#include "imgvol.h"
#include "../lib/util.h"
#include "value.h"

/* ---------- parse context ---------- */

enum line_class { L_BLANK, L_COMMENT, L_SECTION, L_KEY, L_CONT, L_BAD };

struct pctx {
    struct conf *c;
    const char *file;
    bool droplet;                 /* parsing droplet.conf */
    struct svc_conf *svc;         /* parsing a service file */
    struct src *set;              /* svc->set or droplet.set */

    /* reader state */
    const char *buf;
    size_t len, pos;
    int lineno;
    enum line_class cls;          /* class of the line inih is processing */
    bool have_prev_key;           /* mirrors inih's prev_name */

    /* section state */
    enum conf_section sec;        /* SEC_NONE before the first header */
    bool sec_unknown;             /* inside a section we reported as unknown */
    struct src sec_at[SEC_COUNT];
    bool outside_reported;
    bool subnet_bad;              /* [network] subnet was refused: skip checks against it */

    /* key being handled */
    int key;                      /* enum conf_key, or -1 */
    int prev_key;                 /* key a continuation line continues, -1 if unknown */
    struct src empty_at;          /* a list key with an empty value, until a continuation fills it */
    const char *empty_key;
    bool empty_is_error;          /* a command may not stay empty; a list may */
    int value_col;                /* 1-based column where the value starts in its line */
    bool argv_json;               /* the command line being read was a JSON array */

    /* the words of the list value being handled, for messages about neighbours */
    char **words;
    size_t nwords, word_index;
    bool cont;
    struct src at;
    const char *keyname;
};

typedef void (*key_fn)(struct pctx *p, const char *v);

enum {
    KF_LIST = 1,      /* repeatable; value is split into shell words, fn gets each */
    KF_ARGV = 2,      /* command line; continuation lines append words */
    KF_EMPTY = 4,     /* an empty value is meaningful */
    KF_INTERP = 8,    /* ${VAR} is expanded in this key's value at start */
};

struct keydef {
    const char *name;
    enum conf_section sec;
    unsigned flags;
    key_fn fn;
};

static void bad(struct pctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(struct pctx *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(&p->c->diags, DIAG_ERROR, p->at, p->keyname, fmt, ap);
    va_end(ap);
}

static void warn(struct pctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct pctx *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(&p->c->diags, DIAG_WARNING, p->at, p->keyname, fmt, ap);
    va_end(ap);
}

static struct arena *A(struct pctx *p)
{
    return &p->c->arena;
}

/* ---------- shared checks ---------- */

/* A DNS label: what service names and hostnames must be, since both end up
 * in /etc/hosts and as the container's hostname. */
static const char *check_label(const char *s, size_t maxlen)
{
    size_t n = strlen(s);
    if (n == 0)
        return "must not be empty";
    if (n > maxlen)
        return "too long";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isupper(ch))
            return "must be lowercase";
        if (!(islower(ch) || isdigit(ch) || ch == '-'))
            return "may contain only a-z, 0-9 and '-'";
    }
    if (s[0] == '-' || s[n - 1] == '-')
        return "must not begin or end with '-'";
    return NULL;
}

static const char *check_hostname(char *s)
{
    if (strlen(s) > 63)
        return "too long (at most 63 characters)";
    if (!*s)
        return "must not be empty";
    for (char *label = s;;) {
        char *dot = strchr(label, '.');
        if (dot)
            *dot = '\0';
        const char *why = check_label(label, 63);
        if (dot)
            *dot = '.';
        if (why)
            return why;
        if (!dot)
            return NULL;
        label = dot + 1;
    }
}

/* Lexically normalise an absolute or relative path: collapse "//", drop
 * "." and resolve ".." against earlier components. Sets *escapes when a
 * ".." would climb above the start. Returns an arena string without a
 * trailing slash ("/" for the root, "." for an empty relative path). */
char *normalize_path(struct arena *a, const char *path, bool *escapes, bool *dotdot)
{
    size_t n = strlen(path);
    char *out = arena_alloc(a, n + 2);
    size_t len = 0;
    bool abs = path[0] == '/';
    *escapes = false;
    if (dotdot)
        *dotdot = false;
    if (abs)
        out[len++] = '/';
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t cl = e ? (size_t)(e - p) : strlen(p);
        if (cl == 1 && p[0] == '.') {
            /* skip */
        } else if (cl == 2 && p[0] == '.' && p[1] == '.') {
            if (dotdot)
                *dotdot = true;
            size_t floor = abs ? 1 : 0;
            if (len <= floor) {
                *escapes = true;
            } else {
                while (len > floor && out[len - 1] != '/')
                    len--;
                if (len > floor)
                    len--; /* the slash */
            }
        } else {
            if (len > 0 && out[len - 1] != '/')
                out[len++] = '/';
            memcpy(out + len, p, cl);
            len += cl;
        }
        p += cl;
    }
    if (len == 0)
        out[len++] = abs ? '/' : '.';
    out[len] = '\0';
    return out;
}

/* Resolve a path written in a conf file: absolute stays, relative is taken
 * against the conf directory. */
static const char *conf_relative(struct pctx *p, const char *v)
{
    if (v[0] == '~') {
        bad(p, "'~' is not expanded; write the absolute path");
        return NULL;
    }
    if (v[0] == '/')
        return arena_strdup(A(p), v);
    return arena_printf(A(p), "%s/%s", p->c->dir, v);
}

static bool check_abs_path(struct pctx *p, const char *v, const char *what)
{
    if (v[0] != '/') {
        bad(p, "%s must be an absolute path", what);
        return false;
    }
    bool esc, dd;
    normalize_path(A(p), v, &esc, &dd);
    if (dd) {
        bad(p, "'..' is not allowed in %s", what);
        return false;
    }
    return true;
}

static void check_interp(struct pctx *p, const char *v)
{
    const char *why;
    if (interp_scan(v, NULL, NULL, &why) < 0)
        bad(p, "%s", why);
}

/* ---------- droplet.conf keys ---------- */

static void k_d_hostname(struct pctx *p, const char *v)
{
    char *h = arena_strdup(A(p), v);
    const char *why = check_hostname(h);
    if (why)
        bad(p, "'%s' is not a valid hostname: %s", v, why);
    p->c->droplet.hostname = h;
}

static void k_d_modules(struct pctx *p, const char *v)
{
    struct droplet_conf *d = &p->c->droplet;
    if (!*v)
        return; /* "modules =" loads nothing */
    for (const char *q = v; *q; q++) {
        if (!(isalnum((unsigned char)*q) || *q == '_' || *q == '-')) {
            bad(p, "'%s' is not a kernel module name", v);
            return;
        }
    }
    for (size_t i = 0; i < d->nmodules; i++)
        if (streq(d->modules[i], v))
            return; /* listing a module twice is harmless */
    size_t cap = d->nmodules + 1; /* modules vector has no cap field: grow exactly */
    char **nv = arena_alloc(A(p), (cap + 1) * sizeof(char *));
    if (d->nmodules)
        memcpy(nv, d->modules, d->nmodules * sizeof(char *));
    nv[d->nmodules++] = arena_strdup(A(p), v);
    d->modules = nv;
}

static void k_d_secrets(struct pctx *p, const char *v)
{
    p->c->droplet.secrets = conf_relative(p, v); /* NULL after an error: nothing to read */
}

static void k_d_proc_hidepid(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_bool(v, &p->c->droplet.proc_hidepid, &why) < 0)
        bad(p, "%s", why);
}

static void k_v_device(struct pctx *p, const char *v)
{
    if (startswith(v, "LABEL=") || startswith(v, "UUID=") || startswith(v, "PARTUUID=") ||
        startswith(v, "PARTLABEL=")) {
        if (!strchr(v, '=')[1])
            bad(p, "'%s' names no label or UUID", v);
    } else if (!startswith(v, "/dev/")) {
        bad(p, "expected a device path under /dev, LABEL=..., UUID=..., PARTUUID=... or PARTLABEL=...");
    }
    p->c->droplet.volume.device = arena_strdup(A(p), v);
}

static void k_v_fstype(struct pctx *p, const char *v)
{
    for (const char *q = v; *q; q++) {
        if (!(islower((unsigned char)*q) || isdigit((unsigned char)*q) || *q == '.' || *q == '_')) {
            bad(p, "'%s' is not a file system type (e.g. ext4, xfs)", v);
            return;
        }
    }
    p->c->droplet.volume.fstype = arena_strdup(A(p), v);
}

static void k_v_mountpoint(struct pctx *p, const char *v)
{
    if (!check_abs_path(p, v, "the mountpoint"))
        return;
    bool esc;
    const char *n = normalize_path(A(p), v, &esc, NULL);
    if (streq(n, "/")) {
        bad(p, "the block volume cannot be mounted on /");
        return;
    }
    p->c->droplet.volume.mountpoint = n;
}

static void k_v_options(struct pctx *p, const char *v)
{
    for (const char *q = v; *q; q++) {
        if (!(isalnum((unsigned char)*q) || strchr(",=_.-", *q))) {
            bad(p, "unexpected character '%c' in mount options", *q);
            return;
        }
    }
    p->c->droplet.volume.options = arena_strdup(A(p), v);
}

static void k_v_timeout(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_duration(v, &p->c->droplet.volume.timeout_ms, &why) < 0)
        bad(p, "%s", why);
}

static void k_n_bridge(struct pctx *p, const char *v)
{
    /* Linux interface names: at most 15 bytes, no '/', ':' or blanks. */
    if (strlen(v) > 15)
        bad(p, "'%s' is too long for an interface name (at most 15 characters)", v);
    else if (streq(v, ".") || streq(v, ".."))
        bad(p, "'%s' is not a valid interface name", v);
    else
        for (const char *q = v; *q; q++)
            if (*q == '/' || *q == ':' || isspace((unsigned char)*q) || !isprint((unsigned char)*q)) {
                bad(p, "'%s' is not a valid interface name", v);
                break;
            }
    p->c->droplet.network.bridge = arena_strdup(A(p), v);
}

static void k_n_subnet(struct pctx *p, const char *v)
{
    const char *why;
    uint32_t net;
    int prefix;
    int r = parse_cidr(v, &net, &prefix, &why);
    p->subnet_bad = true; /* until proven good: the gateway is checked against it */
    if (r == -2) {
        char buf[16];
        format_ipv4(net, buf, sizeof(buf));
        bad(p, "host bits are set; the network is %s/%d", buf, prefix);
        return;
    }
    if (r < 0) {
        bad(p, "%s", why);
        return;
    }
    if (prefix < 8 || prefix > 29) {
        bad(p, "prefix length must be between /8 and /29");
        return;
    }
    p->subnet_bad = false;
    p->c->droplet.network.subnet = net;
    p->c->droplet.network.prefix = prefix;
}

static void k_n_gateway(struct pctx *p, const char *v)
{
    if (parse_ipv4(v, &p->c->droplet.network.gateway) < 0)
        bad(p, "'%s' is not an IPv4 address", v);
}

static void k_n_mtu(struct pctx *p, const char *v)
{
    const char *why;
    long long n;
    if (parse_int_range(v, 576, 65535, &n, &why) < 0)
        bad(p, "%s (576 to 65535)", why);
    else
        p->c->droplet.network.mtu = (unsigned)n;
}

static void k_u_interface(struct pctx *p, const char *v)
{
    /* IFNAMSIZ - 1, and what a link name may hold */
    bool ok = *v && strlen(v) < 16 && !streq(v, ".") && !streq(v, "..");
    for (const char *q = v; ok && *q; q++)
        ok = isgraph((unsigned char)*q) && *q != '/' && *q != ':';
    if (!ok)
        bad(p, "'%s' is not a network interface name (at most 15 characters, no '/', ':' or spaces)", v);
    else
        p->c->droplet.uplink.interface = arena_strdup(A(p), v);
}

static void k_u_address(struct pctx *p, const char *v)
{
    /* ADDRESS/PREFIX, host bits and all: the droplet's own address */
    const char *why;
    uint32_t net;
    int prefix;
    int r = parse_cidr(v, &net, &prefix, &why);
    if (r == -1) {
        bad(p, "%s (the droplet's address with its prefix, e.g. 203.0.113.7/24)", why);
        return;
    }
    if (prefix < 1 || prefix > 32) {
        bad(p, "prefix length must be between /1 and /32");
        return;
    }
    const char *slash = strchr(v, '/');
    char ip[32];
    snprintf(ip, sizeof(ip), "%.*s", (int)(slash - v), v);
    parse_ipv4(ip, &p->c->droplet.uplink.address);
    p->c->droplet.uplink.prefix = prefix;
}

static void k_u_gateway(struct pctx *p, const char *v)
{
    if (parse_ipv4(v, &p->c->droplet.uplink.gateway) < 0)
        bad(p, "'%s' is not an IPv4 address", v);
}

/* [metrics] listen = ADDRESS:PORT. The metrics name every service and
 * say how it is doing: for the droplet's own scraper (or one reached
 * through an SSH tunnel), not for the internet; an address other than
 * loopback is taken as meant, and said. */
static void k_m_listen(struct pctx *p, const char *v)
{
    const char *colon = strrchr(v, ':');
    char ip[32];
    uint32_t addr;
    char *end;
    if (!colon || (size_t)(colon - v) >= sizeof(ip)) {
        bad(p, "'%s' is not ADDRESS:PORT (e.g. 127.0.0.1:9323)", v);
        return;
    }
    snprintf(ip, sizeof(ip), "%.*s", (int)(colon - v), v);
    if (parse_ipv4(ip, &addr) < 0) {
        bad(p, "'%s' is not an IPv4 address (e.g. 127.0.0.1:9323)", ip);
        return;
    }
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || port < 1 || port > 65535 || colon[1] == '-' || colon[1] == '+') {
        bad(p, "'%s' is not a port (1-65535)", colon + 1);
        return;
    }
    p->c->droplet.metrics.addr = addr;
    p->c->droplet.metrics.port = (uint16_t)port;
    if ((addr >> 24) != 127)
        warn(p, "the metrics on %s are served to whatever can reach that address, without authentication; "
                "127.0.0.1 keeps them on the droplet (a scraper elsewhere can use an SSH tunnel)",
             addr ? ip : "every address (0.0.0.0)");
}

static void k_n_dns(struct pctx *p, const char *v)
{
    struct droplet_conf *d = &p->c->droplet;
    uint32_t a;
    if (parse_ipv4(v, &a) < 0) {
        bad(p, "'%s' is not an IPv4 address", v);
        return;
    }
    for (size_t i = 0; i < d->network.ndns; i++)
        if (d->network.dns[i] == a)
            return; /* listing one twice is harmless, as for modules */
    uint32_t *nv = arena_alloc(A(p), (d->network.ndns + 1) * sizeof(uint32_t));
    if (d->network.ndns)
        memcpy(nv, d->network.dns, d->network.ndns * sizeof(uint32_t));
    nv[d->network.ndns++] = a;
    d->network.dns = nv;
}

static void k_l_dir(struct pctx *p, const char *v)
{
    if (!check_abs_path(p, v, "the log directory"))
        return;
    bool esc;
    p->c->droplet.logging.dir = normalize_path(A(p), v, &esc, NULL);
}

static void k_l_max_size(struct pctx *p, const char *v)
{
    const char *why;
    uint64_t b;
    if (parse_size(v, &b, &why) < 0)
        bad(p, "%s", why);
    else if (b < 64 * 1024)
        bad(p, "at least 64K");
    else
        p->c->droplet.logging.max_size = b;
}

static void k_l_max_files(struct pctx *p, const char *v)
{
    const char *why;
    long long n;
    if (parse_int_range(v, 1, 1000, &n, &why) < 0)
        bad(p, "%s (1 to 1000)", why);
    else
        p->c->droplet.logging.max_files = (unsigned)n;
}

/* ---------- service keys ---------- */

static void k_name(struct pctx *p, const char *v)
{
    const char *why = check_label(v, 63);
    if (why) {
        bad(p, "'%s' is not a valid service name: %s", v, why);
        return;
    }
    p->svc->name = arena_strdup(A(p), v);
}

static void k_host(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_bool(v, &p->svc->host, &why) < 0)
        bad(p, "%s", why);
}

static void k_image(struct pctx *p, const char *v)
{
    const char *why = image_ref_check(v);
    if (why)
        bad(p, "'%s' is not a valid image reference: %s", v, why);
    p->svc->image = arena_strdup(A(p), v);
}

static void warn_argv_secrets(struct pctx *p, const struct argv *a, size_t from);

/* entrypoint / command / healthcheck exec: a JSON array or shell words;
 * continuation lines add words (but never to a JSON array, which must be
 * whole on one line). */
static void set_argv(struct pctx *p, const char *v, struct argv *a)
{
    const char *why;
    size_t n;
    if (p->cont && (*v == '[' || p->argv_json)) {
        bad(p, "a JSON array must be written on one line");
        return;
    }
    char **words = parse_argv(A(p), v, p->value_col, &n, &why);
    if (!words) {
        bad(p, "%s", why);
        return;
    }
    if (!p->cont)
        p->argv_json = *v == '[';
    for (size_t i = 0; i < n; i++)
        check_interp(p, words[i]);
    size_t base = p->cont && a->v ? a->n : 0;
    char **all = arena_alloc(A(p), (base + n + 1) * sizeof(char *));
    int *lines = arena_alloc(A(p), (base + n + 1) * sizeof(int));
    if (base) {
        memcpy(all, a->v, base * sizeof(char *));
        memcpy(lines, a->lines, base * sizeof(int));
    }
    for (size_t i = 0; i < n; i++) {
        all[base + i] = words[i];
        lines[base + i] = p->lineno;
    }
    a->v = all;
    a->lines = lines;
    a->n = base + n;
}

static void k_entrypoint(struct pctx *p, const char *v)
{
    size_t before = p->cont ? p->svc->entrypoint.n : 0;
    set_argv(p, v, &p->svc->entrypoint);
    warn_argv_secrets(p, &p->svc->entrypoint, before);
    if (p->svc->entrypoint.n && !*p->svc->entrypoint.v[0])
        bad(p, "the program name is empty");
}

static void k_command(struct pctx *p, const char *v)
{
    size_t before = p->cont ? p->svc->command.n : 0;
    set_argv(p, v, &p->svc->command);
    warn_argv_secrets(p, &p->svc->command, before);
}

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

static void warn_argv_secrets(struct pctx *p, const struct argv *a, size_t from)
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

static void k_environment(struct pctx *p, const char *v)
{
    const char *eq = strchr(v, '=');
    if (!eq) {
        /* Most often a value with spaces that was not quoted: the words
         * after "NAME=first" arrive here on their own. Report the run once,
         * at its first word, with the quoted form that was meant. */
        size_t i = p->word_index;
        size_t j = i;
        while (j > 0 && !strchr(p->words[j - 1], '='))
            j--;
        if (j > 0 && j < i)
            return; /* same run, already reported */
        if (j > 0) {
            const char *head = p->words[j - 1];
            const char *heq = strchr(head, '=');
            char *joined = arena_strdup(A(p), heq + 1);
            for (size_t k = i; k < p->nwords && !strchr(p->words[k], '='); k++)
                joined = arena_printf(A(p), "%s %s", joined, p->words[k]);
            bad(p, "'%s' is not NAME=VALUE; quote a value that contains spaces: %.*s=\"%s\"", v, (int)(heq - head),
                head, joined);
        } else if (interp_name_ok(v, strlen(v))) {
            bad(p, "'%s' is not NAME=VALUE; to take %s from [droplet] secrets write %s=${%s}", v, v, v, v);
        } else {
            bad(p, "'%s' is not NAME=VALUE", v);
        }
        return;
    }
    size_t nl = (size_t)(eq - v);
    if (!nl) {
        bad(p, "missing variable name before '='");
        return;
    }
    if (!env_name_ok(v, nl)) {
        bad(p, "'%.*s' is not a valid variable name (letters, digits, '_', '.' and '-', not starting with a digit)",
            (int)nl, v);
        return;
    }
    struct svc_conf *s = p->svc;
    for (size_t i = 0; i < s->nenv; i++) {
        if (strlen(s->env[i].name) == nl && !strncmp(s->env[i].name, v, nl)) {
            bad(p, "%.*s is set twice (first at line %d)", (int)nl, v, s->env[i].at.line);
            return;
        }
    }
    check_interp(p, eq + 1);
    struct env_var e = {arena_strndup(A(p), v, nl), arena_strdup(A(p), eq + 1), p->at};
    if (conf_env_is_secret(&e))
        warn(p, "%s looks like a secret written into the conf file; put it in [droplet] secrets "
                "and write %s=${%s}",
             e.name, e.name, e.name);
    ARENA_PUSH(A(p), s->env, s->nenv, s->capenv, e);
}

static void k_env_file(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    const char *path = conf_relative(p, v);
    if (!path)
        return;
    for (size_t i = 0; i < s->nenv_files; i++)
        if (streq(s->env_files[i].path, path)) {
            bad(p, "%s is listed twice", v);
            return;
        }
    struct env_file ef = {path, p->at};
    ARENA_PUSH(A(p), s->env_files, s->nenv_files, s->capenv_files, ef);
}

static bool name_chars_ok(const char *s, size_t n)
{
    if (n == 0 || n > 32)
        return false;
    if (!(islower((unsigned char)s[0]) || isupper((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!(isalnum(ch) || ch == '_' || ch == '-' || ch == '.' || (ch == '$' && i == n - 1)))
            return false;
    }
    return true;
}

static bool id_ok(const char *s, size_t n)
{
    if (n == 0 || n > 10)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return strtoull(s, NULL, 10) <= 0xfffffffeULL; /* (uid_t)-1 is "no change" to the kernel */
}

static void k_user(struct pctx *p, const char *v)
{
    const char *colon = strchr(v, ':');
    size_t ul = colon ? (size_t)(colon - v) : strlen(v);
    if (!id_ok(v, ul) && !name_chars_ok(v, ul)) {
        bad(p, "'%.*s' is neither a uid nor a user name", (int)ul, v);
        return;
    }
    if (colon) {
        const char *g = colon + 1;
        if (!id_ok(g, strlen(g)) && !name_chars_ok(g, strlen(g))) {
            bad(p, "'%s' is neither a gid nor a group name", g);
            return;
        }
    }
    p->svc->user = arena_strdup(A(p), v);
}

static void k_working_dir(struct pctx *p, const char *v)
{
    if (!check_abs_path(p, v, "working_dir"))
        return;
    bool esc;
    p->svc->working_dir = normalize_path(A(p), v, &esc, NULL);
}

static void k_hostname(struct pctx *p, const char *v)
{
    char *h = arena_strdup(A(p), v);
    const char *why = check_hostname(h);
    if (why)
        bad(p, "'%s' is not a valid hostname: %s", v, why);
    p->svc->hostname = h;
}

static int parse_port(const char *s, size_t n, uint16_t *port)
{
    if (n == 0 || n > 5)
        return -1;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

static void k_ports(struct pctx *p, const char *v)
{
    struct port_map m = {.proto = IPPROTO_TCP, .at = p->at};
    char *s = arena_strdup(A(p), v);
    char *slash = strchr(s, '/');
    if (slash) {
        *slash = '\0';
        if (!strcasecmp(slash + 1, "udp"))
            m.proto = IPPROTO_UDP;
        else if (strcasecmp(slash + 1, "tcp")) {
            bad(p, "'%s': protocol must be tcp or udp", v);
            return;
        }
    }
    if (s[0] == '[') {
        bad(p, "'%s': IPv6 host addresses are not supported", v);
        return;
    }
    char *parts[4];
    int np = 0;
    for (char *q = s; np < 4;) {
        parts[np++] = q;
        char *c = strchr(q, ':');
        if (!c)
            break;
        *c = '\0';
        q = c + 1;
    }
    if (np == 1) {
        bad(p, "'%s': expected [HOSTIP:]HOST:CONTAINER (a random host port is not supported)", v);
        return;
    }
    if (np > 3) {
        bad(p, "'%s': expected [HOSTIP:]HOST:CONTAINER[/tcp|/udp]", v);
        return;
    }
    const char *hp = parts[np - 2], *cp = parts[np - 1];
    if (np == 3) {
        if (parse_ipv4(parts[0], &m.host_ip) < 0) {
            bad(p, "'%s': '%s' is not an IPv4 address", v, parts[0]);
            return;
        }
    }
    if (strchr(hp, '-') || strchr(cp, '-')) {
        bad(p, "'%s': port ranges are not supported; list each port", v);
        return;
    }
    if (parse_port(hp, strlen(hp), &m.host_port) < 0) {
        bad(p, "'%s': host port '%s' must be 1 to 65535", v, hp);
        return;
    }
    if (parse_port(cp, strlen(cp), &m.ctr_port) < 0) {
        bad(p, "'%s': container port '%s' must be 1 to 65535", v, cp);
        return;
    }
    struct svc_conf *svc = p->svc;
    for (size_t i = 0; i < svc->nports; i++) {
        struct port_map *o = &svc->ports[i];
        if (o->host_port == m.host_port && o->proto == m.proto &&
            (o->host_ip == m.host_ip || !o->host_ip || !m.host_ip)) {
            bad(p, "'%s': host port %u/%s is already published at line %d", v, m.host_port,
                m.proto == IPPROTO_UDP ? "udp" : "tcp", o->at.line);
            return;
        }
    }
    ARENA_PUSH(A(p), svc->ports, svc->nports, svc->capports, m);
}

static void k_volumes(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    char *buf = arena_strdup(A(p), v);
    char *c1 = strchr(buf, ':');
    if (!c1) {
        bad(p, "'%s': expected SRC:DST[:ro]", v);
        return;
    }
    *c1 = '\0';
    char *dst = c1 + 1;
    char *c2 = strchr(dst, ':');
    bool ro = false;
    if (c2) {
        *c2 = '\0';
        for (char *opt = c2 + 1; opt;) {
            char *comma = strchr(opt, ',');
            if (comma)
                *comma = '\0';
            if (streq(opt, "ro"))
                ro = true;
            else if (streq(opt, "rw"))
                ro = false;
            else {
                bad(p, "'%s': unknown option '%s' (ro or rw)", v, opt);
                return;
            }
            opt = comma ? comma + 1 : NULL;
        }
    }
    if (!*buf) {
        bad(p, "'%s': empty source path", v);
        return;
    }
    if (buf[0] == '~') {
        bad(p, "'%s': '~' is not expanded; write the absolute path, or a path relative to the block volume (%s)",
            v, p->c->droplet.volume.mountpoint);
        return;
    }
    if (!*dst || dst[0] != '/') {
        bad(p, "'%s': the container path must be absolute", v);
        return;
    }
    bool esc, dd;
    const char *ndst = normalize_path(A(p), dst, &esc, &dd);
    if (dd) {
        bad(p, "'%s': '..' is not allowed in the container path", v);
        return;
    }
    if (streq(ndst, "/")) {
        bad(p, "'%s': cannot mount over the container's root", v);
        return;
    }
    const char *host;
    if (buf[0] == '/') {
        host = normalize_path(A(p), buf, &esc, &dd);
        if (dd) {
            bad(p, "'%s': '..' is not allowed in an absolute source path", v);
            return;
        }
    } else {
        const char *rel = normalize_path(A(p), buf, &esc, &dd);
        const char *base = p->c->droplet.volume.mountpoint;
        if (esc) {
            bad(p, "'%s': source escapes the block volume (%s)", v, base);
            return;
        }
        if (streq(rel, IMGVOL_DIR) || startswith(rel, IMGVOL_DIR "/")) {
            bad(p, "'%s': %s/%s holds the volumes that images declare (VOLUME), one per service and path; choose "
                   "another name",
                v, base, IMGVOL_DIR);
            return;
        }
        host = streq(rel, ".") ? base : arena_printf(A(p), "%s/%s", base, rel);
    }
    for (size_t i = 0; i < s->nvolumes; i++) {
        if (streq(s->volumes[i].dst, ndst)) {
            bad(p, "'%s': %s is already mounted at line %d", v, ndst, s->volumes[i].at.line);
            return;
        }
    }
    struct volume vol = {arena_strdup(A(p), buf), host, ndst, ro, p->at};
    ARENA_PUSH(A(p), s->volumes, s->nvolumes, s->capvolumes, vol);
}

static void k_tmpfs(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    char *buf = arena_strdup(A(p), v);
    char *colon = strchr(buf, ':');
    if (colon)
        *colon = '\0';
    if (buf[0] != '/') {
        bad(p, "'%s': the path must be absolute", v);
        return;
    }
    bool esc, dd;
    const char *path = normalize_path(A(p), buf, &esc, &dd);
    if (dd || streq(path, "/")) {
        bad(p, "'%s': %s", v, dd ? "'..' is not allowed" : "cannot mount over the container's root");
        return;
    }
    /* docker's defaults for --tmpfs: nosuid, nodev, noexec */
    unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    char data[256] = "";
    size_t dl = 0;
    for (char *opt = colon ? colon + 1 : NULL; opt && *opt;) {
        char *comma = strchr(opt, ',');
        if (comma)
            *comma = '\0';
        char *eq = strchr(opt, '=');
        const char *why = NULL;
        static const struct {
            const char *name;
            unsigned long set, clear;
        } fl[] = {
            {"noexec", MS_NOEXEC, 0}, {"exec", 0, MS_NOEXEC}, {"nosuid", MS_NOSUID, 0},
            {"suid", 0, MS_NOSUID},   {"nodev", MS_NODEV, 0}, {"dev", 0, MS_NODEV},
            {"ro", MS_RDONLY, 0},     {"rw", 0, MS_RDONLY},
        };
        bool known = false;
        for (size_t i = 0; !eq && i < ARRAY_SIZE(fl); i++) {
            if (streq(opt, fl[i].name)) {
                flags = (flags | fl[i].set) & ~fl[i].clear;
                known = true;
            }
        }
        if (!known && eq) {
            *eq = '\0';
            const char *val = eq + 1;
            if (streq(opt, "size")) {
                uint64_t b;
                size_t vl = strlen(val);
                if (vl > 1 && val[vl - 1] == '%') {
                    long long pct;
                    char tmp[8];
                    snprintf(tmp, sizeof(tmp), "%.*s", (int)(vl - 1), val);
                    if (vl > 5 || parse_int_range(tmp, 1, 100, &pct, &why) < 0)
                        why = "size percentage must be 1% to 100%";
                } else if (parse_size(val, &b, &why) == 0) {
                    if (b < 4096)
                        why = "size must be at least 4K";
                    /* The kernel reads only N[kKmMgG]; store what it reads,
                     * so "64MB" or "1.5G" mount as the check promised. */
                    val = format_size(A(p), b);
                }
                known = true;
            } else if (streq(opt, "mode")) {
                char *end;
                unsigned long m = strtoul(val, &end, 8);
                if (!*val || *end || m > 07777)
                    why = "mode must be octal, e.g. 1777";
                known = true;
            } else if (streq(opt, "uid") || streq(opt, "gid")) {
                if (!id_ok(val, strlen(val)))
                    why = "uid and gid must be numbers";
                known = true;
            } else if (streq(opt, "nr_inodes")) {
                long long n;
                if (parse_int_range(val, 1, 1LL << 40, &n, &why) < 0)
                    why = "nr_inodes must be a positive number";
                known = true;
            }
            if (known && !why) {
                int w = snprintf(data + dl, sizeof(data) - dl, "%s%s=%s", dl ? "," : "", opt, val);
                if (w < 0 || (size_t)w >= sizeof(data) - dl)
                    why = "options too long";
                else
                    dl += (size_t)w;
            }
            *eq = '=';
        }
        if (!known) {
            bad(p, "'%s': unknown tmpfs option '%s' (size, mode, uid, gid, nr_inodes, exec, suid, dev, ro)",
                v, opt);
            return;
        }
        if (why) {
            bad(p, "'%s': %s", v, why);
            return;
        }
        opt = comma ? comma + 1 : NULL;
    }
    for (size_t i = 0; i < s->ntmpfs; i++) {
        if (streq(s->tmpfs[i].path, path)) {
            bad(p, "'%s': %s is already a tmpfs at line %d", v, path, s->tmpfs[i].at.line);
            return;
        }
    }
    struct tmpfs_mount t = {path, arena_strdup(A(p), data), flags, p->at};
    ARENA_PUSH(A(p), s->tmpfs, s->ntmpfs, s->captmpfs, t);
}

/* HOST[:CONTAINER][:PERMISSIONS]. Whether HOST is a device matters on
 * the machine that runs the service, which the start checks; here only
 * a warning. */
static void k_devices(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    struct device_spec d;
    const char *why;
    if (parse_device(A(p), v, &d, &why) < 0) {
        bad(p, "'%s': %s", v, why);
        return;
    }
    for (size_t i = 0; i < s->ndevices; i++) {
        if (streq(s->devices[i].ctr, d.ctr)) {
            bad(p, "'%s': %s is already a device at line %d", v, d.ctr, s->devices[i].at.line);
            return;
        }
    }
    struct stat st;
    if (stat(d.host, &st) < 0)
        warn(p, "'%s': %s %s on this machine; the service cannot start where it is missing", v, d.host,
             errno == ENOENT ? "does not exist" : strerror(errno));
    else if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
        warn(p, "'%s': %s is not a character or block device on this machine; the service cannot start with it",
             v, d.host);
    struct device_map m = {d.host, d.ctr, d.access, p->at};
    ARENA_PUSH(A(p), s->devices, s->ndevices, s->capdevices, m);
}

static void k_read_only(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_bool(v, &p->svc->read_only, &why) < 0)
        bad(p, "%s", why);
}

static void k_init(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_bool(v, &p->svc->init, &why) < 0)
        bad(p, "%s", why);
}

static void caps(struct pctx *p, const char *v, uint64_t *mask, bool *all)
{
    if (!strcasecmp(v, "ALL")) {
        *all = true;
        return;
    }
    int cap;
    const char *why;
    if (parse_capability(v, &cap, &why) < 0) {
        bad(p, "'%s': %s", v, why);
        return;
    }
    *mask |= 1ULL << cap;
}

static void k_cap_add(struct pctx *p, const char *v)
{
    caps(p, v, &p->svc->cap_add, &p->svc->cap_add_all);
}

static void k_cap_drop(struct pctx *p, const char *v)
{
    caps(p, v, &p->svc->cap_drop, &p->svc->cap_drop_all);
}

static void k_seccomp(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    if (streq(v, "default")) {
        s->seccomp = SECCOMP_DEFAULT;
        return;
    }
    if (streq(v, "unconfined")) {
        s->seccomp = SECCOMP_UNCONFINED;
        return;
    }
    s->seccomp = SECCOMP_PROFILE;
    s->seccomp_profile = conf_relative(p, v);
    if (!s->seccomp_profile)
        return;
    /* Read it now so a typo in the path or the JSON shows up in
     * `config check`, not when the service is started. */
    size_t len;
    int e;
    char *text = read_small_file(A(p), s->seccomp_profile, CONF_MAX_FILE_SIZE, &len, NULL, &e);
    if (!text) {
        bad(p, "%s: %s", s->seccomp_profile, read_small_file_error(e));
        return;
    }
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        bad(p, "%s:%d: %s", s->seccomp_profile, jerr.line, jerr.text);
        return;
    }
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "defaultAction")))
        bad(p, "%s: not a seccomp profile (no \"defaultAction\")", s->seccomp_profile);
    json_decref(j);
}

static void k_network(struct pctx *p, const char *v)
{
    static const char *const modes[] = {"bridge", "none", "host"};
    for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
        if (streq(v, modes[i])) {
            p->svc->network = (enum net_mode)i;
            return;
        }
    }
    bad(p, "'%s': expected bridge, none or host", v);
}

static void k_ipv4(struct pctx *p, const char *v)
{
    /* inside the subnet, and no other service's: the plan checks, once
     * droplet.conf and every service are read */
    if (parse_ipv4(v, &p->svc->ipv4) < 0 || !p->svc->ipv4)
        bad(p, "'%s' is not an IPv4 address", v);
}

static void k_depends_on(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    if (endswith(v, ",")) { /* compose habits: depends_on: [a, b] */
        bad(p, "'%s': separate the entries with spaces, not commas (depends_on = a:healthy b)", v);
        return;
    }
    const char *colon = strchr(v, ':');
    size_t nl = colon ? (size_t)(colon - v) : strlen(v);
    struct dep d = {arena_strndup(A(p), v, nl), DEP_STARTED, p->at};
    if (colon) {
        const char *c = colon + 1;
        if (streq(c, "started") || streq(c, "service_started"))
            d.cond = DEP_STARTED;
        else if (streq(c, "healthy") || streq(c, "service_healthy"))
            d.cond = DEP_HEALTHY;
        else if (streq(c, "completed") || streq(c, "service_completed_successfully"))
            d.cond = DEP_COMPLETED;
        else {
            bad(p, "'%s': condition must be started, healthy or completed", v);
            return;
        }
    }
    const char *why = check_label(d.name, 63);
    if (why) {
        bad(p, "'%s': '%s' is not a valid service name: %s", v, d.name, why);
        return;
    }
    for (size_t i = 0; i < s->ndeps; i++) {
        if (streq(s->deps[i].name, d.name)) {
            bad(p, "'%s': %s is already a dependency at line %d", v, d.name, s->deps[i].at.line);
            return;
        }
    }
    ARENA_PUSH(A(p), s->deps, s->ndeps, s->capdeps, d);
}

static void k_restart(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    if (streq(v, "no"))
        s->restart = RESTART_NO;
    else if (streq(v, "always"))
        s->restart = RESTART_ALWAYS;
    else if (streq(v, "unless-stopped"))
        s->restart = RESTART_UNLESS_STOPPED;
    else if (streq(v, "on-failure"))
        s->restart = RESTART_ON_FAILURE, s->restart_max = 0;
    else if (startswith(v, "on-failure:")) {
        long long n;
        const char *why;
        if (parse_int_range(v + 11, 0, 1000000, &n, &why) < 0) {
            bad(p, "'%s': the retry count must be a number, e.g. on-failure:5", v);
            return;
        }
        s->restart = RESTART_ON_FAILURE;
        s->restart_max = (unsigned)n;
    } else
        bad(p, "'%s': expected no, always, on-failure[:N] or unless-stopped", v);
}

static void k_stop_signal(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_signal(v, &p->svc->stop_signal, &why) < 0)
        bad(p, "'%s': %s", v, why);
}

static void k_restart_backoff(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_duration(v, &p->svc->restart_backoff_ms, &why) < 0)
        bad(p, "%s", why);
    else if (p->svc->restart_backoff_ms < 10 || p->svc->restart_backoff_ms > 3600000)
        bad(p, "must be from 10ms to 1h");
}

static void k_restart_backoff_max(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_duration(v, &p->svc->restart_backoff_max_ms, &why) < 0)
        bad(p, "%s", why);
    else if (p->svc->restart_backoff_max_ms < 10 || p->svc->restart_backoff_max_ms > 86400000)
        bad(p, "must be from 10ms to 24h");
}

static void k_restart_dependents(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_bool(v, &p->svc->restart_dependents, &why) < 0)
        bad(p, "%s", why);
}

static void k_stop_timeout(struct pctx *p, const char *v)
{
    const char *why;
    if (parse_duration(v, &p->svc->stop_timeout_ms, &why) < 0)
        bad(p, "%s", why);
}

static void k_kill_mode(struct pctx *p, const char *v)
{
    /* systemd's words, which administrators know from sshd's unit */
    if (streq(v, "process"))
        p->svc->kill_process = true;
    else if (streq(v, "control-group"))
        p->svc->kill_process = false;
    else
        bad(p, "'%s': expected control-group (every process of the service) or process (its main process only)", v);
}

static void k_memory_max(struct pctx *p, const char *v)
{
    if (streq(v, "max")) {
        p->svc->memory_max = 0;
        return;
    }
    const char *why;
    uint64_t b;
    if (parse_size(v, &b, &why) < 0)
        bad(p, "%s", why);
    else if (b < 6 * 1024 * 1024)
        bad(p, "at least 6M (a smaller limit cannot start a process), or max for no limit");
    else
        p->svc->memory_max = b;
}

static void k_cpus(struct pctx *p, const char *v)
{
    if (streq(v, "max")) {
        p->svc->cpus_milli = 0;
        return;
    }
    const char *why;
    uint64_t m;
    if (parse_decimal_milli(v, &m, &why) < 0)
        bad(p, "%s", why);
    else if (m < 10 || m > 1024 * 1000)
        bad(p, "must be between 0.01 and 1024, or max for no limit");
    else
        p->svc->cpus_milli = m;
}

static void k_pids_max(struct pctx *p, const char *v)
{
    if (streq(v, "max")) {
        p->svc->pids_max = 0;
        return;
    }
    const char *why;
    long long n;
    if (parse_int_range(v, 1, 4194304, &n, &why) < 0)
        bad(p, "%s (1 to 4194304, or max)", why);
    else
        p->svc->pids_max = (uint64_t)n;
}

static void k_io_weight(struct pctx *p, const char *v)
{
    const char *why;
    long long n;
    if (parse_int_range(v, 1, 10000, &n, &why) < 0)
        bad(p, "%s (1 to 10000; the default is 100)", why);
    else
        p->svc->io_weight = (unsigned)n;
}

static int rlim_value(const char *s, uint64_t *out)
{
    if (streq(s, "unlimited") || streq(s, "infinity") || streq(s, "-1")) {
        *out = UNLIMITED;
        return 0;
    }
    long long n;
    const char *why;
    if (parse_int_range(s, 0, INT64_MAX, &n, &why) < 0)
        return -1;
    *out = (uint64_t)n;
    return 0;
}

static void k_ulimits(struct pctx *p, const char *v)
{
    struct svc_conf *s = p->svc;
    const char *eq = strchr(v, '=');
    if (!eq) {
        bad(p, "'%s': expected NAME=SOFT[:HARD], e.g. nofile=65536:65536", v);
        return;
    }
    char *name = arena_strndup(A(p), v, (size_t)(eq - v));
    int res = ulimit_resource(name);
    if (res < 0) {
        const char *dym = did_you_mean(name, ulimit_names, ulimit_count);
        if (dym)
            bad(p, "'%s': unknown limit '%s' (did you mean '%s'?)", v, name, dym);
        else
            bad(p, "'%s': unknown limit '%s'", v, name);
        return;
    }
    char *vals = arena_strdup(A(p), eq + 1);
    char *colon = strchr(vals, ':');
    if (colon)
        *colon = '\0';
    struct ulimit u = {res, 0, 0, p->at};
    if (rlim_value(vals, &u.soft) < 0 || (colon && rlim_value(colon + 1, &u.hard) < 0)) {
        bad(p, "'%s': limits must be numbers or unlimited", v);
        return;
    }
    if (!colon)
        u.hard = u.soft;
    if (u.soft > u.hard) {
        bad(p, "'%s': the soft limit is above the hard limit", v);
        return;
    }
    for (size_t i = 0; i < s->nulimits; i++) {
        if (s->ulimits[i].resource == res) {
            bad(p, "'%s': %s is already limited at line %d", v, name, s->ulimits[i].at.line);
            return;
        }
    }
    ARENA_PUSH(A(p), s->ulimits, s->nulimits, s->capulimits, u);
}

/* ---------- [healthcheck] ---------- */

static int hc_host(struct pctx *p, const char *host, size_t n)
{
    struct healthcheck *h = &p->svc->hc;
    char *hs = arena_strndup(A(p), host, n);
    if (streq(hs, "localhost")) {
        h->addr = 0x7f000001;
    } else if (parse_ipv4(hs, &h->addr) < 0) {
        bad(p, "'%s': use localhost or an IPv4 address (the check runs in the service's network "
               "namespace, without DNS)",
            hs);
        return -1;
    }
    h->host = hs;
    return 0;
}

static void hc_kind(struct pctx *p, enum hc_kind k)
{
    struct healthcheck *h = &p->svc->hc;
    static const char *const names[] = {"", "http", "tcp", "exec"};
    if (h->kind != HC_NONE && h->kind != k)
        bad(p, "only one of http, tcp and exec may be set (%s is already set)", names[h->kind]);
    h->kind = k;
}

static void k_hc_http(struct pctx *p, const char *v)
{
    struct healthcheck *h = &p->svc->hc;
    hc_kind(p, HC_HTTP);
    if (startswith(v, "https://")) {
        bad(p, "https is not supported; check the service's plain http port");
        return;
    }
    if (!startswith(v, "http://")) {
        bad(p, "'%s': expected a URL such as http://localhost:3001/health", v);
        return;
    }
    const char *host = v + 7;
    size_t hl = strcspn(host, ":/?#");
    if (memchr(host, '@', strcspn(host, "/"))) {
        bad(p, "'%s': credentials in the URL are not supported", v);
        return;
    }
    if (hl == 0) {
        bad(p, "'%s': missing host", v);
        return;
    }
    if (hc_host(p, host, hl) < 0)
        return;
    const char *rest = host + hl;
    h->port = 80;
    if (*rest == ':') {
        size_t pl = strcspn(rest + 1, "/?#");
        if (parse_port(rest + 1, pl, &h->port) < 0) {
            bad(p, "'%s': port must be 1 to 65535", v);
            return;
        }
        rest += 1 + pl;
    }
    if (*rest == '#')
        rest = "";
    if (!*rest)
        h->path = "/";
    else if (*rest == '?')
        h->path = arena_printf(A(p), "/%s", rest);
    else
        h->path = arena_strndup(A(p), rest, strcspn(rest, "#"));
    for (const char *q = h->path; *q; q++)
        if ((unsigned char)*q <= ' ' || *q == 0x7f) {
            bad(p, "'%s': spaces and control characters must be %%-encoded", v);
            return;
        }
    h->url = arena_strdup(A(p), v);
}

static void k_hc_tcp(struct pctx *p, const char *v)
{
    struct healthcheck *h = &p->svc->hc;
    hc_kind(p, HC_TCP);
    const char *colon = strrchr(v, ':');
    const char *port = colon ? colon + 1 : v;
    if (colon) {
        if (hc_host(p, v, (size_t)(colon - v)) < 0)
            return;
    } else {
        h->host = "localhost";
        h->addr = 0x7f000001;
    }
    if (parse_port(port, strlen(port), &h->port) < 0)
        bad(p, "'%s': expected PORT or HOST:PORT, port 1 to 65535", v);
}

static void k_hc_exec(struct pctx *p, const char *v)
{
    struct argv *a = &p->svc->hc.exec;
    hc_kind(p, HC_EXEC);
    size_t before = p->cont ? a->n : 0;
    set_argv(p, v, a);
    warn_argv_secrets(p, a, before);
    if (a->n == 0 && !p->cont) {
        bad(p, "empty command");
        return;
    }
    if (before != 0 || a->n == 0)
        return;
    if (!*a->v[0]) {
        bad(p, "the program name is empty");
    } else if (streq(a->v[0], "CMD-SHELL") && a->n == 2) {
        /* docker's test: ["CMD-SHELL", "..."] pasted in would run a
         * program called CMD-SHELL. */
        bad(p, "'CMD-SHELL' is docker compose's test syntax, not a program; write exec = sh -c '%s'", a->v[1]);
    } else if (streq(a->v[0], "CMD") || streq(a->v[0], "CMD-SHELL") || streq(a->v[0], "NONE")) {
        char *rest = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&rest, &len);
        if (f) {
            print_json_string_array(f, a->v + 1, a->n - 1);
            fclose(f);
        }
        bad(p, "'%s' is docker compose's test syntax, not a program; write exec = %s", a->v[0], rest ? rest : "[...]");
        free(rest);
    }
}

static void hc_duration(struct pctx *p, const char *v, uint64_t *out, uint64_t min)
{
    const char *why;
    uint64_t ms;
    if (parse_duration(v, &ms, &why) < 0)
        bad(p, "%s", why);
    else if (ms < min)
        bad(p, "must be at least %llums", (unsigned long long)min);
    else
        *out = ms;
}

static void k_hc_interval(struct pctx *p, const char *v)
{
    hc_duration(p, v, &p->svc->hc.interval_ms, 100);
}

static void k_hc_timeout(struct pctx *p, const char *v)
{
    hc_duration(p, v, &p->svc->hc.timeout_ms, 10);
}

static void k_hc_start_period(struct pctx *p, const char *v)
{
    hc_duration(p, v, &p->svc->hc.start_period_ms, 0);
}

static void k_hc_start_interval(struct pctx *p, const char *v)
{
    hc_duration(p, v, &p->svc->hc.start_interval_ms, 100); /* interval's floor: a probe is work for PID 1 */
}

static void k_hc_retries(struct pctx *p, const char *v)
{
    long long n;
    const char *why;
    if (parse_int_range(v, 1, 1000, &n, &why) < 0)
        bad(p, "%s (1 to 1000)", why);
    else
        p->svc->hc.retries = (unsigned)n;
}

/* ---------- the table ---------- */

static const struct keydef keys[K_COUNT] = {
    [K_D_HOSTNAME] = {"hostname", SEC_DROPLET, 0, k_d_hostname},
    [K_D_MODULES] = {"modules", SEC_DROPLET, KF_LIST | KF_EMPTY, k_d_modules},
    [K_D_SECRETS] = {"secrets", SEC_DROPLET, 0, k_d_secrets},
    [K_D_PROC_HIDEPID] = {"proc_hidepid", SEC_DROPLET, 0, k_d_proc_hidepid},
    [K_V_DEVICE] = {"device", SEC_VOLUME, 0, k_v_device},
    [K_V_FSTYPE] = {"fstype", SEC_VOLUME, 0, k_v_fstype},
    [K_V_MOUNTPOINT] = {"mountpoint", SEC_VOLUME, 0, k_v_mountpoint},
    [K_V_OPTIONS] = {"options", SEC_VOLUME, 0, k_v_options},
    [K_V_TIMEOUT] = {"timeout", SEC_VOLUME, 0, k_v_timeout},
    [K_N_BRIDGE] = {"bridge", SEC_NETWORK, 0, k_n_bridge},
    [K_N_SUBNET] = {"subnet", SEC_NETWORK, 0, k_n_subnet},
    [K_N_GATEWAY] = {"gateway", SEC_NETWORK, 0, k_n_gateway},
    [K_N_MTU] = {"mtu", SEC_NETWORK, 0, k_n_mtu},
    [K_N_DNS] = {"dns", SEC_NETWORK, KF_LIST, k_n_dns},
    [K_L_DIR] = {"dir", SEC_LOGGING, 0, k_l_dir},
    [K_L_MAX_SIZE] = {"max_size", SEC_LOGGING, 0, k_l_max_size},
    [K_L_MAX_FILES] = {"max_files", SEC_LOGGING, 0, k_l_max_files},
    [K_U_INTERFACE] = {"interface", SEC_UPLINK, 0, k_u_interface},
    [K_U_ADDRESS] = {"address", SEC_UPLINK, 0, k_u_address},
    [K_U_GATEWAY] = {"gateway", SEC_UPLINK, 0, k_u_gateway},
    [K_M_LISTEN] = {"listen", SEC_METRICS, 0, k_m_listen},

    [K_NAME] = {"name", SEC_SERVICE, 0, k_name},
    [K_HOST] = {"host", SEC_SERVICE, 0, k_host},
    [K_IMAGE] = {"image", SEC_SERVICE, 0, k_image},
    [K_ENTRYPOINT] = {"entrypoint", SEC_SERVICE, KF_ARGV | KF_EMPTY | KF_INTERP, k_entrypoint},
    [K_COMMAND] = {"command", SEC_SERVICE, KF_ARGV | KF_EMPTY | KF_INTERP, k_command},
    [K_ENVIRONMENT] = {"environment", SEC_SERVICE, KF_LIST | KF_INTERP, k_environment},
    [K_ENV_FILE] = {"env_file", SEC_SERVICE, KF_LIST, k_env_file},
    [K_USER] = {"user", SEC_SERVICE, 0, k_user},
    [K_WORKING_DIR] = {"working_dir", SEC_SERVICE, 0, k_working_dir},
    [K_HOSTNAME] = {"hostname", SEC_SERVICE, 0, k_hostname},
    [K_PORTS] = {"ports", SEC_SERVICE, KF_LIST, k_ports},
    [K_VOLUMES] = {"volumes", SEC_SERVICE, KF_LIST, k_volumes},
    [K_TMPFS] = {"tmpfs", SEC_SERVICE, KF_LIST, k_tmpfs},
    [K_DEVICES] = {"devices", SEC_SERVICE, KF_LIST, k_devices},
    [K_READ_ONLY] = {"read_only", SEC_SERVICE, 0, k_read_only},
    [K_INIT] = {"init", SEC_SERVICE, 0, k_init},
    [K_CAP_ADD] = {"cap_add", SEC_SERVICE, KF_LIST, k_cap_add},
    [K_CAP_DROP] = {"cap_drop", SEC_SERVICE, KF_LIST, k_cap_drop},
    [K_SECCOMP] = {"seccomp", SEC_SERVICE, 0, k_seccomp},
    [K_NETWORK] = {"network", SEC_SERVICE, 0, k_network},
    [K_IPV4] = {"ipv4", SEC_SERVICE, 0, k_ipv4},
    [K_DEPENDS_ON] = {"depends_on", SEC_SERVICE, KF_LIST, k_depends_on},
    [K_RESTART] = {"restart", SEC_SERVICE, 0, k_restart},
    [K_STOP_SIGNAL] = {"stop_signal", SEC_SERVICE, 0, k_stop_signal},
    [K_RESTART_BACKOFF] = {"restart_backoff", SEC_SERVICE, 0, k_restart_backoff},
    [K_RESTART_BACKOFF_MAX] = {"restart_backoff_max", SEC_SERVICE, 0, k_restart_backoff_max},
    [K_RESTART_DEPENDENTS] = {"restart_dependents", SEC_SERVICE, 0, k_restart_dependents},
    [K_STOP_TIMEOUT] = {"stop_timeout", SEC_SERVICE, 0, k_stop_timeout},
    [K_KILL_MODE] = {"kill_mode", SEC_SERVICE, 0, k_kill_mode},
    [K_MEMORY_MAX] = {"memory_max", SEC_SERVICE, 0, k_memory_max},
    [K_CPUS] = {"cpus", SEC_SERVICE, 0, k_cpus},
    [K_PIDS_MAX] = {"pids_max", SEC_SERVICE, 0, k_pids_max},
    [K_IO_WEIGHT] = {"io_weight", SEC_SERVICE, 0, k_io_weight},
    [K_ULIMITS] = {"ulimits", SEC_SERVICE, KF_LIST, k_ulimits},

    [K_HC_HTTP] = {"http", SEC_HEALTHCHECK, 0, k_hc_http},
    [K_HC_TCP] = {"tcp", SEC_HEALTHCHECK, 0, k_hc_tcp},
    [K_HC_EXEC] = {"exec", SEC_HEALTHCHECK, KF_ARGV | KF_INTERP, k_hc_exec},
    [K_HC_INTERVAL] = {"interval", SEC_HEALTHCHECK, 0, k_hc_interval},
    [K_HC_TIMEOUT] = {"timeout", SEC_HEALTHCHECK, 0, k_hc_timeout},
    [K_HC_RETRIES] = {"retries", SEC_HEALTHCHECK, 0, k_hc_retries},
    [K_HC_START_PERIOD] = {"start_period", SEC_HEALTHCHECK, 0, k_hc_start_period},
    [K_HC_START_INTERVAL] = {"start_interval", SEC_HEALTHCHECK, 0, k_hc_start_interval},
};

static const char *const section_names[SEC_COUNT] = {
    [SEC_NONE] = "", [SEC_DROPLET] = "droplet", [SEC_VOLUME] = "volume",
    [SEC_NETWORK] = "network", [SEC_LOGGING] = "logging", [SEC_UPLINK] = "uplink", [SEC_METRICS] = "metrics",
    [SEC_SERVICE] = "service",
    [SEC_HEALTHCHECK] = "healthcheck",
};

/* What docker compose users type, and where it lives here. */
static const struct {
    const char *name, *hint;
} compose_hints[] = {
    {"container_name", "the service is named after its file; set name = to rename it"},
    {"mem_limit", "use memory_max"},
    {"memory", "use memory_max"},
    {"pids_limit", "use pids_max"},
    {"cpu_count", "use cpus"},
    {"env", "use environment"},
    {"expose", "not needed: services on the bridge reach every port of each other"},
    {"links", "not needed: every service name resolves on the bridge"},
    {"networks", "use network = bridge, none or host"},
    {"network_mode", "use network = bridge, none or host"},
    {"security_opt", "use seccomp = default, unconfined or a profile path"},
    {"healthcheck", "write the check in a [healthcheck] section"},
    {"test", "use http = URL, tcp = PORT or exec = CMD"},
    {"restart_policy", "use restart"},
    {"deploy", "use memory_max, cpus and pids_max"},
    {"build", "images are built elsewhere and imported with rtctl image import"},
    {"container", "use name"},
    {"stop_grace_period", "use stop_timeout"},
    {"privileged", "not supported: add only the capabilities the service needs with cap_add, and the devices "
                   "it needs with devices"},
    {"secrets", "use env_file, or ${VAR} with [droplet] secrets in droplet.conf"},
    {"dns", "set dns in the [network] section of droplet.conf"},
    {"logging", "logs are set for all services in the [logging] section of droplet.conf"},
    {"labels", "not supported"},
    {"volumes_from", "not supported: list the volumes"},
};

const char *conf_key_name(enum conf_key k)
{
    return keys[k].name;
}

enum conf_section conf_key_section(enum conf_key k)
{
    return keys[k].sec;
}

const char *conf_section_name(enum conf_section s)
{
    return section_names[s];
}

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

static bool section_in_file(struct pctx *p, enum conf_section s)
{
    if (p->droplet)
        return s == SEC_DROPLET || s == SEC_VOLUME || s == SEC_NETWORK || s == SEC_LOGGING || s == SEC_UPLINK ||
               s == SEC_METRICS;
    return s == SEC_SERVICE || s == SEC_HEALTHCHECK;
}

static int find_key(enum conf_section sec, const char *name)
{
    for (int k = 0; k < K_COUNT; k++)
        if (keys[k].sec == sec && streq(keys[k].name, name))
            return k;
    return -1;
}

static void unknown_key(struct pctx *p, const char *name)
{
    /* 1. a key of another section of this file */
    for (int k = 0; k < K_COUNT; k++) {
        if (keys[k].sec != p->sec && section_in_file(p, keys[k].sec) && streq(keys[k].name, name)) {
            bad(p, "unknown key in [%s]; it belongs in [%s]", section_names[p->sec],
                section_names[keys[k].sec]);
            return;
        }
    }
    /* 2. a typo of a key of this section */
    const char *cands[K_COUNT];
    size_t n = 0;
    for (int k = 0; k < K_COUNT; k++)
        if (keys[k].sec == p->sec)
            cands[n++] = keys[k].name;
    const char *dym = did_you_mean(name, cands, n);
    if (dym) {
        bad(p, "unknown key in [%s] (did you mean '%s'?)", section_names[p->sec], dym);
        return;
    }
    /* 3. a docker compose name */
    if (!p->droplet) {
        for (size_t i = 0; i < ARRAY_SIZE(compose_hints); i++) {
            if (streq(compose_hints[i].name, name)) {
                bad(p, "unknown key in [%s]: %s", section_names[p->sec], compose_hints[i].hint);
                return;
            }
        }
    }
    bad(p, "unknown key in [%s]", section_names[p->sec]);
}

/* inih callback: one call per "key = value" line and per continuation line. */
static int on_value(void *user, const char *section, const char *name, const char *value)
{
    (void)section; /* we track sections ourselves, with their line numbers */
    struct pctx *p = user;
    p->at = (struct src){p->file, p->lineno};
    p->keyname = name;
    p->cont = p->cls == L_CONT;
    if (p->cls != L_KEY && p->cls != L_CONT) {
        /* Our reader and inih disagree about this line; say so rather than
         * guess. */
        p->keyname = NULL;
        bad(p, "cannot parse this line");
        return 1;
    }
    if (p->sec == SEC_NONE) {
        if (!p->outside_reported) {
            enum conf_section home = SEC_NONE;
            for (int k = 0; k < K_COUNT; k++)
                if (section_in_file(p, keys[k].sec) && streq(keys[k].name, name))
                    home = keys[k].sec;
            if (home != SEC_NONE)
                bad(p, "key outside any section; put it under [%s]", section_names[home]);
            else
                bad(p, "key outside any section; start the file with [%s]", p->droplet ? "droplet" : "service");
            p->outside_reported = true;
        }
        p->prev_key = -1;
        return 1;
    }
    if (p->sec_unknown)
        return 1;

    int k;
    if (p->cont) {
        k = p->prev_key;
        if (k < 0)
            return 1; /* continues an unknown key, already reported */
        if (!(keys[k].flags & (KF_LIST | KF_ARGV))) {
            bad(p, "'%s' takes one value, and this indented line continues it (remove the "
                   "indentation if it is a new key)",
                name);
            return 1;
        }
    } else {
        k = find_key(p->sec, name);
        p->prev_key = k;
        if (k < 0) {
            unknown_key(p, name);
            return 1;
        }
        if (p->set[k].line && !(keys[k].flags & KF_LIST)) {
            bad(p, "set twice (first at line %d)", p->set[k].line);
            p->prev_key = -1; /* its continuation lines belong to the refused line */
            return 1;
        }
    }
    unsigned flags = keys[k].flags;
    if (!p->cont)
        p->argv_json = false;
    p->key = k;
    p->keyname = keys[k].name;
    if (!p->set[k].line)
        p->set[k] = p->at;

    if (p->cont)
        p->empty_at.line = 0; /* "environment =" followed by indented lines */
    if (!*value) {
        if (flags & KF_EMPTY) {
            keys[k].fn(p, "");
        } else if (flags & (KF_LIST | KF_ARGV)) {
            /* Fine if indented lines follow; flush_empty() decides. */
            p->empty_at = p->at;
            p->empty_key = keys[k].name;
            p->empty_is_error = !(flags & KF_LIST);
        } else {
            bad(p, "empty value");
        }
        return 1;
    }
    if (!(flags & KF_INTERP) && strstr(value, "${")) {
        bad(p, "${...} is expanded only in environment, command, entrypoint and healthcheck exec");
        return 1;
    }
    if (flags & KF_LIST) {
        const char *why;
        size_t n;
        char **words = shell_split(A(p), value, &n, &why);
        if (!words) {
            bad(p, "%s", why);
            return 1;
        }
        p->words = words;
        p->nwords = n;
        for (size_t i = 0; i < n; i++) {
            p->word_index = i;
            if (streq(words[i], "-")) {
                bad(p, "'-' looks like a YAML list item: give the items separated by spaces or one per "
                       "line, without '- '");
                continue;
            }
            keys[k].fn(p, words[i]);
        }
        p->words = NULL;
        p->nwords = 0;
    } else if (flags & KF_ARGV) {
        keys[k].fn(p, value);
    } else {
        /* A single value may be quoted as a whole, as in YAML:
         * user = "1000:1000". The quotes are not part of it. */
        size_t n = strlen(value);
        if (n >= 2 && (value[0] == '"' || value[0] == '\'') && value[n - 1] == value[0])
            value = arena_strndup(A(p), value + 1, n - 2);
        keys[k].fn(p, value);
    }
    return 1;
}

static void enter_section(struct pctx *p, const char *raw, size_t n, bool quiet)
{
    char *name = strstrip(arena_strndup(A(p), raw, n));
    p->at = (struct src){p->file, p->lineno};
    p->keyname = NULL;
    p->prev_key = -1;
    p->sec_unknown = false;
    for (int s = 1; s < SEC_COUNT; s++) {
        if (streq(name, section_names[s])) {
            if (!section_in_file(p, (enum conf_section)s)) {
                p->sec = (enum conf_section)s;
                p->sec_unknown = true;
                if (p->droplet)
                    bad(p, "[%s] belongs in a service file (NAME.conf), not in droplet.conf", name);
                else
                    bad(p, "[%s] belongs in droplet.conf, not in a service file", name);
                return;
            }
            if (p->sec_at[s].line) {
                bad(p, "section [%s] appears twice (first at line %d)", name, p->sec_at[s].line);
                p->sec = (enum conf_section)s;
                p->sec_unknown = true;
                return;
            }
            p->sec = (enum conf_section)s;
            p->sec_at[s] = p->at;
            return;
        }
    }
    p->sec = SEC_COUNT; /* none of ours */
    p->sec_unknown = true;
    if (quiet)
        return;
    const char *cands[SEC_COUNT];
    size_t nc = 0;
    for (int s = 1; s < SEC_COUNT; s++)
        if (section_in_file(p, (enum conf_section)s))
            cands[nc++] = section_names[s];
    const char *dym = did_you_mean(name, cands, nc);
    if (dym)
        bad(p, "unknown section [%s] (did you mean [%s]?)", name, dym);
    else if (p->droplet)
        bad(p, "unknown section [%s] (droplet.conf has [droplet], [volume], [network], [logging], [uplink] and "
               "[metrics])",
            name);
    else
        bad(p, "unknown section [%s] (a service file has [service] and [healthcheck])", name);
}

/* A list key left empty ("ports =") with no indented lines after it is
 * almost certainly a mistake, but harmless: say so once the next key,
 * section or the end of the file shows nothing followed. */
static void flush_empty(struct pctx *p)
{
    if (p->empty_at.line && p->empty_is_error)
        diag_error(&p->c->diags, p->empty_at, p->empty_key,
                   "empty command: give it on this line or on indented lines below");
    else if (p->empty_at.line)
        diag_warn(&p->c->diags, p->empty_at, p->empty_key, "empty value: nothing is listed");
    p->empty_at.line = 0;
}

/* Classify one line exactly as inih r55 will treat it (with inline
 * comments off and multi-line values on), report what inih would reject,
 * and return the text inih should see. */
static const char *classify(struct pctx *p, char *line)
{
    p->at = (struct src){p->file, p->lineno};
    p->keyname = NULL;
    const char *base = line; /* columns count from the line as written */
    if (p->lineno == 1 && (unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB &&
        (unsigned char)line[2] == 0xBF)
        line += 3; /* inih skips a UTF-8 byte order mark */
    /* inih: start = lskip(rstrip(line)) */
    size_t n = strlen(line);
    while (n && isspace((unsigned char)line[n - 1]))
        line[--n] = '\0';
    char *start = line;
    while (*start && isspace((unsigned char)*start))
        start++;
    if (*start == ';' || *start == '#') {
        p->cls = L_COMMENT;
        return line;
    }
    if (p->have_prev_key && *start && start > line) {
        p->cls = L_CONT;
        p->value_col = (int)(start - base) + 1;
        return line;
    }
    if (*start == '[') {
        flush_empty(p);
        char *close = strchr(start + 1, ']');
        if (!close) {
            /* Report it, then read on as if the ']' were there, so the keys
             * below are not reported as outside any section. inih is given
             * a well-formed header so that it, too, ends the previous key. */
            p->cls = L_SECTION;
            p->have_prev_key = false;
            bad(p, "section header is missing ']'");
            enter_section(p, start + 1, strlen(start + 1), true);
            return "[-]";
        }
        p->cls = L_SECTION;
        p->have_prev_key = false;
        if (strspn(close + 1, " \t") != strlen(close + 1)) {
            bad(p, "unexpected text after ']'");
        }
        enter_section(p, start + 1, (size_t)(close - start - 1), false);
        return line;
    }
    if (!*start) {
        p->cls = L_BLANK;
        return line;
    }
    char *sep = start + strcspn(start, "=:");
    if (!*sep) {
        p->cls = L_BAD;
        bad(p, "expected 'key = value'");
        return "";
    }
    char *vs = sep + 1;
    while (*vs == ' ' || *vs == '\t')
        vs++;
    p->value_col = (int)(vs - base) + 1;
    char *kend = sep;
    while (kend > start && isspace((unsigned char)kend[-1]))
        kend--;
    if (kend == start) {
        p->cls = L_BAD;
        bad(p, "missing key name before '%c'", *sep);
        return "";
    }
    flush_empty(p);
    p->cls = L_KEY;
    p->have_prev_key = true;
    return line;
}

/* The ini_reader: hands inih one whole line per call. */
static char *reader(char *str, int num, void *stream)
{
    struct pctx *p = stream;
    if (p->pos >= p->len)
        return NULL;
    const char *start = p->buf + p->pos;
    const char *nl = memchr(start, '\n', p->len - p->pos);
    size_t n = nl ? (size_t)(nl - start) : p->len - p->pos;
    p->pos += n + (nl ? 1 : 0);
    p->lineno++;

    const char *out;
    char *line = NULL;
    p->at = (struct src){p->file, p->lineno};
    p->keyname = NULL;
    if (n > CONF_MAX_LINE || n + 2 > (size_t)num) {
        p->cls = L_BAD;
        bad(p, "line is longer than %d bytes", CONF_MAX_LINE);
        out = "";
    } else if (memchr(start, '\0', n)) {
        p->cls = L_BAD;
        bad(p, "line contains a NUL byte");
        out = "";
    } else {
        line = arena_strndup(A(p), start, n);
        out = classify(p, line);
    }
    size_t ol = strlen(out);
    memcpy(str, out, ol);
    str[ol] = '\n';
    str[ol + 1] = '\0';
    return str;
}

static void configure_inih(void)
{
    /* Debian's inih exposes its compile-time options as variables. We
     * want: no inline comments (so "sh -c 'a; b'" keeps its ';'), long
     * lines, continuation lines, and never stopping at the first error.
     * Setting them is idempotent and happens before any parse. */
    ini_allow_inline_comments = false;
    ini_allow_multiline = true;
    ini_stop_on_first_error = false;
    ini_allow_no_value = false;
    ini_max_line = CONF_MAX_LINE + 3; /* '\n', '\r' and '\0' */
}

static int parse_buffer(struct pctx *p, const char *buf, size_t len)
{
    configure_inih();
    p->buf = buf;
    p->len = len;
    p->pos = 0;
    p->lineno = 0;
    p->prev_key = -1;
    p->key = -1;
    int r = ini_parse_stream(reader, p, on_value, p);
    flush_empty(p);
    if (r != 0) {
        p->at = (struct src){p->file, r > 0 ? r : 0};
        p->keyname = NULL;
        bad(p, "cannot parse this line");
    }
    return 0;
}

/* ---------- droplet.conf ---------- */

static void droplet_defaults(struct conf *c, const struct rt_paths *paths)
{
    struct droplet_conf *d = &c->droplet;
    static const char *const mods[] = {"bridge", "veth", "overlay", "nf_tables", "nft_chain_nat",
                                       "nft_masq", "nft_nat", "nft_ct", "nft_fib_ipv4", "ext4"};
    d->hostname = "droplet";
    d->proc_hidepid = true;
    d->modules = arena_alloc(&c->arena, (ARRAY_SIZE(mods) + 1) * sizeof(char *));
    for (size_t i = 0; i < ARRAY_SIZE(mods); i++)
        d->modules[i] = (char *)mods[i];
    d->nmodules = ARRAY_SIZE(mods);
    d->volume.fstype = "ext4";
    d->volume.mountpoint = "/mnt/volume";
    d->volume.options = "defaults";
    d->volume.timeout_ms = 30000;
    d->network.bridge = "rt0";
    parse_cidr("10.88.0.0/24", &d->network.subnet, &d->network.prefix, &(const char *){NULL});
    d->network.gateway = d->network.subnet + 1;
    d->network.mtu = 1500;
    d->logging.dir = arena_strdup(&c->arena, paths->log_dir);
    d->logging.max_size = 10 * 1024 * 1024;
    d->logging.max_files = 5;
    d->uplink.interface = "eth0";
}

/* [uplink]: a gateway needs an address, on its network; and the
 * droplet's own network must not be the bridge's (its routes would
 * shadow each other). */
static void check_uplink(struct conf *c, bool subnet_bad)
{
    struct droplet_conf *d = &c->droplet;
    char a[16], g[16];
    if (d->set[K_U_GATEWAY].line && !d->set[K_U_ADDRESS].line) {
        diag_error(&c->diags, d->set[K_U_GATEWAY], "gateway", "[uplink] has a gateway but no address");
        return;
    }
    if (!d->uplink.address)
        return;
    uint32_t mask = d->uplink.prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> d->uplink.prefix);
    format_ipv4(d->uplink.address, a, sizeof(a));
    if (d->uplink.gateway && d->uplink.prefix < 32 &&
        (d->uplink.gateway & mask) != (d->uplink.address & mask)) {
        format_ipv4(d->uplink.gateway, g, sizeof(g));
        diag_error(&c->diags, d->set[K_U_GATEWAY], "gateway", "%s is not on the uplink's network (%s/%d)", g, a,
                   d->uplink.prefix);
    }
    uint32_t bmask = 0xffffffffu << (32 - d->network.prefix);
    uint32_t both = d->uplink.prefix < d->network.prefix ? mask : bmask;
    if (!subnet_bad && (d->uplink.address & both) == (d->network.subnet & both)) {
        char n[16];
        format_ipv4(d->network.subnet, n, sizeof(n));
        diag_error(&c->diags, d->set[K_U_ADDRESS], "address", "%s/%d overlaps the bridge's subnet %s/%d", a,
                   d->uplink.prefix, n, d->network.prefix);
    }
}

int conf_parse_droplet(struct conf *c, const char *file, const char *buf, size_t len)
{
    jmp_buf jb, *saved = c->arena.oom;
    if (ARENA_TRY(&c->arena, jb)) {
        c->arena.oom = saved;
        return -1;
    }
    struct droplet_conf *d = &c->droplet;
    struct pctx p = {.c = c, .file = arena_strdup(&c->arena, file), .droplet = true, .set = d->set};
    d->file = p.file;
    d->present = true;
    /* modules given in the file replace the default list */
    bool default_modules = true;
    char **defmods = d->modules;
    size_t ndef = d->nmodules;
    d->modules = NULL;
    d->nmodules = 0;
    parse_buffer(&p, buf, len);
    if (d->set[K_D_MODULES].line)
        default_modules = false;
    if (default_modules) {
        d->modules = defmods;
        d->nmodules = ndef;
    }
    /* The gateway is checked against the subnet once both are known. */
    uint32_t mask = 0xffffffffu << (32 - d->network.prefix);
    uint32_t bcast = d->network.subnet | ~mask;
    if (!d->set[K_N_GATEWAY].line) {
        d->network.gateway = d->network.subnet + 1;
    } else if (!p.subnet_bad && ((d->network.gateway & mask) != d->network.subnet ||
                                 d->network.gateway == d->network.subnet || d->network.gateway == bcast)) {
        char a[16], s[16];
        format_ipv4(d->network.gateway, a, sizeof(a));
        format_ipv4(d->network.subnet, s, sizeof(s));
        diag_error(&c->diags, d->set[K_N_GATEWAY], "gateway", "%s is not a host address in %s/%d", a, s,
                   d->network.prefix);
    }
    check_uplink(c, p.subnet_bad);
    c->arena.oom = saved;
    return 0;
}

/* ---------- service files ---------- */

static struct svc_conf *svc_new(struct conf *c, const char *file, const char *name)
{
    struct svc_conf *s = arena_alloc(&c->arena, sizeof(*s));
    s->file = file;
    s->name = arena_strdup(&c->arena, name);
    s->network = NET_BRIDGE;
    s->restart = RESTART_NO;
    s->stop_signal = SIGTERM;
    s->stop_timeout_ms = 10000;
    s->restart_backoff_ms = 100; /* docker's */
    s->restart_backoff_max_ms = 60000;
    s->seccomp = SECCOMP_DEFAULT;
    s->hc.interval_ms = 30000; /* docker's defaults */
    s->hc.timeout_ms = 30000;
    s->hc.retries = 3;
    s->hc.start_interval_ms = 5000;
    return s;
}

/* A host service (host = true) is a process of the host, in no container:
 * every key that shapes a container is refused at its line, saying why,
 * and the command must be written out (there is no image to give one). */
static void check_host_service(struct conf *c, struct svc_conf *s, struct src top)
{
    static const struct {
        enum conf_key k;
        const char *why;
    } container_only[] = {
        {K_IMAGE, "a host service runs a program of the host, not an image"},
        {K_ENTRYPOINT, "a host service has no image whose entrypoint this would replace; write the whole command "
                       "line in command"},
        {K_HOSTNAME, "a host service has the host's hostname ([droplet] hostname)"},
        {K_PORTS, "a host service is on the host's network and listens on the host's addresses itself; there is "
                  "nothing to publish"},
        {K_IPV4, "a host service has no address on the bridge: it is on the host's network"},
        {K_VOLUMES, "a host service sees the host's file systems as they are; there is no container root to mount "
                    "into"},
        {K_TMPFS, "a host service sees the host's file systems as they are; there is no container root to mount "
                  "into"},
        {K_READ_ONLY, "a host service's root is the host's own"},
        {K_DEVICES, "a host service has every device of the host"},
        {K_CAP_ADD, "a host service has its user's own privileges on the host (as root, all of them); there is no "
                    "capability set to change"},
        {K_CAP_DROP, "a host service has its user's own privileges on the host (as root, all of them); there is no "
                     "capability set to change"},
        {K_SECCOMP, "a host service runs without a seccomp filter"},
        {K_INIT, "a host service has no PID namespace of its own: rtinit reaps what it leaves"},
    };
    int hl = s->set[K_HOST].line;
    for (size_t i = 0; i < ARRAY_SIZE(container_only); i++)
        if (s->set[container_only[i].k].line)
            diag_error(&c->diags, s->set[container_only[i].k], conf_key_name(container_only[i].k),
                       "only for containers: %s (host = true, line %d)", container_only[i].why, hl);
    if (s->set[K_NETWORK].line && s->network != NET_HOST)
        diag_error(&c->diags, s->set[K_NETWORK], "network",
                   "only for containers: a host service is on the host's network, so only network = host fits "
                   "(host = true, line %d)",
                   hl);
    s->network = NET_HOST;
    if (!s->set[K_COMMAND].line)
        diag_error(&c->diags, top, "command",
                   "missing: a host service needs the command to run (there is no image to take one from)");
    else if (s->command.n == 0)
        diag_error(&c->diags, s->set[K_COMMAND], "command", "a host service needs a command to run; this one is empty");
}

int conf_parse_service(struct conf *c, const char *file, const char *name, const char *buf, size_t len)
{
    jmp_buf jb, *saved = c->arena.oom;
    if (ARENA_TRY(&c->arena, jb)) {
        c->arena.oom = saved;
        return -1;
    }
    const char *f = arena_strdup(&c->arena, file);
    struct svc_conf *s = svc_new(c, f, name);
    struct pctx p = {.c = c, .file = f, .svc = s, .set = s->set};
    parse_buffer(&p, buf, len);

    s->header = p.sec_at[SEC_SERVICE];
    s->hc.at = p.sec_at[SEC_HEALTHCHECK];
    struct src top = s->header.line ? s->header : (struct src){f, 1};
    if (!p.sec_at[SEC_SERVICE].line) {
        diag_error(&c->diags, (struct src){f, 1}, NULL, "no [service] section");
    } else if (s->host) {
        check_host_service(c, s, top);
    } else if (!s->set[K_IMAGE].line) {
        diag_error(&c->diags, top, "image",
                   "missing: every service needs an image (or host = true, to run a program of the host)");
    }
    if (!s->host && s->set[K_KILL_MODE].line)
        diag_error(&c->diags, s->set[K_KILL_MODE], "kill_mode",
                   "only for host services (host = true): every process of a container ends with it, when its PID "
                   "namespace does");
    if (!s->set[K_NAME].line) {
        const char *why = check_label(name, 63);
        if (why)
            diag_error(&c->diags, top, "name",
                       "the file name makes '%s' the service name, which %s; rename the file or set name =",
                       name, why);
    }
    if (s->hc.at.line && s->hc.kind == HC_NONE && !s->set[K_HC_EXEC].line)
        diag_error(&c->diags, s->hc.at, NULL, "[healthcheck] has no check: set http, tcp or exec");
    if (s->hc.kind != HC_NONE && s->hc.timeout_ms > s->hc.interval_ms) {
        /* Point at whichever of the two was written; with interval set
         * below the default timeout, that is the interval line. */
        bool t = s->set[K_HC_TIMEOUT].line != 0;
        char tb[32], ib[32];
        format_duration_buf(tb, sizeof(tb), s->hc.timeout_ms);
        format_duration_buf(ib, sizeof(ib), s->hc.interval_ms);
        diag_warn(&c->diags, t ? s->set[K_HC_TIMEOUT] : s->set[K_HC_INTERVAL], t ? "timeout" : "interval",
                  "the timeout (%s) is longer than the interval (%s), so checks can overlap%s", tb, ib,
                  t ? "" : "; the timeout defaults to 30s, set it too");
    }
    if (s->hc.kind != HC_NONE && s->set[K_HC_START_INTERVAL].line && !s->hc.start_period_ms)
        diag_warn(&c->diags, s->set[K_HC_START_INTERVAL], "start_interval",
                  "applies only within start_period, which is not set: checks run every interval");
    else if (s->hc.kind != HC_NONE && s->set[K_HC_START_INTERVAL].line && s->hc.start_interval_ms > s->hc.interval_ms) {
        char sb[32], ib[32];
        format_duration_buf(sb, sizeof(sb), s->hc.start_interval_ms);
        format_duration_buf(ib, sizeof(ib), s->hc.interval_ms);
        diag_warn(&c->diags, s->set[K_HC_START_INTERVAL], "start_interval",
                  "%s is longer than the interval (%s), so checks run every %s in the start period too", sb, ib,
                  ib);
    }
    if (s->restart_backoff_max_ms < s->restart_backoff_ms) {
        char a[32], b[32];
        format_duration_buf(a, sizeof(a), s->restart_backoff_max_ms);
        format_duration_buf(b, sizeof(b), s->restart_backoff_ms);
        diag_error(&c->diags, s->set[K_RESTART_BACKOFF_MAX].line ? s->set[K_RESTART_BACKOFF_MAX] : s->set[K_RESTART_BACKOFF],
                   s->set[K_RESTART_BACKOFF_MAX].line ? "restart_backoff_max" : "restart_backoff",
                   "restart_backoff_max (%s) is shorter than restart_backoff (%s)", a, b);
    }
    if (s->restart_dependents && !s->ndeps)
        diag_warn(&c->diags, s->set[K_RESTART_DEPENDENTS], "restart_dependents",
                  "%s has no depends_on, so there is nothing to follow", s->name);
    if (!s->hostname)
        s->hostname = s->name;
    if (s->nports && s->network != NET_BRIDGE && !s->host)
        diag_error(&c->diags, s->set[K_PORTS], "ports",
                   "publishing ports needs network = bridge (with network = %s there is nothing to forward to)",
                   net_mode_name(s->network));
    for (size_t i = 0; i < s->ntmpfs; i++)
        for (size_t j = 0; j < s->nvolumes; j++)
            if (streq(s->tmpfs[i].path, s->volumes[j].dst))
                diag_error(&c->diags, s->tmpfs[i].at, "tmpfs", "%s is also a volume (line %d)", s->tmpfs[i].path,
                           s->volumes[j].at.line);
    for (size_t i = 0; i < s->ndevices; i++) {
        for (size_t j = 0; j < s->nvolumes; j++)
            if (streq(s->devices[i].ctr, s->volumes[j].dst))
                diag_error(&c->diags, s->devices[i].at, "devices", "%s is also a volume (line %d)", s->devices[i].ctr,
                           s->volumes[j].at.line);
        for (size_t j = 0; j < s->ntmpfs; j++)
            if (streq(s->devices[i].ctr, s->tmpfs[j].path))
                diag_error(&c->diags, s->devices[i].at, "devices", "%s is also a tmpfs (line %d)", s->devices[i].ctr,
                           s->tmpfs[j].at.line);
    }
    if (!c->droplet.volume.device && !s->host) {
        for (size_t j = 0; j < s->nvolumes; j++) {
            if (s->volumes[j].src[0] != '/') {
                diag_warn(&c->diags, s->volumes[j].at, "volumes",
                          "'%s' is on the block volume, but droplet.conf sets no [volume] device: the data "
                          "will live on the root disk under %s",
                          s->volumes[j].src, c->droplet.volume.mountpoint);
                break;
            }
        }
    }
    if (c->nsvcs >= CONF_MAX_SERVICES) {
        diag_error(&c->diags, top, NULL, "too many services (at most %d)", CONF_MAX_SERVICES);
    } else {
        ARENA_PUSH(&c->arena, c->svcs, c->nsvcs, c->capsvcs, s);
    }
    c->arena.oom = saved;
    return 0;
}

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
