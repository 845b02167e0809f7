/* imgvol.c - see imgvol.h. */
#include "imgvol.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"

/* Longer than this, a declared path is refused before anything else. */
#define DECL_MAX 1024

int imgvol_escape(const char *path, char *out, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (const char *p = path + 1; *p; p++) {
        unsigned char c = (unsigned char)*p;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    (c == '.' && p != path + 1);
        size_t need = c == '/' || keep ? 1 : 4;
        if (n + need >= len)
            return -1;
        if (c == '/') {
            out[n++] = '-';
        } else if (keep) {
            out[n++] = (char)c;
        } else {
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    if (n == 0 || n >= len)
        return -1;
    out[n] = '\0';
    return 0;
}

/* The declared path with control bytes as \xNN: it goes into messages and
 * the plan, one line each. */
static const char *printable(struct arena *a, const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    char *out = arena_alloc(a, 4 * n + 4);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            k += (size_t)sprintf(out + k, "\\x%02x", c);
        else
            out[k++] = (char)c;
    }
    if (n < strlen(s))
        k += (size_t)sprintf(out + k, "...");
    out[k] = '\0';
    return out;
}

static bool at_or_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/' || streq(dir, "/"));
}

/* Why the declared path d cannot be a volume; NULL when it can (*norm is
 * then its normalised form). */
static const char *refusal(struct arena *a, const char *d, const char **norm)
{
    if (strlen(d) > DECL_MAX)
        return "the path is too long";
    if (d[0] != '/')
        return "not an absolute path";
    for (const char *p = d; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "a control character in the path";
    bool esc, dd;
    const char *n = normalize_path(a, d, &esc, &dd);
    if (dd)
        return "'..' in the path";
    if (streq(n, "/"))
        return "the container's root";
    static const char *const kernel[] = {"/proc", "/sys", "/dev"};
    for (size_t i = 0; i < ARRAY_SIZE(kernel); i++)
        if (at_or_under(n, kernel[i]))
            return arena_printf(a, "%s is the runtime's", kernel[i]);
    static const char *const files[] = {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"};
    for (size_t i = 0; i < ARRAY_SIZE(files); i++)
        if (streq(n, files[i]))
            return "a file the runtime provides";
    char esc_name[NAME_MAX + 1];
    if (imgvol_escape(n, esc_name, sizeof(esc_name)) < 0)
        return "the path is too long for a volume's name";
    *norm = n;
    return NULL;
}

static int by_path(const void *x, const void *y)
{
    const struct imgvol *a = x, *b = y;
    int c = strcmp(a->path ? a->path : a->shown, b->path ? b->path : b->shown);
    /* a refused declaration sorts after a usable one of the same text */
    return c ? c : (int)a->kind - (int)b->kind;
}

size_t imgvol_resolve(struct arena *a, const struct svc_conf *s, const char *mountpoint, char *const *decl, size_t n,
                      struct imgvol **out)
{
    struct imgvol *v = arena_alloc(a, (n + 1) * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        struct imgvol *iv = &v[i];
        memset(iv, 0, sizeof(*iv));
        iv->shown = printable(a, decl[i], 200);
        const char *norm = NULL;
        iv->why = refusal(a, decl[i], &norm);
        if (iv->why) {
            iv->kind = IMGVOL_REFUSED;
            continue;
        }
        iv->path = norm;
        iv->kind = IMGVOL_NAMED;
        for (size_t j = 0; j < s->nvolumes && iv->kind == IMGVOL_NAMED; j++)
            if (at_or_under(norm, s->volumes[j].dst)) {
                iv->kind = IMGVOL_MOUNTED;
                iv->why = arena_printf(a, "the service's volume at %s", s->volumes[j].dst);
            }
        for (size_t j = 0; j < s->ntmpfs && iv->kind == IMGVOL_NAMED; j++)
            if (at_or_under(norm, s->tmpfs[j].path)) {
                iv->kind = IMGVOL_MOUNTED;
                iv->why = arena_printf(a, "the service's tmpfs at %s", s->tmpfs[j].path);
            }
    }
    qsort(v, n, sizeof(*v), by_path);
    size_t k = 0, named = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && streq(v[i].path ? v[i].path : v[i].shown, v[k - 1].path ? v[k - 1].path : v[k - 1].shown))
            continue; /* declared twice (/data and /data/) */
        v[k] = v[i];
        struct imgvol *iv = &v[k++];
        if (iv->kind != IMGVOL_NAMED)
            continue;
        if (++named > IMGVOL_MAX) {
            iv->kind = IMGVOL_REFUSED;
            iv->why = arena_printf(a, "more than %d volumes in the image", IMGVOL_MAX);
            continue;
        }
        char esc[NAME_MAX + 1];
        imgvol_escape(iv->path, esc, sizeof(esc)); /* fits: refusal() tried */
        iv->name = arena_printf(a, "%s/%s/%s", IMGVOL_DIR, s->name, esc);
        iv->host = arena_printf(a, "%s/%s", mountpoint, iv->name);
    }
    *out = v;
    return k;
}
