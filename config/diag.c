#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(struct diag_list *d, struct arena *a)
{
    memset(d, 0, sizeof(*d));
    d->arena = a;
}

void diag_vadd(struct diag_list *d, enum diag_level lvl, struct src at, const char *key,
               const char *fmt, va_list ap)
{
    char *msg = arena_vprintf(d->arena, fmt, ap);
    struct diag g = {
        .level = lvl,
        .at = at,
        .key = key ? arena_strdup(d->arena, key) : NULL,
        .msg = msg,
        .seq = d->n,
    };
    ARENA_PUSH(d->arena, d->v, d->n, d->cap, g);
    if (lvl == DIAG_ERROR)
        d->errors++;
    else
        d->warnings++;
}

void diag_error(struct diag_list *d, struct src at, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(d, DIAG_ERROR, at, key, fmt, ap);
    va_end(ap);
}

void diag_warn(struct diag_list *d, struct src at, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(d, DIAG_WARNING, at, key, fmt, ap);
    va_end(ap);
}

static int cmp_diag(const void *pa, const void *pb)
{
    const struct diag *a = pa, *b = pb;
    const char *fa = a->at.file ? a->at.file : "", *fb = b->at.file ? b->at.file : "";
    int c = strcmp(fa, fb);
    if (c)
        return c;
    if (a->at.line != b->at.line)
        return a->at.line < b->at.line ? -1 : 1;
    return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

void diag_sort(struct diag_list *d)
{
    if (d->n > 1)
        qsort(d->v, d->n, sizeof(d->v[0]), cmp_diag);
}

void diag_format(const struct diag *g, char *buf, size_t len)
{
    const char *file = g->at.file ? g->at.file : "-";
    const char *warn = g->level == DIAG_WARNING ? "warning: " : "";
    if (g->key)
        snprintf(buf, len, "%s:%d: %s: %s%s", file, g->at.line, g->key, warn, g->msg);
    else
        snprintf(buf, len, "%s:%d: %s%s", file, g->at.line, warn, g->msg);
}

void diag_print(const struct diag_list *d, FILE *out)
{
    char buf[4096];
    for (size_t i = 0; i < d->n; i++) {
        diag_format(&d->v[i], buf, sizeof(buf));
        fprintf(out, "%s\n", buf);
    }
}
