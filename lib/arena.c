#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
    struct arena_chunk *next;
    max_align_t data[];
};

#define CHUNK_SIZE 16384

void arena_init(struct arena *a)
{
    memset(a, 0, sizeof(*a));
}

void arena_free(struct arena *a)
{
    struct arena_chunk *c = a->head;
    while (c) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used = a->cap = a->total = 0;
}

static void oom(struct arena *a)
{
    if (a->oom)
        longjmp(*a->oom, 1);
    /* No handler armed is a programming error; there is no safe way on. */
    fputs("arena: out of memory with no handler\n", stderr);
    abort();
}

void *arena_alloc(struct arena *a, size_t size)
{
    const size_t align = sizeof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    if (!a->head || a->cap - a->used < size) {
        size_t want = size > CHUNK_SIZE ? size : CHUNK_SIZE;
        if (want > SIZE_MAX - sizeof(struct arena_chunk))
            oom(a);
        if (a->limit && a->total + want > a->limit)
            oom(a);
        struct arena_chunk *c = malloc(sizeof(*c) + want);
        if (!c)
            oom(a);
        a->total += want;
        if (a->head && size > CHUNK_SIZE) {
            /* A big one-off block: put it behind the current chunk so the
             * current chunk's free space stays usable. */
            c->next = a->head->next;
            a->head->next = c;
            memset(c->data, 0, size);
            return c->data;
        }
        c->next = a->head;
        a->head = c;
        a->used = 0;
        a->cap = want;
    }
    void *p = (char *)a->head->data + a->used;
    a->used += size;
    memset(p, 0, size);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        n = 0;
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void *arena_grow(struct arena *a, void *ptr, size_t *cap, size_t want, size_t elem)
{
    if (want <= *cap)
        return ptr;
    size_t ncap = *cap ? *cap * 2 : 4;
    while (ncap < want)
        ncap *= 2;
    if (elem && ncap > SIZE_MAX / elem)
        oom(a);
    void *n = arena_alloc(a, ncap * elem);
    if (ptr && *cap)
        memcpy(n, ptr, *cap * elem);
    *cap = ncap;
    return n;
}
