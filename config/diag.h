/* diag.h - problems found in user input, reported all at once.
 *
 * Validation never stops at the first problem: every error and warning is
 * collected with the file and line it belongs to and printed in the form
 * editors and CI understand, "FILE:LINE: key: message". */
#ifndef RT_DIAG_H
#define RT_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "../lib/arena.h"

enum diag_level { DIAG_ERROR, DIAG_WARNING };

/* Where a value came from. file points at a string owned by the conf
 * arena; line is 1-based (0 when the problem concerns the whole file). */
struct src {
    const char *file;
    int line;
};

struct diag {
    enum diag_level level;
    struct src at;
    const char *key;   /* may be NULL */
    const char *msg;
    size_t seq;        /* insertion order, keeps sorting stable */
};

struct diag_list {
    struct arena *arena;
    struct diag *v;
    size_t n, cap;
    size_t errors, warnings;
};

void diag_init(struct diag_list *d, struct arena *a);
void diag_vadd(struct diag_list *d, enum diag_level lvl, struct src at, const char *key,
               const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
void diag_error(struct diag_list *d, struct src at, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_warn(struct diag_list *d, struct src at, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Sort by file, then line, keeping insertion order among equals. */
void diag_sort(struct diag_list *d);

/* One line per problem: "FILE:LINE: key: message" for errors,
 * "FILE:LINE: key: warning: message" for warnings. */
void diag_print(const struct diag_list *d, FILE *out);
void diag_format(const struct diag *g, char *buf, size_t len);

#endif
