/* rtctl_table.c - the tables of rtctl status and stats: columns as wide
 * as their widest cell, the last one (the note) left free, colour only
 * for a person (stdout a terminal and NO_COLOR unset or empty); and the
 * numbers as people read them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtctl_table.h"

bool tbl_colour_wanted(void)
{
    const char *no = getenv("NO_COLOR"); /* no-color.org: set and not empty */
    return isatty(STDOUT_FILENO) && !(no && *no);
}

void tbl_init(struct tbl *t, bool colour, const char *const *head, const bool *right, size_t ncol)
{
    memset(t, 0, sizeof(*t));
    t->colour = colour;
    t->ncol = ncol < TBL_MAXCOL ? ncol : TBL_MAXCOL;
    for (size_t i = 0; i < t->ncol; i++) {
        t->head[i] = head[i];
        t->right[i] = right && right[i];
    }
}

int tbl_row(struct tbl *t)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct tbl_row *r = realloc(t->rows, cap * sizeof(*r));
        if (!r)
            return -1;
        t->rows = r;
        t->cap = cap;
    }
    memset(&t->rows[t->n], 0, sizeof(t->rows[t->n]));
    return (int)t->n++;
}

void tbl_set(struct tbl *t, size_t col, const char *colour, const char *fmt, ...)
{
    if (!t->n || col >= t->ncol)
        return;
    struct tbl_row *r = &t->rows[t->n - 1];
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    free(r->cell[col]);
    r->cell[col] = s;
    r->colour[col] = colour;
}

/* Cells are ASCII but for what a service's note quotes; the note is last
 * and not padded, so a byte count is the width everywhere it matters. */
static void cell(const struct tbl *t, FILE *f, size_t col, const char *text, const char *colour, size_t width)
{
    bool last = col + 1 == t->ncol;
    size_t len = strlen(text), pad = width > len ? width - len : 0;
    if (t->right[col])
        fprintf(f, "%*s", (int)pad, "");
    if (t->colour && colour)
        fprintf(f, "\033[%sm%s\033[0m", colour, text);
    else
        fputs(text, f);
    if (!t->right[col] && !last)
        fprintf(f, "%*s", (int)pad, "");
    fputs(last ? "\n" : "  ", f);
}

void tbl_print(const struct tbl *t, FILE *f)
{
    size_t w[TBL_MAXCOL] = {0};
    for (size_t c = 0; c < t->ncol; c++) {
        w[c] = strlen(t->head[c]);
        for (size_t i = 0; i < t->n; i++) {
            const char *s = t->rows[i].cell[c];
            if (s && strlen(s) > w[c])
                w[c] = strlen(s);
        }
    }
    /* each line in memory first: its trailing blanks (an empty note) go */
    char *line = NULL;
    size_t len = 0;
    for (size_t i = 0; i <= t->n; i++) {
        FILE *m = open_memstream(&line, &len);
        if (!m)
            return;
        for (size_t c = 0; c < t->ncol; c++) {
            const char *text = i == 0 ? t->head[c] : t->rows[i - 1].cell[c] ? t->rows[i - 1].cell[c] : "-";
            cell(t, m, c, text, i == 0 ? (t->colour ? "1" : NULL) : t->rows[i - 1].colour[c], w[c]);
        }
        if (fclose(m) == 0 && line) {
            while (len && (line[len - 1] == '\n' || line[len - 1] == ' '))
                len--;
            fprintf(f, "%.*s\n", (int)len, line);
        }
        free(line);
        line = NULL;
    }
}

void tbl_free(struct tbl *t)
{
    for (size_t i = 0; i < t->n; i++)
        for (size_t c = 0; c < t->ncol; c++)
            free(t->rows[i].cell[c]);
    free(t->rows);
    t->rows = NULL;
    t->n = t->cap = 0;
}

const char *fmt_bytes(uint64_t b, char *buf, size_t len)
{
    static const char units[] = "KMGTPE";
    if (b < 1024) {
        snprintf(buf, len, "%lluB", (unsigned long long)b);
        return buf;
    }
    double v = (double)b;
    size_t u = 0;
    for (v /= 1024; v >= 1024 && u + 1 < sizeof(units) - 1; v /= 1024)
        u++;
    /* 3 significant digits at most: 1.5M, 12.3M, 512M */
    snprintf(buf, len, v < 10 ? "%.2f%ci" : v < 100 ? "%.1f%ci" : "%.0f%ci", v, units[u]);
    /* "KiB" reads as a unit; the 'i' keeps it from passing for 1000s */
    size_t n = strlen(buf);
    if (n + 1 < len) {
        buf[n] = 'B';
        buf[n + 1] = '\0';
    }
    return buf;
}

const char *fmt_duration(uint64_t ms, char *buf, size_t len)
{
    uint64_t s = ms / 1000;
    if (s < 60)
        snprintf(buf, len, "%llus", (unsigned long long)s);
    else if (s < 3600)
        snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
    else if (s < 86400)
        snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600), (unsigned long long)(s / 60 % 60));
    else
        snprintf(buf, len, "%llud%02lluh", (unsigned long long)(s / 86400), (unsigned long long)(s / 3600 % 24));
    return buf;
}

const char *fmt_cpu_time(uint64_t usec, char *buf, size_t len)
{
    if (usec < 60 * 1000000ULL)
        snprintf(buf, len, "%.2fs", (double)usec / 1e6);
    else
        fmt_duration(usec / 1000, buf, len);
    return buf;
}
