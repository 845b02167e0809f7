/* arena.h - region allocator for everything one configuration load builds.
 *
 * A conf.d load makes hundreds of small strings and arrays that all live
 * and die together, so they come from one arena and are freed at once.
 * Allocation failure does not return NULL: it longjmps to the handler the
 * caller armed with ARENA_TRY, so parsing code stays free of OOM checks and
 * a failed load (even in PID 1) unwinds cleanly with ENOMEM. */
#ifndef RT_ARENA_H
#define RT_ARENA_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head;
    size_t used, cap;   /* bytes used / available in head */
    size_t total;       /* bytes obtained from malloc, for limits and tests */
    size_t limit;       /* 0 = no limit; otherwise fail like OOM past it */
    jmp_buf *oom;       /* where to go when memory runs out */
};

/* Arm the OOM handler: evaluates to 0 on the normal path and to 1 when an
 * allocation failed later on. The jmp_buf must outlive every allocation. */
#define ARENA_TRY(a, jb) ((a)->oom = &(jb), setjmp(jb))

void arena_init(struct arena *a);
void arena_free(struct arena *a);

void *arena_alloc(struct arena *a, size_t size);        /* zeroed */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

/* Grow an array of elem-sized items to hold at least want items.
 * *cap is updated; old contents are copied (the old block stays in the
 * arena until it is freed, which is fine for configuration-sized data). */
void *arena_grow(struct arena *a, void *ptr, size_t *cap, size_t want, size_t elem);

/* Append item to a (ptr, n, cap) vector stored in the arena. */
#define ARENA_PUSH(a, vec, n, cap, item)                                         \
    do {                                                                         \
        (vec) = arena_grow((a), (vec), &(cap), (n) + 1, sizeof(*(vec)));         \
        (vec)[(n)++] = (item);                                                   \
    } while (0)

#endif
