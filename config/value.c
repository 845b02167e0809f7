#include "value.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "../lib/util.h"

/* Parse "123" or "1.25" at *p into a value scaled by 1000 (milli-units),
 * advancing *p. Returns -1 on overflow or when no digit is present. */
static int parse_milli(const char **p, uint64_t *out, bool *lost)
{
    *lost = false;
    const char *s = *p;
    uint64_t v = 0;
    int digits = 0;
    while (isdigit((unsigned char)*s)) {
        if (v > (UINT64_MAX / 10000))
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
        s++;
        digits++;
    }
    v *= 1000;
    if (*s == '.') {
        s++;
        uint64_t scale = 100;
        int frac = 0;
        while (isdigit((unsigned char)*s)) {
            v += (uint64_t)(*s - '0') * scale;
            if (!scale && *s != '0')
                *lost = true; /* a digit past the third decimal */
            scale /= 10;
            s++;
            frac++;
        }
        if (!frac)
            return -1;
        digits += frac;
    }
    if (!digits)
        return -1;
    *p = s;
    *out = v;
    return 0;
}

int parse_decimal_milli(const char *s, uint64_t *milli, const char **why)
{
    const char *p = s;
    bool lost;
    if (parse_milli(&p, milli, &lost) < 0 || *p) {
        *why = "expected a number such as 1 or 0.5";
        return -1;
    }
    if (lost) {
        *why = "at most three decimals";
        return -1;
    }
    return 0;
}

int parse_duration(const char *s, uint64_t *ms, const char **why)
{
    if (streq(s, "0")) {
        *ms = 0;
        return 0;
    }
    if (!*s) {
        *why = "empty duration";
        return -1;
    }
    if (strpbrk(s, " \t")) {
        *why = "no spaces in a duration: write 30s or 1m30s";
        return -1;
    }
    uint64_t total = 0;
    uint64_t last_unit = UINT64_MAX;
    const char *p = s;
    while (*p) {
        uint64_t milli;
        bool lost;
        if (parse_milli(&p, &milli, &lost) < 0) {
            *why = "expected a duration such as 500ms, 30s, 2m or 1h";
            return -1;
        }
        uint64_t unit_ms;
        if (startswith(p, "ms")) {
            unit_ms = 1, p += 2;
        } else if (*p == 's') {
            unit_ms = 1000, p++;
        } else if (*p == 'm') {
            unit_ms = 60 * 1000, p++;
        } else if (*p == 'h') {
            unit_ms = 3600 * 1000, p++;
        } else if (!*p) {
            *why = "missing unit (ms, s, m or h), e.g. 30s";
            return -1;
        } else {
            *why = "unknown unit (use ms, s, m or h)";
            return -1;
        }
        /* "1h30m", not "30m1h" or "1s1s": each unit once, largest first. */
        if (unit_ms >= last_unit) {
            *why = "units must go from largest to smallest, each once, e.g. 1m30s";
            return -1;
        }
        last_unit = unit_ms;
        /* milli is value*1000; value*unit_ms = milli*unit_ms/1000 */
        if (milli > UINT64_MAX / unit_ms) {
            *why = "duration too large";
            return -1;
        }
        if (lost || (milli * unit_ms) % 1000) {
            *why = "the smallest step is 1ms";
            return -1;
        }
        uint64_t add = milli * unit_ms / 1000;
        if (add > UINT64_MAX - total) {
            *why = "duration too large";
            return -1;
        }
        total += add;
    }
    /* Bound to 365 days: anything longer is a typo, and it keeps arithmetic
     * on timers far from overflow. */
    if (total > 365ULL * 24 * 3600 * 1000) {
        *why = "duration too large (at most 365 days)";
        return -1;
    }
    *ms = total;
    return 0;
}

int parse_size(const char *s, uint64_t *bytes, const char **why)
{
    const char *p = s;
    uint64_t milli;
    bool lost; /* sizes round down to whole bytes anyway */
    if (parse_milli(&p, &milli, &lost) < 0) {
        *why = "expected a size such as 512M or 1G";
        return -1;
    }
    uint64_t mult = 1;
    if (*p == ' ' && p[1] && p[1] != ' ')
        p++; /* "1 GB", as docker accepts */
    switch (tolower((unsigned char)*p)) {
    case 'b': mult = 1; p++; goto done; /* "100b" */
    case 'k': mult = 1ULL << 10; p++; break;
    case 'm': mult = 1ULL << 20; p++; break;
    case 'g': mult = 1ULL << 30; p++; break;
    case 't': mult = 1ULL << 40; p++; break;
    case '\0': goto done;
    default:
        *why = "unknown size unit (use K, M, G or T)";
        return -1;
    }
    /* Accept the spellings people paste: 512M, 512MB, 512MiB, 512m. */
    if (*p == 'i' || *p == 'I') {
        p++;
        if (*p != 'b' && *p != 'B') {
            *why = "unknown size unit (use K, M, G or T)";
            return -1;
        }
    }
    if (*p == 'b' || *p == 'B')
        p++;
done:
    if (*p) {
        *why = "unknown size unit (use K, M, G or T)";
        return -1;
    }
    if (milli > UINT64_MAX / mult) {
        *why = "size too large";
        return -1;
    }
    uint64_t v = milli * mult / 1000;
    if (v == 0 && milli != 0) {
        *why = "size rounds to zero bytes";
        return -1;
    }
    *bytes = v;
    return 0;
}

int parse_bool(const char *s, bool *out, const char **why)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = true;
            return 0;
        }
        if (!strcasecmp(s, no[i])) {
            *out = false;
            return 0;
        }
    }
    *why = "expected true or false";
    return -1;
}

int parse_int_range(const char *s, long long min, long long max, long long *out, const char **why)
{
    if (!*s || !(isdigit((unsigned char)*s) || *s == '-')) {
        *why = "expected a whole number";
        return -1;
    }
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end) {
        *why = "expected a whole number";
        return -1;
    }
    if (errno == ERANGE || v < min || v > max) {
        *why = "number out of range";
        return -1;
    }
    *out = v;
    return 0;
}

int parse_signal(const char *s, int *sig, const char **why)
{
    if (isdigit((unsigned char)*s)) {
        long long v;
        if (parse_int_range(s, 1, SIGRTMAX, &v, why) < 0) {
            *why = "no such signal number";
            return -1;
        }
        *sig = (int)v;
        return 0;
    }
    const char *name = s;
    if (!strncasecmp(name, "SIG", 3))
        name += 3;
    if (!strncasecmp(name, "RTMIN", 5) || !strncasecmp(name, "RTMAX", 5)) {
        bool min = !strncasecmp(name, "RTMIN", 5);
        const char *rest = name + 5;
        long long off = 0;
        if (*rest) {
            if ((min && *rest != '+') || (!min && *rest != '-') ||
                parse_int_range(rest + 1, 0, SIGRTMAX - SIGRTMIN, &off, why) < 0) {
                *why = "expected SIGRTMIN+N or SIGRTMAX-N";
                return -1;
            }
        }
        *sig = min ? SIGRTMIN + (int)off : SIGRTMAX - (int)off;
        return 0;
    }
    for (int i = 1; i < SIGRTMIN; i++) {
        const char *abbrev = sigabbrev_np(i);
        if (abbrev && !strcasecmp(abbrev, name)) {
            *sig = i;
            return 0;
        }
    }
    *why = "unknown signal (e.g. SIGTERM, SIGQUIT, SIGINT)";
    return -1;
}

const char *signal_name(int sig, char *buf, size_t len)
{
    const char *abbrev = sig > 0 && sig < SIGRTMIN ? sigabbrev_np(sig) : NULL;
    if (abbrev)
        snprintf(buf, len, "SIG%s", abbrev);
    else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
        snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
    else
        snprintf(buf, len, "%d", sig);
    return buf;
}

int parse_capability(const char *s, int *cap, const char **why)
{
    char name[64];
    if (strlen(s) + 5 > sizeof(name)) {
        *why = "unknown capability";
        return -1;
    }
    if (!strncasecmp(s, "CAP_", 4))
        snprintf(name, sizeof(name), "%s", s);
    else
        snprintf(name, sizeof(name), "cap_%s", s);
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    cap_value_t v;
    if (cap_from_name(name, &v) < 0 || v < 0 || v > 63) {
        *why = "unknown capability (see capabilities(7); e.g. NET_BIND_SERVICE)";
        return -1;
    }
    *cap = v;
    return 0;
}

static const struct {
    const char *name;
    int resource;
} ulimits[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},
    {"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE},
    {"nice", RLIMIT_NICE},       {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},
    {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK},
};

const char *const ulimit_names[] = {
    "as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
    "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack",
};
const unsigned ulimit_count = ARRAY_SIZE(ulimit_names);

int ulimit_resource(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(ulimits); i++)
        if (!strcasecmp(ulimits[i].name, name))
            return ulimits[i].resource;
    return -1;
}

const char *ulimit_name(int resource)
{
    for (size_t i = 0; i < ARRAY_SIZE(ulimits); i++)
        if (ulimits[i].resource == resource)
            return ulimits[i].name;
    return "?";
}

int parse_ipv4(const char *s, uint32_t *addr)
{
    struct in_addr in;
    /* inet_pton accepts exactly the dotted quad, no shorthand forms. */
    if (inet_pton(AF_INET, s, &in) != 1)
        return -1;
    *addr = ntohl(in.s_addr);
    return 0;
}

void format_ipv4(uint32_t addr, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255);
}

int parse_cidr(const char *s, uint32_t *net, int *prefix, const char **why)
{
    const char *slash = strchr(s, '/');
    char ip[32];
    if (!slash || (size_t)(slash - s) >= sizeof(ip)) {
        *why = "expected ADDRESS/PREFIX, e.g. 10.88.0.0/24";
        return -1;
    }
    memcpy(ip, s, (size_t)(slash - s));
    ip[slash - s] = '\0';
    uint32_t a;
    if (parse_ipv4(ip, &a) < 0) {
        *why = "not an IPv4 address";
        return -1;
    }
    long long p;
    if (parse_int_range(slash + 1, 0, 32, &p, why) < 0) {
        *why = "prefix length must be 0 to 32";
        return -1;
    }
    uint32_t mask = p == 0 ? 0 : 0xffffffffu << (32 - p);
    if (a & ~mask) {
        /* The caller can say which network was probably meant. */
        *why = "host bits are set";
        *net = a & mask;
        *prefix = (int)p;
        return -2;
    }
    *net = a;
    *prefix = (int)p;
    return 0;
}

char **shell_split(struct arena *a, const char *s, size_t *count, const char **why)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    size_t len = strlen(s);
    /* A word is never longer than the input, so one buffer serves all. */
    char *buf = arena_alloc(a, len + 1);
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        size_t w = 0;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
            if (*p == '\'') {
                const char *end = strchr(p + 1, '\'');
                if (!end) {
                    *why = "unterminated single quote";
                    return NULL;
                }
                memcpy(buf + w, p + 1, (size_t)(end - p - 1));
                w += (size_t)(end - p - 1);
                p = end + 1;
            } else if (*p == '"') {
                p++;
                while (*p && *p != '"') {
                    /* Inside double quotes a backslash escapes only these,
                     * as in sh; elsewhere it is literal. */
                    if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
                        p++;
                    buf[w++] = *p++;
                }
                if (*p != '"') {
                    *why = "unterminated double quote";
                    return NULL;
                }
                p++;
            } else if (*p == '\\') {
                if (!p[1]) {
                    *why = "trailing backslash";
                    return NULL;
                }
                buf[w++] = p[1];
                p += 2;
            } else {
                buf[w++] = *p++;
            }
        }
        ARENA_PUSH(a, v, n, cap, arena_strndup(a, buf, w));
    }
    ARENA_PUSH(a, v, n, cap, NULL);
    *count = n - 1;
    return v;
}

char **json_string_array(struct arena *a, const char *s, int col, size_t *count, const char **why)
{
    json_error_t jerr;
    json_t *root = json_loads(s, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        /* jansson counts columns from the start of s; the user counts
         * from the start of the line. */
        *why = arena_printf(a, "invalid JSON array at column %d: %s", jerr.column + (col > 0 ? col - 1 : 0),
                            jerr.text);
        return NULL;
    }
    if (!json_is_array(root)) {
        json_decref(root);
        *why = "expected a JSON array of strings";
        return NULL;
    }
    size_t n = json_array_size(root);
    char **v = arena_alloc(a, (n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(root, i);
        if (!json_is_string(e)) {
            json_decref(root);
            *why = arena_printf(a, "element %zu of the JSON array is not a string", i + 1);
            return NULL;
        }
        if (memchr(json_string_value(e), '\0', json_string_length(e)) != NULL) {
            json_decref(root);
            *why = arena_printf(a, "element %zu of the JSON array contains a NUL character", i + 1);
            return NULL;
        }
        v[i] = arena_strdup(a, json_string_value(e));
    }
    json_decref(root);
    *count = n;
    return v;
}

char **parse_argv(struct arena *a, const char *s, int col, size_t *count, const char **why)
{
    if (*s == '[')
        return json_string_array(a, s, col, count, why);
    return shell_split(a, s, count, why);
}

void format_duration_buf(char *buf, size_t len, uint64_t ms)
{
    if (ms == 0)
        snprintf(buf, len, "0s");
    else if (ms % 3600000 == 0)
        snprintf(buf, len, "%lluh", (unsigned long long)(ms / 3600000));
    else if (ms % 60000 == 0)
        snprintf(buf, len, "%llum", (unsigned long long)(ms / 60000));
    else if (ms % 1000 == 0)
        snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
    else
        snprintf(buf, len, "%llums", (unsigned long long)ms);
}

void print_duration(FILE *f, uint64_t ms)
{
    char buf[32];
    format_duration_buf(buf, sizeof(buf), ms);
    fputs(buf, f);
}

void format_size_buf(char *buf, size_t len, uint64_t b)
{
    static const char units[] = "KMGT";
    int u = -1;
    while (u < 3 && b >= 1024 && b % 1024 == 0) {
        b /= 1024;
        u++;
    }
    if (u < 0)
        snprintf(buf, len, "%llu", (unsigned long long)b);
    else
        snprintf(buf, len, "%llu%c", (unsigned long long)b, units[u]);
}

char *format_size(struct arena *a, uint64_t b)
{
    char buf[32];
    format_size_buf(buf, sizeof(buf), b);
    return arena_strdup(a, buf);
}

void print_size(FILE *f, uint64_t b)
{
    char buf[32];
    format_size_buf(buf, sizeof(buf), b);
    fputs(buf, f);
}

void print_shell_word2(FILE *f, const char *a, const char *b)
{
    bool plain = *a || *b;
    for (int part = 0; part < 2; part++)
        for (const char *p = part ? b : a; *p; p++)
            if (!(isalnum((unsigned char)*p) || strchr("@%+=:,./_-${}", *p)))
                plain = false;
    if (plain) {
        fputs(a, f);
        fputs(b, f);
        return;
    }
    /* Single quotes keep everything literal; an embedded ' becomes '\''. */
    fputc('\'', f);
    for (int part = 0; part < 2; part++) {
        for (const char *p = part ? b : a; *p; p++) {
            if (*p == '\'')
                fputs("'\\''", f);
            else
                fputc(*p, f);
        }
    }
    fputc('\'', f);
}

void print_shell_word(FILE *f, const char *w)
{
    print_shell_word2(f, w, "");
}

const char *capability_name(int cap, char *buf, size_t len)
{
    char *name = cap_to_name((cap_value_t)cap);
    if (!name) {
        snprintf(buf, len, "%d", cap);
        return buf;
    }
    const char *n = name;
    if (!strncasecmp(n, "cap_", 4))
        n += 4;
    size_t i = 0;
    for (; n[i] && i + 1 < len; i++)
        buf[i] = (char)toupper((unsigned char)n[i]);
    buf[i] = '\0';
    cap_free(name);
    return buf;
}

void print_json_string(FILE *f, const char *s)
{
    json_t *j = json_string(s);
    char *out = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    fputs(out ? out : "\"\"", f);
    free(out);
    json_decref(j);
}

void print_json_string_array(FILE *f, char *const *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, json_string(v[i]));
    /* Flags 0: one line, ", " between elements. */
    char *s = arr ? json_dumps(arr, JSON_ENCODE_ANY) : NULL;
    if (s) {
        fputs(s, f);
        free(s);
    } else {
        fputs("[]", f);
    }
    json_decref(arr);
}

/* Image references as docker reads them: [HOST[:PORT]/]PATH[:TAG][@DIGEST].
 * We only need to be strict enough to catch typos; the image store is the
 * authority on what exists. */
const char *image_ref_check(const char *v)
{
    const char *at = strchr(v, '@');
    size_t end = at ? (size_t)(at - v) : strlen(v);
    if (at) {
        const char *d = at + 1;
        if (!startswith(d, "sha256:") || strlen(d) != 7 + 64)
            return "the digest must be sha256: followed by 64 hex digits";
        for (const char *q = d + 7; *q; q++)
            if (!isxdigit((unsigned char)*q) || isupper((unsigned char)*q))
                return "the digest must be sha256: followed by 64 lowercase hex digits";
    }
    /* The tag starts at the first ':' after the last '/'. */
    const char *last_slash = memrchr(v, '/', end);
    const char *tag = memchr(last_slash ? last_slash : v, ':', end - (size_t)((last_slash ? last_slash : v) - v));
    size_t name_end = tag ? (size_t)(tag - v) : end;
    if (tag) {
        size_t tl = end - name_end - 1;
        if (tl == 0 || tl > 128)
            return "a tag must be 1 to 128 characters";
        if (tag[1] == '.' || tag[1] == '-')
            return "a tag must not begin with '.' or '-'";
        for (const char *q = tag + 1; q < v + end; q++)
            if (!(isalnum((unsigned char)*q) || strchr("_.-", *q)))
                return "a tag may contain only letters, digits, '_', '.' and '-'";
    }
    if (name_end == 0)
        return "missing repository name";
    size_t i = 0;
    for (bool first = true; i <= name_end; first = false) {
        const char *comp = v + i;
        const char *slash = memchr(comp, '/', name_end - i);
        size_t cl = slash ? (size_t)(slash - comp) : name_end - i;
        if (cl == 0)
            return "empty path component";
        /* The first component names a registry when more follow and it
         * looks like a host: has a '.' or a ':' or is "localhost". */
        bool registry = first && slash &&
                        (memchr(comp, '.', cl) || memchr(comp, ':', cl) || (cl == 9 && !strncmp(comp, "localhost", 9)));
        if (registry) {
            const char *colon = memchr(comp, ':', cl);
            size_t hl = colon ? (size_t)(colon - comp) : cl;
            if (colon && (hl == 0 || hl + 1 == cl || strspn(colon + 1, "0123456789") < cl - hl - 1))
                return "invalid registry host (HOST[:PORT])";
            for (size_t k = 0; k < hl; k++)
                if (!(isalnum((unsigned char)comp[k]) || comp[k] == '.' || comp[k] == '-'))
                    return "invalid registry host (HOST[:PORT])";
        } else {
            for (size_t k = 0; k < cl; k++) {
                unsigned char ch = (unsigned char)comp[k];
                if (isupper(ch))
                    return "repository names must be lowercase";
                if (!(islower(ch) || isdigit(ch) || ch == '.' || ch == '_' || ch == '-'))
                    return "invalid character in repository name";
            }
        }
        i += cl + 1;
        if (!slash)
            break;
    }
    return NULL;
}

int image_ref_normalize(const char *in, char *out, size_t len, const char **why)
{
    const char *bad = image_ref_check(in);
    if (bad) {
        *why = bad;
        return -1;
    }
    /* docker.io/library/redis:7 and redis:7 name the same image; keep the
     * short form users write in conf.d. */
    const char *s = in;
    if (startswith(s, "docker.io/"))
        s += strlen("docker.io/");
    else if (startswith(s, "index.docker.io/"))
        s += strlen("index.docker.io/");
    if (s != in && startswith(s, "library/") && !strchr(s + strlen("library/"), '/'))
        s += strlen("library/");
    const char *last_slash = strrchr(s, '/');
    bool has_tag = strchr(last_slash ? last_slash : s, ':') != NULL || strchr(s, '@') != NULL;
    int n = snprintf(out, len, "%s%s", s, has_tag ? "" : ":latest");
    if (n < 0 || (size_t)n >= len) {
        *why = "image name too long";
        return -1;
    }
    return 0;
}
