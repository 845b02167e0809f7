/* rtctl_table.h - tables and numbers for rtctl status and stats. */
#ifndef RTCTL_TABLE_H
#define RTCTL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TBL_MAXCOL 16

struct tbl_row {
    char *cell[TBL_MAXCOL];            /* NULL prints as "-" */
    const char *colour[TBL_MAXCOL];    /* an SGR code ("32"), or NULL */
};

struct tbl {
    size_t ncol;
    const char *head[TBL_MAXCOL];
    bool right[TBL_MAXCOL];            /* numbers: right-aligned */
    bool colour;
    struct tbl_row *rows;
    size_t n, cap;
};

/* stdout is a terminal and NO_COLOR is unset or empty */
bool tbl_colour_wanted(void);
void tbl_init(struct tbl *t, bool colour, const char *const *head, const bool *right, size_t ncol);
/* A new row (the one tbl_set fills); -1 when memory runs out. */
int tbl_row(struct tbl *t);
void tbl_set(struct tbl *t, size_t col, const char *colour, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void tbl_print(const struct tbl *t, FILE *f);
void tbl_free(struct tbl *t);

/* 512B, 1.50KiB, 12.3MiB, 512MiB */
const char *fmt_bytes(uint64_t b, char *buf, size_t len);
/* 45s, 12m05s, 3h05m, 2d04h */
const char *fmt_duration(uint64_t ms, char *buf, size_t len);
/* CPU time: 0.12s, 59.99s, then as fmt_duration */
const char *fmt_cpu_time(uint64_t usec, char *buf, size_t len);

#endif
